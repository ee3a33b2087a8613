"""Snapshots of the sample view: the camera frame on screen, with or without overlays,
at the camera's resolution, saved as PNG."""

from __future__ import annotations

from pathlib import Path

from PyQt5.QtCore import QRectF, Qt
from PyQt5.QtGui import QImage, QPainter

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
        elif frame_item.qimage() is not None:
            painter.drawImage(target, frame_item.qimage())
    finally:
        frame_item.taking = True
        painter.end()
    return image


def save_snapshot(view: SampleGraphicsView, path: str | Path, with_overlays: bool = True) -> Path:
    """Write :func:`render_snapshot` to ``path`` as PNG; ``OSError`` saying why not."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OSError(f"cannot save the snapshot to {path}: {path.parent} is not a directory")
    if path.suffix.lower() != ".png":
        raise OSError(f"cannot save the snapshot to {path}: the name must end in .png")
    if not render_snapshot(view, with_overlays).save(str(path), "PNG"):
        raise OSError(f"cannot save the snapshot to {path}: writing failed (permissions?)")
    return path
