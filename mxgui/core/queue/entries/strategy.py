"""Characterisation: what the reference images show, and the data collection proposed.

Spot finding (per reference image, numpy only):

1. the background is the mean count in rings of 4 pixels around the beam centre (spots
   are too few to move it much, and the water ring is a ring);
2. a pixel is *strong* above ``background + 6 sqrt(background + 1) + 3`` counts (far
   in the Poisson tail: noise alone gives about none on a million pixels);
3. a *spot* is a strong pixel that is the highest of its 3 x 3 neighbourhood; its
   resolution is ``d = lambda / (2 sin(atan(r / D) / 2))`` with ``r`` its distance
   from the beam centre, ``D`` the detector distance (from the image header).

The rule (:func:`propose_strategy`), on all the reference images together:

- fewer than :data:`MIN_SPOTS` spots: no diffraction, no strategy (is the crystal in
  the beam?);
- **resolution**: the 5th percentile of the spots' resolutions (the best 5 % are noise
  or single spots), rounded up to 0.1 A, and not beyond the beamline's limits. When
  that is beyond the edge of the image (the circle the image holds whole), the spots
  reach the edge and the crystal diffracts further than the images show: the proposal
  is then :data:`EDGE_FACTOR` x that (closer to the detector), again within limits;
- **dose**: the median spot height above the background should reach
  :data:`TARGET_PEAK` counts: the reference exposure x transmission is scaled by
  ``TARGET_PEAK / median height``; the exposure time of the reference is kept and the
  factor goes into the transmission (0.1-100 %); past 100 % the exposure time grows;
- **oscillation range**: 0.1 deg when the reference images show at least
  :data:`DENSE_SPOTS_PER_DEG` spots per degree (crowded: fine slicing), else 0.2 deg;
- **sweep** (:func:`minimum_sweep`): the smallest rotation that gives complete data
  whatever the crystal's orientation on the spindle, by the Laue class of the space
  group the user gave (:mod:`mxgui.core.queue.space_groups`): 180 deg for triclinic
  and monoclinic, 120 deg for Laue class -3 (P3, P31, P32, R3), 90 deg for every other
  class (orthorhombic, tetragonal, -3m, hexagonal, cubic); 180 deg when the space
  group is unknown (as triclinic: never too short). With ``anomalous`` set, Friedel
  mates are measured apart, so the sweep is doubled (at most 360 deg): 360 / 240 /
  180 deg. When ``anomalous`` is not set but the energy is within
  :data:`ANOMALOUS_WINDOW_KEV` above an absorption edge of ``EDGES``, the sweep stays
  native and a warning says so (the user's choice, not a guess, decides);
  ``num_images = sweep / osc_range``, from the first reference image's start angle;
- **complexity**: ``single sweep``: the one rotation above, at one resolution and
  dose. ``few sweeps``: that sweep, then a low-resolution pass over the same angles
  (as BEST's multi-pass strategies): resolution x :data:`LOW_PASS_RESOLUTION_FACTOR`
  (at least :data:`LOW_PASS_MIN_RESOLUTION` A, within the beamline's limits), twice
  the oscillation, :data:`LOW_PASS_DOSE` of the transmission: the strong
  low-resolution reflections that saturate the detector in the first sweep are
  measured unsaturated.

Each proposal comes with its reasons (one line per decision above) and warnings (the
spots reach the image edge, the energy near an edge without ``anomalous``, the
exposure capped at the beamline's longest).

The simulated detector ignores exposure time and transmission (its counts follow the
crystal and how much of the beam hits it), so on the simulated beamline the dose rule
gives the same answer however the reference images were taken.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mxgui.core.queue.schemas import EDGES
from mxgui.core.queue.space_groups import SpaceGroup, UnknownSpaceGroup, parse_space_group

MIN_SPOTS = 10
EDGE_FACTOR = 0.85
TARGET_PEAK = 300.0
DENSE_SPOTS_PER_DEG = 150.0
ANOMALOUS_WINDOW_KEV = 0.2
RING_PX = 4.0
#: the strategy complexities (``schemas.STRATEGY_COMPLEXITIES``)
SINGLE_SWEEP, FEW_SWEEPS = "single sweep", "few sweeps"
#: the low-resolution pass of ``few sweeps``: resolution factor, its floor (A), dose
LOW_PASS_RESOLUTION_FACTOR = 2.0
LOW_PASS_MIN_RESOLUTION = 4.0
LOW_PASS_DOSE = 0.1
#: the native sweep (deg) by Laue class; :data:`UNKNOWN_SWEEP` without a space group
LAUE_SWEEP = {"-1": 180.0, "2/m": 180.0, "-3": 120.0}
OTHER_SWEEP = 90.0
UNKNOWN_SWEEP = 180.0
#: the rule, in one line, stored with the strategy (and in the LIMS: at most 255 characters)
RULE = (
    "resolution: 5th percentile of spot resolutions (x 0.85 if the spots reach the edge); "
    f"dose: median spot height to {TARGET_PEAK:g} counts; osc 0.1 deg if >= "
    f"{DENSE_SPOTS_PER_DEG:g} spots/deg else 0.2; sweep by Laue class (180/120/90 deg), "
    "x 2 if anomalous"
)


@dataclass(frozen=True)
class Frame:
    """One reference image and its geometry (mm, Angstrom, pixels)."""

    path: str
    counts: np.ndarray
    wavelength: float
    distance: float
    beam_x: float
    beam_y: float
    pixel_x: float
    pixel_y: float


@dataclass(frozen=True)
class ImageAnalysis:
    """What one reference image shows."""

    path: str
    spots: int
    resolution: float | None
    peak_height: float | None
    edge_resolution: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain types (node results)."""
        return asdict(self)


