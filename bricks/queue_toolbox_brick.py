"""The task toolbox: add tasks to the selected samples, with the beamline's defaults."""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QGridLayout, QLabel, QMenu, QPushButton, QVBoxLayout, QWidget

from hardware_objects.queue import QueueHardwareObject
from mxgui.core.acquisition import ParameterError
from mxgui.core.queue.history import sample_label
from mxgui.core.queue.nodes import (
    ROOT_ID,
    SAMPLE,
    TASK_GROUP,
    TASK_TYPES,
    QueueError,
    UnknownNodeError,
)
from mxgui.core.roles import WorkflowClientRole
from mxgui.core.shapes import Grid, Line, Point, Shape
from mxgui.core.words import with_article
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.shape_tasks import TASK_TITLES, ShapeTaskPlan, plan_for, shape_names, why_not_on

log = logging.getLogger(__name__)

PROBLEM_STYLE = "QLabel { color: #b71c1c; }"
LABELS = TASK_TITLES
#: the shape kinds a workflow may require (workflow.xml ``requires``)
REQUIRED_SHAPES: dict[str, type[Shape]] = {"grid": Grid, "point": Point}
SHAPE_SIGNALS = ("shapeAdded", "shapeChanged", "shapeRemoved", "selectionChanged", "cleared")


