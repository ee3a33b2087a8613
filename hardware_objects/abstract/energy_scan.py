"""The energy-scan interface: fluorescence across an absorption edge, and the energies
a MAD or SAD collection wants (peak, inflection, remote).

A scan steps the monochromator from ``start_energy`` to ``end_energy`` (keV) by
``step_ev`` and counts the sample's fluorescence for ``count_time`` seconds at each
point. :func:`analyse_scan` then finds, on the smoothed curve:

- the **inflection** (f' minimum): the energy of the steepest rise, the maximum of the
  derivative, refined by a parabola through the three points around it;
- the **peak** (f'' maximum): the top of the white line, the highest point within
  :data:`PEAK_WINDOW_EV` above the inflection, refined the same way;
- the **remote**: ``remote_offset_ev`` above the inflection (clear of the edge).

Smoothing is a Gaussian of ``smoothing_ev`` (default 1.5 eV); a scan whose jump
across the edge is below 5 times the noise has no edge (``ValueError``: no Se in the
crystal, or the crystal is not in the beam).
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mxgui.core.acquisition import PathTemplate
from mxgui.core.hardware_object import HardwareObject, HOProperty
from mxgui.core.new_files import write_new_file
from mxgui.core.queue.schemas import EDGES

#: the peak is looked for this far above the inflection, eV
PEAK_WINDOW_EV = 15.0
#: the reason given when the user stops a scan
SCAN_STOPPED = "stopped by user"


class EnergyScanError(RuntimeError):
    """A scan that started and then failed or was stopped (set on its Future)."""


@dataclass(frozen=True)
class ScanParameters:
    """What to scan: the edge, the range (keV), the step (eV), per-point counting (s)
    and the transmission (%)."""

    element: str = "Se"
    edge: str = "K"
    start_energy: float = 12.608
    end_energy: float = 12.708
    step_ev: float = 1.0
    count_time: float = 1.0
    transmission: float = 10.0

    def energies(self) -> np.ndarray:
        """The scan points, keV, from start to end (end included when on a step)."""
        span_ev = (self.end_energy - self.start_energy) * 1000.0
        count = int(math.floor(span_ev / self.step_ev + 1e-6))
        return self.start_energy + np.arange(count + 1) * self.step_ev / 1000.0

    def to_dict(self) -> dict[str, Any]:
        """Plain types."""
        return asdict(self)


@dataclass(frozen=True)
class ScanAnalysis:
    """The energies chosen from a scan (keV), the edge jump and the noise (counts)."""

    peak: float
    inflection: float
    remote: float
    edge_jump: float
    noise: float

    def to_dict(self) -> dict[str, Any]:
        """Plain types."""
        return asdict(self)


def smooth(values: np.ndarray, sigma_points: float) -> np.ndarray:
    """Gaussian smoothing of evenly spaced ``values`` (ends reflected)."""
    if sigma_points <= 0.3:
        return values.astype(float)
    half = max(int(math.ceil(3 * sigma_points)), 1)
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma_points) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(values.astype(float), half, mode="reflect")
    return np.convolve(padded, kernel, mode="valid")


def _refine(x: np.ndarray, y: np.ndarray, i: int) -> float:
    """The top of the parabola through points ``i - 1, i, i + 1`` (``x[i]`` at an end)."""
    if i <= 0 or i >= len(x) - 1:
        return float(x[i])
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    denominator = y0 - 2 * y1 + y2
    if denominator >= 0:
        return float(x[i])
    shift = 0.5 * (y0 - y2) / denominator
    return float(x[i] + shift * (x[i + 1] - x[i - 1]) / 2)


def analyse_scan(
    energies: Sequence[float],
    counts: Sequence[float],
    remote_offset_ev: float = 100.0,
    smoothing_ev: float = 1.5,
) -> ScanAnalysis:
    """Peak, inflection and remote of a fluorescence scan (see the module docstring).

    Raises ``ValueError`` for fewer than 10 points, uneven steps, or no edge.
    """
    e = np.asarray(energies, dtype=float) * 1000.0  # eV
    c = np.asarray(counts, dtype=float)
    if len(e) < 10 or len(e) != len(c):
        raise ValueError(f"a scan needs at least 10 points with counts, got {len(e)}")
    order = np.argsort(e)
    e, c = e[order], c[order]
    steps = np.diff(e)
    step = float(np.median(steps))
    if step <= 0 or np.any(np.abs(steps - step) > 0.01 * step + 1e-6):
        raise ValueError("the scan points must be evenly spaced")
    smoothed = smooth(c, smoothing_ev / step)
    slope = np.gradient(smoothed, e)
    rising = int(np.argmax(slope))
    inflection = _refine(e, slope, rising)
    tenth = max(len(c) // 10, 3)
    noise = float(np.std(np.diff(c[:tenth])) / math.sqrt(2.0)) if tenth > 2 else 0.0
    jump = float(np.mean(smoothed[-tenth:]) - np.mean(smoothed[:tenth]))
    if jump <= 5.0 * max(noise, 1e-12):
        raise ValueError(
            f"no absorption edge in the scan: the jump ({jump:.0f} counts) is below 5 times "
            f"the noise ({noise:.0f} counts)"
        )
    window = (e >= e[rising]) & (e <= e[rising] + PEAK_WINDOW_EV)
    candidates = np.nonzero(window)[0]
    top = int(candidates[np.argmax(smoothed[candidates])])
    peak = _refine(e, smoothed, top)
    return ScanAnalysis(
        peak=round(peak / 1000.0, 5),
        inflection=round(inflection / 1000.0, 5),
        remote=round((inflection + remote_offset_ev) / 1000.0, 5),
        edge_jump=jump,
        noise=noise,
    )


def write_scan_file(
    target: str | Path,
    energies: Sequence[float],
    counts: Sequence[float],
    header: Mapping[str, object],
) -> Path:
    """Write a two-column text file (energy keV, counts) with ``# key: value`` header
    lines; atomically, never over an existing file (``FileExistsError``)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"# {key}: {value}" for key, value in header.items()]
    lines.append("# energy_kev counts")
    lines += [f"{energy:.5f} {count:g}" for energy, count in zip(energies, counts)]
    return write_new_file(target, ("\n".join(lines) + "\n").encode("utf-8"))


