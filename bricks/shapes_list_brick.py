"""The shapes of the mounted sample as a list: select, rename, delete, move to, join."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PyQt5.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QAction,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.abstract.diffractometer import AbstractDiffractometer
from hardware_objects.queue import QueueHardwareObject
from mxgui.core.shapes import Point, Shape, ShapesModel
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.shape_menu import ShapeMenuActions, build_shape_menu, target_of
from mxgui.gui.shapes_table import DETAILS, ID, KIND, NAME, OMEGA, ShapesTableModel
from mxgui.gui.widgets import KeySpec, MessageLine, view_action

log = logging.getLogger(__name__)


class ShapesListBrick(Brick):
    """The saved points, lines and grids of the mounted sample, one row each.

    Select rows (the selection is the shapes model's, shared with the sample view),
    rename in place (double-click or F2 on the name), delete, move the sample to a
    shape (a point, a line's start, a grid's centre), or join two points into a line.
    Refusals and failures are shown below the list. A right click opens the shapes'
    menu (:mod:`mxgui.gui.shape_menu`, as in the sample view): the tasks that fit the
    selected shapes, asked for with ``shapeTaskRequested(task_type, shape_ids)``
    (connect it to the task toolbox's ``add_shape_tasks``), move to, rename, delete.
    """

    PROPERTIES = (
        p.hardware_object("shapes", "/shapes", "the shapes of the sample", ShapesModel),
        p.hardware_object(
            "diffractometer", "/diffractometer", "moves to a shape", AbstractDiffractometer
        ),
        p.hardware_object(
            "queue", "", "asks before deleting a shape its tasks name", QueueHardwareObject
        ),
    )
    shapeSelected = pyqtSignal(str)
    shapeTaskRequested = pyqtSignal(str, list)
    SIGNALS = ("shapeSelected", "shapeTaskRequested")
    SLOTS = ("select_shape", "move_to_shape", "delete_selected")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.shapes: ShapesModel | None = None
        self._selection: tuple[str, ...] = ()
        self.table = ShapesTableModel(self)
        self.table.editRefused.connect(self._show_problem)
        self.view = QTableView()
        self.view.setModel(self.table)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.view.setEditTriggers(
            QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed
        )
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(20)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)  # never per-row measuring
        header.setStretchLastSection(False)
        header.setSectionResizeMode(DETAILS, QHeaderView.Stretch)
        metrics = self.view.fontMetrics()
        for column, sample in (
            (ID, "P000"),
            (NAME, "crystal 1 tip"),
            (KIND, "point"),
            (OMEGA, "-360.00°"),
        ):
            self.view.setColumnWidth(column, metrics.horizontalAdvance(sample) + 16)
        self.view.selectionModel().selectionChanged.connect(self._on_view_selection)
        self.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        #: the shapes' menu shown last (None: none yet)
        self.shape_menu: QMenu | None = None
        self.shape_actions = ShapeMenuActions(
            self,
            lambda: self.shapes,
            lambda: self.hardware_object("queue", QueueHardwareObject),
            self.shapeTaskRequested.emit,
            self._show_message,
        )

        self.move_action = self._action("Move to", self.move_to_selected, "move the sample there")
        self.rename_action = self._action("Rename", self.rename_selected, "", QKeySequence("F2"))
        self.delete_action = self._action(
            "Delete", self.delete_selected, "delete the selected shapes", QKeySequence.Delete
        )
        self.line_action = self._action("Line from 2 points", self.line_from_points, "")
        self.count_label = QLabel()
        self.message = MessageLine()
        self.move_button = self._button(self.move_action)
        self.rename_button = self._button(self.rename_action)
        self.delete_button = self._button(self.delete_action)
        self.line_button = self._button(self.line_action)
        bar = QHBoxLayout()
        for button in (self.move_button, self.rename_button, self.delete_button, self.line_button):
            bar.addWidget(button)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.view)
        layout.addLayout(bar)
        layout.addWidget(self.message)
        # a burst of row changes updates the buttons and the count once, afterwards
        self._actions_timer = QTimer(self)
        self._actions_timer.setSingleShot(True)
        self._actions_timer.setInterval(0)
        self._actions_timer.timeout.connect(self._update_actions)
        for signal in (self.table.rowsInserted, self.table.rowsRemoved, self.table.modelReset):
            signal.connect(self._actions_timer.start)
        self._update_actions()

    def _action(
        self, text: str, slot: Callable[[], object], tip: str, key: KeySpec | None = None
    ) -> QAction:
        action = view_action(self, text, slot, tip, key)
        self.view.addAction(action)  # its key works while the list has the focus
        return action

    @staticmethod
    def _button(action: QAction) -> QToolButton:
        button = QToolButton()
        button.setDefaultAction(action)
        return button

    # properties --------------------------------------------------------------------------------
    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "shapes":
            self.shapes = self.hardware_object("shapes", ShapesModel)
            shapes = self.shapes
            if shapes is not None:  # subscribe first: a shape added meanwhile is shown once
                for signal, slot in (
                    ("shapeAdded", self.table.add),
                    ("shapeChanged", self.table.change),
                    ("shapeRemoved", self.table.remove),
                    ("cleared", self.table.clear),
                    ("selectionChanged", self._on_model_selection),
                ):
                    self.bind(shapes, signal, slot, scope="shapes")
            self._selection = ()
            self.table.set_source(shapes)
            self._on_model_selection()
        self._update_actions()

    # selection: view <-> model --------------------------------------------------------------
    def _selected_rows(self) -> list[int]:
        # from the ranges, not selectedRows(), which tests every row against every range
        rows: set[int] = set()
        selection = self.view.selectionModel().selection()
        for selected in (selection[i] for i in range(len(selection))):  # no __iter__ typed
            rows.update(range(selected.top(), selected.bottom() + 1))
        return sorted(rows)

    def selected_ids(self) -> list[str]:
        """The ids of the selected rows, top to bottom."""
        return [self.table.shape(row).id for row in self._selected_rows()]

    def selected_shapes(self) -> list[Shape]:
        """The shapes of the selected rows, top to bottom."""
        return [self.table.shape(row) for row in self._selected_rows()]

    def _on_view_selection(self, *_args: object) -> None:
        if self.table.changing or self.shapes is None:
            self._actions_timer.start()
            return  # rows changed under the selection: the model already knows
        self._update_actions()
        try:
            self.shapes.select(self.selected_ids())
        except KeyError:
            pass  # a shape removed meanwhile; its removal will reach the view

    def _on_model_selection(self, *_ids: object) -> None:
        """Show the model's current selection (the latest, whatever the signal said)."""
        selection = self.shapes.selected() if self.shapes is not None else ()
        if selection == self._selection:
            return
        self._selection = selection
        if tuple(self.selected_ids()) != selection:
            ranges = self.table.selection_of(selection)
            with self.table.changes():
                self.view.selectionModel().select(ranges, QItemSelectionModel.ClearAndSelect)
            if not ranges.isEmpty():
                self.view.scrollTo(QModelIndex(ranges.first().topLeft()))
        self._update_actions()
        if len(selection) == 1:
            self.shapeSelected.emit(selection[0])

    def select_shape(self, shape_id: str) -> None:
        """Select the shape ``shape_id`` only (an unknown id is refused and shown)."""
        if self.shapes is not None:
            try:
                self.shapes.select([shape_id])
            except KeyError as exc:
                self._show_problem(str(exc.args[0]))

    # actions ------------------------------------------------------------------------------------
    def _update_actions(self, *_args: object) -> None:
        shapes = self.selected_shapes()
        one = len(shapes) == 1
        diffractometer = self.hardware_object("diffractometer", AbstractDiffractometer)
        self.move_action.setEnabled(one and diffractometer is not None)
        self.move_action.setToolTip(
            "no diffractometer"
            if diffractometer is None
            else f"move the sample to {shapes[0].id}"
            if one
            else "select one shape to move to"
        )
        self.rename_action.setEnabled(one)
        self.rename_action.setToolTip("rename the selected shape (F2)")
        self.delete_action.setEnabled(bool(shapes))
        points = all(isinstance(s, Point) for s in shapes)
        self.line_action.setEnabled(len(shapes) == 2 and points)
        self.line_action.setToolTip(
            f"a line from {shapes[0].id} to {shapes[1].id}"
            if len(shapes) == 2 and points
            else "select exactly two points"
        )
        count = self.table.rowCount()
        self.count_label.setText(
            f"{count} shape{'s' * (count != 1)}" + (f", {len(shapes)} selected" if shapes else "")
        )

    def move_to_selected(self) -> None:
        """Move the sample to the one selected shape."""
        shapes = self.selected_shapes()
        if len(shapes) == 1:
            self.move_to_shape(shapes[0].id)

    def move_to_shape(self, shape_id: str) -> None:
        """Move to shape ``shape_id``: a point, a line's start or a grid's centre."""
        diffractometer = self.hardware_object("diffractometer", AbstractDiffractometer)
        if diffractometer is None or self.shapes is None:
            self._show_problem("cannot move: no diffractometer or no shapes")
            return
        try:
            shape = self.shapes.get(shape_id)
        except KeyError as exc:
            self._show_problem(str(exc.args[0]))
            return

        self._show_message(f"Moving to {shape.id} ({shape.name})")
        self.start(
            lambda: diffractometer.move_to_centred_position(target_of(shape)),
            f"move to {shape.id} failed",
            self._show_problem,
            refused=f"cannot move to {shape.id}",
            on_done=lambda ended: self._moved(ended, shape),
        )

    def _moved(self, ended: Future[Any], shape: Shape) -> None:
        if not ended.cancelled() and ended.exception() is None:
            self._show_message(f"At {shape.id} ({shape.name})")

    def rename_selected(self) -> None:
        """Open the name editor of the one selected shape."""
        rows = self._selected_rows()
        if len(rows) == 1:
            index = self.table.index(rows[0], NAME)
            self.view.setCurrentIndex(index)
            self.view.edit(index)

    def delete_selected(self) -> None:
        """Delete every selected shape, asking first when queued tasks name them."""
        if self.shapes is None:
            return
        self.shape_actions.delete_shapes(self.selected_ids(), before=self._unselect_all)

    def _unselect_all(self) -> None:
        with self.table.changes():  # rows leave faster with no selection to keep up to date
            self.view.selectionModel().clearSelection()

    def line_from_points(self) -> None:
        """A line between the two selected points, which becomes the selection."""
        ids = self.selected_ids()
        if self.shapes is None or len(ids) != 2:
            return
        if set(self.shapes.selected()) == set(ids):
            ids = list(self.shapes.selected())  # in the order the user picked them
        try:
            line = self.shapes.add_line_between(*ids)
        except (ValueError, KeyError) as exc:
            self._show_problem(f"no line from {ids[0]} to {ids[1]}: {exc.args[0]}")
            return
        self.shapes.select([line.id])
        self._show_message(f"{line.id}: line from {ids[0]} to {ids[1]}")

    # the shapes' menu ----------------------------------------------------------------------------
    def _context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if index.isValid() and index.row() not in self._selected_rows():
            self.view.selectRow(index.row())
        menu = self.menu_for_selection()
        if menu is not None:
            menu.popup(self.view.viewport().mapToGlobal(pos))

    def menu_for_selection(self) -> QMenu | None:
        """The shapes' menu for the selected rows (``None`` when none is selected)."""
        shapes = self.selected_shapes()
        if not shapes:
            return None
        actions = self.shape_actions
        why_no_tasks = actions.why_no_tasks(self.receivers(self.shapeTaskRequested) > 0)
        diffractometer = self.hardware_object("diffractometer", AbstractDiffractometer)
        why_no_move = actions.why_no_move(diffractometer is not None)
        if self.shape_menu is not None:
            self.shape_menu.deleteLater()
        self.shape_menu = build_shape_menu(self, shapes, self, why_no_tasks, why_no_move)
        if self.line_action.isEnabled():
            self.shape_menu.addAction(self.line_action)
        return self.shape_menu

    def add_shape_tasks(self, task_type: str, shape_ids: list[str]) -> None:
        """Ask the task toolbox for ``task_type`` tasks on ``shape_ids``."""
        self.shape_actions.add_shape_tasks(task_type, shape_ids)

    def ask_rename(self, shape_id: str) -> None:
        """Open the name editor of shape ``shape_id`` (selecting it)."""
        self.select_shape(shape_id)
        self._on_model_selection()  # now, not when the model's signal comes back
        self.rename_selected()

    def delete_shapes(self, shape_ids: list[str]) -> None:
        """Delete the shapes ``shape_ids`` (those selected, from the menu), asking first
        when queued tasks name them."""
        if set(shape_ids) == set(self.selected_ids()):
            self.delete_selected()
            return
        self.shape_actions.delete_shapes(shape_ids)

    # messages ---------------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self.message.show_message(text)

    def _show_problem(self, text: str) -> None:
        log.warning("%s: %s", self.name, text)
        self.message.show_problem(text)