_HEADER_NUMBERS = {
    "wavelength": r"Wavelength\s+([-+0-9.eE]+)",
    "distance": r"Detector_distance\s+([-+0-9.eE]+)",
    "pixel": r"Pixel_size\s+([-+0-9.eE]+)\s*m\s*x\s*([-+0-9.eE]+)",
    "beam": r"Beam_xy\s*\(\s*([-+0-9.eE]+)\s*,\s*([-+0-9.eE]+)",
}


def read_frames(path: str | Path) -> list[Frame]:
    """The images of a CBF file (Pilatus header, read with fabio) or of an NXmx master
    file (h5py); ``ValueError`` naming the file for what cannot be read."""
    path = Path(path)
    if path.suffix == ".h5":
        return _read_nexus(path)
    import fabio  # deferred: a characterisation is the only reader here

    try:
        image = fabio.open(str(path))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the image: {exc}") from None
    text = str(image.header.get("_array_data.header_contents", ""))
    found = {}
    for key, pattern in _HEADER_NUMBERS.items():
        match = re.search(pattern, text)
        if match is None:
            raise ValueError(f"{path}: the header has no {key}")
        found[key] = [float(v) for v in match.groups()]
    return [
        Frame(
            str(path),
            np.asarray(image.data),
            found["wavelength"][0],
            found["distance"][0] * 1e3,
            found["beam"][0],
            found["beam"][1],
            found["pixel"][0] * 1e3,
            found["pixel"][1] * 1e3,
        )
    ]


def _read_nexus(path: Path) -> list[Frame]:
    import h5py  # deferred: HDF5 reference images only
    import hdf5plugin  # noqa: F401  (registers the images' bitshuffle-LZ4 filter)

    try:
        with h5py.File(path, "r") as f:
            detector = f["entry/instrument/detector"]
            data = f["entry/data"]
            stacks = [data[name] for name in sorted(data) if name.startswith("data")]
            geometry = (
                float(f["entry/instrument/beam/incident_wavelength"][()]),
                float(detector["distance"][()]) * 1e3,
                float(detector["beam_center_x"][()]),
                float(detector["beam_center_y"][()]),
                float(detector["x_pixel_size"][()]) * 1e3,
                float(detector["y_pixel_size"][()]) * 1e3,
            )
            frames = [np.asarray(stack[i]) for stack in stacks for i in range(len(stack))]
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the images: {exc}") from None
    return [Frame(str(path), counts, *geometry) for counts in frames]


