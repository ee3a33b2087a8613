"""The shipped workflows' own arithmetic, without a GUI: best cell, the middle of a
diffraction peak, scan sizes, the characterisation's strategy, the user's answer."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflows"))

from mxwf.analysis import (  # noqa: E402
    NoDiffraction,
    beam_size,
    best_cell,
    cells_for,
    clean_scores,
    image_number,
    peak_cells,
    peak_position,
    strategy_of,
    weighted_position,
)
from mxwf.centring import orthogonal_omega  # noqa: E402
from mxwf.client import WorkflowCancelled, WorkflowError, connect  # noqa: E402
from mxwf.collection import answer_to_strategy, strategy_dialog  # noqa: E402
from mxwf.context import StepContext  # noqa: E402


def grid(cols: int, rows: int, step: float, omega: float = 0.0):
    """Cell positions of a zigzag grid centred on the origin at ``omega``, as the GUI
    computes them (``offset_centred_position``), and each cell's (h, d) offset."""
    w = math.radians(omega)
    positions, offsets = {}, {}
    for row in range(rows):
        for k in range(cols):
            col = cols - 1 - k if row % 2 else k
            cell = row * cols + k + 1
            h = (col - (cols - 1) / 2) * step
            d = ((rows - 1) / 2 - row) * step
            offsets[cell] = (h, d)
            positions[cell] = {
                "phi": omega,
                "phiy": -h,
                "phiz": 0.0,
                "sampx": -d * math.cos(w),
                "sampy": d * math.sin(w),
            }
    return positions, offsets


def crystal_scores(offsets, h0, d0, size):
    """Scores of a crystal of ``size`` mm centred at (h0, d0): overlap of a cell with it."""
    return {
        cell: max(0.0, size - abs(h - h0)) * max(0.0, size - abs(d - d0)) * 1e4
        for cell, (h, d) in offsets.items()
    }


def test_best_cell_is_the_highest_score_and_the_first_on_a_tie():
    assert best_cell({1: 0.0, 2: 5.0, 3: 7.5, 4: 7.5}) == 3
    assert best_cell({7: 1.0}) == 7


@pytest.mark.parametrize("scores", [{}, {1: 0.0, 2: 0.0}])
def test_no_diffraction_is_refused_with_a_reason(scores):
    with pytest.raises(NoDiffraction, match="no "):
        best_cell(scores)


def test_scores_from_xmlrpc_get_integer_cells_and_bad_ones_are_named():
    assert clean_scores({"1": 2, "10": "3.5"}) == {1: 2.0, 10: 3.5}
    with pytest.raises(ValueError, match="cell 3"):
        clean_scores({"3": float("nan")})
    with pytest.raises(ValueError, match="cell 'x'"):
        clean_scores({"x": 1})
    with pytest.raises(ValueError, match="numbered from 1"):
        clean_scores({"0": 1})


def test_image_number_is_the_cell():
    assert image_number("/data/mesh-p_3_00012.cbf") == 12
    with pytest.raises(ValueError, match="snapshot.png"):
        image_number("/data/snapshot.png")


@pytest.mark.parametrize("omega", [0.0, 90.0, 217.0])
@pytest.mark.parametrize(("h0", "d0"), [(0.0, 0.0), (0.031, -0.047), (-0.12, 0.075)])
def test_peak_position_finds_the_crystal_finer_than_a_cell(omega, h0, d0):
    step = 0.05
    positions, offsets = grid(9, 7, step, omega)
    scores = crystal_scores(offsets, h0, d0, 0.09)
    found = peak_position(scores, positions, step)
    # moving to ``found`` brings (h0, d0) to the beam: phiy = -h0, sampx/sampy = -d0 rotated
    w = math.radians(omega)
    assert found["phiy"] == pytest.approx(-h0, abs=step / 4)
    assert found["sampx"] == pytest.approx(-d0 * math.cos(w), abs=step / 4)
    assert found["sampy"] == pytest.approx(d0 * math.sin(w), abs=step / 4)
    assert found["phi"] == pytest.approx(omega)
    # and the best cell alone is within half a cell of it
    best = positions[best_cell(scores)]
    assert abs(best["phiy"] - (-h0)) <= step / 2 + 1e-9


def test_peak_ignores_a_second_weaker_crystal_elsewhere():
    positions, offsets = grid(11, 1, 0.05)
    scores = crystal_scores(offsets, 0.1, 0.0, 0.06)
    for cell, (h, _d) in offsets.items():  # a weaker crystal at h = -0.2
        scores[cell] += max(0.0, 0.06 - abs(h + 0.2)) * 0.6e4 * 0.06
    cells = peak_cells(scores, positions, 0.05)
    assert all(offsets[c][0] > 0 for c in cells)
    assert peak_position(scores, positions, 0.05)["phiy"] == pytest.approx(-0.1, abs=0.0125)


def test_weighted_position_is_the_weighted_mean_and_refuses_nonsense():
    pos = weighted_position([{"phiy": 0.0, "phi": 10.0}, {"phiy": 1.0, "phi": 10.0}], [1, 3])
    assert pos == {"phi": 10.0, "phiy": 0.75}
    with pytest.raises(ValueError, match="add up to 0"):
        weighted_position([{"phiy": 0.0}], [0.0])
    with pytest.raises(ValueError, match="2 positions for 1 weights"):
        weighted_position([{"phiy": 0.0}, {"phiy": 1.0}], [1.0])


