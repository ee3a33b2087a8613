"""Pure arithmetic of the workflows: which cell is best, where the crystal is, what the
characterisation proposed. No GUI, no XML-RPC: unit-tested on plain numbers.

Cells are 1-based scan-order indices, as in the GUI's grids; a cell's *position* is the
motor-position dict that puts its centre on the beam (``shape_history_get_cell_positions``).
Those positions are an affine function of the cell's place in the grid (the grid is a
plane facing the camera), so a weighted mean of cell positions is the position of the
weighted mean of their places: :func:`peak_position` uses that to centre on the middle
of a peak that spans several cells, not only on its best cell.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

#: motors that move the sample in the grid's plane (distance between cells is measured on these)
PLANE_MOTORS = ("phiy", "phiz", "sampx", "sampy")
#: a cell belongs to the peak when its score reaches this fraction of the best score
PEAK_FRACTION = 0.5
_IMAGE_NUMBER = re.compile(r"_(\d+)_(\d+)\.(?:cbf|h5)$")


class NoDiffraction(RuntimeError):
    """No image of a scan shows diffraction: there is nothing to centre on."""


def image_number(path: str) -> int:
    """The image number ``n`` of ``<prefix>_<run>_<nnnnn>.cbf`` (the cell of a mesh);
    ``ValueError`` naming the file when the name does not follow that pattern."""
    match = _IMAGE_NUMBER.search(str(path))
    if match is None:
        raise ValueError(f"{path}: not an image named <prefix>_<run>_<nnnnn>.cbf")
    return int(match.group(2))


def clean_scores(scores: Mapping[Any, Any]) -> dict[int, float]:
    """``{cell: score}`` with integer cells (XML-RPC sends dict keys as strings) and
    float scores; ``ValueError`` naming the cell for a bad key or a negative / NaN score."""
    cleaned: dict[int, float] = {}
    for key, value in scores.items():
        try:
            cell = int(key)
        except (TypeError, ValueError):
            raise ValueError(f"cell {key!r}: not a cell number") from None
        if cell < 1:
            raise ValueError(f"cell {key!r}: cells are numbered from 1")
        try:
            score = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"cell {cell}: score {value!r} is not a number") from None
        if not math.isfinite(score) or score < 0:
            raise ValueError(f"cell {cell}: score {value!r} must be a number >= 0")
        cleaned[cell] = score
    return cleaned


def best_cell(scores: Mapping[int, float]) -> int:
    """The cell with the highest score (the first in scan order on a tie).

    Raises :class:`NoDiffraction` when there are no scores or every score is 0.
    """
    if not scores:
        raise NoDiffraction("no image was scored")
    cell = min(scores, key=lambda c: (-scores[c], c))
    if scores[cell] <= 0:
        raise NoDiffraction(f"no diffraction on any of the {len(scores)} images (all scores 0)")
    return cell


def _distance(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    return math.sqrt(
        sum((float(a[m]) - float(b[m])) ** 2 for m in PLANE_MOTORS if m in a and m in b)
    )


def peak_cells(
    scores: Mapping[int, float],
    positions: Mapping[int, Mapping[str, float]],
    step_mm: float,
    fraction: float = PEAK_FRACTION,
) -> list[int]:
    """The cells of the peak around the best cell: those scoring at least ``fraction`` of
    the best and joined to it through neighbours (cells at most ``1.5 * step_mm`` apart,
    diagonals included). Sorted by cell index."""
    top = best_cell(scores)
    threshold = fraction * scores[top]
    strong = {c for c, s in scores.items() if s >= threshold and c in positions}
    reach = 1.5 * step_mm
    found, frontier = {top}, [top]
    while frontier:
        cell = frontier.pop()
        for other in list(strong - found):
            if _distance(positions[cell], positions[other]) <= reach:
                found.add(other)
                frontier.append(other)
    return sorted(found)


def weighted_position(
    positions: Sequence[Mapping[str, float]], weights: Sequence[float]
) -> dict[str, float]:
    """The weighted mean of motor-position dicts (the motors all of them have)."""
    if not positions or len(positions) != len(weights):
        raise ValueError(f"{len(positions)} positions for {len(weights)} weights")
    total = float(sum(weights))
    if total <= 0:
        raise ValueError("the weights add up to 0")
    motors = set(positions[0]).intersection(*positions[1:])
    return {
        m: sum(float(p[m]) * w for p, w in zip(positions, weights)) / total
        for m in sorted(motors)
        if all(isinstance(p[m], (int, float)) and not isinstance(p[m], bool) for p in positions)
    }


def peak_position(
    scores: Mapping[int, float],
    positions: Mapping[int, Mapping[str, float]],
    step_mm: float,
    fraction: float = PEAK_FRACTION,
) -> dict[str, float]:
    """Where the middle of the diffraction peak is: the mean of the peak's cell positions
    (:func:`peak_cells`) weighted by their scores above ``fraction`` x the best (so the
    best cells count most and the shoulders a little)."""
    cells = peak_cells(scores, positions, step_mm, fraction)
    floor = fraction * max(scores[c] for c in cells)
    # > 0 for the best cell (its score is above 0), >= 0 for the others
    weights = [scores[c] - floor for c in cells]
    return weighted_position([positions[c] for c in cells], weights)


def cells_for(length_mm: float, cell_mm: float, minimum: int = 1, maximum: int = 200) -> int:
    """How many cells of ``cell_mm`` cover ``length_mm`` (odd, so one cell is centred)."""
    if not (cell_mm > 0 and math.isfinite(cell_mm)):
        raise ValueError(f"cell size must be above 0 mm, got {cell_mm!r}")
    if not (length_mm > 0 and math.isfinite(length_mm)):
        raise ValueError(f"scan length must be above 0 mm, got {length_mm!r}")
    n = max(minimum, math.ceil(length_mm / cell_mm - 1e-9))
    if n % 2 == 0:
        n += 1
    return min(n, maximum if maximum % 2 else maximum - 1)


def beam_size(value: object) -> tuple[float, float]:
    """``(width, height)`` mm from what ``get_beam_size`` returns (``[width, height,
    shape, label]`` as mxcubecore, a pair, or a dict with ``width``/``height`` or
    ``x``/``y``); ``ValueError`` saying what came."""
    size = value
    if isinstance(value, Mapping):
        for keys in (("width", "height"), ("x", "y"), ("size_x", "size_y")):
            if all(k in value for k in keys):
                size = [value[keys[0]], value[keys[1]]]
                break
    not_a_size = ValueError(f"get_beam_size: expected (width, height) in mm, got {value!r}")
    if not isinstance(size, Iterable):
        raise not_a_size
    try:
        # mxcubecore answers [width, height, shape, label]: the first two are the size
        width, height = (float(v) for v in list(size)[:2])
    except (TypeError, ValueError):
        raise not_a_size from None
    if not (width > 0 and height > 0 and math.isfinite(width * height)):
        raise ValueError(f"get_beam_size: the beam size must be above 0 mm, got {value!r}")
    return width, height


# characterisation ----------------------------------------------------------------------------
#: the fields of a proposed strategy that a data collection takes
STRATEGY_FIELDS = (
    "osc_start",
    "osc_range",
    "num_images",
    "exp_time",
    "transmission",
    "resolution",
    "detector_distance",
    "overlap",
    "first_image",
    "num_passes",
)


def strategy_of(node: Mapping[str, Any]) -> dict[str, Any]:
    """The proposed data collection in a characterisation node (``queue_get_node``):
    its ``results.strategy`` (the GUI's characterisation), limited to
    :data:`STRATEGY_FIELDS`, ``None`` values dropped (XML-RPC has no None).

    Raises :class:`NoDiffraction` with the node's message when it proposed nothing,
    ``ValueError`` when the node is not a characterisation or did not succeed.
    """
    kind = node.get("type")
    if kind != "Characterisation":
        raise ValueError(f"node {node.get('id')}: a {kind}, not a Characterisation")
    status, message = node.get("status"), node.get("message", "")
    results = node.get("results") or {}
    strategy = results.get("strategy") if isinstance(results, Mapping) else None
    if not strategy:
        if status in ("success", "warning"):
            raise NoDiffraction(
                f"the characterisation proposed no strategy: {message or 'no diffraction'}"
            )
        raise ValueError(f"characterisation node {node.get('id')} ended {status}: {message}")
    if not isinstance(strategy, Mapping):
        raise ValueError(f"characterisation node {node.get('id')}: strategy {strategy!r}")
    found = {k: strategy[k] for k in STRATEGY_FIELDS if strategy.get(k) is not None}
    for needed in ("num_images", "osc_range", "exp_time"):
        if needed not in found:
            raise ValueError(f"the proposed strategy has no {needed}: {dict(strategy)!r}")
    found["num_images"] = int(found["num_images"])
    return found
