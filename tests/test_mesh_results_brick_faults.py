"""The mesh results brick fed external results (``set_grid_results``) with CBF files
written here: the best frame follows the best cell, a new mesh clears the view, a
missing or unreadable image or an unknown grid gives a message, a million-cell grid is
refilled in place (pytest-qt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fabio.cbfimage import CbfImage

from mxgui.core.centring import CentredPosition

from helpers import show_brick

LAYOUT = """\
format_version: 1
windows:
  - name: main
    title: mxgui - mesh results
    size: [1000, 700]
    content:
      type: vbox
      children:
        - class: MeshResultsBrick
          name: mesh_results
          properties: {shapes: /shapes, diffractometer: /diffractometer, refresh_ms: 50}
connections: []
"""
CENTRE = CentredPosition(phi=0.0, phiy=0.1, phiz=0.0, sampx=0.0, sampy=0.0)


@pytest.fixture
def setup(make_app, tmp_path, qtbot):
    layout = tmp_path / "mesh_results.yml"
    layout.write_text(LAYOUT)
    app = make_app(layout)
    brick = app.built.bricks["mesh_results"]
    show_brick(brick)
    qtbot.waitUntil(lambda: brick.plot is not None, timeout=5000)
    return brick, app.repository.get("/shapes")


def write_images(directory: Path, count: int, run: int = 1) -> list[str]:
    """``count`` small CBFs ``mesh_<run>_<nnnnn>.cbf``; image ``k`` holds counts ``k``."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(1, count + 1):
        path = directory / f"mesh_{run}_{k:05d}.cbf"
        CbfImage(data=np.full((32, 40), k, dtype=np.int32)).write(str(path))
        paths.append(str(path))
    return paths


def shown_counts(view) -> int | None:
    """The counts of the image a frame view shows (every pixel of image k is k)."""
    image = view.image()
    return None if image is None else int(image[0, 0])


def test_the_best_frame_follows_the_best_cell_and_is_read_only_when_it_changes(
    setup, qtbot, tmp_path
):
    brick, shapes = setup
    grid = shapes.add_grid(CENTRE, 4, 3, 0.02, 0.02)
    files = write_images(tmp_path / "run1", 12)
    read = []
    request = brick.loader.request
    brick.loader.request = lambda slot, path: (read.append((slot, path)), request(slot, path))
    shapes.set_grid_results(grid.id, {1: 1.0, 2: 5.0}, files[0])
    qtbot.waitUntil(lambda: brick.best_view.path == files[1], timeout=3000)
    assert shown_counts(brick.best_view) == 2
    assert "G1 cell 2 (col 1, row 0), score 5" in brick.best_view.message.text()
    shapes.set_grid_results(grid.id, {3: 0.5, 4: 2.0})  # the best stays cell 2
    qtbot.waitUntil(lambda: brick.count_label.text().startswith("4 / 12"), timeout=3000)
    shapes.set_grid_results(grid.id, {8: 9.0})  # zigzag: cell 8 is column 0 of row 1
    qtbot.waitUntil(lambda: brick.best_view.path == files[7], timeout=3000)
    assert shown_counts(brick.best_view) == 8
    assert brick.plot.values[1, 0] == 9.0 and brick.plot.values[0, 3] == 2.0
    assert [path for slot, path in read if slot == "best"] == [files[1], files[7]]
    # the heat map's colours: the chosen colour map, on the one image item
    brick.colormap_combo.setCurrentText("magma")
    assert brick.plot.image().getColormap().getName() == "magma"


def test_a_new_mesh_clears_the_view(setup, qtbot, tmp_path):
    brick, shapes = setup
    grid = shapes.add_grid(CENTRE, 4, 3, 0.02, 0.02)
    old = write_images(tmp_path / "run1", 12)
    shapes.set_grid_results(grid.id, {k: float(k) for k in range(1, 13)}, old[0])
    qtbot.waitUntil(lambda: brick.best_view.path == old[11], timeout=3000)
    brick.pick_cell(5)
    qtbot.waitUntil(lambda: brick.picked_view.path == old[4], timeout=3000)
    shapes.clear_grid_results(grid.id)  # a new mesh starts on the grid
    qtbot.waitUntil(lambda: np.isnan(brick.plot.values).all(), timeout=3000)
    assert brick.best_view.image() is None and brick.picked_view.image() is None
    assert brick.picked is None and brick.best is None
    assert brick.count_label.text() == "0 / 12 cells"
    assert not brick.best_button.isEnabled() and not brick.move_button.isEnabled()
    new = write_images(tmp_path / "run2", 2, run=2)
    shapes.set_grid_results(grid.id, {1: 3.0, 2: 1.0}, new[0])
    qtbot.waitUntil(lambda: brick.best_view.path == new[0], timeout=3000)
    assert np.count_nonzero(~np.isnan(brick.plot.values)) == 2


