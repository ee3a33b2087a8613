"""The queue as a tree: samples, groups and tasks with an icon per type, status, what
each did, enable boxes, drag to reorder, a context menu, multi-select delete with undo,
samples from the sample changer, and export / import as JSON."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from PyQt5.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QKeySequence
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QAction,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QStyle,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.queue import QueueHardwareObject
from mxgui.core.acquisition import ParameterError
from mxgui.core.errors import ConfigError
from mxgui.core.queue.nodes import QueueError
from mxgui.core.words import counted
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.flow_layout import FlowLayout
from mxgui.gui.queue.dialogs import SamplesDialog
from mxgui.gui.queue.tree_model import NAME, STATUS, QueueTreeModel
from mxgui.gui.widgets import KeySpec, MessageLine, view_action

T = TypeVar("T")

log = logging.getLogger(__name__)

NO_NODE = -1


class QueueTreeBrick(Brick):
    """The queue tree (a Qt model/view over the queue model, not a widget per node).

    Tick a node's box to enable or disable it, drag rows to reorder them (within the
    queue's rules: tasks under samples or groups), double-click a name to rename it;
    the context menu runs, enables, duplicates, moves, resets or deletes the selection.
    Deletes and moves can be undone and redone (Ctrl+Z, Ctrl+Shift+Z, the tool buttons).
    The selection is emitted as ``nodesSelected(ids)`` and, when it is one node,
    ``nodeSelected(id)`` (``-1``: none or several); "Run" emits ``runRequested(id)``
    for one node and ``runSelectedRequested()`` for several (the queue control brick's
    Run selected, on the selection ``nodesSelected`` gave it).
    """

    PROPERTIES = (
        p.hardware_object("queue", "/queue", "the queue", QueueHardwareObject),
        p.boolean("expand_samples", True, "show the tasks of a sample as it is added"),
    )
    nodeSelected = pyqtSignal(int)
    nodesSelected = pyqtSignal(list)
    runRequested = pyqtSignal(int)
    runSelectedRequested = pyqtSignal()
    SIGNALS = ("nodeSelected", "nodesSelected", "runRequested", "runSelectedRequested")
    SLOTS = ("select_node", "delete_selected", "add_manual_sample", "export_to", "import_from")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.queue: QueueHardwareObject | None = None
        self.tree: QueueTreeModel | None = None
        self.samples_dialog: SamplesDialog | None = None
        self._emitted: tuple[int, ...] | None = None
        self.view = QTreeView()
        self.view.setUniformRowHeights(True)  # no per-row measuring with 10,000 rows
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setDragDropMode(QAbstractItemView.InternalMove)
        self.view.setDefaultDropAction(Qt.MoveAction)
        self.view.setDropIndicatorShown(True)
        self.view.setAlternatingRowColors(True)
        self.view.setEditTriggers(
            QAbstractItemView.DoubleClicked | QAbstractItemView.EditKeyPressed
        )
        self.view.setContextMenuPolicy(Qt.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.view.viewport().installEventFilter(self)  # the columns follow its width

        self.run_action = self._action("Run", self.run_selected, "run the selected nodes")
        self.enable_action = self._action("Enable", lambda: self.set_selected_enabled(True), "")
        self.disable_action = self._action("Disable", lambda: self.set_selected_enabled(False), "")
        self.duplicate_action = self._action("Duplicate", self.duplicate_selected, "")
        self.up_action = self._action("Move up", lambda: self.move_selected(-1), "", "Ctrl+Up")
        self.down_action = self._action("Move down", lambda: self.move_selected(1), "", "Ctrl+Down")
        self.reset_action = self._action("Reset to run again", self.reset_selected, "")
        self.delete_action = self._action(
            "Delete", self.delete_selected, "delete the selected nodes", QKeySequence.Delete
        )
        self.undo_action = self._action("Undo", self.undo, "undo the last delete or move")
        self.redo_action = self._action("Redo", self.redo, "redo what was undone")
        for action, keys in (
            (self.undo_action, ["Ctrl+Z"]),
            (self.redo_action, ["Ctrl+Shift+Z", "Ctrl+Y"]),
        ):
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            self.addAction(action)  # while the tree or its buttons have the focus
        style = self.style()
        self.up_action.setIcon(style.standardIcon(QStyle.SP_ArrowUp))
        self.down_action.setIcon(style.standardIcon(QStyle.SP_ArrowDown))
        self.add_button = QToolButton()
        self.add_button.setText("Add samples")
        self.add_button.setPopupMode(QToolButton.InstantPopup)
        add_menu = QMenu(self.add_button)
        self.changer_action = add_menu.addAction("From the sample changer…")
        self.changer_action.triggered.connect(lambda: self.add_samples_from_changer())
        self.manual_action = add_menu.addAction("A manually mounted sample")
        self.manual_action.triggered.connect(lambda: self.add_manual_sample())
        self.add_button.setMenu(add_menu)
        self.export_action = QAction("Export…", self)
        self.export_action.triggered.connect(lambda: self.export_to())
        self.import_action = QAction("Import…", self)
        self.import_action.triggered.connect(lambda: self.import_from())
        self.more_button = QToolButton()
        self.more_button.setText("More")
        self.more_button.setToolTip("the other actions on the selection, export and import")
        self.more_button.setPopupMode(QToolButton.InstantPopup)
        more_menu = QMenu(self.more_button)
        more_menu.addActions(
            [self.run_action, self.enable_action, self.disable_action, self.duplicate_action]
        )
        more_menu.addAction(self.reset_action)
        more_menu.addSeparator()
        more_menu.addActions([self.export_action, self.import_action])
        self.more_button.setMenu(more_menu)
        self.count_label = QLabel()
        self.message = MessageLine()
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self._tool_row())
        column.addWidget(self.view)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.count_label)
        column.addLayout(bottom)
        # a burst of row changes updates the counts, the actions and the selection once
        self._after_rows = QTimer(self)
        self._after_rows.setSingleShot(True)
        self._after_rows.setInterval(0)
        self._after_rows.timeout.connect(self._rows_changed)
        self._update_actions()

    def _action(
        self, text: str, slot: Callable[[], object], tip: str, key: KeySpec | None = None
    ) -> QAction:
        return view_action(self, text, slot, tip, key, self.view)

    def _tool_row(self) -> QWidget:
        """The main actions, all shown (never behind an overflow menu): add, delete,
        undo, redo, up, down, and "More" for the rest; they wrap onto a second row when
        the brick is narrow, so the tree never makes the window wider."""
        bar = QWidget()
        flow = FlowLayout(bar, spacing=2)
        self.tool_buttons: list[QToolButton] = [self.add_button]
        for action, icon_only in (
            (self.delete_action, False),
            (self.undo_action, False),
            (self.redo_action, False),
            (self.up_action, True),
            (self.down_action, True),
        ):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setAutoRaise(True)
            style = Qt.ToolButtonIconOnly if icon_only else Qt.ToolButtonTextOnly
            button.setToolButtonStyle(style)
            self.tool_buttons.append(button)
        self.tool_buttons.append(self.more_button)
        for button in self.tool_buttons:
            flow.add_widget(button)
        return bar

    # properties ----------------------------------------------------------------------------
    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name != "queue":
            return
        if self.tree is not None:
            self.tree.close()
            self.tree = None
        self.queue = self.hardware_object("queue", QueueHardwareObject)
        if self.queue is None:
            return
        self.tree = QueueTreeModel(self.queue.model, self.context.bridge, self)
        self.tree.editRefused.connect(self.show_problem)
        edits = self.tree.edits
        edits.refused.connect(self.show_problem)
        edits.restored.connect(self._restored)
        edits.stack.canUndoChanged.connect(self._update_actions)
        edits.stack.canRedoChanged.connect(self._update_actions)
        edits.stack.indexChanged.connect(self._update_actions)
        self.view.setModel(self.tree)
        header = self.view.header()
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)
        self._fit_columns()
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        for signal in (self.tree.rowsInserted, self.tree.rowsRemoved, self.tree.modelReset):
            signal.connect(self._after_rows.start)
        self.tree.rowsMoved.connect(self._after_rows.start)
        self.tree.rowsInserted.connect(self._expand_new_samples)
        self.tree.dataChanged.connect(self._after_rows.start)
        self.view.expandAll()
        self._rows_changed()

    def _fit_columns(self) -> None:
        """Name as wide as a long sample name, but never so wide that Status leaves the
        viewport (at 1280x800 the tree is about 260 px wide); Details takes the rest
        (and its tooltip says it all)."""
        if self.view.model() is None:
            return
        metrics = self.view.fontMetrics()
        status = metrics.horizontalAdvance("not run") + 40
        wanted = metrics.horizontalAdvance("lysozyme-A01_12 (copy)") + 60
        room = self.view.viewport().width() - status - metrics.horizontalAdvance("0 of 3 done")
        name = max(min(wanted, room), metrics.horizontalAdvance("s1-01") + 60)
        self.view.setColumnWidth(STATUS, status)
        self.view.setColumnWidth(NAME, name)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if watched is self.view.viewport() and event.type() == QEvent.Resize:
            self._fit_columns()
        return super().eventFilter(watched, event)

    def run(self) -> None:
        if self.queue is not None and self.queue.restore_result.message:
            result = self.queue.restore_result
            show = self.show_problem if result.problem or result.bad_file else self.show_message
            show(result.message)

    def cleanup(self) -> None:
        if self.tree is not None:
            self.tree.close()
        super().cleanup()

    def _expand_new_samples(self, parent: QModelIndex, first: int, last: int) -> None:
        tree = self.tree
        if tree is None or not self.get_property("expand_samples"):
            return
        if not parent.isValid() and last - first < 1000:
            for row in range(first, last + 1):
                self.view.expand(tree.index(row, 0))

    # selection -----------------------------------------------------------------------------
    def selected_ids(self) -> list[int]:
        """The selected nodes, in the order of the tree's selection ranges."""
        if self.tree is None:
            return []
        ids: list[int] = []
        selection = self.view.selectionModel().selection()
        for selected in (selection[i] for i in range(len(selection))):  # no __iter__ typed
            siblings = self.tree.children_of(self.tree.id_of(selected.parent()))
            ids.extend(siblings[selected.top() : selected.bottom() + 1])
        return list(dict.fromkeys(ids))

    def _selection_changed(self, *_args: object) -> None:
        if self.tree is not None and self.tree.changing:
            self._after_rows.start()  # rows changed under the selection: tell once, after
            return
        self._emit_selection()

    def _emit_selection(self) -> None:
        ids = tuple(self.selected_ids())
        self._update_actions()
        if ids == self._emitted:
            return
        self._emitted = ids
        self.nodesSelected.emit(list(ids))
        self.nodeSelected.emit(ids[0] if len(ids) == 1 else NO_NODE)

    def select_node(self, node_id: int) -> None:
        """Select node ``node_id`` only (and show it)."""
        self.select_nodes([node_id])

    def select_nodes(self, node_ids: list[int]) -> None:
        """Select the nodes ``node_ids`` (those shown), the first one current."""
        if self.tree is None:
            return
        self.tree.sync()
        model = self.view.selectionModel()
        model.clearSelection()
        for node_id in node_ids:
            index = self.tree.index_of(node_id)
            if index.isValid():
                model.select(index, model.Select | model.Rows)
        first = self.tree.index_of(node_ids[0]) if node_ids else QModelIndex()
        if first.isValid():
            model.setCurrentIndex(first, model.NoUpdate)
            self.view.scrollTo(first)

    # rows changed ------------------------------------------------------------------------------
    def _rows_changed(self, *_args: object) -> None:
        if self.queue is None:
            return
        counts = self.queue.model.counts()["types"]
        samples = counts.get("Sample", 0)
        tasks = sum(n for t, n in counts.items() if t not in ("Sample", "TaskGroup"))
        self.count_label.setText(f"{counted(samples, 'sample')}, {counted(tasks, 'task')}")
        self._emit_selection()

    def _update_actions(self) -> None:
        ids = self.selected_ids()
        nodes = [self.tree.node(i) for i in ids] if self.tree is not None else []
        one = len(nodes) == 1
        self.run_action.setEnabled(bool(nodes))
        self.enable_action.setEnabled(any(not n.enabled for n in nodes))
        self.disable_action.setEnabled(any(n.enabled for n in nodes))
        self.duplicate_action.setEnabled(bool(nodes) and all(n.is_task for n in nodes))
        self.up_action.setEnabled(one)
        self.down_action.setEnabled(one)
        self.reset_action.setEnabled(any(n.has_run for n in nodes))
        self.delete_action.setEnabled(bool(nodes))
        self.changer_action.setEnabled(
            self.queue is not None and self.queue.sample_changer is not None
        )
        self.export_action.setEnabled(self.queue is not None)
        self.import_action.setEnabled(self.queue is not None)
        stack = self.tree.edits.stack if self.tree is not None else None
        self.undo_action.setEnabled(stack is not None and stack.canUndo())
        self.redo_action.setEnabled(stack is not None and stack.canRedo())
        if stack is not None:
            self.undo_action.setToolTip(f"undo: {stack.undoText()}" if stack.canUndo() else "")
            self.redo_action.setToolTip(f"redo: {stack.redoText()}" if stack.canRedo() else "")

    def _context_menu(self, position: QPoint) -> None:
        self._update_actions()
        menu = QMenu(self)
        for action in (self.run_action, self.enable_action, self.disable_action):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.duplicate_action, self.up_action, self.down_action):
            menu.addAction(action)
        menu.addAction(self.reset_action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        menu.popup(self.view.viewport().mapToGlobal(position))

    # actions ---------------------------------------------------------------------------------
    def _attempt(self, what: str, call: Callable[[], T]) -> T | None:
        """``call()``; a refusal (``QueueError``, ``ValueError``) is shown, not raised."""
        try:
            return call()
        except (QueueError, ValueError) as exc:
            self.show_problem(f"{what}: {exc}")
            return None

    def run_selected(self) -> None:
        """Ask the queue control brick to run the selected nodes (in queue order)."""
        ids = self.selected_ids()
        if len(ids) == 1:
            self.runRequested.emit(ids[0])
        elif ids:
            self._emit_selection()  # the control brick runs the selection it was given
            self.runSelectedRequested.emit()

    def set_selected_enabled(self, enabled: bool) -> None:
        queue = self.queue
        if queue is None:
            return
        for node_id in self.selected_ids():
            self._attempt("not changed", partial(queue.model.set_enabled, node_id, enabled))

    def duplicate_selected(self) -> None:
        queue = self.queue
        if queue is None:
            return
        copies = [
            self._attempt("not duplicated", partial(queue.duplicate, node_id))
            for node_id in self.selected_ids()
        ]
        added = [a for a in copies if a is not None]
        if added:
            self.select_nodes(added)
            self.show_message(f"Duplicated {counted(len(added), 'task')}")

    def move_selected(self, step: int) -> None:
        """Move the one selected node up (``-1``) or down (``1``) among its siblings."""
        ids = self.selected_ids()
        if len(ids) != 1 or self.queue is None:
            return
        model, tree = self.queue.model, self.tree
        parent, row = model.row_of(ids[0])
        if tree is not None and 0 <= row + step < len(model.children(parent)):
            self._attempt("not moved", lambda: tree.edits.move(ids[0], parent, row + step))
            self.select_nodes(ids)

    def reset_selected(self) -> None:
        ids = self.selected_ids()
        if self.queue is None:
            return
        try:
            self.queue.model.reset_status(ids)
        except QueueError as exc:
            self.show_problem(f"not reset: {exc}")
            return
        self.show_message(f"{counted(len(ids), 'node')} will run again")

    def delete_selected(self) -> None:
        """Delete every selected node, with what is below it (undoable)."""
        ids = self.selected_ids()
        tree = self.tree
        if not ids or tree is None:
            return
        removed = self._attempt("not deleted", lambda: tree.edits.delete(ids))
        if removed is not None:
            self.show_message(f"Deleted {counted(len(removed), 'node')}")

    def undo(self) -> None:
        """Undo the last delete or move made in the tree."""
        if self.tree is not None and self.tree.edits.stack.canUndo():
            self.tree.edits.stack.undo()

    def redo(self) -> None:
        """Redo what the last undo took back."""
        if self.tree is not None and self.tree.edits.stack.canRedo():
            self.tree.edits.stack.redo()

    def _restored(self, ids: list[int]) -> None:
        self.select_nodes(ids)
        self.show_message(f"Put back {counted(len(ids), 'node')} (with new ids)")

    def add_samples_from_changer(self) -> SamplesDialog | None:
        """Open the list of the sample changer's samples; the ticked ones are added."""
        queue = self.queue
        changer = queue.sample_changer if queue is not None else None
        if queue is None or changer is None:
            self.show_problem("no sample changer: add a manually mounted sample")
            return None
        pucks = changer.get_contents()
        catalogue = queue.lims_samples
        dialog = SamplesDialog(
            pucks,
            queue.queued_locations(),
            self,
            lims=catalogue.by_address() if catalogue is not None else None,
            mismatches=catalogue.mismatches(pucks) if catalogue is not None else None,
        )
        dialog.accepted.connect(lambda: self._add_ticked(dialog.ticked()))
        dialog.finished.connect(dialog.deleteLater)
        self.samples_dialog = dialog
        dialog.open()
        return dialog

    def _add_ticked(self, addresses: list[str]) -> None:
        queue = self.queue
        if queue is None:
            return
        added = self._attempt(
            "samples not added", lambda: queue.add_samples_from_changer(addresses)
        )
        if added:
            self.select_nodes(added)
            self.show_message(f"Added {counted(len(added), 'sample')}")

    def add_manual_sample(self) -> None:
        """Add a manually mounted sample (rename it in place) and select it."""
        queue = self.queue
        if queue is None:
            return
        sample = self._attempt("sample not added", lambda: queue.add_sample(None))
        if sample is not None:
            self.select_node(sample)
            self.show_message("Added a manually mounted sample: double-click its name to rename")

    def export_to(self, path: str = "") -> None:
        """Write the queue to ``path`` (asked for when empty) as JSON."""
        if self.queue is None:
            return
        if not path:
            start = os.path.join(os.path.dirname(self.queue.path), "queue-export.json")
            path, _filter = QFileDialog.getSaveFileName(
                self, "Export the queue", start, "Queue files (*.json)"
            )
            if not path:
                return
        try:
            self.queue.export(path)
        except (OSError, ValueError) as exc:
            self.show_problem(f"The queue was not exported to {path}: {exc}")
            return
        self.show_message(f"Exported {len(self.queue.model)} nodes to {path}")

    def import_from(self, path: str = "") -> None:
        """Add the samples and tasks of the queue file ``path`` (asked for when empty)."""
        if self.queue is None:
            return
        if not path:
            path, _filter = QFileDialog.getOpenFileName(
                self, "Import a queue", os.path.dirname(self.queue.path), "Queue files (*.json)"
            )
            if not path:
                return
        try:
            added = self.queue.import_file(path)
        except (ConfigError, ParameterError, QueueError, OSError) as exc:
            self.show_problem(f"Nothing imported from {path}: {exc}")
            return
        self.select_nodes(added)
        self.show_message(f"Imported {counted(len(added), 'sample')} from {path}")

    # messages --------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        self.message.show_message(text)

    def show_problem(self, text: str) -> None:
        log.warning("%s: %s", self.name, text)
        self.message.show_problem(text)
