"""Queue node records: types, statuses, where each type may go, and the read-only snapshot.

A node is an immutable :class:`QueueNode`; the model replaces it on every change, so a
snapshot handed to another thread (the GUI, the writer of the queue file, XML-RPC)
never changes under its reader. Its ``parameters`` are a read-only mapping (nested
objects too); :meth:`QueueNode.to_dict` gives plain types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

ROOT_ID = 0
ROOT = "Root"
SAMPLE = "Sample"
TASK_GROUP = "TaskGroup"
#: the task types, in the order a task toolbox shows them
TASK_TYPES = (
    "DataCollection",
    "Characterisation",
    "EnergyScan",
    "MeshScan",
    "XrayCentring",
    "Workflow",
)
NODE_TYPES = (SAMPLE, TASK_GROUP, *TASK_TYPES)

NOT_EXECUTED = "not_executed"
RUNNING = "running"
SUCCESS = "success"
WARNING = "warning"
FAILED = "failed"
SKIPPED = "skipped"
#: the user stopped the queue while the node ran (not a failure of the node)
STOPPED = "stopped"
STATUSES = (NOT_EXECUTED, RUNNING, SUCCESS, WARNING, FAILED, SKIPPED, STOPPED)
#: statuses after which a node has run (its parameters are read-only)
FINISHED_STATUSES = (SUCCESS, WARNING, FAILED, SKIPPED, STOPPED)

#: what each type of node may be put under
#: the task type whose entry runs a workflow; the tasks the workflow adds go under it
WORKFLOW = "Workflow"
ALLOWED_PARENTS: dict[str, tuple[str, ...]] = {
    SAMPLE: (ROOT,),
    TASK_GROUP: (SAMPLE,),
    **{task: (SAMPLE, TASK_GROUP, WORKFLOW) for task in TASK_TYPES if task != WORKFLOW},
    WORKFLOW: (SAMPLE, TASK_GROUP),
}


class QueueError(ValueError):
    """An operation the queue refuses; the message says why and what to do."""


class UnknownNodeError(QueueError, KeyError):
    """No node has this id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


_CONTAINERS = (dict, list, tuple, MappingProxyType)


def freeze(value: object) -> Any:
    """A read-only view of plain JSON data: dicts become mappings, lists tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType(
            {k: (freeze(v) if type(v) in _CONTAINERS else v) for k, v in value.items()}
        )
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) if type(v) in _CONTAINERS else v for v in value)
    return value


def thaw(value: object) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists (a new copy)."""
    if isinstance(value, Mapping):
        return {k: (thaw(v) if type(v) in _CONTAINERS else v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) if type(v) in _CONTAINERS else v for v in value]
    return value