class QueueToolboxBrick(Brick):
    """One button per task type: a click adds that task to every selected sample (a
    selected task or group stands for its place), with the beamline's current
    defaults and a run number that collides with nothing. Connect the queue tree's
    ``nodesSelected`` to :meth:`set_selected_nodes`.

    Shapes selected in the sample view or the shapes list make one task each
    (:mod:`mxgui.gui.shape_tasks`): a data collection or a characterisation per point,
    a helical collection per line, a mesh scan per grid, an X-ray centring per grid
    or line; the toolbox says what a click will add, and where. Shape tasks go to the
    selected samples, else to the mounted sample (added to the queue if it is not
    there). :meth:`add_shape_tasks` does the same for the shapes' right-click menu.

    With no grid selected, a mesh scan goes on the last one drawn; with no grid or
    line selected, an X-ray centring is automatic (the workflow decides). The Workflow
    button's menu offers the workflow client's workflows (role ``workflow`` of the
    queue or the beamline); one that needs a grid or a point is offered only when
    the sample has one, and says so otherwise.
    """

    PROPERTIES = (p.hardware_object("queue", "/queue", "the queue", QueueHardwareObject),)
    tasksAdded = pyqtSignal(list)
    SIGNALS = ("tasksAdded",)
    SLOTS = ("set_selected_nodes", "add_task", "add_workflow", "add_shape_tasks")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.queue: QueueHardwareObject | None = None
        self.shapes: Any = None
        self.selection: list[int] = []
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for index, task_type in enumerate(TASK_TYPES):
            button = QPushButton(LABELS.get(task_type, task_type))
            button.setObjectName(task_type)
            if task_type != "Workflow":
                button.clicked.connect(lambda _checked=False, t=task_type: self.add_task(t))
            self.buttons[task_type] = button
            grid.addWidget(button, index // 2, index % 2)
        self.workflow_menu = QMenu(self)
        self.workflow_menu.setToolTipsVisible(True)
        self.buttons["Workflow"].setMenu(self.workflow_menu)
        self.target_label = QLabel()
        self.target_label.setWordWrap(True)
        #: what the buttons do with the shapes selected in the sample view
        self.shapes_label = QLabel()
        self.shapes_label.setWordWrap(True)
        self.shapes_label.setObjectName("shapes_label")
        self.shapes_label.setTextFormat(Qt.RichText)
        self.message = QLabel()
        self.message.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.target_label)
        column.addWidget(self.shapes_label)
        column.addLayout(grid)
        column.addWidget(self.message)
        column.addStretch(1)
        # a burst of changes (shapes, queue nodes, a mount) updates the words once
        self._update_timer = QTimer(self)
        self._update_timer.setSingleShot(True)
        self._update_timer.setInterval(0)
        self._update_timer.timeout.connect(self._update)
        self._update()

    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "queue":
            self.queue = self.hardware_object("queue", QueueHardwareObject)
            self.unbind("queue")
            self.shapes = None
            if self.queue is not None:  # a removed target no longer counts
                self.bind(self.queue.model, "nodeRemoved", self._removed, scope="queue")
                self.bind(self.queue.model, "modelReset", self._removed, scope="queue")
                self.shapes = self.queue.get_object_by_role("shapes")
            if self.shapes is not None:  # what a mesh scan or a workflow can go on
                for signal in SHAPE_SIGNALS:
                    self.bind(self.shapes, signal, self._removed, scope="queue")
            if self.queue is not None:  # the mounted sample: where shape tasks go
                self.bind(self.queue.model, "nodeAdded", self._node_added, scope="queue")
                changer = self.queue.sample_changer
                if changer is not None:
                    self.bind(changer, "loadedSampleChanged", self._removed, scope="queue")
            self._update()

    # selection ---------------------------------------------------------------------------------
    def set_selected_nodes(self, node_ids: list) -> None:
        """The nodes selected in the queue tree."""
        self.selection = [int(i) for i in node_ids]
        self._update()

    def _removed(self, *_args: object) -> None:
        self._update_timer.start()

    def _node_added(self, *_args: object) -> None:
        if not self.selection:  # the mounted sample may have come into the queue
            self._update_timer.start()

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

    def mounted_sample(self) -> tuple[str, int | None] | None:
        """The mounted sample's address and its sample in the queue (``None`` if it is
        not queued yet); ``None`` with no sample changer or nothing mounted."""
        changer = self.queue.sample_changer if self.queue is not None else None
        sample = changer.get_loaded_sample() if changer is not None else None
        if self.queue is None or sample is None:
            return None
        model = self.queue.model
        for node_id in model.children(ROOT_ID):
            if model.get_node(node_id).parameters.get("location") == sample.address:
                return sample.address, node_id
        return sample.address, None

    def shape_targets(self, add: bool = False) -> list[int]:
        """Where shape tasks go: the :meth:`targets`, else the mounted sample's entry
        (with ``add``, added to the queue if it is not there)."""
        targets = self.targets()
        mounted = self.mounted_sample() if not targets else None
        if mounted is None or self.queue is None:
            return targets
        address, node_id = mounted
        if node_id is None and add:
            node_id = self.queue.add_samples_from_changer([address])[0]
        return [node_id] if node_id is not None else []

    def selected_shapes(self) -> list[Shape]:
        """The shapes selected in the sample view or the shapes list, in order."""
        if self.shapes is None:
            return []
        found = []
        for shape_id in self.shapes.selected():
            try:
                found.append(self.shapes.get(shape_id))
            except KeyError:
                continue  # removed meanwhile: the removal updates the toolbox next
        return found

    def shape_plan(self, task_type: str) -> ShapeTaskPlan | None:
        """The tasks a click on ``task_type`` adds on the selected shapes, if any fit."""
        return plan_for(task_type, self.selected_shapes())

    def _where(self, targets: list[int]) -> str:
        """The targets in words: "1:01", "1:01, 1:02 and 3 more"."""
        if self.queue is None:
            return ""
        model = self.queue.model
        labels = []
        for target in targets[:4]:
            sample_id = model.sample_of(target)
            sample = model.get_node(sample_id) if sample_id is not None else None
            labels.append(sample_label(sample) or model.get_node(target).name)
        more = f" and {len(targets) - 4} more" if len(targets) > 4 else ""
        return ", ".join(labels) + more

    def workflow_client(self) -> WorkflowClientRole | None:
        """The workflow client (role ``workflow`` of the queue, else of the beamline)."""
        client = self.queue.get_object_by_role("workflow") if self.queue is not None else None
        beamline = self.context.repository.beamline
        if client is None and beamline is not None:
            client = beamline.get_object_by_role("workflow")
        return client if isinstance(client, WorkflowClientRole) else None

    def shape_for(self, *kinds: type[Shape], fallback: bool = True) -> str | None:
        """The id of the selected shape of ``kinds`` (the last selected), else with
        ``fallback`` the last one drawn; ``None`` if there is none."""
        if self.shapes is None:
            return None
        candidates = self.shapes.shapes()
        candidates = [s for s in candidates if isinstance(s, kinds)]
        selected = set(self.shapes.selected())
        chosen = [s for s in candidates if s.id in selected] or (candidates if fallback else [])
        return chosen[-1].id if chosen else None

    def _given(self, task_type: str) -> tuple[dict[str, Any], str]:
        """The parameters a click adds for ``task_type``, and why it cannot ("" if it can)."""
        if task_type == "MeshScan":
            grid_id = self.shape_for(Grid)
            if grid_id is None:
                return {}, "draw a grid in the sample view first"
            return {"grid_id": grid_id}, ""
        if task_type in ("XrayCentring", "Workflow") and self.workflow_client() is None:
            return {}, "this beamline has no workflow client (role workflow)"
        if task_type == "XrayCentring":
            shape_id = self.shape_for(Grid, Line, fallback=False)
            return ({"shape_id": shape_id} if shape_id else {}), ""
        return {}, ""

    def _update(self) -> None:
        self._update_timer.stop()
        targets = self.targets()
        model = self.queue.model if self.queue is not None else None
        if model is None:
            self.target_label.setText("No queue")
        elif not targets:
            self.target_label.setText("Select samples in the queue to add tasks to them.")
        else:
            self.target_label.setText(
                f"For {len(targets)} sample{'s' * (len(targets) != 1)}: " + self._where(targets)
            )
        plans = {t: self.shape_plan(t) for t in self.buttons}
        shape_where = self._update_shapes_label(plans, targets)
        # the shapes' line says where their tasks go: the line above would repeat it
        self.target_label.setVisible(bool(targets) or not any(plans.values()))
        for task_type, button in self.buttons.items():
            plan = plans[task_type]
            given, why_not = self._given(task_type)
            if plan is not None and not why_not:
                button.setEnabled(bool(shape_where))
                button.setToolTip(
                    f"add {plan.description} to {shape_where}"
                    if shape_where
                    else "select the sample in the queue (no sample is mounted)"
                )
                continue
            if task_type == "Workflow" and not why_not:
                why_not = self._fill_workflow_menu()
            button.setEnabled(bool(targets) and not why_not)
            if why_not:
                button.setToolTip(why_not)
            elif not targets:
                # with shapes selected, the reason is that none of them takes this task
                unfit = why_not_on(task_type, self.selected_shapes())
                button.setToolTip(
                    f"{unfit} (or select samples in the queue)"
                    if unfit
                    else "select samples in the queue first"
                )
            else:
                on = f" on {given.get('grid_id') or given.get('shape_id')}" if given else ""
                what = with_article(LABELS[task_type].lower().replace("x-ray", "X-ray"))
                button.setToolTip(f"add {what}{on} to each selected sample")

    def _update_shapes_label(
        self, plans: dict[str, ShapeTaskPlan | None], targets: list[int]
    ) -> str:
        """Say what each button adds on the selected shapes, and where; return the
        where in words ("" when shape tasks have nowhere to go)."""
        shapes = self.selected_shapes()
        # each line names its button, as the shapes' menu does
        lines = [
            f"{LABELS[task_type]}: {plan.description}"
            for task_type, plan in plans.items()
            if plan is not None
        ]
        if not shapes or not lines:
            self.shapes_label.setText(
                escape(
                    f"Selected in the sample view: {shape_names(shapes)} (no task here takes them)"
                )
                if shapes
                else ""
            )
            return ""
        note = ""
        if targets:
            where = f"sample {self._where(targets)}" if len(targets) == 1 else self._where(targets)
            note = self._not_mounted_note(targets)
        else:
            mounted = self.mounted_sample()
            if mounted is None:
                where = ""
            elif mounted[1] is None:
                where = f"the mounted sample {mounted[0]} (added to the queue)"
            else:
                where = f"the mounted sample {self._where([mounted[1]])}"
        head = f"{shape_names(shapes)} selected, for {where or 'no sample'}:"
        rows = [escape(head)] + [f"• {escape(words)}" for words in lines]
        if note:
            rows.append(f"<span style='color: #b71c1c;'>{escape(note)}</span>")
        self.shapes_label.setText("<br>".join(rows))
        return where

    def _not_mounted_note(self, targets: list[int]) -> str:
        """A warning when shape tasks would go to a sample that is not the mounted one:
        the shapes shown are the mounted sample's ("" when all targets are it)."""
        mounted = self.mounted_sample()
        if mounted is None or self.queue is None:
            return ""
        model = self.queue.model
        others = []
        for target in targets:
            sample_id = model.sample_of(target)
            location = model.get_node(sample_id).parameters.get("location") if sample_id else None
            if location and location != mounted[0]:
                others.append(str(location))
        if not others:
            return ""
        return (
            f"Note: these shapes are on the mounted sample {mounted[0]}, not on "
            f"{', '.join(others[:4])}{' …' if len(others) > 4 else ''}: select that sample's "
            "entry, or mount the sample and draw its own shapes."
        )

    def _fill_workflow_menu(self) -> str:
        """Offer the client's workflows; why none can be offered ("" if some can)."""
        self.workflow_menu.clear()
        client = self.workflow_client()
        if client is None:  # _given says so first
            return "this beamline has no workflow client (role workflow)"
        try:
            workflows = list(client.get_available_workflows())
        except Exception as exc:  # a client that cannot list is reported, not fatal
            log.exception("%s: listing the workflows failed", self.name)
            return f"the workflow client cannot list its workflows: {exc}"
        if not workflows:
            return "the workflow client lists no workflows (see its XML)"
        for info in workflows:
            name, title = str(info.get("name", "")), str(info.get("title") or info.get("name"))
            requires = str(info.get("requires", "sample"))
            action = self.workflow_menu.addAction(title)
            action.setObjectName(name)
            action.triggered.connect(lambda _checked=False, n=name: self.add_workflow(n))
            kind = REQUIRED_SHAPES.get(requires)
            shape_id = self.shape_for(kind) if kind is not None else None
            if kind is not None and shape_id is None:
                action.setEnabled(False)
                action.setText(f"{title} (needs a {requires}: draw one in the sample view)")
                action.setToolTip(f"{title} needs a {requires}; the sample has none")
            else:
                on = f" on {shape_id}" if shape_id else ""
                action.setToolTip(f"add the workflow {title}{on} to each selected sample")
        return ""

    def workflow_actions(self) -> dict[str, Any]:
        """The Workflow menu's actions by workflow name."""
        return {action.objectName(): action for action in self.workflow_menu.actions()}

    # adding ----------------------------------------------------------------------------------
    def add_task(self, task_type: str, given: dict[str, Any] | None = None) -> list[int]:
        """Add a ``task_type`` to every target (see :meth:`targets`); return the ids.
        ``given`` parameters go on top of the defaults (a mesh scan's grid and an X-ray
        centring's shape are found as the buttons say, when not given)."""
        if self.queue is None:
            return []
        if given is None:
            given, why_not = self._given(task_type)
            if why_not:
                self._show(f"{LABELS.get(task_type, task_type)}: {why_not}", problem=True)
                return []
            plan = self.shape_plan(task_type)
            if plan is not None:
                return self._add_plan(plan)
        added, problems = [], []
        for target in self.targets():
            try:
                added.append(self.queue.add_task(target, task_type, given))
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
            self.tasksAdded.emit(added)
        return added

    def add_shape_tasks(self, task_type: str, shape_ids: list) -> list[int]:
        """Add ``task_type`` tasks on the shapes ``shape_ids`` (the shapes' right-click
        menu), one per shape that fits; return the ids."""
        if self.shapes is None:
            self._show(f"{LABELS.get(task_type, task_type)}: no shapes object", problem=True)
            return []
        shapes, missing = [], []
        for shape_id in shape_ids:
            try:
                shapes.append(self.shapes.get(str(shape_id)))
            except KeyError:
                missing.append(str(shape_id))
        _given, why_not = self._given(task_type)
        if why_not:
            self._show(f"{LABELS.get(task_type, task_type)}: {why_not}", problem=True)
            return []
        plan = plan_for(task_type, shapes)
        gone = f"{' '.join(missing)} no longer on the sample" if missing else ""
        if plan is None:
            reasons = [f"none fits {shape_names(shapes)}"] if shapes else []
            why = "; ".join(reasons + ([gone] if gone else []))
            self._show(f"{LABELS.get(task_type, task_type)}: {why}", problem=True)
            return []
        return self._add_plan(plan, gone)

    def _add_plan(self, plan: ShapeTaskPlan, gone: str = "") -> list[int]:
        """Add the tasks of ``plan`` to each of :meth:`shape_targets`; say so, and
        ``gone`` (the shapes asked for that no longer exist) as a problem."""
        if self.queue is None:
            return []
        title = LABELS.get(plan.task_type, plan.task_type)
        try:
            targets = self.shape_targets(add=True)
        except (QueueError, ValueError) as exc:
            self._show(f"{title}: the mounted sample cannot be queued: {exc}", problem=True)
            return []
        if not targets:
            self._show(f"{title}: select the sample in the queue (none is mounted)", problem=True)
            return []
        added, problems = [], []
        for target in targets:
            for shape, given in zip(plan.shapes, plan.parameters):
                try:
                    added.append(self.queue.add_task(target, plan.task_type, given))
                except (ParameterError, QueueError) as exc:
                    name = self.queue.model.get_node(target).name
                    problems.append(f"{name}, {shape.name}: {exc}")
        where = self._where(targets)
        if problems:
            text = f"{len(problems)} not added: " + "; ".join(problems)
        else:
            text = f"Added {plan.description} to {where}"
        self._show(text + (f"; {gone}" if gone else ""), problem=bool(problems or gone))
        if added:
            self.tasksAdded.emit(added)
        return added

    def add_workflow(self, name: str) -> list[int]:
        """Add a Workflow task running ``name`` to every target; a workflow that needs
        a grid or a point gets the selected one (else the last drawn)."""
        client = self.workflow_client()
        if client is None:
            self._show("Workflow: this beamline has no workflow client", problem=True)
            return []
        infos = {str(i.get("name")): i for i in client.get_available_workflows()}
        if name not in infos:
            self._show(f"Workflow: the client has no workflow {name!r}", problem=True)
            return []
        requires = str(infos[name].get("requires", "sample"))
        parameters: dict[str, Any] = {}
        kind = REQUIRED_SHAPES.get(requires)
        if kind is not None:
            shape_id = self.shape_for(kind)
            if shape_id is None:
                self._show(f"Workflow {name} needs a {requires}: draw one first", problem=True)
                return []
            parameters["shape_id"] = shape_id
        return self.add_task("Workflow", {"workflow_name": name, "workflow_parameters": parameters})

    def _show(self, text: str, problem: bool = False) -> None:
        if problem:
            log.warning("%s: %s", self.name, text)
        self.message.setStyleSheet(PROBLEM_STYLE if problem else "")
        self.message.setText(text)
        self.message.setToolTip(text)
