"""Nested execution: queue nodes run while a workflow entry waits for its workflow.

A workflow (run outside the GUI) adds tasks under its sample and asks the GUI to
execute them (XML-RPC ``queue_execute_entry_with_id``). The Workflow entry that started
it is waiting in the engine's thread; while it waits it *hosts* such requests: each
asked node runs there, as the engine would run it (``entryStarted``, prepare, the work,
the final status, the history, ``entryFinished``), then the entry goes on waiting. A
node run this way has run, so the walk of the queue never runs it again.

:class:`NestedRequests` is the hand-over between the thread that asks (the XML-RPC
server's) and the engine's thread: thread-safe, one host at a time.
"""

from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import Future

from mxgui.core.errors import Refused


class NestedRequests:
    """Nodes asked to run inside the hosting entry, in the order they were asked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._host: int | None = None
        self._pending: deque[tuple[int, Future]] = deque()

    @property
    def host(self) -> int | None:
        """The node id of the entry hosting nested runs now, or ``None``."""
        return self._host

    def open(self, host_id: int) -> None:
        """Entry ``host_id`` accepts nested runs from now on."""
        with self._lock:
            self._host = host_id

    def close(self, reason: str) -> None:
        """No host any more: requests not started fail with ``Refused(reason)``."""
        with self._lock:
            self._host = None
            pending, self._pending = list(self._pending), deque()
        for _node_id, future in pending:
            if future.set_running_or_notify_cancel():
                future.set_exception(Refused(reason))

    def submit(self, node_id: int, future: Future) -> bool:
        """Queue ``node_id`` (``future`` gets its final status); False without a host."""
        with self._lock:
            if self._host is None:
                return False
            self._pending.append((node_id, future))
            return True

    def take(self) -> tuple[int, Future] | None:
        """The oldest request not started, or ``None``."""
        with self._lock:
            return self._pending.popleft() if self._pending else None
