"""Per-cell results of a grid: a score or an RGBA colour for each cell (Qt-free).

A mesh scan writes one image per grid cell; a scorer (ours, :mod:`mxscore.scoring`,
or an external one over XML-RPC) gives each image a score, or an external program a
colour. :class:`GridResults` holds them for one grid in two numpy arrays indexed by the
0-based scan-order index (cell ``n`` of the results is ``n - 1`` here), so that a grid
of a million cells costs a few megabytes and a burst of 2,000 scores a few array writes.
Beside the scores, a parallel array keeps the spot count of each scored image where the
scorer gives one (ours does: :func:`mxscore.scoring.assess_image`), for the LIMS.

:func:`parse_values` checks what a caller sends (the XML-RPC
``shape_history_set_grid_data`` dict, a scorer's batch): 1-based integer cell indices
(or their decimal text: XML-RPC keys are strings) within the grid, each value a score
(a finite number >= 0) or an RGBA colour (4 numbers 0-255). Every refusal is a
``ValueError`` that names the grid and the cell.

:class:`GridResultsStore` keeps the results of every grid of a
:class:`~mxgui.core.shapes.ShapesModel`, which owns it and hands it its lock.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TypeVar

import numpy as np

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # shapes imports this module: the grid type only for annotations
    from mxgui.core.shapes import Grid

#: what callers send for a grid: 1-based cells (XML-RPC keys are their decimal text)
#: to a score or an RGBA colour, checked by :func:`parse_values`
CellValues = Mapping[int, object] | Mapping[str, object]
#: a value of :meth:`GridResultsStore.scan_cells`, passed through unchanged
CellValue = TypeVar("CellValue")
#: seconds an ended mesh scan still takes results by image number (mxcubecore waits as
#: long for online processing after a collection: ``collect_finished``)
LATE_RESULTS_GRACE = 120.0


class NoScanError(LookupError):
    """Results by image number came and no mesh scan takes them."""


@dataclass(frozen=True)
class MeshScanRecord:
    """A mesh scan on grid ``grid_id``: its images are numbered from ``first_image`` in
    ``scan_order`` (``None``: the grid's own); ``ended_at`` (monotonic) once ended;
    ``external`` once online processing (results by image number) scores it: one
    source of scores per scan, on one scale."""

    grid_id: str
    first_image: int = 1
    scan_order: str | None = None
    ended_at: float | None = None
    external: bool = False


@dataclass(frozen=True)
class ParsedValues:
    """Checked values for one grid: 0-based indices with scores, and with colours."""

    score_index: np.ndarray  # (k,) intp
    scores: np.ndarray  # (k,) float64
    colour_index: np.ndarray  # (m,) intp
    colours: np.ndarray  # (m, 4) uint8
    spot_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    spots: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))


def _cell_index(grid_id: str, key: object, num_cells: int) -> int:
    if isinstance(key, str) and key.strip().lstrip("+").isdigit():
        key = int(key.strip())
    if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
        raise ValueError(f"grid {grid_id}: cell index {key!r} is not a whole number")
    if not 1 <= int(key) <= num_cells:
        raise ValueError(f"grid {grid_id}: cell {key} is outside 1..{num_cells}")
    return int(key) - 1


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return None
    return float(value)


def parse_values(
    grid_id: str, num_cells: int, values: object, spots: object = None
) -> ParsedValues:
    """Check ``values`` (``{cell: score}`` or ``{cell: [r, g, b, a]}``) for a grid of
    ``num_cells`` cells, and ``spots`` (``{cell: spot count}``, each a cell given a score
    in ``values``); ``ValueError`` naming the grid and the first bad cell."""
    if not isinstance(values, Mapping):
        raise ValueError(
            f"grid {grid_id}: results must be a mapping of cell index to value, "
            f"got {type(values).__name__}"
        )
    if len(values) > num_cells:
        raise ValueError(f"grid {grid_id}: {len(values)} results for a grid of {num_cells} cells")
    score_index: list[int] = []
    scores: list[float] = []
    colour_index: list[int] = []
    colours: list[list[int]] = []
    for key, value in values.items():
        index = _cell_index(grid_id, key, num_cells)
        number = _number(value)
        if number is not None:
            if not math.isfinite(number) or number < 0:
                raise ValueError(
                    f"grid {grid_id}: cell {index + 1}: score {value!r} must be a finite "
                    "number >= 0"
                )
            score_index.append(index)
            scores.append(number)
            continue
        if isinstance(value, (Sequence, np.ndarray)) and not isinstance(value, str):
            channels = [_number(v) for v in value]
            if len(channels) == 4 and all(
                c is not None and math.isfinite(c) and 0 <= c <= 255 for c in channels
            ):
                colour_index.append(index)
                colours.append([int(round(c)) for c in channels])  # type: ignore[arg-type]
                continue
        raise ValueError(
            f"grid {grid_id}: cell {index + 1}: {value!r} is neither a score (a number "
            ">= 0) nor an RGBA colour (4 numbers 0-255)"
        )
    spot_index, spot_counts = _parse_spots(grid_id, num_cells, spots, set(score_index))
    return ParsedValues(
        np.asarray(score_index, dtype=np.intp),
        np.asarray(scores, dtype=np.float64),
        np.asarray(colour_index, dtype=np.intp),
        np.asarray(colours, dtype=np.uint8).reshape(-1, 4),
        np.asarray(spot_index, dtype=np.intp),
        np.asarray(spot_counts, dtype=np.int32),
    )


def _parse_spots(
    grid_id: str, num_cells: int, spots: object, scored: set[int]
) -> tuple[list[int], list[int]]:
    """The 0-based cells and counts of ``spots`` (see :func:`parse_values`)."""
    if spots is None:
        return [], []
    if not isinstance(spots, Mapping):
        raise ValueError(
            f"grid {grid_id}: spot counts must be a mapping of cell index to count, "
            f"got {type(spots).__name__}"
        )
    index: list[int] = []
    counts: list[int] = []
    for key, value in spots.items():
        cell = _cell_index(grid_id, key, num_cells)
        if cell not in scored:
            raise ValueError(f"grid {grid_id}: cell {cell + 1}: a spot count without a score")
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, np.integer))
            or not 0 <= int(value) <= np.iinfo(np.int32).max
        ):
            raise ValueError(
                f"grid {grid_id}: cell {cell + 1}: spot count {value!r} must be a whole number >= 0"
            )
        index.append(cell)
        counts.append(int(value))
    return index, counts


class GridResults:
    """The results of one grid: ``scores`` (NaN where none), ``spots`` (the spot count
    of a scored cell's image, -1 where none) and ``colours`` (RGBA, ``has_colour``
    where given), indexed by the 0-based scan-order cell index.

    ``data_file_path`` is where the scored data are (the first image, a master file or
    a processing result), as the sender gave it. Instances given out by the shapes
    model are copies: changing one changes nothing stored.
    """

    def __init__(self, num_cells: int, data_file_path: str = "") -> None:
        self.scores = np.full(num_cells, np.nan)
        self.colours = np.zeros((num_cells, 4), dtype=np.uint8)
        self.has_colour = np.zeros(num_cells, dtype=bool)
        self.spots = np.full(num_cells, -1, dtype=np.int32)
        self.data_file_path = data_file_path
        self._count = 0

    @property
    def num_cells(self) -> int:
        return int(self.scores.size)

    @property
    def count(self) -> int:
        """How many cells have a result (a score or a colour)."""
        return self._count

    def apply(self, parsed: ParsedValues) -> None:
        """Store checked values; a cell's new value replaces its old one (the cost
        grows with the values given, not with the grid)."""
        # the distinct cells touched (sort-based: np.union1d hashes, ~50x slower at 1e6)
        touched = np.sort(np.concatenate([parsed.score_index, parsed.colour_index]))
        touched = touched[np.concatenate(([True], touched[1:] != touched[:-1]))[: touched.size]]
        empty = np.isnan(self.scores[touched]) & ~self.has_colour[touched]
        self._count += int(np.count_nonzero(empty))
        self.scores[parsed.score_index] = parsed.scores
        self.has_colour[parsed.score_index] = False
        self.colours[parsed.colour_index] = parsed.colours
        self.has_colour[parsed.colour_index] = True
        self.scores[parsed.colour_index] = np.nan
        self.spots[parsed.score_index] = -1  # a new value drops the old spot count
        self.spots[parsed.colour_index] = -1
        self.spots[parsed.spot_index] = parsed.spots

    def copy(self) -> GridResults:
        other = GridResults(0, self.data_file_path)
        other.scores = self.scores.copy()
        other.has_colour = self.has_colour.copy()
        # most grids have scores only: no need to copy 4 bytes per cell of no colour
        if other.has_colour.any():
            other.colours = self.colours.copy()
        else:  # read-only zeros, no memory
            other.colours = np.broadcast_to(np.zeros(4, np.uint8), self.colours.shape)
        if (self.spots >= 0).any():
            other.spots = self.spots.copy()
        else:  # read-only, no memory
            other.spots = np.broadcast_to(np.int32(-1), self.spots.shape)
        other._count = self._count
        return other

    def best_cells(self, count: int = 1) -> list[int]:
        """The 1-based indices of the ``count`` highest scores, best first."""
        scored = np.flatnonzero(~np.isnan(self.scores))
        if scored.size == 0 or count < 1:
            return []
        order = np.argsort(-self.scores[scored], kind="stable")[:count]
        return [int(i) + 1 for i in scored[order]]

    def as_mapping(self) -> dict[int, float | list[int]]:
        """``{cell (1-based): score or [r, g, b, a]}`` for every cell with a result."""
        out: dict[int, float | list[int]] = {}
        for i in np.flatnonzero(~np.isnan(self.scores)):
            out[int(i) + 1] = float(self.scores[i])
        for i in np.flatnonzero(self.has_colour):
            out[int(i) + 1] = [int(c) for c in self.colours[i]]
        return dict(sorted(out.items()))

    def spot_counts(self) -> dict[int, int]:
        """``{cell (1-based): spot count}`` for every cell with one."""
        return {int(i) + 1: int(self.spots[i]) for i in np.flatnonzero(self.spots >= 0)}

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON, XML-RPC: string keys): ``values`` ``{"<cell>": value}``,
        ``data_file_path``, ``num_cells``, and ``spots`` ``{"<cell>": count}`` when
        some cells have a spot count."""
        out: dict[str, object] = {
            "num_cells": self.num_cells,
            "data_file_path": self.data_file_path,
            "values": {str(k): v for k, v in self.as_mapping().items()},
        }
        spots = self.spot_counts()
        if spots:
            out["spots"] = {str(k): v for k, v in spots.items()}
        return out

    @classmethod
    def from_dict(cls, grid_id: str, num_cells: int, data: object) -> GridResults:
        """From :meth:`to_dict`; ``ValueError`` naming the grid for bad data."""
        if not isinstance(data, Mapping):
            raise ValueError(f"grid {grid_id}: results must be a dict, got {data!r}")
        path = data.get("data_file_path", "")
        if not isinstance(path, str):
            raise ValueError(f"grid {grid_id}: data_file_path must be text, got {path!r}")
        results = cls(num_cells, path)
        results.apply(parse_values(grid_id, num_cells, data.get("values", {}), data.get("spots")))
        return results


