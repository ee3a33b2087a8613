"""A mesh grid drawn as one graphics item, whatever its number of cells."""

from __future__ import annotations

import math

import numpy as np
from PyQt5.QtCore import QLineF, QPointF, QRectF, Qt
from PyQt5.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPolygonF, QTransform
from PyQt5.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from mxgui.core.shapes import Grid
from mxgui.gui.sample_view.heat_map import draw_legend
from mxgui.gui.sample_view.state_item import ShapeStateItem
from mxgui.gui.sample_view.style import OverlayStyle, draw_label

#: cell lines are drawn only when cells are at least this many screen pixels wide
MIN_CELL_PIXELS = 4.0

Vector = tuple[float, float]


class GridItem(ShapeStateItem):
    """A :class:`~mxgui.core.shapes.Grid` projected on the camera image.

    The item's coordinates are image pixels. The grid's own plane is mapped onto the
    image by one affine transform (:meth:`set_projection`, from
    :func:`mxgui.core.centring.plane_to_image`), so a grid of a million cells costs the
    same as one of four: the outline is always drawn; the cell lines only where they
    are exposed and when cells are at least :data:`MIN_CELL_PIXELS` wide on the screen,
    into a cache that camera frames do not invalidate.
    :meth:`set_cell_image` gives one RGBA colour per cell (a result heat map), drawn with
    the same transform. When the sample has turned away from the grid's plane the grid
    is drawn outlined, without fill or colours; seen edge-on (90 degrees away) it is
    the line it projects to.
    """

    def __init__(self, grid: Grid, style: OverlayStyle) -> None:
        super().__init__()
        self.grid = grid
        self.style = style
        self._map = QTransform()
        self._degenerate = True
        self._corners = QPolygonF()
        self._cell_image: QImage | None = None
        self._cell_pixels: np.ndarray | None = None
        self._levels: tuple[float, float] | None = None
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        # drawn again only when the grid, its projection or the view's scale change: a
        # new camera frame under it costs one blit, not hundreds of lines
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self.setZValue(10)

    # state ---------------------------------------------------------------------------------
    def set_grid(self, grid: Grid) -> None:
        """Show ``grid`` (renamed, say) with the current projection."""
        self.grid = grid
        self.update()

    def set_projection(self, origin: Vector, ex: Vector, ey: Vector) -> None:
        """Image position of the grid centre, and image displacement of 1 mm along the
        axis (``ex``) and of 1 mm up (``ey``) in the grid's plane."""
        grid = self.grid
        width, height = grid.width_mm, grid.height_mm
        # local (x, y) mm from the grid's top-left corner, y down: image = A + x ex - y ey
        ax = origin[0] - width / 2.0 * ex[0] + height / 2.0 * ey[0]
        ay = origin[1] - width / 2.0 * ex[1] + height / 2.0 * ey[1]
        self.prepareGeometryChange()
        self._map = QTransform(ex[0], ex[1], -ey[0], -ey[1], ax, ay)
        area = abs(ex[0] * ey[1] - ex[1] * ey[0]) * width * height
        self._degenerate = not area > 1.0  # under one square pixel: a line or a dot
        self._corners = self._map.map(QPolygonF(QRectF(0.0, 0.0, width, height)))
        self.update()

    def set_cell_image(
        self, rgba: np.ndarray | None, levels: tuple[float, float] | None = None
    ) -> None:
        """Colour the cells: ``rgba`` is ``(num_rows, num_cols, 4)`` ``uint8`` (row 0 at
        the top, column 0 on the left), or ``None`` to clear. Kept without a copy when
        C-contiguous; change it only through this method. ``levels`` (lowest, highest
        score) adds a legend under the grid."""
        self._levels = levels if rgba is not None else None
        if rgba is None:
            self._cell_image = self._cell_pixels = None
        else:
            expected = (self.grid.num_rows, self.grid.num_cols, 4)
            if rgba.shape != expected or rgba.dtype != np.uint8:
                raise ValueError(
                    f"grid {self.grid.id}: the cell image must be {expected} uint8, "
                    f"got {rgba.shape} {rgba.dtype}"
                )
            pixels = np.ascontiguousarray(rgba)
            rows, cols = expected[:2]
            self._cell_pixels = pixels
            self._cell_image = QImage(pixels.data, cols, rows, cols * 4, QImage.Format_RGBA8888)  # type: ignore[call-overload]  # any buffer; the stubs say bytes
        self.update()

    def cell_pixels(self) -> np.ndarray | None:
        """The cell image shown (read-only view), ``None`` when none."""
        if self._cell_pixels is None:
            return None
        view = self._cell_pixels.view()
        view.flags.writeable = False
        return view

    def _first_corners(self) -> list[QPointF]:
        """The first four points of the projected outline (its corners)."""
        return [self._corners[i] for i in range(min(4, self._corners.size()))]

    def image_corners(self) -> list[tuple[float, float]]:
        """Image ``(x, y)`` of the grid's corners: top-left, top-right, bottom-right,
        bottom-left (as seen when it was defined)."""
        return [(p.x(), p.y()) for p in self._first_corners()]

    # QGraphicsItem -----------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt name
        if self._corners.isEmpty():  # not projected yet (no camera view): nothing to draw
            return QRectF()
        margin = 4.0
        rect = self._corners.boundingRect()
        # room for the name above the top-left corner, the legend below
        return rect.adjusted(-margin, -margin - 40.0, margin + 200.0, margin + 40.0)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addPolygon(self._corners)
        path.closeSubpath()
        return path

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        if self._corners.isEmpty():  # added before the view knew where the grid is
            return
        colour = self.style.selected if self.selected else self.style.grid
        pen = QPen(colour, 2.0 if self.selected else 1.5)
        pen.setCosmetic(True)
        grid = self.grid
        if self._degenerate:  # seen edge-on
            painter.setPen(pen)
            painter.drawPolygon(self._corners)
            top_left = self._corners[0]
            draw_label(painter, top_left, grid.name, colour, above=True)
            return
        outline = QRectF(0.0, 0.0, grid.width_mm, grid.height_mm)
        painter.save()
        painter.setTransform(self._map, True)
        if self.face_on:
            if self._cell_image is not None:
                sx, sy = grid.spacing_x_mm / 2.0, grid.spacing_y_mm / 2.0
                target = QRectF(
                    -sx, -sy, grid.num_cols * grid.step_x_mm, grid.num_rows * grid.step_y_mm
                )
                painter.drawImage(target, self._cell_image)
            else:
                fill = QColor(colour)
                fill.setAlpha(40)
                painter.fillRect(outline, QBrush(fill))
            self._draw_cells(painter, option, colour)
        painter.setPen(pen)
        painter.setBrush(Qt.NoBrush)
        painter.drawRect(outline)
        painter.restore()
        draw_label(painter, self._corners[0], grid.name, colour, above=True)
        if self.face_on and self._cell_image is not None and self._levels is not None:
            corners = self._first_corners()
            draw_legend(painter, max(corners, key=lambda c: (c.y(), -c.x())), self._levels)

    def _draw_cells(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, colour: QColor
    ) -> None:
        """The cell lines in the exposed part, when cells are big enough on the screen."""
        grid = self.grid
        device = painter.worldTransform()
        origin = device.map(QPointF(0.0, 0.0))
        across = QLineF(origin, device.map(QPointF(grid.step_x_mm, 0.0))).length()
        down = QLineF(origin, device.map(QPointF(0.0, grid.step_y_mm))).length()
        if min(across, down) < MIN_CELL_PIXELS or (grid.num_cols == 1 and grid.num_rows == 1):
            return
        inverse, invertible = self._map.inverted()
        if not invertible:
            return
        exposed = inverse.mapRect(option.exposedRect)
        width, height = grid.width_mm, grid.height_mm
        x0, x1 = max(exposed.left(), 0.0), min(exposed.right(), width)
        y0, y1 = max(exposed.top(), 0.0), min(exposed.bottom(), height)
        if x0 >= x1 or y0 >= y1:
            return
        lines = _edges(x0, x1, grid.num_cols, grid.step_x_mm, grid.spacing_x_mm)
        vertical = [QLineF(x, y0, x, y1) for x in lines]
        lines = _edges(y0, y1, grid.num_rows, grid.step_y_mm, grid.spacing_y_mm)
        horizontal = [QLineF(x0, y, x1, y) for y in lines]
        line_colour = QColor(colour)
        line_colour.setAlpha(150)
        pen = QPen(line_colour, 1.0)
        pen.setCosmetic(True)
        painter.setPen(pen)
        hints = painter.renderHints()
        painter.setRenderHint(QPainter.Antialiasing, False)
        painter.drawLines(vertical + horizontal)
        painter.setRenderHints(hints)


def _edges(low: float, high: float, count: int, step: float, spacing: float) -> list[float]:
    """Inner cell edges between ``low`` and ``high`` (mm from the grid's edge)."""
    first = max(1, math.floor(low / step))
    last = min(count - 1, math.ceil(high / step))
    edges: list[float] = []
    for index in range(first, last + 1):
        x = index * step
        if spacing > 0:
            edges.append(x - spacing)  # the end of the cell before the gap
        edges.append(x)
    return [x for x in edges if low <= x <= high]
