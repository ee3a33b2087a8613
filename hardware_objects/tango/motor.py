"""A motor on a Tango device."""

from __future__ import annotations

import logging
import math
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures
from typing import SupportsFloat

from hardware_objects.abstract.motor import AbstractMotor
from hardware_objects.tango.attribute_range import AttributeRange, attribute_range
from hardware_objects.tango.device import BUSY_STATES, HO_STATES, TangoDevice
from hardware_objects.tango.moves import StillMoving
from mxgui.core.channels import ChannelError, DefaultBinding
from mxgui.core.futures import then
from mxgui.core.hardware_object import HardwareObjectState

log = logging.getLogger(__name__)

#: how a Tango server words a write outside the attribute's min/max (API_WAttrOutsideLimit)
OUTSIDE_LIMITS = ("above the maximum authorized", "below the minimum authorized")


def _number(value: object) -> float | None:
    """``value`` as a float (numpy scalars too), or None when it is not a number."""
    if isinstance(value, (bool, str, bytes)) or not isinstance(value, SupportsFloat):
        return None
    return float(value)


class TangoMotor(TangoDevice[float], AbstractMotor):
    """A motor on a Tango device (mxcubecore's ``TangoMotor`` files port with
    ``class="tango.motor.TangoMotor"``).

    XML: ``<tangoname>`` (the device); channels ``position`` (default attribute
    ``Position``, change events), ``state`` (``State``), ``velocity`` (``Velocity``) and
    command ``stop`` (``Stop``), each overridable by a ``<channel name=...>`` /
    ``<command name=...>`` element. The limits are the attribute's min/max unless the
    file gives ``low_limit`` / ``high_limit``. BUSY while the device is MOVING, READY on
    ON, FAULT on FAULT; ``set_value``'s Future ends when the device is ON again at the
    target (within ``tolerance``), or fails naming device and channel.
    """

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._device_limits = (-math.inf, math.inf)
        self._device_unit = ""
        self._velocity_write: Future[None] | None = None

    def init(self) -> None:
        super().init()
        tangoname = "tangoname"
        self.position_channel = self.get_channel(
            "position", DefaultBinding("tango", "Position", prop=tangoname)
        )
        self.velocity_channel = self.get_channel(
            "velocity", DefaultBinding("tango", "Velocity", prop=tangoname)
        )
        self._stop_command = self.get_command(
            "stop", DefaultBinding("tango", "Stop", prop=tangoname)
        )
        self._stop_asked = False
        self.start_device(self.position_channel)
        self.position_channel.subscribe(self._position_delivered)
        self.velocity_channel.subscribe(self._velocity_delivered)
        self._read_limits()

    # values from the device ------------------------------------------------------------
    def _position_delivered(self, value: object) -> None:
        number = _number(value)
        if number is None or math.isnan(number):
            self.report_problem(
                f"{self.position_channel.spec.label}: the device gives {value!r}, not a number"
            )
            return
        first = self.get_value() is None
        self.update_value(number)
        self.clear_problem()
        if first and self._device_state and not self.unavailable_reason():
            self.apply_device_state(self._device_state)  # READY now that it has a position

    def apply_device_state(self, name: str) -> None:
        """The device's state, except that READY waits for the first position: a motor
        whose position is not known yet cannot be moved relative to it."""
        state = HO_STATES.get(name, HardwareObjectState.UNKNOWN)
        if state is HardwareObjectState.READY and self.get_value() is None:
            state = HardwareObjectState.UNKNOWN
        self.set_state(state)

    def _velocity_delivered(self, value: object) -> None:
        number = _number(value)
        if number is not None and number > 0:
            self._velocity = number

    def _read_limits(self) -> None:
        attribute_range(self.position_channel.spec).add_done_callback(self._limits_read)

    def _limits_read(self, future: Future[AttributeRange]) -> None:
        if future.cancelled():  # the control-system loop stopped (at quit)
            return
        try:
            declared = future.result()
        except ChannelError as exc:
            log.warning("%s: %s", self.name, exc)
            return
        except Exception:  # a done-callback: nothing above would see it
            log.exception("%s: reading the limits of %s failed", self.name, self.position_channel)
            return
        self._device_limits = (declared.low, declared.high)
        self._device_unit = declared.unit
        properties = self.config.properties if self.config is not None else {}
        low = self.get_property("low_limit") if "low_limit" in properties else declared.low
        high = self.get_property("high_limit") if "high_limit" in properties else declared.high
        if low <= high and (low, high) != self.get_limits():
            self.set_limits((low, high))  # the file's limits win over the device's

    @property
    def unit(self) -> str:
        """The file's ``<unit>``, else the unit the device declares for the position."""
        return self.get_property("unit") or self._device_unit

    def refresh(self) -> None:
        self._position_delivered(self.position_channel.read())
        self._read_limits()

    # moves --------------------------------------------------------------------------------
    def _set_value(self, value: float) -> Future[object]:
        self._stop_asked = False
        return self.follow_move(lambda: self._write(value), lambda: self._arrived(value))

    def _write(self, target: float) -> Future[object]:
        # runs in the move's worker thread: a speed just set reaches the device first
        # (a collection sets omega's speed, then starts the sweep)
        velocity = self._velocity_write
        if velocity is not None:
            wait_futures([velocity], timeout=self.velocity_channel.spec.timeout + 0.5)

        def words(write: Future[None]) -> object:
            try:
                return write.result()
            except ChannelError as exc:
                if any(text in str(exc) for text in OUTSIDE_LIMITS):
                    raise ChannelError(self._outside_limits(target)) from exc
                raise

        return then(self.position_channel.write(target), words)

    def _outside_limits(self, target: float) -> str:
        low, high = self._device_limits
        known = not (math.isinf(low) and math.isinf(high))
        allowed = f" ({low:g} to {high:g} {self.unit}".rstrip() + ")" if known else ""
        return (
            f"{self.position_channel.spec.label}: {target:g} is outside the limits the device"
            f" allows{allowed}; it refused the move"
        )

    def _arrived(self, target: float) -> float:
        """The position once the device has ended the move (raises :class:`StillMoving`
        before); fails when it ended elsewhere without being stopped, or in FAULT."""
        state = self.read_device_state()
        if state in BUSY_STATES:
            raise StillMoving
        if HO_STATES.get(state) is HardwareObjectState.FAULT:
            raise RuntimeError(f"{self.state_channel.spec.label}: the device is in FAULT")
        position = _number(self.position_channel.read())
        if position is None:
            raise RuntimeError(f"{self.position_channel.spec.label}: not a number")
        self.update_value(position)
        self.apply_device_state(state)
        if abs(position - target) <= self.get_property("tolerance") or self._stop_asked:
            return position
        raise RuntimeError(
            f"{self.position_channel.spec.label}: the move to {target:g} ended at "
            f"{position:g} {self.unit}".rstrip()
        )

    def set_velocity(self, velocity: float) -> None:
        """Change the speed on the device (units per second, above 0)."""
        super().set_velocity(velocity)
        self._velocity_write = self.velocity_channel.write(velocity)
        self._velocity_write.add_done_callback(self._log_failure)

    def abort(self) -> None:
        """Stop the device (its ``Stop`` command); the move's Future ends where it stops."""
        self._stop_asked = True
        self._stop_command.call().add_done_callback(self._log_failure)

    def _log_failure(self, future: Future[object] | Future[None]) -> None:
        if future.cancelled():  # the control-system loop stopped (at quit): no failure
            return
        exc = future.exception()
        if exc is not None:
            log.warning("%s: %s", self.name, exc)
