"""The queue as a Qt tree model that follows the Qt-free ``QueueModel`` change by change.

The adapter keeps its own copy of the tree's shape (children and parents by id), built
from one snapshot and then only from the model's signals (see
:mod:`~mxgui.gui.queue.follower`): adding a task to a queue of 10,000 is one
``beginInsertRows``, never a reset. Rows show the node's latest snapshot (nodes are
immutable; a snapshot is a dictionary look-up).

Each sample and group keeps the count of the tasks below it by status (its tally),
updated by each insert, removal, move and status change for the node's ancestors only,
so a parent's Details says ``2 of 3 done, 1 failed`` without a walk of its subtree,
and its Status sums its tasks up once some ran without it (Run selected).
A task's Details says what it did once it ran (:mod:`~mxgui.core.queue.node_text`).

Edits go back through the model: the enable checkbox calls ``set_enabled``, a drop
calls ``move``; a refusal is emitted as ``editRefused(reason)``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from PyQt5.QtCore import QAbstractItemModel, QModelIndex, QObject, Qt, pyqtSignal
from PyQt5.QtGui import QColor

from mxgui.core.queue.history import summarise_parameters
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.node_text import result_text, shown_status, tally_text
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
    type_icon,
)
from mxgui.gui.queue.tree_drag import DragAndDrop
from mxgui.gui.queue.undo import QueueEdits

NAME, STATUS, DETAILS = range(3)
SIGNALS = ("nodeAdded", "nodeRemoved", "nodeMoved", "nodeChanged", "statusChanged", "modelReset")


def details_of(node: QueueNode, tally: Counter[str] | None = None) -> str:
    """One line for the Details column: a sample's tasks' ``tally`` in short (first:
    what a user scans for), its address and protein; a group's tally; a task's result
    once it ran or else its acquisition in short."""
    p = node.parameters
    if node.type == SAMPLE:
        where = p.get("location") or "mounted by hand"
        acronym = p.get("protein_acronym")
        parts = [str(where), str(acronym)] if acronym else [str(where)]
        if tally and any(tally.values()):
            parts.insert(0, tally_text(tally))
        return " · ".join(parts)
    if not node.is_task:
        return tally_text(tally or Counter())
    return result_text(node) or summarise_parameters(node.type, p)


def _item_flags(name: bool, drag: bool, drop: bool) -> Qt.ItemFlags:
    flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
    if name:
        flags |= Qt.ItemIsUserCheckable | Qt.ItemIsEditable
    if drag:
        flags |= Qt.ItemIsDragEnabled
    if drop:
        flags |= Qt.ItemIsDropEnabled
    return Qt.ItemFlags(flags)


#: a row's flags by (name column, draggable, a drop target); asked of every row shown
_FLAGS = {
    (name, drag, drop): _item_flags(name, drag, drop)
    for name in (False, True)
    for drag in (False, True)
    for drop in (False, True)
}
#: the root's flags (below the last row): drops only
_ROOT_FLAGS = Qt.ItemFlags(Qt.ItemIsDropEnabled)


def _placeholder(node_id: int) -> QueueNode:
    """Stands for a node removed before its addition reached the view."""
    return QueueNode(node_id, ROOT, "(removed)", freeze({}))


class QueueTreeModel(DragAndDrop, NamedColumns, QAbstractItemModel):
    """A ``QAbstractItemModel`` over a :class:`QueueModel` (see the module docstring).

    ``changing`` is true while rows are inserted, removed or moved, so that a view's
    selection change caused by it can be told apart from the user's. ``edits`` holds
    the undo stack of the deletes and moves made through the tree (forgotten when the
    whole queue is replaced).
    """

    COLUMNS = ("Name", "Status", "Details")
    editRefused = pyqtSignal(str)

    def __init__(
        self, source: QueueModel, bridge: GuiBridge, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.changing = False
        self.edits = QueueEdits(source, self)
        self._children: dict[int, list[int]] = {}
        self._parent: dict[int, int] = {}
        self._nodes: dict[int, QueueNode] = {}
        self._rows: dict[int, dict[int, int]] = {}  # row caches, by parent; rebuilt lazily
        self._tallies: dict[int, Counter[str]] = {}  # tasks below a node, by status
        self._results: dict[int, tuple[QueueNode, str]] = {}  # a task's Details, by snapshot
        self._retallied: set[int] = set()  # nodes whose tally changed since the last refresh
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

    def tally(self, node_id: int) -> dict[str, int]:
        """The tasks below ``node_id`` shown, counted by status (a copy)."""
        return {s: n for s, n in self._tallies.get(node_id, Counter()).items() if n}

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
        # asked of every expanded row when the view lays out again: kept to look-ups
        if not parent.isValid():
            return bool(self._children.get(ROOT_ID))
        return parent.column() == 0 and bool(self._children.get(parent.internalId()))

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node, column = self._nodes[index.internalId()], index.column()
        if role in (Qt.DisplayRole, Qt.EditRole):
            if column == NAME:
                return node.name
            if column == STATUS:
                return status_label(self.status_shown(node))
            return self._details(node)
        if role == Qt.DecorationRole:
            if column == STATUS:
                return status_icon(self.status_shown(node))
            if column == NAME:
                return type_icon(node.type)
            return None
        if role == Qt.CheckStateRole and column == NAME:
            return Qt.Checked if node.enabled else Qt.Unchecked
        if role == Qt.ForegroundRole:
            if not self._enabled(node.id):
                return QColor(DISABLED_COLOUR)
            if column == STATUS:
                return status_colour(self.status_shown(node))
            return None
        if role == Qt.ToolTipRole:
            return self._tooltip(node)
        if role == Qt.UserRole:
            return node.id
        return None

    def status_shown(self, node: QueueNode) -> str:
        """A task's status; a sample's or group's own, or its tasks' summed up once some
        ran without it (:func:`~mxgui.core.queue.node_text.shown_status`)."""
        if node.is_task:
            return node.status
        return shown_status(node.status, self._tallies.get(node.id))

    def _details(self, node: QueueNode) -> str:
        """The Details of ``node``; a task's is made once per snapshot (a collection of
        100,000 files is not counted again at every paint)."""
        if not node.is_task:
            return details_of(node, self._tallies.get(node.id))
        cached = self._results.get(node.id)
        if cached is not None and cached[0] is node:
            return cached[1]
        text = details_of(node)
        self._results[node.id] = (node, text)
        return text

    def _enabled(self, node_id: int) -> bool:
        while node_id != ROOT_ID:
            node = self._nodes.get(node_id)
            if node is None or not node.enabled:
                return node is None
            node_id = self._parent.get(node_id, ROOT_ID)
        return True

    def _tooltip(self, node: QueueNode) -> str:
        status = status_label(self.status_shown(node))
        lines = [node.describe(), f"status: {status}", self._details(node)]
        if node.message:
            lines.append(node.message)
        if node.files:
            lines.append(f"{len(node.files)} files, first {node.files[0]}")
        return "\n".join(lines)

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        if not index.isValid():
            return _ROOT_FLAGS
        node = self._nodes[index.internalId()]
        shown = node.type != ROOT  # not a placeholder
        return _FLAGS[
            index.column() == NAME,
            shown and node.status != RUNNING,
            shown and not node.is_task,
        ]

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
        self._tallies = {}
        self._retallied = set()
        self._results = {}
        shown = self._nodes
        own = {  # the tasks right below each node
            parent: Counter(shown[c].status for c in children if shown[c].is_task)
            for parent, children in self._children.items()
            if children
        }
        for container, counts in own.items():
            if counts:
                self._tally_of(container).update(counts)
                for ancestor in self._ancestors(container):
                    self._tally_of(ancestor).update(counts)

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
                self.edits.clear()
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
        self._count_all(ids, 1)

    def _remove(self, parent: int, first: int, last: int) -> None:
        children = self._children[parent]
        self._count_all(children[first : last + 1], -1)
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
                self._tallies.pop(node_id, None)
                self._results.pop(node_id, None)
                self._retallied.discard(node_id)
                stack.extend(self._children.pop(node_id, ()))
            self.endRemoveRows()

    def _move(self, old_parent: int, old_row: int, new_parent: int, new_row: int, node_id: int):
        destination = new_row + 1 if old_parent == new_parent and new_row > old_row else new_row
        if old_parent != new_parent:
            self._count_all([node_id], -1)
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
        if old_parent != new_parent:
            self._count_all([node_id], 1)

    def _refresh(self, dirty: dict[int, bool]) -> None:
        last = len(self.COLUMNS) - 1
        for node_id, enabled_changed in dirty.items():
            if node_id not in self._parent:
                continue  # removed meanwhile
            old = self._nodes[node_id]
            self._nodes[node_id] = new = self._snapshot_of(node_id)
            if old.is_task and new.status != old.status:
                self._count(node_id, Counter({new.status: 1, old.status: -1}))
            row = self.row_of(node_id)
            parent = self.index_of(self._parent[node_id])
            self.dataChanged.emit(self.index(row, 0, parent), self.index(row, last, parent))
            children = self._children.get(node_id)
            if enabled_changed and children:
                index = self.index_of(node_id)
                self._refresh_below(index, len(children))
        for node_id in self._retallied:  # a tally shows in the Status and Details columns
            if node_id in self._parent:
                first, details = self.index_of(node_id, STATUS), self.index_of(node_id, DETAILS)
                self.dataChanged.emit(first, details)
        self._retallied.clear()

    # the tallies of tasks by status ---------------------------------------------------------
    def _ancestors(self, node_id: int) -> Iterator[int]:
        parent = self._parent.get(node_id)
        while parent is not None:
            yield parent
            parent = self._parent.get(parent)

    def _tally_of(self, node_id: int) -> Counter[str]:
        tally = self._tallies.get(node_id)
        if tally is None:
            tally = self._tallies[node_id] = Counter()
        return tally

    def _count(self, node_id: int, change: Counter[str]) -> None:
        """Add ``change`` to the tally of every ancestor of ``node_id`` (shown)."""
        for parent in self._ancestors(node_id):
            self._tally_of(parent).update(change)
            self._retallied.add(parent)

    def _count_all(self, node_ids: Iterable[int], sign: int) -> None:
        """Add (``sign`` 1) or take away (-1) the tasks of the subtrees ``node_ids`` from
        their ancestors' tallies."""
        for node_id in node_ids:
            node = self._nodes[node_id]
            change = Counter(self._tallies.get(node_id, Counter()))
            if node.is_task:
                change[node.status] += 1
            if sign < 0:
                change = Counter({s: -n for s, n in change.items()})
            if change:
                self._count(node_id, change)

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
