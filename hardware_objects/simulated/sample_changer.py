"""A simulated sample changer: a dewar of uni-pucks, a robot with realistic timings.

Every duration below is in seconds of a real robot; the XML ``speed_factor`` multiplies
them all (1.0: real time, a load takes 33 s; 0.1: a load of about 3 s, pleasant in the
GUI; 0.001: tests).
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any, ClassVar, Protocol, runtime_checkable

from hardware_objects.abstract.sample_changer import (
    AbstractSampleChanger,
    Puck,
    Sample,
    SampleChangerError,
    SampleChangerState,
)
from mxgui.core.clock import REAL_CLOCK, Clock
from mxgui.core.hardware_object import HOProperty
from mxgui.core.words import counted

log = logging.getLogger(__name__)
S = SampleChangerState

#: (step, seconds) of a load; ``{puck}`` and ``{address}`` are filled in
LOAD_STEPS = (
    ("move to puck {puck}", 8.0),
    ("pick {address}", 5.0),
    ("move to goniometer", 10.0),
    ("place {address} on goniometer", 5.0),
    ("retreat", 5.0),
)
UNLOAD_STEPS = (
    ("move to goniometer", 8.0),
    ("pick {address} from goniometer", 5.0),
    ("move to puck {puck}", 10.0),
    ("place {address} in its pin", 5.0),
    ("retreat", 4.0),
)
RESET_STEPS = (("acknowledge alarm", 1.0), ("home gripper", 4.0), ("check dewar", 2.0))
#: a sample left in the gripper is put back during a reset
RETURN_TO_PIN = ("return {address} to its pin", 8.0)
SCAN_MOVE = ("move to puck {puck}", 2.0)
SCAN_PIN = ("read barcode {address}", 0.3)
#: wall-clock period of progress reports during a step
PROGRESS_PERIOD = 0.05
PROTEINS = ("HEWL", "Thaum", "Insulin", "ProtK", "FAE", "Trypsin", "GlcIso", "Ferritin")
FAULT_KINDS = ("empty_pin", "gripper_alarm")
DEFAULT_ALARM = "gripper alarm: collision detected during pick"


def load_duration(speed_factor: float = 1.0) -> float:
    """Seconds a load of an empty goniometer takes at ``speed_factor``."""
    return speed_factor * sum(seconds for _, seconds in LOAD_STEPS)


@runtime_checkable
class MountedSampleSource(Protocol):
    """A diffractometer that says which sample is on it (the simulated one): the
    changer starts with that sample loaded."""

    name: str

    def get_mounted_sample(self) -> str | None: ...


@runtime_checkable
class MountedSampleListener(Protocol):
    """A diffractometer told the sample on it after each transfer (the simulated one)."""

    def set_mounted_sample(self, address: str | None) -> None: ...


@runtime_checkable
class PhaseSetter(Protocol):
    """A diffractometer with phases: ``Transfer`` during a transfer, ``Centring`` after."""

    def set_phase(self, phase: str) -> Future[Any]: ...


class _Aborted(Exception):
    """Raised inside a running operation when abort was asked."""

    def __init__(self, step: str) -> None:
        super().__init__(step)
        self.step = step


class _Run:
    """One operation in its worker thread: timed steps, progress (told to ``report``),
    abort between slices."""

    def __init__(
        self,
        changer: SimulatedSampleChanger,
        total_seconds: float,
        report: Callable[[float, str], None],
    ) -> None:
        self.changer = changer
        self.report = report
        self.total = max(total_seconds, 1e-9)
        self.done = 0.0
        self.aborted = threading.Event()
        self.step_text = ""
        self.clock = changer.clock

    def step(self, text: str, seconds: float) -> None:
        """Spend ``seconds`` (real-robot seconds) on ``text``, reporting progress."""
        self.step_text = text
        speed = self.changer.speed_factor
        wall = seconds * speed
        start = self.clock.now()
        while True:
            elapsed = min(self.clock.now() - start, wall)
            self.report((self.done + elapsed / speed) / self.total, text)
            if elapsed >= wall:
                break
            if self.clock.wait(self.aborted, min(PROGRESS_PERIOD, wall - elapsed)):
                raise _Aborted(text)
        self.done += seconds
        if self.aborted.is_set():
            raise _Aborted(text)

    def wait_for(self, future: Future[Any], what: str, timeout: float = 120.0) -> None:
        """Wait for another object's Future, abortable; ``SampleChangerError`` if it fails."""
        deadline = self.clock.now() + timeout
        while not future.done():
            if self.clock.wait(self.aborted, 0.01):
                raise _Aborted(what)
            if self.clock.now() > deadline:
                raise SampleChangerError(f"{what}: no answer after {timeout:g} s")
        if future.exception() is not None:
            raise SampleChangerError(f"{what} failed: {future.exception()}")


