"""Issue 7's bad input and faults, from the outside: results over XML-RPC for an unknown
grid, cells outside it, NaN or negative scores, more results than cells (refused,
naming the grid and the cell, the stored results unchanged); dozor image numbers
counted from the mesh's first image; an unreadable image (skipped, named, the entry
ends ``warning``, the other cells scored); a mesh stopped half-way keeps its results,
and they are back after a restart."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from queue_engine_fixtures import add_sample, add_task, close_beamline
from test_mesh_scan import MESH, grid_near_crystal, run_and_wait, stop_a_mesh_half_way
from xmlrpc_fixtures import fault_message

from mxgui.core.queue.entries.collection import path_of
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures


# results over XML-RPC ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("grid", "values", "names"),
    [
        ("G9", {"1": 1.0}, ["G9"]),
        (None, {"13": 1.0}, ["{grid}", "cell 13", "1..12"]),
        (None, {"2": math.nan}, ["result[2]", "nan"]),  # refused by the argument check
        (None, {"2": -0.5}, ["{grid}", "cell 2", "-0.5"]),
        (None, {str(i): 1.0 for i in range(1, 14)}, ["{grid}", "13 results", "12 cells"]),
    ],
    ids=["unknown grid", "cell outside", "nan", "negative", "longer than the grid"],
)
def test_bad_results_are_refused_naming_the_place_and_the_shown_results_stay(
    beamline, proxy, grid, values, names
):
    grid_id = proxy.shape_history_add_grid({"num_cols": 4, "num_rows": 3})
    assert proxy.shape_history_set_grid_data(grid_id, {"5": 2.0}) is True
    message = fault_message(proxy.shape_history_set_grid_data, grid or grid_id, values)
    for name in names:
        assert name.format(grid=grid_id) in message
    assert proxy.shape_history_get_grid_data(grid_id)["values"] == {"5": 2.0}
    assert beamline.get("shapes").grid_results(grid_id).count == 1


def test_dozor_image_numbers_count_from_the_mesh_first_image_in_its_order(beamline, proxy):
    shapes = beamline.get("shapes")
    grid_id = proxy.shape_history_add_grid({"num_cols": 4, "num_rows": 3})  # zigzag
    grid = shapes.get(grid_id)
    shapes.start_scan(grid_id, first_image=101, scan_order="raster")
    try:
        # raster image 101 is cell (0, 0); image 105 is (0, 1): the zigzag grid's cell 8
        assert proxy.dozor_batch_processed([{"image_num": 101, "score": 3.0}]) == 1
        assert proxy.dozor_batch_processed([{"image_num": 105, "spots_num_of": 7}]) == 1
        values = proxy.shape_history_get_grid_data(grid_id)["values"]
        assert values == {"1": 3.0, str(grid.index_of_cell(0, 1)): 7.0}
        assert grid.index_of_cell(0, 1) == 8
        message = fault_message(proxy.dozor_batch_processed, [{"image_num": 100, "score": 1.0}])
        assert f"grid {grid_id}: image 100 is outside the mesh scan's images 101..112" in message
        message = fault_message(proxy.dozor_batch_processed, [{"image_num": 113, "score": 1.0}])
        assert "image 113" in message
        # an impossible score skips its item only (review 16a finding 8): none stored here
        assert proxy.dozor_batch_processed([{"image_num": 102, "score": -1.0}]) == 0
        assert proxy.dozor_batch_processed([{"image_num": 103, "score": math.nan}]) == 0
        assert shapes.grid_results(grid_id).count == 2  # the refused batches changed nothing
    finally:
        shapes.active_grid_id = None
    # no scan: image numbers name no cell (review 16a finding 7: no identity mapping)
    with pytest.raises(ValueError, match="no mesh scan collects it"):
        shapes.scan_cells(grid_id, {5: 1.0})


# mesh scans on the simulated beamline --------------------------------------------------------
def test_a_mesh_from_image_5_names_its_files_from_5_and_scores_the_right_cells(bl):
    grid, _ = grid_near_crystal(bl, 3, 2)
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, first_image=5, **MESH)
    during = []
    bl.shapes.connect(
        "gridResultsChanged",
        lambda g: (
            during.append(bl.shapes.scan_cells(g, {5: 0.0, 10: 0.0}))
            if bl.shapes.active_grid_id == g
            else None
        ),
    )
    assert run_and_wait(bl) == "success"
    node = bl.model.get_node(task)
    names = sorted(Path(f).name for f in node.files)
    prefix, run = node.parameters["prefix"], node.parameters["run_number"]
    assert names[0] == f"{prefix}_{run}_00005.cbf" and names[-1] == f"{prefix}_{run}_00010.cbf"
    assert bl.shapes.grid_results(grid.id).count == 6
    assert during and during[0] == {1: 0.0, 6: 0.0}


def test_an_unreadable_image_is_skipped_and_named_and_the_other_cells_are_scored(bl, caplog):
    grid, _ = grid_near_crystal(bl, 4, 3)
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **MESH)
    path = path_of(dict(bl.model.get_node(task).parameters, suffix="cbf"))
    broken = Path(path.directory) / path.image_file_name(3)

    def break_image(count: int) -> None:  # runs before the scorer is given the image
        if count == 3:
            broken.write_bytes(b"###CBF: truncated")

    bl.collect.connect("collectImageTaken", break_image)
    run_and_wait(bl)
    node = bl.model.get_node(task)
    assert node.status == "warning"
    assert "1 images could not be scored" in node.message and str(broken) in node.message
    assert f"{grid.id}: image 3 skipped" in caplog.text and str(broken) in caplog.text
    results = bl.shapes.grid_results(grid.id)
    assert results.count == 11 and math.isnan(results.scores[grid.index_of_cell(2, 0) - 1])


def test_a_mesh_stopped_half_way_keeps_its_results_after_a_restart(bl):
    grid, task = stop_a_mesh_half_way(bl)
    kept = bl.shapes.grid_results(grid.id)
    taken = len(bl.model.get_node(task).files)
    assert 0 < kept.count == taken < 300
    close_beamline(bl)  # mxgui stops

    repo = HardwareRepository([SIMULATED])  # and starts again on the same data
    try:
        shapes = repo.get("/shapes")
        assert shapes.get(grid.id) == grid
        back = shapes.grid_results(grid.id)
        assert back.count == taken
        assert back.as_mapping() == kept.as_mapping()
        assert back.data_file_path == kept.data_file_path
    finally:
        repo.shutdown()
