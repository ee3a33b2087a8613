"""Typed value editors for the property table.

Each :class:`Field` shows a value and emits ``valueCommitted(value)`` when the user
commits one (Enter, focus leaving, a click); it never validates: the property editor
asks the document, which refuses a bad value with the reason, and then shows the stored
value again. Number fields therefore accept any typed text, so that ``abc`` typed for a
float is refused with a reason instead of silently swallowed.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QColor, QFocusEvent, QIcon, QKeyEvent, QPixmap, QValidator, QWheelEvent
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

#: asks the user for a value starting from the current one; ``None`` if cancelled
Chooser = Callable[[str], "str | None"]


class Field(QWidget):
    """Base of the editors: ``show_value`` to display, ``valueCommitted`` when the user commits."""

    valueCommitted = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(2)

    def show_value(self, value: object) -> None:
        """Display ``value`` without emitting ``valueCommitted``."""
        raise NotImplementedError

    def editor(self) -> QWidget:
        """The widget that takes the keyboard (for tests and focus)."""
        return self.row.itemAt(0).widget()


class TextField(Field):
    """Free text; commits on Enter or when the focus leaves, if the text changed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.line = QLineEdit()
        self.row.addWidget(self.line)
        self._shown = ""
        self.line.editingFinished.connect(self._finished)

    def show_value(self, value: object) -> None:
        self._shown = "" if value is None else str(value)
        self.line.setText(self._shown)

    def _finished(self) -> None:
        if self.line.text() != self._shown:
            self.valueCommitted.emit(self.line.text())


class _Combo(QComboBox):
    """A combo box that ignores the mouse wheel unless it has the focus (the wheel
    scrolls the table instead of changing a value by accident)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.StrongFocus)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt name
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _AnyTextSpinBox(QDoubleSpinBox):
    """A spin box that lets any text be typed and reports it raw on Enter or focus out."""

    textTyped = pyqtSignal(str)
    valueStepped = pyqtSignal(float)

    def __init__(self, integer: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.integer = integer
        self.setDecimals(0 if integer else 10)
        limit = 2**31 - 1 if integer else 1e15
        self.setRange(-limit, limit)  # the property's own limits are checked on commit
        self.setKeyboardTracking(False)
        self.setAlignment(Qt.AlignRight)
        self.setFocusPolicy(Qt.StrongFocus)
        self.shown = ""

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt name
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # scroll the table, do not change the value

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        return QValidator.Acceptable, text, pos

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt name
        number = parse_number(text, self.integer)
        return self.value() if number is None else float(number)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt name
        if self.integer:
            return str(int(round(value)))
        return f"{value:.1f}" if value == int(value) and abs(value) < 1e15 else f"{value:.10g}"

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if event.key() in (Qt.Key_Return, Qt.Key_Enter):
            self._report()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt name
        self._report()
        super().focusOutEvent(event)

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt name
        super().stepBy(steps)
        self.valueStepped.emit(self.value())

    def _report(self) -> None:
        text = self.lineEdit().text()
        if text != self.shown:
            self.textTyped.emit(text)


def parse_number(text: str, integer: bool) -> int | float | None:
    """``text`` as an int (``integer``) or a float; ``None`` if it is not one."""
    try:
        return int(text.strip()) if integer else float(text.strip())
    except ValueError:
        return None


class NumberField(Field):
    """An integer or float in a spin box; text that is no number is committed as text."""

    def __init__(self, integer: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.integer = integer
        self.spin = _AnyTextSpinBox(integer)
        self.row.addWidget(self.spin)
        self.spin.textTyped.connect(self._typed)
        self.spin.valueStepped.connect(self._stepped)

    def show_value(self, value: object) -> None:
        self.spin.blockSignals(True)
        if isinstance(value, int | float) and not isinstance(value, bool):
            self.spin.setValue(value)
            self.spin.shown = self.spin.textFromValue(value)
        else:
            self.spin.shown = "" if value is None else str(value)
        self.spin.lineEdit().setText(self.spin.shown)
        self.spin.blockSignals(False)

    def _typed(self, text: str) -> None:
        number = parse_number(text, self.integer)
        self.valueCommitted.emit(text.strip() if number is None else number)

    def _stepped(self, value: float) -> None:
        self.valueCommitted.emit(int(round(value)) if self.integer else value)


class BoolField(Field):
    """A check box; commits on every click."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox()
        self.row.addWidget(self.check)
        self.row.addStretch(1)
        self.check.clicked.connect(lambda checked: self.valueCommitted.emit(bool(checked)))

    def show_value(self, value: object) -> None:
        self.check.setChecked(bool(value))


class ChoiceField(Field):
    """A fixed list of choices (combo properties, container types)."""

    def __init__(self, choices: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = _Combo()
        self.combo.addItems(list(choices))
        self.row.addWidget(self.combo)
        self.combo.textActivated.connect(self.valueCommitted.emit)

    def show_value(self, value: object) -> None:
        text = "" if value is None else str(value)
        if self.combo.findText(text) < 0:  # a value from the file that is not a choice
            self.combo.addItem(text)
        self.combo.setCurrentText(text)


class HardwareObjectField(Field):
    """An editable list of the repository's hardware-object names."""

    def __init__(self, names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = _Combo()
        self.combo.setEditable(True)
        self.combo.setInsertPolicy(QComboBox.NoInsert)
        self.combo.addItems(["", *names])
        self.combo.lineEdit().setPlaceholderText("/name of a hardware object")
        self.row.addWidget(self.combo)
        self._shown = ""
        self.combo.textActivated.connect(self._commit)
        self.combo.lineEdit().editingFinished.connect(
            lambda: self._commit(self.combo.lineEdit().text())
        )

    def show_value(self, value: object) -> None:
        self._shown = "" if value is None else str(value)
        self.combo.setEditText(self._shown)

    def _commit(self, text: str) -> None:
        if text != self._shown:
            self.valueCommitted.emit(text)


class ChooserField(TextField):
    """Text with a button that opens a chooser (file dialog, colour dialog)."""

    def __init__(self, chooser: Chooser, button_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chooser = chooser
        self.button = QToolButton()
        self.button.setText(button_text)
        self.row.addWidget(self.button)
        self.button.clicked.connect(self._choose)

    def _choose(self) -> None:
        chosen = self.chooser(self.line.text())
        if chosen is not None:
            self.line.setText(chosen)
            self._finished()


class ColorField(ChooserField):
    """A colour name or ``#rrggbb``, with a swatch button opening a colour picker."""

    def __init__(self, chooser: Chooser, parent: QWidget | None = None) -> None:
        super().__init__(chooser, "", parent)
        self.button.setToolTip("choose a colour")

    def show_value(self, value: object) -> None:
        super().show_value(value)
        pixmap = QPixmap(14, 14)
        color = QColor(self._shown) if self._shown and QColor.isValidColor(self._shown) else None
        pixmap.fill(color if color is not None else QColor(0, 0, 0, 0))
        self.button.setIcon(QIcon(pixmap))


class LabelField(Field):
    """A value shown but not editable here (a brick's class)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel()
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.row.addWidget(self.label)

    def show_value(self, value: object) -> None:
        self.label.setText("" if value is None else str(value))
