"""The ``lims`` object on a real MariaDB and on the embedded SQLite default: login (the
person and proposal named, each refusal with its reason), the local login while the
database is down, a schema too old, sessions, samples matching the sample changer, and
the session object following the proposal."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hardware_objects.abstract.lims import AbstractLims, LimsUnavailable, LoginRefused
from hardware_objects.lims.ispyb_lims import demo_pucks
from mxgui.core.errors import HardwareObjectError
from mxgui.core.lims.database import create_schema, ispyb_models, make_engine, redacted
from mxgui.core.lims.demo_data import DemoIds, DemoPuck, seed_demo
from mxgui.core.lims.ldap_login import ldap_password_ok, user_dn
from mxgui.core.lims.passwords import check_password, make_hash, parse_hash
from mxgui.core.repository import HardwareRepository
from mxgui.demo_servers.slapd import PrivateSlapd

from helpers import SIMULATED, line_of
from lims_fixtures import rows, scalar

# what a login in the day sees, at any hour (conftest's lims_daytime)
pytestmark = pytest.mark.usefixtures("lims_daytime")

pytest_plugins = ("lims_fixtures",)

BEAMLINE = "SIM-MX"
BEAMLINE_PASSWORD = "beamline-secret"
#: few iterations: the tests check the logic, not the cost of a guess
PASSWORD_HASH = make_hash(BEAMLINE_PASSWORD, iterations=1000)
TODAY = dt.date.today()


def lims_xml(url: str, **extra: str) -> str:
    properties = {"url": url, "beamline_name": BEAMLINE, "connect_timeout": "2", "io_timeout": "5"}
    properties["password_check"] = "none"  # a site database must say it
    properties.update(extra)
    body = "\n".join(f"  <{k}>{v}</{k}>" for k, v in properties.items())
    return f"""<object class="lims.ispyb_lims.IspybLims">
  <object href="/session" role="session"/>
  <object href="/sample_changer" role="sample_changer"/>
{body}
</object>
"""


@pytest.fixture
def make_repo(tmp_path: Path) -> Iterator[Callable[..., HardwareRepository]]:
    """The simulated beamline with its ``lims.xml`` replaced (``lims_xml(**kwargs)``)
    and its session writing below ``tmp_path/data``; shut down after the test."""
    repos: list[HardwareRepository] = []

    def make(url: str, **extra: str) -> HardwareRepository:
        overrides = tmp_path / f"repo{len(repos)}"
        overrides.mkdir()
        (overrides / "lims.xml").write_text(lims_xml(url, **extra))
        (overrides / "session.xml").write_text(
            '<object class="simulated.session.SimulatedSession">'
            f"<base_directory>{tmp_path / 'data'}</base_directory></object>"
        )
        repo = HardwareRepository([overrides, SIMULATED])
        repos.append(repo)
        return repo

    yield make
    for repo in repos:
        repo.shutdown()


def pucks_of(repo: HardwareRepository) -> list[DemoPuck]:
    """The simulated sample changer's pucks as the demo seeds them."""
    return demo_pucks(repo.get("sample_changer").get_contents())


def insert(engine: sa.Engine, table: str, **values: object) -> int:
    with engine.begin() as connection:
        result = connection.execute(
            sa.insert(ispyb_models().Base.metadata.tables[table]).values(**values)
        )
        return int(result.inserted_primary_key[0])


def add_proposal(
    engine: sa.Engine,
    login: str,
    code: str,
    number: str,
    session_days: tuple[int, ...] = (0,),
    beamline: str = BEAMLINE,
) -> tuple[int, int, list[int]]:
    """A person, their proposal and a session on ``beamline`` starting at 09:00 on each
    of ``session_days`` (days from today): ``(person, proposal, sessions)``."""
    person = insert(engine, "Person", login=login, givenName=login.title(), familyName="Tester")
    proposal = insert(
        engine,
        "Proposal",
        personId=person,
        proposalCode=code,
        proposalNumber=number,
        title=f"{login}'s proposal",
    )
    sessions = []
    for visit, days in enumerate(session_days, 1):
        start = dt.datetime.combine(TODAY + dt.timedelta(days=days), dt.time(9))
        sessions.append(
            insert(
                engine,
                "BLSession",
                proposalId=proposal,
                beamLineName=beamline,
                visit_number=visit,
                startDate=start,
                endDate=start + dt.timedelta(hours=20),
            )
        )
    return person, proposal, sessions


