"""The camera frame on the screen: a graphics item that paints the newest frame."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from PyQt5.QtCore import QObject, QRectF, pyqtSignal
from PyQt5.QtGui import QColor, QImage, QPainter
from PyQt5.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from mxgui.gui.sample_view.frame_handover import Frame, FrameHandover

log = logging.getLogger(__name__)


def frame_to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage over ``pixels`` without a copy: ``(h, w)`` grey or ``(h, w, 3)`` RGB uint8.

    The QImage reads the array's memory: keep the array alive as long as the image.
    """
    if pixels.dtype != np.uint8 or not pixels.flags.c_contiguous:
        raise ValueError(
            f"a camera frame must be C-contiguous uint8, got {pixels.dtype} "
            f"({'contiguous' if pixels.flags.c_contiguous else 'not contiguous'})"
        )
    if pixels.ndim == 2:
        height, width = pixels.shape
        return QImage(pixels.data, width, height, width, QImage.Format_Grayscale8)  # type: ignore[call-overload]  # any buffer; the stubs say bytes
    if pixels.ndim == 3 and pixels.shape[2] == 3:
        height, width = pixels.shape[:2]
        return QImage(pixels.data, width, height, width * 3, QImage.Format_RGB888)  # type: ignore[call-overload]  # any buffer; the stubs say bytes
    raise ValueError(f"a camera frame is (h, w) or (h, w, 3), got shape {pixels.shape}")


class FrameNotifier(QObject):
    """Turns the hand-over's ``notify()`` (camera thread) into a queued repaint."""

    frameWaiting = pyqtSignal()

    def notify(self) -> None:
        """Called in the camera thread: post, never paint."""
        self.frameWaiting.emit()


class FrameItem(QGraphicsItem):
    """Paints the camera frame over the image rectangle ``(0, 0, width, height)``.

    The newest frame is taken from the :class:`FrameHandover` when the whole item is
    repainted, so that one frame is shown per repaint at most and the hand-over posts
    the next repaint only after this one. ``on_shown(frame)`` is called for each frame
    shown; :attr:`shown` counts them. A frame of another size than the item is reported
    through ``on_size(width, height)`` and drawn scaled until the scene is resized.
    """

    def __init__(
        self,
        handover: FrameHandover,
        width: int,
        height: int,
        on_shown: Callable[[Frame], None] | None = None,
        on_size: Callable[[int, int], None] | None = None,
    ) -> None:
        super().__init__()
        self.handover = handover
        self._rect = QRectF(0.0, 0.0, float(width), float(height))
        self._on_shown = on_shown
        self._on_size = on_size
        self.frame: Frame | None = None
        self._image: QImage | None = None
        self.shown = 0
        #: False while a snapshot is drawn: it shows the frame on screen, takes none
        self.taking = True
        #: why the last frame could not be shown ("" when it was)
        self.bad_frame = ""
        self.setFlag(QGraphicsItem.ItemUsesExtendedStyleOption, True)
        self.setZValue(0)

    def set_size(self, width: int, height: int) -> None:
        """The image size in pixels (the scene's rectangle)."""
        self.prepareGeometryChange()
        self._rect = QRectF(0.0, 0.0, float(width), float(height))

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt name
        return self._rect

    def qimage(self) -> QImage | None:
        """The frame on the screen as a QImage over its pixels (``None`` before the first)."""
        return self._image

    def _show(self, frame: Frame) -> None:
        image = frame_to_qimage(frame.pixels)
        self.frame, self._image = frame, image
        self.bad_frame = ""
        self.shown += 1
        if self._on_size is not None and (image.width(), image.height()) != (
            int(self._rect.width()),
            int(self._rect.height()),
        ):
            self._on_size(image.width(), image.height())
        if self._on_shown is not None:
            self._on_shown(frame)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        whole = option.exposedRect.adjusted(-2.0, -2.0, 2.0, 2.0).contains(self._rect)
        if self.taking and whole:
            frame = self.handover.take()
            if frame is not None:
                try:
                    self._show(frame)
                except ValueError as exc:  # never raise out of paint(): Qt would abort
                    self.frame = self._image = None
                    if str(exc) != self.bad_frame:
                        log.warning("camera frame %d not shown: %s", frame.number, exc)
                    self.bad_frame = str(exc)
        if self._image is None:
            painter.fillRect(self._rect, QColor(40, 40, 40))
            return
        painter.setRenderHint(QPainter.SmoothPixmapTransform, False)
        painter.drawImage(self._rect, self._image)
