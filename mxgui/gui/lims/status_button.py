"""The LIMS field of the status bar: who is logged in, on which proposal and session, and
whether the LIMS is online (and how many writes wait or failed); its menu logs in and out,
and sends the failed writes again.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from enum import Enum

from PyQt5.QtWidgets import QMenu, QToolButton, QWidget

from hardware_objects.abstract.lims import AbstractLims
from mxgui.gui.bridge import GuiBridge, Subscription
from mxgui.gui.lims.login_dialog import LoginDialog

log = logging.getLogger(__name__)

WARNING_STYLE = "color: #a65b00; font-weight: bold;"
ERROR_STYLE = "color: #b71c1c; font-weight: bold;"


class LimsLevel(Enum):
    """How the LIMS field looks: all well, a warning (not logged in, offline) or an
    error (writes failed, an outbox problem); :data:`LEVEL_STYLES` gives its style."""

    OK = "ok"
    WARNING = "warning"
    ERROR = "error"


#: the LIMS field's text style for each level
LEVEL_STYLES = {LimsLevel.OK: "", LimsLevel.WARNING: WARNING_STYLE, LimsLevel.ERROR: ERROR_STYLE}


def status_text(
    login: dict[str, object] | None, status: dict[str, object]
) -> tuple[str, LimsLevel]:
    """The field's text and level for a login (``LoginResult.as_dict()`` or None) and the
    LIMS status (``online``, ``reason``, and the outbox's ``waiting`` / ``failed`` /
    ``problem`` when it reports them)."""
    waiting, failed = int(str(status.get("waiting") or 0)), int(str(status.get("failed") or 0))
    online = status.get("online")
    if login is None:
        words, level = ["LIMS: not logged in"], LimsLevel.WARNING
    else:
        who = f"LIMS: {login.get('user')} on {login.get('proposal')}"
        if login.get("session_id") is not None:
            who += f" (session {login.get('session_id')})"
        words, level = [who], LimsLevel.OK
        if login.get("offline") or online is False:
            words.append("OFFLINE")
            level = LimsLevel.WARNING
        else:
            words.append("online")
    if waiting:
        words.append(f"{waiting} writes waiting")
    if failed:
        words.append(f"{failed} failed")
        level = LimsLevel.ERROR
    if status.get("problem"):  # the outbox set aside or not opened: said until mended
        words.append("outbox problem")
        level = LimsLevel.ERROR
    return " · ".join(words), level


class LimsStatusButton(QToolButton):
    """Shows :func:`status_text` for the ``lims`` object, the reason in its tooltip; a
    click opens the login dialog (or a menu: choose session, log out)."""

    def __init__(self, lims: AbstractLims, bridge: GuiBridge, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("lims_status")
        self.setAutoRaise(True)
        self.lims = lims
        self.bridge = bridge
        self.dialog: LoginDialog | None = None
        self._login: dict[str, object] | None = None
        current = lims.get_login()
        if current is not None:
            self._login = current.as_dict()
        self._status = dict(lims.get_status())
        self.actions_menu = QMenu(self)
        self.login_action = self.actions_menu.addAction("Log in…", self._open_login)
        self.session_action = self.actions_menu.addAction("Choose the session…", self._open_login)
        self.logout_action = self.actions_menu.addAction("Log out", self.log_out)
        self.send_again_action = self.actions_menu.addAction(
            "Send failed LIMS writes again", self.send_failed_again
        )
        self.setMenu(self.actions_menu)
        self.setPopupMode(QToolButton.InstantPopup)
        self._subscriptions: list[Subscription] = [
            bridge.connect(lims, "loginChanged", self._on_login),
            bridge.connect(lims, "limsStatusChanged", self._on_status),
        ]
        self.refresh()

    def _on_login(self, login: dict[str, object] | None) -> None:
        self._login = login
        self.refresh()

    def _on_status(self, status: dict[str, object]) -> None:
        self._status = dict(status)
        self.refresh()

    def refresh(self) -> None:
        """Show the current login and status."""
        text, level = status_text(self._login, self._status)
        self.setText(text)
        self.setStyleSheet(LEVEL_STYLES[level])
        lines = [f"database: {self._status.get('database') or '?'}"]
        if self._status.get("reason"):
            lines.append(f"last problem: {self._status['reason']}")
        if self._status.get("problem"):
            lines.append(f"outbox: {self._status['problem']}")
        if self._login is not None and self._login.get("offline_reason"):
            lines.append(f"local login: {self._login['offline_reason']}")
        self.setToolTip("\n".join(lines))
        login = self._login
        self.login_action.setVisible(login is None)
        self.session_action.setVisible(login is not None and not login.get("offline"))
        self.logout_action.setVisible(login is not None)
        self.send_again_action.setVisible(bool(self._status.get("failed")))

    def _open_login(self) -> None:
        self.show_login()

    def show_login(self) -> LoginDialog:
        """The login dialog, shown (one at a time)."""
        if self.dialog is None:
            self.dialog = LoginDialog(self.lims, self.bridge, self.window())
            self.dialog.finished.connect(self._dialog_closed)
            login = self.lims.get_login()
            if login is not None and not login.offline:
                self.dialog.offer_sessions(login)
        if self.dialog.isVisible():
            self.dialog.raise_()  # already open behind another window
        else:
            self.dialog.show()
        return self.dialog

    def _dialog_closed(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    def log_out(self) -> None:
        """Log out (in the LIMS object's thread)."""
        future: Future[None] = self.lims.logout()
        future.add_done_callback(lambda done: self.bridge.post(self._logged_out, done))

    def send_failed_again(self) -> None:
        """Put the failed writes back in the outbox's line (in the LIMS object's thread)."""
        future: Future[int] = self.lims.send_failed_again()
        future.add_done_callback(lambda done: self.bridge.post(self._sent_again, done))

    def _sent_again(self, future: Future[int]) -> None:
        exc = future.exception()
        if exc is not None:
            log.error("LIMS: the failed writes could not be sent again: %s", exc)
        else:
            log.info("LIMS: %d failed writes are sent again", future.result())

    def _logged_out(self, future: Future[None]) -> None:
        exc = future.exception()
        if exc is not None:
            log.error("LIMS logout failed: %s", exc)

    def cleanup(self) -> None:
        """End the subscriptions and close the dialog."""
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()
        if self.dialog is not None:
            self.dialog.close()
