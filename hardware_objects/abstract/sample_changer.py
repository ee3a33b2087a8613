"""The sample-changer interface: pucks of pins, ``puck:pin`` addresses, load and unload.

A sample changer (robot and dewar) holds pucks; a uni-puck holds 16 pins, 5 on an inner
ring and 11 on an outer ring. A sample is addressed ``"puck:pin"`` with a two-digit pin,
e.g. ``"3:05"`` (:func:`format_address`, :func:`parse_address`).

The contents are immutable snapshots (:class:`Puck` of :class:`Sample`): reading them
from any thread is safe, and a change replaces the item and emits ``contentsChanged``.
"""

from __future__ import annotations

import abc
import enum
import re
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from mxgui.core.errors import Refused
from mxgui.core.futures import done
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState

if TYPE_CHECKING:
    from typing_extensions import Unpack  # typing.Unpack from Python 3.11

PINS_PER_UNIPUCK = 16
#: the operations :meth:`AbstractSampleChanger.why_not` knows
OPERATIONS = ("load", "unload", "abort", "reset", "scan")


class SampleChangerState(enum.Enum):
    """The sample changer's own states (mxcubecore's set and values)."""

    Unknown = 0
    Ready = 1
    Loaded = 2
    Loading = 3
    Unloading = 4
    Selecting = 5
    Scanning = 6
    Resetting = 7
    Charging = 8
    Moving = 9
    ChangingMode = 10
    StandBy = 11
    Disabled = 12
    Alarm = 13
    Fault = 14
    Initializing = 15
    Closing = 16


S = SampleChangerState
#: states in which the robot is doing something (abort makes sense)
BUSY_STATES = frozenset(
    {
        S.Loading,
        S.Unloading,
        S.Selecting,
        S.Scanning,
        S.Resetting,
        S.Charging,
        S.Moving,
        S.ChangingMode,
        S.Initializing,
        S.Closing,
    }
)
#: states from which load, unload and scan may start
IDLE_STATES = frozenset({S.Ready, S.Loaded, S.StandBy})
_HARDWARE_STATE = {
    S.Unknown: HardwareObjectState.UNKNOWN,
    S.Ready: HardwareObjectState.READY,
    S.Loaded: HardwareObjectState.READY,
    S.StandBy: HardwareObjectState.READY,
    S.Alarm: HardwareObjectState.FAULT,
    S.Fault: HardwareObjectState.FAULT,
    S.Disabled: HardwareObjectState.OFF,
    **{state: HardwareObjectState.BUSY for state in BUSY_STATES},
}


def hardware_state(state: SampleChangerState) -> HardwareObjectState:
    """The generic :class:`HardwareObjectState` of a sample-changer state.

    Ready / Loaded / StandBy are READY, moving states BUSY, Alarm / Fault FAULT,
    Disabled OFF, Unknown UNKNOWN.
    """
    return _HARDWARE_STATE[state]


class SampleChangerRefused(Refused):
    """An operation refused before it started (busy, in Alarm, bad or empty address).

    Raised at once by the call; nothing moved.
    """


class SampleChangerError(RuntimeError):
    """An operation that started and then failed or was aborted (set on its Future)."""


_ADDRESS = re.compile(r"\s*(\d+)\s*:\s*(\d+)\s*")


def format_address(puck: int, pin: int) -> str:
    """``"3:05"`` for puck 3, pin 5; ``ValueError`` for numbers below 1."""
    for what, number in (("puck", puck), ("pin", pin)):
        if isinstance(number, bool) or not isinstance(number, int) or number < 1:
            raise ValueError(f"{what} must be an integer from 1, got {number!r}")
    return f"{puck}:{pin:02d}"


def parse_address(
    address: str, pucks: int | None = None, pins: int | None = None
) -> tuple[int, int]:
    """``(puck, pin)`` of ``"3:05"`` (``"3:5"`` too).

    With ``pucks`` / ``pins`` the numbers are checked against the capacity.
    Raises ``ValueError`` saying what an address looks like.
    """
    match = _ADDRESS.fullmatch(address) if isinstance(address, str) else None
    if match is None:
        raise ValueError(f"sample address {address!r} is not of the form puck:pin (e.g. 3:05)")
    puck, pin = int(match.group(1)), int(match.group(2))
    if puck < 1 or pin < 1:
        raise ValueError(f"sample address {address!r}: puck and pin are numbered from 1")
    if pucks is not None and puck > pucks:
        raise ValueError(f"no puck {puck} (the sample changer has pucks 1-{pucks})")
    if pins is not None and pin > pins:
        raise ValueError(f"no pin {pin} in puck {puck} (pins 1-{pins})")
    return puck, pin