def refused(future) -> str:
    with pytest.raises(LoginRefused) as refusal:
        future.result(timeout=30)
    return str(refusal.value)


@pytest.fixture
def seeded(make_repo, ispyb_url, ispyb_engine) -> tuple[HardwareRepository, DemoIds]:
    """The beamline on the test MariaDB holding the demo (beamline password checked)."""
    repo = make_repo(ispyb_url, password_check="local", local_user="local",
                     local_password_hash=PASSWORD_HASH)  # fmt: skip
    return repo, seed_demo(ispyb_engine, BEAMLINE, pucks_of(repo))


def test_login_names_the_person_proposal_and_session_in_a_worker_thread(seeded, ispyb_url) -> None:
    repo, ids = seeded
    lims = repo.get("lims")
    assert isinstance(lims, AbstractLims)
    heard: list[tuple[str, object, str]] = []
    lims.connect(
        "loginChanged", lambda d: heard.append(("login", d, threading.current_thread().name))
    )
    lims.connect("samplesChanged", lambda: heard.append(("samples", None, "")))
    lims.connect("limsStatusChanged", lambda d: heard.append(("status", d, "")))

    result = lims.login("demo", BEAMLINE_PASSWORD, "mx1234").result(timeout=30)

    assert (result.user, result.proposal, result.proposal_title) == (
        "demo",
        "mx1234",
        "Demo proposal",
    )
    assert result.person is not None and result.person.full_name == "Demo User"
    assert result.proposal_id == ids.proposal_id and not result.offline
    assert [s.session_id for s in result.sessions] == [ids.session_today]
    assert result.session_id == ids.session_today  # the only one today: chosen
    assert lims.get_login() is result
    kinds = [kind for kind, _, _ in heard]
    assert kinds == ["status", "login", "samples"]
    status, login, thread = heard[0][1], heard[1][1], heard[1][2]
    assert status == {
        "online": True,
        "reason": "",
        "database": redacted(ispyb_url),
        **{"waiting": 0, "failed": 0, "refused": 0, "problem": ""},  # the outbox's (issue 14)
    }
    assert login == result.as_dict() and login["name"] == "Demo User"
    assert thread != threading.current_thread().name and "LIMS" in thread


def test_wrong_password_unknown_user_unknown_proposal_and_not_a_member(seeded, ispyb_engine):
    repo, _ = seeded
    lims = repo.get("lims")
    add_proposal(ispyb_engine, "jdoe", "mx", "2001")
    assert refused(lims.login("demo", "guess", "mx1234")) == "wrong password for demo"
    assert refused(lims.login("nobody", BEAMLINE_PASSWORD)) == (
        "unknown user 'nobody': no such login in the LIMS"
    )
    assert refused(lims.login("demo", BEAMLINE_PASSWORD, "mx9999")) == "unknown proposal mx9999"
    assert refused(lims.login("demo", BEAMLINE_PASSWORD, "mx2001")) == (
        "demo is not a member of proposal mx2001"
    )
    assert "expected a code and a number" in refused(lims.login("demo", "x", "1234"))
    assert lims.get_login() is None  # nothing refused logged anybody in


def test_no_session_today_on_this_beamline_is_refused_naming_the_next(seeded, ispyb_engine):
    repo, _ = seeded
    lims = repo.get("lims")
    add_proposal(ispyb_engine, "later", "mx", "3001", session_days=(-7, 2))
    add_proposal(ispyb_engine, "elsewhere", "mx", "3002", beamline="OTHER-BL")
    later = (TODAY + dt.timedelta(days=2)).strftime("%Y-%m-%d")
    assert refused(lims.login("later", BEAMLINE_PASSWORD, "mx3001")) == (
        f"proposal mx3001 has no session on {BEAMLINE} today (the next one starts {later} 09:00)"
    )
    assert refused(lims.login("elsewhere", BEAMLINE_PASSWORD, "mx3002")) == (
        f"proposal mx3002 has no session on {BEAMLINE} today"
    )
    assert "no proposal of later (mx3001) has a session" in refused(
        lims.login("later", BEAMLINE_PASSWORD)
    )


