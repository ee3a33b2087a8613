"""The two ways of showing the sample camera that ``camera.py --compare`` measures.

Both show the frames of the simulated camera through the same latest-frame-wins
hand-over, under the same overlays (beam, scale bar, three points, a line, a
measurement and a 1,000 x 1,000 grid whose cell lines are drawn), at the same window
size; they differ only in how the frame reaches the screen:

- ``qt``: a ``QGraphicsView`` whose frame item wraps the numpy frame in a
  ``QImage`` (``Format_Grayscale8``, no copy) and draws it in ``paint``, taking the
  newest frame there;
- ``pyqtgraph``: a ``pyqtgraph.GraphicsView`` with a locked-aspect ``ViewBox`` and an
  ``ImageItem`` fed with ``setImage(frame, levels=(0, 255))`` on the GUI thread;
  pyqtgraph is a run-time dependency of mxgui (the diffraction image viewer).
"""

from __future__ import annotations

from PyQt5.QtCore import QObject, QRectF, Qt, pyqtSignal
from PyQt5.QtGui import QColor, QImage, QPainter
from PyQt5.QtWidgets import (
    QGraphicsEllipseItem,
    QGraphicsItem,
    QGraphicsLineItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from mxgui.core.centring import CentredPosition, ImageGeometry, plane_to_image
from mxgui.core.shapes import Grid
from mxgui.gui.sample_view.frame_handover import FrameHandover
from mxgui.gui.sample_view.grid_item import GridItem
from mxgui.gui.sample_view.style import OverlayStyle, cosmetic_pen

WIDTH, HEIGHT = 1280, 1024


class _Notifier(QObject):
    frameWaiting = pyqtSignal()


def add_overlays(parent_add, geometry: ImageGeometry, positions: dict[str, float]) -> GridItem:
    """The overlays of the comparison; ``parent_add(item)`` puts one in the view."""
    style = OverlayStyle()
    (bx, by), (px, _py) = geometry.beam_position, geometry.pixels_per_mm
    beam = QGraphicsEllipseItem(bx - 0.025 * px, by - 0.0125 * px, 0.05 * px, 0.025 * px)
    beam.setPen(cosmetic_pen(style.beam, 2.0))
    scale = QGraphicsLineItem(40, HEIGHT - 40, 40 + 0.1 * px, HEIGHT - 40)
    scale.setPen(cosmetic_pen(style.scale, 3.0))
    items: list[QGraphicsItem] = [beam, scale]
    for k in range(3):
        dot = QGraphicsEllipseItem(300 + 80 * k - 6, 300 - 6, 12, 12)
        dot.setPen(cosmetic_pen(style.point, 2.0))
        items.append(dot)
    line = QGraphicsLineItem(300, 400, 700, 450)
    line.setPen(cosmetic_pen(style.line, 2.0))
    measure = QGraphicsLineItem(200, 700, 500, 800)
    measure.setPen(cosmetic_pen(style.measure, 2.0))
    items += [line, measure]
    centre = CentredPosition(**positions)
    grid = Grid("G1", "G1", centre, 1000, 1000, 0.01, 0.01)
    grid_item = GridItem(grid, style)
    grid_item.set_projection(*plane_to_image(centre, positions, geometry))
    items.append(grid_item)
    for z, item in enumerate(items, 1):
        item.setZValue(z)
        parent_add(item)
    return grid_item


class _QtFrameItem(QGraphicsItem):
    def __init__(self, handover: FrameHandover, counter) -> None:
        super().__init__()
        self.handover, self.counter = handover, counter
        self.image: QImage | None = None
        self.pixels = None
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, WIDTH, HEIGHT)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if option.exposedRect.adjusted(-2, -2, 2, 2).contains(self.boundingRect()):
            frame = self.handover.take()
            if frame is not None:
                self.pixels = frame.pixels
                h, w = self.pixels.shape
                self.image = QImage(self.pixels.data, w, h, w, QImage.Format_Grayscale8)
                self.counter(frame.number)
        if self.image is not None:
            painter.drawImage(self.boundingRect(), self.image)


class QtCandidate(QGraphicsView):
    """Plain Qt: the frame drawn by a graphics item from a zero-copy QImage."""

    def __init__(self, geometry: ImageGeometry, positions: dict[str, float]) -> None:
        self._scene = QGraphicsScene(0, 0, WIDTH, HEIGHT)
        super().__init__(self._scene)
        self.shown: list[int] = []
        self._notifier = _Notifier()
        self.handover = FrameHandover(self._notifier.frameWaiting.emit)
        self.frame_item = _QtFrameItem(self.handover, self.shown.append)
        self._notifier.frameWaiting.connect(self.frame_item.update, Qt.QueuedConnection)
        self._scene.addItem(self.frame_item)
        add_overlays(self._scene.addItem, geometry, positions)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.DontSavePainterState, True)
        self.setBackgroundBrush(QColor(0, 0, 0))
        self.setFrameShape(QGraphicsView.NoFrame)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.fitInView(self._scene.sceneRect(), Qt.KeepAspectRatio)


def pyqtgraph_candidate(geometry: ImageGeometry, positions: dict[str, float]) -> QWidget:
    """pyqtgraph: an ImageItem in a locked-aspect ViewBox, set from the GUI thread."""
    import pyqtgraph as pg

    class FrameImage(pg.ImageItem):
        def __init__(self, counter) -> None:
            super().__init__(axisOrder="row-major")
            self.counter, self.number = counter, None

        def paint(self, painter, *args) -> None:
            super().paint(painter, *args)
            if self.number is not None:
                self.counter(self.number)
                self.number = None

    view = pg.GraphicsView()
    view.setBackground(QColor(0, 0, 0))
    box = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
    box.setDefaultPadding(0.0)
    view.setCentralItem(box)
    view.shown = []
    image = FrameImage(view.shown.append)
    box.addItem(image)
    notifier = _Notifier()

    def show_newest() -> None:
        frame = handover.take()
        if frame is not None:
            image.setImage(frame.pixels, autoLevels=False, levels=(0, 255))
            image.number = frame.number

    handover = FrameHandover(notifier.frameWaiting.emit)
    notifier.frameWaiting.connect(show_newest, Qt.QueuedConnection)
    add_overlays(box.addItem, geometry, positions)
    box.setRange(QRectF(0, 0, WIDTH, HEIGHT), padding=0.0)
    view.handover, view._keep = handover, (notifier, image, box)
    return view
