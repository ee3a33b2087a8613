"""A form over the parameters of one node type, built from its schema, that a
beamline user reads: human labels with units beside the fields (the internal name in
the tooltip), spin boxes bounded by the live limits, combos for every choice and for
the shapes of the sample, check boxes for yes/no; the common fields first, in as many
columns as the width allows, the rest folded under "More".

The form only shows and parses: a finished edit is ``valueEdited(name, value)``;
text that is no value of the field's type is ``valueRefused(name, reason)``. The brick
asks the queue model, whose validator checks the value against the beamline's live
limits, and marks a refused field with :meth:`ParameterForm.mark`.
"""

from __future__ import annotations

from collections.abc import Mapping

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mxgui.core.acquisition import AcquisitionLimits
from mxgui.core.queue.schemas import schema_of
from mxgui.core.shapes import Shape
from mxgui.gui.queue.form_editors import (
    ChoiceBox,
    Editor,
    IntegerBox,
    NumberBox,
    make_editor,
    shape_items,
)
from mxgui.gui.queue.form_fields import (
    CHOICE_TEXT,
    ENERGY_LIKE,
    LIVE_CHOICES,
    LIVE_LIMITS,
    MAIN_FIELDS,
    SHAPE_FIELDS,
    STATIC_RANGES,
    FormField,
    form_fields,
    format_value,
    reason_for,
)

__all__ = ["ParameterForm", "format_value"]

REFUSED_COLOUR = "#c62828"
_REFUSED_STYLE = "{} {{ background-color: #fbe3e1; border: 1px solid " + REFUSED_COLOUR + "; }}"
#: the width a new form is laid out for, before it knows its viewport's
START_WIDTH = 600
MAX_COLUMNS = 3
#: room for a unit ("keV") and a gap before the next column
UNIT_WIDTH = 34
#: the title of the group of a type's own fields
OWN_TITLES = {
    "DataCollection": "Positions",
    "Characterisation": "Characterisation",
    "MeshScan": "Grid",
    "XrayCentring": "X-ray centring",
    "EnergyScan": "Energy scan",
}


def _style_class(editor: QWidget) -> str:
    for cls in (QAbstractSpinBox, QComboBox, QCheckBox, QLineEdit):
        if isinstance(editor, cls):
            return cls.__name__
    return "QWidget"


class _Group(QGroupBox):
    """Fields in a grid of ``columns`` x (label, field, unit), each field's refusal
    reason on the row below it (hidden while it is fine)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(6, 4, 6, 4)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(2)
        self.cells: list[tuple[QLabel, QWidget, QLabel, QLabel]] = []
        self.columns = 0

    def add(self, label: QLabel, editor: QWidget, unit: QLabel, reason: QLabel) -> None:
        self.cells.append((label, editor, unit, reason))

    def fit(self, width: int) -> None:
        """Lay the fields out in as many columns (1 to 3) as fit in ``width`` pixels,
        measured from the widgets' own size hints (labels, editors, units)."""
        for columns in range(min(MAX_COLUMNS, max(1, len(self.cells))), 0, -1):
            self.place(columns)
            if self.minimumSizeHint().width() <= width:
                return

    def place(self, columns: int) -> None:
        """Lay the fields out in ``columns`` columns (row by row)."""
        if columns == self.columns:
            return
        self.columns = columns
        for widgets in self.cells:
            for widget in widgets:
                self.grid.removeWidget(widget)
        for index, (label, editor, unit, reason) in enumerate(self.cells):
            row, column = divmod(index, columns)
            self.grid.addWidget(label, 2 * row, 3 * column)
            self.grid.addWidget(editor, 2 * row, 3 * column + 1)
            self.grid.addWidget(unit, 2 * row, 3 * column + 2)
            self.grid.addWidget(reason, 2 * row + 1, 3 * column, 1, 3)
        for column in range(MAX_COLUMNS):
            units = [unit.text() for _l, _e, unit, _r in self.cells[column::columns]]
            wide = column < columns and any(units)  # no room kept for units none has
            self.grid.setColumnStretch(3 * column + 1, 1 if column < columns else 0)
            self.grid.setColumnMinimumWidth(3 * column + 2, UNIT_WIDTH if wide else 0)


