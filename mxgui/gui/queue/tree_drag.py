"""Drag and drop in the queue tree: a drop is a ``QueueModel.move`` (within its rules),
made through the tree's undo stack.

A mixin of :class:`~mxgui.gui.queue.tree_model.QueueTreeModel`: it uses only the tree's
public side, :class:`DropTarget` (the queue model ``source``, the undoable ``edits``,
``shown_node``, ``id_of`` and ``editRefused``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Protocol

from PyQt5.QtCore import QMimeData, QModelIndex, Qt, pyqtBoundSignal

from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import ALLOWED_PARENTS, ROOT, QueueError, QueueNode
from mxgui.gui.queue.undo import QueueEdits

#: the drag-and-drop format: a JSON list of node ids
MIME_TYPE = "application/x-mxgui-queue-nodes"


class DropTarget(Protocol):
    """What the drag and drop uses of the tree model it is mixed into."""

    source: QueueModel
    edits: QueueEdits

    @property
    def editRefused(self) -> pyqtBoundSignal: ...

    def shown_node(self, node_id: int) -> QueueNode | None: ...

    def id_of(self, index: QModelIndex) -> int: ...

    def move_nodes(self, ids: list[int], target: int, row: int = -1) -> bool: ...  # the mixin's


class DragAndDrop:
    """Drag rows of the queue tree, drop them where the queue's rules allow."""

    def supportedDropActions(self) -> Qt.DropActions:  # noqa: N802
        return Qt.DropActions(Qt.MoveAction)

    def supportedDragActions(self) -> Qt.DropActions:  # noqa: N802
        return Qt.DropActions(Qt.MoveAction)

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME_TYPE]

    def mimeData(self, indexes: Iterable[QModelIndex]) -> QMimeData:  # noqa: N802
        ids = list(dict.fromkeys(i.internalId() for i in indexes if i.isValid()))
        data = QMimeData()
        data.setData(MIME_TYPE, json.dumps(ids).encode())
        return data

    @staticmethod
    def dragged_ids(data: QMimeData) -> list[int]:
        """The node ids a drag carries (empty for anything else)."""
        if not data.hasFormat(MIME_TYPE):
            return []
        try:
            ids = json.loads(bytes(data.data(MIME_TYPE)).decode())
        except ValueError:
            return []
        if not isinstance(ids, list):
            return []
        return [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]

    def canDropMimeData(  # noqa: N802
        self: DropTarget,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: QModelIndex,
    ) -> bool:
        target = self.shown_node(self.id_of(parent)) if parent.isValid() else None
        target_type = target.type if target is not None else ROOT
        ids = DragAndDrop.dragged_ids(data)
        dragged = (self.shown_node(i) for i in ids)  # asked on every drag move: stop early
        return bool(ids) and all(
            node is not None and target_type in ALLOWED_PARENTS.get(node.type, ())
            for node in dragged
        )

    def dropMimeData(  # noqa: N802
        self: DropTarget,
        data: QMimeData,
        action: Qt.DropAction,
        row: int,
        column: int,
        parent: QModelIndex,
    ) -> bool:
        """Move the dragged nodes to ``row`` under ``parent``, in their order.

        Returns False so that the view removes nothing itself: the rows move when the
        model's ``nodeMoved`` signals arrive.
        """
        ids = DragAndDrop.dragged_ids(data)
        if action == Qt.IgnoreAction or not ids:
            return False
        self.move_nodes(ids, self.id_of(parent), row)
        return False

    def move_nodes(self: DropTarget, ids: list[int], target: int, row: int = -1) -> bool:
        """Move ``ids`` (in order) to before the node now at ``row`` under ``target``
        (``-1``: at the end), one undoable step; a refusal is emitted as ``editRefused``.
        True if all moved."""
        siblings = self.source.children(target)
        anchor = next((c for c in siblings[max(row, 0) :] if c not in ids), None)
        if row < 0:
            anchor = None
        with self.edits.grouped_moves():
            for node_id in ids:
                try:
                    now = [c for c in self.source.children(target) if c != node_id]
                    index = now.index(anchor) if anchor in now else len(now)
                    self.edits.move(node_id, target, index)
                except QueueError as exc:
                    self.editRefused.emit(str(exc))
                    return False
        return True
