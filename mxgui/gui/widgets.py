"""Small widgets shared by bricks."""

from __future__ import annotations

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QKeyEvent
from PyQt5.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QLabel


class SetpointSpinBox(QDoubleSpinBox):
    """A number field for a setpoint: Enter sends the typed value, Escape reverts it.

    ``sig_entered(value)`` is emitted on Enter (not on focus loss, so clicking
    elsewhere never starts a move); :attr:`typing` is True between the first key and
    Enter/Escape, during which readbacks must not overwrite what the user types.
    """

    sig_entered = pyqtSignal(float)
    sig_reverted = pyqtSignal()

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
            self.sig_entered.emit(self.value())
            return
        if event.key() == Qt.Key_Escape and self.typing:
            self.typing = False
            self.sig_reverted.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().focusOutEvent(event)
        if self.typing:
            self.typing = False
            self.sig_reverted.emit()

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

    def show_message(self, text: str) -> None:
        """Show ``text`` as news."""
        self.setStyleSheet("")
        self.setText(text)
        self.setToolTip(text)

    def show_problem(self, text: str) -> None:
        """Show ``text`` in red (the caller logs it)."""
        self.setStyleSheet(self.PROBLEM_STYLE)
        self.setText(text)
        self.setToolTip(text)