def analyse(frame: Frame) -> ImageAnalysis:
    """Find the spots of one image (see the module docstring)."""
    counts = frame.counts.astype(np.float32, copy=False)
    height, width = counts.shape
    y = (np.arange(height, dtype=np.float32) - frame.beam_y)[:, None]
    x = (np.arange(width, dtype=np.float32) - frame.beam_x)[None, :]
    radius_px = np.hypot(x, y)
    ring = (radius_px / RING_PX).astype(np.int64)
    totals = np.bincount(ring.ravel(), weights=counts.ravel())
    sizes = np.maximum(np.bincount(ring.ravel()), 1)
    background = (totals / sizes)[ring]
    strong = counts > background + 6.0 * np.sqrt(background + 1.0) + 3.0
    strong[[0, -1], :] = False
    strong[:, [0, -1]] = False
    rows, cols = np.nonzero(strong)
    if len(rows):
        values = counts[rows, cols]
        highest = np.ones(len(rows), dtype=bool)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                if dy or dx:
                    highest &= values >= counts[rows + dy, cols + dx]
        rows, cols = rows[highest], cols[highest]
    edge_mm = min(
        frame.beam_x * frame.pixel_x,
        (width - frame.beam_x) * frame.pixel_x,
        frame.beam_y * frame.pixel_y,
        (height - frame.beam_y) * frame.pixel_y,
    )
    edge = float(_resolution(frame, np.array([edge_mm]))[0]) if edge_mm > 0 else None
    if not len(rows):
        return ImageAnalysis(frame.path, 0, None, None, edge)
    r_mm = np.hypot((cols - frame.beam_x) * frame.pixel_x, (rows - frame.beam_y) * frame.pixel_y)
    d = _resolution(frame, r_mm)
    d = d[np.isfinite(d)]
    heights = counts[rows, cols] - background[rows, cols]
    resolution = float(np.percentile(d, 5)) if len(d) else None
    return ImageAnalysis(frame.path, int(len(rows)), resolution, float(np.median(heights)), edge)


def _resolution(frame: Frame, r_mm: np.ndarray) -> np.ndarray:
    """``d = lambda / (2 sin(atan(r / D) / 2))`` (Angstrom) at ``r_mm`` from the beam."""
    theta = 0.5 * np.arctan(r_mm / frame.distance)
    with np.errstate(divide="ignore"):
        return frame.wavelength / (2.0 * np.sin(theta))


@dataclass(frozen=True)
class StrategyProposal:
    """What the rule proposes: the collection's parameters (``None`` without
    diffraction), why (one line per decision) and what to watch."""

    parameters: dict[str, Any] | None
    reasons: list[str]
    warnings: list[str]
    #: every sweep proposed, ``parameters`` first (``[]`` without diffraction)
    sweeps: list[dict[str, Any]] = field(default_factory=list)


def propose_strategy(
    analyses: list[ImageAnalysis],
    reference: dict[str, Any],
    resolution_limits: tuple[float, float] | None = None,
    exp_time_max: float = 3600.0,
) -> dict[str, Any] | None:
    """The data collection the reference images call for (see the module docstring),
    as the parameters that differ from the characterisation's; ``None`` without
    diffraction. ``reference`` is the characterisation's parameters."""
    return propose(analyses, reference, resolution_limits, exp_time_max).parameters


