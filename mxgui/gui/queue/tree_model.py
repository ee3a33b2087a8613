"""The queue as a Qt tree model that follows the Qt-free ``QueueModel`` change by change.

The adapter keeps its own copy of the tree's shape (children and parents by id), built
from one snapshot and then only from the model's signals (see
:mod:`~mxgui.gui.queue.follower`): adding a task to a queue of 10,000 is one
``beginInsertRows``, never a reset. Rows show the node's latest snapshot (nodes are
immutable; a snapshot is a dictionary look-up).

Edits go back through the model: the enable checkbox calls ``set_enabled``, a drop
calls ``move``; a refusal is emitted as ``editRefused(reason)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PyQt5.QtCore import QAbstractItemModel, QModelIndex, QObject, Qt, pyqtSignal
from PyQt5.QtGui import QColor

from mxgui.core.queue.history import summarise_parameters
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import (
    ROOT,
    ROOT_ID,
    RUNNING,
    SAMPLE,
    QueueError,
    QueueNode,
    UnknownNodeError,
    freeze,
)
from mxgui.gui.bridge import GuiBridge
from mxgui.gui.item_models import NamedColumns
from mxgui.gui.queue.follower import Event, Follower
from mxgui.gui.queue.status_style import (
    DISABLED_COLOUR,
    status_colour,
    status_icon,
    status_label,
)
from mxgui.gui.queue.tree_drag import DragAndDrop

NAME, STATUS, DETAILS = range(3)
SIGNALS = ("nodeAdded", "nodeRemoved", "nodeMoved", "nodeChanged", "statusChanged", "modelReset")


def details_of(node: QueueNode) -> str:
    """One line for the Details column: a sample's address and protein, a task's
    acquisition in short."""
    p = node.parameters
    if node.type == SAMPLE:
        where = p.get("location") or "mounted by hand"
        acronym = p.get("protein_acronym")
        return f"{where} · {acronym}" if acronym else str(where)
    if not node.is_task:
        return f"{len(node.children)} tasks"
    return summarise_parameters(node.type, p)


def _placeholder(node_id: int) -> QueueNode:
    """Stands for a node removed before its addition reached the view."""
    return QueueNode(node_id, ROOT, "(removed)", freeze({}))


class QueueTreeModel(DragAndDrop, NamedColumns, QAbstractItemModel):
    """A ``QAbstractItemModel`` over a :class:`QueueModel` (see the module docstring).

    ``changing`` is true while rows are inserted, removed or moved, so that a view's
    selection change caused by it can be told apart from the user's.
    """

    COLUMNS = ("Name", "Status", "Details")
    editRefused = pyqtSignal(str)

    def __init__(
        self, source: QueueModel, bridge: GuiBridge, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.changing = False
        self._children: dict[int, list[int]] = {}
        self._parent: dict[int, int] = {}
        self._nodes: dict[int, QueueNode] = {}
        self._rows: dict[int, dict[int, int]] = {}  # row caches, by parent; rebuilt lazily
        self._baseline = -1
        self._follower = Follower(source, SIGNALS, bridge, self._apply)
        self._load_snapshot()

    def close(self) -> None:
        """Stop following the model."""
        self._follower.close()

    def sync(self) -> None:
        """Apply the changes recorded so far now (rather than when the bridge delivers)."""
        self._follower.drain()

    # the tree's shape ----------------------------------------------------------------------
    def node(self, node_id: int) -> QueueNode:
        """The latest snapshot of a node shown (``KeyError`` when it is not shown)."""
        return self._nodes[node_id]

    def shown_node(self, node_id: int) -> QueueNode | None:
        """The latest snapshot of a node shown (``None`` when it is not shown)."""
        return self._nodes.get(node_id)

    def id_of(self, index: QModelIndex) -> int:
        """The node id of ``index`` (the root's for an invalid index)."""
        return index.internalId() if index.isValid() else ROOT_ID

    def children_of(self, node_id: int) -> list[int]:
        """The ids shown under ``node_id``, in order (a copy)."""
        return list(self._children.get(node_id, ()))

    def shown(self, node_id: int) -> bool:
        return node_id in self._parent

    def row_of(self, node_id: int) -> int:
        """The row of ``node_id`` under its parent."""
        parent = self._parent[node_id]
        rows = self._rows.get(parent)
        if rows is None:
            rows = self._rows[parent] = {c: r for r, c in enumerate(self._children[parent])}
        return rows[node_id]

    def index_of(self, node_id: int, column: int = 0) -> QModelIndex:
        """The index of ``node_id`` (invalid for the root or a node not shown)."""
        if node_id == ROOT_ID or node_id not in self._parent:
            return QModelIndex()
        return self.createIndex(self.row_of(node_id), column, node_id)

    # QAbstractItemModel ------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: QModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        children = self._children.get(self.id_of(parent), ())
        if not 0 <= row < len(children) or not 0 <= column < len(self.COLUMNS):
            return QModelIndex()
        return self.createIndex(row, column, children[row])

    def parent(self, index: QModelIndex) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        return self.index_of(self._parent.get(index.internalId(), ROOT_ID))

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        if parent.column() > 0:
            return 0
        return len(self._children.get(self.id_of(parent), ()))

    def hasChildren(self, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008
        return self.rowCount(parent) > 0

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node, column = self._nodes[index.internalId()], index.column()
        if role in (Qt.DisplayRole, Qt.EditRole):
            if column == NAME:
                return node.name
            if column == STATUS:
                return status_label(node.status)
            return details_of(node)
        if role == Qt.DecorationRole and column == STATUS:
            return status_icon(node.status)
        if role == Qt.CheckStateRole and column == NAME:
            return Qt.Checked if node.enabled else Qt.Unchecked
        if role == Qt.ForegroundRole:
            if not self._enabled(node.id):
                return QColor(DISABLED_COLOUR)
            if column == STATUS:
                return status_colour(node.status)
            return None
        if role == Qt.ToolTipRole:
            return self._tooltip(node)
        if role == Qt.UserRole:
            return node.id
        return None

    def _enabled(self, node_id: int) -> bool:
        while node_id != ROOT_ID:
            node = self._nodes.get(node_id)
            if node is None or not node.enabled:
                return node is None
            node_id = self._parent.get(node_id, ROOT_ID)
        return True

    def _tooltip(self, node: QueueNode) -> str:
        lines = [node.describe(), f"status: {status_label(node.status)}"]
        if node.message:
            lines.append(node.message)
        if node.files:
            lines.append(f"{len(node.files)} files, first {node.files[0]}")
        return "\n".join(lines)

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        if not index.isValid():
            return Qt.ItemFlags(Qt.ItemIsDropEnabled)
        node = self._nodes[index.internalId()]
        flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        if index.column() == NAME:
            flags |= Qt.ItemIsUserCheckable | Qt.ItemIsEditable
        if node.status != RUNNING and node.type != ROOT:
            flags |= Qt.ItemIsDragEnabled
        if not node.is_task and node.type != ROOT:
            flags |= Qt.ItemIsDropEnabled
        return flags

    def setData(self, index: QModelIndex, value: object, role: int = Qt.EditRole) -> bool:  # noqa: N802
        """The enable checkbox (``QueueModel.set_enabled``) and the name (``rename``;
        an empty name gives back the one derived from the parameters)."""
        if not index.isValid() or index.column() != NAME:
            return False
        node_id = index.internalId()
        try:
            if role == Qt.CheckStateRole:
                self.source.set_enabled(node_id, value == Qt.Checked)
            elif role == Qt.EditRole:
                self.source.rename(node_id, str(value))
            else:
                return False
        except QueueError as exc:
            self.editRefused.emit(str(exc))
            return False
        return True  # the row is redrawn when the model's signal arrives

    # following the model ------------------------------------------------------------------------
    def _load_snapshot(self) -> None:
        nodes, _next_id, version = self.source.snapshot()
        self._baseline = version
        self._nodes = {i: n for i, n in nodes.items() if i != ROOT_ID}
        self._children = {i: list(n.children) for i, n in nodes.items()}
        self._parent = {c: i for i, n in nodes.items() for c in n.children}
        self._rows = {}

    def _apply(self, events: list[Event]) -> None:
        dirty: dict[int, bool] = {}  # node id -> its enabled flag changed
        i = 0
        while i < len(events):
            version, signal, args = events[i]
            i += 1
            if version <= self._baseline:
                continue
            if signal == "nodeAdded":
                parent, row, node_id = args
                ids = [node_id]
                while i < len(events) and self._continues_insert(events[i], parent, row + len(ids)):
                    ids.append(events[i][2][2])
                    i += 1
                self._insert(parent, row, ids)
            elif signal == "nodeRemoved":
                parent, row, node_id = args
                first = row
                ids = [node_id]
                while i < len(events) and self._continues_removal(events[i], parent, first - 1):
                    first -= 1
                    ids.append(events[i][2][2])
                    i += 1
                self._remove(parent, first, row)
            elif signal == "nodeMoved":
                self._move(*args)
            elif signal in ("nodeChanged", "statusChanged"):
                node_id = args[0]
                enabled = signal == "nodeChanged" and "enabled" in args[1]
                dirty[node_id] = dirty.get(node_id, False) or enabled
            elif signal == "modelReset":
                with self._changes():
                    self.beginResetModel()
                    self._load_snapshot()
                    self.endResetModel()
                dirty.clear()
                # events of the same batch that the new snapshot holds are skipped
        self._refresh(dirty)

    def _continues_insert(self, event: Event, parent: int, row: int) -> bool:
        version, signal, args = event
        return version > self._baseline and signal == "nodeAdded" and args[:2] == (parent, row)

    def _continues_removal(self, event: Event, parent: int, row: int) -> bool:
        version, signal, args = event
        return version > self._baseline and signal == "nodeRemoved" and args[:2] == (parent, row)

    def _snapshot_of(self, node_id: int) -> QueueNode:
        try:
            return self.source.get_node(node_id)
        except UnknownNodeError:
            return _placeholder(node_id)

    def _insert(self, parent: int, row: int, ids: list[int]) -> None:
        children = self._children[parent]
        with self._changes():
            self.beginInsertRows(self.index_of(parent), row, row + len(ids) - 1)
            rows = self._rows.get(parent)
            if row == len(children) and rows is not None:
                rows.update((c, row + k) for k, c in enumerate(ids))
            else:
                self._rows.pop(parent, None)
            children[row:row] = ids
            for node_id in ids:
                self._parent[node_id] = parent
                self._children.setdefault(node_id, [])
                self._nodes[node_id] = self._snapshot_of(node_id)
            self.endInsertRows()

    def _remove(self, parent: int, first: int, last: int) -> None:
        children = self._children[parent]
        with self._changes():
            self.beginRemoveRows(self.index_of(parent), first, last)
            doomed = children[first : last + 1]
            del children[first : last + 1]
            if last + 1 == len(children) + len(doomed) and parent in self._rows:
                for node_id in doomed:
                    self._rows[parent].pop(node_id, None)
            else:
                self._rows.pop(parent, None)
            stack = list(doomed)
            while stack:
                node_id = stack.pop()
                self._parent.pop(node_id, None)
                self._nodes.pop(node_id, None)
                self._rows.pop(node_id, None)
                stack.extend(self._children.pop(node_id, ()))
            self.endRemoveRows()

    def _move(self, old_parent: int, old_row: int, new_parent: int, new_row: int, node_id: int):
        destination = new_row + 1 if old_parent == new_parent and new_row > old_row else new_row
        with self._changes():
            moving = self.beginMoveRows(
                self.index_of(old_parent), old_row, old_row, self.index_of(new_parent), destination
            )
            del self._children[old_parent][old_row]
            self._children[new_parent].insert(new_row, node_id)
            self._parent[node_id] = new_parent
            self._rows.pop(old_parent, None)
            self._rows.pop(new_parent, None)
            if moving:
                self.endMoveRows()
            else:  # Qt refused the move (should not happen): tell the views everything changed
                self.layoutChanged.emit()

    def _refresh(self, dirty: dict[int, bool]) -> None:
        last = len(self.COLUMNS) - 1
        for node_id, enabled_changed in dirty.items():
            if node_id not in self._parent:
                continue  # removed meanwhile
            self._nodes[node_id] = self._snapshot_of(node_id)
            row = self.row_of(node_id)
            parent = self.index_of(self._parent[node_id])
            self.dataChanged.emit(self.index(row, 0, parent), self.index(row, last, parent))
            children = self._children.get(node_id)
            if enabled_changed and children:
                index = self.index_of(node_id)
                self._refresh_below(index, len(children))

    def _refresh_below(self, index: QModelIndex, count: int) -> None:
        last = len(self.COLUMNS) - 1
        self.dataChanged.emit(self.index(0, 0, index), self.index(count - 1, last, index))
        for row in range(count):
            child = self.index(row, 0, index)
            grandchildren = len(self._children.get(child.internalId(), ()))
            if grandchildren:
                self._refresh_below(child, grandchildren)

    @contextmanager
    def _changes(self) -> Iterator[None]:
        """Mark what happens inside as a change of rows, not a choice of the user."""
        self.changing = True
        try:
            yield
        finally:
            self.changing = False