def check_plain(value: object, where: str = "parameters") -> None:
    """Raise ``ValueError`` naming the place unless ``value`` is plain JSON data
    (dicts with text keys, lists, text, numbers, booleans, ``None``)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"{where}: key {key!r} is not text")
            check_plain(item, f"{where}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            check_plain(item, f"{where}[{index}]")
        return
    raise ValueError(f"{where}: {type(value).__name__} {value!r} is not plain JSON data")


@dataclass(frozen=True, slots=True)
class QueueNode:
    """One node of the queue, as it was when the snapshot was taken.

    Attributes
    ----------
    id
        Integer id, never reused (0 is the root).
    type
        ``Root``, ``Sample``, ``TaskGroup`` or one of :data:`TASK_TYPES`.
    name
        The name shown to the user.
    parameters
        Read-only mapping of plain JSON values (see ``mxgui.core.queue.tasks``).
    status, message
        One of :data:`STATUSES`, and the reason or result given with it.
    enabled
        A disabled node (and everything below it) is skipped when the queue runs.
    parent, children
        The parent's id (``None`` for the root) and the children's ids in order.
    files
        Files written by the node's execution.
    started, finished
        Epoch seconds of the last execution (``None`` before).
    results
        Read-only mapping of results written by the engine (LIMS ids, a proposed
        strategy, an energy scan's peak / inflection / remote...).
    auto_name
        True while the name is derived from the parameters (it follows them).
    """

    id: int
    type: str
    name: str
    parameters: Mapping[str, Any]
    status: str = NOT_EXECUTED
    message: str = ""
    enabled: bool = True
    parent: int | None = ROOT_ID
    children: tuple[int, ...] = ()
    files: tuple[str, ...] = ()
    started: float | None = None
    finished: float | None = None
    results: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    auto_name: bool = True

    @property
    def is_task(self) -> bool:
        """True for a task (not the root, a sample or a task group)."""
        return self.type in TASK_TYPES

    @property
    def has_run(self) -> bool:
        """True once an execution started (the parameters are then read-only)."""
        return self.status != NOT_EXECUTED

    def to_dict(self) -> dict[str, Any]:
        """Plain types, as ``queue_get_node`` returns them (plus the other fields)."""
        return {
            "id": self.id,
            "type": self.type,
            "name": self.name,
            "parameters": thaw(self.parameters),
            "status": self.status,
            "message": self.message,
            "enabled": self.enabled,
            "parent": self.parent,
            "children": list(self.children),
            "files": list(self.files),
            "started": self.started,
            "finished": self.finished,
            "results": thaw(self.results),
        }

    def describe(self) -> str:
        """``DataCollection 12 'p_3'``: how messages name the node."""
        return f"{self.type} {self.id} {self.name!r}"


def walk(
    nodes: Mapping[int, QueueNode], start: int = ROOT_ID, enabled_only: bool = False
) -> list[QueueNode]:
    """The nodes of ``nodes`` below ``start`` (with ``start`` unless it is the root) in
    execution order: depth first, children in order; with ``enabled_only`` without the
    disabled nodes and their subtrees. ``UnknownNodeError`` for an unknown start."""
    first = nodes.get(start)
    if first is None:
        raise UnknownNodeError(f"there is no queue node {start!r}")
    stack = [first] if start != ROOT_ID else [nodes[c] for c in reversed(first.children)]
    found = []
    while stack:
        node = stack.pop()
        if enabled_only and not node.enabled:
            continue
        found.append(node)
        stack.extend(nodes[c] for c in reversed(node.children))
    return found


def derived_name(node_type: str, parameters: Mapping[str, object], node_id: int) -> str:
    """The name of a node nobody named: the sample's name or address, or a task's
    ``<prefix>_<run_number>``, or the workflow's name."""
    if node_type == SAMPLE:
        return str(parameters.get("name") or parameters.get("location") or f"sample {node_id}")
    if node_type == TASK_GROUP:
        return f"group {node_id}"
    if node_type == "Workflow" and parameters.get("workflow_name"):
        return str(parameters["workflow_name"])
    prefix, run = parameters.get("prefix"), parameters.get("run_number")
    if prefix and run is not None:
        return f"{prefix}_{run}"
    return f"{node_type} {node_id}"


def check_tree(table: dict[int, QueueNode], next_id: int) -> None:
    """Raise ``ValueError`` naming the node unless ``table`` is one consistent tree."""
    root = table.get(ROOT_ID)
    if root is None or root.type != ROOT:
        raise ValueError("no queue root (node 0 of type Root)")
    seen = {ROOT_ID}
    stack = [root]
    while stack:
        node = stack.pop()
        for child_id in node.children:
            child = table.get(child_id)
            if child is None:
                raise ValueError(f"node {node.id}: child {child_id} does not exist")
            if child_id in seen:
                raise ValueError(f"node {child_id} appears twice in the tree")
            if child.parent != node.id:
                raise ValueError(f"node {child_id}: parent {child.parent}, but under {node.id}")
            if node.type not in ALLOWED_PARENTS.get(child.type, ()):
                raise ValueError(f"node {child_id}: a {child.type} cannot go under a {node.type}")
            seen.add(child_id)
            stack.append(child)
    orphans = sorted(set(table) - seen)
    if orphans:
        raise ValueError(f"node {orphans[0]} is not in the tree (no parent lists it)")
    if table and next_id <= max(table):
        raise ValueError(f"next_id {next_id} is not above the highest id {max(table)}")
