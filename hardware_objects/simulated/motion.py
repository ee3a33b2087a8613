"""Simulated motion: move an actuator's value towards a target at a fixed speed.

:class:`SimulatedMotion` runs the moves; :class:`SimulatedActuator` is the base of the
simulated motor, energy and transmission, which move that way.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future

from hardware_objects.abstract.actuator import AbstractActuator, AbstractNumericActuator
from mxgui.core.clock import REAL_CLOCK, Clock
from mxgui.core.futures import failed
from mxgui.core.hardware_object import HardwareObjectState

log = logging.getLogger(__name__)

#: readback period while moving, seconds
UPDATE_PERIOD = 0.02


def _wait_before_step(distance: float, velocity: float) -> float:
    """Seconds to wait before the next step: a period, or less to land on the target."""
    if velocity <= 0:
        return UPDATE_PERIOD
    return min(UPDATE_PERIOD, distance / velocity)


class SimulatedMotion:
    """Runs one move at a time in a worker thread for ``actuator``.

    The value advances at ``velocity()`` units per second, ``valueChanged`` is emitted
    every :data:`UPDATE_PERIOD`, the state is BUSY while moving and READY after (FAULT
    when a fault was injected). A new move first stops the one in progress. Time comes
    from ``clock()``, asked at each move (the actuator's clock, which a test may replace).
    """

    def __init__(
        self,
        actuator: AbstractActuator[float],
        velocity: Callable[[], float],
        clock: Callable[[], Clock] = lambda: REAL_CLOCK,
    ) -> None:
        self._actuator = actuator
        self._velocity = velocity
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        #: stop events of moves replaced by a newer one: those end without a READY
        self._superseded: set[threading.Event] = set()
        self.fault: str | None = None

    def start(self, target: float) -> Future[float]:
        """Begin moving to ``target``; the Future holds the final value.

        Never waits: a move in progress is told to stop, and the new move's worker
        thread waits for it before starting (the caller may be the GUI thread).
        """
        with self._lock:
            previous = self._thread
            if previous is not None and previous.is_alive():
                self._superseded.add(self._stop)
            else:
                previous = None
            self._stop.set()
            if self.fault:
                self._actuator.set_state(HardwareObjectState.FAULT)
                return failed(RuntimeError(f"{self._actuator.username}: {self.fault}"))
            future: Future[float] = Future()
            self._stop = threading.Event()
            self._actuator.set_state(HardwareObjectState.BUSY)
            self._thread = threading.Thread(
                target=self._run,
                args=(target, self._stop, future, previous),
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

    def _run(
        self,
        target: float,
        stop: threading.Event,
        future: Future[float],
        previous: threading.Thread | None = None,
    ) -> None:
        actuator = self._actuator
        if previous is not None:
            previous.join(timeout=2.0)  # the replaced move ends within one period
        position = float(actuator.get_value() or 0.0)
        clock = self._clock()
        last = clock.now()
        try:
            # a move shorter than one period ends when it would (a zero-length one at
            # once), not at the next period: small steps of centring add up
            while position != target and not clock.wait(
                stop, _wait_before_step(abs(target - position), self._velocity())
            ):
                if self.fault:
                    raise RuntimeError(f"{actuator.username}: {self.fault}")
                now = clock.now()
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
        with self._lock:
            superseded = stop in self._superseded
            self._superseded.discard(stop)
        if not superseded:  # a replaced move leaves the state to the move replacing it
            actuator.set_state(HardwareObjectState.READY)
        if not future.cancelled():  # a caller that gave up waiting cancelled it
            future.set_result(position)


class SimulatedActuator(AbstractNumericActuator):
    """Base of a simulated actuator whose value moves at a speed, one move at a time.

    Put it before the interface: ``class SimulatedEnergy(SimulatedActuator,
    AbstractEnergy)``. The subclass declares the XML property ``default_value`` (the
    value at start) and, unless it overrides :meth:`speed`, ``velocity`` (units/s).

    ``init`` runs the interface's ``init``, then :meth:`check_properties`, checks
    ``default_value`` against the limits (a configuration error naming the property),
    starts there and is READY. ``set_value`` moves with :class:`SimulatedMotion`;
    ``abort`` and ``shutdown`` stop the move in progress. Moves take their time from
    ``clock`` (the real clock unless a test gives the object another).
    """

    clock: Clock = REAL_CLOCK

    def init(self) -> None:
        super().init()
        self.check_properties()
        start = self.get_property("default_value")
        try:
            self.validate_value(start)
        except ValueError as exc:
            raise self.config_error(f"default_value: {exc}", "default_value") from None
        self._motion = SimulatedMotion(self, self.speed, lambda: self.clock)
        self.update_value(start)
        self.set_state(HardwareObjectState.READY)

    def check_properties(self) -> None:
        """Check the subclass's own properties (raise ``config_error``); none by default."""

    def speed(self) -> float:
        """Current speed of a move in units per second: the ``velocity`` property."""
        velocity: float = self.get_property("velocity")
        return velocity

    def _set_value(self, value: float) -> Future[float]:
        return self._motion.start(value)

    def abort(self) -> None:
        self._motion.stop()

    def shutdown(self) -> None:
        self._motion.stop()

    def inject_fault(self, reason: str | None) -> None:
        """Make the moves fail (``reason``) or clear the fault (``None``): for tests."""
        self._motion.fault = reason
        if reason is None and self.get_state() is HardwareObjectState.FAULT:
            self.set_state(HardwareObjectState.READY)
