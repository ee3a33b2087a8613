"""Saved points and lines on the image, and the layer that keeps them in step with the
shapes model, the motors and the zoom."""

from __future__ import annotations

from collections.abc import Mapping

from PyQt5.QtCore import QLineF, QPointF, QRectF, QTimer
from PyQt5.QtGui import QBrush, QColor, QPainter, QPainterPath, QPainterPathStroker
from PyQt5.QtWidgets import QGraphicsScene, QStyleOptionGraphicsItem, QWidget

from mxgui.core.centring import ImageGeometry, centred_point_to_image, plane_to_image
from mxgui.core.roles.shapes import ShapesRole
from mxgui.core.shapes import Grid, Line, Point, Shape
from mxgui.gui.sample_view.grid_item import GridItem
from mxgui.gui.sample_view.heat_map import cell_rgba
from mxgui.gui.sample_view.overlays import LABEL_MARGIN
from mxgui.gui.sample_view.state_item import ShapeStateItem
from mxgui.gui.sample_view.style import OverlayStyle, cosmetic_pen, draw_label, screen_scale

#: radius of a point's mark on the screen, pixels
POINT_RADIUS = 7.0
#: grid results arriving in a burst are drawn at most this often, milliseconds
RESULTS_REDRAW_MS = 50


class _ShapeItem(ShapeStateItem):
    """Common state of a shape's item: the shape, face-on or turned away, selected."""

    def __init__(self, shape: Shape, style: OverlayStyle) -> None:
        super().__init__()
        self.shape_value = shape
        self.style = style
        self.setZValue(20)

    def set_shape(self, shape: Shape) -> None:
        self.shape_value = shape
        self.update()

    def colour(self, normal: QColor) -> QColor:
        if self.selected:
            return self.style.selected
        return normal if self.face_on else self.style.outline_only


class PointItem(_ShapeItem):
    """A saved point: a disc (face-on) or a ring (turned away) with its name."""

    def __init__(self, point: Point, style: OverlayStyle) -> None:
        super().__init__(point, style)
        # over lines: a click on a point that a line crosses picks the point (the small
        # target); the line is picked anywhere else along it
        self.setZValue(21)
        self.position = QPointF()

    def set_image_position(self, x: float, y: float) -> None:
        self.prepareGeometryChange()
        self.position = QPointF(x, y)
        self.update()

    def image_position(self) -> tuple[float, float]:
        return self.position.x(), self.position.y()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt name
        p, m = self.position, LABEL_MARGIN
        return QRectF(p.x() - m, p.y() - m, 2 * m, 2 * m)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.position, 12.0, 12.0)
        return path

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colour = self.colour(self.style.point)
        radius = POINT_RADIUS / screen_scale(painter)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(cosmetic_pen(colour, 2.0))
        fill = QColor(colour)
        fill.setAlpha(110)
        painter.setBrush(QBrush(fill) if self.face_on else QBrush())
        painter.drawEllipse(self.position, radius, radius)
        at = QPointF(self.position.x() + radius, self.position.y() - radius)
        draw_label(painter, at, self.shape_value.name, colour)


class LineItem(_ShapeItem):
    """A line (helical collection) between its two points, with its name."""

    def __init__(self, line: Line, style: OverlayStyle) -> None:
        super().__init__(line, style)
        self.line = QLineF()

    def set_image_ends(self, start: tuple[float, float], end: tuple[float, float]) -> None:
        self.prepareGeometryChange()
        self.line = QLineF(QPointF(*start), QPointF(*end))
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt name
        m = LABEL_MARGIN
        return QRectF(self.line.p1(), self.line.p2()).normalized().adjusted(-m, -m, m, m)

    def shape(self) -> QPainterPath:
        path = QPainterPath(self.line.p1())
        path.lineTo(self.line.p2())
        stroker = QPainterPathStroker()
        stroker.setWidth(12.0)
        return stroker.createStroke(path)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colour = self.colour(self.style.line)
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(cosmetic_pen(colour, 3.0 if self.face_on else 1.5))
        painter.drawLine(self.line)
        radius = 4.0 / screen_scale(painter)
        painter.setBrush(QBrush(colour))
        for end in (self.line.p1(), self.line.p2()):
            painter.drawEllipse(end, radius, radius)
        draw_label(painter, self.line.center(), self.shape_value.name, colour)


