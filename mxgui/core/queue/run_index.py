"""The runs the queue's tasks use, ``(directory, prefix, run_number) -> node ids``.

Built with one pass over the model (about 10 ms for 10,000 tasks). With ``follow`` it
then keeps itself up to date from the model's signals, at constant cost per change, so
that giving each new task a free run number (``runs.next_run_number``) or confirming a
run (``summary.summarise``) does not look through the whole queue every time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from mxgui.core.queue.history import directory_key
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import ROOT_ID, TASK_TYPES, UnknownNodeError

RunKey = tuple[str, str, int]


def run_key(parameters: Mapping[str, object]) -> RunKey | None:
    """``(directory, prefix, run_number)`` of a task's parameters, or None (no path)."""
    prefix, run = parameters.get("prefix"), parameters.get("run_number")
    if not prefix or isinstance(run, bool) or not isinstance(run, int):
        return None
    return directory_key(str(parameters.get("directory", ""))), str(prefix), run


class QueueRuns:
    """The runs of the queue's tasks (what they will write, or wrote).

    Parameters
    ----------
    model
        The queue.
    follow
        Keep following the model's changes until :meth:`close` (for an index that
        lives as long as the queue view); otherwise a snapshot of now.
    """

    def __init__(self, model: QueueModel, follow: bool = False) -> None:
        self.model = model
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, str], dict[int, set[int]]] = {}
        self._keys: dict[int, RunKey] = {}
        self._children: dict[int, set[int]] = {}
        self._following = follow
        #: the slot of each model signal followed
        self._handlers: dict[str, Callable[..., None]] = {
            "nodeAdded": self._node_added,
            "nodeRemoved": self._node_removed,
            "nodeMoved": self._node_moved,
            "nodeChanged": self._node_changed,
            "modelReset": self._rebuild,
        }
        if follow:
            for signal, handler in self._handlers.items():
                model.connect(signal, handler)
        self._rebuild()

    def close(self) -> None:
        """Stop following the model."""
        if self._following:
            for signal, handler in self._handlers.items():
                self.model.disconnect(signal, handler)
            self._following = False

    # queries ----------------------------------------------------------------------------------
    def runs(self, directory: str, prefix: str, exclude: frozenset[int] = frozenset()) -> set[int]:
        """Run numbers of ``prefix`` in ``directory`` used by tasks other than ``exclude``."""
        with self._lock:
            runs = self._runs.get((directory_key(directory), prefix), {})
            return {run for run, ids in runs.items() if ids - exclude}

    def nodes(self, key: RunKey) -> list[int]:
        """The tasks using run ``key``, by id."""
        with self._lock:
            return sorted(self._runs.get(key[:2], {}).get(key[2], ()))

    # keeping up -------------------------------------------------------------------------------
    def _rebuild(self) -> None:
        nodes, _, _ = self.model.snapshot()
        directories: dict[str, str] = {}  # normalised once per distinct directory
        with self._lock:
            self._runs, self._keys = {}, {}
            self._children = {i: set(n.children) for i, n in nodes.items() if n.children}
            for node in nodes.values():
                if node.type not in TASK_TYPES:
                    continue
                p = node.parameters
                prefix, run = p.get("prefix"), p.get("run_number")
                if not prefix or type(run) is not int:
                    continue
                directory = p.get("directory", "")
                normal = directories.get(directory)
                if normal is None:
                    normal = directories[directory] = directory_key(str(directory))
                self._add(node.id, (normal, prefix, run))

    def _add(self, node_id: int, key: RunKey) -> None:
        self._keys[node_id] = key
        self._runs.setdefault(key[:2], {}).setdefault(key[2], set()).add(node_id)

    def _drop(self, node_id: int) -> None:
        key = self._keys.pop(node_id, None)
        if key is not None:
            runs = self._runs[key[:2]]
            runs[key[2]].discard(node_id)
            if not runs[key[2]]:
                del runs[key[2]]

    def _rekey(self, node_id: int) -> None:
        try:
            node = self.model.get_node(node_id)
        except UnknownNodeError:
            return  # removed meanwhile: its nodeRemoved comes
        key = run_key(node.parameters) if node.is_task else None
        with self._lock:
            self._drop(node_id)
            if key is not None:
                self._add(node_id, key)

    # the model's signals (they come in order, with the model's lock held)
    def _node_added(self, parent_id: int, _row: int, node_id: int) -> None:
        with self._lock:
            self._children.setdefault(parent_id, set()).add(node_id)
        self._rekey(node_id)

    def _node_removed(self, parent_id: int, _row: int, node_id: int) -> None:
        with self._lock:
            self._children.get(parent_id, set()).discard(node_id)
            stack = [node_id]
            while stack:
                current = stack.pop()
                self._drop(current)
                stack.extend(self._children.pop(current, ()))

    def _node_moved(
        self, old_parent: int, _old_row: int, new_parent: int, _row: int, node_id: int
    ) -> None:
        with self._lock:
            self._children.get(old_parent, set()).discard(node_id)
            self._children.setdefault(new_parent, set()).add(node_id)

    def _node_changed(self, node_id: int, fields: tuple[str, ...]) -> None:
        if "parameters" in fields and node_id != ROOT_ID:
            self._rekey(node_id)
