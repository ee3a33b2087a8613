"""A mesh (or line) scan on a grid, scored by the workflow itself, then the best place.

:func:`scan_grid` adds a MeshScan task on the grid under the sample, runs it, scores
every image with :func:`mxscore.scoring.score_image` (image ``n`` is cell ``n`` in
scan order), sends the scores to the grid (``shape_history_set_grid_data``: the user
sees this workflow's scores on the sample view) and returns them with the cells'
positions. :func:`new_grid` draws a grid around the current position.
"""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from mxwf.analysis import NoDiffraction, best_cell, image_number, peak_position
from mxwf.client import WorkflowError
from mxwf.context import StepContext

#: prefix marker of a mesh scan's images
MESH_MARKER = "mesh-"
#: images scored at once (the scorer reads files: I/O and numpy release the GIL)
SCORING_THREADS = 2


@dataclass
class GridScan:
    """The outcome of a scan: the grid, its cells' scores and positions, the node."""

    grid_id: str
    scores: dict[int, float]
    positions: dict[int, dict[str, float]]
    step_mm: float
    node_id: int
    files: list[str]

    def best(self) -> int:
        """The best cell; :class:`NoDiffraction` naming the grid when nothing diffracted."""
        try:
            return best_cell(self.scores)
        except NoDiffraction as exc:
            raise NoDiffraction(
                f"no diffraction in the scan of grid {self.grid_id} ({len(self.scores)} images, "
                f"{exc}): is the crystal inside the grid and in the beam?"
            ) from None

    def peak(self) -> dict[str, float]:
        """The position of the middle of the diffraction peak (see ``analysis``)."""
        self.best()
        return peak_position(self.scores, self.positions, self.step_mm)


def grid_info(ctx: StepContext, grid_id: str) -> dict[str, Any]:
    """``shape_history_get_grid``; ``WorkflowError`` naming the grid when it is unknown."""
    try:
        return dict(ctx.gui.shape_history_get_grid(grid_id))
    except xmlrpc.client.Fault as fault:
        raise WorkflowError(f"grid {grid_id!r}: {fault.faultString}") from None


def new_grid(
    ctx: StepContext,
    num_cols: int,
    num_rows: int,
    cell_mm: tuple[float, float],
    name: str,
) -> str:
    """A ``num_cols`` x ``num_rows`` grid of ``cell_mm`` (width, height) cells centred on
    the current position; its id."""
    params = {
        "num_cols": int(num_cols),
        "num_rows": int(num_rows),
        "cell_width_mm": float(cell_mm[0]),
        "cell_height_mm": float(cell_mm[1]),
        "name": name,
        "scan_order": "zigzag",
    }
    try:
        return str(ctx.gui.shape_history_add_grid(params))
    except xmlrpc.client.Fault as fault:
        raise WorkflowError(f"drawing the grid {name!r}: {fault.faultString}") from None


def scan_grid(
    ctx: StepContext, grid_id: str, what: str = "the mesh scan", marker: str = MESH_MARKER
) -> GridScan:
    """Scan grid ``grid_id``, score its images and show the scores on it (module doc)."""
    grid = grid_info(ctx, grid_id)
    cols, rows = int(grid["steps_x"]), int(grid["steps_y"])
    cells = cols * rows
    step_mm = max(float(grid.get("dx_mm") or 0.0), float(grid.get("dy_mm") or 0.0))
    params = ctx.task_parameters(
        marker,
        grid_id=grid_id,
        num_images=cells,
        osc_range=ctx.number("mesh_osc_range", 0.1),
        exp_time=ctx.number("mesh_exp_time", ctx.number("exp_time", 0.01)),
    )
    node = ctx.gui.run_task(ctx.tasks_parent, "MeshScan", params, f"{what} on {grid_id}")
    files = image_files(node)
    if not files:
        raise WorkflowError(f"{what} on {grid_id} wrote no image (node {node['id']})")
    scores = score_files(files)
    # the first image: a viewer finds each cell's image from it
    send_scores(ctx, grid_id, scores, min(files, key=image_number))
    try:
        found = ctx.gui.shape_history_get_cell_positions(grid_id, sorted(scores))
    except xmlrpc.client.Fault as fault:
        raise WorkflowError(f"the cell positions of grid {grid_id}: {fault.faultString}") from None
    positions = {cell: dict(p) for cell, p in zip(sorted(scores), found)}
    return GridScan(grid_id, scores, positions, step_mm, int(node["id"]), files)


def image_files(node: Mapping[str, Any]) -> list[str]:
    """The images a scan node wrote (``files`` of ``queue_get_node``, snapshots left out)."""
    files = node.get("files") or []
    return [str(f) for f in files if str(f).endswith((".cbf", ".h5"))]


def score_files(files: list[str]) -> dict[int, float]:
    """``{cell: score}`` of each image (image number = cell); ``WorkflowError`` naming
    an image that cannot be read."""
    from mxscore.scoring import score_image  # numpy and fabio: only when scoring

    def one(path: str) -> tuple[int, float]:
        try:
            return image_number(path), float(score_image(path))
        except ValueError as exc:
            raise WorkflowError(f"scoring {path}: {exc}") from None

    with ThreadPoolExecutor(SCORING_THREADS, thread_name_prefix="score") as pool:
        return dict(pool.map(one, files))


def send_scores(ctx: StepContext, grid_id: str, scores: Mapping[int, float], path: str) -> None:
    """Show ``scores`` on grid ``grid_id`` (cells as strings: XML-RPC dict keys)."""
    result = {str(cell): float(score) for cell, score in scores.items()}
    try:
        ctx.gui.shape_history_set_grid_data(grid_id, result, path)
    except xmlrpc.client.Fault as fault:
        raise WorkflowError(f"sending the scores of grid {grid_id}: {fault.faultString}") from None


def move_to_best(ctx: StepContext, scan: GridScan) -> dict[str, float]:
    """Move to the best cell of ``scan`` and return its position."""
    cell = scan.best()
    position = scan.positions[cell]
    ctx.move(position, f"moving to cell {cell} of grid {scan.grid_id}")
    ctx.gui.log(
        f"grid {scan.grid_id}: best cell {cell} (score {scan.scores[cell]:.4g}); moved there"
    )
    return position
