"""Following the moves of one device to their end, one move at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError

log = logging.getLogger(__name__)

#: seconds between two looks at the device while nothing is heard from it
POLL_PERIOD = 0.2


class StillMoving(Exception):
    """Raised by a move's ``check`` while the device has not finished."""


class MoveFollower:
    """Runs each move in a worker thread: ``start`` (a write or a command) first, then
    ``check()`` each time the device says something (:meth:`wake`) or every
    :data:`POLL_PERIOD`, until it returns the result or raises the reason of a failure.

    A newer move supersedes the one in progress: that one's Future ends with
    ``superseded()``'s result. :meth:`fail` fails the move in progress at once (the
    device stopped answering), which the worker then leaves alone.
    """

    def __init__(self, name: str, superseded: Callable[[], object]) -> None:
        self._name = name
        self._superseded = superseded
        self._lock = threading.Condition()
        self._generation = 0
        self._heard = 0
        self._pending: Future[object] | None = None
        self._failure = ""

    def start(
        self, start: Callable[[], Future[object]], check: Callable[[], object]
    ) -> Future[object]:
        """Begin a move (see the class); return its Future."""
        future: Future[object] = Future()
        future.set_running_or_notify_cancel()
        with self._lock:
            self._generation += 1
            generation = self._generation
            previous, self._pending = self._pending, future
            self._failure = ""
            self._lock.notify_all()
        if previous is not None and not previous.done():
            _finish(previous, self._superseded)
        threading.Thread(
            target=self._run,
            args=(generation, future, start, check),
            name=f"move {self._name}",
            daemon=True,
        ).start()
        return future

    def wake(self) -> None:
        """The device said something (a new state): look again now."""
        with self._lock:
            self._heard += 1
            self._lock.notify_all()

    def fail(self, reason: str) -> None:
        """Fail the move in progress, if any, with ``reason``."""
        with self._lock:
            pending, self._pending = self._pending, None
            self._failure = reason
            self._lock.notify_all()
        if pending is not None:
            _set_exception(pending, RuntimeError(reason))

    def _current(self, generation: int) -> bool:
        return generation == self._generation and not self._failure

    def _wait_for_news(self, generation: int, heard: int) -> None:
        with self._lock:
            self._lock.wait_for(
                lambda: self._heard != heard or not self._current(generation), POLL_PERIOD
            )

    def _run(
        self,
        generation: int,
        future: Future[object],
        start: Callable[[], Future[object]],
        check: Callable[[], object],
    ) -> None:
        try:
            start().result()  # the channel's or command's own timeout bounds it
            while True:
                with self._lock:
                    if not self._current(generation):
                        return
                    heard = self._heard
                try:
                    result = check()
                except StillMoving:
                    self._wait_for_news(generation, heard)
                    continue
                with self._lock:
                    if not self._current(generation):
                        return
                    self._pending = None
                _set(future, result)
                return
        except Exception as exc:
            with self._lock:
                if self._pending is future:
                    self._pending = None
            log.info("%s: move failed: %s", self._name, exc)
            _set_exception(future, exc)


def _set(future: Future[object], result: object) -> None:
    try:  # another thread (fail, a newer move) may have ended it first
        future.set_result(result)
    except InvalidStateError:
        pass


def _set_exception(future: Future[object], exc: BaseException) -> None:
    try:
        future.set_exception(exc)
    except InvalidStateError:
        pass


def _finish(future: Future[object], result: Callable[[], object]) -> None:
    try:
        _set(future, result())
    except Exception as exc:
        _set_exception(future, exc)
