"""Task execution on the simulated beamline: centring (manual, saved point), the
characterisation and its strategy, the energy scan and MAD, and the tasks whose
execution belongs to later issues. Qt-free."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import numpy as np
import pytest
from queue_engine_fixtures import (
    add_sample,
    add_task,
    crystal_centre,
)

from hardware_objects.abstract.energy_scan import analyse_scan
from mxgui.core.acquisition import ParameterError
from mxgui.core.errors import HardwareObjectError, Refused
from mxgui.core.repository import HardwareRepository

from helpers import copy_simulated


def run_and_wait(bl, node_id: int | None = None) -> str:
    bl.engine.run_all() if node_id is None else bl.engine.run(node_id)
    return bl.events.wait_finished()


def on_beam(bl) -> float:
    """The fraction of the beam that hits the crystal now."""
    return bl.diffractometer.illuminated_fraction((0.05, 0.05))


# centring -------------------------------------------------------------------------------------
def test_manual_centring_is_requested_and_answered_from_another_thread(bl):
    sample = add_sample(bl, "1:03", centring="manual")
    task = add_task(bl, sample)
    answers = []

    def answer(node_id: int, location: str) -> None:
        def user() -> None:  # the sample view: 3 clicks later, on the GUI thread
            answers.append(bl.engine.provide_centring(node_id, crystal_centre(bl, 30.0)))

        threading.Timer(0.2, user).start()

    bl.engine.connect("centringRequested", answer)
    assert run_and_wait(bl) == "success"
    assert bl.events.args("centringRequested") == [(sample, "1:03")]
    assert answers == [True]
    node = bl.model.get_node(sample)
    assert node.message == "mounted 1:03, centred by hand"
    assert node.results["centred_position"]["phi"] == 30.0
    assert on_beam(bl) > 0.5  # the crystal is on the beam
    assert bl.model.get_node(task).status == "success"
    assert bl.engine.provide_centring(sample, None) is False  # answered already


def test_a_cancelled_centring_fails_the_sample_and_its_tasks_do_not_run(bl):
    sample = add_sample(bl, None, centring="manual")
    task = add_task(bl, sample)
    bl.engine.connect(
        "centringRequested", lambda node_id, _l: bl.engine.provide_centring(node_id, None)
    )
    assert run_and_wait(bl) == "failed"
    node = bl.model.get_node(sample)
    assert (node.status, node.message) == ("failed", "centring cancelled")
    assert bl.model.get_node(task).status == "not_executed"
    assert bl.events.args("centringRequested") == [(sample, "")]


def test_stop_ends_the_wait_for_a_centring_and_cancels_it(bl):
    sample = add_sample(bl, None, centring="manual")
    add_task(bl, sample)
    requested = bl.events.when(lambda n, a: n == "centringRequested")
    bl.engine.connect("centringRequested", lambda *_a: bl.diffractometer.start_manual_centring())
    bl.engine.run_all()
    assert requested.wait(10)
    assert bl.engine.current_node() == sample
    bl.engine.stop()
    assert bl.events.wait_finished() == "stopped"
    assert bl.model.get_node(sample).message == "stopped by user"
    assert bl.diffractometer.get_centring_state().value == "idle"  # the 3 clicks cancelled
    with pytest.raises(Refused, match="centred position"):
        bl.engine.provide_centring(sample, {"phi": 0.0})


def test_manual_centring_with_nothing_to_answer_fails_at_once(bl):
    sample = add_sample(bl, None, centring="manual")
    bl.events.detach("centringRequested")
    assert run_and_wait(bl, sample) == "failed"  # run on its own: mounted without a task
    assert "nothing listens" in bl.model.get_node(sample).message


def test_centring_on_a_saved_point_moves_there(bl):
    point = bl.shapes.add_point(crystal_centre(bl, 45.0))
    sample = add_sample(bl, "1:01", centring="point", point_id=point.id)  # mounted at start
    other = add_sample(bl, "1:02", centring="point", point_id=point.id)
    first, _ = (add_task(bl, each, "DataCollection", num_images=1) for each in (sample, other))
    bl.diffractometer.move_motors({"phiy": 0.3, "sampx": -0.2}, timeout=None)
    assert on_beam(bl) == 0.0
    seen = []
    bl.engine.connect("entryStarted", lambda node_id: seen.append((node_id, on_beam(bl))))
    assert run_and_wait(bl) == "failed"
    assert bl.model.get_node(sample).message == f"1:01 already mounted, centred on {point.id}"
    assert seen[1][0] == first and seen[1][1] > 0.5  # centred: the crystal was on the beam
    # the next sample's points were cleared when it was mounted
    assert "no saved point P1" in bl.model.get_node(other).message


# tasks ------------------------------------------------------------------------------------
def test_characterisation_proposes_a_strategy_and_accepting_adds_the_collection(bl):
    bl.collect.detector.set_roi_mode("4M", timeout=None)  # room for the crystal's spots
    bl.diffractometer.move_to_centred_position(crystal_centre(bl), timeout=None)
    sample = add_sample(bl, "1:01")
    char = add_task(bl, sample, "Characterisation", exp_time=0.01, resolution=1.7)
    with pytest.raises(Refused, match="has not run"):
        bl.engine.accept_strategy(char)
    assert run_and_wait(bl) == "success"
    after = add_task(bl, sample, prefix="after")
    node = bl.model.get_node(char)
    images = [f for f in node.files if f.endswith(".cbf")]
    prefix = node.parameters["prefix"]
    assert [f.rsplit("/", 1)[1] for f in images] == [
        f"{prefix}_1_{n:05d}.cbf" for n in (1, 2, 3, 4)
    ]  # one run: the reference images are its 4 images
    assert list(node.results["reference_runs"]) == [1]
    spots = [r["spots"] for r in node.results["reference"]]
    assert len(spots) == 4 and min(spots) > 100
    strategy = node.results["strategy"]
    truth = bl.collect._simulator.crystal_resolution  # what the simulated crystal gives
    assert truth <= strategy["resolution"] <= truth + 0.3
    assert strategy["num_images"] * strategy["osc_range"] in (180.0, 360.0)
    new = bl.engine.accept_strategy(char)
    parent = bl.model.get_node(sample)
    assert parent.children == (char, new, after)  # right after the characterisation
    dc = bl.model.get_node(new)
    assert dc.type == "DataCollection" and dc.status == "not_executed"
    assert dc.parameters["prefix"] == prefix.removeprefix("ref-")
    for key in ("resolution", "osc_range", "num_images", "exp_time", "transmission"):
        assert dc.parameters[key] == strategy[key]
    assert list(bl.model.get_node(char).results["accepted"]) == [new]


def test_a_characterisation_of_a_crystal_out_of_the_beam_proposes_nothing(bl):
    bl.diffractometer.move_motors({"phiy": 1.5}, timeout=None)  # far from the crystal
    sample = add_sample(bl, None)
    char = add_task(bl, sample, "Characterisation", exp_time=0.01, num_images=2)
    assert run_and_wait(bl) == "success"  # the sample: its task only warned
    node = bl.model.get_node(char)
    assert node.status == "warning" and "no diffraction" in node.message
    assert node.results["strategy"] is None
    with pytest.raises(Refused, match="proposed none"):
        bl.engine.accept_strategy(char)
    assert bl.model.get_node(sample).status == "warning"


def test_energy_scan_finds_the_se_edge_and_makes_mad_collections(bl):
    sample = add_sample(bl, None)
    scan = add_task(bl, sample, "EnergyScan", step_ev=1.0, count_time=0.01)
    points = []
    bl.energy_scan.connect("scanPoint", lambda energy, counts: points.append((energy, counts)))
    assert run_and_wait(bl) == "success"
    node = bl.model.get_node(scan)
    truth = bl.energy_scan.true_energies("Se", "K")
    assert abs(node.results["inflection"] - truth["inflection"]) < 0.002  # 2 eV
    assert abs(node.results["peak"] - truth["peak"]) < 0.002
    assert node.results["remote"] == pytest.approx(node.results["inflection"] + 0.1)
    assert abs(truth["inflection"] - 12.658) > 0.0005  # the sample's edge is not the table's
    assert len(points) == len(node.results["energies"]) == 101
    assert [p[0] for p in points] == list(node.results["energies"])
    (data_file,) = node.files
    table = np.loadtxt(data_file)
    assert table.shape == (101, 2) and list(table[:, 1]) == list(node.results["counts"])
    assert bl.roles["collect"].energy.get_value() == pytest.approx(12.7)  # moved back

    mad = bl.engine.add_mad_collections(scan)
    assert bl.model.get_node(sample).children == (scan, *mad)
    energies = [bl.model.get_node(n).parameters["energy"] for n in mad]
    assert energies == [node.results[k] for k in ("peak", "inflection", "remote")]
    prefixes = [bl.model.get_node(n).parameters["prefix"] for n in mad]
    assert [p.rsplit("-", 1)[1] for p in prefixes] == ["pk", "ip", "rm"]
    with pytest.raises(Refused, match="choose among"):
        bl.engine.add_mad_collections(scan, ["top"])


def test_the_scan_analysis_refuses_a_scan_without_an_edge():
    energies = 12.6 + np.arange(100) * 0.001
    flat = np.random.default_rng(1).poisson(1000.0, 100)
    with pytest.raises(ValueError, match="no absorption edge"):
        analyse_scan(energies, flat)
    step = 1000.0 + 500.0 * (energies > 12.65)
    assert analyse_scan(energies, step).inflection == pytest.approx(12.6495, abs=0.0015)


@pytest.mark.parametrize(
    ("node_type", "given", "reason"),
    [
        ("XrayCentring", {}, "XrayCentring needs the workflow client (role workflow)"),
        ("Workflow", {"workflow_name": "MXPressA"}, "Workflow needs the workflow client"),
    ],
)
def test_workflow_tasks_without_a_workflow_client_fail_saying_so(bl, node_type, given, reason):
    sample = add_sample(bl, None)
    task = add_task(bl, sample, node_type, **given)
    assert run_and_wait(bl) == "failed"
    node = bl.model.get_node(task)
    assert node.status == "failed" and node.message.startswith(reason)
    assert node.files == ()


def test_a_helical_collection_between_two_saved_points_runs_and_writes_its_files(bl):
    sample = add_sample(bl, None)
    centre = crystal_centre(bl)
    start = bl.shapes.add_point(dataclasses.replace(centre, phiy=centre.phiy - 0.05))
    end = bl.shapes.add_point(dataclasses.replace(centre, phiy=centre.phiy + 0.05))
    task = add_task(bl, sample, helical_start=start.id, helical_end=end.id)
    phiy = bl.diffractometer.get_motor("phiy")
    seen: list[float] = []
    bl.collect.connect("collectImageTaken", lambda _n: seen.append(phiy.get_value()))
    assert run_and_wait(bl) == "success"
    node = bl.model.get_node(task)
    n = node.parameters["num_images"]
    images = [f for f in node.files if f.endswith(".cbf")]
    assert len(images) == n and all(Path(f).is_file() for f in images)
    assert seen[0] == pytest.approx(start.position.phiy, abs=1e-6)
    assert seen[-1] == pytest.approx(end.position.phiy, abs=1e-6)
    assert bl.collect.get_collection_info()["helical"] is True


def test_parameters_that_no_longer_fit_the_limits_fail_before_anything_moves(bl):
    sample = add_sample(bl, None)
    task = add_task(bl, sample, energy=12.7)
    bl.collect.energy.set_limits((5.0, 12.5))  # the monochromator lost its top range
    assert run_and_wait(bl) == "failed"
    node = bl.model.get_node(task)
    assert node.message == (
        "parameters no longer valid: DataCollection: energy: 12.7 keV is above the "
        "energy's maximum 12.5 keV"
    )
    assert node.files == ()
    with pytest.raises(ParameterError):
        bl.factory.validate("DataCollection", dict(node.parameters))


def test_stop_during_an_energy_scan_writes_no_file_and_puts_the_energy_back(bl):
    sample = add_sample(bl, None)
    scan = add_task(bl, sample, "EnergyScan", step_ev=0.5, count_time=0.02)
    going = bl.events.when(lambda n, a: n == "progressChanged" and a[0] == scan and a[1] > 0.2)
    bl.engine.run_all()
    assert going.wait(20)
    bl.engine.stop()
    assert bl.events.wait_finished() == "stopped"
    node = bl.model.get_node(scan)
    assert (node.status, node.message, node.files) == ("stopped", "stopped by user", ())
    assert not bl.energy_scan.is_scanning()
    assert bl.collect.energy.get_value() == pytest.approx(12.7)
    directory = Path(node.parameters["directory"])
    assert not list(directory.glob("*energy_scan*"))  # none, nor a part of one


def test_skipping_a_sample_during_its_centring_goes_on_with_the_next(bl):
    first = add_sample(bl, None, centring="manual")
    skipped_task = add_task(bl, first)
    second = add_sample(bl, "1:02")
    task = add_task(bl, second)
    requested = bl.events.when(lambda n, a: n == "centringRequested")
    bl.engine.run_all()
    assert requested.wait(10)
    assert bl.engine.skip() is True
    assert bl.events.wait_finished() == "success"
    node = bl.model.get_node(first)
    assert (node.status, node.message) == ("skipped", "skipped by user")
    assert bl.model.get_node(skipped_task).status == "not_executed"
    assert bl.model.get_node(task).status == "success"


def test_the_edges_table_is_configurable_and_a_bad_edge_names_its_line(tmp_path):
    edges = (
        '<edge element="Se" name="K" energy="12.6605"/>'
        '<edge element="Sm" name="L3" energy="6.716"/>'
    )
    good = copy_simulated(tmp_path / "good", {"energy_scan": ("<username>", f"{edges}<username>")})
    repo = HardwareRepository([good])
    try:
        scanner = repo.get("energy_scan")
        assert scanner.get_edge_energy("Se", "K") == 12.6605
        assert scanner.get_edge_energy("Sm", "L3") == 6.716
        assert scanner.get_edge_energy("Br", "K") == 13.474  # the rest of the table
        with pytest.raises(ValueError, match="Xx K is not a known edge"):
            scanner.get_edge_energy("Xx", "K")
    finally:
        repo.shutdown()
    bad = copy_simulated(
        tmp_path / "bad", {"energy_scan": ("<username>", '<edge element="Se"/>\n<username>')}
    )
    repo = HardwareRepository([bad])
    try:
        with pytest.raises(HardwareObjectError, match=r"energy_scan.xml:\d+: <edge>: expected"):
            repo.get("energy_scan")
    finally:
        repo.shutdown()
