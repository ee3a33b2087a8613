"""The property table of the selected window, container or brick."""

from __future__ import annotations

from PyQt5.QtCore import Qt, QTimer
from PyQt5.QtGui import QBrush, QColor, QFont
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QColorDialog,
    QFileDialog,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mxgui.gui.designer import value_editors
from mxgui.gui.designer.document import Item, LayoutDocument
from mxgui.gui.designer.rules import EditError
from mxgui.gui.designer.tree_model import item_kind, item_text
from mxgui.gui.designer.validation import Problem
from mxgui.gui.layout import CONTAINER_TYPES, BrickNode, ContainerNode, WindowNode
from mxgui.gui.properties import BrickProperty, PropertyKind

Key = tuple[str, str]  # ("attr", name), ("prop", name) or ("extra", name)
PROBLEM_BRUSH = QBrush(QColor("#f6c9c4"))
SECTION_BRUSH = QBrush(QColor("#e3e8ef"))
ATTRIBUTE_DOCS = {
    "name": "unique name (connections refer to bricks by name)",
    "label": "label of the tab when this item is a page of a tab container",
    "title": "title shown (window title, group box title, tab label)",
    "type": "kind of container",
    "sizes": "initial sizes of a splitter's parts in pixels, e.g. 420, 280",
    "size": "initial window size in pixels: width, height",
    "show": "show this window at start",
    "class": "brick class (module in bricks/)",
}


