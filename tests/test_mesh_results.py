"""Grid results in the shapes model: stored, refused with clear messages, kept. Qt-free."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mxgui.core.centring import CentredPosition
from mxgui.core.grid_results import GridResults
from mxgui.core.shapes import ShapesModel


@pytest.fixture
def model():
    shapes = ShapesModel()
    seen: list[str] = []
    shapes.connect("gridResultsChanged", seen.append)
    shapes.seen = seen  # type: ignore[attr-defined]
    return shapes


def add_grid(model: ShapesModel, cols: int = 4, rows: int = 3, order: str = "zigzag"):
    centre = CentredPosition(phi=0.0, phiy=0.1, phiz=0.0, sampx=0.0, sampy=0.0)
    return model.add_grid(centre, cols, rows, 0.02, 0.02, scan_order=order)


def test_scores_and_colours_are_stored_by_scan_order_cell(model):
    grid = add_grid(model)
    assert model.grid_results(grid.id) is None
    assert model.set_grid_results(grid.id, {1: 2.5, "3": 7.0}, "/data/g_1_00001.cbf") == 2
    assert model.set_grid_results(grid.id, {2: [255, 0, 0, 128]}) == 3
    results = model.grid_results(grid.id)
    assert results.as_mapping() == {1: 2.5, 2: [255, 0, 0, 128], 3: 7.0}
    assert results.data_file_path == "/data/g_1_00001.cbf"
    assert results.best_cells(2) == [3, 1]
    assert model.seen == [grid.id, grid.id]
    # a copy: changing it changes nothing stored
    results.scores[:] = 99.0
    assert model.grid_results(grid.id).as_mapping()[1] == 2.5


def test_a_new_value_replaces_the_old_one_of_that_cell(model):
    grid = add_grid(model)
    model.set_grid_results(grid.id, {5: [1, 2, 3, 4]})
    model.set_grid_results(grid.id, {5: 1.0})
    assert model.grid_results(grid.id).as_mapping() == {5: 1.0}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({0: 1.0}, "grid G1: cell 0 is outside 1..12"),
        ({13: 1.0}, "grid G1: cell 13 is outside 1..12"),
        ({"x": 1.0}, "grid G1: cell index 'x' is not a whole number"),
        ({2: math.nan}, "grid G1: cell 2: score nan must be a finite number >= 0"),
        ({2: -1.0}, "grid G1: cell 2: score -1.0 must be a finite number >= 0"),
        ({2: [1, 2, 3]}, "grid G1: cell 2: .* neither a score"),
        ({2: [1, 2, 3, 300]}, "grid G1: cell 2: .* neither a score"),
        ({2: "high"}, "grid G1: cell 2: .* neither a score"),
        ({i: 1.0 for i in range(1, 14)}, "grid G1: 13 results for a grid of 12 cells"),
        ([1.0, 2.0], "grid G1: results must be a mapping"),
    ],
)
def test_bad_results_are_refused_naming_grid_and_cell_and_nothing_is_stored(model, values, message):
    grid = add_grid(model)
    model.set_grid_results(grid.id, {1: 3.0})
    with pytest.raises(ValueError, match=message):
        model.set_grid_results(grid.id, {4: 1.0, **values} if isinstance(values, dict) else values)
    assert model.grid_results(grid.id).as_mapping() == {1: 3.0}  # all or nothing


def test_results_for_an_unknown_grid_or_a_point_are_refused(model):
    point = model.add_point(CentredPosition(phi=0.0, phiy=0, phiz=0, sampx=0, sampy=0))
    with pytest.raises(ValueError, match="no shape 'G9'"):
        model.set_grid_results("G9", {1: 1.0})
    with pytest.raises(ValueError, match="P1 is a point, not a grid"):
        model.set_grid_results(point.id, {1: 1.0})
    with pytest.raises(ValueError, match="no shape 'G9'"):
        model.active_grid_id = "G9"
    assert model.active_grid_id is None


def test_results_go_with_their_grid_and_come_back_after_a_reload(model):
    grid = add_grid(model, 3, 2, "raster")
    other = add_grid(model)
    model.set_grid_results(grid.id, {1: 0.5, 6: [9, 8, 7, 6]}, "/data/a.cbf")
    model.set_grid_results(other.id, {2: 1.0})
    saved = model.to_list()
    again = ShapesModel()
    seen: list[str] = []
    again.connect("gridResultsChanged", seen.append)
    again.load(saved)
    assert again.grid_results(grid.id).as_mapping() == {1: 0.5, 6: [9, 8, 7, 6]}
    assert again.grid_results(grid.id).data_file_path == "/data/a.cbf"
    assert sorted(seen) == sorted([grid.id, other.id])
    model.remove(other.id)
    assert model.seen[-1] == other.id
    with pytest.raises(ValueError, match="no shape"):
        model.grid_results(other.id)
    model.clear_grid_results(grid.id)
    assert model.grid_results(grid.id) is None


def test_a_million_cells_take_scores_in_batches():
    model = ShapesModel()
    centre = CentredPosition(phi=0.0, phiy=0, phiz=0, sampx=0, sampy=0)
    grid = model.add_grid(centre, 1000, 1000, 0.001, 0.001)
    rng = np.random.default_rng(0)
    for start in range(1, 20001, 2000):
        batch = {i: float(v) for i, v in zip(range(start, start + 2000), rng.random(2000))}
        model.set_grid_results(grid.id, batch)
    assert model.grid_results(grid.id).count == 20000


def test_removing_or_clearing_the_scanned_grid_ends_its_scan_and_drops_its_results(model):
    grid = add_grid(model, 2, 2, "raster")
    model.start_scan(grid.id, first_image=11)
    assert model.active_grid_id == grid.id
    assert model.scan_cells(grid.id, {11: 0.5, 14: 2.0}) == {1: 0.5, 4: 2.0}
    model.set_grid_results(grid.id, model.scan_cells(grid.id, {12: 1.0}))
    assert model.snapshot()[1][grid.id].as_mapping() == {2: 1.0}
    model.remove(grid.id)
    assert model.active_grid_id is None
    assert model.snapshot() == ([], {})
    again = add_grid(model)
    model.start_scan(again.id)
    model.set_grid_results(again.id, {1: 3.0})
    model.clear()
    assert model.active_grid_id is None
    assert model.snapshot() == ([], {})
    assert model.seen == [grid.id, grid.id, again.id]


def test_spot_counts_go_with_their_scores_and_a_new_value_drops_them(model):
    grid = add_grid(model, 3, 2)
    model.set_grid_results(grid.id, {1: 2.5, 2: 0.0, 3: 1.0}, "", {1: 7, 2: 0})
    results = model.grid_results(grid.id)
    assert results.spot_counts() == {1: 7, 2: 0}
    assert results.spots.tolist() == [7, 0, -1, -1, -1, -1]
    assert results.to_dict()["spots"] == {"1": 7, "2": 0}
    again = GridResults.from_dict(grid.id, grid.num_cells, results.to_dict())
    assert again.spot_counts() == {1: 7, 2: 0}
    model.set_grid_results(grid.id, {1: 3.0, 2: [1, 2, 3, 4]})  # no count this time
    assert model.grid_results(grid.id).spot_counts() == {}
    assert "spots" not in model.grid_results(grid.id).to_dict()
    for spots, message in (
        ({4: 3}, "cell 4: a spot count without a score"),
        ({1: -1}, "cell 1: spot count -1 must be a whole number >= 0"),
        ({1: 2.5}, "cell 1: spot count 2.5"),
        ({9: 1}, "cell 9 is outside 1..6"),
        ([1], "spot counts must be a mapping"),
    ):
        with pytest.raises(ValueError, match=message):
            model.set_grid_results(grid.id, {1: 1.0}, "", spots)
    assert model.grid_results(grid.id).scores[0] == 3.0  # all or nothing
