"""Qt table models over the workflow execution log: runs, the steps of one run, and
per-workflow statistics. Each holds a list of records it is given (``set_rows``); the
execution-log brick reads them from :class:`~mxgui.core.workflow_log.WorkflowLog`."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt

from mxgui.core.workflow_log import RunRecord, StepRecord, WorkflowStatistics
from mxgui.gui.queue.dialogs import human_duration
from mxgui.gui.queue.status_style import status_colour, status_icon

__all__ = ["RunsModel", "StatisticsModel", "StepsModel", "format_duration", "format_time"]

Row = TypeVar("Row")


def format_duration(seconds: float | None) -> str:
    """``"12.3 s"`` (tenths under a minute: workflow steps are often short), else as the
    queue's confirmation says it (``"4 min 05 s"``, ``"1 h 02 min"``); ``""`` for
    ``None``."""
    if seconds is None:
        return ""
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    return human_duration(seconds)


def format_time(t: float) -> str:
    """Local date and time of ``t`` (seconds since the epoch)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))


class _RecordsModel(QAbstractTableModel, Generic[Row]):
    """A read-only table of records: one row each, columns given as (title, text of
    a record); a column named "Status" is coloured and has the status icon."""

    COLUMNS: tuple[tuple[str, Callable[[Any], str]], ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []
        titles = [title for title, _ in self.COLUMNS]
        self._status_column = titles.index("Status") if "Status" in titles else -1

    def set_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows`` in place of what was shown."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def record(self, row: int) -> Row:
        """The record shown in ``row``."""
        return self.rows[row]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(  # noqa: N802 - Qt name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole
    ) -> Any:
        if orientation == Qt.Horizontal and role == Qt.DisplayRole:
            return self.COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        record = self.rows[index.row()]
        if role in (Qt.DisplayRole, Qt.ToolTipRole):
            return self.COLUMNS[index.column()][1](record)
        if index.column() == self._status_column:
            status = self.COLUMNS[self._status_column][1](record)  # the text is the status
            if role == Qt.ForegroundRole:
                return status_colour(status)
            if role == Qt.DecorationRole:
                return status_icon(status)
        return None


class RunsModel(_RecordsModel[RunRecord]):
    """Workflow runs: workflow, start, duration, status, failed step, message."""

    COLUMNS = (
        ("Workflow", lambda r: r.name),
        ("Start", lambda r: format_time(r.started)),
        (
            "Duration",
            lambda r: format_duration(r.duration) if r.finished is not None else "running",
        ),
        ("Status", lambda r: r.status),
        ("Failed step", lambda r: r.failed_step),
        ("Message", lambda r: r.message),
    )

    def row_of(self, run_id: int) -> int | None:
        """The row showing run ``run_id``, or ``None``."""
        for row, record in enumerate(self.rows):
            if record.id == run_id:
                return row
        return None


class StepsModel(_RecordsModel[StepRecord]):
    """The steps of one run: step, start, duration, status, message."""

    COLUMNS = (
        ("Step", lambda s: s.step),
        ("Start", lambda s: format_time(s.started)),
        (
            "Duration",
            lambda s: format_duration(s.duration) if s.finished is not None else "running",
        ),
        ("Status", lambda s: s.status),
        ("Message", lambda s: s.message),
    )


class StatisticsModel(_RecordsModel[WorkflowStatistics]):
    """Per workflow: runs, successes, failures, mean duration."""

    COLUMNS = (
        ("Workflow", lambda s: s.name),
        ("Runs", lambda s: str(s.runs)),
        ("Successes", lambda s: str(s.successes)),
        ("Failures", lambda s: str(s.failures)),
        ("Mean duration", lambda s: format_duration(s.mean_duration)),
        ("Success rate", lambda s: f"{100 * s.successes / s.runs:.0f} %" if s.runs else ""),
    )
