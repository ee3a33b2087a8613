"""X-ray centring: two orthogonal scans put the crystal on the beam in all three axes.

1. At the current omega (or on the grid ``shape_id`` when given, at its omega), a mesh
   of beam-sized cells (``get_beam_size``) over ``mesh_width_mm`` x ``mesh_height_mm``
   around the current position; move to the middle of the diffraction peak. The crystal
   is now on the beam along the rotation axis and vertically, at that omega.
2. Turn omega by 90 degrees: what was along the beam is now vertical. A vertical line
   scan (a one-column grid, ``line_length_mm`` long, beam-height cells) through the
   current position; move to the middle of its peak. The crystal is now on the beam
   in the third direction too, so it stays in the beam as omega turns.

"Middle of the peak" is :func:`mxwf.analysis.peak_position`: the score-weighted mean of
the cells around the best one, finer than a cell. The tolerance is one beam size.
Workflow parameters (all optional): ``mesh_width_mm`` (0.6), ``mesh_height_mm`` (0.4),
``line_length_mm`` (0.6), ``mesh_exp_time`` (0.01 s), ``mesh_osc_range`` (0.1 deg).
"""

from __future__ import annotations

from typing import Any

from mxwf.analysis import beam_size, cells_for
from mxwf.context import StepContext
from mxwf.mesh import GridScan, grid_info, new_grid, scan_grid

#: the scan area of the first (mesh) scan, mm
MESH_WIDTH_MM = 0.6
MESH_HEIGHT_MM = 0.4
#: the length of the second (vertical line) scan, mm
LINE_LENGTH_MM = 0.6
LINE_MARKER = "line-"


def orthogonal_omega(omega: float, low: float = -360.0, high: float = 360.0) -> float:
    """Omega 90 degrees on from ``omega``, or 90 degrees back when that leaves
    ``[low, high]``."""
    turned = omega + 90.0
    return turned if turned <= high else omega - 90.0 if omega - 90.0 >= low else turned


def first_scan(ctx: StepContext, cell_mm: tuple[float, float]) -> GridScan:
    """The mesh at the current omega (or on the given grid, at its omega)."""
    if ctx.shape_id:
        grid = grid_info(ctx, ctx.shape_id)
        omega = (grid.get("motor_positions") or {}).get("phi")
        if isinstance(omega, (int, float)):
            ctx.move({"phi": omega}, f"turning to grid {ctx.shape_id}'s omega")
        return scan_grid(ctx, ctx.shape_id, "the X-ray centring mesh")
    cols = cells_for(ctx.number("mesh_width_mm", MESH_WIDTH_MM), cell_mm[0])
    rows = cells_for(ctx.number("mesh_height_mm", MESH_HEIGHT_MM), cell_mm[1])
    grid_id = new_grid(ctx, cols, rows, cell_mm, "X-ray centring mesh")
    ctx.gui.log(f"X-ray centring: {cols} x {rows} mesh {grid_id} at the current omega")
    return scan_grid(ctx, grid_id, "the X-ray centring mesh")


def second_scan(ctx: StepContext, cell_mm: tuple[float, float]) -> GridScan:
    """The vertical line scan at omega + 90 degrees through the current position."""
    here = ctx.positions()
    ctx.move({"phi": orthogonal_omega(float(here["phi"]))}, "turning omega by 90 degrees")
    rows = cells_for(ctx.number("line_length_mm", LINE_LENGTH_MM), cell_mm[1])
    grid_id = new_grid(ctx, 1, rows, cell_mm, "X-ray centring line")
    ctx.gui.log(f"X-ray centring: vertical line {grid_id} of {rows} cells at omega + 90")
    return scan_grid(ctx, grid_id, "the X-ray centring line scan", LINE_MARKER)


def xray_centring(ctx: StepContext) -> dict[str, Any]:
    """Run both scans and centre the crystal (module doc); return what was done:
    ``centred_position`` (motor positions), ``grids`` (ids), ``best_scores``."""
    cell_mm = beam_size(ctx.gui.get_beam_size())
    mesh = first_scan(ctx, cell_mm)
    ctx.move(mesh.peak(), f"moving to the crystal found by grid {mesh.grid_id}")
    line = second_scan(ctx, cell_mm)
    ctx.move(line.peak(), f"moving to the crystal found by grid {line.grid_id}")
    centred = ctx.positions()
    best = [mesh.scores[mesh.best()], line.scores[line.best()]]
    ctx.gui.log(
        f"X-ray centring done on grids {mesh.grid_id} and {line.grid_id}: crystal centred at "
        + ", ".join(f"{k} {v:.4f}" for k, v in sorted(centred.items()) if isinstance(v, float))
    )
    return {"centred_position": centred, "grids": [mesh.grid_id, line.grid_id], "best_scores": best}
