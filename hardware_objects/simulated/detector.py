"""A simulated Eiger-like detector: ROI modes that take a moment to switch."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import ClassVar

from hardware_objects.abstract.detector import AbstractDetector
from mxgui.core.clock import REAL_CLOCK, Clock, ClockTimer
from mxgui.core.hardware_object import HardwareObjectState, HOProperty


class SimulatedDetector(AbstractDetector):
    """The detector of the simulated beamline.

    Geometry and ROI modes come from the XML (see :class:`AbstractDetector`); switching
    the ROI mode takes ``roi_change_time`` seconds, BUSY meanwhile. Images themselves are
    written by the collect object, ``get_width()`` x ``get_height()`` pixels. The
    switch takes its time from ``clock`` (the real clock unless a test gives another).
    """

    clock: Clock = REAL_CLOCK

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "roi_change_time": HOProperty(float, 0.2, "seconds to switch the ROI mode"),
    }

    def init(self) -> None:
        super().init()
        if self.get_property("roi_change_time") < 0:
            raise self.config_error("roi_change_time must not be negative", "roi_change_time")
        self._lock = threading.Lock()
        self._timer: ClockTimer | None = None
        self._pending: Future | None = None
        self.set_state(HardwareObjectState.READY)

    def _set_roi_mode(self, mode: str) -> Future:
        future: Future = Future()
        with self._lock:
            self._cancel_pending()
            self.set_state(HardwareObjectState.BUSY)
            self._timer = ClockTimer(
                self.clock, self.get_property("roi_change_time"), self._arrive, (mode, future)
            )
            self._timer.name = f"{self.name} ROI mode"
            self._timer.start()
            self._pending = future
        return future

    def _cancel_pending(self) -> None:
        """Stop a switch in progress; its Future ends cancelled (call with the lock)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    def _arrive(self, mode: str, future: Future) -> None:
        with self._lock:
            if future is not self._pending:
                return  # superseded by a later switch
            self._timer = self._pending = None
        self._apply_roi_mode(mode)
        self.set_state(HardwareObjectState.READY)
        future.set_result(mode)

    def shutdown(self) -> None:
        super().shutdown()
        with self._lock:
            self._cancel_pending()
