"""The interlock: while a collection or mesh runs, nobody else moves the beamline.

The queue engine *holds* the interlock while an entry that acquires data runs
(``with interlock.hold("DataCollection 12 'p_3'")``). Meanwhile a move of an
*interlocked* object (the goniometer motors, the aperture, the detector distance, the
energy, the resolution, the sample changer) asked by an outside caller is refused
with :class:`InterlockRefused`, whose message names what runs.

Who is outside: a caller that says so. The XML-RPC dispatcher runs each request
inside :func:`calling_as`, and the GUI thread is marked once with
:func:`mark_thread_as` (every brick action starts there). The running entry itself, the
hardware's own worker threads and the nested tasks a workflow runs (all in the queue
engine's thread or threads it started) carry no caller, so the collection moves what
it needs. Stopping is never refused.

One :class:`Interlock` belongs to one hardware repository (every object it loads
shares it); an object made outside a repository has one of its own, never held.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextvars import ContextVar

from mxgui.core.errors import Refused

#: who asks, in this thread (``None``: the run itself, or nobody outside)
_CALLER: ContextVar[str | None] = ContextVar("mxgui_interlock_caller", default=None)


class InterlockRefused(Refused):
    """A move refused while a collection or mesh runs; the message names what runs."""


@contextlib.contextmanager
def calling_as(who: str) -> Iterator[None]:
    """Within the block, moves asked in this thread are ``who``'s (an outside caller)."""
    token = _CALLER.set(who)
    try:
        yield
    finally:
        _CALLER.reset(token)


def mark_thread_as(who: str) -> None:
    """From now on, moves asked in this thread are ``who``'s (the GUI thread: the user)."""
    _CALLER.set(who)


def clear_caller() -> None:
    """Moves asked in this thread are the run's own from now on (the engine's thread,
    which may have been started from an outside caller's thread)."""
    _CALLER.set(None)


def current_caller() -> str | None:
    """The outside caller of this thread, or ``None``."""
    return _CALLER.get()


class Interlock:
    """Held while a collection or mesh runs; refuses outside callers' moves meanwhile.

    Thread-safe. Holds nest (a mesh inside a workflow entry): the innermost is named.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders: list[str] = []

    @contextlib.contextmanager
    def hold(self, what: str) -> Iterator[None]:
        """Hold the interlock for ``what`` (``"DataCollection 12 'p_3'"``) in the block."""
        with self._lock:
            self._holders.append(what)
        try:
            yield
        finally:
            with self._lock:
                self._holders.remove(what)

    @property
    def holder(self) -> str | None:
        """What holds the interlock now (the innermost hold), or ``None``."""
        with self._lock:
            return self._holders[-1] if self._holders else None

    def check(self, action: str) -> None:
        """Refuse ``action`` (``"phiy: move to 0.3"``) with :class:`InterlockRefused`
        when the interlock is held and this thread's caller is outside the run."""
        caller = _CALLER.get()
        if caller is None:
            return
        holder = self.holder
        if holder is not None:
            raise InterlockRefused(
                f"{action} refused: {holder} is running and only it may move the "
                f"goniometer, aperture, detector, energy and sample changer now (asked by "
                f"{caller}); try again when it has ended, or stop the queue"
            )
