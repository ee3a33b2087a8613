"""Queue subtrees taken out and put back: what undoing a delete needs, Qt-free.

:func:`remove_subtrees` copies the subtrees it removes (with their place: parent and
row) in one step under the model's lock; :func:`restore_subtree` adds a copy back
through the model's public methods. The nodes put back get new ids (ids are never
reused); the map from the old ids to the new ones is returned so that what refers to
the old ids (an undo stack) can follow, and the results that name nodes by id (a
characterisation's ``accepted``) are rewritten to the new ids. Parameters, names,
enabled flags and, for a node that had run, its status, message, files and results
come back; the start and end times of its run are those of the restore (the history
keeps the real ones).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import NOT_EXECUTED, QueueError, thaw


@dataclass(frozen=True)
class NodeCopy:
    """A node and its subtree as they were (read-only parameters and results)."""

    id: int
    type: str
    name: str | None  # None: the name derived from the parameters
    parameters: Mapping[str, Any]
    enabled: bool
    status: str
    message: str
    files: tuple[str, ...]
    results: Mapping[str, Any]
    children: tuple[NodeCopy, ...]

    def ids(self) -> list[int]:
        """The ids of this node and those below it."""
        found, stack = [], [self]
        while stack:
            copy = stack.pop()
            found.append(copy.id)
            stack.extend(copy.children)
        return found


@dataclass(frozen=True)
class Removed:
    """A subtree removed from under ``parent`` at ``row``."""

    parent: int
    row: int
    copy: NodeCopy


def copy_subtree(model: QueueModel, node_id: int) -> NodeCopy:
    """A copy of ``node_id`` and everything below it, as they are now."""
    with model.locked():
        node = model.get_node(node_id)
        return NodeCopy(
            node.id,
            node.type,
            None if node.auto_name else node.name,
            node.parameters,
            node.enabled,
            node.status,
            node.message,
            node.files,
            node.results,
            tuple(copy_subtree(model, child) for child in node.children),
        )


def remove_subtrees(model: QueueModel, node_ids: Iterable[int]) -> list[Removed]:
    """Remove ``node_ids`` with what is below them (``QueueModel.remove``: all or
    nothing, ``QueueError`` for a running node) and return copies of the removed
    subtrees with their places, in the order of their rows (by parent)."""
    wanted = list(dict.fromkeys(node_ids))
    with model.locked():
        places = []
        for node_id in wanted:
            parent, row = model.row_of(node_id)
            if not _below_any(model, node_id, set(wanted)):
                places.append((parent, row, node_id))
        removed = [Removed(parent, row, copy_subtree(model, n)) for parent, row, n in places]
        model.remove(wanted)
    return sorted(removed, key=lambda r: (r.parent, r.row))


def _below_any(model: QueueModel, node_id: int, ids: set[int]) -> bool:
    parent = model.get_node(node_id).parent
    while parent is not None:
        if parent in ids:
            return True
        parent = model.get_node(parent).parent
    return False


def restore_subtree(
    model: QueueModel, copy: NodeCopy, parent: int, row: int | None = None
) -> dict[int, int]:
    """Add ``copy`` under ``parent`` at ``row`` (clamped to the children there; ``None``:
    last) with its subtree; return the new id of each old id. All or nothing: on a
    refusal (``QueueError``, ``ParameterError``) what was added is removed again."""
    if row is not None:
        row = max(0, min(row, len(model.children(parent))))
    new_ids: dict[int, int] = {}
    try:
        _add(model, copy, parent, row, new_ids)
    except ValueError:  # QueueError and ParameterError
        if copy.id in new_ids:
            model.remove([new_ids[copy.id]])
        raise
    follow_new_ids(model, new_ids)
    return new_ids


#: the results that name other nodes by id (a characterisation's added collections)
ID_RESULTS = ("accepted",)


def follow_new_ids(model: QueueModel, new_ids: Mapping[int, int]) -> None:
    """Make the results that name nodes by id (:data:`ID_RESULTS`) name the new ids of
    the nodes put back, so that a characterisation whose added collection was deleted
    and undone still knows it added it (and does not add it twice)."""
    if not new_ids:
        return
    for node in list(model.iter_nodes()):
        changes = {}
        for key in ID_RESULTS:
            ids = node.results.get(key)
            if isinstance(ids, (list, tuple)) and any(i in new_ids for i in ids):
                changes[key] = [new_ids.get(i, i) for i in ids]
        if changes:
            model.update_results(node.id, changes)


def _add(
    model: QueueModel, copy: NodeCopy, parent: int, row: int | None, new_ids: dict[int, int]
) -> None:
    new = model.add(parent, copy.type, thaw(copy.parameters), index=row, name=copy.name)
    new_ids[copy.id] = new
    if not copy.enabled:
        model.set_enabled(new, False)
    if copy.status != NOT_EXECUTED:
        try:
            model.set_status(new, copy.status, copy.message, copy.files)
        except QueueError as exc:
            raise QueueError(f"{copy.type} {copy.id}: its status not restored: {exc}") from None
    if copy.results:
        model.update_results(new, copy.results)
    for child in copy.children:
        _add(model, child, new, None, new_ids)
