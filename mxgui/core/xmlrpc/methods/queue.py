"""Queue methods: add samples and tasks, read nodes, run them (mxcubecore's names).

``task_json`` is docs/contracts.md's ``{"type": ..., "parameters": {...}}``, as a struct or as
JSON text. Parameter names are mxgui's, which are mxcubecore's acquisition and path
names; a few mxcubecore spellings are taken too (:data:`ALIASES`) and mxcubecore
fields that mxgui has no use for are dropped (:data:`IGNORED`). Anything else unknown
is refused with the queue's own message listing each bad field.

``task_json`` may also be mxcubecore's own form, a jsonpickle queue model object
(``{"py/object": "mxcubecore.model.queue_model_objects.DataCollection", ...}``): it is
read by a fixed table (:mod:`~mxgui.core.xmlrpc.jsonpickle_queue`), never unpickled.

Serialisation (mxcubecore's native queue API): ``queue_get_node`` answers with mxgui's
struct unless the caller chose ``json`` (mxcubecore's jsonpickle document) with
``queue_set_serialisation``. The choice belongs to the caller: its address and the
``Token`` it sends. Not its connection: the server closes connections idle for 10 s
and Python's client reconnects without a word (and some clients connect per call), so
a choice kept by connection silently went back to ``struct`` under a client that calls
``jsonpickle.decode`` on every answer. Another host, or another token (each BES run has
its own), keeps its own choice; a script on mxgui's host with mxgui's own token shares
it with mxgui's workflows (which read structs): give such a script its own host or
token, or set ``struct`` back when done. At most :data:`MAX_CALLERS` choices are kept.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from typing import Any, ClassVar

from mxgui.core.queue.nodes import ROOT_ID, SAMPLE, TASK_GROUP
from mxgui.core.roles import QueueEngineRole, QueueRole
from mxgui.core.xmlrpc import caller
from mxgui.core.xmlrpc.args import as_bool, as_int, as_str, as_struct
from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.dispatch import BadArgument, Unavailable
from mxgui.core.xmlrpc.jsonpickle_encode import EncodeError, encode_node
from mxgui.core.xmlrpc.jsonpickle_queue import DocumentError, NativeTask, decode_task, is_jsonpickle

log = logging.getLogger(__name__)

#: mxcubecore's other names of a field -> mxgui's
ALIASES = {
    "base_prefix": "prefix",
    "start_image_number": "first_image",
    "number_of_images": "num_images",
    "exposure_time": "exp_time",
}
#: mxcubecore fields without a meaning in mxgui: dropped (logged)
IGNORED = frozenset(
    {
        "take_video",
        "take_dark_current",
        "skip_existing_images",
        "detector_binning_mode",
        "induce_burn",
        "num_lines",
        "mesh_range",
        "mesh_snapshot",
        "in_queue",
        "in_interleave",
        "xds_dir",
        "mad_prefix",
        "reference_image_prefix",
        "wedge_prefix",
        "num_files",
        "compression",
    }
)
#: mxcubecore's class names of a node type -> mxgui's
TYPE_ALIASES = {"XrayCentring2": "XrayCentring", "TaskGroup": TASK_GROUP}
_TASK_KEYS = {"type", "parameters", "name"}


#: queue_get_node's answers: mxgui's struct (the default) or mxcubecore's jsonpickle text
STRUCT = "struct"
JSONPICKLE = "json"
SERIALISATIONS = (STRUCT, JSONPICKLE)


#: callers whose serialisation is remembered (the least recently choosing is forgotten)
MAX_CALLERS = 256


class SerialisationChoices:
    """The serialisation each caller chose, by its address and token (see the module
    docstring); calls made in the process, without a connection, share one choice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_caller: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._in_process = STRUCT

    @staticmethod
    def _caller() -> tuple[str, str] | None:
        identity = caller.current_identity()
        if identity is None:
            return None
        peer, token = identity
        # a digest, not the token: a run's token is not kept after its run
        digest = hashlib.sha256(token.encode()).hexdigest() if token is not None else ""
        return peer, digest

    def get(self) -> str:
        key = self._caller()
        with self._lock:
            if key is None:
                return self._in_process
            return self._by_caller.get(key, STRUCT)

    def set(self, choice: str) -> None:
        key = self._caller()
        with self._lock:
            if key is None:
                self._in_process = choice
                return
            self._by_caller.pop(key, None)
            if choice != STRUCT:
                self._by_caller[key] = choice
                while len(self._by_caller) > MAX_CALLERS:
                    self._by_caller.popitem(last=False)


