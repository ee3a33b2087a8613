"""Colours of the overlays and the one way they write text on the image."""

from __future__ import annotations

from dataclasses import dataclass, field

from PyQt5.QtCore import QPointF, QRectF, Qt
from PyQt5.QtGui import QColor, QFont, QPainter, QPen

#: label text height on the screen, pixels (the same at every window size)
LABEL_PIXELS = 13.0


@dataclass(frozen=True)
class OverlayStyle:
    """Colours of the overlays (one place, so a site can change them)."""

    beam: QColor = field(default_factory=lambda: QColor(255, 60, 60))
    scale: QColor = field(default_factory=lambda: QColor(255, 255, 255))
    click: QColor = field(default_factory=lambda: QColor(255, 200, 0))
    point: QColor = field(default_factory=lambda: QColor(60, 220, 90))
    line: QColor = field(default_factory=lambda: QColor(80, 180, 255))
    grid: QColor = field(default_factory=lambda: QColor(0, 200, 255))
    measure: QColor = field(default_factory=lambda: QColor(255, 120, 255))
    selected: QColor = field(default_factory=lambda: QColor(255, 255, 0))
    outline_only: QColor = field(default_factory=lambda: QColor(170, 170, 170))


def screen_scale(painter: QPainter) -> float:
    """Screen pixels per image pixel for ``painter`` (1 when saving an image)."""
    transform = painter.worldTransform()
    scale = (abs(transform.m11() * transform.m22() - transform.m12() * transform.m21())) ** 0.5
    return scale if scale > 1e-9 else 1.0


def draw_label(
    painter: QPainter, at: QPointF, text: str, colour: QColor, above: bool = False
) -> None:
    """Write ``text`` at image point ``at`` (left end of its base line, or of its bottom
    when ``above``), upright and :data:`LABEL_PIXELS` high on the screen, on a dark
    shadow so that it reads on any image."""
    if not text:
        return
    scale = screen_scale(painter)
    painter.save()
    transform = painter.worldTransform()
    device = transform.map(at)
    painter.resetTransform()
    font = QFont(painter.font())
    font.setPixelSize(max(1, round(LABEL_PIXELS * (1.0 if scale <= 1.5 else scale / 1.5))))
    painter.setFont(font)
    metrics = painter.fontMetrics()
    x, y = device.x() + 3.0, device.y() - (metrics.descent() + 3.0 if above else -metrics.ascent())
    box = QRectF(
        x - 2.0,
        y - metrics.ascent() - 1.0,
        metrics.horizontalAdvance(text) + 4.0,
        metrics.height() + 2.0,
    )
    painter.fillRect(box, QColor(0, 0, 0, 140))
    painter.setPen(QPen(colour))
    painter.drawText(QPointF(x, y), text)
    painter.restore()


def cosmetic_pen(colour: QColor, width: float = 1.5, style: Qt.PenStyle = Qt.SolidLine) -> QPen:
    """A pen ``width`` screen pixels wide whatever the view's scale."""
    pen = QPen(colour, width, style)
    pen.setCosmetic(True)
    return pen
