"""Overlays that are not shapes: beam mark, scale bar, centring clicks, measurement,
and the rubber band of a drag. All in image pixels; pens and labels keep their size on
the screen."""

from __future__ import annotations

import math

from PyQt5.QtCore import QLineF, QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QPainter
from PyQt5.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from mxgui.gui.sample_view.style import OverlayStyle, cosmetic_pen, draw_label, screen_scale

#: room around an item for its label, image pixels
LABEL_MARGIN = 160.0
#: scale bar lengths to choose from, micrometres
NICE_LENGTHS_UM = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


class _Overlay(QGraphicsItem):
    """An overlay item with a style and a margin for its label around ``_area``."""

    def __init__(self, style: OverlayStyle, z: float) -> None:
        super().__init__()
        self.style = style
        self._area = QRectF()
        self.setZValue(z)

    def _set_area(self, area: QRectF) -> None:
        self.prepareGeometryChange()
        self._area = area
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt name
        if self._area.isNull():
            return QRectF()
        m = LABEL_MARGIN
        return self._area.normalized().adjusted(-m, -m, m, m)


class BeamItem(_Overlay):
    """The beam: an ellipse or rectangle of the beam size around the beam position."""

    def __init__(self, style: OverlayStyle) -> None:
        super().__init__(style, 30)
        self.centre = QPointF()
        self.size = (0.0, 0.0)
        self.beam_shape = "ellipse"

    def set_beam(
        self, centre: tuple[float, float], size_px: tuple[float, float], shape: str
    ) -> None:
        """Beam at image ``centre``, ``size_px`` (width, height) image pixels, ``shape``
        ``"ellipse"`` or ``"rectangle"``."""
        self.centre = QPointF(*centre)
        self.size = (max(float(size_px[0]), 0.0), max(float(size_px[1]), 0.0))
        self.beam_shape = shape
        self._set_area(self.rect())

    def rect(self) -> QRectF:
        """The beam's rectangle on the image."""
        w, h = self.size
        return QRectF(self.centre.x() - w / 2.0, self.centre.y() - h / 2.0, w, h)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.Antialiasing, True)
        painter.setPen(cosmetic_pen(self.style.beam, 2.0))
        painter.setBrush(Qt.NoBrush)
        rect = self.rect()
        if self.beam_shape == "rectangle":
            painter.drawRect(rect)
        else:
            painter.drawEllipse(rect)
        arm = 8.0 / screen_scale(painter)  # a cross of 8 screen pixels at the centre
        c = self.centre
        painter.setPen(cosmetic_pen(self.style.beam, 1.0))
        painter.drawLine(QLineF(c.x() - arm, c.y(), c.x() + arm, c.y()))
        painter.drawLine(QLineF(c.x(), c.y() - arm, c.x(), c.y() + arm))


def nice_length_um(pixels_per_mm: float, longest_px: float) -> float:
    """The longest of :data:`NICE_LENGTHS_UM` not over ``longest_px`` image pixels."""
    fitting = [n for n in NICE_LENGTHS_UM if n / 1000.0 * pixels_per_mm <= longest_px]
    return float(fitting[-1] if fitting else NICE_LENGTHS_UM[0])


class ScaleBarItem(_Overlay):
    """An L-shaped scale bar at the bottom left of the image with its length in um."""

    def __init__(self, style: OverlayStyle) -> None:
        super().__init__(style, 30)
        self.length_um = 0.0
        self._corner = QPointF()
        self._lengths_px = (0.0, 0.0)

    def set_scale(self, pixels_per_mm: tuple[float, float], image_size: tuple[int, int]) -> None:
        """Choose the bar's length for ``pixels_per_mm`` on an image of ``image_size``."""
        px, py = pixels_per_mm
        width, height = image_size
        self.length_um = nice_length_um(px, 0.2 * width)
        self._lengths_px = (self.length_um / 1000.0 * px, self.length_um / 1000.0 * py)
        margin = 0.04 * min(width, height)
        self._corner = QPointF(margin, height - margin)
        c, (lx, ly) = self._corner, self._lengths_px
        self._set_area(QRectF(c.x(), c.y() - ly, lx, ly))

    def label(self) -> str:
        """The length written next to the bar, e.g. ``"100 µm"``."""
        return f"{self.length_um:g} µm"

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        c, (lx, ly) = self._corner, self._lengths_px
        for colour, width in ((QColor(0, 0, 0, 160), 5.0), (self.style.scale, 2.5)):
            painter.setPen(cosmetic_pen(colour, width))
            painter.drawLine(QLineF(c.x(), c.y(), c.x() + lx, c.y()))
            painter.drawLine(QLineF(c.x(), c.y(), c.x(), c.y() - ly))
        draw_label(painter, QPointF(c.x() + lx / 3.0, c.y()), self.label(), self.style.scale, True)


