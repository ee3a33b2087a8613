"""The connection editor: ``sender.signal -> receiver.slot`` between the layout's bricks."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PyQt5.QtGui import QBrush, QColor
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mxgui.gui.designer.document import LayoutDocument
from mxgui.gui.designer.rules import EditError
from mxgui.gui.designer.validation import Problem
from mxgui.gui.item_models import NamedColumns
from mxgui.gui.layout import CONNECTION_KEYS, Connection


class ConnectionsModel(NamedColumns, QAbstractTableModel):
    """The layout's connections, one per row; one with a problem is red, with the reason."""

    COLUMNS = ("Sender", "Signal", "Receiver", "Slot")

    def __init__(self, document: LayoutDocument, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self._problems: dict[int, list[str]] = {}
        document.connect("connectionsChanged", self._reset)

    def set_document(self, document: LayoutDocument) -> None:
        """Show the connections of ``document``."""
        self.document.disconnect("connectionsChanged", self._reset)
        self.document = document
        document.connect("connectionsChanged", self._reset)
        self._reset()

    def detach(self) -> None:
        """Stop following the document."""
        self.document.disconnect("connectionsChanged", self._reset)

    def _reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def set_problems(self, problems: list[Problem]) -> None:
        """Mark the connections ``problems`` belong to."""
        self._problems = {}
        for problem in problems:
            if isinstance(problem.item, Connection):
                self._problems.setdefault(id(problem.item), []).append(problem.message)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, 3))

    def connection(self, row: int) -> Connection:
        """The connection shown in ``row``."""
        return self.document.layout.connections[row]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.document.layout.connections)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        connection = self.connection(index.row())
        problems = self._problems.get(id(connection), [])
        if role == Qt.DisplayRole:
            return getattr(connection, CONNECTION_KEYS[index.column()])
        if role == Qt.ToolTipRole:
            where = f"line {connection.line}: " if connection.line else ""
            return where + ("\n".join(problems) if problems else "OK")
        if role == Qt.ForegroundRole and problems:
            return QBrush(QColor("#b71c1c"))
        return None


