"""The embedded demo LIMS over the days: ``mxgui`` with no arguments can be logged in to
on any day after its file was made, and its sessions are chosen as a user expects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from mxgui.core.lims.database import make_engine
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED
from lims_fixtures import rows


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

    now = dt.datetime.now()
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
    now = dt.datetime.now().replace(microsecond=0)
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
