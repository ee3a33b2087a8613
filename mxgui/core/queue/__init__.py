"""The data-collection queue, Qt-free: model, task parameters, history, persistence.

- :mod:`~mxgui.core.queue.model`: :class:`QueueModel`, the evented, thread-safe tree;
- :mod:`~mxgui.core.queue.tasks`: defaults from the beamline, validation against its
  live limits, ``task_from_json``;
- :mod:`~mxgui.core.queue.history`: the executed entries;
- :mod:`~mxgui.core.queue.persistence`: the queue file, saved on every change, restored
  after a crash;
- :mod:`~mxgui.core.queue.runs` and :mod:`~mxgui.core.queue.summary`: run numbers that
  collide with nothing, and what a run will do (for the confirmation dialog).
"""

from mxgui.core.queue.history import History, HistoryEntry
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import (
    NODE_TYPES,
    ROOT_ID,
    STATUSES,
    TASK_TYPES,
    QueueError,
    QueueNode,
    UnknownNodeError,
)
from mxgui.core.queue.persistence import QueueStore, RestoreResult, restore, settle
from mxgui.core.queue.runs import next_run_number, with_free_run_number
from mxgui.core.queue.summary import summarise
from mxgui.core.queue.tasks import (
    BeamlineDefaults,
    CollectDefaults,
    TaskFactory,
    TaskSpec,
    task_from_json,
)

__all__ = [
    "NODE_TYPES",
    "ROOT_ID",
    "STATUSES",
    "TASK_TYPES",
    "BeamlineDefaults",
    "CollectDefaults",
    "History",
    "HistoryEntry",
    "QueueError",
    "QueueModel",
    "QueueNode",
    "QueueStore",
    "RestoreResult",
    "TaskFactory",
    "TaskSpec",
    "UnknownNodeError",
    "next_run_number",
    "restore",
    "settle",
    "summarise",
    "task_from_json",
    "with_free_run_number",
]
