"""The display: a graphics view of the camera image, letterboxed, with exact mapping
between the widget and image pixels."""

from __future__ import annotations

from PyQt5.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import (
    QColor,
    QContextMenuEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PyQt5.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QWidget

from mxgui.gui.sample_view.frame_handover import Frame, FrameHandover
from mxgui.gui.sample_view.frame_item import FrameItem, FrameNotifier


class SampleGraphicsView(QGraphicsView):
    """Shows the camera frames and the overlays, the whole image fitted in the widget.

    The scene's coordinates are image pixels (see :mod:`mxgui.core.centring`: the pixel
    in row ``r`` and column ``c`` covers ``[c, c + 1) x [r, r + 1)``); the image is
    scaled to fit, keeping its aspect ratio, and centred (black bars on two sides).
    :meth:`image_to_widget` and :meth:`widget_to_image` map exactly between the two,
    letterboxing included; widget coordinates are those of :meth:`viewport`, where the
    mouse events arrive.

    Mouse events become ``imagePressed`` / ``imageMoved`` / ``imageReleased(x, y, button)``
    in image pixels (left button only for press and release; moves while a button is
    down), with the keyboard modifiers of the last press in :attr:`press_modifiers`
    (ctrl or shift: add to the selection); a right click becomes
    ``contextMenuAsked(x, y, global_pos)``; Escape becomes ``escapePressed``. The
    frames come from :attr:`handover`: connect
    the camera's ``imageReceived`` to ``handover.offer``.
    """

    imagePressed = pyqtSignal(float, float)
    imageMoved = pyqtSignal(float, float)
    imageReleased = pyqtSignal(float, float)
    escapePressed = pyqtSignal()
    contextMenuAsked = pyqtSignal(float, float, QPoint)
    #: a frame was painted (GUI thread), with its number
    frameShown = pyqtSignal(int)

    def __init__(self, width: int = 1280, height: int = 1024, parent: QWidget | None = None):
        self._scene = QGraphicsScene(0.0, 0.0, float(width), float(height))
        super().__init__(self._scene, parent)
        self._notifier = FrameNotifier()
        self.handover = FrameHandover(self._notifier.notify)
        self.frame_item = FrameItem(
            self.handover, width, height, on_shown=self._shown, on_size=self._frame_size
        )
        self._notifier.frameWaiting.connect(self.frame_item.update, Qt.QueuedConnection)  # type: ignore[call-arg]  # PyQt5-stubs lack connect(slot, type)
        self._scene.addItem(self.frame_item)
        self._image_size = (width, height)
        self._left_down = False
        #: the keyboard modifiers held at the last left press
        self.press_modifiers = Qt.KeyboardModifiers(Qt.NoModifier)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.NoFrame)
        self.setAlignment(Qt.AlignCenter)
        self.setBackgroundBrush(QColor(0, 0, 0))
        self.setRenderHint(QPainter.Antialiasing, False)
        self.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.NoAnchor)
        self.setResizeAnchor(QGraphicsView.NoAnchor)
        self.setDragMode(QGraphicsView.NoDrag)
        self.setFocusPolicy(Qt.StrongFocus)
        self.setMouseTracking(False)
        self.setMinimumSize(160, 128)

    # geometry ---------------------------------------------------------------------------------
    def image_size(self) -> tuple[int, int]:
        """``(width, height)`` of the camera image, pixels."""
        return self._image_size

    def set_image_size(self, width: int, height: int) -> None:
        """The camera's frame size (the scene's rectangle); refits the view."""
        self._image_size = (int(width), int(height))
        self._scene.setSceneRect(0.0, 0.0, float(width), float(height))
        self.frame_item.set_size(width, height)
        self._fit()

    def _frame_size(self, width: int, height: int) -> None:
        # called while painting: resize once the paint is over
        QTimer.singleShot(0, lambda: self.set_image_size(width, height))

    def scale(self) -> float:  # type: ignore[override]
        """Screen pixels per image pixel."""
        return self.transform().m11()

    def _fit(self) -> None:
        width, height = self._image_size
        view = self.viewport().size()
        if width <= 0 or height <= 0 or view.width() <= 0 or view.height() <= 0:
            return
        scale = min(view.width() / width, view.height() / height)
        self.setTransform(QTransform.fromScale(scale, scale))
        self.centerOn(width / 2.0, height / 2.0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._fit()

    def image_to_widget(self, x: float, y: float) -> QPointF:
        """Widget (viewport) coordinates of image point ``(x, y)``."""
        return self.viewportTransform().map(QPointF(x, y))

    def widget_to_image(self, point: QPointF) -> tuple[float, float]:
        """Image ``(x, y)`` of widget (viewport) point ``point``."""
        inverse, _ = self.viewportTransform().inverted()
        mapped = inverse.map(QPointF(point))
        return mapped.x(), mapped.y()

    def contains_image_point(self, x: float, y: float) -> bool:
        """Whether ``(x, y)`` is on the image."""
        width, height = self._image_size
        return 0.0 <= x < width and 0.0 <= y < height

    def image_rect_on_widget(self) -> QRectF:
        """Where the image is drawn in the widget (the rest is the letterbox)."""
        width, height = self._image_size
        return self.viewportTransform().mapRect(QRectF(0.0, 0.0, width, height))

    # frames -----------------------------------------------------------------------------------
    def _shown(self, frame: Frame) -> None:
        self.frameShown.emit(frame.number)

    # events -----------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        self.setFocus(Qt.MouseFocusReason)
        if event.button() == Qt.LeftButton:
            self._left_down = True
            self.press_modifiers = event.modifiers()
            self.imagePressed.emit(*self.widget_to_image(event.localPos()))
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        if self._left_down or event.buttons() & Qt.LeftButton:
            self.imageMoved.emit(*self.widget_to_image(event.localPos()))
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        if event.button() == Qt.LeftButton:
            self._left_down = False
            self.imageReleased.emit(*self.widget_to_image(event.localPos()))
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        self.mousePressEvent(event)  # the second press of a double click: a click too

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt name
        self.contextMenuAsked.emit(*self.widget_to_image(QPointF(event.pos())), event.globalPos())
        event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt name
        event.accept()  # no scrolling: the whole image is always in view

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if event.key() == Qt.Key_Escape:
            self.escapePressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)
