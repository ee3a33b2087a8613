"""The execution log of workflow runs: runs, the steps of the selected run, statistics."""

from __future__ import annotations

import logging

from PyQt5.QtCore import QAbstractItemModel, Qt, QTimer
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mxgui.core.roles import WorkflowClientRole
from mxgui.core.workflow_log import WorkflowLog, WorkflowLogError
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.widgets import MessageLine
from mxgui.gui.workflow_log_models import RunsModel, StatisticsModel, StepsModel

log = logging.getLogger(__name__)

#: the workflow client's signals that change the log
CLIENT_SIGNALS = ("workflowStarted", "workflowStepChanged", "workflowFinished")
#: runs shown (newest first)
RUN_LIMIT = 200


def _table(model: QAbstractItemModel, stretch: int) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectRows)
    view.setSelectionMode(QAbstractItemView.SingleSelection)
    view.setEditTriggers(QAbstractItemView.NoEditTriggers)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(20)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.Interactive)
    header.setSectionResizeMode(stretch, QHeaderView.Stretch)
    return view


class WorkflowLogBrick(Brick):
    """The "Execution log" of the workflow client (its ``log``, a
    :class:`~mxgui.core.workflow_log.WorkflowLog`): the latest runs, newest first,
    with start, duration, status, the step that failed and the message; the steps
    of the selected run with their durations; per-workflow runs, successes, failures
    and mean duration. Refreshed when the client reports a run starting, a step or a
    run ending (one reload per burst).
    """

    PROPERTIES = (p.hardware_object("workflow", "/workflow", "the workflow client"),)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.workflow_log: WorkflowLog | None = None
        self.runs = RunsModel(self)
        self.steps = StepsModel(self)
        self.statistics = StatisticsModel(self)
        self.runs_view = _table(self.runs, 5)
        self.runs_view.setObjectName("runs")
        self.steps_view = _table(self.steps, 4)
        self.steps_view.setObjectName("steps")
        self.statistics_view = _table(self.statistics, 0)
        self.statistics_view.setObjectName("statistics")
        self.runs_view.selectionModel().selectionChanged.connect(self._show_steps)
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.runs_view)
        split.addWidget(self.steps_view)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.tabs = QTabWidget()
        self.tabs.addTab(split, "Runs")
        self.tabs.addTab(self.statistics_view, "Statistics")
        self.message = MessageLine()
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.tabs)
        column.addWidget(self.message)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(100)
        self._reload_timer.timeout.connect(self.reload)

    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "workflow":
            self.set_client(self.hardware_object("workflow", WorkflowClientRole))

    def set_client(self, client: WorkflowClientRole | None) -> None:
        """Show the log of ``client`` (its ``log`` and the workflow signals), or
        nothing for ``None``."""
        self.unbind("workflow")
        self.workflow_log = client.log if client is not None else None
        if client is None:
            self.message.show_message("No workflow client")
        else:
            for signal in CLIENT_SIGNALS:
                self.bind(client, signal, self._changed, scope="workflow")
            problem = client.log.problem
            if problem:
                self.message.show_problem(problem)
            else:
                self.message.show_message(f"Execution log: {client.log.path or 'in memory'}")
        self.reload()

    def _changed(self, *_args: object) -> None:
        if not self._reload_timer.isActive():
            self._reload_timer.start()

    def reload(self) -> None:
        """Read the runs and statistics again, keeping the selected run selected."""
        selected = self.selected_run()
        if self.workflow_log is None:
            runs, statistics = [], []
        else:
            try:
                runs = self.workflow_log.runs(limit=RUN_LIMIT)
                statistics = self.workflow_log.statistics()
            except WorkflowLogError as exc:
                log.error("%s: %s", self.name, exc)
                self.message.show_problem(str(exc))
                return
        self.runs.set_rows(runs)
        self.statistics.set_rows(statistics)
        row = self.runs.row_of(selected) if selected is not None else None
        if row is not None:
            self.runs_view.selectRow(row)
        self._show_steps()

    def selected_run(self) -> int | None:
        """The id of the run selected in the table, or ``None``."""
        rows = self.runs_view.selectionModel().selectedRows()
        return self.runs.record(rows[0].row()).id if rows else None

    def select_run(self, run_id: int) -> None:
        """Select run ``run_id`` (its steps are shown)."""
        row = self.runs.row_of(run_id)
        if row is not None:
            self.runs_view.selectRow(row)

    def _show_steps(self, *_args: object) -> None:
        run_id = self.selected_run()
        if run_id is None or self.workflow_log is None:
            self.steps.set_rows([])
            return
        try:
            self.steps.set_rows(self.workflow_log.steps(run_id))
        except WorkflowLogError as exc:
            log.error("%s: %s", self.name, exc)
            self.message.show_problem(str(exc))