def propose(
    analyses: list[ImageAnalysis],
    reference: dict[str, Any],
    resolution_limits: tuple[float, float] | None = None,
    exp_time_max: float = 3600.0,
) -> StrategyProposal:
    """:func:`propose_strategy` with its reasons and warnings."""
    spots = sum(a.spots for a in analyses)
    if spots < MIN_SPOTS:
        why = f"{spots} spots on {len(analyses)} images: fewer than {MIN_SPOTS}, no diffraction"
        return StrategyProposal(None, [why], ["is the crystal in the beam?"])
    reasons, warnings = [], []
    resolutions = [a.resolution for a in analyses if a.resolution is not None]
    heights = [a.peak_height for a in analyses if a.peak_height is not None]
    observed = min(resolutions)
    reasons.append(f"resolution: the spots reach {observed:.2f} Å (5th percentile)")
    if reaches_edge(analyses):
        observed *= EDGE_FACTOR
        warnings.append(
            f"the spots reach the edge of the images: resolution x {EDGE_FACTOR:g} "
            "(the crystal diffracts further than the images show)"
        )
    resolution = math.ceil(observed * 10.0 - 1e-9) / 10.0
    if resolution_limits is not None:
        low, high = sorted(resolution_limits)
        if not low <= resolution <= high:
            warnings.append(f"resolution {resolution:g} Å brought within {low:g}-{high:g} Å")
        resolution = min(max(resolution, low), high)
    median = float(np.median(heights))
    factor = TARGET_PEAK / max(median, 1.0)
    exp_time = float(reference["exp_time"])
    transmission = float(reference["transmission"]) * factor
    reasons.append(
        f"dose: median spot height {median:.0f} counts, x {factor:.3g} to reach {TARGET_PEAK:g}"
    )
    if transmission > 100.0:
        exp_time = exp_time * transmission / 100.0
        transmission = 100.0
        if exp_time > exp_time_max:
            warnings.append(f"exposure capped at the beamline's longest, {exp_time_max:g} s")
            exp_time = exp_time_max
    transmission = max(round(transmission, 1), 0.1)
    per_degree = spots / len(analyses) / max(float(reference["osc_range"]), 1e-6)
    osc_range = 0.1 if per_degree >= DENSE_SPOTS_PER_DEG else 0.2
    reasons.append(f"oscillation: {per_degree:.0f} spots/deg -> {osc_range:g} deg per image")
    group = _space_group(str(reference.get("space_group") or ""))
    anomalous = bool(reference.get("anomalous", False))
    sweep = minimum_sweep(group, anomalous)
    kind = "anomalous" if anomalous else "native"
    if group is None:
        reasons.append(f"sweep: {sweep:g} deg, {kind} data, space group unknown (as triclinic)")
    else:
        reasons.append(
            f"sweep: {sweep:g} deg, {kind} data in {group.symbol} (Laue class {group.laue}, "
            f"{group.system})"
        )
    energy = float(reference["energy"])
    edge = near_edge(energy)
    if edge is not None and not anomalous:
        warnings.append(
            f"{energy:g} keV is just above the {edge} edge: set anomalous for anomalous "
            "data (a longer sweep)"
        )
    main = {
        "osc_start": float(reference["osc_start"]),
        "osc_range": osc_range,
        "num_images": int(round(sweep / osc_range)),
        "exp_time": float(f"{exp_time:.3g}"),
        "transmission": transmission,
        "resolution": resolution,
        "detector_distance": None,
        "overlap": 0.0,
        "first_image": 1,
        "num_passes": 1,
    }
    sweeps = [main]
    if reference.get("strategy_complexity") == FEW_SWEEPS:
        high = max(resolution_limits) if resolution_limits is not None else math.inf
        low_pass = low_resolution_pass(main, sweep, high)
        sweeps.append(low_pass)
        reasons.append(
            f"few sweeps: then a low-resolution pass to {low_pass['resolution']:g} Å, "
            f"{low_pass['osc_range']:g} deg per image, at {LOW_PASS_DOSE:g} of the dose "
            "(the strong low-resolution spots the first sweep saturates)"
        )
    return StrategyProposal(main, reasons, warnings, sweeps)


def low_resolution_pass(
    main: dict[str, Any], sweep: float, lowest_resolution: float = math.inf
) -> dict[str, Any]:
    """The second sweep of ``few sweeps`` (module docstring): ``main``'s sweep at
    :data:`LOW_PASS_RESOLUTION_FACTOR` x its resolution (at least
    :data:`LOW_PASS_MIN_RESOLUTION` A, at most ``lowest_resolution``), twice its
    oscillation, :data:`LOW_PASS_DOSE` of its transmission."""
    resolution = max(main["resolution"] * LOW_PASS_RESOLUTION_FACTOR, LOW_PASS_MIN_RESOLUTION)
    osc_range = 2.0 * main["osc_range"]
    return dict(
        main,
        resolution=round(min(resolution, lowest_resolution), 1),
        osc_range=osc_range,
        num_images=int(round(sweep / osc_range)),
        transmission=max(round(main["transmission"] * LOW_PASS_DOSE, 1), 0.1),
    )


def _space_group(text: str) -> SpaceGroup | None:
    try:
        return parse_space_group(text)
    except UnknownSpaceGroup:  # refused by the schema before a run: unknown here
        return None


def minimum_sweep(group: SpaceGroup | None, anomalous: bool) -> float:
    """The rotation (deg) for complete data in any orientation (module docstring)."""
    native = UNKNOWN_SWEEP if group is None else LAUE_SWEEP.get(group.laue, OTHER_SWEEP)
    return min(2.0 * native, 360.0) if anomalous else native


def reaches_edge(analyses: list[ImageAnalysis]) -> bool:
    """True when the spots go beyond the circle the images hold whole: the crystal
    diffracts further than the detector saw."""
    resolutions = [a.resolution for a in analyses if a.resolution is not None]
    edges = [a.edge_resolution for a in analyses if a.edge_resolution is not None]
    return bool(resolutions and edges and min(resolutions) <= max(edges))


def near_edge(energy: float) -> str | None:
    """The absorption edge (``Se K``) ``energy`` is within :data:`ANOMALOUS_WINDOW_KEV`
    above, or ``None``."""
    for (element, shell), edge in EDGES.items():
        if 0.0 <= energy - edge <= ANOMALOUS_WINDOW_KEV:
            return f"{element} {shell}"
    return None
