"""Points, lines and grids made from clicks and drags, written to the shapes model."""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import QObject, pyqtSignal

from mxgui.core.centring import CentredPosition, ImageGeometry
from mxgui.core.shapes import Grid, Point, Shape, ShapesModel
from mxgui.gui.sample_view.controls import GridParameters
from mxgui.gui.sample_view.drawing import GridDrag, cells_across, grid_parameters, point_at
from mxgui.gui.sample_view.modes import Mode
from mxgui.gui.sample_view.overlays import length_um
from mxgui.gui.sample_view.shape_items import ShapeLayer

#: what the editor needs to know about the view now: image geometry and the centred
#: position of what is on the beam (``None`` when not known)
Point2 = tuple[float, float]
ViewState = Callable[[], tuple[ImageGeometry, CentredPosition] | None]


class ShapeEditor(QObject):
    """Turns the view's requests into shapes, and the model's changes into items.

    Writes only through the :class:`~mxgui.core.shapes.ShapesModel` methods; follows
    the model through :meth:`shape_added`, :meth:`shape_changed`, :meth:`shape_removed`,
    :meth:`cleared` and :meth:`selection_changed` (connect them to its signals).
    ``messagePosted(text)`` for what was refused, ``editDone(text)`` for what was made,
    ``pointsSelected(count)``, ``shapeSelected(shape_id)`` when the user selects a
    shape on the image.
    """

    messagePosted = pyqtSignal(str)
    editDone = pyqtSignal(str)
    pointsSelected = pyqtSignal(int)
    shapeSelected = pyqtSignal(str)

    def __init__(
        self, layer: ShapeLayer, panel: GridParameters, state: ViewState, parent=None
    ) -> None:
        super().__init__(parent)
        self.layer = layer
        self.panel = panel
        self.state = state
        self.shapes: ShapesModel | None = None
        #: the last grid drawn here and its drag, for "Apply to grid"
        self.last_grid: tuple[str, GridDrag] | None = None
        panel.applyRequested.connect(self.apply_grid_parameters)

    def set_model(self, shapes: ShapesModel | None) -> None:
        self.layer.clear()
        self.forget_last_grid()
        self.shapes = shapes
        if shapes is not None:
            for shape in shapes.shapes():
                self.layer.add(shape)
            self.selection_changed(shapes.selected())

    def _get(self, shape_id: str) -> Shape | None:
        try:
            return self.shapes.get(shape_id) if self.shapes is not None else None
        except KeyError:
            return None

    def _ready(self, what: str) -> tuple[ImageGeometry, CentredPosition] | None:
        state = self.state()
        if self.shapes is None or state is None:
            self.messagePosted.emit(f"{what}: no shapes object or no motor positions yet")
            return None
        return state

    # made by the user --------------------------------------------------------------------------
    def save_point(self, position: CentredPosition | None = None) -> Point | None:
        """Save ``position`` (default: what is on the beam now) as a point."""
        state = self._ready("Save point")
        if state is None:
            return None
        assert self.shapes is not None  # _ready checked it
        point = self.shapes.add_point(position if position is not None else state[1])
        self.editDone.emit(f"Saved {point.name}")
        return point

    def line_drawn(self, x0: float, y0: float, x1: float, y1: float) -> None:
        state = self._ready("Line")
        if state is None:
            return
        geometry, here = state
        start, end = point_at(x0, y0, here, geometry), point_at(x1, y1, here, geometry)
        assert self.shapes is not None  # _ready checked it
        try:
            line = self.shapes.add_line(start, end)
        except ValueError as exc:
            self.messagePosted.emit(f"Line: {exc}")
            return
        self.editDone.emit(f"Line {line.name}: {line.length_mm * 1000:.1f} µm")

    def line_from_selected_points(self) -> None:
        if self.shapes is None:
            return
        points = [s for s in self.shapes.selected() if isinstance(self._get(s), Point)]
        if len(points) != 2:
            self.messagePosted.emit("Line from points: select exactly two points first")
            return
        try:
            line = self.shapes.add_line_between(*points)
        except (KeyError, ValueError) as exc:
            self.messagePosted.emit(f"Line from points: {exc}")
            return
        self.editDone.emit(f"Line {line.name} from {points[0]} to {points[1]}")

    def grid_drawn(self, x0: float, y0: float, x1: float, y1: float) -> Grid | None:
        state = self._ready("Draw grid")
        if state is None:
            return None
        geometry, here = state
        grid = self._add_grid(GridDrag.from_image((x0, y0), (x1, y1), here, geometry))
        if grid is not None:
            self.editDone.emit(
                f"Grid {grid.name}: {grid.num_cols} × {grid.num_rows} cells of "
                f"{grid.cell_width_mm * 1000:g} × {grid.cell_height_mm * 1000:g} µm"
            )
        return grid

    def _add_grid(self, drag: GridDrag, name: str = "") -> Grid | None:
        assert self.shapes is not None  # the callers checked it (_ready)
        try:
            grid = self.shapes.add_grid(**grid_parameters(drag, *self.panel.values_mm()), name=name)
        except ValueError as exc:
            self.messagePosted.emit(f"Draw grid: {exc}")
            return None
        self.last_grid = (grid.id, drag)
        self.panel.set_apply_target(grid.name)
        return grid

    def apply_grid_parameters(self) -> None:
        """Draw the last grid again, over the same area, with the panel's values."""
        if self.last_grid is None or self.shapes is None:
            return
        grid_id, drag = self.last_grid
        old = self._get(grid_id)
        if old is None:
            self.messagePosted.emit(f"Apply: grid {grid_id} no longer exists")
            self.forget_last_grid()
            return
        try:  # checked before the old grid goes: a refused size keeps it
            Grid("G0", old.name, **grid_parameters(drag, *self.panel.values_mm()))
        except ValueError as exc:
            self.messagePosted.emit(f"Apply: {exc}")
            return
        self.shapes.remove(grid_id)
        grid = self._add_grid(drag, old.name)
        if grid is not None:
            self.editDone.emit(f"Grid {grid.name}: now {grid.num_cols} × {grid.num_rows} cells")

    def describe_drag(self, mode: Mode, start: Point2, end: Point2) -> str:
        """The label of a drag in progress: the grid's cells, or the length measured."""
        state = self.state()
        if state is None:
            return ""
        geometry = state[0]
        if mode is Mode.MEASURE:
            return f"{length_um(start, end, geometry.pixels_per_mm):.1f} µm"
        (h0, d0), (h1, d1) = geometry.to_offsets(*start), geometry.to_offsets(*end)
        cell_w, cell_h, sx, sy = self.panel.values_mm()
        cols, rows = cells_across(h1 - h0, cell_w, sx), cells_across(d1 - d0, cell_h, sy)
        return f"{cols} × {rows} cells"

    def forget_last_grid(self) -> None:
        self.last_grid = None
        self.panel.set_apply_target(None)

    def select_at(self, x: float, y: float, toggle: bool = False) -> None:
        """Select the shape under image point ``(x, y)`` (nothing there: no selection);
        with ``toggle`` (a ctrl or shift click) add it to the selection, or take it out
        if it was in, and keep the rest."""
        shape_id = self.layer.shape_at(x, y) or ""
        if not toggle or self.shapes is None:
            self.select(shape_id)
            return
        if not shape_id:
            return  # a ctrl-click beside the shapes keeps the selection
        selected = list(self.shapes.selected())
        if shape_id in selected:
            selected.remove(shape_id)
        else:
            selected.append(shape_id)
        try:
            self.shapes.select(selected)
        except KeyError as exc:  # one removed meanwhile (another sample mounted)
            self.messagePosted.emit(f"Select: {exc.args[0]}")
            return
        self.shapeSelected.emit(shape_id)

    def select_in(self, x0: float, y0: float, x1: float, y1: float, add: bool = False) -> None:
        """Select the shapes inside the box dragged from ``(x0, y0)`` to ``(x1, y1)``
        (image pixels); with ``add`` (ctrl or shift held) add them to the selection."""
        if self.shapes is None:
            return
        found = self.layer.shapes_in(x0, y0, x1, y1)
        selection = [*self.shapes.selected(), *found] if add else found
        try:
            self.shapes.select(list(dict.fromkeys(selection)))
        except KeyError as exc:  # one removed meanwhile (another sample mounted)
            self.messagePosted.emit(f"Select: {exc.args[0]}")
            return
        if found:
            self.editDone.emit(f"Selected {len(found)} shape{'s' * (len(found) != 1)}")

    def selected_shapes(self) -> list[Shape]:
        """The selected shapes, in the order selected (those removed meanwhile left out)."""
        if self.shapes is None:
            return []
        found = (self._get(shape_id) for shape_id in self.shapes.selected())
        return [shape for shape in found if shape is not None]

    def select(self, shape_id: str) -> None:
        if self.shapes is None:
            return
        try:
            self.shapes.select([shape_id] if shape_id else [])
        except KeyError as exc:
            self.messagePosted.emit(f"Select: {exc.args[0]}")
            return
        if shape_id:
            self.shapeSelected.emit(shape_id)

    # the model's signals ------------------------------------------------------------------------
    def shape_added(self, shape: Shape) -> None:
        self.layer.add(shape)

    def shape_changed(self, shape: Shape) -> None:
        self.layer.change(shape)

    def shape_removed(self, shape: Shape) -> None:
        self.layer.remove(shape)
        if self.last_grid is not None and self.last_grid[0] == shape.id:
            self.forget_last_grid()

    def cleared(self) -> None:
        self.layer.clear()
        self.forget_last_grid()

    def selection_changed(self, ids: tuple[str, ...]) -> None:
        self.layer.set_selection(tuple(ids))
        self.pointsSelected.emit(sum(isinstance(self._get(s), Point) for s in ids))
