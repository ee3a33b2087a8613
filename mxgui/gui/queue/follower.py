"""Replay the signals of a Qt-free evented model on the GUI thread, in batches.

The queue model and the history emit with their lock held, in change order, and bump
their ``version`` before each emission. A :class:`Follower` records every emission
with that version and hands the recorded events to the GUI thread in one batch (one
posted call per burst, however many changes the burst held). A Qt adapter takes its
snapshot after the follower is connected and skips the events whose version its
snapshot already holds, so no change is missed or applied twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from mxgui.core.roles.emitter import Emitter
from mxgui.gui.bridge import GuiBridge

#: ``(version after the change, signal name, arguments)``
Event = tuple[int, str, tuple[Any, ...]]


class VersionedEmitter(Emitter, Protocol):
    """An evented model whose ``version`` grows before each emission (``QueueModel``,
    ``History``)."""

    @property
    def version(self) -> int: ...


class Follower:
    """Records ``source``'s ``signals`` and calls ``apply(events)`` on the GUI thread.

    Parameters
    ----------
    source
        An evented object with a ``version`` that grows before each emission
        (``QueueModel``, ``History``).
    signals
        The signals to follow.
    bridge
        Posts the batches to the GUI thread.
    apply
        Called on the GUI thread with the events recorded since the last call, oldest
        first.
    """

    def __init__(
        self,
        source: VersionedEmitter,
        signals: Iterable[str],
        bridge: GuiBridge,
        apply: Callable[[list[Event]], None],
    ) -> None:
        self.source = source
        self.bridge = bridge
        self.apply = apply
        self.batches = 0
        self._events: list[Event] = []
        self._lock = threading.Lock()
        self._posted = False
        self._closed = False
        self._slots = {name: self._recorder(name) for name in signals}
        for name, slot in self._slots.items():
            source.connect(name, slot)

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(*args: object) -> None:
            version = self.source.version  # read with the source's lock held: exact
            with self._lock:
                self._events.append((version, name, args))
                if self._posted or self._closed:
                    return
                self._posted = True
            self.bridge.post(self.drain)

        return record

    def drain(self) -> None:
        """Apply what was recorded so far (on the GUI thread; also called by tests)."""
        with self._lock:
            events, self._events = self._events, []
            self._posted = False
        if events and not self._closed:
            self.batches += 1
            self.apply(events)

    def close(self) -> None:
        """Stop following; events not yet applied are dropped."""
        self._closed = True
        for name, slot in self._slots.items():
            self.source.disconnect(name, slot)
        with self._lock:
            self._events = []
