"""An actuator on a setpoint PV and its readback PV (``<pv_prefix>`` and
``<pv_prefix>_RBV``): transmission, an N-state device, a shutter."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from hardware_objects.abstract.actuator import AbstractActuator
from hardware_objects.epics.pending import PendingChange
from hardware_objects.epics.pv_prefix import pv_channel
from hardware_objects.epics.type_fault import PvTypeFault
from mxgui.core.channels import Channel, ChannelError
from mxgui.core.futures import failed
from mxgui.core.hardware_object import HardwareObjectState

log = logging.getLogger(__name__)

T = TypeVar("T")


class SetpointReadback(Generic[T]):
    """The part of an actuator that talks to its two PVs: channel ``setpoint`` (the
    prefix) and ``readback`` (prefix + ``_RBV``), each overridable by a ``<channel>``.

    The actuator's value is the readback; its state BUSY while a change runs or the
    readback differs from the setpoint, else READY. :meth:`set` writes the setpoint and
    returns a Future that ends when the readback reaches it, or fails naming the PV
    (write refused, IOC lost meanwhile).

    Parameters
    ----------
    actuator
        The hardware object (after its ``configure``, in its ``init``), a
        :class:`PvTypeFault` too.
    convert
        A PV's value as the actuator's type; ``TypeError`` naming the channel if it is
        not one (a channel bound to a PV of another kind).
    same
        Whether a readback equals a setpoint.
    """

    def __init__(
        self,
        actuator: AbstractActuator[T],
        convert: Callable[[Channel, object], T],
        same: Callable[[T, T], bool],
    ) -> None:
        if not isinstance(actuator, PvTypeFault):
            raise TypeError(f"{type(actuator).__name__} must derive from PvTypeFault")
        self.actuator = actuator
        self._faults: PvTypeFault = actuator
        self._convert = convert
        self._same = same
        self._lock = threading.Lock()
        self._readback: T | None = None
        self._setpoint: T | None = None
        self._change: PendingChange[T] = PendingChange()
        self.setpoint = pv_channel(actuator, "setpoint", "")
        self.readback = pv_channel(actuator, "readback", "_RBV")
        actuator.connect("availabilityChanged", self._availability_changed)
        actuator.watch_channels(self.setpoint, self.readback)
        self.readback.subscribe(self._readback_changed)
        self.setpoint.subscribe(self._setpoint_changed)

    # readings (in the control-system loop's thread) ---------------------------------------
    def _readback_changed(self, raw: object) -> None:
        value = self._converted(self.readback, raw)
        if value is None:
            return
        with self._lock:
            self._readback = value
            target, change = self._change.target, self._change.current()
        self.actuator.update_value(value)
        if target is not None and self._same(value, target):
            self._change.finish(value, only=change)
        self.show_state()

    def _setpoint_changed(self, raw: object) -> None:
        value = self._converted(self.setpoint, raw)
        if value is None:
            return
        with self._lock:
            self._setpoint = value
        self.show_state()

    def _converted(self, channel: Channel, raw: object) -> T | None:
        try:
            return self._convert(channel, raw)
        except TypeError as exc:  # bound to a PV of another kind
            reason = self._faults.wrong_type(channel, exc)
            self._change.fail(f"{self.actuator.username}: {reason}")
            return None

    def show_state(self) -> None:
        """BUSY or READY from what is known (nothing while the IOC does not answer)."""
        if self._faults.type_problem or self.actuator.unavailable_reason():
            return
        with self._lock:
            readback, setpoint = self._readback, self._setpoint
        apart = readback is not None and setpoint is not None and not self._same(readback, setpoint)
        busy = self._change.active or apart
        self.actuator.set_state(HardwareObjectState.BUSY if busy else HardwareObjectState.READY)

    # changes ------------------------------------------------------------------------------
    def set(self, value: T) -> Future[T]:
        """Write ``value`` to the setpoint; the Future ends when the readback is there."""
        reason = self._faults.type_problem or self.actuator.unavailable_reason()
        if reason:
            return failed(ChannelError(f"{self.actuator.username}: cannot set {value}: {reason}"))
        with self._lock:
            future = self._change.start(value, superseded=self._readback)
        self.actuator.set_state(HardwareObjectState.BUSY)
        self.setpoint.write(value).add_done_callback(
            lambda write: self._written(future, value, write)
        )
        return future

    def _written(self, change: Future[T], value: T, write: Future[None]) -> None:
        error = write.exception()
        if error is not None:
            self._change.fail(f"{self.actuator.username}: setting {value} failed: {error}", change)
        else:
            with self._lock:
                readback = self._readback
            if readback is not None and self._same(readback, value):
                # already there: the readback will not change
                self._change.finish(readback, only=change)
        self.show_state()

    def _availability_changed(self, reason: str) -> None:
        target = self._change.target
        if reason and target is not None:
            self._change.fail(f"{self.actuator.username}: setting {target} failed: {reason}")

    def read_again(self) -> None:
        """After a reconnection: show the state, then read both PVs anew in a worker
        (reading blocks)."""
        self.show_state()
        threading.Thread(target=self._read_again, daemon=True).start()

    def _read_again(self) -> None:
        try:
            setpoint, readback = self.setpoint.read(), self.readback.read()
        except ChannelError as exc:
            log.warning("%s: reading again failed: %s", self.actuator.username, exc)
            return
        self._setpoint_changed(setpoint)
        self._readback_changed(readback)
