"""Where the simulated hardware takes its time from: an injectable clock.

Simulated moves, mounts, exposures and camera frames read the time and wait through a
:class:`Clock` instead of calling :func:`time.monotonic` and ``Event.wait`` themselves.
The default, :data:`REAL_CLOCK`, is the wall clock, so the application and the
benchmarks run in real time. A test gives an object a :class:`ManualClock` and steps it:
nothing simulated happens until the test advances the time, so the test asserts what
happened in which order, not how long it took.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

#: real seconds between two looks at an event while waiting on a manual clock
_POLL = 0.002


class Clock(Protocol):
    """Reads the time and waits; the seam between simulated hardware and time."""

    def now(self) -> float:
        """Seconds on a monotonic scale (only differences mean something)."""
        ...

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        """Wait until ``event`` is set or ``timeout`` seconds have passed on this clock.

        Returns whether the event is set, as :meth:`threading.Event.wait` does.
        """
        ...

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` pass on this clock."""
        ...


class RealClock:
    """The wall clock: :func:`time.monotonic` and real waits."""

    def now(self) -> float:
        return time.monotonic()

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        return event.wait(timeout)

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


#: the clock every simulated object uses unless it is given another
REAL_CLOCK: Clock = RealClock()


class ManualClock:
    """A clock that stands still until :meth:`advance` moves it: for tests.

    Threads waiting with a timeout wake when the clock has been advanced past their
    deadline (or when their event is set). :meth:`wait_for_waiters` lets a test wait,
    in real time and without guessing a delay, until the simulation has reached its next
    wait, so that stepping the clock and looking at the outcome happen in a known order.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._cond = threading.Condition()
        #: deadline of each thread now waiting with a timeout, by a per-wait token
        self._deadlines: dict[object, float] = {}

    def now(self) -> float:
        with self._cond:
            return self._now

    def wait(self, event: threading.Event, timeout: float | None) -> bool:
        if timeout is None:
            return event.wait()
        token = object()
        with self._cond:
            deadline = self._now + max(0.0, timeout)
            if timeout > 0 and deadline == self._now:  # too small to move a float this big
                deadline = math.nextafter(self._now, math.inf)
            self._deadlines[token] = deadline
            self._cond.notify_all()
            try:
                # the event is set by threads that do not know this clock: look at it often
                while not event.is_set() and self._now < deadline:
                    self._cond.wait(_POLL)
            finally:
                del self._deadlines[token]
                self._cond.notify_all()
        return event.is_set()

    def sleep(self, seconds: float) -> None:
        self.wait(threading.Event(), seconds)

    def advance(self, seconds: float) -> None:
        """Move the time on by ``seconds`` and wake the waits that are due."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back: advance({seconds})")
        with self._cond:
            self._now += seconds
            self._cond.notify_all()

    def advance_to_next_deadline(self) -> None:
        """Move the time on to the earliest deadline still ahead (if any) and wake it."""
        with self._cond:
            ahead = [d for d in self._deadlines.values() if d > self._now]
            if ahead:
                self._now = min(ahead)
                self._cond.notify_all()

    def waiters(self) -> int:
        """How many threads wait for a time that has not come yet."""
        with self._cond:
            return self._pending()

    def _pending(self) -> int:
        return sum(1 for deadline in self._deadlines.values() if deadline > self._now)

    def wait_for_waiters(self, count: int, timeout: float = 10.0) -> None:
        """Block (real time) until ``count`` threads wait on this clock for a later time.

        ``TimeoutError`` after ``timeout`` real seconds: the simulation did not get there.
        """
        with self._cond:
            if not self._cond.wait_for(lambda: self._pending() >= count, timeout):
                raise TimeoutError(
                    f"{self._pending()} thread(s) wait on the clock after {timeout:g} s,"
                    f" expected {count}"
                )


class ClockTimer(threading.Thread):
    """:class:`threading.Timer` whose delay passes on a :class:`Clock`: call ``function``
    after ``interval`` seconds of ``clock`` unless :meth:`cancel` came first."""

    def __init__(
        self,
        clock: Clock,
        interval: float,
        function: Callable[..., object],
        args: tuple[object, ...] = (),
        name: str | None = None,
    ) -> None:
        super().__init__(name=name, daemon=True)
        self._clock = clock
        self._interval = interval
        self._function = function
        self._args = args
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Do not call the function (if it has not been called yet)."""
        self._cancelled.set()

    def run(self) -> None:
        if not self._clock.wait(self._cancelled, self._interval):
            self._function(*self._args)
