"""The log window: every message of the application, filterable by level."""

from __future__ import annotations

import logging
import time

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt
from PyQt5.QtGui import QBrush, QColor
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.item_models import NamedColumns
from mxgui.gui.log_handler import LogEntry

LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
}
LEVEL_BRUSHES = {
    logging.WARNING: QBrush(QColor("#fff3cd")),
    logging.ERROR: QBrush(QColor("#f8d7da")),
    logging.CRITICAL: QBrush(QColor("#f5b7b1")),
}


class LogModel(NamedColumns, QAbstractTableModel):
    """The log entries at or above a level, newest last, at most ``capacity`` rows."""

    COLUMNS = ("Time", "Level", "Source", "Message")

    def __init__(self, capacity: int = 5000, parent=None) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self.level = logging.INFO
        self._rows: list[LogEntry] = []
        self.last_seq = 0

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: QModelIndex, role=Qt.DisplayRole):
        entry = self._rows[index.row()]
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            column = index.column()
            if column == 0:
                return time.strftime("%H:%M:%S", time.localtime(entry.time))
            if column == 1:
                return entry.level_name
            if column == 2:
                return entry.logger
            return (
                entry.message
                if role == Qt.ToolTipRole
                else entry.message.splitlines()[0]
                if entry.message
                else ""
            )
        if role == Qt.BackgroundRole:
            return LEVEL_BRUSHES.get(entry.level)
        return None

    def append(self, entries: list[LogEntry]) -> None:
        """Add the entries at or above the level; drop the oldest beyond capacity."""
        new = [e for e in entries if e.level >= self.level and e.seq > self.last_seq]
        if entries:
            self.last_seq = max(self.last_seq, entries[-1].seq)
        if not new:
            return
        overflow = len(self._rows) + len(new) - self.capacity
        if overflow > 0:
            drop = min(overflow, len(self._rows))
            self.beginRemoveRows(QModelIndex(), 0, drop - 1)
            del self._rows[:drop]
            self.endRemoveRows()
            new = new[-self.capacity :]
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
        self._rows.extend(new)
        self.endInsertRows()

    def reset(self, entries: list[LogEntry], level: int) -> None:
        """Show ``entries`` again from scratch at ``level``."""
        self.beginResetModel()
        self.level = level
        self._rows = [e for e in entries if e.level >= level][-self.capacity :]
        if entries:
            self.last_seq = max(self.last_seq, entries[-1].seq)
        self.endResetModel()

    def entry(self, row: int) -> LogEntry:
        return self._rows[row]


class LogBrick(Brick):
    """The application log (all threads), newest at the bottom, coloured by level."""

    PROPERTIES = (
        p.combo("level", tuple(LEVELS), "INFO", "lowest level shown"),
        p.integer("capacity", 5000, "rows kept", minimum=100, maximum=1_000_000),
    )
    SLOTS = ("clear",)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.model = LogModel(parent=self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(20)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        # wide enough for "00:00:00" and "CRITICAL" in this font: never "WARNI..."
        metrics = self.view.fontMetrics()
        padding = 3 * metrics.horizontalAdvance("0")
        self.view.setColumnWidth(0, metrics.horizontalAdvance("00:00:00") + padding)
        self.view.setColumnWidth(1, metrics.horizontalAdvance("CRITICAL") + padding)
        self.view.setColumnWidth(2, 170)
        self.level_box = QComboBox()
        self.level_box.addItems(list(LEVELS))
        self.level_box.currentTextChanged.connect(lambda text: self.set_property("level", text))
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show from:"))
        bar.addWidget(self.level_box)
        bar.addStretch(1)
        bar.addWidget(clear)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addLayout(bar)
        column.addWidget(self.view)
        self._cleared_seq = 0
        if context.log_handler is not None:
            context.log_handler.add_listener(self._on_entries)

    def property_changed(self, name: str, old_value, new_value) -> None:
        if name == "level":
            self.level_box.blockSignals(True)
            self.level_box.setCurrentText(new_value)
            self.level_box.blockSignals(False)
            self._reload()
        elif name == "capacity":
            self.model.capacity = new_value
            self._reload()

    def _reload(self) -> None:
        entries = list(self.context.log_handler.entries) if self.context.log_handler else []
        entries = [e for e in entries if e.seq > self._cleared_seq]
        self.model.reset(entries, LEVELS[self.get_property("level")])
        self.view.scrollToBottom()

    def _on_entries(self, entries: list[LogEntry]) -> None:
        bar = self.view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.append(entries)
        if at_bottom:
            self.view.scrollToBottom()

    def clear(self) -> None:
        """Empty the view (the messages stay in the application's log)."""
        self._cleared_seq = self.model.last_seq
        self.model.reset([], self.model.level)

    def cleanup(self) -> None:
        super().cleanup()
        if self.context.log_handler is not None:
            self.context.log_handler.remove_listener(self._on_entries)
