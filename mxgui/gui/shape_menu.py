"""The right-click menu on shapes (sample view and shapes list) and its rename dialog.

One builder for both places: the tasks that apply to the shapes (see
:mod:`mxgui.gui.shape_tasks`), "Move to", "Rename…" and "Delete". What each entry does
is the owner's (:class:`ShapeMenuOwner`): the menu only says what is offered and why
an entry is disabled. :class:`ShapeMenuActions` holds what both owners do alike: ask the
toolbox for tasks, and delete shapes, asking first when queued tasks name them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from PyQt5.QtWidgets import (
    QAction,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.queue import QueueHardwareObject
from mxgui.core.centring import CentredPosition
from mxgui.core.queue.nodes import ROOT_ID
from mxgui.core.shapes import Grid, Line, Point, Shape, ShapesModel
from mxgui.gui.shape_tasks import SHAPE_TASK_KINDS, TASK_TITLES, plan_for, tasks_using
from mxgui.gui.widgets import MessageLine


def target_of(shape: Shape) -> CentredPosition:
    """Where "Move to" goes: a point's position, a line's start, a grid's centre."""
    if isinstance(shape, Point):
        return shape.position
    if isinstance(shape, Line):
        return shape.start
    if isinstance(shape, Grid):
        return shape.centre
    raise ValueError(f"cannot move to a {type(shape).__name__}")


class ShapeMenuOwner(Protocol):
    """What a shape menu's entries call."""

    def add_shape_tasks(self, task_type: str, shape_ids: list[str]) -> None: ...

    def move_to_shape(self, shape_id: str) -> None: ...

    def ask_rename(self, shape_id: str) -> None: ...

    def delete_shapes(self, shape_ids: list[str]) -> None: ...


def build_shape_menu(
    parent: QWidget,
    shapes: Sequence[Shape],
    owner: ShapeMenuOwner,
    why_no_tasks: str = "",
    why_no_move: str = "",
) -> QMenu:
    """The menu for ``shapes`` (the right-clicked one and the others selected with it).

    Each action's object name says what it is (``add_DataCollection``, ``move_to``,
    ``rename``, ``delete``), so tests and shortcuts find them. ``why_no_tasks`` /
    ``why_no_move``: why adding tasks / moving cannot be done now ("" if it can),
    shown as the disabled entries' tooltips."""
    menu = QMenu(parent)
    menu.setToolTipsVisible(True)
    ids = [s.id for s in shapes]
    for task_type in SHAPE_TASK_KINDS:
        plan = plan_for(task_type, shapes)
        if plan is None:
            continue
        action = menu.addAction(f"{TASK_TITLES[task_type]}: {plan.description}")
        action.setObjectName(f"add_{task_type}")
        action.setEnabled(not why_no_tasks)
        action.setToolTip(why_no_tasks or f"add {plan.description} to the queue")
        action.triggered.connect(lambda _c=False, t=task_type: owner.add_shape_tasks(t, ids))
    if not menu.isEmpty():
        menu.addSeparator()
    if len(shapes) == 1:
        shape = shapes[0]
        where = {Point: "", Line: "'s start", Grid: "'s centre"}.get(type(shape), "")
        move = menu.addAction(f"Move to {shape.name}{where}")
        move.setObjectName("move_to")
        move.setEnabled(not why_no_move)
        move.setToolTip(why_no_move or f"put {shape.name}{where} on the beam")
        move.triggered.connect(lambda _c=False, i=shape.id: owner.move_to_shape(i))
        rename = menu.addAction(f"Rename {shape.name}…")
        rename.setObjectName("rename")
        rename.triggered.connect(lambda _c=False, i=shape.id: owner.ask_rename(i))
    if shapes:
        what = shapes[0].name if len(shapes) == 1 else f"{len(shapes)} shapes"
        delete = menu.addAction(f"Delete {what}")
        delete.setObjectName("delete")
        delete.triggered.connect(lambda _c=False: owner.delete_shapes(ids))
    return menu


#: the most task names a deletion question lists
MAX_TASK_NAMES = 5


