"""What every hardware object on a Tango device does: follow the device's ``State``,
move through :class:`~hardware_objects.tango.moves.MoveFollower`, fail the move in
progress when the device stops answering, and read everything again when it is back."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import ClassVar

from hardware_objects.abstract.actuator import AbstractActuator, ValueT
from hardware_objects.tango.moves import MoveFollower
from mxgui.core.channels import Channel, ChannelError, DefaultBinding
from mxgui.core.futures import failed
from mxgui.core.hardware_object import HardwareObjectState, HOProperty

log = logging.getLogger(__name__)

#: Tango's device states, as the hardware-object states they mean
HO_STATES = {
    "ON": HardwareObjectState.READY,
    "OPEN": HardwareObjectState.READY,
    "CLOSE": HardwareObjectState.READY,
    "STANDBY": HardwareObjectState.READY,
    "INSERT": HardwareObjectState.READY,
    "EXTRACT": HardwareObjectState.READY,
    "MOVING": HardwareObjectState.BUSY,
    "RUNNING": HardwareObjectState.BUSY,
    "INIT": HardwareObjectState.BUSY,
    "FAULT": HardwareObjectState.FAULT,
    "ALARM": HardwareObjectState.WARNING,
    "OFF": HardwareObjectState.OFF,
    "DISABLE": HardwareObjectState.OFF,
    "UNKNOWN": HardwareObjectState.UNKNOWN,
}
BUSY_STATES = frozenset(
    name for name, state in HO_STATES.items() if state is HardwareObjectState.BUSY
)


def state_name(value: object) -> str:
    """``"ON"``, ``"MOVING"``... from what a ``State`` channel delivers (a
    ``DevState``, an enum of ophyd-async, or text)."""
    name = getattr(value, "name", None)
    if not isinstance(name, str):
        name = str(getattr(value, "value", value))
    return name.rsplit(".", 1)[-1].strip().upper()


class TangoDevice(AbstractActuator[ValueT]):
    """Base of the Tango hardware objects; put it before the interface
    (``class TangoMotor(TangoDevice[float], AbstractMotor)``).

    The subclass's ``init`` makes its channels and calls :meth:`start_device` with the
    ones it cannot work without; it implements :meth:`refresh` (read the value and the
    state anew, in a worker thread) and moves with :meth:`follow_move`.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "tangoname": HOProperty(str, "", "the Tango device (host:port/domain/family/member)"),
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._problem = ""
        self._device_state = ""
        self._follower = MoveFollower(name, self.superseded_result)

    def start_device(self, *channels: Channel) -> None:
        """Follow the device's ``state`` channel (default ``State``), watch it and
        ``channels`` (FAULT naming device and channel while one does not answer)."""
        self.state_channel = self.get_channel(
            "state", DefaultBinding("tango", "State", prop="tangoname")
        )
        self.connect("availabilityChanged", self._availability_changed)
        self.state_channel.subscribe(self._state_delivered)
        self.watch_channels(*channels, self.state_channel)

    # state ---------------------------------------------------------------------------
    def _state_delivered(self, value: object) -> None:
        name = state_name(value)
        self._device_state = name
        if not self.unavailable_reason():
            self.apply_device_state(name)
        self._follower.wake()

    def apply_device_state(self, name: str) -> None:
        """Take the device's state ``name`` (``ON``, ``MOVING``...): by default as the
        object's state (a shutter also takes OPEN / CLOSE as its value)."""
        self.set_state(HO_STATES.get(name, HardwareObjectState.UNKNOWN))

    def read_device_state(self) -> str:
        """The device's state read now (blocks: call it from a worker thread)."""
        name = state_name(self.state_channel.read())
        self._device_state = name
        return name

    # faults ----------------------------------------------------------------------------
    def unavailable_reason(self) -> str:
        """Why the device cannot be used: it does not answer (device and channel), or
        what it delivers is not what this object understands."""
        return super().unavailable_reason() or self._problem

    def report_problem(self, reason: str) -> None:
        """The device answers but cannot be used (``reason`` names device and
        channel): FAULT, the bricks told, the move in progress failed."""
        if reason == self._problem:
            return
        self._problem = reason
        log.warning("%s: %s", self.name, reason)
        self.set_state(HardwareObjectState.FAULT)
        self.emit("availabilityChanged", reason)
        self._follower.fail(reason)

    def clear_problem(self) -> None:
        """What the device delivers is understood again: available, unless it does
        not answer."""
        if not self._problem:
            return
        self._problem = ""
        if not super().unavailable_reason():
            self.emit("availabilityChanged", "")
            if self._device_state:
                self.apply_device_state(self._device_state)

    def _availability_changed(self, reason: str) -> None:
        if reason:
            self._follower.fail(reason)

    def startup_problems(self) -> list[str]:
        problems = super().startup_problems()
        if self._problem and not problems:
            problems.append(self._problem)
        return problems

    def connection_restored(self) -> None:
        """Read the value and the state again (in a worker thread: this runs in the
        control-system loop, which a read would block)."""
        threading.Thread(target=self._refresh, name=f"refresh {self.name}", daemon=True).start()

    def _refresh(self) -> None:
        try:
            self.refresh()
            state = self.read_device_state()
        except ChannelError as exc:
            log.warning("%s: reading the device again failed: %s", self.name, exc)
            return
        if self._problem:  # it answers again, but still gives what cannot be used
            self.set_state(HardwareObjectState.FAULT)
            self.emit("availabilityChanged", self._problem)
        else:
            self.apply_device_state(state)

    def refresh(self) -> None:
        """Read the value (and what else the object shows) from the device now; the
        state is read after it. Runs in a worker thread."""

    # moves -------------------------------------------------------------------------------
    def follow_move(
        self, start: Callable[[], Future[object]], check: Callable[[], object]
    ) -> Future[object]:
        """A move: ``start()`` (the write or the command), then ``check()`` until it
        returns the result (see :class:`MoveFollower`). Fails at once, with the
        reason, while the device is unavailable."""
        reason = self.unavailable_reason()
        if reason:
            return failed(RuntimeError(reason))
        self.set_state(HardwareObjectState.BUSY)
        move = self._follower.start(start, check)
        move.add_done_callback(self._move_ended)
        return move

    def _move_ended(self, move: Future[object]) -> None:
        # a refused move leaves the device as it was: show its state, not BUSY
        if move.exception() is not None and not self.unavailable_reason():
            if self.get_state() is HardwareObjectState.BUSY and self._device_state:
                self.apply_device_state(self._device_state)

    def superseded_result(self) -> object:
        """What a move replaced by a newer one ends with (the value now)."""
        return self.get_value()

    def shutdown(self) -> None:
        self._follower.fail(f"{self.username}: shut down")
