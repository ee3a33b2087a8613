"""The task toolbox: add tasks to the selected samples, with the beamline's defaults."""

from __future__ import annotations

import logging
from typing import Any

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from hardware_objects.queue import QueueHardwareObject
from mxgui.core.acquisition import ParameterError
from mxgui.core.queue.history import sample_label
from mxgui.core.queue.nodes import SAMPLE, TASK_GROUP, TASK_TYPES, QueueError, UnknownNodeError
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext

log = logging.getLogger(__name__)

PROBLEM_STYLE = "QLabel { color: #b71c1c; }"
#: task types whose execution another issue brings: the button says which
NOT_YET: dict[str, str] = {
    "MeshScan": "Mesh scans come with issue 7 (mesh scans and their results)",
    "XrayCentring": "X-ray centring comes with issue 6 (workflows)",
    "Workflow": "Workflows come with issue 6 (workflows)",
}
LABELS = {
    "DataCollection": "Data collection",
    "Characterisation": "Characterisation",
    "EnergyScan": "Energy scan",
    "MeshScan": "Mesh scan",
    "XrayCentring": "X-ray centring",
    "Workflow": "Workflow",
}


class QueueToolboxBrick(Brick):
    """One button per task type: a click adds that task to every selected sample (a
    selected task or group stands for its place), with the beamline's current
    defaults and a run number that collides with nothing. Connect the queue tree's
    ``sig_nodes_selected`` to :meth:`set_selected_nodes`.
    """

    PROPERTIES = (p.hardware_object("queue", "/queue", "the queue", QueueHardwareObject),)
    sig_tasks_added = pyqtSignal(list)
    SIGNALS = ("sig_tasks_added",)
    SLOTS = ("set_selected_nodes", "add_task")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.queue: QueueHardwareObject | None = None
        self.selection: list[int] = []
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for index, task_type in enumerate(TASK_TYPES):
            button = QPushButton(LABELS.get(task_type, task_type))
            button.setObjectName(task_type)
            button.clicked.connect(lambda _checked=False, t=task_type: self.add_task(t))
            self.buttons[task_type] = button
            grid.addWidget(button, index // 2, index % 2)
        self.target_label = QLabel()
        self.target_label.setWordWrap(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.target_label)
        column.addLayout(grid)
        column.addWidget(self.message)
        column.addStretch(1)
        self._update()

    def property_changed(self, name: str, old_value: Any, new_value: Any) -> None:
        if name == "queue":
            self.queue = self.hardware_object("queue")  # type: ignore[assignment]
            self.unbind("queue")
            if self.queue is not None:  # a removed target no longer counts
                self.bind(self.queue.model, "nodeRemoved", self._removed, scope="queue")
                self.bind(self.queue.model, "modelReset", self._removed, scope="queue")
            self._update()

    # selection ---------------------------------------------------------------------------------
    def set_selected_nodes(self, node_ids: list) -> None:
        """The nodes selected in the queue tree."""
        self.selection = [int(i) for i in node_ids]
        self._update()

    def _removed(self, *_args: Any) -> None:
        self._update()

    def targets(self) -> list[int]:
        """Where new tasks go: each selected sample or group, the parent of each
        selected task; in order, without repeats."""
        if self.queue is None:
            return []
        model = self.queue.model
        found: list[int] = []
        for node_id in self.selection:
            try:
                node = model.get_node(node_id)
            except UnknownNodeError:
                continue
            if node.type in (SAMPLE, TASK_GROUP):
                found.append(node.id)
            elif node.is_task and node.parent is not None:
                found.append(node.parent)
        return list(dict.fromkeys(found))

    def _update(self) -> None:
        targets = self.targets()
        model = self.queue.model if self.queue is not None else None
        if model is None:
            self.target_label.setText("No queue")
        elif not targets:
            self.target_label.setText("Select samples in the queue to add tasks to them.")
        else:
            labels = []
            for target in targets[:4]:
                sample_id = model.sample_of(target)
                sample = model.get_node(sample_id) if sample_id is not None else None
                labels.append(sample_label(sample) or model.get_node(target).name)
            more = f" and {len(targets) - 4} more" if len(targets) > 4 else ""
            self.target_label.setText(
                f"For {len(targets)} sample{'s' * (len(targets) != 1)}: " + ", ".join(labels) + more
            )
        for task_type, button in self.buttons.items():
            if task_type in NOT_YET:
                button.setEnabled(False)
                button.setToolTip(NOT_YET[task_type])
            else:
                button.setEnabled(bool(targets))
                button.setToolTip(
                    f"add a {LABELS[task_type].lower()} to each selected sample"
                    if targets
                    else "select samples in the queue first"
                )

    # adding ----------------------------------------------------------------------------------
    def add_task(self, task_type: str) -> list[int]:
        """Add a ``task_type`` to every target (see :meth:`targets`); return the ids."""
        if self.queue is None:
            return []
        added, problems = [], []
        for target in self.targets():
            try:
                added.append(self.queue.add_task(target, task_type))
            except (ParameterError, QueueError) as exc:
                name = self.queue.model.get_node(target).name
                problems.append(f"{name}: {exc}")
        if problems:
            self._show(f"{len(problems)} not added: " + "; ".join(problems), problem=True)
        elif added:
            names = [self.queue.model.get_node(i).name for i in added]
            shown = ", ".join(names[:4]) + (" ..." if len(names) > 4 else "")
            self._show(f"Added {len(added)} × {LABELS.get(task_type, task_type)}: {shown}")
        if added:
            self.sig_tasks_added.emit(added)
        return added

    def _show(self, text: str, problem: bool = False) -> None:
        if problem:
            log.warning("%s: %s", self.name, text)
        self.message.setStyleSheet(PROBLEM_STYLE if problem else "")
        self.message.setText(text)
        self.message.setToolTip(text)
