"""The queue model: a tree of samples, task groups and tasks; evented and thread-safe.

Nodes have integer ids (0 is the root), never reused, kept across save and restore.
Every change emits one signal naming the node, in the order the changes were made
(they are emitted with the model's lock held), so a view can keep a mirror of the tree
by replaying them, even when it receives them later on another thread:

- ``nodeAdded(parent_id, row, node_id)``
- ``nodeRemoved(parent_id, row, node_id)``: once per removed subtree (its descendants
  are gone with it); several removals under one parent come in descending row order;
- ``nodeMoved(old_parent, old_row, new_parent, new_row, node_id)``: ``new_row`` is the
  row after the node was taken out of its old place;
- ``nodeChanged(node_id, fields)``: ``fields`` is a tuple of the changed node fields
  (``parameters``, ``name``, ``enabled``, ``results``);
- ``statusChanged(node_id, status, message)``;
- ``modelReset()``: everything changed (clear, restore).

Receivers run in the thread that made the change, with the lock held: they must be
quick, must not wait for another thread that uses the model, and must not change the
model themselves (the Qt bridge re-delivers on the GUI thread; do it there).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, ClassVar

from mxgui.core.queue.nodes import (
    ALLOWED_PARENTS,
    NODE_TYPES,
    NOT_EXECUTED,
    ROOT,
    ROOT_ID,
    RUNNING,
    SAMPLE,
    QueueError,
    QueueNode,
    UnknownNodeError,
    check_plain,
    check_tree,
    derived_name,
    freeze,
    thaw,
    walk,
)
from mxgui.core.queue.status import StatusEditor, tasks_summary
from mxgui.core.queue.tasks import check_parameters
from mxgui.core.signals import SignalEmitter

#: ``validator(node_type, parameters, sample) -> complete parameters``, ``sample`` being
#: the parameters of the node's sample (``None``: none); raises ``ParameterError``
Validator = Callable[[str, Mapping[str, Any], Mapping[str, Any] | None], dict[str, Any]]


class QueueModel(SignalEmitter):
    """The queue tree (see the module docstring for the signals and their order).

    Parameters
    ----------
    validator
        Checks and completes the parameters of :meth:`add` and
        :meth:`update_parameters` (``TaskFactory(...).validate`` for the live limits).
        The default checks types, unknown fields and physical limits; ``None`` only
        requires plain JSON data.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = (
        "nodeAdded",
        "nodeRemoved",
        "nodeMoved",
        "nodeChanged",
        "statusChanged",
        "modelReset",
    )

    def __init__(self, validator: Validator | None = check_parameters) -> None:
        super().__init__()
        self.validator = validator
        self._lock = threading.RLock()
        self._nodes: dict[int, QueueNode] = {}
        self._next_id = 1
        self._types: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._version = 0
        self._reset({ROOT_ID: _root()}, 1)
        self.status_editor = StatusEditor(self)

    # reading ----------------------------------------------------------------------------------
    def get_node(self, node_id: int) -> QueueNode:
        """The node ``node_id`` as it is now (an immutable snapshot)."""
        node = self._nodes.get(node_id)
        if node is None:
            raise UnknownNodeError(f"there is no queue node {node_id!r}")
        return node

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def __len__(self) -> int:
        """Number of nodes below the root."""
        return len(self._nodes) - 1

    @property
    def version(self) -> int:
        """A number that grows with every change (for a writer to know what it saved)."""
        return self._version

    @property
    def next_id(self) -> int:
        """The id the next node will get."""
        return self._next_id

    def children(self, node_id: int = ROOT_ID) -> tuple[int, ...]:
        """The ids of ``node_id``'s children, in order."""
        return self.get_node(node_id).children

    def row_of(self, node_id: int) -> tuple[int, int]:
        """``(parent_id, row)`` of ``node_id``."""
        with self._lock:
            node = self.get_node(node_id)
            if node.parent is None:
                raise QueueError("the queue root has no parent")
            return node.parent, self._nodes[node.parent].children.index(node_id)

    def sample_of(self, node_id: int) -> int | None:
        """The id of the sample ``node_id`` belongs to (itself for a sample), or None."""
        with self._lock:
            node = self.get_node(node_id)
            while node.type != SAMPLE:
                if node.parent is None:
                    return None
                node = self._nodes[node.parent]
            return node.id

    def sample_parameters(self, node_id: int) -> Mapping[str, Any] | None:
        """The parameters of the sample ``node_id`` belongs to (``None``: none)."""
        with self._lock:
            sample_id = self.sample_of(node_id)
            return None if sample_id is None else self.get_node(sample_id).parameters

    def iter_nodes(self, start: int = ROOT_ID, enabled_only: bool = False) -> Iterator[QueueNode]:
        """The nodes below ``start`` (and ``start`` itself unless it is the root), in
        execution order: depth first, children in order. With ``enabled_only`` a
        disabled node and everything below it are left out.

        Iterates over a consistent list made at the call (in time linear in the
        subtree's size).
        """
        with self._lock:
            return iter(walk(self._nodes, start, enabled_only))

    def counts(self) -> dict[str, Any]:
        """``{"nodes": n, "types": {type: n}, "statuses": {status: n}}`` (root excluded)."""
        with self._lock:
            return {
                "nodes": len(self._nodes) - 1,
                "types": {t: n for t, n in self._types.items() if n},
                "statuses": {s: n for s, n in self._statuses.items() if n},
            }

    def children_summary(self, node_id: int) -> dict[str, int]:
        """The enabled tasks below ``node_id`` (not itself) counted by status, with
        ``total`` and ``done`` (see :func:`~mxgui.core.queue.status.tasks_summary`): a
        sample's "2 of 3 done, 1 failed". ``UnknownNodeError`` for an unknown node."""
        with self._lock:
            below = walk(self._nodes, node_id, enabled_only=True)
            return tasks_summary(n for n in below if n.id != node_id)

    def snapshot(self) -> tuple[dict[int, QueueNode], int, int]:
        """``(nodes by id, next_id, version)`` at one instant (for the queue file)."""
        with self._lock:
            return dict(self._nodes), self._next_id, self._version

    # execution status (the engine's side: see status.py) ------------------------------------
    def set_status(
        self, node_id: int, status: str, message: str = "", files: Sequence[str] | None = None
    ) -> QueueNode:
        """Set the execution status (``running`` stamps ``started``, the others
        ``finished``); ``files`` replaces the files written when given.

        ``not_executed`` is refused: use :meth:`reset_status`.
        """
        return self.status_editor.set_status(node_id, status, message, files)

    def reset_status(self, node_ids: Iterable[int], recursive: bool = True) -> None:
        """Back to ``not_executed`` (message, files, times and results cleared) so the
        nodes can be edited and run again; the history keeps what they did."""
        self.status_editor.reset_status(node_ids, recursive)

    def update_results(self, node_id: int, results: Mapping[str, object]) -> QueueNode:
        """Merge ``results`` (plain JSON data) into the node's results (the engine,
        ``queue_set_workflow_lims_id``); allowed in any status."""
        return self.status_editor.update_results(node_id, results)

    # for the status editor (status.StatusTable) -----------------------------------------------
    def locked(self) -> AbstractContextManager[Any]:
        """The model's re-entrant lock (changes made under it are one step)."""
        return self._lock

    def subtree(self, node_id: int) -> list[int]:
        """``node_id`` and the ids of every node below it."""
        with self._lock:
            self.get_node(node_id)
            return self._subtree(node_id)

    def store_status(self, node: QueueNode) -> QueueNode:
        """Store ``node`` in place of the node of its id, counting its status; emits
        ``statusChanged(node_id, status, message)``."""
        with self._lock:
            old = self.get_node(node.id)
            self._statuses[old.status] -= 1
            self._statuses[node.status] += 1
            self._nodes[node.id] = node
            self._version += 1
            self.emit("statusChanged", node.id, node.status, node.message)
            return node

    def store_fields(self, node: QueueNode, fields: tuple[str, ...]) -> QueueNode:
        """Store ``node`` whose ``fields`` (not its status) changed; emits
        ``nodeChanged(node_id, fields)``."""
        with self._lock:
            return self._changed(node, fields)

    # building ---------------------------------------------------------------------------------
    def add(
        self,
        parent_id: int,
        node_type: str,
        parameters: Mapping[str, Any] | None = None,
        index: int | None = None,
        name: str | None = None,
    ) -> int:
        """Add a node under ``parent_id`` at ``index`` (default: last); return its id.

        Raises
        ------
        QueueError
            for a type that cannot go under that parent, or a bad index.
        ParameterError
            from the validator, naming each bad field.
        """
        if node_type not in NODE_TYPES:
            raise QueueError(f"unknown node type {node_type!r} (known: {', '.join(NODE_TYPES)})")
        self._check_parent(node_type, self.get_node(parent_id))  # before a slow validation
        sample = None if node_type == SAMPLE else self.sample_parameters(parent_id)
        values = self._validated(node_type, parameters or {}, sample)
        with self._lock:
            parent = self.get_node(parent_id)
            self._check_parent(node_type, parent)
            row = len(parent.children) if index is None else index
            if not 0 <= row <= len(parent.children):
                raise QueueError(f"index {index} is outside 0..{len(parent.children)}")
            node_id = self._next_id
            self._next_id += 1
            node = QueueNode(
                node_id,
                node_type,
                name or derived_name(node_type, values, node_id),
                freeze(values),
                parent=parent_id,
                auto_name=not name,
            )
            children = parent.children
            self._nodes[parent_id] = replace(
                parent, children=children[:row] + (node_id,) + children[row:]
            )
            self._nodes[node_id] = node
            self._types[node_type] += 1
            self._statuses[NOT_EXECUTED] += 1
            self._version += 1
            self.emit("nodeAdded", parent_id, row, node_id)
        return node_id

    def remove(self, node_ids: Iterable[int]) -> list[int]:
        """Remove ``node_ids`` with everything below them; return the subtree roots removed.

        All or nothing: an unknown id, the root, or a running node in a subtree refuses
        the whole removal.
        """
        with self._lock:
            wanted = set(node_ids)
            for node_id in wanted:
                self.get_node(node_id)
            if ROOT_ID in wanted:
                raise QueueError("the queue root cannot be removed (use clear)")
            tops = [n for n in wanted if not self._has_ancestor_in(n, wanted)]
            subtrees = {top: self._subtree(top) for top in tops}
            doomed = [d for subtree in subtrees.values() for d in subtree]
            running = next((d for d in doomed if self._nodes[d].status == RUNNING), None)
            if running is not None:
                raise QueueError(
                    f"cannot remove {self._nodes[running].describe()}: it is running; "
                    "stop the queue first"
                )
            by_parent: dict[int, set[int]] = {}
            for top in tops:
                parent_of_top = self._nodes[top].parent
                if parent_of_top is not None:  # always: the root is not among them
                    by_parent.setdefault(parent_of_top, set()).add(top)
            for parent_id, removed in by_parent.items():
                parent = self._nodes[parent_id]
                rows = [r for r, c in enumerate(parent.children) if c in removed]
                self._nodes[parent_id] = replace(
                    parent, children=tuple(c for c in parent.children if c not in removed)
                )
                for node_id in (d for top in removed for d in subtrees[top]):
                    node = self._nodes.pop(node_id)
                    self._types[node.type] -= 1
                    self._statuses[node.status] -= 1
                self._version += 1
                for row in reversed(rows):
                    self.emit("nodeRemoved", parent_id, row, parent.children[row])
            return tops

    def move(self, node_id: int, new_parent: int, index: int | None = None) -> None:
        """Move ``node_id`` (with its subtree) under ``new_parent`` at ``index``: the
        position among ``new_parent``'s children once the node is out of its old place
        (default: last). Reordering is a move under the same parent."""
        with self._lock:
            node = self.get_node(node_id)
            target = self.get_node(new_parent)
            if node_id == ROOT_ID:
                raise QueueError("the queue root cannot be moved")
            if node.status == RUNNING:
                raise QueueError(f"cannot move {node.describe()}: it is running")
            self._check_parent(node.type, target)
            if self._has_ancestor_in(new_parent, {node_id}) or new_parent == node_id:
                raise QueueError(f"cannot move {node.describe()} below itself")
            old_parent, old_row = self.row_of(node_id)
            old = self._nodes[old_parent]
            remaining = old.children[:old_row] + old.children[old_row + 1 :]
            siblings = remaining if new_parent == old_parent else target.children
            row = len(siblings) if index is None else index
            if not 0 <= row <= len(siblings):
                raise QueueError(f"index {index} is outside 0..{len(siblings)}")
            if new_parent == old_parent and row == old_row:
                return
            self._nodes[old_parent] = replace(old, children=remaining)
            target = self._nodes[new_parent]
            self._nodes[new_parent] = replace(
                target, children=siblings[:row] + (node_id,) + siblings[row:]
            )
            self._nodes[node_id] = replace(node, parent=new_parent)
            self._version += 1
            self.emit("nodeMoved", old_parent, old_row, new_parent, row, node_id)

    def clear(self) -> None:
        """Remove every node; ids are not reused. Refused while a node is running."""
        with self._lock:
            if self._statuses[RUNNING]:
                raise QueueError("cannot clear the queue while a node is running")
            self._reset({ROOT_ID: _root()}, self._next_id)

    def load(self, nodes: Iterable[QueueNode], next_id: int) -> None:
        """Replace the whole tree by ``nodes`` (from a queue file); all or nothing.

        Parameters are not validated again (the limits may have changed since they
        were saved; the engine checks before it runs). Raises ``ValueError`` naming the
        node for an inconsistent tree.
        """
        table = {node.id: node for node in nodes}
        check_tree(table, next_id)
        with self._lock:
            self._reset(table, next_id)

    # editing ----------------------------------------------------------------------------------
    def update_parameters(self, node_id: int, changes: Mapping[str, Any]) -> QueueNode:
        """Change some parameters of a node that has not run; return the new node.

        Raises
        ------
        QueueError
            when the node is running or has run (read-only after execution).
        ParameterError
            from the validator; the node is unchanged.
        """
        while True:  # validate outside the lock (it may ask the hardware), then commit
            node = self._editable(node_id)
            sample = None if node.type == SAMPLE else self.sample_parameters(node_id)
            values = self._validated(node.type, {**thaw(node.parameters), **changes}, sample)
            with self._lock:
                current = self._editable(node_id)
                if current.parameters is node.parameters:  # else changed meanwhile: again
                    return self._commit_parameters(current, values)

    def _commit_parameters(self, node: QueueNode, values: dict[str, Any]) -> QueueNode:
        """Store ``values`` in ``node`` (the current one; the lock is held)."""
        if values == thaw(node.parameters):
            return node
        name = derived_name(node.type, values, node.id) if node.auto_name else node.name
        updated = replace(node, parameters=freeze(values), name=name)
        fields = ("parameters", "name") if name != node.name else ("parameters",)
        return self._changed(updated, fields)

    def rename(self, node_id: int, name: str) -> QueueNode:
        """Name the node; an empty name gives back the name derived from its parameters."""
        with self._lock:
            node = self.get_node(node_id)
            name = name.strip()
            new_name = name or derived_name(node.type, node.parameters, node_id)
            return self._changed(replace(node, name=new_name, auto_name=not name), ("name",))

    def set_enabled(self, node_id: int, enabled: bool) -> None:
        """Enable or disable a node (a disabled node and its subtree are skipped)."""
        with self._lock:
            node = self.get_node(node_id)
            if node.enabled != bool(enabled):
                self._changed(replace(node, enabled=bool(enabled)), ("enabled",))

    # internals --------------------------------------------------------------------------------
    def _validated(
        self, node_type: str, parameters: Mapping[str, Any], sample: Mapping[str, object] | None
    ) -> dict[str, Any]:
        if self.validator is None:
            check_plain(parameters)
            plain: dict[str, Any] = thaw(parameters)
            return plain
        values = self.validator(node_type, parameters, sample)
        check_plain(values)
        return values

    def _editable(self, node_id: int) -> QueueNode:
        node = self.get_node(node_id)
        if node.status == RUNNING:
            raise QueueError(f"{node.describe()} is running: its parameters are read-only")
        if node.has_run:
            raise QueueError(
                f"{node.describe()} has run ({node.status}): its parameters are read-only "
                "after execution; reset its status to run it again"
            )
        return node

    def _changed(self, node: QueueNode, fields: tuple[str, ...]) -> QueueNode:
        self._nodes[node.id] = node
        self._version += 1
        self.emit("nodeChanged", node.id, fields)
        return node

    def _check_parent(self, node_type: str, parent: QueueNode) -> None:
        allowed = ALLOWED_PARENTS[node_type]
        if parent.type not in allowed:
            where = " or ".join("the queue root (0)" if a == ROOT else f"a {a}" for a in allowed)
            what = "the queue root" if parent.type == ROOT else parent.describe()
            raise QueueError(f"a {node_type} goes under {where}, not under {what}")

    def _has_ancestor_in(self, node_id: int, ids: set[int]) -> bool:
        parent = self._nodes[node_id].parent
        while parent is not None:
            if parent in ids:
                return True
            parent = self._nodes[parent].parent
        return False

    def _subtree(self, node_id: int) -> list[int]:
        found, stack = [], [node_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(self._nodes[current].children)
        return found

    def _reset(self, nodes: dict[int, QueueNode], next_id: int) -> None:
        with self._lock:
            self._nodes = nodes
            self._next_id = next_id
            others = [n for n in nodes.values() if n.id != ROOT_ID]
            self._types = Counter(n.type for n in others)
            self._statuses = Counter(n.status for n in others)
            self._version += 1
            self.emit("modelReset")


def _root() -> QueueNode:
    return QueueNode(ROOT_ID, ROOT, "queue", freeze({}), parent=None, auto_name=False)
