"""The right-click menu on shapes (sample view and shapes list) and its rename dialog.

One builder for both places: the tasks that apply to the shapes (see
:mod:`mxgui.gui.shape_tasks`), "Move to", "Rename…" and "Delete". What each entry does
is the owner's (:class:`ShapeMenuOwner`): the menu only says what is offered and why
an entry is disabled.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PyQt5.QtWidgets import (
    QAction,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from mxgui.core.centring import CentredPosition
from mxgui.core.shapes import Grid, Line, Point, Shape, ShapesModel
from mxgui.gui.shape_tasks import SHAPE_TASK_KINDS, TASK_TITLES, plan_for
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
