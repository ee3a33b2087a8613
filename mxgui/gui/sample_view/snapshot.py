"""Snapshots of the sample view: the camera frame on screen, with or without overlays,
at the camera's resolution, saved as PNG or JPEG (by the name's suffix).

A snapshot asked by a caller (XML-RPC) is created exclusively: it never replaces a
file, even one created while it was drawn. The user's own "Snapshot..." may replace a
file once the save dialog has asked.
"""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PyQt5.QtGui import QImage, QPainter

from mxgui.core.new_files import write_new_file
from mxgui.core.snapshot_image import JPEG_QUALITY, snapshot_format
from mxgui.gui.sample_view.view import SampleGraphicsView


def render_snapshot(view: SampleGraphicsView, with_overlays: bool = True) -> QImage:
    """The frame now on the screen as an RGB image of the camera's size, with the
    overlays drawn over it when ``with_overlays`` (labels at their screen size)."""
    width, height = view.image_size()
    image = QImage(width, height, QImage.Format_RGB32)
    image.fill(Qt.black)
    painter = QPainter(image)
    frame_item = view.frame_item
    frame_item.taking = False  # show the frame the user sees, take no new one
    try:
        target = QRectF(0.0, 0.0, width, height)
        if with_overlays:
            view.scene().render(painter, target, target, Qt.IgnoreAspectRatio)
        elif (frame := frame_item.qimage()) is not None:
            painter.drawImage(target, frame)
    finally:
        frame_item.taking = True
        painter.end()
    return image


def encoded(image: QImage, image_format: str) -> bytes:
    """``image`` as ``PNG`` or ``JPEG`` bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.WriteOnly)
    quality = JPEG_QUALITY if image_format == "JPEG" else -1
    if not image.save(buffer, "JPG" if image_format == "JPEG" else "PNG", quality):
        raise OSError(f"this Qt cannot write {image_format} images")
    buffer.close()
    return bytes(data)


def save_snapshot(
    view: SampleGraphicsView,
    path: str | Path,
    with_overlays: bool = True,
    replace: bool = False,
) -> Path:
    """Write :func:`render_snapshot` to ``path`` (PNG or JPEG by its suffix); ``OSError``
    saying why not: ``FileExistsError`` when ``path`` exists (unless ``replace``)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OSError(f"cannot save the snapshot to {path}: {path.parent} is not a directory")
    try:
        image_format = snapshot_format(path)
    except ValueError as exc:
        raise OSError(f"cannot save the snapshot: {exc}") from None
    data = encoded(render_snapshot(view, with_overlays), image_format)
    if replace:
        path.write_bytes(data)
        return path
    return write_new_file(path, data)