class ClickMarksItem(_Overlay):
    """The clicks of the centring in progress: numbered crosses where the user clicked."""

    def __init__(self, style: OverlayStyle) -> None:
        super().__init__(style, 40)
        self.points: list[QPointF] = []

    def set_points(self, points: list[tuple[float, float]]) -> None:
        self.points = [QPointF(x, y) for x, y in points]
        area = QRectF()
        for p in self.points:
            area = area.united(QRectF(p.x() - 1, p.y() - 1, 2, 2))
        self._set_area(area)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        arm = 10.0 / screen_scale(painter)
        painter.setPen(cosmetic_pen(self.style.click, 2.0))
        for number, p in enumerate(self.points, 1):
            painter.drawLine(QLineF(p.x() - arm, p.y() - arm, p.x() + arm, p.y() + arm))
            painter.drawLine(QLineF(p.x() - arm, p.y() + arm, p.x() + arm, p.y() - arm))
            draw_label(painter, QPointF(p.x() + arm, p.y() - arm), str(number), self.style.click)


class SegmentItem(_Overlay):
    """A line between two image points with a label: a measurement, or the rubber band
    of a line being drawn."""

    def __init__(self, style: OverlayStyle, colour: QColor, dashed: bool = False) -> None:
        super().__init__(style, 50)
        self.colour = colour
        self.dashed = dashed
        self.line = QLineF()
        self.text = ""

    def set_segment(self, start: tuple[float, float], end: tuple[float, float], text: str) -> None:
        self.line = QLineF(QPointF(*start), QPointF(*end))
        self.text = text
        self._set_area(QRectF(self.line.p1(), self.line.p2()))

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.Antialiasing, True)
        style = Qt.DashLine if self.dashed else Qt.SolidLine
        painter.setPen(cosmetic_pen(self.colour, 2.0, style))
        painter.drawLine(self.line)
        tick = 5.0 / screen_scale(painter)
        normal = self.line.normalVector()
        if normal.length() > 0:
            normal.setLength(tick)
            d = normal.p2() - normal.p1()
            for p in (self.line.p1(), self.line.p2()):
                painter.drawLine(QLineF(p - d, p + d))
        draw_label(painter, self.line.center(), self.text, self.colour)


class RubberBandItem(_Overlay):
    """The dashed rectangle of a grid being dragged, with what it will hold."""

    def __init__(self, style: OverlayStyle) -> None:
        super().__init__(style, 50)
        self.rect = QRectF()
        self.text = ""

    def set_rect(self, rect: QRectF, text: str) -> None:
        self.rect = rect.normalized()
        self.text = text
        self._set_area(self.rect)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setPen(cosmetic_pen(self.style.grid, 1.5, Qt.DashLine))
        painter.drawRect(self.rect)
        draw_label(painter, self.rect.topLeft(), self.text, self.style.grid, above=True)


def length_um(
    start: tuple[float, float], end: tuple[float, float], pixels_per_mm: tuple[float, float]
) -> float:
    """Length on the sample, micrometres, of the image segment ``start`` - ``end``."""
    dx = (end[0] - start[0]) / pixels_per_mm[0]
    dy = (end[1] - start[1]) / pixels_per_mm[1]
    return math.hypot(dx, dy) * 1000.0