def test_the_session_object_follows_the_proposal_and_the_chosen_session(seeded, ispyb_engine):
    repo, ids = seeded
    lims, session = repo.get("lims"), repo.get("session")
    # two sessions today: one since yesterday 09:00 (to 05:00 tomorrow), one from 09:00
    _, proposal, (overnight_id, today_id) = add_proposal(
        ispyb_engine, "jdoe", "mx", "2001", session_days=(-1, 0)
    )
    with ispyb_engine.begin() as connection:  # not ended: one that has is not offered
        connection.execute(
            sa.text("UPDATE BLSession SET endDate = :end WHERE sessionId = :id"),
            {
                "end": dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(5)),
                "id": overnight_id,
            },
        )
    directories: list[str] = []
    session.connect(
        "sessionChanged", lambda _: directories.append(session.get_base_data_directory())
    )
    yesterday = TODAY - dt.timedelta(days=1)

    result = lims.login("jdoe", BEAMLINE_PASSWORD).result(timeout=30)  # no proposal: the one

    assert result.proposal == "mx2001" and result.session is None  # two today: to choose
    assert [s.session_id for s in result.sessions] == [overnight_id, today_id]
    assert session.get_proposal() == "mx2001"
    assert directories[-1].endswith(f"/mx2001/{TODAY:%Y%m%d}")
    chosen = lims.select_session(overnight_id).result(timeout=30)
    assert chosen.session_id == overnight_id and lims.get_login().session_id == overnight_id
    assert directories[-1].endswith(f"/mx2001/{yesterday:%Y%m%d}")  # the session's start
    assert session.get_session_start_date() == f"{yesterday:%Y%m%d}"
    assert [s.session_id for s in lims.get_sessions().result(timeout=30)] == [
        overnight_id,
        today_id,
    ]
    with pytest.raises(ValueError, match=f"session {ids.session_today} is not one of mx2001's"):
        lims.select_session(ids.session_today).result(timeout=30)
    lims.logout().result(timeout=30)
    assert lims.get_login() is None and session.get_proposal() == "mx1234"
    assert directories[-1].endswith(f"/mx1234/{TODAY:%Y%m%d}")
    with pytest.raises(LimsUnavailable, match="nobody is logged in"):
        lims.get_samples().result(timeout=30)


def test_the_proposal_itself_logs_in_and_sees_all_its_sessions(seeded) -> None:
    repo, ids = seeded
    lims = repo.get("lims")
    result = lims.login("MX1234", BEAMLINE_PASSWORD).result(timeout=30)  # as at the ESRF
    assert result.proposal == "mx1234" and result.person.login == "demo"
    everything = lims.get_sessions(all_sessions=True).result(timeout=30)
    assert [s.session_id for s in everything] == [
        ids.session_last_week,
        ids.session_today,
        ids.session_tomorrow,
    ]
    assert [s.start.date() - TODAY for s in everything] == [
        dt.timedelta(days=-7),
        dt.timedelta(0),
        dt.timedelta(days=1),
    ]


def test_samples_from_mariadb_match_the_sample_changer(seeded, ispyb_engine) -> None:
    repo, ids = seeded
    lims, changer = repo.get("lims"), repo.get("sample_changer")
    lims.login("demo", BEAMLINE_PASSWORD).result(timeout=30)
    samples = lims.get_samples().result(timeout=30)
    present = [s for p in changer.get_contents() for s in p.samples if s.present]
    assert [s.address for s in samples] == [s.address for s in present]
    assert sorted(s.sample_id for s in samples) == sorted(ids.sample_ids)
    for sample in samples:
        in_changer = changer.get_sample(sample.address)
        assert (sample.name, sample.barcode, sample.acronym) == (
            in_changer.name,
            in_changer.barcode,
            in_changer.protein_acronym,
        )
        puck = changer.get_contents()[sample.puck - 1]
        assert (sample.container_code, sample.container_barcode) == (puck.name, puck.barcode)
    hewl = next(s for s in samples if s.acronym == "HEWL")
    assert hewl.space_group == "P43212" and hewl.cell == (79.1, 79.1, 37.9, 90.0, 90.0, 90.0)
    # the rows as SQL sees them (the traps of docs/lims.md: no priority pipeline 6)
    first = rows(
        ispyb_engine,
        "SELECT s.name, s.location, c.sampleChangerLocation, c.priorityPipelineId "
        "FROM BLSample s JOIN Container c USING (containerId) WHERE s.blSampleId = :id",
        id=samples[0].sample_id,
    )
    assert first == [
        {
            "name": samples[0].name,
            "location": str(samples[0].pin),
            "sampleChangerLocation": str(samples[0].puck),
            "priorityPipelineId": None,
        }
    ]


