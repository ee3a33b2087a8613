"""A change in progress on a control system, whose Future ends when the device says so."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Generic, TypeVar

from mxgui.core.channels import ChannelError

T = TypeVar("T")


class PendingChange(Generic[T]):
    """At most one change at a time: :meth:`start` hands out its Future, :meth:`finish`
    ends it with a value, :meth:`fail` with a :class:`ChannelError`; a new change ends
    the one before with ``superseded``'s value. Thread-safe (the control-system loop
    finishes what a worker started)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._future: Future[T] | None = None
        self.target: T | None = None

    def start(self, target: T, superseded: T | None) -> Future[T]:
        """A new change to ``target``; the one in progress ends with ``superseded``."""
        future: Future[T] = Future()
        with self._lock:
            previous, self._future, self.target = self._future, future, target
        if previous is not None and not previous.done():
            if superseded is not None:
                previous.set_result(superseded)
            else:  # nothing read yet to end it with: it must end all the same
                previous.set_exception(ChannelError(f"superseded by a change to {target}"))
        return future

    @property
    def active(self) -> bool:
        """True while a change has not ended."""
        with self._lock:
            return self._future is not None and not self._future.done()

    def is_current(self, future: Future[T]) -> bool:
        """True when ``future`` is the change in progress."""
        with self._lock:
            return future is self._future

    def current(self) -> Future[T] | None:
        """The change in progress (its Future), to name it to :meth:`finish` later."""
        with self._lock:
            return self._future

    def finish(self, value: T, only: Future[T] | None = None) -> None:
        """End the change in progress (or only ``only``, if still in progress: a newer
        change started meanwhile is not ended with an older one's value) with ``value``."""
        with self._lock:
            if only is not None and only is not self._future:
                return
            future, self._future, self.target = self._future, None, None
        if future is not None and not future.done():
            future.set_result(value)

    def fail(self, reason: str, only: Future[T] | None = None) -> None:
        """Fail the change in progress (or only ``only``, if still in progress) with
        ``reason``."""
        with self._lock:
            if only is not None and only is not self._future:
                return
            future, self._future, self.target = self._future, None, None
        if future is not None and not future.done():
            future.set_exception(ChannelError(reason))
