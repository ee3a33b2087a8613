"""Shapes and grid results are kept in a file per sample and come back after a restart
or when the sample is mounted again; bad files are set aside; ``--check`` writes
nothing. Qt-free (except the ``--check`` run, which loads the layout)."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path

import numpy as np
import pytest

from mxgui.core.centring import CentredPosition
from mxgui.core.repository import HardwareRepository
from mxgui.core.shapes import ShapesModel
from mxgui.core.shapes_file import ShapesFileError, dumps, read, sample_key

from helpers import DEFAULT_LAYOUT, SIMULATED, copy_simulated

CENTRE = CentredPosition(phi=10.0, phiy=0.1, phiz=0.0, sampx=0.02, sampy=-0.01)
OTHER = CentredPosition(phi=10.0, phiy=0.2, phiz=0.0, sampx=0.02, sampy=-0.01)


def shapes_dir() -> Path:
    return Path(os.environ["MXGUI_DATA_DIR"]) / ".mxgui" / "shapes"


@pytest.fixture
def open_repo():
    """Opens repositories on the simulated beamline (each shut down at the end)."""
    opened: list[HardwareRepository] = []

    def make(directories: list[Path] | None = None) -> HardwareRepository:
        repo = HardwareRepository(directories or [SIMULATED])
        repo.get("sample_changer").speed_factor = 0.001
        opened.append(repo)
        return repo

    yield make
    for repo in opened:
        repo.shutdown()


def draw(shapes) -> str:
    """A point, a line and a 4 x 3 grid with scores and a colour; the grid id."""
    shapes.add_point(CENTRE, name="crystal 1")
    shapes.add_line(CENTRE, OTHER)
    grid = shapes.add_grid(CENTRE, 4, 3, 0.02, 0.015, 0.005, 0.0, "raster", "mesh 1")
    shapes.set_grid_results(grid.id, {1: 0.25, 7: 12.5, 12: 3.0}, "/data/m_1_00001.cbf")
    shapes.set_grid_results(grid.id, {2: [255, 0, 0, 128]})
    return grid.id


def test_shapes_and_results_come_back_after_a_restart(open_repo):
    repo = open_repo()
    shapes = repo.get("/shapes")
    mounted = repo.get("/sample_changer").get_loaded_sample().address
    grid_id = draw(shapes)
    before = shapes.to_list()
    repo.shutdown()  # saves what the writer has not saved yet
    path = shapes_dir() / f"{sample_key(mounted)}.json"
    assert path.is_file()

    again = open_repo().get("/shapes")
    assert again.to_list() == before
    results = again.grid_results(grid_id)
    assert results.as_mapping() == {1: 0.25, 2: [255, 0, 0, 128], 7: 12.5, 12: 3.0}
    assert results.data_file_path == "/data/m_1_00001.cbf"
    assert results.best_cells(1) == [7]
    # ids are not reused: the next grid is G2
    assert again.add_grid(CENTRE, 2, 2, 0.01, 0.01).id == "G2"


def test_each_sample_has_its_shapes_and_gets_them_back_when_mounted_again(open_repo):
    repo = open_repo()
    shapes, changer = repo.get("/shapes"), repo.get("/sample_changer")
    first = changer.get_loaded_sample().address
    grid_id = draw(shapes)
    changer.load("2:03").result(timeout=30)
    assert len(shapes) == 0  # another sample: none of the first one's shapes
    assert (shapes_dir() / f"{sample_key(first)}.json").is_file()
    shapes.add_point(OTHER, name="on 2:03")
    changer.load(first).result(timeout=30)
    assert [s.name for s in shapes] == ["crystal 1", "L1", "mesh 1"]
    assert shapes.grid_results(grid_id).count == 4
    changer.load("2:03").result(timeout=30)
    assert [s.name for s in shapes] == ["on 2:03"]
    assert (shapes_dir() / "2-03.json").is_file()


def test_a_sample_mounted_by_hand_uses_the_manual_file(open_repo, tmp_path):
    # no sample changer role: every sample is mounted by hand
    directory = copy_simulated(
        tmp_path / "hw",
        {"shapes": ('<object href="/sample_changer" role="sample_changer"/>', "")},
    )
    repo = open_repo([directory])
    repo.get("/shapes").add_point(CENTRE, name="by hand")
    repo.shutdown()
    assert (shapes_dir() / "manual.json").is_file()
    assert [s.name for s in open_repo([directory]).get("/shapes")] == ["by hand"]


def test_a_corrupt_file_is_logged_and_moved_aside_before_the_first_save(open_repo, caplog):
    repo = open_repo()
    mounted = repo.get("/sample_changer").get_loaded_sample().address
    repo.shutdown()
    path = shapes_dir() / f"{sample_key(mounted)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"format": 1, "shapes": [{"kind": "grid", "id": "G1"')
    caplog.set_level(logging.ERROR)
    shapes = open_repo().get("/shapes")
    assert len(shapes) == 0
    assert f"shapes file {path}" in caplog.text
    # nothing moved yet (starting writes nothing); the first save moves it aside
    assert path.read_text().startswith('{"format": 1')
    shapes.add_point(CENTRE)
    assert shapes.saver.flush()
    aside = list(path.parent.glob(path.name + ".bad-*"))
    assert len(aside) == 1 and aside[0].read_text().startswith('{"format": 1')
    assert [s.id for s in read(path)[0]] == ["P1"]


def test_a_corrupt_file_met_when_mounting_is_moved_aside_at_once(open_repo, caplog):
    repo = open_repo()
    shapes = repo.get("/shapes")
    path = shapes_dir() / "2-03.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not json")
    caplog.set_level(logging.ERROR)
    repo.get("/sample_changer").load("2:03").result(timeout=30)
    assert len(shapes) == 0
    assert not path.exists()
    (aside,) = path.parent.glob("2-03.json.bad-*")
    assert f"shapes file {path}" in caplog.text and str(aside) in caplog.text


def test_check_writes_nothing(open_repo):
    repo = open_repo()
    mounted = repo.get("/sample_changer").get_loaded_sample().address
    repo.shutdown()
    from mxgui.gui.check import run_check

    # a bad file stays where it is, and no file appears for a sample without one
    bad = shapes_dir() / f"{sample_key(mounted)}.json"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("[1, 2")
    before = sorted(p.name for p in shapes_dir().iterdir())
    run_check([SIMULATED], DEFAULT_LAYOUT, out=io.StringIO())
    assert sorted(p.name for p in shapes_dir().iterdir()) == before
    assert bad.read_text() == "[1, 2"


def test_a_burst_of_results_is_saved_in_a_few_writes(open_repo):
    shapes = open_repo().get("/shapes")
    grid = shapes.add_grid(CENTRE, 50, 40, 0.01, 0.01)
    for cell in range(1, 2001):  # one result at a time, as a scorer may send them
        shapes.set_grid_results(grid.id, {cell: float(cell % 17)})
    shapes.saver.flush()
    assert shapes.saver.writes <= 10  # not one file per result
    stored = read(shapes.saver.path)[1][grid.id]
    assert stored.count == 2000 and stored.scores[16] == 0.0 and stored.scores[15] == 16.0


def test_a_million_scored_cells_are_stored_compactly_and_exactly(tmp_path):
    model = ShapesModel()
    grid = model.add_grid(CENTRE, 1000, 1000, 0.001, 0.001)
    rng = np.random.default_rng(3)
    scores = rng.random(1_000_000).astype(np.float32)  # the scorer's scores are float32
    model.set_grid_results(grid.id, {i + 1: float(v) for i, v in enumerate(scores)})
    path = tmp_path / "big.json"
    path.write_text(dumps("1:01", *model.snapshot()))
    assert path.stat().st_size < 6 * 1_000_000  # base64 of 4 bytes per cell
    back = read(path)[1][grid.id]
    assert np.array_equal(back.scores, model.grid_results(grid.id).scores)
    # float64 scores that float32 would change are kept exactly
    model.set_grid_results(grid.id, {1: 0.1, 2: 1 / 3})
    path.write_text(dumps("1:01", *model.snapshot()))
    assert read(path)[1][grid.id].as_mapping()[2] == 1 / 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(format=9), "format 9, this mxgui reads format 1"),
        (lambda d: d["shapes"][2].update(num_cols=0), r"shapes\[2\]: grid .*num_cols"),
        (lambda d: d["shapes"][2]["results"].update(num_cells=5), "grid G1: results: for 5"),
        (
            lambda d: d["shapes"][2]["results"]["scores"].update(b64=["!!"]),
            r"grid G1: results.scores: bad base64",
        ),
        (lambda d: d["shapes"].append(d["shapes"][0]), "shape ids are not unique"),
    ],
)
def test_bad_files_are_refused_naming_the_file_and_the_place(tmp_path, change, message):
    model = ShapesModel()
    draw(model)
    document = json.loads(dumps("manual", *model.snapshot()))
    change(document)
    path = tmp_path / "manual.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ShapesFileError, match=message) as error:
        read(path)
    assert str(path) in str(error.value)


def test_stored_scores_that_are_not_scores_are_refused(tmp_path):
    model = ShapesModel()
    grid = model.add_grid(CENTRE, 3, 3, 0.01, 0.01)
    model.set_grid_results(grid.id, {4: 1.0})
    document = json.loads(dumps("manual", *model.snapshot()))
    results = document["shapes"][0]["results"]
    from mxgui.core.shapes_file import _encode

    results["scores"] = _encode(np.array([-2.0]))
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ShapesFileError, match="grid G1: results: cell 4: score -2.0"):
        read(path)
    results["score_cells"] = _encode(np.array([9], dtype="<i4"))
    results["scores"] = _encode(np.array([1.0]))
    path.write_text(json.dumps(document))
    with pytest.raises(ShapesFileError, match="score_cells: cell 10 is outside 1..9"):
        read(path)


def test_spot_counts_are_saved_with_their_scores_and_bad_ones_refused(tmp_path):
    model = ShapesModel()
    grid = model.add_grid(CENTRE, 3, 3, 0.01, 0.01)
    model.set_grid_results(grid.id, {4: 1.0, 5: 2.0, 6: 0.0}, "", {4: 12, 6: 0})
    path = tmp_path / "manual.json"
    path.write_text(dumps("manual", *model.snapshot()))
    _, results = read(path)
    assert results[grid.id].spot_counts() == {4: 12, 6: 0}
    assert results[grid.id].as_mapping() == {4: 1.0, 5: 2.0, 6: 0.0}
    document = json.loads(path.read_text())
    from mxgui.core.shapes_file import _encode

    document["shapes"][0]["results"]["spots"] = _encode(np.array([12, -3], dtype="<i4"))
    path.write_text(json.dumps(document))
    with pytest.raises(ShapesFileError, match="grid G1: results: cell 6: spot count -3"):
        read(path)
    document["shapes"][0]["results"]["spots"] = _encode(np.array([12], dtype="<i4"))
    path.write_text(json.dumps(document))
    with pytest.raises(ShapesFileError, match="2 spot cells, 1 spot counts"):
        read(path)