def test_database_down_at_login_logs_in_locally_offline(seeded, mariadb) -> None:
    repo, _ = seeded
    lims = repo.get("lims")
    statuses: list[dict] = []
    lims.connect("limsStatusChanged", statuses.append)
    mariadb.stop(signal.SIGKILL)

    result = lims.login("local", BEAMLINE_PASSWORD, "mx1234").result(timeout=30)

    assert result.offline and result.proposal == "mx1234"
    assert result.session is None and result.proposal_id is None and result.person is None
    assert re.search(r"Can't connect .*\(error 2003\)", result.offline_reason)
    assert lims.get_login().as_dict()["offline"] is True
    assert statuses[-1]["online"] is False and statuses[-1]["reason"] == result.offline_reason
    assert repo.get("session").get_proposal() == "mx1234"
    assert lims.get_samples().result(timeout=30) == []  # no LIMS samples offline
    assert lims.get_sessions().result(timeout=30) == []

    message = refused(lims.login("local", "wrong", "mx1234"))
    assert message.startswith("the LIMS database cannot be reached (Can't connect")
    assert message.endswith("and the local login failed: wrong user or password")
    assert "local login failed" in refused(lims.login("demo", BEAMLINE_PASSWORD, "mx1234"))
    assert "give the proposal" in refused(lims.login("local", BEAMLINE_PASSWORD))

    mariadb.start()  # back: the same object logs in online again
    again = lims.login("demo", BEAMLINE_PASSWORD, "mx1234").result(timeout=30)
    assert not again.offline and statuses[-1]["online"] is True


def test_database_down_without_a_local_login_says_so(make_repo, ispyb_url, mariadb) -> None:
    lims = make_repo(ispyb_url).get("lims")
    mariadb.stop()
    message = refused(lims.login("demo", "", "mx1234"))
    assert message.startswith("the LIMS database cannot be reached (")
    assert message.endswith("and no local login is configured")


def test_a_schema_too_old_is_named_at_login(make_repo, mariadb) -> None:
    mariadb.create_database("ispyb_old")
    url = mariadb.url("ispyb_old")
    engine = make_engine(url)
    try:
        create_schema(engine)
        with engine.begin() as connection:
            connection.execute(sa.text("ALTER TABLE Container DROP COLUMN sampleChangerLocation"))
    finally:
        engine.dispose()
    lims = make_repo(url).get("lims")
    message = refused(lims.login("demo", "", "mx1234"))
    assert message == (
        f"the LIMS database {redacted(url)} is not usable: "
        "table Container has no column sampleChangerLocation (schema too old?)"
    )
    assert lims.get_status()["online"] is False
    assert "sampleChangerLocation" in lims.get_status()["reason"]


def test_the_embedded_default_comes_up_with_the_demo_and_the_sample_changers_samples(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path / "data"))
    repo = HardwareRepository([SIMULATED])
    try:
        lims, changer = repo.get("beamline").role("lims"), repo.get("sample_changer")
        assert isinstance(lims, AbstractLims)
        assert not (tmp_path / "data").exists(), "nothing is written at start"

        result = lims.login("demo", "").result(timeout=60)

        database = tmp_path / "data" / ".mxgui" / "lims.sqlite"
        assert database.is_file() and not list(database.parent.glob("*.part*"))
        assert result.proposal == "mx1234" and result.proposal_title == "Demo proposal"
        assert result.session is not None and result.session.covers(TODAY)
        samples = lims.get_samples().result(timeout=30)
        present = {s.address: s for p in changer.get_contents() for s in p.samples if s.present}
        assert {s.address: (s.name, s.barcode, s.acronym) for s in samples} == {
            a: (s.name, s.barcode, s.protein_acronym) for a, s in present.items()
        }
        engine = make_engine(f"sqlite:///{database}")
        try:
            assert scalar(engine, "SELECT COUNT(*) FROM BLSample") == len(present)
            assert (
                scalar(engine, "SELECT COUNT(*) FROM BLSession WHERE beamLineName = 'SIM-MX'") == 3
            )
        finally:
            engine.dispose()
    finally:
        repo.shutdown()
    repo = HardwareRepository([SIMULATED])  # a restart reads the same file, seeds nothing
    try:
        lims = repo.get("lims")
        assert lims.login("mx1234", "").result(timeout=30).proposal_id == result.proposal_id
        assert len(lims.get_samples().result(timeout=30)) == len(samples)
    finally:
        repo.shutdown()