def test_scan_sizes_are_odd_and_cover_the_length():
    assert cells_for(0.6, 0.1) == 7
    assert cells_for(0.4, 0.05) == 9
    assert cells_for(0.05, 0.05) == 1
    assert cells_for(100.0, 0.01) == 199
    with pytest.raises(ValueError, match="cell size"):
        cells_for(0.4, 0.0)


def test_beam_size_from_what_get_beam_size_returns():
    assert beam_size([0.1, 0.05]) == (0.1, 0.05)
    assert beam_size([0.05, 0.02, "ellipse", "A50"]) == (0.05, 0.02)
    assert beam_size({"width": 0.02, "height": 0.01}) == (0.02, 0.01)
    with pytest.raises(ValueError, match="get_beam_size"):
        beam_size("big")
    with pytest.raises(ValueError, match="get_beam_size"):
        beam_size([0.1])
    with pytest.raises(ValueError, match="above 0"):
        beam_size([0.0, 0.05])


def test_orthogonal_omega_stays_within_the_range():
    assert orthogonal_omega(0.0) == 90.0
    assert orthogonal_omega(300.0) == 390.0 - 180.0


def node(status="success", strategy=None, kind="Characterisation", message="12 spots"):
    results = {"strategy": strategy} if strategy is not None else {}
    return {"id": 5, "type": kind, "status": status, "message": message, "results": results}


STRATEGY = {
    "osc_start": 0.0,
    "osc_range": 0.1,
    "num_images": 1800,
    "exp_time": 0.02,
    "transmission": 12.5,
    "resolution": 1.9,
    "detector_distance": None,
    "overlap": 0.0,
    "first_image": 1,
    "num_passes": 1,
}


def test_strategy_of_a_characterisation_node():
    found = strategy_of(node(strategy=STRATEGY))
    assert found["num_images"] == 1800 and found["resolution"] == 1.9
    assert "detector_distance" not in found  # None cannot travel over XML-RPC


def test_no_strategy_says_why():
    with pytest.raises(NoDiffraction, match="no diffraction on the 4 reference images"):
        strategy_of(node("warning", message="no diffraction on the 4 reference images"))
    with pytest.raises(ValueError, match="ended failed: detector"):
        strategy_of(node("failed", message="detector"))
    with pytest.raises(ValueError, match="not a Characterisation"):
        strategy_of(node(kind="MeshScan"))


def test_the_users_answer_changes_the_strategy():
    changed = answer_to_strategy(STRATEGY, {"num_images": "900", "exp_time": 0.05})
    assert changed["num_images"] == 900 and changed["exp_time"] == 0.05
    assert changed["resolution"] == 1.9
    with pytest.raises(WorkflowCancelled, match="cancelled"):
        answer_to_strategy(STRATEGY, {"__cancelled__": True})
    with pytest.raises(WorkflowError, match="above 0"):
        answer_to_strategy(STRATEGY, {"num_images": 0})


def test_the_dialog_is_a_form_the_gui_accepts():
    from mxgui.core.dialog_spec import parse_dialog

    spec = parse_dialog(strategy_dialog(STRATEGY, 30.0))
    assert spec.defaults() == {"num_images": 1800, "exp_time": 0.02}
    assert spec.timeout == 30.0
    assert parse_dialog(strategy_dialog(STRATEGY, None)).timeout is None


def test_inputs_and_parameters_are_checked_with_the_name():
    gui = connect("http://127.0.0.1:1")
    inputs = {"sample_node_id": 3, "directory": "/d", "prefix": "p", "run_number": 2}
    ctx = StepContext.from_inputs(
        dict(inputs, workflow_parameters={"exp_time": "0.5", "n": 3, "ask_user": "yes"}), gui
    )
    assert ctx.tasks_parent == 3  # no tasks_parent_id: the sample
    assert StepContext.from_inputs(dict(inputs, tasks_parent_id=7), gui).tasks_parent == 7
    assert ctx.task_parameters("mesh-") == {
        "directory": "/d",
        "prefix": "mesh-p",
        "run_number": 2,
        "exp_time": 0.5,
    }
    assert ctx.integer("n", 1) == 3 and ctx.flag("ask_user") is True
    with pytest.raises(WorkflowError, match="workflow input 'prefix' is missing"):
        StepContext.from_inputs({"sample_node_id": 3, "directory": "/d"}, gui)
    bad = StepContext.from_inputs(dict(inputs, workflow_parameters={"n": 2.5, "x": "no"}), gui)
    with pytest.raises(WorkflowError, match="workflow parameter n"):
        bad.integer("n", 1)
    with pytest.raises(WorkflowError, match="workflow parameter x"):
        bad.number("x", 1.0)


def test_connect_needs_an_address(monkeypatch):
    monkeypatch.delenv("MXGUI_XMLRPC_URL", raising=False)
    with pytest.raises(WorkflowError, match="MXGUI_XMLRPC_URL"):
        connect()