@dataclass(frozen=True)
class Sample:
    """One pin position and what is known of the sample in it.

    ``present`` is ``True`` / ``False`` when known (after a scan or a failed pick),
    ``None`` when not known yet.
    """

    puck: int
    pin: int
    barcode: str = ""
    present: bool | None = None
    name: str = ""
    protein_acronym: str = ""
    loaded: bool = False
    has_been_loaded: bool = False

    @property
    def address(self) -> str:
        """``"puck:pin"``, e.g. ``"3:05"``."""
        return format_address(self.puck, self.pin)

    def describe(self) -> str:
        """``"3:05 HEWL_05 (HEWL)"``: address, name and acronym when known."""
        words = [self.address, self.name]
        if self.protein_acronym and self.protein_acronym != self.name:
            words.append(f"({self.protein_acronym})")
        return " ".join(w for w in words if w)


@dataclass(frozen=True)
class Puck:
    """A puck in the dewar: its position (1..N), name, barcode, type and pins."""

    index: int
    name: str = ""
    barcode: str = ""
    type: str = "unipuck"
    samples: tuple[Sample, ...] = field(default_factory=tuple)

    def sample(self, pin: int) -> Sample:
        """The sample at ``pin`` (1-based); ``ValueError`` for a pin it does not have."""
        if not 1 <= pin <= len(self.samples):
            raise ValueError(f"no pin {pin} in puck {self.index} (pins 1-{len(self.samples)})")
        return self.samples[pin - 1]


def robot_action(
    action: str, sample: Sample, started: float, ended: float, message: str, succeeded: bool
) -> dict[str, object]:
    """What ``robotActionEnded`` carries: ``action`` (``load`` / ``unload``), the
    sample's ``address`` and ``barcode``, ``started`` and ``ended`` (epoch seconds),
    ``status`` (``SUCCESS`` or ``ERROR``, ISPyB's words) and ``message`` (the failure's
    reason, empty on success)."""
    return {
        "action": action,
        "address": sample.address,
        "barcode": sample.barcode,
        "started": started,
        "ended": ended,
        "status": "SUCCESS" if succeeded and not message else "ERROR",
        "message": message,
    }


class SampleChanges(TypedDict, total=False):
    """The fields of a :class:`Sample` an implementation may change
    (:meth:`AbstractSampleChanger._update_sample`)."""

    barcode: str
    present: bool | None
    name: str
    protein_acronym: str
    loaded: bool
    has_been_loaded: bool


class PuckChanges(TypedDict, total=False):
    """The fields of a :class:`Puck` an implementation may change
    (:meth:`AbstractSampleChanger._update_puck`)."""

    name: str
    barcode: str
    type: str
    samples: tuple[Sample, ...]


