"""The shipped workflows run for real: queue entry -> workflow client -> child process ->
XML-RPC server -> queue, on the simulated beamline (Qt-free; the dialog is answered by a
test handler on the server, as the GUI's would).

What a user checks: the crystal sits on the beam afterwards (truth from the simulated
scene), the scores are on the grid, the data-collection files open in fabio, a cancel
stops before collecting, a scan without diffraction fails saying so.
"""

from __future__ import annotations

import math
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest
from xmlrpc_fixtures import quick_repository

from mxgui.core.centring import CentredPosition, offset_centred_position

#: quick scans: tiny exposures, no snapshots, a detector distance the 1M region allows
QUICK = {"exp_time": 0.001, "take_snapshots": 0, "detector_distance": 120.0}
#: small scans for a crystal already near the beam (about 3 x 3 cells, 3-cell line)
SMALL = {"mesh_width_mm": 0.15, "mesh_height_mm": 0.15, "line_length_mm": 0.15}
OMEGAS = (0.0, 45.0, 90.0, 135.0, 180.0, 270.0)


@pytest.fixture
def beamline(tmp_path):
    repo = quick_repository(tmp_path)
    yield repo.beamline
    repo.shutdown()


def roles(bl):
    return bl.role("queue"), bl.role("diffractometer"), bl.role("shapes")


def beam_size(bl) -> tuple[float, float]:
    width, height = bl.role("beam").get_beam_size()[:2]
    return float(width), float(height)


def off_beam(bl) -> list[str]:
    """How the crystal misses the beam (more than one beam size) at several omegas."""
    diffractometer = bl.role("diffractometer")
    width, height = beam_size(bl)
    here = diffractometer.get_positions()
    problems = []
    for omega in OMEGAS:
        x, y, _z = diffractometer.scene.crystal_centre_lab(dict(here, phi=omega))
        if abs(x) > width or abs(y) > height:
            problems.append(f"omega {omega:g}: crystal at X {x:+.4f}, Y {y:+.4f} mm")
    return problems


def run(bl, task_type: str, **parameters) -> tuple[int, int]:
    """Add a manually mounted sample and a ``task_type`` under it, run the task as the
    queue does; ``(sample id, task id)``."""
    queue = bl.role("queue")
    sample = queue.model.add(0, "Sample", queue.factory.create("Sample", {"centring": "none"}))
    task = queue.add_task(sample, task_type, parameters)
    queue.execute_entry(task).result(timeout=300)
    return sample, task


def children(bl, sample: int) -> list:
    """The nodes below ``sample`` in queue order: a workflow's own tasks are nested under
    it (issue 15) and follow it here."""
    queue = bl.role("queue")
    return [n for n in queue.model.iter_nodes(sample) if n.id != sample]


def near_the_crystal(bl, h: float, d: float) -> None:
    """Centre the crystal (the truth), then move it ``h`` / ``d`` mm off the beam."""
    diffractometer = bl.role("diffractometer")
    truth = CentredPosition(phi=0.0, **diffractometer.scene.centring_positions())
    off = offset_centred_position(truth, h, d)
    diffractometer.move_motors(off.motor_positions(), timeout=10)


def test_xray_centring_puts_the_crystal_on_the_beam_in_all_three_axes(beamline):
    queue, _diffractometer, shapes = roles(beamline)
    assert off_beam(beamline), "the crystal must start off the beam"
    sample, task = run(beamline, "XrayCentring", **QUICK)
    node = queue.model.get_node(task)
    assert node.status == "success", node.message
    assert not off_beam(beamline)
    kinds = [n.type for n in children(beamline, sample)]
    assert kinds == ["XrayCentring", "MeshScan", "MeshScan"]  # the scans go after the task
    mesh, line = children(beamline, sample)[1:]
    assert (mesh.type, line.type) == ("MeshScan", "MeshScan")
    assert mesh.status == line.status == "success"
    grid, column = shapes.get(mesh.parameters["grid_id"]), shapes.get(line.parameters["grid_id"])
    assert grid.num_cols > 1 and grid.num_rows > 1 and column.num_cols == 1
    assert abs(column.omega - grid.omega) == pytest.approx(90.0)
    width, height = beam_size(beamline)
    assert (grid.cell_width_mm, grid.cell_height_mm) == pytest.approx((width, height))
    # the workflow's scores are on both grids, one per cell
    assert shapes.grid_results(grid.id).count == grid.num_cells
    assert shapes.grid_results(column.id).count == column.num_cells
    run_log = beamline.role("workflow").log.runs()[0]
    assert run_log.status == "success"


def test_mesh_scan_on_a_drawn_grid_scores_it_and_moves_to_the_best_cell(beamline):
    queue, diffractometer, shapes = roles(beamline)
    width, height = beam_size(beamline)
    truth = CentredPosition(phi=0.0, **diffractometer.scene.centring_positions())
    # a 7 x 5 grid whose centre is 2 cells right and 1 cell below the crystal
    grid = shapes.add_grid(offset_centred_position(truth, 2 * width, -height), 7, 5, width, height)
    sample, task = run(
        beamline,
        "Workflow",
        workflow_name="MeshScan",
        workflow_parameters={**QUICK, "shape_id": grid.id},
    )
    node = queue.model.get_node(task)
    assert node.status == "success", node.message
    results = shapes.grid_results(grid.id)
    assert results.count == 35
    best = results.best_cells(1)[0]
    col, row = grid.cell_of_index(best)
    # the crystal's centre is on cell (1, 1); it is 2 to 3 cells across, and the cell
    # where the beam goes through the most crystal may be a neighbour
    assert abs(col - 1) <= 1 and abs(row - 1) <= 1, (col, row)
    here = diffractometer.get_positions()
    assert here == pytest.approx(
        {**here, **grid.cell_position(col, row).motor_positions()}, abs=1e-3
    )
    # the beam now goes through the crystal
    beam = beamline.role("beam")
    hit = diffractometer.scene.illuminated_fraction(here, (width, height), beam.get_beam_shape())
    assert hit > 0.5
    _workflow, mesh = children(beamline, sample)
    assert mesh.type == "MeshScan" and mesh.parameters["grid_id"] == grid.id