@pytest.mark.parametrize(
    ("prop", "value", "message"),
    [
        ("password_check", "ldap", "password_check ldap needs ldap_url, e.g. ldaps://"),
        ("ldap_url", "ldap.example.org", "password_check ldap needs ldap_url"),
        (
            "password_check",
            "kerberos",
            "password_check 'kerberos': expected one of none, local, ldap",
        ),
        ("local_password_hash", "plain-text", "password hash: expected pbkdf2_sha256"),
        ("url", "ispyb-db:3306", "url: expected an SQLAlchemy URL"),
        ("io_timeout", "0", "io_timeout must be a positive number"),
    ],
)
def test_bad_configuration_is_named_with_its_line(
    make_repo, tmp_path, prop, value, message
) -> None:
    extra = {"url": "sqlite:////nowhere/lims.sqlite", "local_user": "local"}
    extra["local_password_hash"] = PASSWORD_HASH
    if prop == "ldap_url":
        extra["password_check"] = "ldap"
    extra[prop] = value
    repo = make_repo(**extra)
    with pytest.raises(HardwareObjectError) as error:
        repo.get("lims")
    written = tmp_path / "repo0" / "lims.xml"
    line = line_of(written, f"<{prop}>{value}</{prop}>")
    assert str(error.value).startswith(f"{written}:{line}: {message}")


