"""The embedded demo LIMS over the days: ``mxgui`` with no arguments can be logged in to
on any day after its file was made, and its sessions are chosen as a user expects."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from mxgui.core.lims import clock
from mxgui.core.lims.database import make_engine
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED
from lims_fixtures import rows

# what a login in the day sees, at any hour (conftest's lims_daytime)
pytestmark = pytest.mark.usefixtures("lims_daytime")


def _database(data: Path) -> Path:
    return data / ".mxgui" / "lims.sqlite"


def _move_sessions(database: Path, days: int) -> None:
    """As if the demo file had been made ``days`` days ago."""
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "UPDATE BLSession SET startDate = datetime(startDate, :shift), "
                    "endDate = datetime(endDate, :shift)"
                ),
                {"shift": f"-{days} days"},
            )
    finally:
        engine.dispose()


def _login_demo(user: str = "demo"):
    repo = HardwareRepository([SIMULATED])
    try:
        return repo.get("lims").login(user, "").result(timeout=60)
    finally:
        repo.shutdown()


@pytest.mark.parametrize("user", ["demo", "mx1234"])
def test_the_demo_logs_in_on_the_third_day_into_a_session_running_now(
    tmp_path, monkeypatch, user
) -> None:
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path / "data"))
    first = _login_demo()
    assert first.session is not None
    database = _database(tmp_path / "data")
    _move_sessions(database, 3)

    later = _login_demo(user)

    now = clock.now()
    assert later.proposal == "mx1234" and later.session is not None
    assert later.session.start <= now < later.session.end
    assert later.session.start.time() == dt.time(8, 0)
    engine = make_engine(f"sqlite:///{database}")
    try:
        added = rows(
            engine,
            "SELECT s.visit_number, p.login FROM BLSession s JOIN Session_has_Person h "
            "ON h.sessionId = s.sessionId JOIN Person p ON p.personId = h.personId "
            "WHERE s.sessionId = :id",
            id=later.session.session_id,
        )
        assert added == [{"visit_number": 4, "login": "demo"}]  # after the three seeded
    finally:
        engine.dispose()
    assert _login_demo(user).session.session_id == later.session.session_id  # added once


def test_a_session_that_ended_this_morning_is_not_offered_at_login(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path / "data"))
    _login_demo()  # makes the file
    now = clock.now().replace(microsecond=0)
    engine = make_engine(f"sqlite:///{_database(tmp_path / 'data')}")
    try:
        with engine.begin() as connection:
            shift = sa.text(
                "UPDATE BLSession SET startDate = :start, endDate = :end WHERE visit_number = :v"
            )
            hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
            ended = now - dt.timedelta(minutes=1)  # 08:00 to 08:00, ended this morning
            connection.execute(shift, {"start": ended - day, "end": ended, "v": 3})
            connection.execute(shift, {"start": now - hour, "end": now - hour + day, "v": 2})
        running = rows(engine, "SELECT sessionId FROM BLSession WHERE visit_number = 2")
    finally:
        engine.dispose()

    result = _login_demo()

    assert [s.session_id for s in result.sessions] == [running[0]["sessionId"]]
    assert result.session is not None and result.session.session_id == running[0]["sessionId"]


RACER = """
import os, sys, time
from pathlib import Path
sys.path.insert(0, {tests!r})
from helpers import SIMULATED
from mxgui.core.repository import HardwareRepository
import ispyb.sqlalchemy  # imported before the start, so that the processes overlap
repo = HardwareRepository([SIMULATED])
lims = repo.get("lims")
go = Path({go!r})
while not go.exists():
    time.sleep(0.005)
try:
    result = lims.login("demo", "").result(timeout=120)
    print("logged in", result.proposal, result.session_id)
finally:
    repo.shutdown()
"""


def test_first_starts_at_the_same_time_make_one_whole_demo_database(tmp_path) -> None:
    import subprocess
    import sys

    from helpers import ROOT

    go = tmp_path / "go"
    script = RACER.format(tests=str(ROOT / "tests"), go=str(go))
    env = {**__import__("os").environ, "MXGUI_DATA_DIR": str(tmp_path / "data")}
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    time.sleep(0.1)
    go.touch()  # not a measurement: the processes wait for it to start together
    outputs = [racer.communicate(timeout=240) for racer in racers]
    for racer, (out, err) in zip(racers, outputs):
        assert racer.returncode == 0, err[-3000:]
        assert out.startswith("logged in mx1234 "), (out, err[-2000:])
    database = _database(tmp_path / "data")
    assert [p.name for p in database.parent.iterdir() if ".part" in p.name] == []
    engine = make_engine(f"sqlite:///{database}")
    try:
        assert rows(engine, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
        assert rows(engine, "SELECT COUNT(*) AS n FROM Proposal") == [{"n": 1}]
        assert rows(engine, "SELECT COUNT(*) AS n FROM BLSession") == [{"n": 3}]
    finally:
        engine.dispose()


def test_demo_rows_are_checked_as_the_writer_checks_them(tmp_path) -> None:
    from mxgui.core.lims.database import create_schema
    from mxgui.core.lims.demo_data import DemoPin, DemoPuck, seed_demo
    from mxgui.core.lims.ispyb_rows import PayloadError

    engine = make_engine(f"sqlite:///{tmp_path / 'lims.sqlite'}")  # SQLite checks no length
    try:
        create_schema(engine)
        puck = DemoPuck(index=1, code="P" * 300, pins=(DemoPin(1, "lyso-1"),))
        with pytest.raises(PayloadError, match=r"the demo: Container\.code: 300 characters"):
            seed_demo(engine, "SIM-MX", [puck])
        assert rows(engine, "SELECT COUNT(*) AS n FROM Person") == [{"n": 0}]  # all or nothing
    finally:
        engine.dispose()