class AbstractSampleChanger(HardwareObject, abc.ABC):
    """A sample changer: pucks and pins, load / unload / abort / reset / scan.

    Operations are checked at once, in the caller's thread: a refused one raises
    :class:`SampleChangerRefused` with the reason (``"sample changer is busy
    (Loading 2:03)"``, ``"no sample in 3:05 (the pin is empty)"``, ``"sample changer
    in Alarm: ...; reset first"``) and nothing moves. An accepted one returns a
    :class:`concurrent.futures.Future` at once; it fails with
    :class:`SampleChangerError` when the robot fails or is aborted.
    :meth:`why_not` gives the reason an operation would be refused, for a GUI to
    enable its buttons.

    Signals: ``scStateChanged(state, message)``, ``loadedSampleChanged(sample | None)``,
    ``contentsChanged()``, ``progressChanged(fraction 0..1, step text)``,
    ``stateChanged(HardwareObjectState)`` (see :func:`hardware_state`) and
    ``robotActionEnded(action dict)`` at the end of every load and unload that started
    (:func:`robot_action`: what sample tracking records), emitted here for every
    implementation.

    Implementations provide ``_load``, ``_unload``, ``_abort``, ``_reset`` and
    ``_scan``; ``_load`` / ``_unload`` / ``_reset`` / ``_scan`` are called with the
    operation lock held and must set the busy state before they return, so that a
    second call is refused. They report through :meth:`_set_sc_state`,
    :meth:`_set_contents`, :meth:`_update_sample`, :meth:`_set_loaded` and
    :meth:`_report_progress`.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = (
        "scStateChanged",
        "loadedSampleChanged",
        "contentsChanged",
        "progressChanged",
        "robotActionEnded",
    )
    interlocked = True

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._sc_state = SampleChangerState.Unknown
        self._status_message = ""
        self._pucks: tuple[Puck, ...] = ()
        self._loaded_address: str | None = None
        self._target_address: str | None = None
        self._op_lock = threading.RLock()
        self._contents_lock = threading.RLock()

    # reading --------------------------------------------------------------------------
    def get_sc_state(self) -> SampleChangerState:
        """The sample changer's own state."""
        return self._sc_state

    def get_status_message(self) -> str:
        """What the sample changer is doing, or why it stopped."""
        return self._status_message

    def get_contents(self) -> list[Puck]:
        """The pucks in position order (immutable snapshots; the list is a copy)."""
        return list(self._pucks)

    def get_target_address(self) -> str | None:
        """The sample the operation in progress is about (the one being loaded or
        unloaded), or ``None``."""
        return self._target_address

    def get_capacity(self) -> tuple[int, int]:
        """``(number of pucks, pins per puck)`` (the largest puck's pin count)."""
        pucks = self._pucks
        return len(pucks), max((len(p.samples) for p in pucks), default=0)

    def get_sample(self, address: str) -> Sample:
        """The sample at ``address``; ``ValueError`` for an address that does not exist."""
        puck, pin = parse_address(address)
        pucks = self._pucks
        if puck > len(pucks):
            raise ValueError(f"no puck {puck} (the sample changer has pucks 1-{len(pucks)})")
        return pucks[puck - 1].sample(pin)

    def get_loaded_sample(self) -> Sample | None:
        """The sample on the goniometer, or ``None``."""
        address = self._loaded_address
        return self.get_sample(address) if address else None

    # checks ---------------------------------------------------------------------------
    def why_not(self, operation: str, address: str | None = None) -> str | None:
        """Why ``operation`` (one of :data:`OPERATIONS`) would be refused now, or ``None``.

        ``address`` is the sample to load (``operation="load"`` only).
        """
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)}")
        state, message = self._sc_state, self._status_message
        if operation == "abort":
            return None if state in BUSY_STATES else "nothing to abort"
        if state in BUSY_STATES:
            return f"sample changer is busy ({message or state.name})"
        if operation == "reset":
            return "sample changer is disabled" if state is S.Disabled else None
        if state in (S.Alarm, S.Fault):
            return f"sample changer in {state.name}: {message or 'no reason given'}; reset first"
        if state not in IDLE_STATES:
            return f"sample changer is {state.name}"
        if operation == "unload":
            return None if self._loaded_address else "no sample is loaded"
        if operation == "load":
            if not address:
                return "no sample selected"
            try:
                sample = self.get_sample(address)
            except ValueError as exc:
                return str(exc)
            if sample.present is False:
                return f"no sample in {sample.address} (the pin is empty)"
            if sample.address == self._loaded_address:
                return f"{sample.address} is already loaded"
        return None

    def is_ready_for(self, operation: str, address: str | None = None) -> bool:
        """True when :meth:`why_not` has nothing against ``operation``."""
        return self.why_not(operation, address) is None

    def _refuse_unless_ready(self, operation: str, address: str | None = None) -> None:
        reason = self.why_not(operation, address)
        if reason is not None:
            raise SampleChangerRefused(reason)

    # operations -------------------------------------------------------------------------
    def load(self, address: str) -> Future[Any]:
        """Load the sample at ``address`` on the goniometer (unloading the one there first).

        Loading the sample that is already loaded returns a finished Future. The
        Future's result is the loaded :class:`Sample`.
        """
        self.check_interlock(f"{self.name}: loading {address}")
        with self._op_lock:
            try:
                sample = self.get_sample(address)
            except ValueError as exc:
                raise SampleChangerRefused(f"cannot load {address!r}: {exc}") from None
            if sample.address == self._loaded_address and self._sc_state in IDLE_STATES:
                return done(sample)
            self._refuse_unless_ready("load", sample.address)
            return self._tracked("load", sample, self._load(sample))

    def unload(self) -> Future[Any]:
        """Put the loaded sample back in its pin; the Future's result is that sample."""
        self.check_interlock(f"{self.name}: unloading")
        with self._op_lock:
            self._refuse_unless_ready("unload")
            loaded = self.get_loaded_sample()
            if loaded is None:  # why_not refuses an unload without a sample: never here
                raise SampleChangerRefused(f"{self.name}: no sample to unload")
            return self._tracked("unload", loaded, self._unload(loaded))

    def _tracked(self, action: str, sample: Sample, future: Future[Any]) -> Future[Any]:
        """``future`` of ``action`` on ``sample``, emitting ``robotActionEnded`` when it
        ends (from the thread that ends it)."""
        started = time.time()

        def ended(finished: Future[Any]) -> None:
            error = None if finished.cancelled() else finished.exception()
            message = "cancelled" if finished.cancelled() else str(error or "")
            try:  # the barcode read during the action, if it was
                now = self.get_sample(sample.address)
            except ValueError:
                now = sample
            self.emit(
                "robotActionEnded",
                robot_action(action, now, started, time.time(), message, error is None),
            )

        future.add_done_callback(ended)
        return future

    def abort(self) -> None:
        """Stop the operation in progress; nothing happens when there is none.

        The robot ends in a consistent state: the sample back in its pin (Ready), on the
        goniometer (Loaded), or in the gripper (Fault, the reason says so; reset
        recovers).
        """
        if self._sc_state in BUSY_STATES:
            self._abort()

    def reset(self) -> Future[Any]:
        """Clear an Alarm or Fault and bring the robot home (Ready or Loaded after)."""
        self.check_interlock(f"{self.name}: the reset")
        with self._op_lock:
            self._refuse_unless_ready("reset")
            return self._reset()

    def scan(self, puck: int | None = None) -> Future[Any]:
        """Read the barcodes of one puck (1-based) or of all; the Future gives
        ``{address: barcode}`` of the pins found holding a sample."""
        with self._op_lock:
            if puck is not None and not (
                isinstance(puck, int)
                and not isinstance(puck, bool)
                and 1 <= puck <= len(self._pucks)
            ):
                raise SampleChangerRefused(
                    f"cannot scan puck {puck!r}: the sample changer has pucks 1-{len(self._pucks)}"
                )
            self._refuse_unless_ready("scan")
            return self._scan(puck)

    @abc.abstractmethod
    def _load(self, sample: Sample) -> Future[Any]:
        """Start loading an already checked ``sample``."""

    @abc.abstractmethod
    def _unload(self, sample: Sample) -> Future[Any]:
        """Start unloading the loaded ``sample``."""

    @abc.abstractmethod
    def _abort(self) -> None:
        """Stop the operation in progress."""

    @abc.abstractmethod
    def _reset(self) -> Future[Any]:
        """Start a reset."""

    @abc.abstractmethod
    def _scan(self, puck: int | None) -> Future[Any]:
        """Start reading barcodes of ``puck`` (``None``: all)."""

    # for implementations -------------------------------------------------------------------
    def _set_sc_state(
        self, state: SampleChangerState, message: str = "", target: str | None = None
    ) -> None:
        """Change state and message; emit ``scStateChanged`` and ``stateChanged``.

        ``target`` is the address the operation is about (kept while busy only).
        """
        self._target_address = target if state in BUSY_STATES else None
        changed = (state, message) != (self._sc_state, self._status_message)
        self._sc_state, self._status_message = state, message
        if changed:
            self.emit("scStateChanged", state, message)
        self.set_state(hardware_state(state))

    def _report_progress(self, fraction: float, step: str) -> None:
        """Emit ``progressChanged`` with ``fraction`` clipped to 0..1."""
        self.emit("progressChanged", min(1.0, max(0.0, float(fraction))), step)

    def _set_contents(self, pucks: list[Puck]) -> None:
        """Replace all contents; emit ``contentsChanged``."""
        with self._contents_lock:
            self._pucks = tuple(pucks)
            loaded = [s.address for p in self._pucks for s in p.samples if s.loaded]
            self._loaded_address = loaded[0] if loaded else None
        self.emit("contentsChanged")

    def _update_sample(
        self, address: str, emit: bool = True, **changes: Unpack[SampleChanges]
    ) -> Sample:
        """Change fields of the sample at ``address``; emit ``contentsChanged``."""
        with self._contents_lock:
            old = self.get_sample(address)
            new = replace(old, **changes)
            puck = self._pucks[old.puck - 1]
            samples = list(puck.samples)
            samples[old.pin - 1] = new
            pucks = list(self._pucks)
            pucks[old.puck - 1] = replace(puck, samples=tuple(samples))
            self._pucks = tuple(pucks)
        if emit:
            self.emit("contentsChanged")
        return new

    def _update_puck(self, index: int, **changes: Unpack[PuckChanges]) -> Puck:
        """Change fields of puck ``index`` (1-based); emit ``contentsChanged``."""
        with self._contents_lock:
            pucks = list(self._pucks)
            pucks[index - 1] = replace(pucks[index - 1], **changes)
            self._pucks = tuple(pucks)
        self.emit("contentsChanged")
        return self._pucks[index - 1]

    def _set_loaded(self, address: str | None) -> None:
        """Record which sample is on the goniometer; emit ``contentsChanged`` and
        ``loadedSampleChanged``."""
        with self._contents_lock:
            previous = self._loaded_address
            if previous == address:
                return
            if previous:
                self._update_sample(previous, emit=False, loaded=False)
            if address:
                self._update_sample(address, emit=False, loaded=True, has_been_loaded=True)
            self._loaded_address = address
            sample = self.get_sample(address) if address else None
        self.emit("contentsChanged")
        self.emit("loadedSampleChanged", sample)
