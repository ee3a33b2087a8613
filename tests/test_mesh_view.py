"""The sample view colours a grid's cells from its results: live during a mesh scan on
the simulated beamline, from external results, cleared for a new mesh (pytest-qt)."""

from __future__ import annotations

import numpy as np
import pytest

from mxgui.core.centring import CentredPosition, offset_centred_position
from mxgui.gui.sample_view.grid_item import GridItem
from mxgui.gui.sample_view.heat_map import TABLE, cell_rgba

from helpers import SIMULATED, TEST_LAYOUTS, quick_collect_overrides, speed_up

LAYOUT = TEST_LAYOUTS / "sample_view_queue.yml"
MESH = {"exp_time": 0.001, "osc_range": 1.0, "take_snapshots": 0, "detector_distance": 150.0}


@pytest.fixture
def mesh_app(make_app, tmp_path, qtbot):
    app = make_app(LAYOUT, [quick_collect_overrides(tmp_path), SIMULATED])
    view = app.built.bricks["sample_view"]
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    qtbot.waitUntil(lambda: view.view.frame_item.shown > 0, timeout=5000)
    return view, app.repository.get("/queue"), app.repository.get("/shapes"), diffractometer


def crystal_centred(diffractometer) -> CentredPosition:
    positions = diffractometer.scene.centring_positions()
    return CentredPosition(phi=0.0, **{k: float(v) for k, v in positions.items()})


def grid_item(view, grid_id: str) -> GridItem:
    item = view.shape_layer.items[grid_id]
    assert isinstance(item, GridItem)
    return item


def test_a_20x15_mesh_colours_the_grid_live_and_the_best_cell_has_the_top_colour(mesh_app, qtbot):
    view, queue, shapes, diffractometer = mesh_app
    diffractometer.move_motors({"phi": 0.0}, timeout=30)
    centre = offset_centred_position(crystal_centred(diffractometer), 0.07, -0.05)
    grid = shapes.add_grid(centre, 20, 15, 0.03, 0.03)
    qtbot.waitUntil(lambda: grid.id in view.shape_layer.items, timeout=2000)
    item = grid_item(view, grid.id)
    assert item.cell_pixels() is None
    sample = queue.add_sample(None, "manual")
    queue.model.update_parameters(sample, {"centring": "none"})
    task = queue.add_task(sample, "MeshScan", dict(MESH, grid_id=grid.id))
    shown = []  # cells coloured, seen while the scan runs
    queue.engine.run(task)

    def finished() -> bool:
        pixels = item.cell_pixels()
        if pixels is not None:
            shown.append(int(np.count_nonzero(pixels[..., 3])))
        return queue.model.get_node(task).status == "success"

    qtbot.waitUntil(finished, timeout=60_000)
    qtbot.waitUntil(
        lambda: (
            item.cell_pixels() is not None and np.count_nonzero(item.cell_pixels()[..., 3]) == 300
        ),
        timeout=5000,
    )
    assert any(0 < n < 300 for n in shown)  # coloured live, not only at the end
    results = shapes.grid_results(grid.id)
    best = results.best_cells(1)[0]
    col, row = grid.cell_of_index(best)
    pixels = item.cell_pixels()
    assert tuple(pixels[row, col]) == tuple(TABLE[-1])
    # no other cell shows the top colour unless it has the top score
    top = np.all(pixels == TABLE[-1], axis=-1)
    top_scores = grid.scan_to_layout(results.scores)[top]
    assert np.all(top_scores == results.scores[best - 1])
    # "centre on best": the crystal goes on the beam
    position = grid.cell_position(col, row)
    diffractometer.move_to_centred_position(position).result(timeout=30)
    assert diffractometer.illuminated_fraction((0.05, 0.05)) > 0.5


def test_external_results_bursts_are_drawn_once_and_a_new_mesh_clears_them(mesh_app, qtbot):
    view, queue, shapes, diffractometer = mesh_app
    grid = shapes.add_grid(crystal_centred(diffractometer), 4, 3, 0.02, 0.02)
    qtbot.waitUntil(lambda: grid.id in view.shape_layer.items, timeout=2000)
    item = grid_item(view, grid.id)
    painted = []
    original = item.set_cell_image

    def counting(rgba, levels=None):
        painted.append(rgba is not None)
        original(rgba, levels)

    item.set_cell_image = counting
    for cell in range(1, 13):  # a burst of 12 single results (as dozor sends them)
        shapes.set_grid_results(grid.id, {cell: float(cell)})
    shapes.set_grid_results(grid.id, {12: [255, 0, 0, 255]})
    qtbot.waitUntil(lambda: bool(painted), timeout=2000)
    qtbot.wait(200)
    assert len(painted) <= 2  # one redraw per burst, not 13
    pixels = item.cell_pixels()
    expected, levels = cell_rgba(grid, shapes.grid_results(grid.id))
    assert np.array_equal(pixels, expected) and levels == (1.0, 11.0)
    # zigzag, 4 x 3: cell 8 ends row 1 on the left, cell 12 ends row 2 on the right
    assert grid.cell_of_index(8) == (0, 1) and grid.cell_of_index(12) == (3, 2)
    assert tuple(pixels[2, 3]) == (255, 0, 0, 255)
    assert tuple(pixels[1, 0]) == tuple(TABLE[int(255 * 7 / 10)])
    with pytest.raises(ValueError, match="outside 1..12"):
        shapes.set_grid_results(grid.id, {13: 1.0})
    shapes.clear_grid_results(grid.id)  # what a new mesh on the grid does first
    qtbot.waitUntil(lambda: item.cell_pixels() is None, timeout=2000)
