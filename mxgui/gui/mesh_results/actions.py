"""What the mesh results brick does with results: the best cell, points from the best
cells (no Qt)."""

from __future__ import annotations

import numpy as np

from mxgui.core.grid_results import GridResults
from mxgui.core.shapes import Grid, Point, ShapesModel


def best_cell(results: GridResults | None) -> int | None:
    """The 1-based index of the highest score (the first of equals), ``None`` without
    scores; one pass over the scores, also for a million cells."""
    if results is None:
        return None
    scores = results.scores
    if scores.size == 0 or np.isnan(scores).all():
        return None
    return int(np.nanargmax(scores)) + 1


def cell_name(grid: Grid, cell: int) -> str:
    """How a cell is named to the user: ``"G1 cell 37 (col 4, row 2)"``."""
    col, row = grid.cell_of_index(cell)
    return f"{grid.name or grid.id} cell {cell} (col {col}, row {row})"


def hover_text(grid: Grid | None, results: GridResults | None, cell: int) -> str:
    """``"cell 36 (column 4, row 1): score 12.5"`` (or ``no score yet``); ``""`` off
    the grid (``cell`` 0)."""
    if grid is None or not 1 <= cell <= grid.num_cells:
        return ""
    score = float("nan") if results is None else float(results.scores[cell - 1])
    value = "no score yet" if np.isnan(score) else f"score {score:.4g}"
    col, row = grid.cell_of_index(cell)
    return f"cell {cell} (column {col}, row {row}): {value}"


def points_from_best(
    shapes: ShapesModel, grid: Grid, results: GridResults | None, count: int
) -> list[Point]:
    """Add a point at each of the ``count`` best cells of ``grid`` (best first), named
    after its cell; ``ValueError`` when there are no scores or ``count`` < 1."""
    if count < 1:
        raise ValueError(f"grid {grid.id}: ask for 1 point or more, not {count}")
    cells = results.best_cells(count) if results is not None else []
    if not cells:
        raise ValueError(f"grid {grid.id}: no scores yet, no best cells")
    return [
        shapes.add_point(grid.cell_position(*grid.cell_of_index(cell)), cell_name(grid, cell))
        for cell in cells
    ]
