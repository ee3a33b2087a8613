"""Heat-map and scan plots keep their tick and axis labels whole in a narrow dock."""

from __future__ import annotations

import numpy as np
from PyQt5.QtGui import QFontMetrics

from mxgui.core.shapes import Grid
from mxgui.gui.mesh_results.heat_map_plot import MeshPlot


def test_heat_map_margins_hold_the_tick_labels_at_any_width(qtbot):
    plot = MeshPlot()
    qtbot.addWidget(plot)
    grid = Grid(
        "G1", "G1", None, num_cols=1000, num_rows=800, cell_width_mm=0.01, cell_height_mm=0.01
    )
    plot.set_grid(grid, "G1")
    plot.set_scores(np.arange(grid.num_cells, dtype=float))
    plot.show()
    for width, height in ((380, 300), (1200, 900)):
        plot.resize(width, height)
        handle = plot.image_plot.getWidgetHandle()
        qtbot.waitUntil(lambda w=width, h=handle: h.width() > w / 2, timeout=2000)
        metrics = QFontMetrics(handle.font())
        left, top, _right, bottom = plot.image_plot.getAxesMargins()
        # room for "1000" and the rotated axis label "row" beside it; and the two lines below
        assert left * handle.width() >= metrics.horizontalAdvance("1000") + 2 * metrics.height()
        assert bottom * handle.height() >= 2 * metrics.height()
        assert top * handle.height() >= metrics.height()  # the title
    # a wide plot gives the data the room (the margins are not a fixed fraction)
    assert plot.image_plot.getAxesMargins()[0] < 0.15
