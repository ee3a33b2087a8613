"""Deliver hardware-object signals on the GUI thread."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PyQt5.QtCore import QObject, Qt, pyqtSignal

from mxgui.core.roles.emitter import Emitter

log = logging.getLogger(__name__)


class Subscription:
    """One hardware-object signal connected to a GUI-thread slot; ``cancel`` ends it.

    After ``cancel`` a delivery still queued is dropped, so a closed brick is never
    called.
    """

    def __init__(
        self, bridge: GuiBridge, emitter: Emitter, signal: str, slot: Callable[..., object]
    ) -> None:
        self.emitter = emitter
        self.signal = signal
        self.slot = slot
        self.active = True
        self._bridge = bridge
        emitter.connect(signal, self._relay)

    def _relay(self, *args: object) -> None:
        if self.active:
            self._bridge.post(self._deliver, *args)

    def _deliver(self, *args: object) -> None:
        if self.active:
            self.slot(*args)

    def cancel(self) -> None:
        """Disconnect; pending deliveries are dropped."""
        if self.active:
            self.active = False
            self.emitter.disconnect(self.signal, self._relay)


class GuiBridge(QObject):
    """Runs callables on the GUI thread, whatever thread asks.

    Hardware objects emit from worker threads; ``connect`` wraps a brick slot so that
    it is always called on the thread that owns the bridge (the GUI thread), through a
    queued Qt connection. Exceptions in a slot are logged with the slot's name.
    """

    _posted = pyqtSignal(object, tuple)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._posted.connect(self._run, Qt.QueuedConnection)  # type: ignore[call-arg]  # PyQt5-stubs lack connect(slot, type)
        self.gui_thread = threading.current_thread()

    def post(self, function: Callable[..., object], *args: object) -> None:
        """Call ``function(*args)`` on the GUI thread, soon (never synchronously)."""
        self._posted.emit(function, args)

    def connect(self, emitter: Emitter, signal: str, slot: Callable[..., object]) -> Subscription:
        """Deliver ``emitter``'s ``signal`` to ``slot`` on the GUI thread."""
        return Subscription(self, emitter, signal, slot)

    def _run(self, function: Callable[..., object], args: tuple[object, ...]) -> None:
        try:
            function(*args)
        except Exception:
            log.exception("GUI callback %s failed", getattr(function, "__qualname__", function))