class AbstractEnergyScan(HardwareObject):
    """Energy scans across an absorption edge, one at a time, in a worker thread.

    :meth:`start_energy_scan` returns a Future at once; it ends with a dict: the
    parameters, ``energies`` and ``counts`` (lists), ``peak``, ``inflection`` and
    ``remote`` (keV), ``edge_energy`` (the table's), ``edge_jump``, ``noise`` and
    ``file`` (the data written); or fails with :class:`EnergyScanError`.

    The edges table is ``EDGES`` of the queue (element, edge) -> keV, with
    ``<edge element="Se" name="K" energy="12.658"/>`` elements of the XML added or
    changing energies.

    Signals: ``scanStarted(parameters dict)``, ``scanPoint(energy_kev, counts)`` as
    each point is counted, ``scanFinished(result dict)``, ``scanFailed(reason)``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("scanStarted", "scanPoint", "scanFinished", "scanFailed")
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "username": HOProperty(str, "Energy scan", "name shown to the user"),
        "remote_offset_ev": HOProperty(float, 100.0, "remote energy above the inflection, eV"),
        "smoothing_ev": HOProperty(float, 1.5, "Gaussian smoothing of the analysis, eV"),
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        #: (element, edge) -> keV: ``EDGES`` with the XML's edges (read by :meth:`init`)
        self._edges: dict[tuple[str, str], float] = dict(EDGES)

    def init(self) -> None:
        edges = dict(EDGES)
        for node in self.get_nodes("edge"):
            attrs = node.attributes
            try:
                key = (attrs["element"].strip(), attrs["name"].strip())
                edges[key] = float(attrs["energy"])
            except (KeyError, ValueError):
                raise node.error(
                    '<edge>: expected element="Se" name="K" energy="12.658" (keV)'
                ) from None
        self._edges = edges

    @property
    def username(self) -> str:
        return self.get_property("username") or self.name.strip("/")

    def get_edges(self) -> dict[tuple[str, str], float]:
        """``(element, edge) -> keV`` of the edges this object knows."""
        return dict(self._edges)

    def get_edge_energy(self, element: str, edge: str) -> float:
        """The energy of an edge, keV; ``ValueError`` listing the known ones."""
        edges = self.get_edges()
        try:
            return edges[(element, edge)]
        except KeyError:
            known = ", ".join(f"{e} {k}" for e, k in edges)
            raise ValueError(f"{element} {edge} is not a known edge (known: {known})") from None

    def problems(self, parameters: ScanParameters) -> list[str]:
        """What is wrong with ``parameters`` (the edge within the range, a positive
        step and counting time, transmission 0-100 %)."""
        p = parameters
        found = []
        try:
            edge = self.get_edge_energy(p.element, p.edge)
        except ValueError as exc:
            return [str(exc)]
        if not p.start_energy < edge < p.end_energy:
            found.append(
                f"{p.start_energy:g}..{p.end_energy:g} keV does not contain the "
                f"{p.element} {p.edge} edge at {edge:g} keV"
            )
        if not p.step_ev > 0:
            found.append(f"step_ev: {p.step_ev:g} eV must be above 0 eV")
        elif len(p.energies()) < 10:
            found.append("the scan has fewer than 10 points: widen it or take smaller steps")
        if not p.count_time > 0:
            found.append(f"count_time: {p.count_time:g} s must be above 0 s")
        if not 0 <= p.transmission <= 100:
            found.append(f"transmission: {p.transmission:g} % is outside 0-100 %")
        return found

    @staticmethod
    def scan_file_name(path: PathTemplate) -> str:
        """``<prefix>_<run>_energy_scan.txt``: a file of the run, as the images are."""
        return f"{path.run_prefix}_energy_scan.txt"

    def start_energy_scan(
        self, parameters: ScanParameters | Mapping[str, Any], path: PathTemplate
    ) -> Future[dict[str, Any]]:
        """Start a scan (``parameters``: a :class:`ScanParameters` or the same fields in
        a mapping); ``ValueError`` at once for bad parameters or a file of the run that
        exists already, ``RuntimeError`` while a scan runs."""
        if not isinstance(parameters, ScanParameters):
            known = {f.name for f in dataclasses.fields(ScanParameters)}
            unknown = sorted(str(k) for k in parameters if k not in known)
            if unknown:
                raise ValueError(f"{self.username}: unknown scan parameter(s) {', '.join(unknown)}")
            try:
                parameters = ScanParameters(**{k: parameters[k] for k in parameters})
            except TypeError as exc:
                raise ValueError(f"{self.username}: {exc}") from None
        problems = self.problems(parameters) + path.problems()
        if problems:
            raise ValueError(f"{self.username}: " + "; ".join(problems))
        return self._start_scan(parameters, path)

    @abc.abstractmethod
    def _start_scan(self, parameters: ScanParameters, path: PathTemplate) -> Future[dict[str, Any]]:
        """Start a scan of already checked parameters."""

    @abc.abstractmethod
    def stop_energy_scan(self) -> None:
        """Stop the scan in progress (its Future fails with :data:`SCAN_STOPPED`)."""

    @abc.abstractmethod
    def is_scanning(self) -> bool:
        """True from :meth:`start_energy_scan` until its Future has ended."""
