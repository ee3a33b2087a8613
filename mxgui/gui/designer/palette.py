"""The palette: container types and the available brick classes, to add to the layout."""

from __future__ import annotations

import inspect

from PyQt5.QtCore import QModelIndex, QSortFilterProxyModel, Qt, pyqtSignal
from PyQt5.QtGui import QStandardItem, QStandardItemModel
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QLineEdit,
    QPushButton,
    QStyle,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mxgui.gui.brick_registry import UnknownBrickError, available_bricks, brick_class
from mxgui.gui.layout import CONTAINER_TYPES

ENTRY_ROLE = Qt.UserRole + 1
CONTAINER_DOCS = {
    "tab": "tabs: one page per child (labelled by the child's label or title)",
    "hsplitter": "children side by side, with draggable borders",
    "vsplitter": "children one above the other, with draggable borders",
    "hbox": "children side by side",
    "vbox": "children one above the other",
    "groupbox": "a titled frame, children one above the other",
}


def brick_tooltip(class_name: str) -> tuple[str, bool]:
    """What the palette says about a brick class, and whether it can be used."""
    try:
        cls = brick_class(class_name)
    except UnknownBrickError as exc:
        return f"{class_name} cannot be used: {exc}", False
    lines = [class_name, inspect.getdoc(cls) or ""]
    properties = cls.declared_properties()
    if properties:
        lines.append("Properties: " + ", ".join(properties))
    if cls.declared_signals():
        lines.append("Signals: " + ", ".join(sorted(cls.declared_signals())))
    if cls.declared_slots():
        lines.append("Slots: " + ", ".join(sorted(cls.declared_slots())))
    return "\n".join(line for line in lines if line), True


class Palette(QWidget):
    """Container types and brick classes; double-click or *Add* adds the chosen entry.

    ``addRequested(kind, name)`` is emitted with kind ``"container"`` (name: the type) or
    ``"brick"`` (name: the class). A brick module that cannot be imported is listed
    greyed out with the reason in its tooltip.
    """

    addRequested = pyqtSignal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = QStandardItemModel(self)
        style = QApplication.style()
        containers = QStandardItem(style.standardIcon(QStyle.SP_DirIcon), "Containers")
        for kind in CONTAINER_TYPES:
            entry = QStandardItem(kind)
            entry.setData(("container", kind), ENTRY_ROLE)
            entry.setToolTip(CONTAINER_DOCS.get(kind, kind))
            containers.appendRow(entry)
        bricks = QStandardItem(style.standardIcon(QStyle.SP_FileIcon), "Bricks")
        for class_name in available_bricks():
            entry = QStandardItem(class_name)
            entry.setData(("brick", class_name), ENTRY_ROLE)
            tooltip, usable = brick_tooltip(class_name)
            entry.setToolTip(tooltip)
            entry.setEnabled(usable)
            bricks.appendRow(entry)
        for group in (containers, bricks):
            group.setSelectable(False)
            group.setEditable(False)
            for row in range(group.rowCount()):
                group.child(row).setEditable(False)
            self.model.appendRow(group)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseInsensitive)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("filter…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter)
        self.view = QTreeView()
        self.view.setModel(self.proxy)
        self.view.setHeaderHidden(True)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.expandAll()
        self.view.doubleClicked.connect(self._activated)
        self.add_button = QPushButton("Add to layout")
        self.add_button.setToolTip("add into the selected container, or after the selected item")
        self.add_button.clicked.connect(lambda: self._activated(self.view.currentIndex()))
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.filter)
        column.addWidget(self.view)
        column.addWidget(self.add_button)

    def _filter(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        self.view.expandAll()

    def entries(self) -> list[tuple[str, str]]:
        """Every (kind, name) offered."""
        found = []
        for group in range(self.model.rowCount()):
            parent = self.model.item(group)
            for row in range(parent.rowCount()):
                found.append(parent.child(row).data(ENTRY_ROLE))
        return found

    def select(self, kind: str, name: str) -> None:
        """Make (kind, name) the current entry."""
        for group in range(self.model.rowCount()):
            parent = self.model.item(group)
            for row in range(parent.rowCount()):
                if parent.child(row).data(ENTRY_ROLE) == (kind, name):
                    index = self.proxy.mapFromSource(parent.child(row).index())
                    self.view.setCurrentIndex(index)
                    return
        raise KeyError(f"no {kind} {name!r} in the palette")

    def _activated(self, index: QModelIndex) -> None:
        entry = index.data(ENTRY_ROLE) if index.isValid() else None
        if entry and index.flags() & Qt.ItemIsEnabled:
            self.addRequested.emit(*entry)
