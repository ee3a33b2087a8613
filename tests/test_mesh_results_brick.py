"""The mesh results brick on the simulated beamline: a real mesh scan's heat map,
hover, a clicked cell's image, move to it, the best frame, centre on best, points from
the best cells, and a line scan as a curve (pytest-qt)."""

from __future__ import annotations

from pathlib import Path

import fabio
import numpy as np
import pytest
from PyQt5.QtCore import QPoint, Qt

from mxgui.core.centring import CentredPosition, offset_centred_position
from mxgui.core.shapes import Point

from helpers import SIMULATED, quick_collect_overrides, show_brick, speed_up

LAYOUT = """\
format_version: 1
windows:
  - name: main
    title: mxgui - mesh results
    size: [1200, 800]
    content:
      type: vbox
      children:
        - class: MeshResultsBrick
          name: mesh_results
          properties: {shapes: /shapes, diffractometer: /diffractometer, queue: /queue}
connections: []
"""
MESH = {"exp_time": 0.001, "osc_range": 1.0, "take_snapshots": 0, "detector_distance": 150.0}


@pytest.fixture
def setup(make_app, tmp_path, qtbot):
    layout = tmp_path / "mesh_results.yml"
    layout.write_text(LAYOUT)
    app = make_app(layout, [quick_collect_overrides(tmp_path), SIMULATED])
    brick = app.built.bricks["mesh_results"]
    show_brick(brick)
    qtbot.waitUntil(lambda: brick.plot is not None, timeout=5000)
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    diffractometer.move_motors({"phi": 0.0}, timeout=30)
    return brick, app.repository.get("/queue"), app.repository.get("/shapes"), diffractometer


def crystal_centred(diffractometer) -> CentredPosition:
    positions = diffractometer.scene.centring_positions()
    return CentredPosition(phi=0.0, **{k: float(v) for k, v in positions.items()})


def run_mesh(qtbot, queue, grid, watch=None, **parameters) -> int:
    """Run a MeshScan on ``grid`` to its end, calling ``watch()`` while it runs."""
    sample = queue.add_sample(None, "manual")
    queue.model.update_parameters(sample, {"centring": "none"})
    task = queue.add_task(sample, "MeshScan", dict(MESH, grid_id=grid.id, **parameters))
    queue.engine.run(task)

    def ended() -> bool:
        if watch is not None:
            watch()
        return queue.model.get_node(task).status == "success"

    qtbot.waitUntil(ended, timeout=60_000)
    return task


def at(diffractometer, position: CentredPosition) -> bool:
    now = diffractometer.get_positions()
    return all(abs(now[k] - v) < 1e-3 for k, v in position.motor_positions().items())