class SimulatedSampleChanger(AbstractSampleChanger):
    """A robot and dewar of uni-pucks with seeded contents and injectable faults.

    XML properties: ``number_of_pucks`` (5), ``pins_per_puck`` (16), ``speed_factor``
    (multiplies every duration; 1.0 is real time), ``seed`` (the contents: which pins
    are empty, barcodes, proteins), ``empty_fraction``, ``loaded_sample`` (mounted at
    start; empty: the one the diffractometer says is mounted, if any).
    Optional role ``diffractometer``: put in the ``Transfer`` phase during a transfer
    (back to ``Centring`` after a load) and told the mounted sample
    (``set_mounted_sample``), when it has those methods.

    For tests: :meth:`inject_fault` (``"empty_pin"``, ``"gripper_alarm"``), and
    ``clock``: the steps take their time from it (the real clock by default).
    """

    clock: Clock = REAL_CLOCK

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "number_of_pucks": HOProperty(int, 5, "pucks in the dewar"),
        "pins_per_puck": HOProperty(int, 16, "pins per puck (16 for a uni-puck)"),
        "speed_factor": HOProperty(float, 1.0, "multiplies every duration (1.0: real time)"),
        "seed": HOProperty(int, 1, "seed of the simulated contents"),
        "empty_fraction": HOProperty(float, 0.1, "share of empty pins in the full pucks"),
        "loaded_sample": HOProperty(
            str, "", "sample on the goniometer at start (empty: the diffractometer's, if any)"
        ),
    }

    def init(self) -> None:
        pucks, pins = self.get_property("number_of_pucks"), self.get_property("pins_per_puck")
        if not 1 <= pucks <= 30:
            raise self.config_error(
                f"number_of_pucks must be 1..30, got {pucks}", "number_of_pucks"
            )
        if not 1 <= pins <= 16:
            raise self.config_error(f"pins_per_puck must be 1..16, got {pins}", "pins_per_puck")
        if not 0 < self.get_property("speed_factor") <= 100:
            raise self.config_error(
                f"speed_factor must be above 0, got {self.get_property('speed_factor')}",
                "speed_factor",
            )
        if not 0 <= self.get_property("empty_fraction") <= 1:
            raise self.config_error("empty_fraction must be 0..1", "empty_fraction")
        self.speed_factor = self.get_property("speed_factor")
        self._thread: threading.Thread | None = None
        self._run: _Run | None = None
        self._gripper: str | None = None  # the address of the sample in the gripper
        self._alarm: str | None = None  # an injected alarm waiting for the next pick
        self._truth: dict[str, bool] = {}  # which pins really hold a sample
        self._set_contents(self._seed_contents(pucks, pins))
        self._truth = {s.address: bool(s.present) for p in self._pucks for s in p.samples}
        loaded = self._initial_sample()
        if loaded is None:
            self._set_sc_state(S.Ready, "Ready")
            return
        if not loaded.present:
            self._update_sample(loaded.address, present=True)
        self._truth[loaded.address] = False  # the pin is empty: its sample is mounted
        self._set_loaded(loaded.address)
        self._tell_diffractometer(loaded.address)
        self._set_sc_state(S.Loaded, f"Loaded {loaded.describe()}")

    def _initial_sample(self) -> Sample | None:
        """The sample mounted at start: ``loaded_sample``, else the diffractometer's."""
        address = self.get_property("loaded_sample").strip()
        where = "loaded_sample"
        diffractometer = self.get_object_by_role("diffractometer")
        if not address and isinstance(diffractometer, MountedSampleSource):
            address = diffractometer.get_mounted_sample() or ""
            where = f"the sample mounted on {diffractometer.name}"
        if not address:
            return None
        try:
            return self.get_sample(address)
        except ValueError as exc:
            raise self.config_error(f"{where}: {exc}", "loaded_sample") from None

    def _seed_contents(self, count: int, pins: int) -> list[Puck]:
        rng = random.Random(self.get_property("seed"))
        empty = self.get_property("empty_fraction")
        pucks = []
        for index in range(1, count + 1):
            protein = rng.choice(PROTEINS)
            code = f"UP{rng.randrange(10**5):05d}"
            samples = []
            for pin in range(1, pins + 1):
                # the last puck of a shipment is rarely full
                present = rng.random() >= empty and not (index == count > 1 and pin > 9)
                samples.append(
                    Sample(
                        puck=index,
                        pin=pin,
                        barcode=f"DM{rng.randrange(10**7):07d}" if present else "",
                        present=present,
                        name=f"{protein}-{chr(64 + index)}{pin:02d}" if present else "",
                        protein_acronym=protein if present else "",
                    )
                )
            pucks.append(Puck(index, name=code, barcode=code, samples=tuple(samples)))
        return pucks

    # faults (tests) ------------------------------------------------------------------------
    def inject_fault(
        self, kind: str, address: str | None = None, message: str | None = None
    ) -> None:
        """Make the next operation meet a fault, for tests and demonstrations.

        ``"empty_pin"``: the pin at ``address`` holds nothing, although the contents
        say it does; a load finds it out when picking. ``"gripper_alarm"``: the next
        pick (load or unload) stops in Alarm with ``message``.
        """
        if kind == "empty_pin":
            if address is None:
                raise ValueError('inject_fault("empty_pin") needs an address, e.g. "3:05"')
            self._truth[self.get_sample(address).address] = False
        elif kind == "gripper_alarm":
            self._alarm = message or DEFAULT_ALARM
        else:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")

    def clear_faults(self) -> None:
        """Forget a pending gripper alarm (pins found empty stay empty)."""
        self._alarm = None

    # operations ----------------------------------------------------------------------------
    def _load(self, sample: Sample) -> Future[Any]:
        previous = self.get_loaded_sample()
        total = _seconds(LOAD_STEPS) + (_seconds(UNLOAD_STEPS) if previous else 0.0)

        def job(run: _Run) -> Sample:
            self._diffractometer_phase(run, "Transfer")
            if previous is not None:
                self._unload_steps(run, previous, prefix=f"unload {previous.address}: ")
            self._load_steps(run, sample)
            self._diffractometer_phase(run, "Centring", required=False)
            loaded = self.get_sample(sample.address)
            self._settle(f"Loaded {loaded.describe()}")
            return loaded

        return self._start(
            S.Loading,
            f"Loading {sample.address}",
            f"load of {sample.address}",
            job,
            total,
            target=sample.address,
        )

    def _unload(self, sample: Sample) -> Future[Any]:
        def job(run: _Run) -> Sample:
            self._diffractometer_phase(run, "Transfer")
            self._unload_steps(run, sample)
            self._settle(f"Ready: {sample.address} unloaded")
            return self.get_sample(sample.address)

        return self._start(
            S.Unloading,
            f"Unloading {sample.address}",
            f"unload of {sample.address}",
            job,
            _seconds(UNLOAD_STEPS),
            target=sample.address,
        )

    def _load_steps(self, run: _Run, sample: Sample) -> None:
        fill = {"puck": sample.puck, "address": sample.address}
        (move, t_move), (pick, t_pick), (to_gonio, t_gonio), (place, t_place), (back, t_back) = (
            (text.format(**fill), seconds) for text, seconds in LOAD_STEPS
        )
        run.step(move, t_move)
        run.step(pick, t_pick / 2)
        self._check_alarm(sample.address)
        if not self._truth.get(sample.address, True):
            self._update_sample(sample.address, present=False, barcode="")
            message = f"no sample in {sample.address}"
            self._settle(f"load failed: {message}")
            raise SampleChangerError(message)
        run.step(pick, t_pick / 2)
        self._gripper = sample.address
        self._truth[sample.address] = False
        run.step(to_gonio, t_gonio)
        run.step(place, t_place)
        self._gripper = None
        self._set_loaded(sample.address)
        self._tell_diffractometer(sample.address)
        run.step(back, t_back)

    def _unload_steps(self, run: _Run, sample: Sample, prefix: str = "") -> None:
        fill = {"puck": sample.puck, "address": sample.address}
        (to_gonio, t_gonio), (pick, t_pick), (move, t_move), (place, t_place), (back, t_back) = (
            (prefix + text.format(**fill), seconds) for text, seconds in UNLOAD_STEPS
        )
        run.step(to_gonio, t_gonio)
        run.step(pick, t_pick / 2)
        self._check_alarm(sample.address)
        run.step(pick, t_pick / 2)
        self._gripper = sample.address
        self._set_loaded(None)
        self._tell_diffractometer(None)
        run.step(move, t_move)
        run.step(place, t_place)
        self._gripper = None
        self._truth[sample.address] = True
        run.step(back, t_back)

    def _check_alarm(self, address: str) -> None:
        """Raise the injected gripper alarm (once): the robot stops in Alarm."""
        alarm, self._alarm = self._alarm, None
        if alarm:
            if alarm is DEFAULT_ALARM:
                alarm = f"{alarm} of {address}"
            self._set_sc_state(S.Alarm, alarm)
            raise SampleChangerError(alarm)

    def _reset(self) -> Future[Any]:
        steps = list(RESET_STEPS)
        if self._gripper:
            text, seconds = RETURN_TO_PIN
            steps.insert(2, (text.format(address=self._gripper), seconds))

        def job(run: _Run) -> None:
            for text, seconds in steps:
                run.step(text, seconds)
                if text.startswith("return ") and self._gripper:
                    self._truth[self._gripper] = True
                    self._gripper = None
            self._settle(f"{self._idle_word()}: reset done")

        return self._start(S.Resetting, "Resetting", "reset", job, _seconds(steps))

    def _scan(self, puck: int | None) -> Future[Any]:
        pucks = [puck] if puck else [p.index for p in self._pucks]
        pins = sum(len(self._pucks[i - 1].samples) for i in pucks)
        total = len(pucks) * SCAN_MOVE[1] + pins * SCAN_PIN[1]
        skip = {self._loaded_address, self._gripper}

        def job(run: _Run) -> dict[str, str]:
            found: dict[str, str] = {}
            for index in pucks:
                run.step(SCAN_MOVE[0].format(puck=index), SCAN_MOVE[1])
                for sample in self._pucks[index - 1].samples:
                    run.step(SCAN_PIN[0].format(address=sample.address), SCAN_PIN[1])
                    if sample.address in skip:
                        continue
                    present = self._truth.get(sample.address, False)
                    barcode = (sample.barcode or _barcode(sample.address)) if present else ""
                    self._update_sample(sample.address, present=present, barcode=barcode)
                    if present:
                        found[sample.address] = barcode
            what = f"puck {puck}" if puck else "all pucks"
            self._settle(
                f"{self._idle_word()}: scanned {what}, {counted(len(found), 'sample')} found"
            )
            return found

        message = f"Scanning puck {puck}" if puck else "Scanning all pucks"
        return self._start(S.Scanning, message, "scan", job, total)

    def _abort(self) -> None:
        run = self._run
        if run is not None:
            run.aborted.set()

    # running -------------------------------------------------------------------------------
    def _start(
        self,
        state: SampleChangerState,
        message: str,
        what: str,
        job: Callable[[_Run], object],
        total: float,
        target: str | None = None,
    ) -> Future[object]:
        future: Future[object] = Future()
        future.set_running_or_notify_cancel()
        run = _Run(self, total, self._report_progress)
        self._run = run
        self._set_sc_state(state, message, target)
        self._report_progress(0.0, "starting")
        self._thread = threading.Thread(
            target=self._work,
            args=(job, run, future, what),
            name=f"sample changer: {what}",
            daemon=True,
        )
        self._thread.start()
        return future

    def _work(
        self, job: Callable[[_Run], object], run: _Run, future: Future[object], what: str
    ) -> None:
        try:
            result = job(run)
        except _Aborted as exc:
            message = self._settle(f"{what} aborted during '{exc.step}'")
            self._report_progress(run.done / run.total, f"{what} aborted")
            future.set_exception(SampleChangerError(message))
        except SampleChangerError as exc:
            if self.get_sc_state() not in (S.Alarm, S.Fault, S.Ready, S.Loaded):
                self._settle(f"{what} failed: {exc}")
            self._report_progress(run.done / run.total, f"{what} failed")
            future.set_exception(exc)
        except Exception as exc:
            log.exception("simulated sample changer: %s failed", what)
            message = f"{what} failed: {type(exc).__name__}: {exc}"
            self._set_sc_state(S.Fault, message)
            future.set_exception(SampleChangerError(message))
        else:
            self._report_progress(1.0, f"{what} done")
            future.set_result(result)

    def _idle_word(self) -> str:
        return "Loaded" if self._loaded_address else "Ready"

    def _settle(self, note: str) -> str:
        """End an operation in the state matching where the sample is; the message."""
        if self._gripper:
            message = f"{note}, with {self._gripper} in the gripper: reset puts it back"
            self._set_sc_state(S.Fault, message)
        else:
            message = note
            self._set_sc_state(S.Loaded if self._loaded_address else S.Ready, note)
        return message

    # the diffractometer -----------------------------------------------------------------------
    def _diffractometer_phase(self, run: _Run, phase: str, required: bool = True) -> None:
        diffractometer = self.get_object_by_role("diffractometer")
        if not isinstance(diffractometer, PhaseSetter):
            return
        try:
            result = diffractometer.set_phase(phase)
            if isinstance(result, Future):
                run.wait_for(result, f"diffractometer phase {phase}")
        except _Aborted:
            raise
        except Exception as exc:
            if required:
                raise SampleChangerError(
                    f"the diffractometer could not go to the {phase} phase: {exc}"
                ) from exc
            log.warning("%s: diffractometer phase %s failed: %s", self.name, phase, exc)

    def _tell_diffractometer(self, address: str | None) -> None:
        diffractometer = self.get_object_by_role("diffractometer")
        if isinstance(diffractometer, MountedSampleListener):
            try:
                diffractometer.set_mounted_sample(address)
            except Exception:
                log.exception("%s: telling the diffractometer about %s failed", self.name, address)

    def shutdown(self) -> None:
        self._abort()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)


def _seconds(steps: Iterable[tuple[str, float]]) -> float:
    return sum(seconds for _, seconds in steps)


def _barcode(address: str) -> str:
    puck, _, pin = address.partition(":")
    return f"DM{int(puck):03d}{int(pin):04d}"
