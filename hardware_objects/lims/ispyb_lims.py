"""The ISPyB client: login, sessions and samples read from an ISPyB database.

All database work runs in one worker thread the object owns; SQLAlchemy and ISPyB's
models are imported there on first use, so loading the object costs nothing at start.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Protocol, TypeVar, runtime_checkable

from hardware_objects.abstract.lims import (
    AbstractLims,
    LimsUnavailable,
    LoginRefused,
    LoginResult,
)
from hardware_objects.abstract.sample_changer import AbstractSampleChanger, Puck
from hardware_objects.abstract.session import AbstractSession
from hardware_objects.lims.outbox_link import OutboxLink
from hardware_objects.lims.recording import RecordingSource, start_sources, stop_sources
from hardware_objects.role_objects import optional_role_object
from mxgui.core.hardware_object import HardwareObjectState, HOProperty
from mxgui.core.lims import clock
from mxgui.core.lims.catalogue import SampleCatalogue, catalogue_of
from mxgui.core.lims.passwords import check_password, parse_hash
from mxgui.core.lims.recorder import LimsRecorder
from mxgui.core.lims.url_passwords import star_password, url_problem
from mxgui.core.user_dirs import data_dir

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mxgui.core.lims.demo_data import DemoPuck
    from mxgui.core.lims.queries import LimsProposal, LimsSample, LimsSession

log = logging.getLogger(__name__)
T = TypeVar("T")

PASSWORD_CHECKS = ("none", "local", "ldap")
#: the embedded database, below the data directory, when ``url`` is empty
EMBEDDED_FILE = Path(".mxgui") / "lims.sqlite"
#: the outbox of LIMS writes, below the data directory, when ``outbox_file`` is empty
OUTBOX_FILE = Path(".mxgui") / "lims-outbox.sqlite"
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+]*://.*")


@runtime_checkable
class LimsSampleUser(Protocol):
    """A queue whose samples take their names and ids from the LIMS."""

    def use_lims(self, lims: AbstractLims) -> None: ...


@runtime_checkable
class SessionWithStartDate(Protocol):
    """A session object whose directories can follow the LIMS session's start date
    (the simulated one)."""

    def set_session_start_date(self, date: str | None) -> None: ...


class LimsSchemaError(Exception):
    """The database lacks tables or columns the client reads (named in the message)."""


class DatabaseAway(LimsUnavailable):
    """The database cannot be reached now (down, unreachable, lost): ``reason`` says how."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class IspybLims(AbstractLims):
    """Login, sessions and samples from ISPyB's own tables (MariaDB, or SQLite embedded).

    XML properties: ``url`` (an SQLAlchemy URL, ``mysql+pymysql://user:password@host:3306/
    ispyb``; empty: the embedded ``<data dir>/.mxgui/lims.sqlite``; an SQLite file that
    does not exist yet is made with ISPyB's schema and the demo content of
    :mod:`mxgui.core.lims.demo_data`, the samples taken from the ``sample_changer``
    role), ``beamline_name`` (``BLSession.beamLineName`` of this beamline),
    ``connect_timeout`` and ``io_timeout`` (seconds), ``password_check`` (``none``: the
    person must exist in the LIMS; ``local``: the password must match
    ``local_password_hash``; ``ldap``: a bind as ``uid=<user>,<ldap_base_dn>`` at
    ``ldap_url``, over TLS with the certificate checked: ``ldaps://``, or StartTLS for
    ``ldap://``; ``ldap_ca_file``: the CA that signed it, if not the system's),
    ``local_user`` and
    ``local_password_hash`` (the login accepted while the database cannot be reached;
    make a hash with ``python -m mxgui.core.lims.passwords``).

    Roles (optional): ``session`` follows the proposal and, when it can, the chosen
    session's start date (and so do the data directories), and
    ``sample_changer`` gives the demo's samples.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "url": HOProperty(str, "", "SQLAlchemy URL of the ISPyB database (empty: embedded)"),
        "beamline_name": HOProperty(str, "SIM-MX", "this beamline in BLSession.beamLineName"),
        "connect_timeout": HOProperty(float, 5.0, "seconds to connect to the database"),
        "io_timeout": HOProperty(float, 10.0, "seconds for each read or write"),
        "password_check": HOProperty(
            str, "", "none, local or ldap (empty: none for the embedded demo only)"
        ),
        "local_user": HOProperty(str, "", "user of the local login (database unreachable)"),
        "local_password_hash": HOProperty(str, "", "hash of the beamline password"),
        "ldap_url": HOProperty(str, "", "LDAP server (password_check ldap)"),
        "ldap_base_dn": HOProperty(str, "", "LDAP base DN (password_check ldap)"),
        "ldap_ca_file": HOProperty(str, "", "CA certificate(s) of the LDAP server (PEM)"),
        "outbox_file": HOProperty(str, "", "the outbox of LIMS writes (empty: in the data dir)"),
    }

    def init(self) -> None:
        check = self._site_password_check(self.get_property("url").strip())
        self._password_check = check
        self._ldap_url = self.get_property("ldap_url").strip()
        self._ldap_base_dn = self.get_property("ldap_base_dn").strip()
        self._ldap_ca_file = self.get_property("ldap_ca_file").strip()
        if self._ldap_ca_file and not os.path.isfile(self._ldap_ca_file):
            raise self.config_error(
                f"ldap_ca_file {self._ldap_ca_file}: no such file", "ldap_ca_file"
            )
        if check == "ldap":
            if not re.fullmatch(r"ldaps?://\S+", self._ldap_url):
                raise self.config_error(
                    "password_check ldap needs ldap_url, e.g. ldaps://ldap.example.org",
                    "ldap_url" if self._ldap_url else "password_check",
                )
            if "=" not in self._ldap_base_dn:
                raise self.config_error(
                    "password_check ldap needs ldap_base_dn, e.g. ou=People,dc=example,dc=org",
                    "ldap_base_dn" if self._ldap_base_dn else "password_check",
                )
        self._local_user = self.get_property("local_user").strip()
        self._local_hash = self.get_property("local_password_hash").strip()
        if self._local_hash:
            try:
                parse_hash(self._local_hash)
            except ValueError as exc:
                raise self.config_error(str(exc), "local_password_hash") from None
        if bool(self._local_user) != bool(self._local_hash):
            raise self.config_error(
                "local_user and local_password_hash go together (both or neither)",
                "local_user" if self._local_user else "local_password_hash",
            )
        if check == "local" and not self._local_hash:
            raise self.config_error(
                "password_check local needs local_password_hash", "password_check"
            )
        for name in ("connect_timeout", "io_timeout"):
            if not self.get_property(name) > 0:
                raise self.config_error(f"{name} must be a positive number of seconds", name)
        url = self.get_property("url").strip()
        if url and not _URL.fullmatch(url):
            raise self.config_error(
                "url: expected an SQLAlchemy URL such as mysql+pymysql://user:password@host:"
                "3306/ispyb or sqlite:////path/lims.sqlite",
                "url",
            )
        if url and url_problem(url):
            raise self.config_error(f"url {star_password(url)}: {url_problem(url)}", "url")
        #: the embedded default's file (known without parsing the URL, so that
        #: ``mxgui --check`` of the default imports no SQLAlchemy)
        self._embedded_default = None if url else data_dir() / EMBEDDED_FILE
        self._url = url or f"sqlite:///{self._embedded_default}"
        self._beamline = self.get_property("beamline_name").strip()
        if not self._beamline:
            raise self.config_error("beamline_name must not be empty", "beamline_name")
        self._session_object = optional_role_object(self, "session", AbstractSession)
        self._sample_changer = optional_role_object(self, "sample_changer", AbstractSampleChanger)
        self._initial_proposal = (
            self._session_object.get_proposal() if self._session_object is not None else ""
        )
        self._engine: sa.Engine | None = None
        self._executor_closed = False
        self._login: LoginResult | None = None
        self._status: dict[str, object] = {
            "online": False,
            "reason": "not connected yet",
            "database": star_password(self._url),
        }
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"{self.name} LIMS")
        self._start_recording()
        self.set_state(HardwareObjectState.READY)

    def _site_password_check(self, url: str) -> str:
        """``password_check`` as set; empty: ``none`` for the embedded demo, refused for a
        database given in ``url`` (anyone could log in to any of its proposals)."""
        check = self.get_property("password_check").strip().lower()
        if check and check not in PASSWORD_CHECKS:
            raise self.config_error(
                f"password_check {check!r}: expected one of {', '.join(PASSWORD_CHECKS)}",
                "password_check",
            )
        if not check and url:
            raise self.config_error(
                "password_check: a site's LIMS database needs local or ldap (or none, said "
                "explicitly, to let anyone log in to any proposal with any password)",
                "password_check",
            )
        if check == "none" and url:
            log.warning(
                "%s",
                self.config_error(
                    "password_check none: anyone who types a user or proposal of the LIMS "
                    f"database {star_password(url)} logs in with any password",
                    "password_check",
                ),
            )
        return check or "none"

    def shutdown(self) -> None:
        self._stop_recording()
        self._executor_closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self._engine is not None:
            self._engine.dispose()

    def startup_problems(self) -> list[str]:
        """For ``mxgui --check``: the database does not answer, or lacks a table or column
        the client reads (at the ``url`` line). An embedded file not made yet is fine
        (the first login makes it); nothing is written."""
        path = self._embedded_path()
        if path is not None and not path.exists():
            return []
        timeout = self.get_property("connect_timeout") + 2 * self.get_property("io_timeout") + 5
        try:
            self._submit(lambda: self._read("check", lambda _: None)).result(timeout)
        except LimsUnavailable as exc:
            return [str(self.config_error(str(exc), "url"))]
        except FutureTimeout:
            return [
                str(self.config_error(f"the LIMS database gave no answer in {timeout} s", "url"))
            ]
        return []

    # the public calls: each runs in the worker thread ----------------------------------
    def _submit(self, call: Callable[[], T]) -> Future[T]:
        return self._executor.submit(call)

    def login(self, user: str, password: str, proposal: str | None = None) -> Future[LoginResult]:
        return self._submit(lambda: self._do_login(user, password, proposal))

    def get_login(self) -> LoginResult | None:
        return self._login

    def login_hint(self) -> str:
        """For the embedded demo database: how to log in to it."""
        if self._embedded_default is None:
            return ""
        return (
            "The embedded demo LIMS: user demo, any password (proposal mx1234). A beamline "
            "gives its ISPyB database as <url> in lims.xml."
        )

    def get_status(self) -> dict[str, object]:
        return dict(self._status)

    def get_sessions(self, all_sessions: bool = False) -> Future[list[LimsSession]]:
        return self._submit(lambda: self._do_get_sessions(all_sessions))

    def select_session(self, session_id: int) -> Future[LoginResult]:
        return self._submit(lambda: self._do_select_session(session_id))

    def get_samples(self) -> Future[list[LimsSample]]:
        return self._submit(self._do_get_samples)

    def logout(self) -> Future[None]:
        return self._submit(self._do_logout)

    # the database -----------------------------------------------------------------------
    def _connect(self) -> sa.Engine:
        """The engine, made (and the embedded database created) on first use, once the
        schema has every table and column the client reads."""
        if self._engine is None:
            self._engine = self._make_engine()
        return self._engine

    def _make_engine(self) -> sa.Engine:
        """A new engine (the embedded database created first if it is not), checked to
        have every table and column the client reads."""
        from mxgui.core.lims.database import make_engine, redacted, schema_problems
        from mxgui.core.lims.queries import LOGIN_SCHEMA

        self._status["database"] = redacted(self._url)
        self._create_embedded_database()
        engine = make_engine(
            self._url,
            connect_timeout=self.get_property("connect_timeout"),
            io_timeout=self.get_property("io_timeout"),
        )
        try:
            problems = schema_problems(engine, LOGIN_SCHEMA)
        except Exception:
            engine.dispose()
            raise
        if problems:
            engine.dispose()
            raise LimsSchemaError(
                f"the LIMS database {redacted(self._url)} is not usable: {'; '.join(problems)}"
            )
        return engine

    def _embedded_path(self) -> Path | None:
        """The file of an SQLite URL (None for a server or an in-memory database)."""
        if self._embedded_default is not None:
            return self._embedded_default
        import sqlalchemy as sa

        try:
            parsed = sa.make_url(self._url)
        except sa.exc.ArgumentError:
            return None  # make_engine names the URL
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return None
        return Path(os.path.expanduser(parsed.database))

    def _create_embedded_database(self) -> None:
        """A new SQLite file with ISPyB's schema and the demo (made once, whole, even by
        two first starts at the same time: :func:`demo_data.create_demo_file`)."""
        path = self._embedded_path()
        if path is None or path.exists():
            return
        from mxgui.core.lims.demo_data import create_demo_file

        started = time.monotonic()
        ids = create_demo_file(path, self._beamline, self._demo_pucks())
        if ids is not None:
            log.info(
                "created the embedded LIMS database %s with the demo proposal and %d samples "
                "(%.2f s)",
                path,
                len(ids.sample_ids),
                time.monotonic() - started,
            )

    def _demo_pucks(self) -> list[DemoPuck]:
        changer = self._sample_changer
        return demo_pucks(changer.get_contents()) if changer is not None else []

    def _set_status(self, online: bool, reason: str = "") -> None:
        if self._status["online"] == online and self._status["reason"] == reason:
            return
        self._status.update(online=online, reason=reason)
        if online:
            log.info("LIMS database %s answers", self._status["database"])
        else:
            log.warning("LIMS database %s: %s", self._status["database"], reason)
        self.emit("limsStatusChanged", self.get_status())

    def _read(self, what: str, query: Callable[[sa.Connection], T]) -> T:
        """``query`` on a connection. A database that cannot be reached is
        :class:`DatabaseAway` (and the status says offline); a schema too old, a URL that
        cannot be used or a database that fails otherwise is :class:`LimsUnavailable`
        saying so; the query's own refusals pass as they are."""
        from mxgui.core.lims.database import is_transient, short_reason

        try:
            engine = self._connect()
            with engine.connect() as connection:
                result = query(connection)
        except (LoginRefused, LimsUnavailable):
            raise
        except (LimsSchemaError, ValueError) as exc:
            self._set_status(False, str(exc))
            raise LimsUnavailable(str(exc)) from None
        except Exception as exc:
            reason = short_reason(exc)
            if not is_transient(exc):
                log.exception("%s: the LIMS database %s failed", what, self._status["database"])
                raise LimsUnavailable(f"{what}: the LIMS database failed ({reason})") from exc
            self._set_status(False, reason)
            message = f"{what}: the LIMS database cannot be reached ({reason})"
            raise DatabaseAway(message, reason) from exc
        self._set_status(True)
        return result

    # login ---------------------------------------------------------------------------------
    def _do_login(self, user: str, password: str, proposal: str | None) -> LoginResult:
        from mxgui.core.lims.queries import split_proposal

        user = (user or "").strip()
        if not user:
            raise LoginRefused("give a user name")
        wanted = None
        if proposal and proposal.strip():
            try:
                wanted = split_proposal(proposal)
            except ValueError as exc:
                raise LoginRefused(str(exc)) from None
        try:
            result = self._read("login", lambda c: self._login_online(c, user, password, wanted))
        except DatabaseAway as exc:
            result = self._login_locally(user, password, wanted, exc.reason)
        except LimsUnavailable as exc:  # a schema too old, a database failing
            raise LoginRefused(str(exc)) from None
        self._logged_in(result)
        return result

    def _check_password(self, user: str, password: str) -> None:
        if self._password_check == "local":
            if not check_password(password, self._local_hash):
                raise LoginRefused(f"wrong password for {user}")
        elif self._password_check == "ldap":
            from mxgui.core.lims.ldap_login import LdapError, ldap_password_ok

            timeout = self.get_property("io_timeout")
            try:
                accepted = ldap_password_ok(
                    self._ldap_url, self._ldap_base_dn, user, password, timeout, self._ldap_ca_file
                )
            except LdapError as exc:
                raise LoginRefused(str(exc)) from None
            if not accepted:
                raise LoginRefused(f"wrong password for {user}")

    def _login_online(
        self,
        connection: sa.Connection,
        user: str,
        password: str,
        wanted: tuple[str, str] | None,
    ) -> LoginResult:
        from mxgui.core.lims import queries
        from mxgui.core.lims.demo_data import ensure_demo_session

        if self._embedded_default is not None:  # the demo has a session on any day
            ensure_demo_session(connection, self._beamline)
        beamline, today = self._beamline, clock.today()
        person = queries.find_person(connection, user)
        as_proposal = None  # the proposal itself as the user (as at the ESRF)
        if person is None:
            try:
                as_proposal = queries.find_proposal(connection, *queries.split_proposal(user))
            except ValueError:
                as_proposal = None
        self._check_password(user, password)  # before saying whether the user exists
        if person is None and as_proposal is None:
            raise LoginRefused(f"unknown user {user!r}: no such login in the LIMS")
        proposal = None
        if wanted is not None:
            proposal = queries.find_proposal(connection, *wanted)
            if proposal is None:
                raise LoginRefused(f"unknown proposal {''.join(wanted)}")
        if as_proposal is not None:
            if proposal is not None and proposal.proposal_id != as_proposal.proposal_id:
                raise LoginRefused(f"{user} cannot log in to proposal {proposal.name}")
            proposal = as_proposal
            if as_proposal.person_id is not None:
                person = queries.person_by_id(connection, as_proposal.person_id)
        elif person is not None and proposal is None:
            proposal = self._proposal_with_session_today(connection, user, person.person_id)
        elif person is not None and proposal is not None:
            if not queries.is_member(connection, proposal, person.person_id):
                raise LoginRefused(f"{user} is not a member of proposal {proposal.name}")
        assert proposal is not None
        now = clock.now()
        sessions = queries.open_sessions(connection, proposal.proposal_id, beamline, now)
        if not sessions:
            later = [
                s
                for s in queries.sessions_of(connection, proposal.proposal_id, beamline)
                if s.start is not None and s.start.date() > today
            ]
            hint = f" (the next one starts {later[0].start:%Y-%m-%d %H:%M})" if later else ""
            raise LoginRefused(f"proposal {proposal.name} has no session on {beamline} today{hint}")
        return LoginResult(
            user=user,
            proposal_code=proposal.code,
            proposal_number=proposal.number,
            proposal_title=proposal.title,
            proposal_id=proposal.proposal_id,
            person=person,
            sessions=tuple(sessions),
            session=sessions[0] if len(sessions) == 1 else None,
        )

    def _proposal_with_session_today(
        self, connection: sa.Connection, user: str, person_id: int
    ) -> LimsProposal:
        """The one proposal of ``person_id`` with a session on this beamline today."""
        from mxgui.core.lims import queries

        beamline = self._beamline
        candidates = queries.proposals_of(connection, person_id)
        if not candidates:
            raise LoginRefused(f"{user} belongs to no proposal")
        now = clock.now()
        today_ones = [
            p for p in candidates if queries.open_sessions(connection, p.proposal_id, beamline, now)
        ]
        names = ", ".join(p.name for p in (today_ones or candidates))
        if not today_ones:
            raise LoginRefused(f"no proposal of {user} ({names}) has a session on {beamline} today")
        if len(today_ones) > 1:
            raise LoginRefused(f"{user} has sessions today with {names}: give the proposal")
        return today_ones[0]

    def _login_locally(
        self, user: str, password: str, wanted: tuple[str, str] | None, reason: str
    ) -> LoginResult:
        down = f"the LIMS database cannot be reached ({reason})"
        if not self._local_user:
            raise LoginRefused(f"{down}, and no local login is configured")
        if user != self._local_user or not check_password(password, self._local_hash):
            raise LoginRefused(f"{down}, and the local login failed: wrong user or password")
        if wanted is None:
            raise LoginRefused(f"{down}: give the proposal to log in locally")
        log.warning("local login of %s on %s: %s", user, "".join(wanted), down)
        return LoginResult(
            user=user,
            proposal_code=wanted[0],
            proposal_number=wanted[1],
            offline=True,
            offline_reason=reason,
        )

    def _logged_in(self, result: LoginResult) -> None:
        self._login = result
        self._record_under(result)
        self._follow(result)
        self.emit("loginChanged", result.as_dict())
        self.emit("samplesChanged")

    def _follow(self, result: LoginResult | None) -> None:
        """The session object takes the proposal (the data directories follow)."""
        session = self._session_object
        if session is None:
            return
        if isinstance(session, SessionWithStartDate):
            start = result.session.start if result is not None and result.session else None
            session.set_session_start_date(start.strftime("%Y%m%d") if start else None)
        if result is None:
            if self._initial_proposal:
                from mxgui.core.lims.queries import split_proposal

                session.set_proposal(*split_proposal(self._initial_proposal))
            return
        session.set_proposal(result.proposal_code, result.proposal_number)

    # sessions and samples ---------------------------------------------------------------------
    def _online_login(self, what: str) -> LoginResult | None:
        """The login, None for an offline one; :class:`LimsUnavailable` without one."""
        login = self._login
        if login is None:
            raise LimsUnavailable(f"{what}: nobody is logged in")
        return None if login.offline else login

    def _do_get_sessions(self, all_sessions: bool) -> list[LimsSession]:
        from mxgui.core.lims.queries import open_sessions, sessions_of

        login = self._online_login("sessions")
        if login is None or login.proposal_id is None:
            return []
        proposal_id, beamline, now = login.proposal_id, self._beamline, clock.now()
        if all_sessions:
            return self._read("sessions", lambda c: sessions_of(c, proposal_id, beamline))
        return self._read("sessions", lambda c: open_sessions(c, proposal_id, beamline, now))

    def _do_select_session(self, session_id: int) -> LoginResult:
        from mxgui.core.lims.queries import session_by_id

        login = self._online_login("choosing a session")
        if login is None:
            raise LimsUnavailable("choosing a session: logged in locally, the LIMS has none")
        session = self._read("choosing a session", lambda c: session_by_id(c, session_id))
        if (
            session is None
            or session.proposal_id != login.proposal_id
            or session.beamline.lower() != self._beamline.lower()
        ):
            raise ValueError(
                f"session {session_id} is not one of {login.proposal}'s on {self._beamline}"
            )
        result = replace(login, session=session)
        self._logged_in(result)
        return result

    def _do_get_samples(self) -> list[LimsSample]:
        from mxgui.core.lims.queries import samples_of

        login = self._online_login("samples")
        if login is None or login.proposal_id is None:
            return []
        proposal_id = login.proposal_id
        return self._read("samples", lambda c: samples_of(c, proposal_id))

    def _do_logout(self) -> None:
        if self._login is None:
            return
        log.info("%s logged out of %s", self._login.user, self._login.proposal)
        self._login = None
        self._record_under(None)
        self._follow(None)
        self.emit("loginChanged", None)
        self.emit("samplesChanged")

    # recording: the outbox and the sources ------------------------------------------------
    def _start_recording(self) -> None:
        """Start the recording sources; open the outbox now if its file holds writes of
        an earlier run (sent at once), else at the first login (nothing written at
        start: nothing is recorded before a login). Not for ``mxgui --check``: it
        sends nothing (nor makes the embedded database, nor takes the outbox's lock)."""
        self._link: OutboxLink | None = None
        self._sources: list[RecordingSource] = []
        self._catalogue: SampleCatalogue | None = None
        self._status.update(waiting=0, failed=0, refused=0, problem="")
        self.recorder = LimsRecorder(None, "the LIMS outbox is not open", self._recorder_changed)
        if self._outbox_path().exists() and not self.check_only:
            self._open_outbox()
        # the records' blSampleIds come from the catalogue the queue and the sample
        # changer view show: one read, with its refreshes and retries
        catalogue = self._catalogue = catalogue_of(self)
        catalogue.connect("catalogueChanged", self._samples_for_records)
        try:
            self._sources = start_sources(self, self.recorder)
        except Exception:
            self._stop_recording()
            raise
        queue = self.get_object_by_role("queue")
        if isinstance(queue, LimsSampleUser):
            queue.use_lims(self)  # its samples from the changer carry their LIMS ids

    def _open_outbox(self) -> None:
        """Open the outbox (sqlite3 only: cheap) if it is not; a file that cannot be
        opened is said in the status and the log, and tried again at the next login."""
        if self._link is not None:
            return
        try:
            link = OutboxLink(
                self._outbox_path(), self._writer_engine, self._outbox_status, self.name
            )
        except OSError as exc:
            problem = f"the LIMS outbox cannot be opened, nothing is recorded: {exc}"
            log.error("%s: %s", self.name, problem)
            self.recorder.set_outbox(None, problem)
            self._outbox_status({"problem": problem})
            return
        self._link = link
        self.recorder.set_outbox(link.outbox, link.problem)
        self._outbox_status({"problem": link.problem, **link.status()})

    def _stop_recording(self) -> None:
        """Put what the sources handed over, stop them (their JPEGs finished), put what
        that gave, close the outbox (what waits stays in its file for the next start)."""
        if self._catalogue is not None:
            self._catalogue.disconnect("catalogueChanged", self._samples_for_records)
            self._catalogue = None
        # what the sources deferred first (a collection's end asks for its JPEGs), then
        # the sources stopped (the JPEGs asked for are made and their records deferred),
        # then those records put, before the recorder closes
        self.recorder.flush()
        stop_sources(self._sources)
        self._sources = []
        self.recorder.flush()
        self.recorder.close()
        if self._link is not None:
            self._link.close()

    def _outbox_path(self) -> Path:
        configured = self.get_property("outbox_file").strip()
        if not configured:
            return data_dir() / OUTBOX_FILE
        path = Path(os.path.expanduser(configured))
        return path if path.is_absolute() else data_dir() / path

    def _writer_engine(self) -> sa.Engine:
        """The engine the outbox writes with: its own, made in the outbox's thread, so
        that its attempts while the database is away never queue ahead of a login in
        the LIMS worker (the embedded database is made once whoever comes first)."""
        if self._executor_closed:
            raise CancelledError()  # shut down: the outbox tries again at the next start
        return self._make_engine()

    def _outbox_status(self, values: dict[str, object]) -> None:
        if all(self._status.get(k) == v for k, v in values.items()):
            return
        self._status.update(values)
        self.emit("limsStatusChanged", self.get_status())

    def _recorder_changed(self) -> None:
        self._outbox_status({"refused": self.recorder.refused})

    def _record_under(self, login: LoginResult | None) -> None:
        """What is recorded from now on belongs to ``login``'s session (or its proposal's
        session today, looked up when sent); the outbox tries at once after a login
        online, and the samples' ids are read for the records."""
        if login is None:
            self.recorder.set_login(None, None, self._beamline)
            return
        self._open_outbox()
        proposal = (login.proposal_code, login.proposal_number)
        self.recorder.set_login(login.session_id, proposal, self._beamline)
        if login.offline:
            return
        if self._link is not None:
            # what failed for want of a session or a proposal may go through now
            self._link.retry_failed()
            self._link.retry_now()

    def _samples_for_records(self) -> None:
        """The catalogue changed: its samples' ids for the records, leaving out the
        addresses it gives twice and the pins the sample changer disagrees on (a wrong
        blSampleId is worse than none)."""
        catalogue = self._catalogue
        if catalogue is None:
            return
        changer = self._sample_changer
        doubtful: Iterable[str] = (
            catalogue.mismatches(changer.get_contents())
            if changer is not None
            else catalogue.conflicts()
        )
        left_out = set(doubtful)
        self.recorder.set_samples(
            {a: s.sample_id for a, s in catalogue.by_address().items() if a not in left_out}
        )

    def record_status(self, directory: str, prefix: str, run_number: int) -> tuple[str, str]:
        return self.recorder.record_status(directory, prefix, run_number)

    def collection_ids(self, directory: str, prefix: str, run_number: int) -> list[int]:
        return self.recorder.collection_ids(directory, prefix, run_number)

    def send_failed_again(self) -> Future[int]:
        return self._submit(self._do_send_failed_again)

    def _do_send_failed_again(self) -> int:
        link = self._link
        return 0 if link is None else link.retry_failed()


def demo_pucks(contents: Iterable[Puck]) -> list[DemoPuck]:
    """A sample changer's pucks as the demo seeds them: the filled pins (with a name)."""
    from mxgui.core.lims.demo_data import DemoPin, DemoPuck

    return [
        DemoPuck(
            index=puck.index,
            code=puck.name or f"puck-{puck.index}",
            barcode=puck.barcode,
            capacity=len(puck.samples),
            pins=tuple(
                DemoPin(s.pin, s.name, s.barcode, s.protein_acronym)
                for s in puck.samples
                if s.present is not False and s.name
            ),
        )
        for puck in contents
    ]