class ShapeMenuActions:
    """What the shapes' menu does alike in the sample view and the shapes list: ask the
    task toolbox for tasks (``request_tasks``, the brick's ``shapeTaskRequested``), say
    why an entry is disabled, and delete shapes. A shape that queued tasks not yet run
    name is deleted only after the user said yes to a question naming those tasks
    (``question``, open until answered), since those tasks then fail when they run."""

    def __init__(
        self,
        parent: QWidget,
        shapes: Callable[[], ShapesModel | None],
        queue: Callable[[], QueueHardwareObject | None],
        request_tasks: Callable[[str, list[str]], None],
        show_info: Callable[[str], None],
    ) -> None:
        self.parent = parent
        self.shapes = shapes
        self.queue = queue
        self.request_tasks = request_tasks
        self.show_info = show_info
        self.question: QMessageBox | None = None

    @staticmethod
    def why_no_tasks(connected: bool) -> str:
        """Why the menu's task entries are disabled ("" when a toolbox is connected)."""
        return "" if connected else "no task toolbox is connected in this layout"

    @staticmethod
    def why_no_move(has_diffractometer: bool) -> str:
        """Why "Move to" is disabled ("" when there is a diffractometer)."""
        return "" if has_diffractometer else "no diffractometer"

    def add_shape_tasks(self, task_type: str, shape_ids: list[str]) -> None:
        """Ask the task toolbox for ``task_type`` tasks on ``shape_ids``."""
        self.request_tasks(task_type, list(shape_ids))

    def tasks_using(self, shape_ids: list[str]) -> dict[str, list[str]]:
        """The queued tasks not yet run that name ``shape_ids``, by shape id: those of
        the mounted sample's entry when it is queued (shapes belong to the mounted
        sample), else of the whole queue."""
        queue = self.queue()
        if queue is None:
            return {}
        model, start = queue.model, ROOT_ID
        changer = queue.sample_changer
        sample = changer.get_loaded_sample() if changer is not None else None
        if sample is not None:
            for node_id in model.children(ROOT_ID):
                if model.get_node(node_id).parameters.get("location") == sample.address:
                    start = node_id
        return tasks_using(model.iter_nodes(start), shape_ids)

    def delete_shapes(self, shape_ids: list[str], before: Callable[[], None] | None = None) -> None:
        """Delete the shapes ``shape_ids``, after asking when queued tasks name them;
        ``before`` runs just before they go (not when the user says no)."""
        users = self.tasks_using(shape_ids)
        if not users:
            self._delete(shape_ids, before, {})
            return
        if self.question is not None:
            self.question.close()
            self.question.deleteLater()
        names = self._names(shape_ids)
        lines = []
        for shape_id, tasks in users.items():
            shown = ", ".join(tasks[:MAX_TASK_NAMES])
            more = f" and {len(tasks) - MAX_TASK_NAMES} more" if len(tasks) > MAX_TASK_NAMES else ""
            count = f"{len(tasks)} task{'s' * (len(tasks) != 1)}"
            lines.append(
                f"{names.get(shape_id, shape_id)} is used by {count} in the queue: {shown}{more}"
            )
        self.question = QMessageBox(
            QMessageBox.Question,
            "Delete shapes used by queued tasks",
            "\n".join(lines) + "\n\n" + _consequence(sum(len(t) for t in users.values())),
            QMessageBox.Yes | QMessageBox.No,
            self.parent,
        )
        self.question.setDefaultButton(QMessageBox.No)
        question = self.question
        question.finished.connect(
            lambda answer: (
                self._delete(shape_ids, before, users)
                if answer == QMessageBox.Yes
                else self.show_info(f"Kept {', '.join(names.get(i, i) for i in users)}")
            )
        )
        question.open()

    def _names(self, shape_ids: list[str]) -> dict[str, str]:
        shapes, names = self.shapes(), {}
        for shape_id in shape_ids:
            try:
                names[shape_id] = shapes.get(shape_id).name if shapes is not None else shape_id
            except KeyError:
                names[shape_id] = shape_id
        return names

    def _delete(
        self, shape_ids: list[str], before: Callable[[], None] | None, users: dict[str, list[str]]
    ) -> None:
        shapes = self.shapes()
        if shapes is None:
            return
        if before is not None:
            before()
        deleted = []
        for shape_id in shape_ids:
            try:
                deleted.append(shapes.remove(shape_id).name)
            except KeyError:
                pass  # removed meanwhile (the other brick, another sample mounted)
        if not deleted:
            return
        shown = ", ".join(deleted[:MAX_TASK_NAMES]) + (
            " …" if len(deleted) > MAX_TASK_NAMES else ""
        )
        orphans = sum(len(tasks) for tasks in users.values())
        note = ""
        if orphans == 1:
            note = "; 1 queued task left without its shape"
        elif orphans:
            note = f"; {orphans} queued tasks left without their shape"
        self.show_info(f"Deleted {shown}{note}")


def _consequence(count: int) -> str:
    """What deleting does to ``count`` tasks that name the shape, and what to do."""
    if count == 1:
        return (
            "Delete anyway? The task then names a shape that is gone and fails when it "
            "runs (delete or edit it in the queue)."
        )
    return (
        "Delete anyway? The tasks then name a shape that is gone and fail when they "
        "run (delete or edit them in the queue)."
    )


def menu_actions(menu: QMenu) -> dict[str, QAction]:
    """A menu's actions by object name (separators left out)."""
    return {a.objectName(): a for a in menu.actions() if a.objectName()}


class RenameShapeDialog(QDialog):
    """Asks for a shape's new name; a refused name (empty, or another shape's) is
    shown in the dialog, which stays open until a name is taken or the user cancels."""

    def __init__(self, shapes: ShapesModel, shape: Shape, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shapes = shapes
        self.shape_id = shape.id
        self.setWindowTitle(f"Rename {shape.id}")
        self.name_edit = QLineEdit(shape.name)
        self.name_edit.selectAll()
        self.problem = MessageLine()
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.Ok)
        column = QVBoxLayout(self)
        column.addWidget(QLabel(f"New name of {shape.KIND} {shape.name}:"))
        column.addWidget(self.name_edit)
        column.addWidget(self.problem)
        column.addWidget(buttons)

    def accept(self) -> None:
        """Rename, or say why not and stay open."""
        try:
            self.shapes.rename(self.shape_id, self.name_edit.text())
        except (KeyError, ValueError) as exc:
            self.problem.show_problem(str(exc.args[0] if exc.args else exc))
            return
        super().accept()
