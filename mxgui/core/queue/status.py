"""The engine's side of the queue model: execution status, files written, results.

:class:`StatusEditor` is owned by :class:`~mxgui.core.queue.model.QueueModel` (its
``set_status``, ``reset_status`` and ``update_results``); kept apart because it is what
the execution engine calls, while the rest of the model is what the user edits. It
changes the tree only through the model's methods of :class:`StatusTable`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any, Protocol

from mxgui.core.queue.nodes import (
    FAILED,
    NOT_EXECUTED,
    ROOT_ID,
    RUNNING,
    SKIPPED,
    STATUSES,
    STOPPED,
    SUCCESS,
    WARNING,
    QueueError,
    QueueNode,
    check_plain,
    freeze,
    thaw,
)


def summary_status(counts: Mapping[str, int]) -> str:
    """The status of a sample or group whose children ended with ``counts`` (status ->
    number): the one rule the engine and the views use.

    ``failed`` if one failed; else ``stopped`` if the user stopped one; else
    ``warning`` if one was skipped or warned; else ``success``.
    """
    if counts.get(FAILED):
        return FAILED
    if counts.get(STOPPED):
        return STOPPED
    if counts.get(SKIPPED) or counts.get(WARNING):
        return WARNING
    return SUCCESS


#: the statuses counted as done in a parent's tally (the tree's "2 of 3 done, 1 failed")
DONE_STATUSES = (SUCCESS, WARNING)


def done_count(counts: Mapping[str, int]) -> int:
    """How many of the tasks counted by status in ``counts`` are done (success or
    warning; failed, stopped and skipped are named apart): the one rule of "done"."""
    return sum(counts.get(s, 0) for s in DONE_STATUSES)


def tasks_summary(nodes: Iterable[QueueNode]) -> dict[str, int]:
    """How many of the task nodes in ``nodes`` have each status, and ``total`` and
    ``done`` (:func:`done_count`, as the tree's tally): ``{"not_executed": 1,
    "running": 0, "success": 2, ..., "total": 3, "done": 2}``; containers (samples,
    groups) are not counted."""
    counts = dict.fromkeys(STATUSES, 0)
    for node in nodes:
        if node.is_task:
            counts[node.status] += 1
    return {**counts, "total": sum(counts.values()), "done": done_count(counts)}


class StatusTable(Protocol):
    """What :class:`StatusEditor` uses of the model (``QueueModel``)."""

    def locked(self) -> AbstractContextManager[Any]:
        """The model's (re-entrant) lock: changes under it are seen at once."""
        ...

    def get_node(self, node_id: int) -> QueueNode:
        """The node ``node_id`` as it is now."""
        ...

    def subtree(self, node_id: int) -> list[int]:
        """``node_id`` and the ids below it."""
        ...

    def store_status(self, node: QueueNode) -> QueueNode:
        """Store ``node`` (same id, maybe another status); emits ``statusChanged``."""
        ...

    def store_fields(self, node: QueueNode, fields: tuple[str, ...]) -> QueueNode:
        """Store ``node`` whose ``fields`` changed (not its status); emits ``nodeChanged``."""
        ...


class StatusEditor:
    """Status, files and results of the nodes of ``table``: what the engine writes."""

    def __init__(self, table: StatusTable) -> None:
        self.table = table

    def set_status(
        self, node_id: int, status: str, message: str = "", files: Sequence[str] | None = None
    ) -> QueueNode:
        """Set the execution status (``running`` stamps ``started``, the others
        ``finished``); ``files`` replaces the files written when given.

        ``not_executed`` is refused: use :meth:`reset_status`.
        """
        if status not in STATUSES or status == NOT_EXECUTED:
            allowed = ", ".join(s for s in STATUSES if s != NOT_EXECUTED)
            hint = " (use reset_status)" if status == NOT_EXECUTED else ""
            raise QueueError(f"status {status!r} is not one of {allowed}{hint}")
        table = self.table
        with table.locked():
            node = table.get_node(node_id)
            if node.id == ROOT_ID:
                raise QueueError("the queue root has no status")
            now = time.time()
            changes: dict[str, Any] = {"status": status, "message": str(message)}
            if files is not None:
                changes["files"] = tuple(str(f) for f in files)
            if status == RUNNING:
                if node.status != RUNNING:
                    changes.update(started=now, finished=None)
            else:
                changes.update(finished=now, started=node.started or now)
            return table.store_status(replace(node, **changes))

    def reset_status(self, node_ids: Iterable[int], recursive: bool = True) -> None:
        """Back to ``not_executed`` (message, files, times and results cleared) so the
        nodes can be edited and run again; the history keeps what they did."""
        table = self.table
        with table.locked():
            targets: list[int] = []
            for node_id in node_ids:
                table.get_node(node_id)
                targets.extend(table.subtree(node_id) if recursive else [node_id])
            nodes = [table.get_node(t) for t in dict.fromkeys(targets)]
            running = next((n for n in nodes if n.status == RUNNING), None)
            if running is not None:
                raise QueueError(f"cannot reset {running.describe()}: it is running")
            for node in nodes:
                if node.id == ROOT_ID or (node.status == NOT_EXECUTED and not node.files):
                    continue
                table.store_status(
                    replace(
                        node,
                        status=NOT_EXECUTED,
                        message="",
                        files=(),
                        started=None,
                        finished=None,
                        results=freeze({}),
                    )
                )

    def update_results(self, node_id: int, results: Mapping[str, object]) -> QueueNode:
        """Merge ``results`` (plain JSON data) into the node's results (the engine,
        ``queue_set_workflow_lims_id``); allowed in any status."""
        check_plain(results, "results")
        table = self.table
        with table.locked():
            node = table.get_node(node_id)
            merged = freeze({**thaw(node.results), **thaw(results)})
            return table.store_fields(replace(node, results=merged), ("results",))