class ParameterForm(QWidget):
    """The fields of one node type: the common ones first ("Collection"), the type's
    own, then the rest under a collapsed "More".

    Signals: ``valueEdited(name, value)`` for a new value the user finished entering,
    ``valueRefused(name, reason)`` for text that is no value of the field's type.
    """

    valueEdited = pyqtSignal(str, object)
    valueRefused = pyqtSignal(str, str)

    def __init__(self, node_type: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node_type = node_type
        self.fields: dict[str, FormField] = form_fields(node_type)
        self.kinds = {name: (f.spec.kind, f.spec.doc) for name, f in self.fields.items()}
        self.editors: dict[str, Editor] = {}
        self.labels: dict[str, QLabel] = {}
        self.reasons: dict[str, QLabel] = {}
        self.refused: dict[str, str] = {}  # field -> why its last edit was refused
        self._values: dict[str, object] = {}
        self._shapes: list[Shape] | None = None
        self._acquisition: AcquisitionLimits | None = None
        self._omega: tuple[float, float] | None = None
        self._live_choices: dict[str, tuple[str, ...]] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        own = [n for n in schema_of(node_type).own if n not in MAIN_FIELDS]
        main = [n for n in MAIN_FIELDS if n in self.fields]
        rest = [n for n in self.fields if n not in (*own, *main)]
        self.groups: list[_Group] = []
        for title, names in (("Collection", main), (self._own_title(), own)):
            if names:
                column.addWidget(self._group(title, names))
        self.more_button = QToolButton(self)  # a child even when not laid out: dies with us
        self.more_button.setText("More")
        self.more_button.setCheckable(True)
        self.more_button.setAutoRaise(True)
        self.more_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.more_button.setArrowType(Qt.RightArrow)
        self.more = self._group("More", rest)
        self.more.setTitle("")
        self.more.setVisible(False)
        self.more_button.toggled.connect(self._show_more)
        if rest:
            self.more_button.setToolTip(", ".join(self.fields[n].label for n in rest))
            column.addWidget(self.more_button)
            column.addWidget(self.more)
        else:
            self.more_button.hide()
        column.addStretch(1)
        for name in self.fields:
            self._show_choices(name)
        self.fit_width(START_WIDTH)

    def _own_title(self) -> str:
        return OWN_TITLES.get(self.node_type, self.node_type)

    def _group(self, title: str, names: list[str]) -> _Group:
        group = _Group(title, self)
        for name in names:
            field = self.fields[name]
            editor = make_editor(field)
            editor.setObjectName(name)
            editor.setToolTip(field.tip)
            editor.committed.connect(lambda value, n=name: self.valueEdited.emit(n, value))
            editor.refusedText.connect(lambda reason, n=name: self._refused_text(n, reason))
            label = QLabel(field.label)
            label.setToolTip(field.tip)
            label.setBuddy(editor)
            unit = QLabel(field.unit)
            reason = QLabel()
            reason.setObjectName(f"{name}_reason")
            reason.setWordWrap(True)
            reason.setStyleSheet(f"QLabel {{ color: {REFUSED_COLOUR}; }}")
            reason.hide()
            self.editors[name] = editor
            self.labels[name] = label
            self.reasons[name] = reason
            group.add(label, editor, unit, reason)
        self.groups.append(group)
        return group

    def _show_more(self, shown: bool) -> None:
        self.more.setVisible(shown)
        self.more_button.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)

    def fit_width(self, width: int) -> None:
        """Lay each group's fields out in as many columns as ``width`` pixels hold (1
        to 3): a group of few fields may take more columns than a long one."""
        for group in self.groups:
            group.fit(width)

    def _refused_text(self, name: str, reason: str) -> None:
        self.mark(name, reason)
        self.valueRefused.emit(name, reason)

    # shown values ----------------------------------------------------------------------------
    def set_values(self, values: Mapping[str, object], reset: bool = False) -> list[str]:
        """Show ``values`` in every field. A field whose last edit was refused keeps its
        mark (and what was typed) unless ``reset`` (another node is shown) or its value
        in ``values`` changed since (a workflow, or an edit applied with another field,
        set it): then it shows that value. Returns the fields whose mark was cleared."""
        cleared = [
            name
            for name in self.refused
            if reset or values.get(name, None) != self._values.get(name, None)
        ]
        for name in cleared:
            self.mark(name, None)
        self._values = dict(values)
        self._fit_ranges()
        for name, editor in self.editors.items():
            if name not in self.refused:
                editor.show(values.get(name))
        return cleared

    def set_read_only(self, read_only: bool) -> None:
        """Fields that show but do not edit (a task that has run)."""
        for editor in self.editors.values():
            if isinstance(editor, (QAbstractSpinBox, QLineEdit)):
                editor.setReadOnly(read_only)
            else:
                editor.setEnabled(not read_only)

    def mark(self, name: str, problem: str | None) -> None:
        """Show field ``name`` as refused with ``problem`` (``None``: as fine)."""
        editor = self.editors[name]
        reason = self.reasons[name]
        field = self.fields[name]
        if problem:
            self.refused[name] = problem
            editor.setStyleSheet(_REFUSED_STYLE.format(_style_class(editor)))
            editor.setToolTip(f"{problem}\n\n{field.tip}")
            reason.setText(f"refused: {reason_for(name, problem, self.fields)}")
            reason.setToolTip(problem)
            reason.show()
        else:
            self.refused.pop(name, None)
            editor.setStyleSheet("")
            editor.setToolTip(field.tip)
            reason.clear()
            reason.hide()

    def tip(self, name: str) -> str:
        """What field ``name`` holds: its internal name, type and meaning."""
        return self.fields[name].tip

    # live limits, choices and shapes -----------------------------------------------------------
    def set_limits(
        self,
        acquisition: AcquisitionLimits | None,
        omega: tuple[float, float] | None = None,
        choices: Mapping[str, tuple[str, ...]] | None = None,
    ) -> None:
        """The ranges of the spin boxes (``acquisition``: the live limits for the node's
        own energy and ROI mode; ``omega``: osc_start's) and the beamline's choices."""
        if (acquisition, omega, dict(choices or {})) == (
            self._acquisition,
            self._omega,
            self._live_choices,
        ):
            return  # as they were: nothing to redo
        self._acquisition = acquisition
        self._omega = omega
        self._live_choices = dict(choices or {})
        for name in LIVE_CHOICES:
            self._show_choices(name)
        self._fit_ranges()
        for name, editor in self.editors.items():
            if isinstance(editor, (NumberBox, IntegerBox)) and name not in self.refused:
                editor.show(self._values.get(name))

    def range_of(self, name: str) -> tuple[float, float]:
        """The range of number field ``name``: the live limit, else its rule's."""
        live: tuple[float, float] | None = None
        acquisition = self._acquisition
        if acquisition is not None and name in LIVE_LIMITS:
            live = getattr(acquisition, name)
        elif acquisition is not None and name in ENERGY_LIKE:
            live = acquisition.energy
        elif name == "osc_start":
            live = self._omega
        return live or STATIC_RANGES.get(name) or (0.0, 1e9)

    def _fit_ranges(self) -> None:
        for name, editor in self.editors.items():
            if isinstance(editor, (NumberBox, IntegerBox)):
                low, high = self.range_of(name)
                editor.set_limits(low, high, self._values.get(name))

    def set_shapes(self, shapes: list[Shape] | None) -> None:
        """The shapes of the node's sample (``None``: not known, as while another
        sample is mounted): the items of the fields that pick a point, line or grid."""
        self._shapes = shapes
        for name in SHAPE_FIELDS:
            self._show_choices(name)

    def _show_choices(self, name: str) -> None:
        editor = self.editors.get(name)
        if not isinstance(editor, ChoiceBox):
            return
        field = self.fields[name]
        if name in SHAPE_FIELDS:
            kinds, none_text = SHAPE_FIELDS[name]
            shapes = [s for s in self._shapes or [] if isinstance(s, kinds)]
            editor.set_items(shape_items(field, shapes, none_text))
            where = "" if self._shapes is not None else " (listed while its sample is mounted)"
            editor.setToolTip(self.refused.get(name) or f"{field.tip}{where}")
            return
        texts = CHOICE_TEXT.get(name, {})
        values = field.spec.choices
        items: list[tuple[str, object]] = []
        if name in LIVE_CHOICES:
            values = self._live_choices.get(name, ())
            items.append((LIVE_CHOICES[name], field.spec.default))
        items += [(texts.get(v, v), v) for v in values]
        editor.set_items(items)