class PropertyEditor(QWidget):
    """Edits the selected item through the document, one typed editor per row.

    A window shows name, title, size and show; a container its type, name, title, label
    and sizes; a brick its name and label, then each property its class declares (spin
    boxes for numbers, a check box for booleans, a list for combos, a file or colour
    chooser, an editable list of the repository's names for hardware objects).
    Properties at their default are shown in grey italics, with a button to reset a set
    one; properties the class does not declare are shown red with a button to remove
    them. A refused value leaves the layout unchanged and the reason is shown in
    :attr:`message`.

    ``choose_file`` and ``choose_color`` (``current -> str | None``) open the dialogs;
    tests replace them.
    """

    def __init__(self, hardware_names: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hardware_names = hardware_names
        self.document: LayoutDocument | None = None
        self.item: Item | None = None
        self.choose_file: value_editors.Chooser = self._choose_file
        self.choose_color: value_editors.Chooser = self._choose_color
        self.header = QLabel("Select an item of the layout")
        self.header.setStyleSheet("font-weight: bold; padding: 2px;")
        self.item_problems = QLabel()
        self.item_problems.setWordWrap(True)
        self.item_problems.setStyleSheet("color: #b71c1c;")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Property", "Value", ""])
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(28)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.Interactive)
        header.setSectionResizeMode(1, QHeaderView.Stretch)
        self.table.setColumnWidth(0, 110)
        header.setSectionResizeMode(2, QHeaderView.Fixed)
        self.table.setColumnWidth(2, 30)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextSelectableByMouse)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        for widget in (self.header, self.item_problems, self.table, self.message):
            column.addWidget(widget)
        self._fields: dict[Key, value_editors.Field] = {}
        self._labels: dict[Key, QTableWidgetItem] = {}
        self._resets: dict[Key, QToolButton] = {}
        self._problems: list[Problem] = []
        self._rebuild()

    # what is shown -----------------------------------------------------------------------
    def set_document(self, document: LayoutDocument) -> None:
        """Edit items of ``document`` (nothing selected)."""
        if self.document is not None:
            self.document.disconnect("itemChanged", self._on_item_changed)
        self.document = document
        document.connect("itemChanged", self._on_item_changed)
        self.set_item(None)

    def set_item(self, item: Item | None) -> None:
        """Show the rows of ``item`` (``None``: nothing)."""
        self.item = item
        self.message.clear()
        self._rebuild()

    def set_problems(self, problems: list[Problem]) -> None:
        """Highlight the rows of the shown item that ``problems`` concern."""
        self._problems = problems
        self._mark_problems()

    def attribute_field(self, name: str) -> value_editors.Field:
        """The editor of attribute ``name`` (``name``, ``title``, ``sizes``...)."""
        return self._fields[("attr", name)]

    def property_field(self, name: str) -> value_editors.Field:
        """The editor of brick property ``name``."""
        return self._fields[("prop", name)]

    def reset_button(self, name: str) -> QToolButton:
        """The reset (or remove) button of brick property ``name``."""
        return self._resets.get(("prop", name)) or self._resets[("extra", name)]

    # building the rows ---------------------------------------------------------------------
    def _rebuild(self) -> None:
        self.table.setRowCount(0)
        self._fields, self._labels, self._resets = {}, {}, {}
        item = self.item
        if item is None or self.document is None or not self.document.contains(item):
            self.item = None
            self.header.setText("Select an item of the layout")
            self.item_problems.clear()
            return
        self.header.setText(f"{item_kind(item)} {item_text(item)}")
        if isinstance(item, WindowNode):
            self._add(("attr", "name"), value_editors.TextField())
            self._add(("attr", "title"), value_editors.TextField())
            self._add(("attr", "size"), value_editors.TextField())
            self._add(("attr", "show"), value_editors.BoolField())
        elif isinstance(item, ContainerNode):
            self._add(("attr", "type"), value_editors.ChoiceField(CONTAINER_TYPES))
            for name in ("name", "title", "label", "sizes"):
                self._add(("attr", name), value_editors.TextField())
        else:
            self._add(("attr", "name"), value_editors.TextField())
            self._add(("attr", "class"), value_editors.LabelField())
            self._add(("attr", "label"), value_editors.TextField())
            self._add_properties(self.document, item)
        self._refresh()
        self._mark_problems()

    def _add_properties(self, document: LayoutDocument, brick: BrickNode) -> None:
        cls = document.brick_class(brick)
        declared = cls.declared_properties() if cls is not None else {}
        self._section(f"{brick.class_name} properties" if cls else "properties (class unknown)")
        for name, spec in declared.items():
            self._add(("prop", name), self._field_for(spec), spec, resettable=True)
        for name in brick.properties:
            if name not in declared:
                self._add(("extra", name), value_editors.LabelField(), resettable=True)

    def _field_for(self, spec: BrickProperty) -> value_editors.Field:
        kind = spec.kind
        if kind in (PropertyKind.INTEGER, PropertyKind.FLOAT):
            return value_editors.NumberField(integer=kind is PropertyKind.INTEGER)
        if kind is PropertyKind.BOOLEAN:
            return value_editors.BoolField()
        if kind is PropertyKind.COMBO:
            return value_editors.ChoiceField(spec.choices)
        if kind is PropertyKind.FILE:
            return value_editors.ChooserField(lambda current: self.choose_file(current), "…")
        if kind is PropertyKind.COLOR:
            return value_editors.ColorField(lambda current: self.choose_color(current))
        if kind is PropertyKind.HARDWARE_OBJECT:
            return value_editors.HardwareObjectField(self.hardware_names)
        return value_editors.TextField()

    def _section(self, text: str) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        cell = QTableWidgetItem(text)
        font = QFont()
        font.setBold(True)
        cell.setFont(font)
        cell.setBackground(SECTION_BRUSH)
        self.table.setItem(row, 0, cell)
        self.table.setSpan(row, 0, 1, 3)

    def _add(
        self,
        key: Key,
        field: value_editors.Field,
        spec: BrickProperty | None = None,
        resettable: bool = False,
    ) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        label = QTableWidgetItem("tab label" if key == ("attr", "label") else key[1])
        if spec is not None:
            label.setToolTip(
                f"{spec.doc or key[1]}\nexpects {spec.expected()}; default {spec.default!r}"
            )
        elif key[0] == "extra":
            label.setToolTip(f"{key[1]} is not a property of this brick: remove it")
            label.setForeground(QBrush(QColor("#b71c1c")))
        else:
            label.setToolTip(ATTRIBUTE_DOCS.get(key[1], ""))
        self.table.setItem(row, 0, label)
        self.table.setCellWidget(row, 1, field)
        field.setToolTip(label.toolTip())
        field.valueCommitted.connect(lambda value, key=key: self._commit(key, value))
        self._fields[key], self._labels[key] = field, label
        if resettable:
            button = QToolButton()
            button.setText("✕" if key[0] == "extra" else "↺")
            button.setToolTip("remove this property" if key[0] == "extra" else "reset to default")
            button.clicked.connect(lambda _=False, key=key: self._reset(key))
            self.table.setCellWidget(row, 2, button)
            self._resets[key] = button

    # values ----------------------------------------------------------------------------------
    def _value(self, key: Key) -> object:
        """What the editor of ``key`` shows for the current item."""
        kind, name = key
        item = self.item
        if item is None or self.document is None:
            return None
        if kind == "attr":
            if name == "class":
                return item.class_name if isinstance(item, BrickNode) else ""
            value = getattr(item, name)
            if name in ("size", "sizes"):
                return ", ".join(str(v) for v in value or ())
            return value
        if not isinstance(item, BrickNode):
            return None
        if kind == "extra":
            return repr(item.properties.get(name))
        cls = self.document.brick_class(item)  # not None: "prop" rows are its properties
        default = cls.declared_properties()[name].default if cls is not None else None
        return item.properties.get(name, default)

    def _refresh(self) -> None:
        if self.item is None:
            return
        self.header.setText(f"{item_kind(self.item)} {item_text(self.item)}")
        for key, field in self._fields.items():
            field.show_value(self._value(key))
            if key[0] == "prop" and isinstance(self.item, BrickNode):
                is_set = key[1] in self.item.properties
                font = self._labels[key].font()
                font.setItalic(not is_set)
                self._labels[key].setFont(font)
                self._labels[key].setForeground(QBrush(QColor("black" if is_set else "gray")))
                self._resets[key].setEnabled(is_set)

    def _on_item_changed(self, item: Item) -> None:
        if item is not self.item:
            return
        extras = [k for k in self._fields if k[0] == "extra"]
        if isinstance(item, BrickNode) and any(k[1] not in item.properties for k in extras):
            QTimer.singleShot(0, self._rebuild)  # never delete the widget that is committing
        else:
            self._refresh()

    def _commit(self, key: Key, value: object) -> None:
        kind, name = key
        item, document = self.item, self.document
        if item is None or document is None:
            return
        try:
            if kind == "attr" and name == "name":
                document.rename(item, str(value))
            elif kind == "attr":
                document.set_attribute(item, name, value)
            elif kind == "prop" and isinstance(item, BrickNode):
                value = document.set_property(item, name, value)
        except EditError as exc:
            self._say(f"Refused: {exc}", "#b71c1c")
        else:
            self._say(f"{name} = {value!r}", "#2e7d32")
        if self.item is not None and key in self._fields:
            self._fields[key].show_value(self._value(key))

    def _reset(self, key: Key) -> None:
        if isinstance(self.item, BrickNode) and self.document is not None:
            self.document.reset_property(self.item, key[1])
            self._say(f"{key[1]} removed" if key[0] == "extra" else f"{key[1]} reset", "gray")

    def _say(self, text: str, colour: str) -> None:
        self.message.setStyleSheet(f"color: {colour};")
        self.message.setText(text)

    def _mark_problems(self) -> None:
        mine = [p for p in self._problems if p.item is self.item and self.item is not None]
        for key, label in self._labels.items():
            concerned = [p for p in mine if p.key == key[1] and key[0] != "attr"]
            label.setBackground(PROBLEM_BRUSH if concerned else QBrush())
        messages = [("⚠ " if p.severity == "warning" else "✖ ") + p.message for p in mine]
        self.item_problems.setText("\n".join(messages))
        self.item_problems.setVisible(bool(messages))

    # dialogs ----------------------------------------------------------------------------------
    def _choose_file(self, current: str) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", current)
        return path or None

    def _choose_color(self, current: str) -> str | None:
        start = QColor(current) if current and QColor.isValidColor(current) else QColor("white")
        chosen = QColorDialog.getColor(start, self, "Choose a colour")
        return chosen.name() if chosen.isValid() else None
