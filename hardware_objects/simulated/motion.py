"""Simulated motion: move an actuator's value towards a target at a fixed speed."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future

from hardware_objects.abstract.actuator import AbstractActuator
from mxgui.core.hardware_object import HardwareObjectState

log = logging.getLogger(__name__)

#: readback period while moving, seconds
UPDATE_PERIOD = 0.02


class SimulatedMotion:
    """Runs one move at a time in a worker thread for ``actuator``.

    The value advances at ``velocity()`` units per second, ``valueChanged`` is emitted
    every :data:`UPDATE_PERIOD`, the state is BUSY while moving and READY after (FAULT
    when a fault was injected). A new move first stops the one in progress.
    """

    def __init__(self, actuator: AbstractActuator, velocity) -> None:
        self._actuator = actuator
        self._velocity = velocity
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.fault: str | None = None

    def start(self, target: float) -> Future:
        """Begin moving to ``target``; the Future holds the final value."""
        future: Future = Future()
        with self._lock:
            self.stop()
            if self.fault:
                self._actuator.set_state(HardwareObjectState.FAULT)
                future.set_exception(RuntimeError(f"{self._actuator.username}: {self.fault}"))
                return future
            self._stop = threading.Event()
            self._actuator.set_state(HardwareObjectState.BUSY)
            self._thread = threading.Thread(
                target=self._run,
                args=(target, self._stop, future),
                name=f"move {self._actuator.name}",
                daemon=True,
            )
            self._thread.start()
        return future

    def stop(self) -> None:
        """Stop the move in progress, if any, and wait until it has stopped."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    def _run(self, target: float, stop: threading.Event, future: Future) -> None:
        actuator = self._actuator
        position = float(actuator.get_value() or 0.0)
        last = time.monotonic()
        try:
            while not stop.wait(UPDATE_PERIOD):
                if self.fault:
                    raise RuntimeError(f"{actuator.username}: {self.fault}")
                now = time.monotonic()
                step = self._velocity() * (now - last)
                last = now
                if abs(target - position) <= step:
                    position = target
                else:
                    position += step if target > position else -step
                actuator.update_value(position)
                if position == target:
                    break
        except RuntimeError as exc:
            actuator.set_state(HardwareObjectState.FAULT)
            future.set_exception(exc)
            return
        except Exception as exc:
            log.exception("simulated move of %s failed", actuator.name)
            actuator.set_state(HardwareObjectState.FAULT)
            future.set_exception(exc)
            return
        actuator.set_state(HardwareObjectState.READY)
        future.set_result(position)
