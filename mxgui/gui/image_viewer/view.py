"""The image itself: a pyqtgraph image with pan, zoom, a histogram for contrast,
resolution rings from the header's geometry, and what is under the cursor.

Pixel ``(i, j)`` covers ``[i, i + 1) x [j, j + 1)`` in the plot, as in ``geometry``
(DIALS' convention), so the beam centre is drawn at ``(beam_x, beam_y)`` and the cursor's
resolution is that of the pixel's centre.
The image drawn is the frame's ``display`` array (its counts as float32, max-pooled in
the reader thread for a frame bigger than the screen, drawn over the full frame's extent): masked
pixels are NaN there, which pyqtgraph leaves transparent, so they show the rectangle of
:data:`MASKED_COLOUR` under the image. The values under the cursor are read from the
full-resolution counts as read, never from what is drawn.
"""

from __future__ import annotations

import math
import time

import pyqtgraph as pg
from PyQt5.QtCore import QPointF, QRectF, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QPainter, QPen
from PyQt5.QtWidgets import (
    QApplication,
    QDialog,
    QGraphicsEllipseItem,
    QGraphicsRectItem,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from mxgui.gui.image_viewer.geometry import FrameGeometry, ring_resolutions
from mxgui.gui.image_viewer.reading import DISPLAY_MAX_SIDE, Frame

#: what masked pixels (detector gaps, bad pixels) look like
MASKED_COLOUR = "#3f6fb5"
RING_COLOUR = "#e65100"
#: behind a ring's label: readable on dark and light pixels
LABEL_FILL = (255, 255, 255, 210)
#: white background, black spots (as ADXV shows diffraction images)
GREY_INVERTED = {
    "mode": "rgb",
    "ticks": [(0.0, (255, 255, 255, 255)), (1.0, (0, 0, 0, 255))],
}
#: how many rings at most
RING_COUNT = 5


class PaintedImageItem(pg.ImageItem):
    """An image item that says when it has been painted, and how long its last paint
    took (``paint_ms``: with the render of a new image, the costly part)."""

    sigPainted = pyqtSignal()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.paint_ms = 0.0

    def paint(self, painter: QPainter, *args: object) -> None:
        started = time.perf_counter()
        super().paint(painter, *args)
        self.paint_ms = (time.perf_counter() - started) * 1000.0
        self.sigPainted.emit()


def cursor_text(frame: Frame, x: float, y: float) -> str:
    """What the line under the image says for plot point ``(x, y)``: the pixel, its
    value as read and its resolution (empty off the image)."""
    column, row = math.floor(x), math.floor(y)
    height, width = frame.counts.shape
    if not (0 <= column < width and 0 <= row < height):
        return ""
    text = f"x {column}, y {row}: {frame.counts[row, column]}"
    if frame.is_masked(row, column):
        text += " (masked)"
    if frame.geometry is not None:
        d = frame.geometry.resolution_at(column + 0.5, row + 0.5)
        text += ", resolution " + ("on the beam" if math.isinf(d) else f"{d:.2f} \u00c5")
    return text


def _towards_farthest_corner(
    geometry: FrameGeometry, width: int, height: int
) -> tuple[float, float]:
    """The unit vector (in mm) from the beam to the image's farthest corner."""
    corners = [(x, y) for x in (0, width) for y in (0, height)]
    x, y = max(corners, key=lambda corner: geometry.radius_mm(*corner))
    dx, dy = (x - geometry.beam_x) * geometry.pixel_x, (y - geometry.beam_y) * geometry.pixel_y
    length = math.hypot(dx, dy) or 1.0
    return dx / length, dy / length


def full_resolution_region(
    low: tuple[float, float],
    high: tuple[float, float],
    shape: tuple[int, ...],
    current: tuple[int, int, int, int] | None,
) -> tuple[int, int, int, int] | None:
    """What to draw at full resolution when the view shows plot points ``low`` ..
    ``high`` (x, y) of a frame of ``shape``: ``None`` (the reduced whole) while more
    than ``DISPLAY_MAX_SIDE / 2`` pixels are in view on a side; else ``current`` while
    the view stays inside it, or the pixels in view with half as much again on each
    side (rows ``r0:r1``, columns ``c0:c1``: at most ``DISPLAY_MAX_SIDE`` a side)."""
    height, width = shape
    x0, y0 = max(0, math.floor(low[0])), max(0, math.floor(low[1]))
    x1, y1 = min(width, math.ceil(high[0])), min(height, math.ceil(high[1]))
    if max(x1 - x0, y1 - y0) > DISPLAY_MAX_SIDE // 2:
        return None
    if x1 <= x0 or y1 <= y0:
        return current  # off the image
    if current is not None:
        r0, r1, c0, c1 = current
        if r0 <= y0 and y1 <= r1 and c0 <= x0 and x1 <= c1:
            return current
    dx, dy = (x1 - x0) // 2, (y1 - y0) // 2
    return (max(0, y0 - dy), min(height, y1 + dy), max(0, x0 - dx), min(width, x1 + dx))


class DiffractionView(QWidget):
    """A diffraction frame with rings; :meth:`set_frame` shows one.

    ``cursorMoved(text)``: the pixel under the cursor, its value and resolution;
    ``painted()``: the image item was painted.
    """

    cursorMoved = pyqtSignal(str)
    painted = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frame: Frame | None = None
        # pyqtgraph's items make their menus and colour dialog without a parent: they are
        # given this view as parent, so that Qt deletes them with it
        before = set(QApplication.topLevelWidgets())
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.plot = self.graphics.addPlot()
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)  # row 0 at the top, as detector images are shown
        self.plot.setLabel("bottom", "x (pixels)")
        self.plot.setLabel("left", "y (pixels)")
        self.plot.disableAutoRange()  # the image sets the range, not the rings
        # masked pixels are NaN, transparent: this rectangle under the image shows them
        self.masked_backing = QGraphicsRectItem(0, 0, 0, 0)
        self.masked_backing.setBrush(QColor(MASKED_COLOUR))
        self.masked_backing.setPen(QPen(Qt.NoPen))
        self.masked_backing.setZValue(-10)
        self.plot.addItem(self.masked_backing)
        #: the part of the frame drawn at full resolution (rows r0:r1, columns c0:c1)
        #: when zoomed in, or ``None``: the whole frame, reduced if it is big
        self.drawn_region: tuple[int, int, int, int] | None = None
        self.plot.getViewBox().sigRangeChanged.connect(self._range_changed)
        self.image = PaintedImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.histogram = pg.HistogramLUTItem()
        self.histogram.gradient.restoreState(GREY_INVERTED)
        self.histogram.setImageItem(self.image)
        #: the contrast the user set on the histogram (kept from frame to frame), or
        #: ``None``: each frame's default
        self.user_levels: tuple[float, float] | None = None
        self._setting_levels = False
        self.histogram.sigLevelsChanged.connect(self._levels_changed)
        self.graphics.addItem(self.histogram)
        # (only menus and dialogs: the widgets of their actions belong to those actions)
        for widget in QApplication.topLevelWidgets():
            if (
                widget not in before
                and isinstance(widget, (QMenu, QDialog))
                and widget.parentWidget() is None
            ):
                widget.setParent(self, widget.windowFlags())
        #: the resolutions of the rings drawn (Angstrom) and their items
        self.ring_resolutions: list[float] = []
        self.rings: list[QGraphicsEllipseItem] = []
        self.ring_labels: list[pg.TextItem] = []
        self._ring_key: tuple[FrameGeometry, int, int] | None = None
        self.image.sigPainted.connect(self.painted)
        self.graphics.scene().sigMouseMoved.connect(self._mouse_moved)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.graphics)

    def set_frame(self, frame: Frame) -> None:
        """Show ``frame`` with the user's contrast if they set one, else its default;
        the zoom is kept while the image size stays the same."""
        old = self.frame
        self.frame = frame
        # the histogram follows the image's levels (HistogramLUTItem.imageChanged)
        self._setting_levels = True
        try:
            same_size = old is not None and old.shape == frame.shape
            self._draw(frame, self._region_for(frame) if same_size else None)
        finally:
            self._setting_levels = False
        self._draw_rings(frame)
        if old is None or old.shape != frame.shape:
            height, width = frame.shape
            self.masked_backing.setRect(QRectF(0, 0, width, height))
            self.plot.setRange(QRectF(0, 0, width, height), padding=0)

    def _draw(self, frame: Frame, region: tuple[int, int, int, int] | None) -> None:
        """Draw the frame's reduced image (made in the reader thread) over the full
        frame's extent, so that rings, the cursor and zoom stay in its pixels; or, zoomed
        in, ``region`` (rows ``r0:r1``, columns ``c0:c1``) of it at full resolution."""
        if region is None:
            drawn, factor = frame.drawn, frame.display_bin
            extent = QRectF(0, 0, drawn.shape[1] * factor, drawn.shape[0] * factor)
        else:
            r0, r1, c0, c1 = region
            drawn = frame.shown_part(r0, r1, c0, c1)
            extent = QRectF(c0, r0, c1 - c0, r1 - r0)
        self.image.setImage(drawn, autoLevels=False, levels=self.levels_for(frame), rect=extent)
        self.drawn_region = region

    def _region_for(self, frame: Frame) -> tuple[int, int, int, int] | None:
        if frame.display_bin == 1:
            return None  # drawn whole at full resolution already
        view = self.plot.getViewBox().viewRect()
        return full_resolution_region(
            (min(view.left(), view.right()), min(view.top(), view.bottom())),
            (max(view.left(), view.right()), max(view.top(), view.bottom())),
            frame.shape,
            self.drawn_region,
        )

    def _range_changed(self, *_args: object) -> None:
        frame = self.frame
        if frame is None:
            return
        region = self._region_for(frame)
        if region != self.drawn_region:  # zoomed in or out past the budget, or panned off
            self._setting_levels = True
            try:
                self._draw(frame, region)
            finally:
                self._setting_levels = False

    def levels_for(self, frame: Frame) -> tuple[float, float]:
        """The contrast ``frame`` is shown with: the user's, or the frame's default."""
        return self.user_levels if self.user_levels is not None else frame.levels

    def auto_contrast(self) -> None:
        """Forget the user's contrast: each frame with its default again."""
        self.user_levels = None
        if self.frame is not None:
            self._setting_levels = True
            try:
                self.histogram.setLevels(*self.frame.levels)
            finally:
                self._setting_levels = False

    def _levels_changed(self, _histogram: object) -> None:
        if not self._setting_levels:  # the user moved the histogram's region
            low, high = self.histogram.getLevels()
            self.user_levels = (float(low), float(high))

    def clear(self) -> None:
        """No image."""
        self.frame = None
        self.drawn_region = None
        self.image.clear()
        self.masked_backing.setRect(QRectF())
        self._draw_rings(None)

    # rings ------------------------------------------------------------------------------------
    def _draw_rings(self, frame: Frame | None) -> None:
        geometry = None if frame is None else frame.geometry
        height, width = (0, 0) if frame is None else frame.shape
        key = None if geometry is None else (geometry, width, height)
        if key is not None and key == self._ring_key:
            return  # the same rings (a collection's frames share their geometry)
        for item in (*self.rings, *self.ring_labels):
            self.plot.removeItem(item)
        self.rings, self.ring_labels, self.ring_resolutions = [], [], []
        self._ring_key = key
        if geometry is None:
            return
        resolutions = ring_resolutions(geometry, width, height, RING_COUNT)
        pen = QPen(QColor(RING_COLOUR))
        pen.setCosmetic(True)
        pen.setWidthF(1.2)
        pen.setStyle(Qt.DashLine)
        cx, cy = geometry.beam_x, geometry.beam_y
        ux, uy = _towards_farthest_corner(geometry, width, height)
        for resolution in resolutions:
            rx, ry = geometry.ring_radii_px(resolution)
            ring = QGraphicsEllipseItem(QRectF(cx - rx, cy - ry, 2 * rx, 2 * ry))
            ring.setPen(pen)
            self.plot.addItem(ring, ignoreBounds=True)  # "A" (auto range) fits the image
            anchor = (0 if ux >= 0 else 1, 1 if uy <= 0 else 0)
            label = pg.TextItem(
                f"{resolution:g} \u00c5", color=RING_COLOUR, anchor=anchor, fill=LABEL_FILL
            )
            font = label.textItem.font()
            font.setBold(True)
            label.setFont(font)
            # on the ring, towards the farthest corner: on the image for every ring
            label.setPos(QPointF(cx + rx * ux, cy + ry * uy))
            self.plot.addItem(label, ignoreBounds=True)
            self.rings.append(ring)
            self.ring_labels.append(label)
        self.ring_resolutions = resolutions

    # cursor ----------------------------------------------------------------------------------
    def _mouse_moved(self, scene_position: QPointF) -> None:
        if self.frame is None:
            return
        if not self.plot.sceneBoundingRect().contains(scene_position):
            self.cursorMoved.emit("")
            return
        point = self.plot.getViewBox().mapSceneToView(scene_position)
        self.cursorMoved.emit(cursor_text(self.frame, point.x(), point.y()))

    def scene_point_of(self, x: float, y: float) -> QPointF:
        """Where plot point ``(x, y)`` is in the scene (for tests and tools)."""
        return self.plot.getViewBox().mapViewToScene(QPointF(x, y))