class GridResultsStore:
    """The grid results of a :class:`~mxgui.core.shapes.ShapesModel`, owned by it.

    The model hands over the lock that guards its shapes (a shape and its results
    change together), ``grid_of`` (the grid of an id, ``ValueError`` for an unknown id
    or a shape that is no grid) and ``changed`` (called with a grid id after its
    results changed, outside the lock: the model emits ``gridResultsChanged``).
    """

    def __init__(
        self,
        lock: threading.RLock,
        grid_of: Callable[[str], Grid],
        changed: Callable[[str], None],
    ) -> None:
        self._lock = lock
        self._grid_of = grid_of
        self._changed = changed
        self._results: dict[str, GridResults] = {}
        #: the running mesh scan, and the last one ended (late results still map to it)
        self._scan: MeshScanRecord | None = None
        self._last_scan: MeshScanRecord | None = None
        #: seconds an ended scan still takes results by image number (see add_scan_results)
        self.late_results_grace = LATE_RESULTS_GRACE

    def set_grid_results(
        self,
        grid_id: str,
        values: CellValues,
        data_file_path: str = "",
        spots: Mapping[int, int] | None = None,
    ) -> int:
        """Add results to grid ``grid_id``: ``{cell: score}`` or ``{cell: [r, g, b, a]}``
        with 1-based scan-order cells, and the spot counts of scored cells' images
        (``spots``, optional); a cell's new value replaces its old one (and its spot
        count). All or nothing: ``ValueError`` naming the grid and cell (unknown grid,
        cell outside the grid, NaN or negative score, more values than cells, a spot
        count that is no whole number >= 0 or has no score). Returns how many cells
        of the grid have a result now."""
        if not isinstance(data_file_path, str):
            raise ValueError(f"grid {grid_id}: data_file_path must be text")
        with self._lock:
            grid = self._grid_of(grid_id)
            scan = self._scan
            if scan is not None and scan.grid_id == grid_id and scan.external:
                raise ValueError(
                    f"grid {grid_id}: its mesh scan is scored by online processing "
                    "(dozor_batch_processed): other scores are not mixed in while it runs"
                )
            parsed = parse_values(grid_id, grid.num_cells, values, spots)
            results = self._results.get(grid_id)
            if results is None:
                results = self._results[grid_id] = GridResults(grid.num_cells)
            results.apply(parsed)
            if data_file_path:
                results.data_file_path = data_file_path
            count = results.count
        self._changed(grid_id)
        return count

    def clear_grid_results(self, grid_id: str) -> None:
        """Forget the results of grid ``grid_id`` (a new mesh scan on it starts)."""
        with self._lock:
            self._grid_of(grid_id)
            had = self._results.pop(grid_id, None) is not None
        if had:
            self._changed(grid_id)

    def grid_results(self, grid_id: str) -> GridResults | None:
        """A copy of the results of grid ``grid_id`` (``None`` before any);
        ``ValueError`` for an unknown grid."""
        with self._lock:
            self._grid_of(grid_id)
            results = self._results.get(grid_id)
            return None if results is None else results.copy()

    @property
    def active_grid_id(self) -> str | None:
        """The grid a running mesh scan collects, ``None`` when none runs."""
        scan = self._scan
        return None if scan is None else scan.grid_id

    def start_scan(
        self, grid_id: str | None, first_image: int = 1, scan_order: str | None = None
    ) -> None:
        """Make ``grid_id`` the :attr:`active_grid_id`, its images numbered from
        ``first_image`` in ``scan_order`` (``None``: the grid's own), for
        :meth:`scan_cells`; the last scan ended takes no more results. ``None``: no
        scan, and none that takes late results."""
        with self._lock:
            self._scan = None
            if grid_id is not None:
                self._grid_of(grid_id)
                self._scan = MeshScanRecord(grid_id, first_image, scan_order)
            self._last_scan = None

    def end_scan(self, grid_id: str) -> None:
        """The scan of ``grid_id`` ended (nothing if it is not the running one): it
        stays the scan that results by image number go to until :meth:`close_scan`, a
        new scan, or :attr:`late_results_grace` seconds (online processing lags the
        detector: mxcubecore waits as long for it)."""
        with self._lock:
            scan = self._scan
            if scan is None or scan.grid_id != grid_id:
                return
            self._scan = None
            self._last_scan = replace(scan, ended_at=time.monotonic())

    def close_scan(self) -> str | None:
        """Online processing said it is done: the ended scan takes no more results.
        The grid whose scan was closed, if one was."""
        with self._lock:
            scan, self._last_scan = self._last_scan, None
        return None if scan is None else scan.grid_id

    def _receiving_scan(self) -> MeshScanRecord | None:
        """The running scan, else the ended one still in its grace: the lock held."""
        if self._scan is not None:
            return self._scan
        last = self._last_scan
        if last is None or last.ended_at is None:
            return None
        if time.monotonic() - last.ended_at > self.late_results_grace:
            self._last_scan = None
            return None
        return last

    def add_scan_results(
        self,
        images: Mapping[int, float],
        spots: Mapping[int, int] | None = None,
        places: Mapping[int, str] | None = None,
    ) -> tuple[str, int]:
        """Scores by image number (``{image: score}``, and spot counts ``{image:
        count}``) for the running scan, or the scan that just ended (:meth:`end_scan`):
        mapped to its cells and stored in one step, under the lock, so that a scan
        ending meanwhile cannot shift them. ``(grid id, cells with a result now)``.
        :class:`NoScanError` when no scan takes them; ``ValueError`` (all or nothing)
        naming the grid and the image outside the scan (and where the caller sent it:
        ``places`` ``{image: place}``), or the bad value."""
        with self._lock:
            scan = self._receiving_scan()
            if scan is None:
                raise NoScanError(
                    "no mesh scan is collecting (or ended less than "
                    f"{self.late_results_grace:g} s ago): there is no grid for these scores"
                )
            grid = self._grid_of(scan.grid_id)
            cells = self._map_images(scan, grid, images, places)
            cell_spots = None if spots is None else self._map_images(scan, grid, spots, places)
            parsed = parse_values(scan.grid_id, grid.num_cells, cells, cell_spots)
            if cells and not scan.external:  # the first: its own scores (another scale) go
                self._switch_to_external(scan)
            results = self._results.get(scan.grid_id)
            if results is None:
                results = self._results[scan.grid_id] = GridResults(grid.num_cells)
            results.apply(parsed)
            count = results.count
        self._changed(scan.grid_id)
        return scan.grid_id, count

    def _switch_to_external(self, scan: MeshScanRecord) -> None:
        """Make online processing the source of ``scan``'s scores: the scores mxgui's
        own scorer gave its grid are dropped (said in the log), and that scorer's
        writes are refused while the scan runs: the lock held."""
        external = replace(scan, external=True)
        if self._scan is scan:
            self._scan = external
        else:
            self._last_scan = external
        dropped = self._results.pop(scan.grid_id, None)
        if dropped is not None and dropped.count:
            log.info(
                "grid %s: online processing scores its mesh scan: the %d scores mxgui "
                "gave it are replaced",
                scan.grid_id,
                dropped.count,
            )

    def scan_is_external(self, grid_id: str) -> bool:
        """Whether online processing scores the scan of ``grid_id`` (running or just
        ended): mxgui's own scorer then has nothing to add."""
        with self._lock:
            scan = self._receiving_scan()
            return scan is not None and scan.grid_id == grid_id and scan.external

    def scan_cells(self, grid_id: str, images: Mapping[int, CellValue]) -> dict[int, CellValue]:
        """``{image number: value}`` of the scan on ``grid_id`` (running, or ended and
        still taking late results) as ``{cell: value}`` (1-based, the grid's scan
        order): image ``first_image + k`` is the scan's cell ``k + 1``. ``ValueError``
        naming the grid for a grid no such scan collects (image numbers mean nothing
        there: read as cells they would land shifted), and the image for an image
        outside the scan."""
        with self._lock:
            grid = self._grid_of(grid_id)
            scan = self._receiving_scan()
            if scan is None or scan.grid_id != grid_id:
                raise ValueError(
                    f"grid {grid_id}: no mesh scan collects it now: its cells have no image numbers"
                )
            return self._map_images(scan, grid, images)

    @staticmethod
    def _map_images(
        scan: MeshScanRecord,
        grid: Grid,
        images: Mapping[int, CellValue],
        places: Mapping[int, str] | None = None,
    ) -> dict[int, CellValue]:
        first, order = scan.first_image, scan.scan_order
        scan_grid = grid if order in (None, grid.scan_order) else replace(grid, scan_order=order)
        cells: dict[int, CellValue] = {}
        for image, value in images.items():
            index = image - first + 1
            if not 1 <= index <= grid.num_cells:
                place = "" if places is None or image not in places else f" ({places[image]})"
                raise ValueError(
                    f"grid {grid.id}: image {image} is outside the mesh scan's images "
                    f"{first}..{first + grid.num_cells - 1}{place}"
                )
            cells[grid.index_of_cell(*scan_grid.cell_of_index(index))] = value
        return cells

    # for the model, under its lock -------------------------------------------------------
    def stored(self, grid_id: str) -> GridResults | None:
        """The results of ``grid_id`` themselves (not a copy): the model's lock held."""
        return self._results.get(grid_id)

    def copies(self) -> dict[str, GridResults]:
        """Copies of every grid's results by grid id: the model's lock held."""
        return {k: r.copy() for k, r in self._results.items()}

    def drop(self, grid_id: str) -> bool:
        """Forget ``grid_id`` (its shape was removed; it ends a scan on it): the model's
        lock held. Whether it had results."""
        for name in ("_scan", "_last_scan"):
            scan = getattr(self, name)
            if scan is not None and scan.grid_id == grid_id:
                setattr(self, name, None)
        return self._results.pop(grid_id, None) is not None

    def replace_all(self, results: Mapping[str, GridResults]) -> None:
        """Make ``results`` the stored results, no scan running: the model's lock held."""
        self._results = dict(results)
        self._scan = self._last_scan = None
