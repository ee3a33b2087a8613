"""The LIMS interface: log in with a proposal, choose a session, read the samples.

Every call that reaches the database returns a :class:`concurrent.futures.Future` at once
and runs in the object's own worker thread, so the GUI thread never waits on the LIMS.
A refused login ends its Future with :class:`LoginRefused` (the reason for the user); a
LIMS that cannot be reached after login ends calls with :class:`LimsUnavailable`.

The records handed out (``LimsSession``, ``LimsSample``, ``LimsPerson``) are the frozen
dataclasses of :mod:`mxgui.core.lims.queries`, imported with the database layer in the
worker thread on first use (SQLAlchemy and ISPyB's models stay off the start-up path).
"""

from __future__ import annotations

import abc
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from mxgui.core.hardware_object import HardwareObject, HOProperty

if TYPE_CHECKING:
    from mxgui.core.lims.queries import LimsPerson, LimsSample, LimsSession


class LoginRefused(Exception):
    """A login refused: wrong password, unknown user or proposal, no session today, the
    database down and the local login failed, a schema too old. ``str()`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class LimsUnavailable(Exception):
    """The LIMS cannot answer now (not logged in, offline, or the database is away)."""


@dataclass(frozen=True)
class LoginResult:
    """Who is logged in, on which proposal and session, and whether the LIMS is online.

    ``offline`` is True for a local login (the database could not be reached:
    ``offline_reason`` says why); such a login has no person, proposal id, sessions or
    LIMS samples. ``sessions`` are this beamline's sessions of the proposal today;
    ``session`` is the one chosen (chosen at login when there is only one).
    """

    user: str
    proposal_code: str
    proposal_number: str
    proposal_title: str = ""
    proposal_id: int | None = None
    person: LimsPerson | None = None
    sessions: tuple[LimsSession, ...] = field(default_factory=tuple)
    session: LimsSession | None = None
    offline: bool = False
    offline_reason: str = ""

    @property
    def proposal(self) -> str:
        """Code and number together, e.g. ``mx1234``."""
        return f"{self.proposal_code}{self.proposal_number}"

    @property
    def session_id(self) -> int | None:
        """The chosen session's id, or ``None``."""
        return self.session.session_id if self.session is not None else None

    def as_dict(self) -> dict[str, object]:
        """Plain values for signals and displays."""
        return {
            "user": self.user,
            "name": self.person.full_name if self.person is not None else self.user,
            "proposal": self.proposal,
            "proposal_code": self.proposal_code,
            "proposal_number": self.proposal_number,
            "proposal_title": self.proposal_title,
            "proposal_id": self.proposal_id,
            "session_id": self.session_id,
            "sessions": [s.as_dict() for s in self.sessions],
            "offline": self.offline,
            "offline_reason": self.offline_reason,
        }


class AbstractLims(HardwareObject, abc.ABC):
    """The LIMS (ISPyB): login, the proposal's sessions on this beamline, its samples.

    Signals: ``loginChanged(dict | None)`` (:meth:`LoginResult.as_dict` after a login or
    a session choice, None after logout), ``limsStatusChanged(dict)`` (``{"online":
    bool, "reason": str, "database": str}``: whether the database answered last, why
    not, and its URL without password; with the outbox of writes, ``waiting`` and
    ``failed``: operations waiting to be sent and refused by the database, ``refused``:
    records the outbox could not take, ``problem``: what was wrong with the outbox file)
    and ``samplesChanged()`` (the samples of the proposal may have changed: read them
    again with :meth:`get_samples`).
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("loginChanged", "limsStatusChanged", "samplesChanged")
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "login_at_start": HOProperty(
            bool, True, "the GUI shows the login dialog when it starts with nobody logged in"
        ),
    }

    def login_hint(self) -> str:
        """A line the login dialog shows under its title (e.g. how to log in to a demo
        database); empty by default."""
        return ""

    def login_at_start(self) -> bool:
        """Whether the GUI asks for a login when it starts (XML ``login_at_start``)."""
        return bool(self.get_property("login_at_start", True))

    @abc.abstractmethod
    def login(self, user: str, password: str, proposal: str | None = None) -> Future[LoginResult]:
        """Log ``user`` in on ``proposal`` (``"mx1234"``; None: the user's proposal with a
        session today on this beamline). Ends with :class:`LoginRefused` and the reason
        when refused; with an ``offline`` result for a local login while the database
        is unreachable."""

    @abc.abstractmethod
    def get_login(self) -> LoginResult | None:
        """The current login, or None."""

    @abc.abstractmethod
    def get_status(self) -> dict[str, object]:
        """What ``limsStatusChanged`` last said."""

    @abc.abstractmethod
    def get_sessions(self, all_sessions: bool = False) -> Future[list[LimsSession]]:
        """This beamline's sessions of the logged-in proposal running today (with
        ``all_sessions``: all of them, earlier and later ones too), by start; empty when
        logged in offline."""

    @abc.abstractmethod
    def select_session(self, session_id: int) -> Future[LoginResult]:
        """Choose the session ``session_id`` (one of :meth:`get_sessions`'s, on this
        beamline); the data directories follow. Ends with the new login."""

    @abc.abstractmethod
    def get_samples(self) -> Future[list[LimsSample]]:
        """The logged-in proposal's samples with container, sample-changer location,
        barcode, protein acronym and crystal (empty when logged in offline)."""

    @abc.abstractmethod
    def logout(self) -> Future[None]:
        """Forget the login; emits ``loginChanged(None)``."""

    @abc.abstractmethod
    def send_failed_again(self) -> Future[int]:
        """Put the writes the database refused back in the line to be sent (the fault
        was mended: a session created, a schema updated); ends with how many."""

    def collection_ids(self, directory: str, prefix: str, run_number: int) -> list[int]:
        """The LIMS ``DataCollection`` ids of the collection ``<directory>/<prefix>_
        <run_number>`` (one per attempt) once stored; none here. Answers at once."""
        return []

    @abc.abstractmethod
    def record_status(self, directory: str, prefix: str, run_number: int) -> tuple[str, str]:
        """Whether the collection ``<directory>/<prefix>_<run_number>`` is in the LIMS:
        ``("stored" | "waiting" | "failed", reason)``, ``("", "")`` when unknown (not
        recorded, or recorded long ago). Answers at once (no database call)."""