def pixel_of(brick, x: float, y: float) -> QPoint:
    """Where plot point ``(x, y)`` is on the heat map's widget."""
    plot = brick.plot.currentWidget()
    px, py = plot.dataToPixel(x, y, check=False)
    return QPoint(int(round(px)), int(round(py)))


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_a_mesh_shows_live_and_its_cells_can_be_read_picked_and_reached(setup, qtbot):
    brick, queue, shapes, diffractometer = setup
    centre = offset_centred_position(crystal_centred(diffractometer), 0.07, -0.05)
    grid = shapes.add_grid(centre, 20, 15, 0.03, 0.03)  # zigzag
    other = shapes.add_grid(centre, 3, 3, 0.03, 0.03)
    qtbot.waitUntil(lambda: brick.grids.combo.count() == 2, timeout=2000)
    assert brick.grids.chosen == other.id  # the last grid, before any mesh
    shown = []  # cells shown on the heat map while the scan runs
    task = run_mesh(
        qtbot,
        queue,
        grid,
        watch=lambda: shown.append(np.count_nonzero(~np.isnan(brick.plot.values))),
    )
    results = shapes.grid_results(grid.id)
    assert results.count == 300
    assert any(0 < n < 300 for n in shown)  # live, not only at the end
    # the brick followed the running mesh to its grid, and shows all its scores
    assert brick.grids.chosen == grid.id
    qtbot.waitUntil(lambda: not np.isnan(brick.plot.values).any(), timeout=3000)
    assert brick.count_label.text().startswith("300 / 300 cells")
    values = brick.plot.values
    assert values.shape == (15, 20)
    for cell in range(1, 301):
        col, row = grid.cell_of_index(cell)
        assert values[row, col] == results.scores[cell - 1]
    # zigzag: cell 21 starts row 1 on the right, cell 40 ends it on the left
    assert values[1, 19] == results.scores[20] and values[1, 0] == results.scores[39]
    image = brick.plot.image()
    # one image item, showing the brick's array
    assert np.array_equal(image.getData(copy=False), values)
    assert [i for i in brick.plot.image_plot.getItems() if i.getName() == "scores"] == [image]
    # the best frame so far is the best cell's image
    best = results.best_cells(1)[0]
    # the heat map shows it: its cell holds the highest value and carries the best mark
    best_col, best_row = grid.cell_of_index(best)
    assert values[best_row, best_col] == np.nanmax(values)
    (mark,) = [i for i in brick.plot.image_plot.getItems() if i.getName() == "best"]
    assert (mark.getXPosition(), mark.getYPosition()) == brick.plot.cell_point(best)
    files = sorted(queue.model.get_node(task).files)
    best_file = files[best - 1]
    assert Path(best_file).name.endswith(f"_{best:05d}.cbf")
    qtbot.waitUntil(lambda: brick.best_view.path == best_file, timeout=5000)
    assert np.array_equal(brick.best_view.image(), fabio.open(best_file).data.astype(np.float32))
    assert f"cell {best}" in brick.best_view.message.text()

    # hover a cell: its index, column, row and score
    col, row = 4, 1  # zigzag: cell 36
    cell = grid.index_of_cell(col, row)
    assert cell == 36
    widget = brick.plot.currentWidget().getWidgetHandle()
    qtbot.mouseMove(widget, pixel_of(brick, col + 0.5, row + 0.5))
    qtbot.waitUntil(lambda: brick.hover_label.text().startswith("cell 36"), timeout=2000)
    assert f"cell 36 (column 4, row 1): score {results.scores[35]:.4g}" == brick.hover_label.text()
    # click it: its image is loaded
    assert not brick.move_button.isEnabled()
    qtbot.mouseClick(widget, Qt.LeftButton, pos=pixel_of(brick, col + 0.5, row + 0.5))
    qtbot.waitUntil(lambda: brick.picked_view.path == files[35], timeout=5000)
    assert brick.picked == 36
    assert np.array_equal(brick.picked_view.image(), fabio.open(files[35]).data.astype(np.float32))
    # move to it
    assert brick.move_button.isEnabled()
    qtbot.mouseClick(brick.move_button, Qt.LeftButton)
    target = grid.cell_position(col, row)
    qtbot.waitUntil(lambda: at(diffractometer, target), timeout=10000)
    qtbot.waitUntil(lambda: brick.message.text().startswith("At G1 cell 36"), timeout=3000)

    # centre on best puts the crystal on the beam
    qtbot.mouseClick(brick.best_button, Qt.LeftButton)
    best_position = grid.cell_position(*grid.cell_of_index(best))
    qtbot.waitUntil(lambda: at(diffractometer, best_position), timeout=10000)
    assert diffractometer.illuminated_fraction((0.05, 0.05)) > 0.5

    # points from the 3 best cells
    brick.count_spin.setValue(3)
    before = {s.id for s in shapes.shapes(Point)}
    qtbot.mouseClick(brick.points_button, Qt.LeftButton)
    points = [s for s in shapes.shapes(Point) if s.id not in before]
    assert len(points) == 3
    for point, cell in zip(points, results.best_cells(3)):
        assert point.name.startswith(f"G1 cell {cell} ")
        assert point.position == grid.cell_position(*grid.cell_of_index(cell))
    assert brick.message.text().startswith("Added P")


# clicking near a point of a curve may open silx's tooltip, which the offscreen
# platform cannot raise (a harmless warning)
@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_a_line_scan_is_a_curve_peaking_at_the_best_cell(setup, qtbot):
    brick, queue, shapes, diffractometer = setup
    centre = offset_centred_position(crystal_centred(diffractometer), 0.06, 0.0)
    line = shapes.add_grid(centre, 15, 1, 0.02, 0.02, scan_order="raster")
    run_mesh(qtbot, queue, line)
    results = shapes.grid_results(line.id)
    qtbot.waitUntil(
        lambda: brick.plot.curve() is not None and len(brick.plot.curve().getXData()) == 15,
        timeout=3000,
    )
    assert brick.plot.is_curve and brick.plot.image() is None
    assert brick.plot.currentWidget() is brick.plot.curve_plot
    x, y = brick.plot.curve().getXData(), brick.plot.curve().getYData()
    best = results.best_cells(1)[0]
    peak = int(np.argmax(y))
    assert peak == best - 1  # raster, one row: cell k is column k - 1
    assert x[peak] == pytest.approx((best - 1) * line.step_x_mm)
    assert list(y) == list(results.scores)
    # clicking the curve near a point picks that cell
    widget = brick.plot.curve_plot.getWidgetHandle()
    qtbot.mouseClick(widget, Qt.LeftButton, pos=pixel_of(brick, x[peak], y[peak]))
    qtbot.waitUntil(lambda: brick.picked == best, timeout=2000)


def test_a_raster_mesh_on_a_zigzag_grid_shows_each_cell_its_own_image(setup, qtbot):
    brick, queue, shapes, diffractometer = setup
    grid = shapes.add_grid(crystal_centred(diffractometer), 4, 3, 0.03, 0.03)  # zigzag
    task = run_mesh(qtbot, queue, grid, scan_order="raster")
    files = sorted(queue.model.get_node(task).files)
    qtbot.waitUntil(lambda: brick.count_label.text().startswith("12 / 12"), timeout=3000)
    # column 0 of row 1: the grid's (zigzag) cell 8, the raster scan's image 5
    cell = grid.index_of_cell(0, 1)
    assert cell == 8
    brick.pick_cell(cell)
    qtbot.waitUntil(lambda: brick.picked_view.path == files[4], timeout=5000)
    assert brick.picked_view.message.text().startswith("G1 cell 8 (col 0, row 1), score")
