"""Small widgets shared by bricks."""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QKeyEvent, QKeySequence
from PyQt5.QtWidgets import (
    QAbstractSpinBox,
    QAction,
    QDoubleSpinBox,
    QLabel,
    QProgressBar,
    QWidget,
)

#: what a shortcut may be given as
KeySpec = str | QKeySequence | QKeySequence.StandardKey


class SetpointSpinBox(QDoubleSpinBox):
    """A number field for a setpoint: Enter sends the typed value, Escape reverts it.

    ``valueEntered(value)`` is emitted on Enter (not on focus loss, so clicking
    elsewhere never starts a move); :attr:`typing` is True between the first key and
    Enter/Escape, during which readbacks must not overwrite what the user types.
    """

    valueEntered = pyqtSignal(float)
    valueReverted = pyqtSignal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.typing = False
        self.setKeyboardTracking(False)
        self.setButtonSymbols(QAbstractSpinBox.NoButtons)
        self.setAlignment(Qt.AlignRight)
        self.lineEdit().textEdited.connect(self._on_text_edited)

    def _on_text_edited(self, _text: str) -> None:
        self.typing = True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            super().keyPressEvent(event)  # interprets the text first
            self.typing = False
            self.valueEntered.emit(self.value())
            return
        if event.key() == Qt.Key_Escape and self.typing:
            self.typing = False
            self.valueReverted.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().focusOutEvent(event)
        if self.typing:
            self.typing = False
            self.valueReverted.emit()

    def show_value(self, value: float) -> None:
        """Display a readback unless the user is typing."""
        if not self.typing:
            self.blockSignals(True)
            self.setValue(value)
            self.blockSignals(False)


class MessageLine(QLabel):
    """A line under a brick for what just happened: plain for news, red for a problem.

    The text is also the tooltip, so a long message cut by the layout stays readable.
    """

    PROBLEM_STYLE = "QLabel { color: #b71c1c; }"

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self._expiry = QTimer(self)
        self._expiry.setSingleShot(True)
        self._expiry.timeout.connect(self.clear_message)

    def show_message(self, text: str, lasts_s: float | None = None) -> None:
        """Show ``text`` as news; with ``lasts_s`` it goes after that many seconds (news
        that is only true for a moment, such as "Centring cancelled", must not stay)."""
        self._show(text, "", lasts_s)

    def show_problem(self, text: str, lasts_s: float | None = None) -> None:
        """Show ``text`` in red (the caller logs it); ``lasts_s`` as for news."""
        self._show(text, self.PROBLEM_STYLE, lasts_s)

    def clear_message(self) -> None:
        """Nothing to say any more (what was said is no longer true)."""
        self._show("", "", None)

    def _show(self, text: str, style: str, lasts_s: float | None) -> None:
        self._expiry.stop()
        self.setStyleSheet(style)
        self.setText(text)
        self.setToolTip(text)
        if lasts_s is not None and text:
            self._expiry.start(max(0, round(lasts_s * 1000)))


class ProgressLine(QProgressBar):
    """A progress bar that is not there while nothing runs: an empty bar looks like a
    field to type in. It keeps its room in the layout, so nothing jumps when it shows."""

    STEPS = 1000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, self.STEPS)
        policy = self.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.setSizePolicy(policy)
        self.set_idle()

    def set_idle(self) -> None:
        """Nothing runs: no bar."""
        self.setValue(0)
        self.hide()

    def set_fraction(self, fraction: float) -> None:
        """Show the bar ``fraction`` (0-1, clamped) full."""
        self.setValue(round(max(0.0, min(1.0, fraction)) * self.STEPS))
        self.show()


def view_action(
    owner: QObject,
    text: str,
    slot: Callable[[], object],
    tip: str,
    key: KeySpec | None = None,
    view: QWidget | None = None,
) -> QAction:
    """An action of a brick's list or tree: ``slot()`` on trigger, ``tip`` (or ``text``)
    as its tooltip. With ``key`` the shortcut works while ``view`` or a child of it has
    the focus, and the action is added to ``view`` for that."""
    action = QAction(text, owner)

    def trigger(_checked: bool = False) -> None:
        slot()

    action.triggered.connect(trigger)
    action.setToolTip(tip or text)
    if key is not None:
        action.setShortcut(QKeySequence(key))
        action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
        if view is not None:
            view.addAction(action)
    return action
