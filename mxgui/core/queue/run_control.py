"""Run control: what the user asks of a queue run (pause, stop, skip) and where it is.

:class:`RunControl` is owned by the queue engine. Its state (running, stop, pause, the
entry to skip, the entry executing now) changes from any thread under one condition;
the run's worker thread reads it at its safe points and in its waits
(:meth:`RunControl.safe_point`, :meth:`RunControl.interruption`, :attr:`RunControl.wake`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from mxgui.core.errors import Refused
from mxgui.core.queue.entries.base import SKIPPED_BY_USER, STOPPED_BY_USER, EntryInterrupted
from mxgui.core.queue.nodes import SKIPPED, STOPPED


class Stopped(Exception):
    """The user stopped the queue, or a failure stopped it (``failed`` True)."""

    def __init__(self, failed: bool = False) -> None:
        super().__init__("stopped")
        self.failed = failed


class RunControl:
    """The flags of one queue run and the condition guarding them.

    Parameters
    ----------
    on_paused, on_resumed
        Called (in the run's thread, no lock held) when the run stops at a safe point
        because of :meth:`pause`, and when it goes on after :meth:`resume`.
    """

    def __init__(self, on_paused: Callable[[], None], on_resumed: Callable[[], None]) -> None:
        self._on_paused = on_paused
        self._on_resumed = on_resumed
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._running = False
        self._stop = False
        self._pause = False
        self._skip: int | None = None
        self._current: int | None = None
        self._closed = False

    # state --------------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True from :meth:`begin` until :meth:`finish`."""
        return self._running

    @property
    def paused(self) -> bool:
        """True from :meth:`pause` until :meth:`resume` or the end of the run."""
        return self._pause

    @property
    def current(self) -> int | None:
        """The entry executing now, or ``None`` between entries."""
        return self._current

    @property
    def wake(self) -> threading.Event:
        """Set when a Future ends or the user asks for something (the waits' wake-up)."""
        return self._wake

    def stop_requested(self) -> bool:
        """True once :meth:`stop` was called in this run."""
        return self._stop

    # the life of a run ------------------------------------------------------------------------
    def begin(self, has_work: bool, nothing_to_run: Callable[[], str]) -> None:
        """A run starts: all flags fresh. ``Refused`` once :meth:`close` was called,
        while a run goes on, or (saying ``nothing_to_run()``) without ``has_work``."""
        with self._cond:
            if self._closed:
                raise Refused("the queue engine has been shut down")
            if self._running:
                raise Refused("the queue is already running: stop it or wait for its end")
            if not has_work:
                raise Refused(nothing_to_run())
            self._running, self._stop, self._pause, self._skip = True, False, False, None
            self._wake.clear()

    def finish(self) -> bool:
        """The run has ended: back to idle; True when it ended because of a stop."""
        with self._cond:
            stopped = self._stop
            self._running, self._pause, self._skip, self._current = False, False, None, None
            self._cond.notify_all()
        return stopped

    def close(self) -> None:
        """No run starts any more (the engine is shutting down)."""
        with self._cond:
            self._closed = True

    # what the user asks -----------------------------------------------------------------------
    def pause(self) -> None:
        """Pause at the next safe point (only while running)."""
        with self._cond:
            if self._running:
                self._pause = True

    def resume(self) -> None:
        """Go on after :meth:`pause`."""
        with self._cond:
            self._pause = False
            self._cond.notify_all()

    def stop(self) -> None:
        """Stop now (only while running): waits and safe points see it at once."""
        with self._cond:
            if not self._running:
                return
            self._stop, self._pause = True, False
            self._cond.notify_all()
        self._wake.set()

    def skip(self) -> bool:
        """End the entry executing now as skipped; False when none is."""
        with self._cond:
            if self._current is None:
                return False
            self._skip = self._current
        self._wake.set()
        return True

    # what the run asks ----------------------------------------------------------------------------
    def set_current(self, node_id: int | None) -> None:
        """The entry executing now (``None`` between entries); a skip of another ends."""
        with self._cond:
            self._current = node_id
            if self._skip is not None and self._skip != node_id:
                self._skip = None

    def interruption(self, node_id: int) -> EntryInterrupted | None:
        """The stop of the run, or the skip of entry ``node_id``, if asked; else ``None``."""
        if self._stop:
            return EntryInterrupted(STOPPED, STOPPED_BY_USER)
        if self._skip == node_id:
            return EntryInterrupted(SKIPPED, SKIPPED_BY_USER)
        return None

    def safe_point(self) -> None:
        """Between entries: raise :class:`Stopped` after a stop; wait while paused."""
        with self._cond:
            if self._stop:
                raise Stopped()
            if not self._pause:
                return
        self._on_paused()
        with self._cond:
            while self._pause and not self._stop:
                self._cond.wait()
            stopped = self._stop
        if stopped:
            raise Stopped()
        self._on_resumed()