class ConnectionEditor(QWidget):
    """Lists the connections; adds, replaces and removes them.

    The four lists offer only what exists: senders are the bricks that declare signals,
    the signal list holds the chosen sender's declared signals, and likewise receivers
    and their declared slots. The document refuses a duplicate or an incomplete
    connection; the reason is shown in :attr:`message`.
    """

    def __init__(self, document: LayoutDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.model = ConnectionsModel(document, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.Stretch)
        self.sender_box, self.signal_box = QComboBox(), QComboBox()
        self.receiver_box, self.slot_box = QComboBox(), QComboBox()
        for box in (self.sender_box, self.signal_box, self.receiver_box, self.slot_box):
            box.setSizeAdjustPolicy(QComboBox.AdjustToContents)
            box.setMinimumContentsLength(10)
        self.add_button = QPushButton("Add")
        self.replace_button = QPushButton("Replace selected")
        self.remove_button = QPushButton("Remove selected")
        self.message = QLabel()
        self.message.setWordWrap(True)
        form = QGridLayout()
        for column, (text, box) in enumerate(
            (
                ("Sender", self.sender_box),
                ("Signal", self.signal_box),
                ("Receiver", self.receiver_box),
                ("Slot", self.slot_box),
            )
        ):
            form.addWidget(QLabel(text), 0, column)
            form.addWidget(box, 1, column)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.replace_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addWidget(self.message, 1)
        column_layout = QVBoxLayout(self)
        column_layout.setContentsMargins(2, 2, 2, 2)
        column_layout.addWidget(self.view, 1)
        column_layout.addLayout(form)
        column_layout.addLayout(buttons)
        self.sender_box.currentTextChanged.connect(self._fill_signals)
        self.receiver_box.currentTextChanged.connect(self._fill_slots)
        self.add_button.clicked.connect(self.add)
        self.replace_button.clicked.connect(self.replace)
        self.remove_button.clicked.connect(self.remove)
        self.view.selectionModel().selectionChanged.connect(self._on_selected)
        document.connect("edited", self.refill)
        self.refill()
        self._on_selected()

    def set_document(self, document: LayoutDocument) -> None:
        """Edit the connections of ``document``."""
        self.document.disconnect("edited", self.refill)
        self.document = document
        self.model.set_document(document)
        document.connect("edited", self.refill)
        self.message.clear()
        self.refill()

    def detach(self) -> None:
        """Stop following the document."""
        self.document.disconnect("edited", self.refill)
        self.model.detach()

    # the lists -------------------------------------------------------------------------------
    def refill(self) -> None:
        """Offer the layout's current bricks (keeps the choices that still exist)."""
        senders, receivers = [], []
        for node in self.document.bricks():
            cls = self.document.brick_class(node)
            if cls is not None and cls.declared_signals():
                senders.append(node.name)
            if cls is not None and cls.declared_slots():
                receivers.append(node.name)
        _refill(self.sender_box, senders)
        _refill(self.receiver_box, receivers)
        self._fill_signals()
        self._fill_slots()

    def _declared(self, brick_name: str, what: str) -> list[tuple[str, str]]:
        node = self.document.brick(brick_name)
        cls = self.document.brick_class(node) if node is not None else None
        if cls is None:
            return []
        names = cls.declared_signals() if what == "signals" else cls.declared_slots()
        described = []
        for name in sorted(names):
            attribute = getattr(cls, name, None)
            if what == "signals":
                tip = ", ".join(getattr(attribute, "signatures", ())) or name
            else:
                doc = inspect.getdoc(attribute) or ""
                tip = f"{name}{_signature(attribute)}\n{doc}".strip()
            described.append((name, tip))
        return described

    def _fill_signals(self) -> None:
        _refill(self.signal_box, self._declared(self.sender_box.currentText(), "signals"))

    def _fill_slots(self) -> None:
        _refill(self.slot_box, self._declared(self.receiver_box.currentText(), "slots"))

    def _chosen(self) -> Connection:
        return Connection(
            self.sender_box.currentText(),
            self.signal_box.currentText(),
            self.receiver_box.currentText(),
            self.slot_box.currentText(),
        )

    def selected_row(self) -> int | None:
        """The row of the selected connection, if any."""
        rows = self.view.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def _on_selected(self, *_: object) -> None:
        row = self.selected_row()
        self.replace_button.setEnabled(row is not None)
        self.remove_button.setEnabled(row is not None)
        if row is None:
            return
        connection = self.model.connection(row)
        for box, value in (
            (self.sender_box, connection.sender),
            (self.signal_box, connection.signal),
            (self.receiver_box, connection.receiver),
            (self.slot_box, connection.slot),
        ):
            if box.findText(value) >= 0:
                box.setCurrentText(value)

    # editing ---------------------------------------------------------------------------------
    def add(self) -> None:
        """Add the connection chosen in the four lists."""
        if self._apply(lambda: self.document.add_connection(self._chosen()), "added"):
            self.view.selectRow(self.model.rowCount() - 1)

    def replace(self) -> None:
        """Replace the selected connection with the one chosen in the lists."""
        row = self.selected_row()
        if row is not None:
            if self._apply(
                lambda: self.document.replace_connection(row, self._chosen()), "changed"
            ):
                self.view.selectRow(row)

    def remove(self) -> None:
        """Remove the selected connection."""
        row = self.selected_row()
        if row is not None:
            self._apply(lambda: self.document.remove_connection(row), "removed")

    def _apply(self, edit: Callable[[], None], done: str) -> bool:
        try:
            edit()
        except EditError as exc:
            self.message.setStyleSheet("color: #b71c1c;")
            self.message.setText(f"Refused: {exc}")
            return False
        self.message.setStyleSheet("color: #2e7d32;")
        self.message.setText(f"Connection {done}.")
        return True


def _refill(box: QComboBox, entries: list[str] | list[tuple[str, str]]) -> None:
    """Replace the entries of ``box`` (name or (name, tooltip)), keeping the current one."""
    current = box.currentText()
    box.blockSignals(True)
    box.clear()
    for entry in entries:
        name, tip = entry if isinstance(entry, tuple) else (entry, "")
        box.addItem(name)
        if tip:
            box.setItemData(box.count() - 1, tip, Qt.ToolTipRole)
    if box.findText(current) >= 0:
        box.setCurrentText(current)
    box.blockSignals(False)
    if box.currentText() != current:
        box.currentTextChanged.emit(box.currentText())


def _signature(function: object) -> str:
    if not callable(function):
        return "()"
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return "()"
    parameters = [p for name, p in signature.parameters.items() if name != "self"]
    return str(signature.replace(parameters=parameters))
