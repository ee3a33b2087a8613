"""The login dialog: user, password and proposal, then the session when there are several.

Every LIMS call runs in the LIMS object's worker thread; its Future's end is posted back
to the GUI thread through the bridge, so the dialog never freezes while the database is
slow or down. The dialog is not modal: the beamline can be watched (and the queue run)
while nobody is logged in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future

from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.abstract.lims import AbstractLims, LimsUnavailable, LoginRefused, LoginResult
from mxgui.gui.bridge import GuiBridge

log = logging.getLogger(__name__)

ERROR_STYLE = "color: #b71c1c; font-weight: bold;"
OFFLINE_STYLE = "color: #a65b00; font-weight: bold;"
#: how long the dialog shows that a login is offline before it closes by itself
OFFLINE_MESSAGE_MS = 4000


def session_text(session: dict[str, object]) -> str:
    """``"42: SIM-MX, 2026-12-07 09:00 - 2026-12-09 09:00"`` for a session's dict."""
    start, end = str(session.get("start") or "")[:16], str(session.get("end") or "")[:16]
    return f"{session.get('session_id')}: {session.get('beamline')}, {start} - {end}"


class LoginDialog(QDialog):
    """Asks for user, password and proposal and logs in through the ``lims`` object; then
    lets the user choose one of today's sessions when there are several.

    Refusals (wrong password, unknown proposal, no session today, the database down and
    no local login) are shown in the dialog in red; an offline (local) login is shown in
    orange with the reason before the dialog closes by itself.
    """

    def __init__(self, lims: AbstractLims, bridge: GuiBridge, parent: QWidget | None = None):
        super().__init__(parent)
        self.lims = lims
        self.bridge = bridge
        self.setWindowTitle("mxgui: log in to the LIMS")
        self.setObjectName("lims_login_dialog")
        self.setMinimumWidth(440)
        self.user_edit = QLineEdit()
        self.user_edit.setObjectName("lims_user")
        self.password_edit = QLineEdit()
        self.password_edit.setObjectName("lims_password")
        self.password_edit.setEchoMode(QLineEdit.Password)
        self.proposal_edit = QLineEdit()
        self.proposal_edit.setObjectName("lims_proposal")
        self.proposal_edit.setPlaceholderText("e.g. mx1234 (empty: yours with a session today)")
        self.session_box = QComboBox()
        self.session_box.setObjectName("lims_session")
        self.session_label = QLabel("Session")
        database = str(lims.get_status().get("database") or "")
        self.title = QLabel(f"Log in to the LIMS{f' ({database})' if database else ''}")
        self.title.setWordWrap(True)
        self.hint = QLabel(lims.login_hint())
        self.hint.setObjectName("lims_hint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #555;")
        self.message = QLabel()
        self.message.setObjectName("lims_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("User", self.user_edit)
        form.addRow("Password", self.password_edit)
        form.addRow("Proposal", self.proposal_edit)
        form.addRow(self.session_label, self.session_box)
        self.login_button = QPushButton("Log in")
        self.login_button.setObjectName("lims_login")
        self.login_button.setDefault(True)
        self.choose_button = QPushButton("Use this session")
        self.choose_button.setObjectName("lims_choose_session")
        buttons = QDialogButtonBox()
        buttons.addButton(self.login_button, QDialogButtonBox.AcceptRole)
        buttons.addButton(self.choose_button, QDialogButtonBox.AcceptRole)
        close = buttons.addButton("Not now", QDialogButtonBox.RejectRole)
        close.setToolTip("close; log in later from the LIMS field of the status bar")
        # the buttons' own accepted() would close the dialog before the LIMS answers
        self.login_button.clicked.connect(self.log_in)
        self.choose_button.clicked.connect(self.choose_session)
        close.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.hint.setVisible(bool(self.hint.text()))  # once in the layout: never a window
        self._show_sessions([])
        self.busy = False
        #: closed (by the user, or after a login): a LIMS answer arriving later is only logged
        self.closed = False
        self.finished.connect(self._closing)
        #: closes the dialog a moment after an offline login, once its message was seen
        self.offline_close = QTimer(self)
        self.offline_close.setSingleShot(True)
        self.offline_close.setInterval(OFFLINE_MESSAGE_MS)
        self.offline_close.timeout.connect(self.accept)

    # logging in -------------------------------------------------------------------------
    def log_in(self) -> None:
        """Send the login to the LIMS (its worker thread); the answer comes back later."""
        if self.busy:
            return
        user, password = self.user_edit.text().strip(), self.password_edit.text()
        if not user:
            self._say("type your user name (or the proposal, e.g. mx1234)", ERROR_STYLE)
            self.user_edit.setFocus()
            return
        proposal = self.proposal_edit.text().strip() or None
        self._wait(f"logging in {user}…")
        self._when_done(self.lims.login(user, password, proposal), self._logged_in)

    def _logged_in(self, result: LoginResult) -> None:
        self.password_edit.clear()
        if result.offline:
            self._say(
                f"Logged in locally as {result.user} on {result.proposal}, OFFLINE: "
                f"{result.offline_reason}. Everything is stored when the LIMS is back.",
                OFFLINE_STYLE,
            )
            self.login_button.setEnabled(False)
            self.offline_close.start()
            return
        if result.session is not None:
            self._say(f"{result.user} on {result.proposal}, session {result.session_id}", "")
            self.accept()
            return
        sessions = [s.as_dict() for s in result.sessions]
        self._show_sessions(sessions)
        self._say(f"{result.proposal}: {len(sessions)} sessions today; choose one", "")

    def offer_sessions(self, login: LoginResult) -> None:
        """For a user already logged in: today's sessions of the proposal, the current
        one selected, to choose another."""
        self.user_edit.setText(login.user)
        self.proposal_edit.setText(login.proposal)
        self._show_sessions([s.as_dict() for s in login.sessions])
        if login.session_id is not None:
            self.session_box.setCurrentIndex(self.session_box.findData(login.session_id))
        self._say(f"{login.user} on {login.proposal}: choose the session", "")

    def choose_session(self) -> None:
        """Use the session chosen in the list."""
        session_id = self.session_box.currentData()
        if self.busy or session_id is None:
            return
        self._wait(f"choosing session {session_id}…")
        self._when_done(self.lims.select_session(int(session_id)), self._session_chosen)

    def _session_chosen(self, result: LoginResult) -> None:
        self._say(f"{result.user} on {result.proposal}, session {result.session_id}", "")
        self.accept()

    # helpers ------------------------------------------------------------------------------
    def _show_sessions(self, sessions: list[dict[str, object]]) -> None:
        self.session_box.clear()
        for session in sessions:
            self.session_box.addItem(session_text(session), session.get("session_id"))
        shown = bool(sessions)
        for widget in (self.session_label, self.session_box, self.choose_button):
            widget.setVisible(shown)
        self.login_button.setVisible(not shown)
        self.choose_button.setDefault(shown)
        self.login_button.setDefault(not shown)

    def _wait(self, text: str) -> None:
        self.busy = True
        self.login_button.setEnabled(False)
        self.choose_button.setEnabled(False)
        self._say(text, "")

    def _say(self, text: str, style: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(style)

    def _when_done(self, future: Future[LoginResult], then: Callable[[LoginResult], None]) -> None:
        def ended(done: Future[LoginResult]) -> None:
            self.bridge.post(self._ended, done, then)

        future.add_done_callback(ended)

    def _closing(self) -> None:
        self.closed = True
        self.offline_close.stop()

    def _ended(self, future: Future[LoginResult], then: Callable[[LoginResult], None]) -> None:
        if self.closed:  # "Not now" while the LIMS answered: the status bar shows the outcome
            error = future.exception()
            log.info("LIMS login ended after its dialog closed: %s", error or "logged in")
            return
        self.busy = False
        self.login_button.setEnabled(True)
        self.choose_button.setEnabled(True)
        try:
            result = future.result()
        except (LoginRefused, LimsUnavailable) as exc:
            self._say(str(exc), ERROR_STYLE)
            return
        except Exception as exc:  # noqa: BLE001 - a bug in the client: say it, keep the GUI
            log.exception("LIMS login failed")
            self._say(f"the LIMS failed: {exc}", ERROR_STYLE)
            return
        then(result)
