"""A typed form over the parameters of one node type, built from its schema.

The form only shows and parses: a value typed into a field is converted to the
field's type (``valueEdited(name, value)``) or refused at once with the reason
(``valueRefused(name, reason)``); the brick then asks the queue model, whose
validator checks the value against the beamline's live limits.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from typing import Any

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mxgui.core.acquisition import AcquisitionLimits, AcquisitionParameters, PathTemplate
from mxgui.core.queue.nodes import thaw
from mxgui.core.queue.schemas import schema_of

#: the acquisition fields a user changes most, shown first
MAIN_FIELDS = (
    "osc_start",
    "osc_range",
    "num_images",
    "exp_time",
    "energy",
    "transmission",
    "resolution",
    "detector_distance",
)
FILE_FIELDS = ("directory", "prefix", "run_number", "suffix")
UNITS = {
    **AcquisitionLimits.UNITS,
    "osc_start": "deg",
    "osc_range": "deg",
    "overlap": "deg",
    "kappa": "deg",
    "kappa_phi": "deg",
    "angle_step": "deg",
    "start_energy": "keV",
    "end_energy": "keV",
    "step_ev": "eV",
    "count_time": "s",
}
_DATACLASS_KINDS = {"float | None": "float?"}
INVALID_STYLE = "QLineEdit { background-color: #fbe3e1; border: 1px solid #c62828; }"


def field_kinds(node_type: str) -> dict[str, tuple[str, str]]:
    """``{name: (kind, doc)}`` of ``node_type``'s fields, in schema order. Kinds:
    ``float``, ``float?``, ``int``, ``bool``, ``str``, ``str?``, ``position?``, ``object``."""
    schema = schema_of(node_type)
    kinds: dict[str, tuple[str, str]] = {}
    for present, cls in ((schema.acquisition, AcquisitionParameters), (schema.path, PathTemplate)):
        if present:
            for f in dataclasses.fields(cls):
                kind = str(f.type)
                kinds[f.name] = (_DATACLASS_KINDS.get(kind, kind), "")
    for name, spec in schema.own.items():
        kinds[name] = (spec.kind, spec.doc)
    return kinds


def format_value(kind: str, value: object) -> str:
    """The text a field shows for ``value`` (a node's read-only mappings included)."""
    if value is None:
        return ""
    if kind in ("object", "position?") and not isinstance(value, str):
        return json.dumps(thaw(value), separators=(", ", ": "))
    if isinstance(value, float):
        return format(value, ".10g")
    return str(value)


def parse_value(name: str, kind: str, text: str) -> Any:
    """``text`` as a value of ``kind``; ``ValueError`` naming the field and the reason."""
    text = text.strip()
    optional = kind.endswith("?")
    if optional and not text:
        return None
    base = kind.rstrip("?")
    if base == "float":
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"{name}: {text!r} is not a finite number")
        return value
    if base == "int":
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{name}: {text!r} is not an integer") from None
    if base == "object" or (base == "position" and text.startswith("{")):
        try:
            value = json.loads(text or "{}")
        except ValueError as exc:
            raise ValueError(f"{name}: not a JSON object ({exc})") from None
        if not isinstance(value, dict):
            raise ValueError(f'{name}: expected a JSON object such as {{"a": 1}}')
        return value
    return text


class ParameterForm(QWidget):
    """The fields of one node type: the acquisition's most used, the type's own, the
    files, and the rest under "More".

    Signals: ``valueEdited(name, value)`` for a parsed new value,
    ``valueRefused(name, reason)`` for text that is not a value of the field's type.
    """

    valueEdited = pyqtSignal(str, object)
    valueRefused = pyqtSignal(str, str)

    def __init__(self, node_type: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.node_type = node_type
        self.kinds = field_kinds(node_type)
        self.editors: dict[str, QLineEdit | QCheckBox] = {}
        self._shown: dict[str, str] = {}
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        own = [n for n in schema_of(node_type).own if n in self.kinds]
        main = [n for n in MAIN_FIELDS if n in self.kinds]
        files = [n for n in FILE_FIELDS if n in self.kinds]
        rest = [n for n in self.kinds if n not in (*own, *main, *files)]
        for title, names in (("Acquisition", main), (node_type, own), ("Files", files)):
            if names:
                column.addWidget(self._group(title, names))
        self.more_button = QToolButton(self)  # a child even when not laid out: dies with us
        self.more_button.setText("More fields")
        self.more_button.setCheckable(True)
        self.more_button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        self.more_button.setArrowType(Qt.RightArrow)
        self.more = self._group("More", rest)
        self.more.setVisible(False)
        self.more_button.toggled.connect(self._show_more)
        if rest:
            column.addWidget(self.more_button)
            column.addWidget(self.more)
        else:
            self.more_button.hide()
        column.addStretch(1)

    def _group(self, title: str, names: list[str]) -> QGroupBox:
        box = QGroupBox(title, self)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        for name in names:
            kind, doc = self.kinds[name]
            unit = UNITS.get(name)
            label = f"{name} ({unit})" if unit else name
            if kind == "bool":
                check = QCheckBox()
                check.clicked.connect(lambda checked, n=name: self.valueEdited.emit(n, checked))
                editor: QLineEdit | QCheckBox = check
            else:
                editor = QLineEdit()
                editor.editingFinished.connect(lambda n=name: self._finished(n))
            editor.setObjectName(name)
            editor.setToolTip(self.tip(name))
            self.editors[name] = editor
            form.addRow(label, editor)
        return box

    def _show_more(self, shown: bool) -> None:
        self.more.setVisible(shown)
        self.more_button.setArrowType(Qt.DownArrow if shown else Qt.RightArrow)

    def _finished(self, name: str) -> None:
        editor = self.editors[name]
        assert isinstance(editor, QLineEdit)
        if editor.isReadOnly() or editor.text() == self._shown.get(name):
            return
        kind = self.kinds[name][0]
        try:
            value = parse_value(name, kind, editor.text())
        except ValueError as exc:
            self.mark(name, str(exc))
            self.valueRefused.emit(name, str(exc))
            return
        self.valueEdited.emit(name, value)

    # shown values ----------------------------------------------------------------------------
    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` in every field (and clear every mark)."""
        for name, editor in self.editors.items():
            value = values.get(name)
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
                continue
            text = format_value(self.kinds[name][0], value)
            self._shown[name] = text
            if editor.text() != text:
                editor.setText(text)
                editor.setCursorPosition(0)
            self.mark(name, None)

    def set_read_only(self, read_only: bool) -> None:
        """Fields that show but do not edit (a task that has run)."""
        for editor in self.editors.values():
            if isinstance(editor, QCheckBox):
                editor.setEnabled(not read_only)
            else:
                editor.setReadOnly(read_only)

    def mark(self, name: str, problem: str | None) -> None:
        """Show field ``name`` as refused with ``problem`` (``None``: as fine)."""
        editor = self.editors[name]
        editor.setStyleSheet(INVALID_STYLE if problem else "")
        editor.setToolTip(problem or self.tip(name))

    def tip(self, name: str) -> str:
        """What field ``name`` holds: its meaning, or its type."""
        kind, doc = self.kinds[name]
        if doc:
            return doc
        return f"{name}: {kind.rstrip('?')}" + (", may be empty" if kind.endswith("?") else "")
