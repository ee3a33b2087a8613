"""The simulated energy scan: a fluorescence signal with an edge step and a white line.

The signal of element ``X`` at an edge of table energy ``E_t`` (keV) is, per second at
100 % transmission::

    rate(E) = counts_per_second * (background + slope * (E - E0)
              + 0.5 + atan((E - E0) / core_width) / pi
              + white_line * exp(-((E - E0 - white_line_offset) / white_line_width)^2 / 2))

with ``E0 = E_t + edge_shift_ev`` (the sample's chemical shift: the scan finds the edge
where the sample has it, not where the table says), energies in eV inside the brackets.
Each point counts ``rate * count_time * transmission / 100`` with Poisson noise (a
fixed seed per scan run, so a scan is reproducible). The signal does not depend on the
crystal or on its position (a simplification: every simulated crystal holds every
element). :meth:`SimulatedEnergyScan.true_energies` gives the peak and inflection of the
noise-free curve, what an analysis should find.

The scan is a step scan: the energy object is moved to each point (and back to where
it was at the end), the transmission set first when there is one.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import threading
import zlib
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from hardware_objects.abstract.actuator import AbstractNumericActuator
from hardware_objects.abstract.energy import AbstractEnergy
from hardware_objects.abstract.energy_scan import (
    SCAN_STOPPED,
    AbstractEnergyScan,
    EnergyScanError,
    ScanParameters,
    analyse_scan,
    write_scan_file,
)
from hardware_objects.abstract.session import AbstractSession
from hardware_objects.abstract.transmission import AbstractTransmission
from hardware_objects.role_objects import optional_role_object, role_object
from mxgui.core.acquisition import PathTemplate
from mxgui.core.clock import REAL_CLOCK, Clock
from mxgui.core.hardware_object import HardwareObjectState, HOProperty

log = logging.getLogger(__name__)

#: seconds a move may take before the scan gives up
MOVE_TIMEOUT = 60.0


class _Stopped(Exception):
    """Raised inside the scan thread when a stop was asked."""


class SimulatedEnergyScan(AbstractEnergyScan):
    """Scans on the simulated beamline (see the module docstring for the signal).

    Roles: ``energy`` (required), ``transmission`` and ``session`` (the run number is
    recorded) when present. XML properties: ``counts_per_second``, ``background``,
    ``slope_per_ev``, ``core_width_ev``, ``white_line``, ``white_line_offset_ev``,
    ``white_line_width_ev``, ``edge_shift_ev``, plus the interface's. Counting and
    waiting take their time from ``clock`` (the real clock unless a test gives another).
    """

    clock: Clock = REAL_CLOCK

    REQUIRED_ROLES: ClassVar[tuple[str, ...]] = ("energy",)
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "counts_per_second": HOProperty(float, 2.0e5, "fluorescence above the edge, counts/s"),
        "background": HOProperty(float, 0.15, "pre-edge level, fraction of the edge step"),
        "slope_per_ev": HOProperty(float, -2.0e-4, "pre- and post-edge slope, per eV"),
        "core_width_ev": HOProperty(float, 1.2, "width of the edge step (arctan), eV"),
        "white_line": HOProperty(float, 0.6, "white-line height, fraction of the edge step"),
        "white_line_offset_ev": HOProperty(float, 2.5, "white line above the edge, eV"),
        "white_line_width_ev": HOProperty(float, 2.0, "white-line sigma, eV"),
        "edge_shift_ev": HOProperty(float, 1.3, "the sample's edge above the table's, eV"),
    }

    def init(self) -> None:
        super().init()
        if self.get_object_by_role("energy") is None:
            raise self.config_error('role "energy" is required (the monochromator to step)')
        for name in ("counts_per_second", "core_width_ev", "white_line_width_ev"):
            if not self.get_property(name) > 0:
                raise self.config_error(f"{name} must be above 0", name)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.set_state(HardwareObjectState.READY)

    # the signal ---------------------------------------------------------------------------
    def rate(self, energies_kev: npt.ArrayLike, element: str, edge: str) -> np.ndarray:
        """Counts per second at 100 % transmission, noise-free, at ``energies_kev``."""
        p = self.get_property
        e0 = self.get_edge_energy(element, edge) * 1000.0 + p("edge_shift_ev")
        e = np.asarray(energies_kev, dtype=float) * 1000.0 - e0
        step = 0.5 + np.arctan(e / p("core_width_ev")) / math.pi
        line = p("white_line") * np.exp(
            -0.5 * ((e - p("white_line_offset_ev")) / p("white_line_width_ev")) ** 2
        )
        level = p("background") + p("slope_per_ev") * e + step + line
        return p("counts_per_second") * np.maximum(level, 0.0)

    def true_energies(self, element: str, edge: str) -> dict[str, float]:
        """Peak and inflection (keV) of the noise-free signal, on a 0.01 eV grid."""
        e0 = self.get_edge_energy(element, edge) + self.get_property("edge_shift_ev") / 1000.0
        grid = e0 + np.arange(-30000, 30001) * 1e-6
        signal = self.rate(grid, element, edge)
        slope = np.gradient(signal, grid)
        top = (grid >= grid[np.argmax(slope)]) & (grid <= grid[np.argmax(slope)] + 0.015)
        return {
            "inflection": float(grid[np.argmax(slope)]),
            "peak": float(grid[top][np.argmax(signal[top])]),
        }

    # the interface ------------------------------------------------------------------------
    def _start_scan(self, parameters: ScanParameters, path: PathTemplate) -> Future[dict[str, Any]]:
        target = Path(path.directory) / self.scan_file_name(path)
        if target.exists():
            raise ValueError(
                f"{target} exists: run {path.run_number} of {path.prefix!r} was used already "
                "and is never overwritten"
            )
        low, high = role_object(self, "energy", AbstractEnergy).get_limits()
        if parameters.start_energy < low or parameters.end_energy > high:
            raise ValueError(
                f"{self.username}: {parameters.start_energy:g}..{parameters.end_energy:g} keV "
                f"is outside the energy's limits {low:g}..{high:g} keV"
            )
        with self._lock:
            if self._thread is not None:
                raise RuntimeError(f"{self.username}: a scan is already running")
            future: Future[dict[str, Any]] = Future()
            future.set_running_or_notify_cancel()
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run,
                args=(parameters, path, target, self._stop, future),
                name=f"energy scan {path.run_prefix}",
                daemon=True,
            )
            self.set_state(HardwareObjectState.BUSY)
            self._thread.start()
        return future

    def stop_energy_scan(self) -> None:
        self._stop.set()

    def is_scanning(self) -> bool:
        return self._thread is not None

    def shutdown(self) -> None:
        self.stop_energy_scan()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)

    # the worker ---------------------------------------------------------------------------
    def _run(
        self,
        parameters: ScanParameters,
        path: PathTemplate,
        target: Path,
        stop: threading.Event,
        future: Future[dict[str, Any]],
    ) -> None:
        energy = role_object(self, "energy", AbstractEnergy)
        before = energy.get_value()
        self.emit("scanStarted", parameters.to_dict())
        try:
            result = self._scan(parameters, path, target, stop)
        except _Stopped:
            self._finish(energy, before, future, EnergyScanError(SCAN_STOPPED))
        except EnergyScanError as exc:
            self._finish(energy, before, future, exc)
        except Exception as exc:  # a bug or an unforeseen hardware error: report, never hang
            log.exception("%s: scan failed", self.username)
            self._finish(energy, before, future, EnergyScanError(f"{type(exc).__name__}: {exc}"))
        else:
            self._finish(energy, before, future, None)
            self.emit("scanFinished", result)
            future.set_result(result)

    def _finish(
        self,
        energy: AbstractEnergy,
        before: float | None,
        future: Future[dict[str, Any]],
        error: Exception | None,
    ) -> None:
        if before is not None:
            try:
                energy.set_value(before, timeout=MOVE_TIMEOUT)
            except Exception as exc:  # the scan's result stands; the move back is logged
                log.warning("%s: moving the energy back failed: %s", self.username, exc)
        with self._lock:
            self._thread = None
        self.set_state(HardwareObjectState.READY)
        if error is not None:
            log.warning("%s: %s", self.username, error)
            self.emit("scanFailed", str(error))
            future.set_exception(error)

    def _move(
        self, actuator: AbstractNumericActuator, value: float, stop: threading.Event, what: str
    ) -> None:
        try:
            moving = actuator.set_value(value)
        except ValueError as exc:
            raise EnergyScanError(f"{what}: {exc}") from None
        clock = self.clock
        deadline = clock.now() + MOVE_TIMEOUT
        while not moving.done():
            if clock.wait(stop, 0.005):
                actuator.abort()
                raise _Stopped()
            if clock.now() > deadline:
                raise EnergyScanError(f"{what}: no answer after {MOVE_TIMEOUT:g} s")
        if moving.exception() is not None:
            raise EnergyScanError(f"{what} failed: {moving.exception()}")

    def _scan(
        self, parameters: ScanParameters, path: PathTemplate, target: Path, stop: threading.Event
    ) -> dict[str, Any]:
        p = parameters
        transmission = optional_role_object(self, "transmission", AbstractTransmission)
        if transmission is not None:
            self._move(transmission, p.transmission, stop, f"transmission {p.transmission:g}")
        energy = role_object(self, "energy", AbstractEnergy)
        seed = zlib.crc32(f"{path.directory}/{path.run_prefix}".encode())
        rng = np.random.default_rng(seed)
        rates = self.rate(p.energies(), p.element, p.edge)
        scale = p.count_time * p.transmission / 100.0
        energies: list[float] = []
        counts: list[int] = []
        for point, rate in zip(p.energies(), rates):
            self._move(energy, float(point), stop, f"energy {point:.4f} keV")
            if self.clock.wait(stop, p.count_time):
                raise _Stopped()
            count = int(rng.poisson(rate * scale))
            energies.append(round(float(point), 6))
            counts.append(count)
            self.emit("scanPoint", energies[-1], count)
        try:
            analysis = analyse_scan(
                energies,
                counts,
                self.get_property("remote_offset_ev"),
                self.get_property("smoothing_ev"),
            )
        except ValueError as exc:
            raise EnergyScanError(str(exc)) from None
        edge_energy = self.get_edge_energy(p.element, p.edge)
        header = {**p.to_dict(), **analysis.to_dict(), "edge_energy": edge_energy}
        try:
            write_scan_file(target, energies, counts, header)
        except OSError as exc:
            raise EnergyScanError(f"writing {target} failed: {exc}") from None
        session = optional_role_object(self, "session", AbstractSession)
        if session is not None:
            session.record_run_number(path.directory, path.prefix, path.run_number)
        return {
            **dataclasses.asdict(p),
            **analysis.to_dict(),
            "edge_energy": edge_energy,
            "energies": energies,
            "counts": counts,
            "file": str(target),
        }
