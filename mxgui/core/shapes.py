"""Shapes on the sample, in motor coordinates: saved points, lines and grids.

Shapes are defined by centred positions (the motor positions that put a point on the
beam), not by pixels, so they follow zoom and motor moves and can be read by the queue
and by XML-RPC. The model is Qt-free and evented: every change emits one signal naming
the shape; views adapt it.

Ids are ``P<n>`` (points), ``L<n>`` (lines) and ``G<n>`` (grids); numbers are never
reused within a model, so an id in a queue entry or a workflow always means one shape.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeVar

import numpy as np

from mxgui.core.centring import CentredPosition, offset_centred_position
from mxgui.core.grid_results import CellValue, CellValues, GridResults, GridResultsStore
from mxgui.core.signals import SignalEmitter

#: a shape is drawn filled when omega is within this many degrees of where it was defined
FACE_ON_TOLERANCE_DEG = 1.0
#: the most cells a grid may have (1000 x 1000): each cell costs memory in the results,
#: the heat map and the file, so a mistyped size must not fill the memory
MAX_GRID_CELLS = 1_000_000
SCAN_ORDERS = ("zigzag", "raster")


def omega_difference(a: float, b: float) -> float:
    """The smallest absolute difference between two angles in degrees (0..180)."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


@dataclass(frozen=True)
class Shape:
    """Base of every shape: an id, a user-visible name, and the omega it was defined at."""

    id: str
    name: str

    KIND: ClassVar[str] = ""

    @property
    def omega(self) -> float:
        raise NotImplementedError

    def is_face_on(self, omega: float, tolerance_deg: float = FACE_ON_TOLERANCE_DEG) -> bool:
        """Whether the sample faces the camera as when the shape was defined."""
        return omega_difference(omega, self.omega) <= tolerance_deg

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Point(Shape):
    """A saved centred position (from a 3-click centring or a click on the image)."""

    position: CentredPosition = field(default=None)  # type: ignore[assignment]

    KIND: ClassVar[str] = "point"

    @property
    def omega(self) -> float:
        return self.position.phi

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.KIND,
            "name": self.name,
            "position": self.position.to_dict(),
        }


@dataclass(frozen=True)
class Line(Shape):
    """A line between two centred positions (a helical collection's start and end)."""

    start: CentredPosition = field(default=None)  # type: ignore[assignment]
    end: CentredPosition = field(default=None)  # type: ignore[assignment]

    KIND: ClassVar[str] = "line"

    @property
    def omega(self) -> float:
        return self.start.phi

    @property
    def length_mm(self) -> float:
        """Distance between the two points on the sample (the motor moves between them)."""
        a, b = self.start, self.end
        return math.sqrt(
            (a.phiy - b.phiy) ** 2 + (a.sampx - b.sampx) ** 2 + (a.sampy - b.sampy) ** 2
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.KIND,
            "name": self.name,
            "start": self.start.to_dict(),
            "end": self.end.to_dict(),
        }


