"""The LIMS in the GUI: the login dialog at start, the LIMS field of the status bar,
offline login, log out. On the simulated beamline with its embedded LIMS (SQLite in the
test's data directory) or an unreachable MariaDB URL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QToolButton

from mxgui.core.lims import records
from mxgui.core.lims.database import make_engine
from mxgui.core.lims.passwords import make_hash
from mxgui.demo_servers.mariadb import free_tcp_port

from helpers import SIMULATED

# what a login in the day sees, at any hour (conftest's lims_daytime)
pytestmark = pytest.mark.usefixtures("lims_daytime")


def login_dialog(app):
    dialog = app.lims_status.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def type_login(qtbot, dialog, user: str, password: str = "", proposal: str = "") -> None:
    for edit, text in (
        (dialog.user_edit, user),
        (dialog.password_edit, password),
        (dialog.proposal_edit, proposal),
    ):
        edit.clear()
        qtbot.keyClicks(edit, text)
    qtbot.mouseClick(dialog.login_button, Qt.LeftButton)


def test_the_demo_logs_in_from_the_dialog_shown_at_start(make_app, qtbot) -> None:
    app = make_app(login_dialog=True)
    dialog = login_dialog(app)
    assert app.lims_status.text() == "LIMS: not logged in"
    assert "user demo, any password" in dialog.hint.text() and dialog.hint.isVisible()
    type_login(qtbot, dialog, "demo")
    qtbot.waitUntil(lambda: app.lims_status.dialog is None, timeout=60000)  # closed
    text = app.lims_status.text()
    assert text.startswith("LIMS: demo on mx1234 (session ") and text.endswith("online")
    session = app.repository.get("/session")
    assert session.get_proposal() == "mx1234"
    assert "/mx1234/" in session.get_base_image_directory()


def test_an_unknown_proposal_is_named_in_red_and_the_dialog_stays(make_app, qtbot) -> None:
    app = make_app(login_dialog=True)
    dialog = login_dialog(app)
    type_login(qtbot, dialog, "demo", proposal="mx9999")
    qtbot.waitUntil(lambda: "mx9999" in dialog.message.text(), timeout=60000)
    assert "b71c1c" in dialog.message.styleSheet()  # red
    assert dialog.isVisible() and dialog.login_button.isEnabled()
    assert app.lims_status.text() == "LIMS: not logged in"


def test_with_the_database_down_the_local_login_is_shown_offline(make_app, qtbot, tmp_path):
    overrides = tmp_path / "repo"
    overrides.mkdir()
    port = free_tcp_port()  # nothing listens there
    (overrides / "lims.xml").write_text(
        f"""<object class="lims.ispyb_lims.IspybLims">
  <object href="/session" role="session"/>
  <url>mysql+pymysql://ispyb@127.0.0.1:{port}/ispyb</url>
  <beamline_name>SIM-MX</beamline_name>
  <connect_timeout>1</connect_timeout>
  <password_check>local</password_check>
  <local_user>opid23</local_user>
  <local_password_hash>{make_hash("beamline secret")}</local_password_hash>
