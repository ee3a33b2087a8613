"""The editors of the parameter form: spin boxes bounded by live limits, combos of
fixed or live choices and of the sample's shapes, check boxes, text fields.

Each editor shows a value (:meth:`show`) and emits ``committed(value)`` when the user
has finished changing it (Enter, leaving the field, a pick in a combo, a click on a
box), never when :meth:`show` sets it. A number typed outside a spin box's range is
committed as typed: the queue model refuses it naming the limit, and the spin box
goes back to the value the model holds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QValidator, QWheelEvent
from PyQt5.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from mxgui.core.shapes import Shape
from mxgui.gui.queue.form_fields import (
    COMBO_CHARS,
    FormField,
    format_value,
    parse_number,
    parse_text,
)

#: decimals a number box holds, whatever it shows (a workflow's 0.0004 deg stays)
HELD_DECIMALS = 6


#: a number is shown with more than its field's decimals when they would be off by
#: more than this fraction (0.02 % as 0.0, 123.45 mm as 123.5; 3.929761 A is 3.93)
SHOWN_RELATIVE_ERROR = 1e-4


def shown_number(value: float, fewest: int, most: int) -> str:
    """``value`` with ``fewest`` decimals, more (up to ``most``) where fewer would
    show it off by more than :data:`SHOWN_RELATIVE_ERROR`."""
    for decimals in range(fewest, most + 1):
        text = f"{value:.{decimals}f}"
        off = abs(float(text) - value)
        if off <= SHOWN_RELATIVE_ERROR * abs(value) or off < 0.5 * 10.0**-most:
            return text
    return f"{value:.{most}f}"


def _number_text(text: str, prefix: str, suffix: str) -> str:
    text = text.strip()
    if prefix and text.startswith(prefix):
        text = text[len(prefix) :]
    if suffix and text.endswith(suffix):
        text = text[: -len(suffix)]
    return text.strip()


if TYPE_CHECKING:  # the mixin below is a spin box to the type checker
    _SpinBase = QAbstractSpinBox
else:  # and a plain class at run time, before the Qt class in each box's bases
    _SpinBase = object


class _SpinLogic:
    """What both spin boxes share: a typed number outside the range is kept (not
    refused keystroke by keystroke, not clamped) and committed as typed; ``None``
    (an optional field) is the minimum, shown as the special value text."""

    def __init__(self, spin: NumberBox | IntegerBox, field: FormField) -> None:
        self.spin = spin
        self.field = field
        self.typed: str | None = None  # text the spin box could not take
        self.shown: float | None = None
        spin.setKeyboardTracking(False)
        spin.setFocusPolicy(Qt.StrongFocus)
        spin.setAccelerated(True)
        spin.editingFinished.connect(self.finished)

    def validate(self, state: QValidator.State, text: str) -> QValidator.State:
        if state != QValidator.Invalid:
            return state
        plain = _number_text(text, self.spin.prefix(), self.spin.suffix())
        try:
            float(plain)
        except ValueError:
            return state
        return QValidator.Intermediate

    def finished(self) -> None:
        typed, self.typed = self.typed, None
        spin = self.spin
        if spin.isReadOnly():
            return
        if typed is not None:
            plain = _number_text(typed, spin.prefix(), spin.suffix())
            if not plain and self.field.optional:
                self.commit(None)
                return
            try:
                value = parse_number(self.field.name, plain, isinstance(spin, QSpinBox))
            except ValueError as exc:
                spin.refusedText.emit(str(exc))
                return
            self.commit(value)
        elif spin.value() != self.shown:
            none = self.field.optional and spin.value() == spin.minimum()
            self.commit(None if none else spin.value())

    def commit(self, value: object) -> None:
        self.shown = self.spin.value()  # committed once, even if Enter then focus out
        self.spin.committed.emit(value)

    def set_range(self, low: float, high: float, value: float | None, step: float) -> None:
        """``step``: the smallest change the spin box holds. The limits are rounded
        inwards to it, so the arrows never reach a value just outside them."""
        if isinstance(self.spin, QDoubleSpinBox):
            low = math.ceil(round(low / step, 3)) * step
            high = math.floor(round(high / step, 3)) * step
            low, high = round(low, self.spin.decimals()), round(high, self.spin.decimals())
        if self.field.optional:
            # the minimum shows the special value (none, auto): one step below the
            # limit, which a typed number meets only with every decimal typed
            low = low - step
        if value is not None:  # a value outside the limits is shown, not clamped
            low, high = min(low, value), max(high, value)
        spin = self.spin
        if (spin.minimum(), spin.maximum()) == (low, high):
            return  # unchanged: no relayout, no repaint
        spin.blockSignals(True)
        if isinstance(spin, QSpinBox):
            spin.setRange(int(low), int(high))
        else:
            spin.setRange(low, high)
        spin.blockSignals(False)

    def show(self, value: object) -> None:
        spin = self.spin
        spin.blockSignals(True)
        number = value if isinstance(value, (int, float)) else spin.minimum()
        if isinstance(spin, IntegerBox):
            spin.setValue(int(number))
        else:
            spin.setValue(float(number))
        spin.blockSignals(False)
        self.shown = spin.value()
        self.typed = None


class _SpinEditing(_SpinBase):
    """What both spin boxes add to Qt's: typed text checked by their :class:`_SpinLogic`,
    the wheel only with the focus (scrolling the form changes no value), and ``show``."""

    logic: _SpinLogic

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        state, text, pos = super().validate(text, pos)
        return self.logic.validate(state, text), text, pos

    def fixup(self, text: str | None) -> str:
        self.logic.typed = text or ""
        return text or ""

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():  # not while the user scrolls the form
            super().wheelEvent(event)
        else:
            event.ignore()

    def show(self, value: object) -> None:  # type: ignore[override]
        """Show ``value`` (``None``: the special value)."""
        self.logic.show(value)


class NumberBox(_SpinEditing, QDoubleSpinBox):
    """A decimal number; its range is the live limit (see the module)."""

    committed = pyqtSignal(object)
    refusedText = pyqtSignal(str)

    def __init__(self, field: FormField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.logic = _SpinLogic(self, field)
        # the value is held to HELD_DECIMALS (0.02 % stays 0.02, not 0.0); the arrows
        # step and the text shows at least the field's decimals (textFromValue)
        self.setDecimals(max(field.decimals, HELD_DECIMALS))
        self.setSingleStep(10.0 ** (1 - field.decimals) if field.decimals > 1 else 1.0)
        if field.optional:
            self.setSpecialValueText("auto" if field.name == "detector_distance" else "none")
        self.limits: tuple[float, float] = (0.0, 0.0)

    def textFromValue(self, value: float) -> str:
        """The field's decimals, and more where the value has them (0.0125 deg is
        not shown as 0.013)."""
        return shown_number(value, self.field.decimals, self.decimals())

    def set_limits(self, low: float, high: float, value: object) -> None:
        """The range of the arrows and the wheel: ``low``..``high`` rounded inwards
        to what the box holds (widened to show ``value`` when it is outside)."""
        self.limits = (low, high)
        number = float(value) if isinstance(value, (int, float)) else None
        self.logic.set_range(low, high, number, 10.0 ** -self.decimals())


class IntegerBox(_SpinEditing, QSpinBox):
    """A whole number; its range the field's rule (see the module)."""

    committed = pyqtSignal(object)
    refusedText = pyqtSignal(str)

    def __init__(self, field: FormField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.logic = _SpinLogic(self, field)
        if field.optional:
            self.setSpecialValueText("none")
        self.limits: tuple[float, float] = (0, 0)

    def set_limits(self, low: float, high: float, value: object) -> None:
        """As :meth:`NumberBox.set_limits`."""
        self.limits = (low, high)
        number = int(value) if isinstance(value, (int, float)) else None
        self.logic.set_range(low, high, number, 1)


class ChoiceBox(QComboBox):
    """One of a set of values (fixed, the beamline's, or the sample's shapes); the
    value shown is always among the items, even when it is not one of the set."""

    committed = pyqtSignal(object)
    refusedText = pyqtSignal(str)

    def __init__(self, field: FormField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.setFocusPolicy(Qt.StrongFocus)
        self.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(COMBO_CHARS.get(field.name, 8))
        self._value: object = None
        self._items: list[tuple[str, object]] = []
        self._shown_items: list[tuple[str, object]] | None = None
        self.activated.connect(self._picked)

    def set_items(self, items: list[tuple[str, object]]) -> None:
        """The choices, as ``(text, value)`` pairs."""
        self._items = list(items)
        self._fill()

    def _fill(self) -> None:
        items = list(self._items)
        if not any(value == self._value for _text, value in items):
            items.append((self._other_text(), self._value))
        if items == self._shown_items:  # the same items: only the current one moves
            self.setCurrentIndex(next(i for i, (_t, v) in enumerate(items) if v == self._value))
            return
        self._shown_items = items
        self.blockSignals(True)
        self.clear()
        for text, value in items:
            self.addItem(text, value)
        self.setCurrentIndex(next(i for i, (_t, v) in enumerate(items) if v == self._value))
        self.blockSignals(False)

    def _other_text(self) -> str:
        """The words for a value that is not among the items."""
        value = self._value
        if isinstance(value, Mapping):  # a centred position given by its motors
            phi = value.get("phi")
            return (
                f"given position (phi {phi:g} deg)" if isinstance(phi, float) else "given position"
            )
        return f"{format_value(self.field.spec.kind, value)} (not offered)"

    def show(self, value: object) -> None:  # type: ignore[override]
        """Show ``value`` (added as an item when it is not among them)."""
        self._value = value
        self._fill()

    def value(self) -> object:
        return self.currentData()

    def _picked(self, index: int) -> None:
        value = self.itemData(index)
        if value != self._value:
            self.committed.emit(value)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():  # not while the user scrolls the form
            super().wheelEvent(event)
        else:
            event.ignore()


def shape_items(field: FormField, shapes: list[Shape], none_text: str) -> list[tuple[str, object]]:
    """The items of a shape combo: none first, then each shape of the right kind."""
    items: list[tuple[str, object]] = []
    if field.optional or not field.spec.default:
        items.append((none_text, field.spec.default))
    for shape in shapes:
        name = getattr(shape, "name", "")
        items.append((f"{shape.id} {name}" if name and name != shape.id else shape.id, shape.id))
    return items


class CheckField(QCheckBox):
    """A yes/no field."""

    committed = pyqtSignal(object)
    refusedText = pyqtSignal(str)

    def __init__(self, field: FormField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self.clicked.connect(lambda checked: self.committed.emit(bool(checked)))

    def show(self, value: object) -> None:  # type: ignore[override]
        """Show ``value`` (true or false)."""
        self.setChecked(bool(value))


class TextField(QLineEdit):
    """Free text, or a JSON object; committed when left or on Enter."""

    committed = pyqtSignal(object)
    refusedText = pyqtSignal(str)

    def __init__(self, field: FormField, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = field
        self._shown = ""
        self.editingFinished.connect(self._finished)

    def show(self, value: object) -> None:  # type: ignore[override]
        """Show ``value`` as text."""
        text = format_value(self.field.spec.kind, value)
        self._shown = text
        if self.text() != text:
            self.setText(text)
            self.setCursorPosition(0)

    def _finished(self) -> None:
        if self.isReadOnly() or self.text() == self._shown:
            return
        try:
            value = parse_text(self.field.name, self.field.spec.kind, self.text())
        except ValueError as exc:
            self.refusedText.emit(str(exc))
            return
        self._shown = self.text()
        self.committed.emit(value)


Editor = NumberBox | IntegerBox | ChoiceBox | CheckField | TextField


def make_editor(field: FormField, parent: QWidget | None = None) -> Editor:
    """The editor for ``field`` (see :class:`~mxgui.gui.queue.form_fields.FormField`)."""
    if field.editor == "number":
        return NumberBox(field, parent)
    if field.editor == "integer":
        return IntegerBox(field, parent)
    if field.editor in ("choice", "shape"):
        return ChoiceBox(field, parent)
    if field.editor == "check":
        return CheckField(field, parent)
    return TextField(field, parent)
