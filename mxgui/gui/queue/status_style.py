"""How queue nodes look: a label, a colour and an icon for each status (a disc; a
square for a user's stop), and an icon for each node type (``resources/icons/queue``)."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QColor, QIcon, QPainter, QPixmap

from mxgui.core.queue.nodes import (
    FAILED,
    NOT_EXECUTED,
    RUNNING,
    SAMPLE,
    SKIPPED,
    STOPPED,
    SUCCESS,
    TASK_GROUP,
    WARNING,
)

log = logging.getLogger(__name__)

#: where the node-type icons are (SVG, 16 x 16)
ICON_DIR = Path(__file__).resolve().parents[3] / "resources" / "icons" / "queue"
#: the icon file of each node type
TYPE_ICONS: dict[str, str] = {
    SAMPLE: "sample.svg",
    TASK_GROUP: "task_group.svg",
    "DataCollection": "data_collection.svg",
    "Characterisation": "characterisation.svg",
    "MeshScan": "mesh_scan.svg",
    "XrayCentring": "xray_centring.svg",
    "EnergyScan": "energy_scan.svg",
    "Workflow": "workflow.svg",
}

#: colour of each status (text and icon)
STATUS_COLOURS: dict[str, str] = {
    NOT_EXECUTED: "#757575",
    RUNNING: "#1565c0",
    SUCCESS: "#2e7d32",
    WARNING: "#ef6c00",
    FAILED: "#c62828",
    SKIPPED: "#8d6e63",
    STOPPED: "#6a1b9a",
}
#: what the user reads for each status
STATUS_LABELS: dict[str, str] = {
    NOT_EXECUTED: "not run",
    RUNNING: "running",
    SUCCESS: "success",
    WARNING: "warning",
    FAILED: "failed",
    SKIPPED: "skipped",
    STOPPED: "stopped",
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
    """A filled disc in the colour of ``status`` (a ring for not run, a square for a
    user's stop), cached."""
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
    if status == STOPPED:
        painter.drawRect(2, 2, size - 4, size - 4)
    else:
        painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


@cache
def type_icon(node_type: str) -> QIcon:
    """The icon of a node type (an empty icon for a type without one), cached."""
    name = TYPE_ICONS.get(node_type)
    if name is None:
        return QIcon()
    path = ICON_DIR / name
    if not path.is_file():
        log.warning("queue tree: no icon for %s nodes: %s is missing", node_type, path)
        return QIcon()
    return QIcon(str(path))
