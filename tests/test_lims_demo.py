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
