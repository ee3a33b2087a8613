"""A grid's scores in silx: a heat map (one image item, a colour bar, a colour map
chosen from a list or silx's own dialog), or a curve for a line scan.

The scores are kept in one ``(rows, cols)`` array, laid out as the grid is seen (row 0
at the top, column 0 on the left, zig-zag rows undone) and refilled in place; the
image item gets it at each redraw (silx 3.1 copies it then, whatever ``copy`` says:
a few ms for a million cells). Cells without a score are NaN (not coloured).
Hovering tells the cell under the mouse, a left click picks it.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from PyQt5.QtCore import pyqtSignal
from PyQt5.QtWidgets import QStackedWidget, QWidget
from silx.gui.colors import Colormap
from silx.gui.plot import Plot1D, Plot2D

from mxgui.core.shapes import Grid
from mxgui.gui.mesh_results import COLORMAPS  # noqa: F401 - offered here too
from mxgui.gui.silx_docks import keep_docks_with
from mxgui.gui.silx_margins import keep_labels_whole

log = logging.getLogger(__name__)

IMAGE = "scores"
CURVE = "profile"
BEST = "best"
PICKED = "picked"


def is_line(grid: Grid) -> bool:
    """A line scan: one row or one column (of more than one cell)."""
    return grid.num_cells > 1 and (grid.num_rows == 1 or grid.num_cols == 1)


def line_positions(grid: Grid) -> np.ndarray:
    """Millimetres along a line scan of each cell, from its first cell (column 0 or
    row 0), in the order of :meth:`MeshPlot.values` ``.ravel()``."""
    if grid.num_rows == 1:
        return np.arange(grid.num_cols) * grid.step_x_mm
    return np.arange(grid.num_rows) * grid.step_y_mm


class MeshPlot(QStackedWidget):
    """The scores of one grid: :meth:`set_grid`, then :meth:`set_scores` as often as
    results come (the caller coalesces). ``cellHovered(cell)`` (0 off the grid) and
    ``cellClicked(cell)`` give 1-based cell indices in the grid's scan order."""

    cellHovered = pyqtSignal(int)
    cellClicked = pyqtSignal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid: Grid | None = None
        #: the scores as laid out on the screen, NaN where none
        self.values = np.full((1, 1), np.nan)
        self.colormap = Colormap("viridis")
        self.image_plot = Plot2D(self)
        self.image_plot.setKeepDataAspectRatio(True)
        self.image_plot.getXAxis().setLabel("column")
        self.image_plot.getYAxis().setLabel("row")
        self.image_plot.getYAxis().setInverted(True)  # row 0 at the top, as on the sample
        self.image_plot.setDefaultColormap(self.colormap)
        self.curve_plot = Plot1D(self)
        self.curve_plot.getYAxis().setLabel("score")
        for plot in (self.image_plot, self.curve_plot):
            keep_docks_with(plot)
            keep_labels_whole(plot)
            plot.setGraphTitle("No grid")
            plot.sigPlotSignal.connect(self._on_plot_event)
            self.addWidget(plot)
        self._positions = np.zeros(1)

    # what is shown ---------------------------------------------------------------------------
    @property
    def is_curve(self) -> bool:
        return self.grid is not None and is_line(self.grid)

    def image(self) -> Any:
        """The one image item of the heat map (``None`` before a grid)."""
        return self.image_plot.getImage(IMAGE)

    def curve(self) -> Any:
        """The curve of a line scan (``None`` without one)."""
        return self.curve_plot.getCurve(CURVE)

    def set_grid(self, grid: Grid | None, title: str = "") -> None:
        """Show ``grid`` with no scores (``None``: nothing)."""
        self.grid = grid
        for plot in (self.image_plot, self.curve_plot):
            plot.remove(kind="marker")
            plot.setGraphTitle(title or "No grid")
        self.curve_plot.remove(CURVE, kind="curve")
        if grid is None:
            self.image_plot.remove(IMAGE, kind="image")
            self.setCurrentWidget(self.image_plot)
            return
        shape = (grid.num_rows, grid.num_cols)
        if self.values.shape != shape:
            self.values = np.full(shape, np.nan)
        else:
            self.values.fill(np.nan)
        if is_line(grid):
            self.image_plot.remove(IMAGE, kind="image")
            self._positions = line_positions(grid)
            self.curve_plot.getXAxis().setLabel(
                "mm along the row" if grid.num_rows == 1 else "mm down the column"
            )
            self.setCurrentWidget(self.curve_plot)
        else:
            self.image_plot.addImage(
                self.values,
                legend=IMAGE,
                colormap=self.colormap,
                copy=False,
                resetzoom=True,
            )
            self.setCurrentWidget(self.image_plot)

    def set_scores(self, scores: np.ndarray | None, best: int | None = None) -> None:
        """Show ``scores`` (per cell in the grid's scan order, NaN where none; ``None``:
        no results) with a mark on cell ``best``."""
        grid = self.grid
        if grid is None:
            return
        if scores is None:
            self.values.fill(np.nan)
        else:
            grid.scan_to_layout(np.asarray(scores, dtype=float), out=self.values)
        if self.is_curve:
            self._draw_curve(best)
        else:
            item = self.image()
            if item is not None:
                item.setData(self.values, copy=False)
            self._mark(self.image_plot, BEST, best, "#ff1744", "o")

    def _draw_curve(self, best: int | None) -> None:
        along = self.values.ravel()
        shown = ~np.isnan(along)
        if not shown.any():
            self.curve_plot.remove(CURVE, kind="curve")
            self.curve_plot.remove(BEST, kind="marker")
            return
        self.curve_plot.addCurve(
            self._positions[shown],
            along[shown],
            legend=CURVE,
            color="#37474f",
            symbol="o",
            resetzoom=True,
        )
        self._mark(self.curve_plot, BEST, best, "#ff1744", "o")

    def mark_picked(self, cell: int | None) -> None:
        """Mark the cell the user picked (``None``: no mark)."""
        plot = self.curve_plot if self.is_curve else self.image_plot
        self._mark(plot, PICKED, cell, "k", "+")

    def _mark(
        self, plot: Plot1D | Plot2D, legend: str, cell: int | None, colour: str, symbol: str
    ) -> None:
        if cell is None or self.grid is None:
            plot.remove(legend, kind="marker")
            return
        x, y = self.cell_point(cell)
        plot.addMarker(x, y, legend=legend, color=colour, symbol=symbol)

    def set_colormap(self, name: str) -> None:
        """Use the silx colour map ``name`` (one of :data:`COLORMAPS`, or any silx knows)."""
        self.colormap.setName(name)

    # cells <-> plot coordinates ---------------------------------------------------------------
    def cell_point(self, cell: int) -> tuple[float, float]:
        """Where the centre of ``cell`` is drawn, in plot coordinates."""
        assert self.grid is not None
        col, row = self.grid.cell_of_index(cell)
        if self.is_curve:
            along = col if self.grid.num_rows == 1 else row
            value = self.values.ravel()[along]
            return float(self._positions[along]), 0.0 if math.isnan(value) else float(value)
        return col + 0.5, row + 0.5

    def cell_at(self, x: float, y: float) -> int | None:
        """The cell shown at plot coordinates ``(x, y)`` (``None`` off the grid); on a
        curve, the cell nearest along the line."""
        grid = self.grid
        if grid is None or not (math.isfinite(x) and math.isfinite(y)):
            return None
        if self.is_curve:
            step = self._positions[1] - self._positions[0]
            along = int(round(x / step))
            if not 0 <= along < self._positions.size:
                return None
            col, row = (along, 0) if grid.num_rows == 1 else (0, along)
        else:
            col, row = math.floor(x), math.floor(y)
            if not (0 <= col < grid.num_cols and 0 <= row < grid.num_rows):
                return None
        return grid.index_of_cell(col, row)

    def _on_plot_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind not in ("mouseMoved", "mouseClicked"):
            return
        cell = self.cell_at(float(event.get("x", math.nan)), float(event.get("y", math.nan)))
        if kind == "mouseMoved":
            self.cellHovered.emit(cell or 0)
        elif event.get("button") == "left" and cell is not None:
            self.cellClicked.emit(cell)