class ShapeLayer:
    """One item per shape of the model, projected at the current motors and zoom.

    :meth:`add`, :meth:`change`, :meth:`remove` and :meth:`clear` follow the model's
    signals; :meth:`set_view` re-projects every shape (motors moved, zoom changed);
    :meth:`set_selection` highlights. A shape is drawn filled when the sample faces the
    camera as when it was defined (``Shape.is_face_on``), outlined otherwise.

    Grid results: :meth:`set_results_model` gives the shapes model to read them from;
    :meth:`grid_results_changed` (connect it to ``gridResultsChanged`` through the GUI
    bridge) marks the grid dirty, and one timer redraws the dirty grids' cell images
    (:func:`~mxgui.gui.sample_view.heat_map.cell_rgba`) at most every
    :data:`RESULTS_REDRAW_MS`: a burst of results costs one redraw per grid.
    """

    def __init__(self, scene: QGraphicsScene, style: OverlayStyle) -> None:
        self.scene = scene
        self.style = style
        self.items: dict[str, _ShapeItem | GridItem] = {}
        self.positions: dict[str, float] | None = None
        self.geometry: ImageGeometry | None = None
        self._selected: tuple[str, ...] = ()
        self.results_model: ShapesRole | None = None
        self._dirty_results: set[str] = set()
        self._results_timer = QTimer(scene)  # dies with the scene
        self._results_timer.setSingleShot(True)
        self._results_timer.setInterval(RESULTS_REDRAW_MS)
        self._results_timer.timeout.connect(self.paint_results)

    # grid results ---------------------------------------------------------------------------
    def set_results_model(self, model: ShapesRole | None) -> None:
        """Read grid results from ``model`` (a shapes model, or ``None``)."""
        self.results_model = model
        for shape_id, item in self.items.items():
            if isinstance(item, GridItem):
                self.grid_results_changed(shape_id)

    def grid_results_changed(self, grid_id: str) -> None:
        """The results of ``grid_id`` changed: redraw it with the next batch."""
        self._dirty_results.add(grid_id)
        if not self._results_timer.isActive():
            self._results_timer.start()

    def paint_results(self) -> None:
        """Give every dirty grid its cell image from the model's results now."""
        dirty, self._dirty_results = self._dirty_results, set()
        for grid_id in dirty:
            item = self.items.get(grid_id)
            if not isinstance(item, GridItem):
                continue
            results = None
            if self.results_model is not None:
                try:
                    results = self.results_model.grid_results(grid_id)
                except ValueError:  # removed meanwhile: its removal comes next
                    results = None
            if results is None or results.num_cells != item.grid.num_cells:
                item.set_cell_image(None)
                continue
            rgba, levels = cell_rgba(item.grid, results)
            item.set_cell_image(rgba, levels)

    def stop(self) -> None:
        """Stop the redraw timer (the view is closing)."""
        self._results_timer.stop()

    def set_view(self, positions: Mapping[str, float], geometry: ImageGeometry) -> None:
        self.positions, self.geometry = dict(positions), geometry
        for item in self.items.values():
            self._project(item)

    def set_unplaced(self) -> None:
        """Hide every shape: the motors' positions are not known (a device is down), so
        none can be placed on the image; :meth:`set_view` shows them again."""
        self.positions = None
        for item in self.items.values():
            item.setVisible(False)

    def add(self, shape: Shape) -> None:
        if shape.id in self.items:
            self.change(shape)
            return
        if isinstance(shape, Grid):
            item: _ShapeItem | GridItem = GridItem(shape, self.style)
        elif isinstance(shape, Line):
            item = LineItem(shape, self.style)
        elif isinstance(shape, Point):
            item = PointItem(shape, self.style)
        else:
            return
        item.set_selected(shape.id in self._selected)
        self.items[shape.id] = item
        self._project(item)
        self.scene.addItem(item)
        if isinstance(item, GridItem) and self.results_model is not None:
            self.grid_results_changed(shape.id)

    def change(self, shape: Shape) -> None:
        item = self.items.get(shape.id)
        if item is None:
            self.add(shape)
            return
        if isinstance(item, GridItem):
            if isinstance(shape, Grid):  # the model never changes a shape's kind
                item.set_grid(shape)
        else:
            item.set_shape(shape)
        self._project(item)

    def remove(self, shape: Shape) -> None:
        item = self.items.pop(shape.id, None)
        if item is not None:
            self.scene.removeItem(item)

    def clear(self) -> None:
        for item in self.items.values():
            self.scene.removeItem(item)
        self.items.clear()

    def set_selection(self, ids: tuple[str, ...]) -> None:
        self._selected = tuple(ids)
        for shape_id, item in self.items.items():
            item.set_selected(shape_id in self._selected)

    def shape_at(self, x: float, y: float) -> str | None:
        """The id of the topmost shape under image point ``(x, y)``."""
        for item in self.scene.items(QPointF(x, y)):
            for shape_id, candidate in self.items.items():
                if candidate is item:
                    return shape_id
        return None

    def shapes_in(self, x0: float, y0: float, x1: float, y1: float) -> list[str]:
        """The ids of the shapes drawn wholly inside the image rectangle with corners
        ``(x0, y0)`` and ``(x1, y1)``, in the model's order."""
        rect = QRectF(QPointF(x0, y0), QPointF(x1, y1)).normalized()
        # by the shape, not Qt's ContainsItemShape, which wants the bounding rectangle
        # (the label's margin included) inside too
        return [
            shape_id
            for shape_id, item in self.items.items()
            if item.isVisible() and rect.contains(item.mapToScene(item.shape()).boundingRect())
        ]

    def _project(self, item: _ShapeItem | GridItem) -> None:
        positions, geometry = self.positions, self.geometry
        item.setVisible(positions is not None and geometry is not None)
        if positions is None or geometry is None:
            return
        if isinstance(item, GridItem):
            grid = item.grid
            item.set_projection(*plane_to_image(grid.centre, positions, geometry))
            item.set_face_on(grid.is_face_on(positions["phi"]))
            return
        shape = item.shape_value
        item.set_face_on(shape.is_face_on(positions["phi"]))
        if isinstance(item, PointItem) and isinstance(shape, Point):
            item.set_image_position(
                *centred_point_to_image(shape.position.motor_positions(), positions, geometry)
            )
        elif isinstance(item, LineItem) and isinstance(shape, Line):
            item.set_image_ends(
                centred_point_to_image(shape.start.motor_positions(), positions, geometry),
                centred_point_to_image(shape.end.motor_positions(), positions, geometry),
            )