def test_password_hashes_are_salted_checked_and_made_by_a_one_line_command() -> None:
    first, second = make_hash("secret", iterations=1000), make_hash("secret", iterations=1000)
    assert first != second and first.startswith("pbkdf2_sha256$1000$")  # salted
    assert check_password("secret", first) and not check_password("Secret", first)
    with pytest.raises(ValueError, match=r"expected pbkdf2_sha256\$<iterations>"):
        check_password("secret", "md5$abc")
    with pytest.raises(ValueError, match="iterations must be 1-10000000"):
        parse_hash("pbkdf2_sha256$99999999999$00$" + "00" * 32)
    made = subprocess.run(
        [sys.executable, "-m", "mxgui.core.lims.passwords", "--stdin", "--iterations", "2000"],
        input="beamline password\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert check_password("beamline password", made.stdout.strip())
    assert made.stdout.count("\n") == 1 and "beamline password" not in made.stdout


def test_the_simulated_session_takes_a_start_date_and_refuses_a_malformed_one(repo) -> None:
    session = repo.get("session")
    heard: list[str] = []
    session.connect("sessionChanged", heard.append)
    session.set_session_start_date("20260301")
    assert session.get_base_data_directory().endswith("/mx1234/20260301")
    for bad in ("2026-03-01", "2026031", "20261341"):
        with pytest.raises(ValueError, match=f"session start date '{bad}': expected YYYYMMDD"):
            session.set_session_start_date(bad)
    session.set_session_start_date(None)
    assert session.get_session_start_date() == f"{dt.date.today():%Y%m%d}"
    assert heard == ["mx1234", "mx1234"]


def test_a_url_of_another_database_is_refused_at_login_without_its_password(make_repo) -> None:
    lims = make_repo("postgresql://ispyb:secret@db.example.org/ispyb").get("lims")
    message = refused(lims.login("demo", "", "mx1234"))
    assert message == (
        "database URL postgresql://ispyb:***@db.example.org/ispyb: "
        "expected mysql+pymysql://... or sqlite:///..., not postgresql"
    )
    assert lims.get_status() == {
        "online": False,
        "reason": message,
        "database": "postgresql://ispyb:***@db.example.org/ispyb",
        # the outbox of writes (issue 14): empty, and its file fine
        "waiting": 0,
        "failed": 0,
        "refused": 0,
        "problem": "",
    }


def test_check_names_a_database_that_does_not_answer_and_writes_nothing(
    make_repo, ispyb_url, mariadb, tmp_path
) -> None:
    lims = make_repo(ispyb_url).get("lims")
    assert lims.startup_problems() == []
    mariadb.stop()
    (problem,) = lims.startup_problems()
    written = tmp_path / "repo0" / "lims.xml"
    assert problem.startswith(f"{written}:{line_of(written, '<url>')}: check: the LIMS database ")
    assert "cannot be reached (Can't connect" in problem
    embedded = make_repo("sqlite:///" + str(tmp_path / "new" / "lims.sqlite")).get("lims")
    assert embedded.startup_problems() == [] and not (tmp_path / "new").exists()


def test_a_hung_database_at_login_ends_in_the_local_login_after_the_io_timeout(
    make_repo, ispyb_url, ispyb_engine, mariadb
) -> None:
    seed_demo(ispyb_engine, BEAMLINE, [])
    repo = make_repo(ispyb_url, connect_timeout="1", io_timeout="2", local_user="local",
                     local_password_hash=PASSWORD_HASH)  # fmt: skip
    lims = repo.get("lims")
    os.kill(mariadb.process.pid, signal.SIGSTOP)  # accepts connections, answers nothing
    try:
        result = lims.login("local", BEAMLINE_PASSWORD, "mx1234").result(timeout=60)
    finally:
        os.kill(mariadb.process.pid, signal.SIGCONT)
    assert result.offline and "timed out" in result.offline_reason
    assert lims.get_status()["online"] is False
    online = lims.login("demo", BEAMLINE_PASSWORD, "mx1234").result(timeout=60)
    assert not online.offline and lims.get_status()["online"] is True


def test_the_database_lost_after_login_is_said_and_found_again(seeded, mariadb) -> None:
    repo, ids = seeded
    lims = repo.get("lims")
    lims.login("demo", BEAMLINE_PASSWORD, "mx1234").result(timeout=30)
    mariadb.stop(signal.SIGKILL)
    with pytest.raises(LimsUnavailable, match=r"^samples: the LIMS database cannot be reached"):
        lims.get_samples().result(timeout=30)
    assert lims.get_status()["online"] is False
    assert lims.get_login().proposal == "mx1234"  # the login stays
    mariadb.start()
    assert len(lims.get_samples().result(timeout=30)) == len(ids.sample_ids)
    assert lims.get_status()["online"] is True


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[PrivateSlapd]:
    """A private OpenLDAP server holding ``demo`` (password ``ldap-secret``)."""
    server = PrivateSlapd(tmp_path / "ldap", {"demo": "ldap-secret"})
    server.start()
    yield server
    server.stop()


def test_ldap_checks_the_password_with_a_bind_as_the_user(
    make_repo, ispyb_url, ispyb_engine, slapd
) -> None:
    repo = make_repo(ispyb_url, password_check="ldap", ldap_url=slapd.url,
                     ldap_base_dn=slapd.people_dn, ldap_ca_file=slapd.ca_file)  # fmt: skip
    seed_demo(ispyb_engine, BEAMLINE, [])
    lims = repo.get("lims")
    result = lims.login("demo", "ldap-secret", "mx1234").result(timeout=30)
    assert result.proposal == "mx1234" and not result.offline
    assert refused(lims.login("demo", "wrong", "mx1234")) == "wrong password for demo"
    assert (
        refused(lims.login("demo", "", "mx1234")) == "wrong password for demo"
    )  # no anonymous bind
    # a typed name cannot change the DN bound (as a DN, this one would be demo's entry)
    assert user_dn("x,uid=demo", slapd.people_dn) == rf"uid=x\,uid\=demo,{slapd.people_dn}"
    assert not ldap_password_ok(
        slapd.url, slapd.people_dn, "x,uid=demo", "ldap-secret", 5, str(slapd.ca_file)
    )
    slapd.stop()
    assert refused(lims.login("demo", "ldap-secret", "mx1234")).startswith(
        f"the LDAP server {slapd.url} cannot be reached ("
    )
