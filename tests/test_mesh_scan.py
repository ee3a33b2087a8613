"""Mesh scans on the simulated beamline: one scored image per cell, the best over the
crystal, line scans, stop, faults. Qt-free."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from queue_engine_fixtures import (
    add_sample,
    add_task,
    crystal_centre,
)

from mxgui.core.centring import offset_centred_position
from mxscore.scoring import score_image

#: where the grid's centre is from the crystal: (along the axis, up) mm
GRID_OFFSET = (0.07, -0.05)
MESH = {"exp_time": 0.001, "osc_range": 1.0, "take_snapshots": 0, "detector_distance": 150.0}


def run_and_wait(bl, node_id: int | None = None) -> str:
    bl.engine.run_all() if node_id is None else bl.engine.run(node_id)
    return bl.events.wait_finished(120.0)


def grid_near_crystal(bl, cols: int, rows: int, cell: float = 0.03, order: str = "zigzag"):
    """A grid whose centre is :data:`GRID_OFFSET` from the crystal, and the crystal's
    (h, d) in the grid's plane from the grid centre."""
    centre = offset_centred_position(crystal_centre(bl, 0.0), *GRID_OFFSET)
    grid = bl.shapes.add_grid(centre, cols, rows, cell, cell, scan_order=order)
    return grid, (-GRID_OFFSET[0], -GRID_OFFSET[1])


def cell_distance_mm(grid, index: int, h: float, d: float) -> float:
    ch, cd = grid.cell_offset(*grid.cell_of_index(index))
    return math.hypot(ch - h, cd - d)


def test_a_20x15_mesh_finds_the_crystal_and_centring_on_the_best_cell_puts_it_on_the_beam(bl):
    grid, (h, d) = grid_near_crystal(bl, 20, 15)
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **MESH)
    before = bl.diffractometer.get_positions()
    active = []
    bl.shapes.connect("gridResultsChanged", lambda _g: active.append(bl.shapes.active_grid_id))
    assert run_and_wait(bl) == "success"
    node = bl.model.get_node(task)
    images = sorted(node.files)
    assert len(images) == 300 and all(Path(f).is_file() for f in images)
    prefix, run = node.parameters["prefix"], node.parameters["run_number"]
    assert Path(images[0]).name == f"{prefix}_{run}_00001.cbf"
    assert Path(images[-1]).name == f"{prefix}_{run}_00300.cbf"
    # the sample stayed where it was (a fast scan computed at each cell)
    after = bl.diffractometer.get_positions()
    assert all(after[k] == pytest.approx(before[k], abs=1e-6) for k in ("phiy", "sampx", "sampy"))
    results = bl.shapes.grid_results(grid.id)
    assert results.count == 300
    best = results.best_cells(1)[0]
    assert node.results["best_cell"] == best and f"best cell {best}" in node.message
    # the best cell lies over the crystal, and background cells score (about) nothing
    crystal_cell = grid.index_of_cell(*grid.cell_at(h, d))
    assert cell_distance_mm(grid, best, h, d) <= 0.06, (best, crystal_cell)
    assert np.median(results.scores) < 0.05 * results.scores[best - 1]
    position = grid.cell_position(*grid.cell_of_index(best))
    bl.diffractometer.move_to_centred_position(position).result(timeout=30)
    assert bl.diffractometer.illuminated_fraction((0.05, 0.05)) > 0.5
    assert bl.shapes.active_grid_id is None and grid.id in active


def test_a_line_scan_profile_peaks_at_the_crystal(bl):
    centre = offset_centred_position(crystal_centre(bl, 0.0), 0.06, 0.0)
    line = bl.shapes.add_grid(centre, 15, 1, 0.02, 0.02, scan_order="raster")
    sample = add_sample(bl, None)
    add_task(bl, sample, "MeshScan", grid_id=line.id, **MESH)
    assert run_and_wait(bl) == "success"
    profile = bl.shapes.grid_results(line.id).scores
    peak = int(np.argmax(profile))  # raster, one row: cell k is column k - 1
    h_peak = line.cell_offset(peak, 0)[0]
    assert abs(h_peak - (-0.06)) <= 0.04
    assert profile[0] < 0.05 * profile[peak] and profile[-1] < 0.05 * profile[peak]


def test_a_new_mesh_clears_old_results_and_raster_files_follow_the_task_order(bl):
    grid, _ = grid_near_crystal(bl, 4, 3, order="zigzag")
    bl.shapes.set_grid_results(grid.id, {1: 5.0, 12: [1, 2, 3, 4]})
    cleared = []
    bl.shapes.connect(
        "gridResultsChanged", lambda g: cleared.append(bl.shapes.grid_results(g) is None)
    )
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, scan_order="raster", **MESH)
    assert run_and_wait(bl) == "success"
    assert cleared[0] is True  # the old results went first
    results = bl.shapes.grid_results(grid.id)
    assert results.count == 12 and not results.has_colour.any()
    # image 5 (raster: row 1, column 0) is the grid's zigzag cell 8
    files = sorted(bl.model.get_node(task).files)
    assert results.scores[grid.index_of_cell(0, 1) - 1] == pytest.approx(score_image(files[4]))


def stop_a_mesh_half_way(bl):
    """Run a 20 x 15 mesh and stop it once 30 % of it is done; its grid and task."""
    grid, _ = grid_near_crystal(bl, 20, 15)
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **dict(MESH, exp_time=0.02))
    halfway = bl.events.when(
        lambda name, args: name == "progressChanged" and args[0] == task and args[1] >= 0.3
    )
    bl.engine.run_all()
    assert halfway.wait(60)
    bl.engine.stop()
    assert bl.events.wait_finished() == "stopped"
    return grid, task


def test_a_stopped_mesh_keeps_its_images_and_their_scores(bl):
    grid, task = stop_a_mesh_half_way(bl)
    node = bl.model.get_node(task)
    assert node.status == "stopped" and node.message.startswith("stopped by user")
    assert 0 < len(node.files) < 300 and all(Path(f).is_file() for f in node.files)
    results = bl.shapes.grid_results(grid.id)
    assert results.count == len(node.files)
    assert bl.shapes.active_grid_id is None


def test_a_detector_fault_fails_the_mesh_with_the_reason_and_keeps_what_was_scored(bl):
    grid, _ = grid_near_crystal(bl, 5, 4)
    bl.collect.inject_fault("module 3 lost", after_images=7)
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **MESH)
    assert run_and_wait(bl) == "failed"
    node = bl.model.get_node(task)
    assert "detector error: module 3 lost" in node.message
    assert len(node.files) == 7
    assert bl.shapes.grid_results(grid.id).count == 7


def test_a_mesh_on_a_removed_grid_fails_naming_it(bl):
    grid, _ = grid_near_crystal(bl, 2, 2)
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **MESH)
    bl.shapes.remove(grid.id)
    assert run_and_wait(bl) == "failed"
    assert f"no shape {grid.id}" in bl.model.get_node(task).message or (
        f"no grid {grid.id}" in bl.model.get_node(task).message
    )
