"""One reader thread where the newest request wins (no Qt).

A viewer asked for frames faster than they are read never builds a backlog: there is
at most one request waiting (a newer one replaces it, counted as skipped) and at most
one result waiting to be shown (a newer one replaces it before the GUI takes it: counted
as dropped). A result whose request was overtaken while it was read is still handed
over (it is newer than what is shown; dropping it would show nothing at all while a
collection writes faster than frames are read), and the newest request is read next.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

Request = TypeVar("Request")
Result = TypeVar("Result")


@dataclass
class LoaderCounts:
    """What happened to the requests: asked for, read, skipped before being read,
    dropped after being read (a newer one came first), delivered."""

    requested: int = 0
    read: int = 0
    skipped: int = 0
    dropped: int = 0
    delivered: int = 0


class LatestLoader(Generic[Request, Result]):
    """Calls ``read(request)`` in one worker thread for the newest request only.

    ``ready()`` is called from the worker when a result waits (once until it is taken):
    hand over to the GUI thread there, and :meth:`take` the result on it. ``read``
    returns the result or raises; an exception is the result's problem (its text).
    """

    def __init__(
        self, read: Callable[[Request], Result], ready: Callable[[], None], name: str = "loader"
    ) -> None:
        self._read = read
        self._ready = ready
        self._name = name
        self._condition = threading.Condition()
        #: the request waiting, in a tuple (a request may be anything, even None)
        self._pending: tuple[Request] | None = None
        self._result: tuple[Request, Result | None, str] | None = None
        self._closed = False
        self._thread: threading.Thread | None = None
        self._reading = False
        #: bumped by :meth:`forget`: a read started before is not handed over
        self._generation = 0
        self.counts = LoaderCounts()

    def request(self, request: Request) -> None:
        """Read ``request`` soon, instead of any request not yet started."""
        with self._condition:
            if self._closed:
                return
            self.counts.requested += 1
            if self._pending is not None:
                self.counts.skipped += 1
            self._pending = (request,)
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self._name, daemon=True)
                self._thread.start()
            self._condition.notify()

    def take(self) -> tuple[Request, Result | None, str] | None:
        """The newest result waiting: ``(request, result, "")`` or ``(request, None,
        problem)``; ``None`` when none waits."""
        with self._condition:
            result, self._result = self._result, None
            if result is not None:
                self.counts.delivered += 1
            return result

    def forget(self) -> None:
        """Drop the request waiting, the result waiting and the result of a read in
        progress: nothing asked for before is handed over."""
        with self._condition:
            if self._pending is not None:
                self.counts.skipped += 1
            self._pending = None
            self._result = None
            self._generation += 1

    def busy(self) -> bool:
        """A request is waiting or being read."""
        with self._condition:
            return self._pending is not None or self._reading

    def _work(self) -> None:
        while True:
            with self._condition:
                while self._pending is None and not self._closed:
                    self._condition.wait()
                if self._closed or self._pending is None:
                    return
                (request,), self._pending = self._pending, None
                self._reading = True
                generation = self._generation
            result: Result | None = None
            problem = ""
            try:
                result = self._read(request)
            except Exception as exc:  # noqa: BLE001 - reported as the request's problem
                problem = str(exc) or type(exc).__name__
            with self._condition:
                self._reading = False
                self.counts.read += 1
                if self._closed:
                    return
                if generation != self._generation:  # forgotten while it was read
                    self.counts.dropped += 1
                    continue
                notify = self._result is None
                if not notify:
                    self.counts.dropped += 1
                self._result = (request, result, problem)
            if notify:
                self._ready()  # (closed meanwhile: the receiver drops what it takes)

    def close(self, wait: bool = True) -> None:
        """Stop the worker; later requests are ignored. With ``wait`` it waits for a read
        in progress; without, it returns at once (the GUI thread must not wait for a 16M
        read): the worker finishes that read, hands over nothing and ends."""
        with self._condition:
            self._closed = True
            self._pending = None
            self._result = None
            thread, self._thread = self._thread, None
            self._condition.notify_all()
        if wait and thread is not None and thread is not threading.current_thread():
            thread.join()

    @property
    def closed(self) -> bool:
        """:meth:`close` was called."""
        with self._condition:
            return self._closed