def add_native_task(queue: QueueRole, parent_id: int, task: NativeTask) -> int:
    """Add ``task`` (read from mxcubecore's jsonpickle) and its children under
    ``parent_id``; return its id. All or nothing: when a node below is refused, what
    was added is removed and the refusal names the node's place in the document.

    A node with children is added disabled and given its own ``enabled`` only once
    the last node below it is in: a running queue cannot start a subtree that is
    still being built (and so cannot run what a refusal then takes back)."""
    building = bool(task.children)
    top = _add_one(queue, parent_id, task, enabled=not building and task.enabled)
    try:
        stack = [(top, child) for child in reversed(task.children)]
        while stack:
            parent, child = stack.pop()
            child_id = _add_one(queue, parent, child, enabled=child.enabled)
            stack.extend((child_id, grandchild) for grandchild in reversed(child.children))
    except ValueError as refusal:
        try:
            queue.model.remove([top])
        except ValueError as exc:  # e.g. a node of it was run by id meanwhile
            log.warning("queue_add_child: node %d kept after a refused child", top, exc_info=True)
            raise BadArgument(f"{refusal}; node {top} was kept: {exc}") from None
        raise
    if building and task.enabled:
        queue.model.set_enabled(top, True)
    return top


def _add_one(queue: QueueRole, parent_id: int, task: NativeTask, enabled: bool) -> int:
    try:
        node_id = add_node(queue, parent_id, task.type, task.parameters, task.name or "")
    except ValueError as exc:
        raise BadArgument(f"{task.where} ({task.type}): {exc}") from None
    if not enabled:
        queue.model.set_enabled(node_id, False)
    return node_id


def add_node(
    queue: QueueRole, parent_id: int, node_type: str, parameters: dict[str, Any], name: str
) -> int:
    """Add a sample or group as given, a task completed by the beamline's defaults,
    named ``name`` (empty: derived from its parameters); return its id."""
    if node_type in (SAMPLE, TASK_GROUP):
        return queue.model.add(parent_id, node_type, parameters, name=name or None)
    node_id = queue.add_task(parent_id, node_type, parameters)
    if name:
        queue.model.rename(node_id, name)
    return node_id


def task_from_json(task_json: object) -> tuple[str, dict[str, Any], str]:
    """``(type, parameters, name)`` of ``task_json`` with mxcubecore names mapped."""
    task = as_struct(task_json, "task_json", json_text=True)
    unknown = sorted(set(task) - _TASK_KEYS)
    if unknown:
        raise BadArgument(
            f"task_json: unknown key(s) {', '.join(unknown)}; expected "
            '{"type": ..., "parameters": {...}} (and an optional "name")'
        )
    if "type" not in task:
        raise BadArgument('task_json: no "type" (Sample, DataCollection, MeshScan...)')
    node_type = as_str(task["type"], "task_json.type")
    node_type = TYPE_ALIASES.get(node_type, node_type)
    given = as_struct(task.get("parameters", {}), "task_json.parameters")
    name = as_str(task.get("name", ""), "task_json.name", allow_empty=True)
    parameters: dict[str, Any] = {}
    for key, value in given.items():
        if key in IGNORED:
            log.debug("queue_add_child: mxcubecore field %s=%r dropped", key, value)
            continue
        target = ALIASES.get(key, key)
        if target in parameters and target != key:
            raise BadArgument(f"task_json.parameters: both {key} and {target} given")
        parameters[target] = value
    return node_type, parameters, name


