"""A motor on an EPICS motor record."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, ClassVar

from hardware_objects.abstract.motor import AbstractMotor
from hardware_objects.epics.pending import PendingChange
from hardware_objects.epics.pv_prefix import PV_PREFIX, as_float, as_text, pv_channel
from hardware_objects.epics.type_fault import PvTypeFault
from mxgui.core.channels import ChannelError
from mxgui.core.futures import failed
from mxgui.core.hardware_object import HardwareObjectState, HOProperty

log = logging.getLogger(__name__)

#: the channels of a motor record, by name, and their default field after the prefix
FIELDS = {
    "val": ".VAL",
    "rbv": ".RBV",
    "dmov": ".DMOV",
    "stop": ".STOP",
    "hlm": ".HLM",
    "llm": ".LLM",
    "egu": ".EGU",
    "velo": ".VELO",
}

#: the names mxcubecore's EPICS motor (``LNLS.EPICSMotor``) gives the same channels
MXCUBECORE_NAMES = {
    "val": ("epicsActuator_val",),
    "rbv": ("epicsActuator_rbv",),
    "dmov": ("epicsMotor_dmov",),
    "stop": ("epicsMotor_stop",),
    "hlm": ("epicsMotor_hlm", "epicsMotor_dhlm"),
    "llm": ("epicsMotor_llm", "epicsMotor_dllm"),
    "egu": ("epicsMotor_egu",),
    "velo": ("epicsMotor_velo",),
}


class EpicsMotor(PvTypeFault, AbstractMotor):
    """A motor record: ``<pv_prefix>BL:MTR1</pv_prefix>``; channels ``val``, ``rbv``,
    ``dmov``, ``stop``, ``hlm``, ``llm``, ``egu``, ``velo`` on the record's fields, each
    overridable by ``<channel type="epics" name="rbv">OTHER:PV</channel>`` (or by the
    name mxcubecore's ``EPICSMotor`` gave it: ``epicsActuator_rbv``, ``epicsMotor_dmov``
    ..., see :data:`MXCUBECORE_NAMES`).

    The value is RBV; the state BUSY while DMOV is 0 and READY when it is 1; the limits
    are LLM/HLM (``limitsChanged`` when they change) unless the file gives
    ``low_limit``/``high_limit``; the unit is EGU, the velocity VELO. ``set_value``
    writes VAL and returns a Future that ends with the position reached when DMOV is
    back to 1 after the move (a DMOV still 1 just after the write does not end it), or
    fails naming the PV: write refused, IOC lost during the move. ``stop()`` writes 1 to
    STOP; the move's Future then ends where the motor stopped.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {"pv_prefix": PV_PREFIX}

    def init(self) -> None:
        super().init()
        assert self.config is not None
        self._file_limits = any(
            name in self.config.properties for name in ("low_limit", "high_limit")
        )
        self._lock = threading.Lock()
        self._readback: float | None = None
        self._moving: bool | None = None  # DMOV == 0
        self._saw_moving = False  # DMOV went 0 since the current move was asked for
        self._written = False  # VAL took the current move's target
        self._record_limits: dict[str, float] = {}
        self._egu = ""
        self._move: PendingChange[float] = PendingChange()
        self.channels = {
            name: pv_channel(self, name, field, MXCUBECORE_NAMES[name])
            for name, field in FIELDS.items()
        }
        self.connect("availabilityChanged", self._availability_changed)
        self.watch_channels(*self.channels.values())
        self._on("rbv", self._rbv_changed)
        self._on("dmov", self._dmov_changed)
        self._on("hlm", lambda value: self._record_limit_changed("hlm", value))
        self._on("llm", lambda value: self._record_limit_changed("llm", value))
        self.channels["egu"].subscribe(self._egu_changed)
        self._on("velo", self._velo_changed)

    def _on(self, name: str, handler: Callable[[float], None]) -> None:
        channel = self.channels[name]

        def deliver(value: object) -> None:
            try:
                handler(as_float(channel, value))
            except TypeError as exc:  # the channel is bound to a PV of another type
                self._move.fail(f"{self.username}: {self.wrong_type(channel, exc)}")

        channel.subscribe(deliver)

    # readings (in the control-system loop's thread) -------------------------------------
    def _rbv_changed(self, position: float) -> None:
        with self._lock:
            self._readback = position
        self.update_value(position)
        self._end_move_if_done()

    def _dmov_changed(self, done: float) -> None:
        with self._lock:
            self._moving = done == 0
            if self._moving and self._move.active:
                self._saw_moving = True
        self._end_move_if_done()
        self._show_state()

    def _record_limit_changed(self, which: str, value: float) -> None:
        with self._lock:
            self._record_limits[which] = value
            low, high = self._record_limits.get("llm"), self._record_limits.get("hlm")
        if self._file_limits or low is None or high is None:
            return
        if low == high == 0:  # a motor record's way of saying "no limits"
            low, high = -math.inf, math.inf
        try:
            self.set_limits((low, high))
        except ValueError as exc:
            log.error("%s: %s (%s)", self.username, exc, self.channels["hlm"].spec.label)

    def _egu_changed(self, unit: object) -> None:
        self._egu = as_text(unit).strip()

    def _velo_changed(self, velocity: float) -> None:
        if velocity > 0:
            self._velocity = velocity

    def _show_state(self) -> None:
        if self.type_problem or self.unavailable_reason() or self._moving is None:
            return  # FAULT until the IOC answers again; UNKNOWN until DMOV is known
        busy = self._moving or self._move.active
        self.set_state(HardwareObjectState.BUSY if busy else HardwareObjectState.READY)

    def _end_move_if_done(self) -> None:
        with self._lock:
            target, readback, move = self._move.target, self._readback, self._move.current()
            if target is None or not self._written or self._moving is not False:
                return
            there = readback is not None and abs(readback - target) <= self.tolerance
            if not (self._saw_moving or there):
                return  # DMOV still 1 from before the move started
        self._move.finish(readback if readback is not None else target, only=move)
        self._show_state()

    # what the user asks -------------------------------------------------------------
    @property
    def unit(self) -> str:
        """EGU, unless the file gives ``<unit>``."""
        return self.get_property("unit") or self._egu

    @property
    def tolerance(self) -> float:
        """Positions closer than this are equal."""
        tolerance: float = self.get_property("tolerance")
        return tolerance

    def validate_value(self, value: object) -> float:
        try:
            return super().validate_value(value)
        except ValueError as exc:
            raise ValueError(f"{exc} ({self.channels['val'].spec.label})") from None

    def _set_value(self, value: float) -> Future[Any]:
        reason = self.type_problem or self.unavailable_reason()
        if reason:
            return failed(ChannelError(f"{self.username}: cannot move to {value:g}: {reason}"))
        with self._lock:
            future = self._move.start(value, superseded=self._readback)
            self._saw_moving = False
            self._written = False
        self.set_state(HardwareObjectState.BUSY)
        write = self.channels["val"].write(value)
        write.add_done_callback(lambda done: self._val_written(future, value, done))
        return future

    def _val_written(self, move: Future[float], target: float, write: Future[None]) -> None:
        error = write.exception()
        if error is not None:
            self._move.fail(f"{self.username}: moving to {target:g} failed: {error}", only=move)
            self._show_state()
            return
        with self._lock:
            if not self._move.is_current(move):
                return
            self._written = True
        self._end_move_if_done()

    def _availability_changed(self, reason: str) -> None:
        if reason:
            target = self._move.target
            if target is not None:
                self._move.fail(f"{self.username}: the move to {target:g} failed: {reason}")

    def connection_restored(self) -> None:
        """The IOC answers again: read DMOV and RBV anew (in a worker: reading blocks)."""
        self._show_state()
        threading.Thread(target=self._read_again, name=f"{self.name} reread", daemon=True).start()

    def _read_again(self) -> None:
        try:
            position = as_float(self.channels["rbv"], self.channels["rbv"].read())
            done = as_float(self.channels["dmov"], self.channels["dmov"].read())
        except (ChannelError, TypeError) as exc:
            log.warning("%s: reading again after the reconnection failed: %s", self.username, exc)
            return
        self._rbv_changed(position)
        self._dmov_changed(done)

    def set_velocity(self, velocity: float) -> None:
        """Write VELO (units per second, above 0)."""
        super().set_velocity(velocity)
        self.channels["velo"].write(float(velocity)).add_done_callback(self._velo_written)

    def _velo_written(self, write: Future[None]) -> None:
        if write.exception() is not None:
            log.error("%s: %s", self.username, write.exception())

    def abort(self) -> None:
        """Write 1 to STOP: the motor stops where it is, the move's Future ends there."""
        self.channels["stop"].write(1).add_done_callback(self._stop_written)

    def _stop_written(self, write: Future[None]) -> None:
        if write.exception() is not None:
            log.error("%s: stop failed: %s", self.username, write.exception())