@dataclass(frozen=True)
class Grid(Shape):
    """A rectangular grid of cells in the plane facing the camera at ``centre.phi``.

    ``centre`` is the centred position of the grid's centre. Cells are
    ``cell_width_mm`` x ``cell_height_mm`` (default: the beam size) with a gap of
    ``spacing_x_mm`` / ``spacing_y_mm`` between them. Column 0 is on the left, row 0 at
    the top of the image. Cell indices for results are 1-based in scan order:
    ``zigzag`` (rows alternate direction, as the goniometer scans) or ``raster``
    (every row left to right).
    """

    centre: CentredPosition = field(default=None)  # type: ignore[assignment]
    num_cols: int = 1
    num_rows: int = 1
    cell_width_mm: float = 0.0
    cell_height_mm: float = 0.0
    spacing_x_mm: float = 0.0
    spacing_y_mm: float = 0.0
    scan_order: str = "zigzag"

    KIND: ClassVar[str] = "grid"

    def __post_init__(self) -> None:
        problems = []
        for name in ("num_cols", "num_rows"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                problems.append(f"{name} must be a whole number >= 1, got {value!r}")
        if not problems and self.num_cols * self.num_rows > MAX_GRID_CELLS:
            problems.append(
                f"{self.num_cols} x {self.num_rows} = {self.num_cols * self.num_rows:,} cells; "
                f"a grid has at most {MAX_GRID_CELLS:,} cells"
            )
        for name in ("cell_width_mm", "cell_height_mm"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                problems.append(f"{name} must be above 0 mm, got {value!r}")
        for name in ("spacing_x_mm", "spacing_y_mm"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                problems.append(f"{name} must be 0 mm or more, got {value!r}")
        if self.scan_order not in SCAN_ORDERS:
            problems.append(
                f"scan_order must be one of {', '.join(SCAN_ORDERS)}, got {self.scan_order!r}"
            )
        if problems:
            raise ValueError(f"grid {self.name or self.id}: " + "; ".join(problems))

    @property
    def omega(self) -> float:
        return self.centre.phi

    @property
    def num_cells(self) -> int:
        return self.num_cols * self.num_rows

    @property
    def step_x_mm(self) -> float:
        """Distance between the centres of neighbouring columns."""
        return self.cell_width_mm + self.spacing_x_mm

    @property
    def step_y_mm(self) -> float:
        """Distance between the centres of neighbouring rows."""
        return self.cell_height_mm + self.spacing_y_mm

    @property
    def width_mm(self) -> float:
        return self.num_cols * self.cell_width_mm + (self.num_cols - 1) * self.spacing_x_mm

    @property
    def height_mm(self) -> float:
        return self.num_rows * self.cell_height_mm + (self.num_rows - 1) * self.spacing_y_mm

    def cell_offset(self, col: int, row: int) -> tuple[float, float]:
        """``(h, d)``: mm along the axis and up from the grid centre to cell ``(col, row)``."""
        self._check_cell(col, row)
        h = (col - (self.num_cols - 1) / 2.0) * self.step_x_mm
        d = ((self.num_rows - 1) / 2.0 - row) * self.step_y_mm
        return h, d

    def cell_position(self, col: int, row: int) -> CentredPosition:
        """The centred position that puts the centre of cell ``(col, row)`` on the beam."""
        h, d = self.cell_offset(col, row)
        return offset_centred_position(self.centre, h, d)

    def cell_of_index(self, index: int) -> tuple[int, int]:
        """``(col, row)`` of the 1-based cell ``index`` in scan order."""
        if (
            isinstance(index, bool)
            or not isinstance(index, int)
            or not 1 <= index <= self.num_cells
        ):
            raise ValueError(f"grid {self.id}: cell index {index!r} is outside 1..{self.num_cells}")
        row, position = divmod(index - 1, self.num_cols)
        reverse = self.scan_order == "zigzag" and row % 2 == 1
        return (self.num_cols - 1 - position if reverse else position), row

    def index_of_cell(self, col: int, row: int) -> int:
        """The 1-based scan-order index of cell ``(col, row)``."""
        self._check_cell(col, row)
        reverse = self.scan_order == "zigzag" and row % 2 == 1
        return row * self.num_cols + (self.num_cols - 1 - col if reverse else col) + 1

    def scan_to_layout(self, values: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``values`` per scan-order cell ``(num_cells, ...)`` laid out as the grid is
        seen, ``(rows, cols, ...)``: row 0 at the top, column 0 on the left (zig-zag
        rows turned round). Written into ``out`` when given, else a new array."""
        laid = np.asarray(values).reshape((self.num_rows, self.num_cols) + values.shape[1:])
        if out is None:
            out = laid.copy()
        else:
            out[...] = laid
        if self.scan_order == "zigzag" and self.num_rows > 1:
            out[1::2] = laid[1::2, ::-1]
        return out

    def cell_at(self, h: float, d: float) -> tuple[int, int] | None:
        """The cell under the point ``(h, d)`` mm from the centre (in the grid's plane),
        or ``None`` outside the grid or in a gap between cells."""
        x = h + self.width_mm / 2.0
        y = self.height_mm / 2.0 - d
        if not (0.0 <= x < self.width_mm and 0.0 <= y < self.height_mm):
            return None
        col, in_x = divmod(x, self.step_x_mm)
        row, in_y = divmod(y, self.step_y_mm)
        if in_x > self.cell_width_mm or in_y > self.cell_height_mm:
            return None
        return min(int(col), self.num_cols - 1), min(int(row), self.num_rows - 1)

    def _check_cell(self, col: int, row: int) -> None:
        if not (0 <= col < self.num_cols and 0 <= row < self.num_rows):
            raise ValueError(
                f"grid {self.id}: cell ({col}, {row}) is outside {self.num_cols} x {self.num_rows}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.KIND,
            "name": self.name,
            "centre": self.centre.to_dict(),
            "num_cols": self.num_cols,
            "num_rows": self.num_rows,
            "cell_width_mm": self.cell_width_mm,
            "cell_height_mm": self.cell_height_mm,
            "spacing_x_mm": self.spacing_x_mm,
            "spacing_y_mm": self.spacing_y_mm,
            "scan_order": self.scan_order,
        }


ShapeT = TypeVar("ShapeT", bound=Shape)

_PREFIXES: dict[type[Shape], str] = {Point: "P", Line: "L", Grid: "G"}
_KINDS = {cls.KIND: cls for cls in _PREFIXES}


def shape_from_dict(data: object) -> Shape:
    """A shape from :meth:`Shape.to_dict` output; ``ValueError`` says what is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError(f"a shape is a dict, got {type(data).__name__}")
    kind = data.get("kind")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"shape kind must be one of {', '.join(_KINDS)}, got {kind!r}")
    shape_id, name = data.get("id"), data.get("name", "")
    if not isinstance(shape_id, str) or not shape_id.startswith(_PREFIXES[cls]):
        raise ValueError(
            f"{cls.KIND} id must be a string starting with {_PREFIXES[cls]}, got {shape_id!r}"
        )
    if not isinstance(name, str):
        raise ValueError(f"shape {shape_id}: name must be text, got {name!r}")
    if cls is Point:
        return Point(shape_id, name, CentredPosition.from_dict(data.get("position")))
    if cls is Line:
        return Line(
            shape_id,
            name,
            CentredPosition.from_dict(data.get("start")),
            CentredPosition.from_dict(data.get("end")),
        )
    fields = {
        k: data[k]
        for k in (
            "num_cols",
            "num_rows",
            "cell_width_mm",
            "cell_height_mm",
            "spacing_x_mm",
            "spacing_y_mm",
            "scan_order",
        )
        if k in data
    }
    return Grid(shape_id, name, CentredPosition.from_dict(data.get("centre")), **fields)


class ShapesModel(SignalEmitter):
    """The shapes of the mounted sample: add, rename, remove, select; thread-safe.

    Signals: ``shapeAdded(shape)``, ``shapeChanged(shape)``, ``shapeRemoved(shape)``,
    ``selectionChanged(ids)``, ``cleared()``, ``gridResultsChanged(grid_id)``. Shapes
    are immutable values; a change replaces the shape under the same id.

    Grids carry results (:class:`~mxgui.core.grid_results.GridResults`: a score or an
    RGBA colour per cell, 1-based scan-order indices), kept by an owned
    :class:`~mxgui.core.grid_results.GridResultsStore`: :meth:`set_grid_results` adds
    them in batches, :meth:`clear_grid_results` forgets them (a new mesh), removing the
    grid drops them, :meth:`to_list` / :meth:`load` keep them. :attr:`active_grid_id`
    is the grid a running mesh scan collects (``None`` otherwise).
    """

    SIGNALS: ClassVar[tuple[str, ...]] = (
        "shapeAdded",
        "shapeChanged",
        "shapeRemoved",
        "selectionChanged",
        "cleared",
        "gridResultsChanged",
    )

    def __init__(self) -> None:
        super().__init__()
        self._shapes: dict[str, Shape] = {}
        self._selected: tuple[str, ...] = ()
        self._counters = {prefix: 0 for prefix in _PREFIXES.values()}
        self._lock = threading.RLock()
        self._results = GridResultsStore(self._lock, self._grid_of, self._results_changed)

    def _grid_of(self, grid_id: str) -> Grid:
        try:
            shape = self.get(grid_id)
        except KeyError as exc:
            raise ValueError(f"grid results: {exc.args[0]}") from None
        if not isinstance(shape, Grid):
            raise ValueError(f"grid results: {grid_id} is a {shape.KIND}, not a grid")
        return shape

    def _results_changed(self, grid_id: str) -> None:
        self.emit("gridResultsChanged", grid_id)

    # reading -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._shapes)

    def __iter__(self) -> Iterator[Shape]:
        return iter(self.shapes())

    def shapes(self, kind: type[Shape] | None = None) -> list[Shape]:
        """All shapes in creation order (only those of ``kind`` if given)."""
        with self._lock:
            found = list(self._shapes.values())
        return [s for s in found if kind is None or isinstance(s, kind)]

    def get(self, shape_id: str) -> Shape:
        """The shape ``shape_id``; ``KeyError`` naming the known ids otherwise."""
        with self._lock:
            shape = self._shapes.get(shape_id)
            if shape is None:
                known = ", ".join(self._shapes) or "none"
                raise KeyError(f"no shape {shape_id!r} (shapes: {known})")
            return shape

    def selected(self) -> tuple[str, ...]:
        return self._selected

    # changing ----------------------------------------------------------------------------
    def _new_id(self, cls: type[Shape]) -> str:
        prefix = _PREFIXES[cls]
        self._counters[prefix] += 1
        return f"{prefix}{self._counters[prefix]}"

    def _add(self, cls: type[ShapeT], name: str, build: Callable[[str, str], ShapeT]) -> ShapeT:
        """A new shape of ``cls``: ``build(id, name)`` made under a fresh id."""
        with self._lock:
            shape_id = self._new_id(cls)
            shape = build(shape_id, name or shape_id)
            self._shapes[shape_id] = shape
        self.emit("shapeAdded", shape)
        return shape

    def add_point(self, position: CentredPosition, name: str = "") -> Point:
        """Save a centred position as a point."""
        return self._add(Point, name, lambda i, n: Point(i, n, position=position))

    def add_line(self, start: CentredPosition, end: CentredPosition, name: str = "") -> Line:
        """A line between two centred positions (they must be at the same omega)."""
        if omega_difference(start.phi, end.phi) > FACE_ON_TOLERANCE_DEG:
            raise ValueError(
                f"a line's ends must be at the same omega; got {start.phi:g} and {end.phi:g} deg"
            )
        return self._add(Line, name, lambda i, n: Line(i, n, start=start, end=end))

    def add_line_between(self, first_id: str, second_id: str, name: str = "") -> Line:
        """A line between two saved points."""
        first, second = self.get(first_id), self.get(second_id)
        if not (isinstance(first, Point) and isinstance(second, Point)):
            raise ValueError(
                f"a line joins two points; {first_id} and {second_id} are not both points"
            )
        return self.add_line(first.position, second.position, name)

    def add_grid(
        self,
        centre: CentredPosition,
        num_cols: int,
        num_rows: int,
        cell_width_mm: float,
        cell_height_mm: float,
        spacing_x_mm: float = 0.0,
        spacing_y_mm: float = 0.0,
        scan_order: str = "zigzag",
        name: str = "",
    ) -> Grid:
        """A grid centred on ``centre``; ``ValueError`` names each bad dimension."""
        with self._lock:
            # validate before taking an id, so a refused grid does not use up a number
            Grid(
                "G0",
                name,
                centre,
                num_cols,
                num_rows,
                cell_width_mm,
                cell_height_mm,
                spacing_x_mm,
                spacing_y_mm,
                scan_order,
            )
        return self._add(
            Grid,
            name,
            lambda i, n: Grid(
                i,
                n,
                centre=centre,
                num_cols=num_cols,
                num_rows=num_rows,
                cell_width_mm=cell_width_mm,
                cell_height_mm=cell_height_mm,
                spacing_x_mm=spacing_x_mm,
                spacing_y_mm=spacing_y_mm,
                scan_order=scan_order,
            ),
        )

    def rename(self, shape_id: str, name: str) -> Shape:
        """Give shape ``shape_id`` a new name: not empty, and no other shape's (a name
        the user reads must say which shape it is)."""
        name = name.strip()
        if not name:
            raise ValueError("a shape name cannot be empty")
        with self._lock:
            taken = next(
                (s for s in self._shapes.values() if s.name == name and s.id != shape_id), None
            )
            if taken is not None:
                raise ValueError(f"{taken.id} is already named {name!r}; choose another name")
            shape = replace(self.get(shape_id), name=name)
            self._shapes[shape_id] = shape
        self.emit("shapeChanged", shape)
        return shape

    def remove(self, shape_id: str) -> Shape:
        """Delete shape ``shape_id`` (and drop it from the selection)."""
        with self._lock:
            shape = self.get(shape_id)
            del self._shapes[shape_id]
            had_results = self._results.drop(shape_id)
            was_selected = shape_id in self._selected
            if was_selected:
                self._selected = tuple(s for s in self._selected if s != shape_id)
        self.emit("shapeRemoved", shape)
        if had_results:
            self.emit("gridResultsChanged", shape_id)
        if was_selected:
            self.emit("selectionChanged", self._selected)
        return shape

    def clear(self) -> None:
        """Remove every shape (a new sample was mounted); ids are not reused."""
        with self._lock:
            self._shapes.clear()
            self._selected = ()
            self._results.replace_all({})
        self.emit("cleared")
        self.emit("selectionChanged", ())

    def select(self, shape_ids: tuple[str, ...] | list[str]) -> None:
        """Make ``shape_ids`` the selection (unknown ids are refused)."""
        with self._lock:
            for shape_id in shape_ids:
                self.get(shape_id)
            selection = tuple(dict.fromkeys(shape_ids))
            changed = selection != self._selected
            self._selected = selection
        if changed:
            self.emit("selectionChanged", selection)

    # grid results (kept by the owned GridResultsStore) --------------------------------------
    def set_grid_results(
        self,
        grid_id: str,
        values: CellValues,
        data_file_path: str = "",
        spots: Mapping[int, int] | None = None,
    ) -> int:
        """Add results (and spot counts) to grid ``grid_id``
        (:meth:`GridResultsStore.set_grid_results`); how many of its cells have a
        result now."""
        return self._results.set_grid_results(grid_id, values, data_file_path, spots)

    def clear_grid_results(self, grid_id: str) -> None:
        """Forget the results of grid ``grid_id`` (a new mesh scan on it starts)."""
        self._results.clear_grid_results(grid_id)

    def grid_results(self, grid_id: str) -> GridResults | None:
        """A copy of the results of grid ``grid_id`` (``None`` before any)."""
        return self._results.grid_results(grid_id)

    @property
    def active_grid_id(self) -> str | None:
        """The grid a running mesh scan collects, ``None`` when none runs."""
        return self._results.active_grid_id

    @active_grid_id.setter
    def active_grid_id(self, grid_id: str | None) -> None:
        self._results.start_scan(grid_id)

    def start_scan(
        self, grid_id: str | None, first_image: int = 1, scan_order: str | None = None
    ) -> None:
        """Make ``grid_id`` the grid a mesh scan collects (:meth:`GridResultsStore.start_scan`)."""
        self._results.start_scan(grid_id, first_image, scan_order)

    def end_scan(self, grid_id: str) -> None:
        """The scan of ``grid_id`` ended; late results still reach it
        (:meth:`GridResultsStore.end_scan`)."""
        self._results.end_scan(grid_id)

    def close_scan(self) -> str | None:
        """The ended scan takes no more results (:meth:`GridResultsStore.close_scan`)."""
        return self._results.close_scan()

    def add_scan_results(
        self,
        images: Mapping[int, float],
        spots: Mapping[int, int] | None = None,
        places: Mapping[int, str] | None = None,
    ) -> tuple[str, int]:
        """Scores by image number for the running (or just ended) scan
        (:meth:`GridResultsStore.add_scan_results`)."""
        return self._results.add_scan_results(images, spots, places)

    def scan_is_external(self, grid_id: str) -> bool:
        """Whether online processing scores the scan of ``grid_id``
        (:meth:`GridResultsStore.scan_is_external`)."""
        return self._results.scan_is_external(grid_id)

    def scan_cells(self, grid_id: str, images: Mapping[int, CellValue]) -> dict[int, CellValue]:
        """The scan's ``{image number: value}`` as ``{cell: value}``
        (:meth:`GridResultsStore.scan_cells`)."""
        return self._results.scan_cells(grid_id, images)

    # persistence ---------------------------------------------------------------------------
    def to_list(self) -> list[dict[str, Any]]:
        """Every shape as plain data (for the queue file and XML-RPC); a grid with
        results has them under ``results`` (:meth:`GridResults.to_dict`)."""
        out = []
        with self._lock:
            for shape in self._shapes.values():
                data = shape.to_dict()
                results = self._results.stored(shape.id)
                if results is not None:
                    data["results"] = results.to_dict()
                out.append(data)
        return out

    def snapshot(self) -> tuple[list[Shape], dict[str, GridResults]]:
        """The shapes in creation order and copies of their grids' results, at once."""
        with self._lock:
            shapes = list(self._shapes.values())
            return shapes, self._results.copies()

    def load(self, data: Sequence[Mapping[str, object]]) -> None:
        """Replace the shapes by ``data`` (from :meth:`to_list`); all or nothing."""
        shapes = [shape_from_dict(item) for item in data]
        results = {}
        for shape, item in zip(shapes, data):
            if isinstance(shape, Grid) and item.get("results") is not None:
                results[shape.id] = GridResults.from_dict(
                    shape.id, shape.num_cells, item["results"]
                )
        self.replace_all(shapes, results)

    def replace_all(self, shapes: list[Shape], results: Mapping[str, GridResults]) -> None:
        """Make ``shapes`` (with ``results`` of their grids) the model's shapes."""
        ids = [s.id for s in shapes]
        if len(set(ids)) != len(ids):
            raise ValueError("shape ids must be unique")
        results = dict(results)
        with self._lock:
            had_selection = bool(self._selected)
            self._shapes = {s.id: s for s in shapes}
            self._selected = ()
            self._results.replace_all(results)
            for shape in shapes:
                prefix, number = shape.id[0], shape.id[1:]
                if number.isdigit():
                    self._counters[prefix] = max(self._counters[prefix], int(number))
        self.emit("cleared")
        if had_selection:
            self.emit("selectionChanged", ())
        for shape in shapes:
            self.emit("shapeAdded", shape)
        for grid_id in results:
            self.emit("gridResultsChanged", grid_id)
