"""Grid results as colours: a colour map, one RGBA image per grid, a small legend.

:func:`cell_rgba` turns a grid's :class:`~mxgui.core.grid_results.GridResults` into
the ``(rows, cols, 4)`` image :meth:`GridItem.set_cell_image` draws: scores through a
256-entry colour table between the lowest and the highest score of the grid (the best
cell always has the last colour, :data:`TABLE` ``[-1]``), RGBA results as given, cells
without a result transparent. It is a few numpy passes, also for a million cells.
"""

from __future__ import annotations

import numpy as np
from PyQt5.QtCore import QPointF, QRectF
from PyQt5.QtGui import QColor, QFont, QLinearGradient, QPainter, QPen

from mxgui.core.grid_results import GridResults
from mxgui.core.shapes import Grid

#: opacity of a scored cell (the sample stays visible under the heat map)
CELL_ALPHA = 170
#: anchors of the colour map (viridis-like: dark blue, teal, green, yellow), 0..1
_ANCHORS = np.array(
    [
        (0.00, 68, 1, 84),
        (0.25, 59, 82, 139),
        (0.50, 33, 145, 140),
        (0.75, 94, 201, 98),
        (1.00, 253, 231, 37),
    ]
)
#: legend size on the screen, pixels
LEGEND_WIDTH, LEGEND_HEIGHT = 110.0, 8.0


def colour_table(size: int = 256, alpha: int = CELL_ALPHA) -> np.ndarray:
    """``(size, 4)`` uint8 RGBA colours from the lowest to the highest score."""
    x = np.linspace(0.0, 1.0, size)
    table = np.empty((size, 4), dtype=np.uint8)
    for channel in range(3):
        table[:, channel] = np.rint(np.interp(x, _ANCHORS[:, 0], _ANCHORS[:, channel + 1]))
    table[:, 3] = alpha
    return table


TABLE = colour_table()


def cell_rgba(
    grid: Grid, results: GridResults, table: np.ndarray = TABLE
) -> tuple[np.ndarray, tuple[float, float] | None]:
    """The cell image of ``results`` on ``grid`` and the score levels used.

    Colours are handled as one 32-bit word per cell: a million cells cost a few ms.
    """
    n = grid.num_cells
    words = np.zeros(n, dtype=np.uint32)
    table_words = np.ascontiguousarray(table, dtype=np.uint8).view(np.uint32).ravel()
    scores = results.scores
    scored = ~np.isnan(scores)
    values = scores[scored]
    levels = None
    if values.size:
        low, high = float(values.min()), float(values.max())
        levels = (low, high)
        top = len(table_words) - 1
        if high > low:
            index = ((values - low) * (top / (high - low))).astype(np.intp)
            np.clip(index, 0, top, out=index)
        else:
            index = np.full(values.size, top, dtype=np.intp)
        words[scored] = table_words[index]
    coloured = results.has_colour
    if coloured.any():
        words[coloured] = np.ascontiguousarray(results.colours[coloured]).view(np.uint32).ravel()
    rgba = words.view(np.uint8).reshape(n, 4)
    return grid.scan_to_layout(rgba), levels


def draw_legend(painter: QPainter, at: QPointF, levels: tuple[float, float]) -> None:
    """A colour bar with the lowest and highest score, its top-left corner just below
    image point ``at``, at a fixed size on the screen."""
    painter.save()
    device = painter.worldTransform().map(at)
    painter.resetTransform()
    bar = QRectF(device.x(), device.y() + 4.0, LEGEND_WIDTH, LEGEND_HEIGHT)
    gradient = QLinearGradient(bar.topLeft(), bar.topRight())
    for k in range(0, len(TABLE), 32):
        r, g, b, _a = (int(v) for v in TABLE[k])
        gradient.setColorAt(k / (len(TABLE) - 1), QColor(r, g, b))
    r, g, b, _a = (int(v) for v in TABLE[-1])
    gradient.setColorAt(1.0, QColor(r, g, b))
    painter.fillRect(bar.adjusted(-2, -2, 2, 16), QColor(0, 0, 0, 140))
    painter.fillRect(bar, gradient)
    font = QFont(painter.font())
    font.setPixelSize(10)
    painter.setFont(font)
    painter.setPen(QPen(QColor(255, 255, 255)))
    low, high = levels
    text_y = bar.bottom() + 11.0
    painter.drawText(QPointF(bar.left(), text_y), f"{low:.3g}")
    high_text = f"{high:.3g}"
    width = painter.fontMetrics().horizontalAdvance(high_text)
    painter.drawText(QPointF(bar.right() - width, text_y), high_text)
    painter.restore()