def test_mesh_scan_without_diffraction_fails_saying_so(beamline):
    queue, diffractometer, shapes = roles(beamline)
    width, height = beam_size(beamline)
    truth = CentredPosition(phi=0.0, **diffractometer.scene.centring_positions())
    grid = shapes.add_grid(offset_centred_position(truth, 1.5, 0.0), 3, 2, width, height)
    before = diffractometer.get_positions()
    _sample, task = run(
        beamline,
        "Workflow",
        workflow_name="MeshScan",
        workflow_parameters={**QUICK, "shape_id": grid.id},
    )
    node = queue.model.get_node(task)
    assert node.status == "failed"
    assert "mesh_scan" in node.message and "no diffraction" in node.message
    assert grid.id in node.message
    assert diffractometer.get_positions() == pytest.approx(before)  # it did not move


def test_mxpressa_hands_off_centres_characterises_and_collects(beamline):
    queue, _diffractometer, _shapes = roles(beamline)
    params = {**QUICK, "collection_num_images": 3, "characterisation_images": 2}
    sample, task = run(beamline, "Workflow", workflow_name="MXPressA", workflow_parameters=params)
    node = queue.model.get_node(task)
    assert node.status == "success", node.message
    assert not off_beam(beamline)
    kinds = [n.type for n in children(beamline, sample)]
    assert kinds == ["Workflow", "MeshScan", "MeshScan", "Characterisation", "DataCollection"]
    assert queue.model.children(sample) == (task,)  # the workflow's tasks are nested under it
    assert queue.model.children_summary(task)["success"] == 4
    characterisation, collection = children(beamline, sample)[3:]
    strategy = characterisation.results["strategy"]
    assert collection.status == "success"
    for name in ("osc_range", "resolution", "transmission"):
        assert collection.parameters[name] == pytest.approx(strategy[name]), name
    assert collection.parameters["num_images"] == 3
    assert not collection.parameters["prefix"].startswith(("ref-", "mesh-"))
    images = [Path(f) for f in collection.files if f.endswith(".cbf")]
    assert len(images) == 3
    import fabio

    for path in images:
        data = fabio.open(str(path)).data
        assert data.ndim == 2 and data.size > 0 and np.asarray(data).max() > 0


@pytest.mark.parametrize("offset_mm", [0.0, 1.5], ids=["on-the-crystal", "off-the-crystal"])
def test_characterisation_workflow_gives_the_strategy_or_says_why_not(beamline, offset_mm):
    queue, _diffractometer, _shapes = roles(beamline)
    near_the_crystal(beamline, offset_mm, 0.0)
    params = {**QUICK, "characterisation_images": 2}
    sample, task = run(
        beamline, "Workflow", workflow_name="Characterisation", workflow_parameters=params
    )
    node = queue.model.get_node(task)
    _workflow, characterisation = children(beamline, sample)
    assert characterisation.type == "Characterisation"
    assert characterisation.parameters["num_images"] == 2
    assert characterisation.parameters["prefix"].startswith("ref-")
    if offset_mm:
        assert characterisation.status == "warning"
        assert node.status == "failed"
        assert "no strategy" in node.message and "no diffraction" in node.message
    else:
        assert node.status == "success", node.message
        assert characterisation.results["strategy"]["num_images"] > 0


class Answer:
    """The open_dialog handler a test gives the server: answers, cancels or never
    answers; remembers the form it was shown."""

    def __init__(self, values):
        self.values = values
        self.specs = []

    def __call__(self, spec) -> Future:
        self.specs.append(spec)
        future: Future = Future()
        if self.values != "never":
            future.set_result(self.values)
        return future


@pytest.mark.parametrize(
    ("answer", "images", "exp_time"),
    [({"num_images": 2, "exp_time": 0.002}, 2, 0.002), (None, None, None), ("never", 4, None)],
    ids=["answered", "cancelled", "timed-out"],
)
def test_mxpressa_asks_the_user_when_configured(beamline, answer, images, exp_time):
    queue, _diffractometer, _shapes = roles(beamline)
    handler = Answer(answer)
    beamline.role("xmlrpc_server").set_handler("open_dialog", handler)
    near_the_crystal(beamline, 0.03, -0.02)
    params = {
        **QUICK,
        **SMALL,
        "characterisation_images": 1,
        "collection_num_images": 4,
        "ask_user": True,
        "dialog_timeout": 0.5,
    }
    sample, task = run(beamline, "Workflow", workflow_name="MXPressA", workflow_parameters=params)
    node = queue.model.get_node(task)
    (spec,) = handler.specs
    assert spec.defaults()["num_images"] == 4  # the proposal, shortened for the test
    kinds = [n.type for n in children(beamline, sample)]
    if images is None:
        assert node.status == "failed"
        assert "cancelled" in node.message and "confirm_strategy" in node.message
        assert "DataCollection" not in kinds
        return
    assert node.status == "success", node.message
    collection = children(beamline, sample)[-1]
    assert collection.type == "DataCollection" and collection.status == "success"
    assert collection.parameters["num_images"] == images
    if exp_time is None:
        strategy = children(beamline, sample)[-2].results["strategy"]
        exp_time = strategy["exp_time"]
    assert math.isclose(collection.parameters["exp_time"], exp_time, rel_tol=1e-6)
    assert len([f for f in collection.files if f.endswith(".cbf")]) == images
