"""The designer window: palette, layout tree, properties, connections, problems, preview."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PyQt5.QtCore import Qt, pyqtSignal
from PyQt5.QtGui import QCloseEvent, QKeySequence
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QAction,
    QDockWidget,
    QHeaderView,
    QMainWindow,
    QStyle,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mxgui.gui.brick import BrickContext
from mxgui.gui.bridge import GuiBridge
from mxgui.gui.builder import BuiltLayout
from mxgui.gui.designer.connection_editor import ConnectionEditor
from mxgui.gui.designer.dialogs import Dialogs
from mxgui.gui.designer.document import Item, LayoutDocument
from mxgui.gui.designer.file_commands import FileCommands
from mxgui.gui.designer.palette import Palette
from mxgui.gui.designer.preview import PreviewArea
from mxgui.gui.designer.preview_repository import PreviewRepository
from mxgui.gui.designer.problems import ProblemsView
from mxgui.gui.designer.property_editor import PropertyEditor
from mxgui.gui.designer.rules import EditError, bricks_below
from mxgui.gui.designer.tree_model import LayoutTreeModel, item_text
from mxgui.gui.designer.validation import Problem, find_problems, keep_dropped_load_errors
from mxgui.gui.layout import BrickNode, Connection
from mxgui.gui.settings import user_settings

log = logging.getLogger(__name__)


class DesignerWindow(QMainWindow):
    """The layout designer for one layout file at a time.

    Every edit goes through :attr:`document`; the panels follow it. The hardware
    repository (``repository_dirs``) gives the hardware-object names offered for
    hardware-object properties and checks the files the preview's bricks name; the
    preview's bricks are built unconnected (:class:`PreviewRepository`): nothing in the
    designer acts on the hardware, reads or writes the queue, or starts a server.
    :attr:`dialogs` asks the user (unsaved changes, file names, confirmations); tests
    replace it. :attr:`files` holds the File commands. ``windowClosed`` is emitted once
    the window has closed.
    """

    windowClosed = pyqtSignal()

    def __init__(
        self,
        repository_dirs: list[Path],
        path: str | Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mxgui_designer")
        self.repository = PreviewRepository(repository_dirs)
        self.context = BrickContext(self.repository, GuiBridge(self))
        self.hardware_names = self._hardware_names()
        self.dialogs = Dialogs(self)
        self.document = LayoutDocument.new(None)
        self.problems: list[Problem] = []
        self._preview_problems: list[Problem] = []
        self.files = FileCommands(self)
        self._shut_down = False
        self.tree_model = LayoutTreeModel(self.document, self)
        self.tree = QTreeView()
        self.tree.setModel(self.tree_model)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.header().setSectionResizeMode(0, QHeaderView.Stretch)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeToContents)
        self.tree.selectionModel().currentChanged.connect(self._on_current_changed)
        self.brick_palette = Palette()
        self.brick_palette.addRequested.connect(self.add_from_palette)
        self.properties = PropertyEditor(self.hardware_names)
        self.connections = ConnectionEditor(self.document)
        self.problems_view = ProblemsView()
        self.problems_view.problemActivated.connect(self.go_to)
        self.preview = PreviewArea(self.context, lambda: self.document.snapshot())
        self.preview.layoutBuilt.connect(self._on_preview_built)
        self.setCentralWidget(self.preview)
        self.resize(1400, 900)
        self._make_actions()
        self._make_docks()
        self._restore_settings()
        self.files.load(path)

    def save(self) -> bool:
        """Save the layout to its file (asks for one if it has none); True if saved."""
        return self.files.save()

    # panels and actions -------------------------------------------------------------------
    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: str | QKeySequence.StandardKey | None = None,
        icon: QStyle.StandardPixmap | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        action.triggered.connect(lambda _=False: slot())
        return action

    def _make_actions(self) -> None:
        action, files = self._action, self.files
        self.new_action = action(
            "&New", lambda: files.open_layout(None), QKeySequence.New, QStyle.SP_FileIcon
        )
        self.open_action = action(
            "&Open…", files.open_chosen, QKeySequence.Open, QStyle.SP_DialogOpenButton
        )
        self.reload_action = action(
            "&Reload from disk", files.reload, None, QStyle.SP_BrowserReload
        )
        self.save_action = action(
            "&Save", files.save, QKeySequence.Save, QStyle.SP_DialogSaveButton
        )
        self.save_as_action = action("Save &As…", files.save_as, QKeySequence.SaveAs)
        close_action = action("&Close", self.close, QKeySequence.Close)
        self.remove_action = action(
            "&Remove", self.remove_selected, QKeySequence.Delete, QStyle.SP_TrashIcon
        )
        self.up_action = action(
            "Move &up", lambda: self.move_selected(-1), "Ctrl+Up", QStyle.SP_ArrowUp
        )
        self.down_action = action(
            "Move &down", lambda: self.move_selected(1), "Ctrl+Down", QStyle.SP_ArrowDown
        )
        for tree_action in (self.remove_action, self.up_action, self.down_action):
            # only while the tree has the focus: Delete in a text field edits the text
            tree_action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            self.tree.addAction(tree_action)
        self.window_action = action(
            "Add &window", self.add_window, None, QStyle.SP_TitleBarMaxButton
        )
        self.rebuild_action = action(
            "Re&build preview", self.preview.refresh, "F5", QStyle.SP_BrowserReload
        )
        file_menu = self.menuBar().addMenu("&File")
        for file_action in (self.new_action, self.open_action, self.reload_action):
            file_menu.addAction(file_action)
        file_menu.addSeparator()
        file_menu.addActions([self.save_action, self.save_as_action])
        file_menu.addSeparator()
        file_menu.addAction(close_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_actions = [self.remove_action, self.up_action, self.down_action, self.window_action]
        edit_menu.addActions(edit_actions)
        self.view_menu = self.menuBar().addMenu("&View")
        self.view_menu.addAction(self.rebuild_action)
        self.view_menu.addSeparator()
        toolbar = self.addToolBar("File")
        toolbar.setObjectName("file_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        toolbar.addActions([self.new_action, self.open_action, self.save_action])
        toolbar.addSeparator()
        toolbar.addActions(edit_actions)
        toolbar.addSeparator()
        toolbar.addAction(self.rebuild_action)

    def _make_docks(self) -> None:
        tree_panel = QWidget()
        tree_panel.setMinimumWidth(290)
        self.tree.setIndentation(14)
        tree_bar = QToolBar()
        tree_bar.setToolButtonStyle(Qt.ToolButtonIconOnly)
        tree_bar.addActions([self.remove_action, self.up_action, self.down_action])
        column = QVBoxLayout(tree_panel)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.tree)
        column.addWidget(tree_bar)
        self.setCorner(Qt.BottomLeftCorner, Qt.LeftDockWidgetArea)
        self.setCorner(Qt.BottomRightCorner, Qt.RightDockWidgetArea)
        self.docks: dict[str, QDockWidget] = {}
        for name, widget, area in (
            ("Palette", self.brick_palette, Qt.LeftDockWidgetArea),
            ("Layout", tree_panel, Qt.LeftDockWidgetArea),
            ("Properties", self.properties, Qt.RightDockWidgetArea),
            ("Connections", self.connections, Qt.BottomDockWidgetArea),
            ("Problems", self.problems_view, Qt.BottomDockWidgetArea),
        ):
            dock = QDockWidget(name, self)
            dock.setObjectName(f"dock_{name.lower()}")
            dock.setWidget(widget)
            self.addDockWidget(area, dock)
            self.view_menu.addAction(dock.toggleViewAction())
            self.docks[name] = dock
        self.splitDockWidget(self.docks["Palette"], self.docks["Layout"], Qt.Vertical)
        self.resizeDocks([self.docks["Palette"], self.docks["Layout"]], [300, 500], Qt.Vertical)
        self.resizeDocks(
            [self.docks["Palette"], self.docks["Properties"]], [300, 380], Qt.Horizontal
        )
        self.tabifyDockWidget(self.docks["Problems"], self.docks["Connections"])
        self.resizeDocks([self.docks["Problems"]], [170], Qt.Vertical)
        self.docks["Problems"].raise_()

    # the document ---------------------------------------------------------------------------
    def _hardware_names(self) -> list[str]:
        try:
            return self.repository.names()
        except OSError as exc:
            log.warning("cannot list the hardware repository: %s", exc)
            return []

    def set_document(self, document: LayoutDocument) -> None:
        """Edit ``document`` in place of the current one (the panels follow it)."""
        self.document.disconnect("edited", self._on_edited)
        self.document.disconnect("modifiedChanged", self._on_modified_changed)
        self.document = document
        keep_dropped_load_errors(document)
        self.tree_model.set_document(document)
        self.properties.set_document(document)
        self.connections.set_document(document)
        document.connect("edited", self._on_edited)
        document.connect("modifiedChanged", self._on_modified_changed)
        self._preview_problems = []
        self.tree.expandAll()
        self.select_item(document.layout.windows[0])
        self._update_problems()
        self.update_title()
        self.docks["Problems" if self.problems else "Connections"].raise_()
        self.preview.refresh()

    def _on_edited(self) -> None:
        self._update_problems()
        self._update_actions()
        self.preview.schedule()

    def _on_modified_changed(self, _modified: bool) -> None:
        self.update_title()

    def update_title(self) -> None:
        """The file's name in the title, with a star while there are unsaved changes."""
        document, unreadable = self.document, self.files.unreadable
        if document.path is not None:
            name = str(document.path)
        elif unreadable is not None:
            name = f"untitled (could not read {unreadable})"
        else:
            name = "untitled"
        self.setWindowTitle(f"{'*' if document.modified else ''}{name} - mxgui layout designer")

    def _update_problems(self) -> None:
        problems = find_problems(self.document, self.hardware_names)
        known = {(id(p.item), p.key) for p in problems}
        problems += [
            p
            for p in self._preview_problems
            if self.document.contains(p.item) and (id(p.item), p.key) not in known
        ]
        self.problems = problems
        self.tree_model.set_problems(problems)
        self.properties.set_problems(problems)
        self.connections.model.set_problems(problems)
        self.problems_view.model.set_problems(problems)
        self.docks["Problems"].setWindowTitle(f"Problems ({len(problems)})")

    def _on_preview_built(self, built: BuiltLayout) -> None:
        path = str(self.document.path or self.document.layout.path)
        self._preview_problems = []
        for name, brick in built.bricks.items():
            node = self.document.brick(name)
            if brick.failure and node is not None:
                key = brick.failed_property
                line = node.property_lines.get(key or "", node.line)
                message = f"brick {name}: {brick.failure}"
                self._preview_problems.append(Problem(message, path, line, node, key))
        self._update_problems()

    # selection ----------------------------------------------------------------------------------
    def selected_item(self) -> Item | None:
        """The item selected in the layout tree."""
        return self.tree_model.item(self.tree.currentIndex())

    def select_item(self, item: Item | None) -> None:
        """Select ``item`` in the tree and show its properties."""
        index = self.tree_model.index_of(item)
        self.tree.setCurrentIndex(index)
        if index.isValid():
            self.tree.scrollTo(index)
        self.properties.set_item(item)
        self._update_actions()

    def _on_current_changed(self, *_args) -> None:
        self.properties.set_item(self.selected_item())
        self._update_actions()

    def _update_actions(self) -> None:
        item = self.selected_item()
        self.remove_action.setEnabled(item is not None)
        if item is None:
            self.up_action.setEnabled(False)
            self.down_action.setEnabled(False)
            return
        last = len(self.document.children(self.document.parent(item))) - 1
        row = self.document.row(item)
        self.up_action.setEnabled(last > 0 and row > 0)
        self.down_action.setEnabled(last > 0 and row < last)

    def go_to(self, problem: Problem) -> None:
        """Show the item ``problem`` belongs to."""
        item, connections = problem.item, self.document.layout.connections
        if isinstance(item, Connection):
            if item in connections:
                self.docks["Connections"].raise_()
                row = next(i for i, c in enumerate(connections) if c is item)
                self.connections.view.selectRow(row)
        elif item is not None and self.document.contains(item):
            self.select_item(item)

    # editing ------------------------------------------------------------------------------------
    def add_from_palette(self, kind: str, name: str) -> Item | None:
        """Add a brick of class ``name`` or a container of type ``name`` (``kind``) into the
        selected container, or after the selected item; the new item is selected."""
        node: Item
        try:
            if kind == "brick":
                node = self.document.add_brick(name, self.selected_item())
            else:
                node = self.document.add_container(name, self.selected_item())
        except EditError as exc:
            self.statusBar().showMessage(f"Cannot add {name}: {exc}", 10000)
            return None
        self.tree.expand(self.tree_model.index_of(self.document.parent(node)))
        self.select_item(node)
        self.statusBar().showMessage(f"added {kind} {item_text(node)}", 5000)
        return node

    def add_window(self) -> None:
        """Add a window to the layout."""
        window = self.document.add_window()
        self.tree.expandAll()
        self.select_item(window)

    def remove_selected(self) -> None:
        """Remove the selected item (asks first if it holds bricks)."""
        item = self.selected_item()
        if item is None:
            return
        held = 0 if isinstance(item, BrickNode) else len(bricks_below(item))
        if held and not self.dialogs.confirm(
            f"Remove {item_text(item)} and the {held} brick(s) it holds?"
        ):
            return
        parent = self.document.parent(item)
        try:
            dropped = self.document.remove(item)
        except EditError as exc:
            self.statusBar().showMessage(f"Cannot remove {item_text(item)}: {exc}", 10000)
            return
        self.select_item(parent)
        extra = f" and {len(dropped)} connection(s) of its bricks" if dropped else ""
        self.statusBar().showMessage(f"removed {item_text(item)}{extra}", 10000)

    def move_selected(self, delta: int) -> None:
        """Move the selected item up (-1) or down (+1) among its siblings."""
        item = self.selected_item()
        if item is not None and self.document.move(item, delta):
            self.select_item(item)

    # closing -------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        if not self.files.may_discard():
            event.ignore()
            return
        self._save_settings()
        self.shutdown()
        super().closeEvent(event)
        self.windowClosed.emit()

    def shutdown(self) -> None:
        """Tear the preview down and shut the hardware repository (once)."""
        if self._shut_down:
            return
        self._shut_down = True
        self.preview.shutdown()
        self.repository.shutdown()

    def _restore_settings(self) -> None:
        settings = user_settings()
        geometry = settings.value("designer/geometry")
        state = settings.value("designer/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)

    def _save_settings(self) -> None:
        settings = user_settings()
        settings.setValue("designer/geometry", self.saveGeometry())
        settings.setValue("designer/state", self.saveState())
        settings.sync()
