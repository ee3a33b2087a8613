"""A bounded pool of threads that run calls in the order they were submitted.

Threads start when work arrives and no thread is free (never more than ``max_workers``)
and end after ``idle_seconds`` without work, so an idle server holds no worker thread and
a burst of calls leaves none behind. A call that waited too long can be taken back
(:meth:`WorkerPool.expire`) and answered "busy" by the caller instead of hanging.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

#: what names a submitted call (a connection, say)
Key = TypeVar("Key", bound=Hashable)


class WorkerPool(Generic[Key]):
    """At most ``max_workers`` threads (named ``name #n``) run submitted calls in order."""

    def __init__(self, max_workers: int, idle_seconds: float, name: str) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be 1 or more, not {max_workers}")
        self.max_workers = max_workers
        self.idle_seconds = idle_seconds
        self.name = name
        self._condition = threading.Condition()
        self._pending: deque[tuple[Key, Callable[[], None], float]] = deque()
        self._threads: set[threading.Thread] = set()
        self._idle = 0
        self._started = 0
        self._stopping = False

    @property
    def threads(self) -> int:
        """Worker threads alive now."""
        with self._condition:
            return len(self._threads)

    @property
    def busy(self) -> int:
        """Worker threads running a call now."""
        with self._condition:
            return len(self._threads) - self._idle

    def submit(self, key: Key, call: Callable[[], None]) -> None:
        """Run ``call`` in a worker when one is free (``key`` names it for :meth:`expire`)."""
        with self._condition:
            if self._stopping:
                raise RuntimeError(f"{self.name}: stopped")
            self._pending.append((key, call, time.monotonic()))
            # an idle thread already woken for an earlier call is not free for this one:
            # start a thread unless the idle ones outnumber the calls waiting
            if len(self._pending) > self._idle and len(self._threads) < self.max_workers:
                self._started += 1
                thread = threading.Thread(
                    target=self._work, name=f"{self.name} #{self._started}", daemon=True
                )
                self._threads.add(thread)
                self._idle += 1  # counted idle until it takes its first call
                thread.start()
            else:
                self._condition.notify()

    def expire(self, queued_before: float) -> list[Key]:
        """Take back the calls still waiting that were submitted before ``queued_before``
        (``time.monotonic()`` time); their keys, oldest first."""
        expired = []
        with self._condition:
            while self._pending and self._pending[0][2] < queued_before:
                expired.append(self._pending.popleft()[0])
        return expired

    def _work(self) -> None:
        me = threading.current_thread()
        while True:
            with self._condition:
                while not self._pending and not self._stopping:
                    if not self._condition.wait(self.idle_seconds) and not self._pending:
                        break  # idle for idle_seconds: this thread is not needed
                if not self._pending:
                    self._idle -= 1
                    self._threads.discard(me)
                    return
                _key, call, _queued = self._pending.popleft()
                self._idle -= 1
            try:
                call()
            except Exception:  # noqa: BLE001 - a failing call must not end the worker
                log.exception("%s: a call failed", self.name)
            finally:
                with self._condition:
                    self._idle += 1

    def stop(self, timeout: float) -> list[Key]:
        """Run nothing more; the keys of the calls that never ran. Waits at most
        ``timeout`` s for the running calls to end (a thread still busy is logged)."""
        with self._condition:
            self._stopping = True
            never_ran = [key for key, _call, _queued in self._pending]
            self._pending.clear()
            threads = list(self._threads)
            self._condition.notify_all()
        deadline = time.monotonic() + timeout
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(deadline - time.monotonic(), 0.0))
                if thread.is_alive():
                    log.warning("%s still busy after the server stopped", thread.name)
        return never_ran
