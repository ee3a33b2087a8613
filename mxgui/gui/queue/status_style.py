"""How queue statuses look: a label, a colour and a round icon for each."""

from __future__ import annotations

from functools import cache

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QColor, QIcon, QPainter, QPixmap

from mxgui.core.queue.nodes import (
    FAILED,
    NOT_EXECUTED,
    RUNNING,
    SKIPPED,
    SUCCESS,
    WARNING,
)

#: colour of each status (text and icon)
STATUS_COLOURS: dict[str, str] = {
    NOT_EXECUTED: "#757575",
    RUNNING: "#1565c0",
    SUCCESS: "#2e7d32",
    WARNING: "#ef6c00",
    FAILED: "#c62828",
    SKIPPED: "#8d6e63",
}
#: what the user reads for each status
STATUS_LABELS: dict[str, str] = {
    NOT_EXECUTED: "not run",
    RUNNING: "running",
    SUCCESS: "success",
    WARNING: "warning",
    FAILED: "failed",
    SKIPPED: "skipped",
}
#: greyed text of a disabled node (or one below a disabled node)
DISABLED_COLOUR = "#9e9e9e"


def status_colour(status: str) -> QColor:
    """The colour of ``status`` (grey for an unknown one)."""
    return QColor(STATUS_COLOURS.get(status, "#757575"))


def status_label(status: str) -> str:
    """The text shown for ``status``."""
    return STATUS_LABELS.get(status, status)


@cache
def status_icon(status: str, size: int = 12) -> QIcon:
    """A filled disc in the colour of ``status`` (a ring for not run), cached."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.Antialiasing)
    colour = status_colour(status)
    painter.setPen(colour.darker(130))
    if status == NOT_EXECUTED:
        painter.setBrush(Qt.NoBrush)
    else:
        painter.setBrush(colour)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)
