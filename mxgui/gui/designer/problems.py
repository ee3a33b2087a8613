"""The problems list: every problem of the layout with ``file:line``; double-click to go there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, pyqtSignal
from PyQt5.QtGui import QBrush, QColor
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mxgui.gui.designer.validation import Problem
from mxgui.gui.item_models import NamedColumns


class ProblemsModel(NamedColumns, QAbstractTableModel):
    """A list of :class:`Problem`: where (``file:line``) and what."""

    COLUMNS = ("Where", "Problem")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.problems: list[Problem] = []
        style = QApplication.style()
        self._icons = {
            "error": style.standardIcon(QStyle.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.SP_MessageBoxWarning),
        }

    def set_problems(self, problems: list[Problem]) -> None:
        """Show ``problems`` instead."""
        self.beginResetModel()
        self.problems = list(problems)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.problems)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        problem = self.problems[index.row()]
        if role == Qt.DisplayRole:
            if index.column() == 0:
                name = Path(problem.path).name
                return f"{name}:{problem.line}" if problem.line else f"{name} (new)"
            suffix = "  [in the file as read; gone from the layout edited]"
            return problem.message + (suffix if problem.as_loaded else "")
        if role == Qt.ToolTipRole:
            return str(problem)
        if role == Qt.DecorationRole and index.column() == 0:
            return self._icons.get(problem.severity)
        if role == Qt.ForegroundRole and problem.as_loaded:
            return QBrush(QColor("gray"))
        return None

    def lines(self) -> list[str]:
        """Each problem as ``file:line: message`` (what a test or a log would show)."""
        return [str(p) for p in self.problems]


class ProblemsView(QWidget):
    """The problems table; ``problemActivated(problem)`` on double-click (to select its item)."""

    problemActivated = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ProblemsModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)
        self.view.doubleClicked.connect(
            lambda index: self.problemActivated.emit(self.model.problems[index.row()])
        )
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.view)