def test_missing_unreadable_and_unnumbered_images_give_messages(setup, qtbot, tmp_path):
    brick, shapes = setup
    grid = shapes.add_grid(CENTRE, 3, 2, 0.02, 0.02)
    gone = tmp_path / "gone" / "mesh_1_00001.cbf"
    shapes.set_grid_results(grid.id, {1: 1.0, 2: 4.0}, str(gone))
    qtbot.waitUntil(lambda: "no image file" in brick.best_view.message.text(), timeout=3000)
    assert str(gone.with_name("mesh_1_00002.cbf")) in brick.best_view.message.text()
    assert brick.best_view.image() is None
    brick.pick_cell(3)  # no score: no image yet
    assert brick.picked_view.message.text() == "G1 cell 3 (col 2, row 0): no image yet"
    # an unreadable image
    files = write_images(tmp_path / "run", 6)
    Path(files[4]).write_bytes(b"this is not a CBF")
    shapes.set_grid_results(grid.id, {5: 0.5, 6: 0.1}, files[0])
    brick.pick_cell(5)
    qtbot.waitUntil(lambda: "cannot read image" in brick.picked_view.message.text(), timeout=3000)
    assert files[4] in brick.picked_view.message.text() and brick.picked_view.image() is None
    brick.pick_cell(6)  # a good one after it
    qtbot.waitUntil(lambda: shown_counts(brick.picked_view) == 6, timeout=3000)
    # results that name no image per cell (a master file)
    other = shapes.add_grid(CENTRE, 2, 2, 0.02, 0.02)
    shapes.set_grid_results(other.id, {1: 2.0}, str(tmp_path / "master.h5"))
    brick.show_grid(other.id)
    qtbot.waitUntil(lambda: "not a numbered image" in brick.best_view.message.text(), timeout=3000)


def test_an_unknown_or_removed_grid_gives_a_message(setup, qtbot):
    brick, shapes = setup
    brick.show_grid("G99")
    assert brick.message.text() == "there is no grid G99"
    grid = shapes.add_grid(CENTRE, 3, 3, 0.02, 0.02)
    qtbot.waitUntil(lambda: brick.grids.chosen == grid.id, timeout=2000)
    shapes.set_grid_results(grid.id, {1: 1.0})
    qtbot.waitUntil(lambda: brick.best == 1, timeout=2000)
    shapes.remove(grid.id)
    qtbot.waitUntil(lambda: brick.message.text() == f"grid {grid.id} was removed", timeout=2000)
    assert brick.grids.combo.count() == 0 and brick.plot.image() is None
    assert not brick.points_button.isEnabled()
    assert brick.points_from_best() == []


def test_shapes_cleared_with_their_sample_leave_no_stale_message(setup, qtbot):
    brick, shapes = setup
    brick.show_grid("G99")
    assert brick.message.text() == "there is no grid G99"
    grid = shapes.add_grid(CENTRE, 3, 3, 0.02, 0.02)
    qtbot.waitUntil(lambda: brick.grids.chosen == grid.id, timeout=2000)
    # another grid is shown: the old problem is no longer true
    assert brick.message.text() == ""
    shapes.clear()  # what a remount does
    qtbot.waitUntil(lambda: brick.grids.combo.count() == 0, timeout=2000)
    qtbot.wait(50)
    assert "was removed" not in brick.message.text()
    assert brick.plot.image() is None


def test_a_million_cells_are_refilled_in_place(setup, qtbot):
    brick, shapes = setup
    grid = shapes.add_grid(CENTRE, 1000, 1000, 0.001, 0.001)
    qtbot.waitUntil(lambda: brick.grids.chosen == grid.id, timeout=3000)
    values = brick.plot.values
    assert values.shape == (1000, 1000) and np.isnan(values).all()
    assert brick._timer.interval() == 250  # a million cells: at most 4 redraws a second
    for start in range(1, 10_001, 2000):  # bursts, as a scorer sends them
        shapes.set_grid_results(grid.id, {k: float(k) for k in range(start, start + 2000)})
    qtbot.waitUntil(lambda: brick.count_label.text().startswith("10000 / 1000000"), timeout=5000)
    assert brick.plot.values is values  # the same array, refilled
    # zigzag: cell 1001 is the last column of row 1, cell 2000 its first
    assert values[1, 999] == 1001.0 and values[1, 0] == 2000.0 and values[9, 0] == 10000.0
    assert np.count_nonzero(~np.isnan(values)) == 10_000
    assert brick.best == 10_000
    assert np.array_equal(brick.plot.image().getData(copy=False), values, equal_nan=True)
    brick.plot.cellHovered.emit(grid.index_of_cell(0, 1))
    assert brick.hover_label.text() == "cell 2000 (column 0, row 1): score 2000"
    brick.plot.cellHovered.emit(grid.index_of_cell(0, 10))
    assert brick.hover_label.text() == "cell 10001 (column 0, row 10): no score yet"