</object>"""
    )
    app = make_app(repository_dirs=[overrides, SIMULATED], login_dialog=True)
    dialog = login_dialog(app)
    assert not dialog.hint.isVisible()  # a real database: no demo hint
    assert str(port) in dialog.title.text() and "ispyb@127.0.0.1" in dialog.title.text()
    type_login(qtbot, dialog, "opid23", "wrong", "mx2042")
    qtbot.waitUntil(lambda: dialog.login_button.isEnabled(), timeout=30000)
    assert "b71c1c" in dialog.message.styleSheet() and dialog.isVisible()
    type_login(qtbot, dialog, "opid23", "beamline secret", "mx2042")
    qtbot.waitUntil(lambda: "OFFLINE" in dialog.message.text(), timeout=30000)
    assert "a65b00" in dialog.message.styleSheet() and dialog.isVisible()  # read, then gone
    qtbot.waitUntil(lambda: app.lims_status.dialog is None, timeout=30000)
    text = app.lims_status.text()
    assert text.startswith("LIMS: opid23 on mx2042") and "OFFLINE" in text
    assert "a65b00" in app.lims_status.styleSheet()  # orange
    assert str(port) in app.lims_status.toolTip()  # the database it could not reach
    assert app.repository.get("/session").get_proposal() == "mx2042"


def test_log_out_from_the_status_bar(make_app, qtbot) -> None:
    app = make_app()
    assert app.lims_status.dialog is None  # "Not now" at start
    lims = app.repository.get("/lims")
    lims.login("demo", "").result(timeout=60)
    qtbot.waitUntil(lambda: "demo on mx1234" in app.lims_status.text(), timeout=5000)
    assert app.lims_status.logout_action.isVisible()
    app.lims_status.logout_action.trigger()
    qtbot.waitUntil(lambda: app.lims_status.text() == "LIMS: not logged in", timeout=10000)
    assert app.lims_status.login_action.isVisible()
    app.lims_status.login_action.trigger()
    assert login_dialog(app).user_edit.text() == ""


def test_a_beamline_without_lims_shows_no_lims_field(make_app, tmp_path: Path) -> None:
    overrides = tmp_path / "repo"
    overrides.mkdir()
    beamline = (SIMULATED / "beamline.xml").read_text()
    (overrides / "beamline.xml").write_text(
        "\n".join(line for line in beamline.splitlines() if 'role="lims"' not in line)
    )
    app = make_app(repository_dirs=[overrides, SIMULATED])
    assert app.lims_status is None
    assert app.windows[0].statusBar().findChildren(QToolButton, "lims_status") == []


def test_not_now_while_the_login_runs_leaves_no_error_and_the_status_bar_says_it(
    make_app, qtbot, caplog
) -> None:
    app = make_app(login_dialog=True)
    dialog = login_dialog(app)
    dialog.user_edit.setText("demo")
    dialog.log_in()  # the embedded database is made on this first login: it takes a while
    assert dialog.busy
    dialog.reject()  # "Not now"
    qtbot.waitUntil(lambda: "demo on mx1234" in app.lims_status.text(), timeout=60000)
    qtbot.wait(200)  # the dialog's own answer, posted after the login, arrives
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    assert app.lims_status.dialog is None


def test_a_corrupt_outbox_is_said_in_the_status_bar(make_app, tmp_path: Path) -> None:
    outbox = tmp_path / "outbox.sqlite"
    outbox.write_bytes(b"this is no SQLite file" * 100)
    overrides = tmp_path / "repo"
    overrides.mkdir()
    text = (SIMULATED / "lims.xml").read_text()
    (overrides / "lims.xml").write_text(
        text.replace("<outbox_file></outbox_file>", f"<outbox_file>{outbox}</outbox_file>")
    )
    app = make_app(repository_dirs=[overrides, SIMULATED])
    button = app.lims_status
    assert button.text().endswith("outbox problem") and "b71c1c" in button.styleSheet()
    tooltip = button.toolTip()
    assert f"outbox {outbox} is not an SQLite database" in tooltip
    assert f"set aside as {outbox}.corrupt-" in tooltip and "a new one started" in tooltip


def test_failed_writes_are_sent_again_from_the_status_bar_menu(make_app, qtbot) -> None:
    """A write refused for want of a session is shown failed with the menu's "Send failed
    LIMS writes again"; once the session exists, the action stores it (review 14b, 3)."""
    app = make_app()
    lims = app.repository.get("/lims")
    lims.login("demo", "").result(timeout=60)
    button = app.lims_status
    qtbot.waitUntil(lambda: "demo on mx1234" in button.text(), timeout=5000)
    assert not button.send_again_action.isVisible()
    today = dt.date.today().isoformat()
    lookup = records.session_lookup("mx", "1234", "SIM-OTHER", today, at=f"{today} 12:00:00")
    key = lims.recorder.record("session_lookup", lookup, "test:lookup")
    qtbot.waitUntil(lambda: lims.recorder.outbox.status_of(key)[0] == "failed", timeout=30000)
    qtbot.waitUntil(lambda: "1 failed" in button.text(), timeout=5000)
    assert button.send_again_action.isVisible()

    engine = make_engine(f"sqlite:///{lims._embedded_path()}")
    with engine.begin() as c:  # the user office gives the proposal a session there
        c.execute(
            sa.text(
                "INSERT INTO BLSession (proposalId, beamLineName, visit_number, startDate, endDate)"
                " SELECT proposalId, 'SIM-OTHER', 99, :start, :end FROM Proposal"
                " WHERE proposalCode = 'mx' AND proposalNumber = '1234'"
            ),
            {"start": f"{today} 00:00:00", "end": f"{today} 23:59:59"},
        )
    engine.dispose()
    button.send_again_action.trigger()
    qtbot.waitUntil(lambda: lims.recorder.outbox.status_of(key)[0] == "stored", timeout=30000)
    qtbot.waitUntil(lambda: "failed" not in button.text(), timeout=5000)
    assert not button.send_again_action.isVisible()
