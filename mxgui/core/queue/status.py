"""The engine's side of the queue model: execution status, files written, results.

A mixin of :class:`~mxgui.core.queue.model.QueueModel` (it uses the model's lock, node
table, counters and signals); kept apart because it is what the execution engine calls,
while the rest of the model is what the user edits.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from mxgui.core.queue.nodes import (
    NOT_EXECUTED,
    ROOT_ID,
    RUNNING,
    STATUSES,
    QueueError,
    QueueNode,
    check_plain,
    freeze,
    thaw,
)


class StatusEditing:
    """Status, files and results of nodes: what the engine writes (a model mixin)."""

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
        with self._lock:
            node = self.get_node(node_id)
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
            self._statuses[node.status] -= 1
            self._statuses[status] += 1
            self._nodes[node_id] = updated = replace(node, **changes)
            self._version += 1
            self.emit("statusChanged", node_id, status, updated.message)
            return updated

    def reset_status(self, node_ids: Iterable[int], recursive: bool = True) -> None:
        """Back to ``not_executed`` (message, files, times and results cleared) so the
        nodes can be edited and run again; the history keeps what they did."""
        with self._lock:
            targets: list[int] = []
            for node_id in node_ids:
                self.get_node(node_id)
                targets.extend(self._subtree(node_id) if recursive else [node_id])
            running = next((t for t in targets if self._nodes[t].status == RUNNING), None)
            if running is not None:
                raise QueueError(f"cannot reset {self._nodes[running].describe()}: it is running")
            for node_id in dict.fromkeys(targets):
                node = self._nodes[node_id]
                if node_id == ROOT_ID or (node.status == NOT_EXECUTED and not node.files):
                    continue
                self._statuses[node.status] -= 1
                self._statuses[NOT_EXECUTED] += 1
                self._nodes[node_id] = replace(
                    node,
                    status=NOT_EXECUTED,
                    message="",
                    files=(),
                    started=None,
                    finished=None,
                    results=freeze({}),
                )
                self._version += 1
                self.emit("statusChanged", node_id, NOT_EXECUTED, "")

    def update_results(self, node_id: int, results: Mapping[str, Any]) -> QueueNode:
        """Merge ``results`` (plain JSON data) into the node's results (the engine,
        ``queue_set_workflow_lims_id``); allowed in any status."""
        check_plain(results, "results")
        with self._lock:
            node = self.get_node(node_id)
            merged = freeze({**thaw(node.results), **thaw(results)})
            return self._changed(replace(node, results=merged), ("results",))
