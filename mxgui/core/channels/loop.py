"""The control-system loop: one asyncio event loop in its own thread.

Every Tango and EPICS connection (ophyd-async signals, pytango and aioca underneath)
lives in this loop. Callers in other threads hand it coroutines with :func:`submit`
and get a :class:`concurrent.futures.Future` back; nothing outside waits on the loop
unless it chooses to. The loop starts the first time it is needed and stops with the
repository (:func:`stop_control_loop`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class _Closable(Protocol):
    def close_in_loop(self) -> None: ...


class ControlLoop:
    """An asyncio loop running in a daemon thread named ``control-system-loop``."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        # what channels must undo in the loop before it stops (their subscriptions:
        # pytango would go on calling into a closed loop from its own threads)
        self._closers: weakref.WeakSet[_Closable] = weakref.WeakSet()
        self._thread = threading.Thread(target=self._run, name="control-system-loop", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    @property
    def thread(self) -> threading.Thread:
        return self._thread

    def in_loop(self) -> bool:
        """True when called from the loop's own thread."""
        return threading.current_thread() is self._thread

    def submit(self, coroutine: Coroutine[object, object, T]) -> Future[T]:
        """Run ``coroutine`` in the loop; its result or exception ends the Future."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop)

    def close_at_stop(self, closable: _Closable) -> None:
        """Call ``closable.close_in_loop()`` in the loop when it stops (held weakly)."""
        self._closers.add(closable)

    def call_soon(self, function: Callable[[], object]) -> None:
        """Call ``function()`` in the loop thread, soon."""
        self.loop.call_soon_threadsafe(function)

    def stop(self, timeout: float = 5.0) -> None:
        """Cancel what still runs in the loop, then stop it and its thread."""
        if not self._thread.is_alive():
            return

        async def cancel_all() -> None:
            for closable in list(self._closers):
                try:
                    closable.close_in_loop()
                except Exception:
                    log.exception("closing %r at the loop's stop failed", closable)
            if "aioca" in sys.modules:  # channel access was used: close its channels here,
                # or libca calls them back on a closed loop when their IOC goes away
                from mxgui.core.channels.ca_search import forget_all_channels

                forget_all_channels()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            self.submit(cancel_all()).result(timeout)
        except Exception:
            log.warning("control-system loop: tasks did not end within %s s", timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)


_lock = threading.Lock()
_loop: ControlLoop | None = None


def control_loop() -> ControlLoop:
    """The process's control-system loop, started on first use."""
    global _loop
    with _lock:
        if _loop is None or not _loop.thread.is_alive():
            _loop = ControlLoop()
        return _loop


def stop_control_loop() -> None:
    """Stop the loop if it runs (the repository does at shutdown); a later
    :func:`control_loop` starts a new one."""
    global _loop
    with _lock:
        loop, _loop = _loop, None
    if loop is not None:
        loop.stop()
