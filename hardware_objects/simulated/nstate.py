"""Simulated N-state actuators and shutters."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import ClassVar

from hardware_objects.abstract.nstate import AbstractNState
from hardware_objects.abstract.shutter import CLOSED, AbstractShutter
from mxgui.core.clock import REAL_CLOCK, Clock, ClockTimer
from mxgui.core.futures import failed
from mxgui.core.hardware_object import HardwareObjectState, HOProperty


class _SimulatedPositions(AbstractNState):
    """Base of the simulated N-state actuators: changing position takes ``delay``
    seconds of ``clock`` (BUSY), in a timer thread."""

    clock: Clock = REAL_CLOCK

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "delay": HOProperty(float, 0.2, "seconds to change position"),
        "default_value": HOProperty(str, "", "position at start (default: the first)"),
    }

    def _start(self, default: str) -> None:
        start = self.get_property("default_value") or default
        try:
            self.validate_value(start)
        except ValueError as exc:
            raise self.config_error(f"default_value: {exc}", "default_value") from None
        self._timer: ClockTimer | None = None
        self._pending: Future[str] | None = None
        self._lock = threading.Lock()
        self.fault: str | None = None
        self.update_value(start)
        self.set_state(HardwareObjectState.READY)

    def _set_value(self, value: str) -> Future[str]:
        with self._lock:
            self._interrupt(f"interrupted by a change to {value}")
            if self.fault:
                self.set_state(HardwareObjectState.FAULT)
                return failed(RuntimeError(f"{self.username}: {self.fault}"))
            future: Future[str] = Future()
            self.set_state(HardwareObjectState.BUSY)
            self._timer = ClockTimer(
                self.clock, self.get_property("delay"), self._arrive, (value, future)
            )
            self._pending = future
            self._timer.start()
        return future

    def _interrupt(self, reason: str) -> None:
        """Cancel the change in progress; its Future fails with ``reason`` (never hangs)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending is not None and not self._pending.done():
            self._pending.set_exception(RuntimeError(f"{self.username}: {reason}"))
        self._pending = None

    def _arrive(self, value: str, future: Future[str]) -> None:
        with self._lock:
            if future is not self._pending:  # superseded just before the timer fired
                return
            self._pending = None
            self._timer = None
        self.update_value(value)
        self.set_state(HardwareObjectState.READY)
        future.set_result(value)

    def inject_fault(self, reason: str | None) -> None:
        """Make the next changes fail with ``reason`` (``None`` clears it): for tests."""
        self.fault = reason
        if reason is None and self.get_state() is HardwareObjectState.FAULT:
            self.set_state(HardwareObjectState.READY)

    def abort(self) -> None:
        with self._lock:
            self._interrupt("stopped")
        if self.get_state() is HardwareObjectState.BUSY:
            self.set_state(HardwareObjectState.READY)

    def shutdown(self) -> None:
        with self._lock:
            self._interrupt("shut down")


class SimulatedNState(_SimulatedPositions, AbstractNState):
    """A simulated N-state actuator (zoom, aperture, filters): ``<value>`` per position."""

    def init(self) -> None:
        super().init()
        self._start(self.get_values()[0])


class SimulatedShutter(_SimulatedPositions, AbstractShutter):
    """A simulated shutter; starts CLOSED unless ``default_value`` says otherwise."""

    def init(self) -> None:
        super().init()
        self._start(CLOSED)