class QueueMethods:
    """``start_queue``, ``is_queue_executing``, ``queue_add_child``, ``queue_get_node``,
    ``queue_execute_entry_with_id``, ``queue_set_workflow_lims_id``, and the
    serialisation of mxcubecore's native queue API (``queue_set_serialisation``,
    ``queue_get_serialisation``, ``queue_get_available_serialisations``)."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "start_queue",
        "is_queue_executing",
        "queue_add_child",
        "queue_get_node",
        "queue_execute_entry_with_id",
        "queue_set_workflow_lims_id",
        "queue_set_serialisation",
        "queue_get_serialisation",
        "queue_get_available_serialisations",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.serialisations = SerialisationChoices()

    @property
    def queue(self) -> QueueRole:
        return self.ctx.role("queue")

    def _engine(self) -> QueueEngineRole:
        engine = self.queue.engine
        if engine is None:
            raise Unavailable("this mxgui has no queue engine")
        return engine

    def start_queue(self) -> bool:
        """Run every enabled entry of the queue that has not run (as the Run button)."""
        self._engine().run_all()
        return True

    def is_queue_executing(self, node_id: object = None) -> bool:
        """True while the queue runs (with ``node_id``: while that node runs)."""
        queue = self.queue
        node = None if node_id is None else as_int(node_id, "node_id")
        if node is not None:
            queue.model.get_node(node)  # unknown ids are refused
        return queue.is_executing(node)

    def queue_add_child(self, parent_id: object, task_json: object) -> int:
        """Add a sample (under 0), a task group or a task (under a sample or group);
        returns the new node's id. ``task_json``: ``{"type", "parameters"}``, a struct
        or JSON text, or mxcubecore's jsonpickle queue object (with its ``_children``);
        the beamline's defaults complete the parameters. A task goes under
        ``parent_id``: a Workflow node's id nests it under that workflow (what the
        project's workflows do with their ``tasks_parent_id``)."""
        parent = as_int(parent_id, "parent_id")
        queue = self.queue
        if is_jsonpickle(task_json):
            try:
                native = decode_task(task_json, "task_json")
            except DocumentError as exc:
                raise BadArgument(str(exc)) from None
            queue.model.get_node(parent)
            return add_native_task(queue, parent, native)
        node_type, parameters, name = task_from_json(task_json)
        queue.model.get_node(parent)  # an unknown parent is named before the type
        return add_node(queue, parent, node_type, parameters, name)

    def queue_get_node(self, node_id: object) -> dict[str, Any] | str:
        """The node: id, type, name, parameters, status, message, enabled, parent,
        children (ids), files written, started / finished (epoch s or nil), results.
        After ``queue_set_serialisation("json")`` on this connection: mxcubecore's
        jsonpickle document of the node and its subtree instead."""
        node = as_int(node_id, "node_id")
        model = self.queue.model
        if self.serialisations.get() == JSONPICKLE:
            try:
                return encode_node(model, node)
            except EncodeError as exc:
                raise Unavailable(str(exc)) from None
        return model.get_node(node).to_dict()

    def queue_set_serialisation(self, backend: object) -> bool:
        """Choose what ``queue_get_node`` answers on this connection: ``struct`` (mxgui's,
        the default) or ``json`` (mxcubecore's jsonpickle queue objects)."""
        choice = as_str(backend, "backend").lower()
        if choice not in SERIALISATIONS:
            raise BadArgument(
                f"backend: unknown serialisation {choice!r}; available: {', '.join(SERIALISATIONS)}"
            )
        self.serialisations.set(choice)
        return True

    def queue_get_serialisation(self) -> str:
        """The serialisation chosen on this connection (``struct`` until one is set)."""
        return self.serialisations.get()

    def queue_get_available_serialisations(self) -> list[str]:
        """The serialisations ``queue_set_serialisation`` takes."""
        return list(SERIALISATIONS)

    def queue_execute_entry_with_id(self, node_id: object, use_async: object = False) -> Any:
        """Run node ``node_id``: when the queue is idle as a run of its own; while a
        workflow entry waits for its workflow, nested inside it. Returns the final
        status (success, warning, failed, skipped, stopped) once it has ended, or True at once
        with ``use_async``."""
        node = as_int(node_id, "node_id")
        background = as_bool(use_async, "use_async")
        queue = self.queue
        queue.model.get_node(node)
        future = queue.execute_entry(node)  # Refused without an engine or while busy
        if background:
            return True
        return self.ctx.wait(future, None, f"queue node {node}")

    def queue_set_workflow_lims_id(self, node_id: object, lims_id: object) -> bool:
        """Record the LIMS id of (workflow) node ``node_id`` in its results (the LIMS
        object stores it on the workflow run going on: docs/lims_storage.md)."""
        node = as_int(node_id, "node_id")
        if lims_id is not None and not isinstance(lims_id, (int, str)):
            raise BadArgument(f"lims_id: expected an integer or text, got {lims_id!r}")
        self.queue.model.update_results(node, {"lims_id": lims_id})
        return True


__all__ = [
    "ALIASES",
    "IGNORED",
    "JSONPICKLE",
    "QueueMethods",
    "ROOT_ID",
    "SERIALISATIONS",
    "STRUCT",
    "add_native_task",
    "add_node",
    "task_from_json",
]
