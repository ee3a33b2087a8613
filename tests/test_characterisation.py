"""The characterisation on the simulated beamline: its reference images are one run,
the user's space group and anomalous choice shape the proposed sweep, bad inputs are
refused by name. Qt-free."""

from __future__ import annotations

import re
from pathlib import Path

import fabio
import h5py
import pytest
from queue_engine_fixtures import (
    QUICK,
    add_sample,
    add_task,
    crystal_centre,
)

from hardware_objects.abstract.collect import CollectionError
from mxgui.core.acquisition import AcquisitionParameters, ParameterError
from mxgui.core.queue.entries.characterisation import describe
from mxgui.core.queue.entries.strategy import (
    ImageAnalysis,
    minimum_sweep,
    propose,
    read_frames,
)
from mxgui.core.queue.space_groups import (
    LAUE_SYSTEMS,
    SOHNCKE,
    UnknownSpaceGroup,
    parse_space_group,
)


def start_angle(path: str) -> float:
    header = str(fabio.open(path).header["_array_data.header_contents"])
    match = re.search(r"Start_angle\s+([-0-9.]+)", header)
    assert match is not None, f"{path}: no Start_angle in the header"
    return float(match.group(1))


def test_the_reference_images_are_one_run_their_angles_angle_step_apart(bl):
    bl.collect.detector.set_roi_mode("4M", timeout=None)  # room for the crystal's spots
    bl.diffractometer.move_to_centred_position(crystal_centre(bl), timeout=None)
    sample = add_sample(bl, "1:01")
    char = add_task(
        bl,
        sample,
        "Characterisation",
        exp_time=0.01,
        resolution=1.7,
        osc_start=10.0,
        angle_step=45.0,
        num_images=4,
        space_group="p 21 21 21",
        anomalous=True,
    )
    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    node = bl.model.get_node(char)
    run, prefix = node.parameters["run_number"], node.parameters["prefix"]
    assert node.parameters["space_group"] == "P212121"  # as the user typed it, normalised
    images = [f for f in node.files if f.endswith(".cbf")]
    assert [Path(f).name for f in images] == [f"{prefix}_{run}_{n:05d}.cbf" for n in (1, 2, 3, 4)]
    assert all(Path(f).is_file() for f in images)
    assert [start_angle(f) for f in images] == [10.0, 55.0, 100.0, 145.0]
    assert list(node.results["reference_runs"]) == [run]
    info = bl.collect.get_collection_info()
    assert info["image_starts"] == [10.0, 55.0, 100.0, 145.0] and info["num_images"] == 4
    # one run used: the next collection of that prefix takes the next number
    directory = node.parameters["directory"]
    assert bl.session.get_next_run_number(directory, prefix) == run + 1
    strategy = node.results["strategy"]
    # P212121 (Laue mmm): 90 deg native, doubled for anomalous data
    assert strategy["num_images"] * strategy["osc_range"] == pytest.approx(180.0)
    assert strategy["osc_start"] == 10.0
    reasons = " | ".join(node.results["strategy_reasons"])
    assert "180 deg, anomalous data in P212121 (Laue class mmm, orthorhombic)" in reasons
    assert len(node.results["reference"]) == 4


def test_a_reference_run_in_hdf5_holds_each_image_at_its_own_angle(bl, tmp_path):
    path = bl.collect.get_default_path_template(prefix="ref-h5")
    path = path.__class__(**{**path.to_dict(), "suffix": "h5"})
    params = AcquisitionParameters(**{**QUICK, "num_images": 3, "energy": 12.7})
    info = bl.collect.collect(params, path, image_starts=[0.0, 90.0, 180.0]).result(timeout=60)
    (master,) = [f for f in info["files"] if f.endswith("_master.h5")]
    with h5py.File(master, "r") as f:
        omegas: list[list[float]] = []  # wherever the NXmx layout puts omega

        def look(name: str, item: object) -> None:
            if isinstance(item, h5py.Dataset) and name.rsplit("/", 1)[-1] == "omega":
                omegas.append([float(a) for a in item[()]])

        f.visititems(look)
    assert omegas == [[0.0, 90.0, 180.0]]
    assert len(read_frames(master)) == 3  # the images, as the characterisation reads them


def test_wedges_that_do_not_match_the_images_are_refused_with_the_reason(bl):
    path = bl.collect.get_default_path_template(prefix="ref-bad")
    params = AcquisitionParameters(**{**QUICK, "num_images": 3})
    future = bl.collect.collect(params, path, image_starts=[0.0, 90.0])
    with pytest.raises(CollectionError, match="image_starts: 2 start angles for 3 images"):
        future.result(timeout=30)
    assert not list(Path(path.directory).glob("ref-bad_*"))  # nothing written


# the inputs ----------------------------------------------------------------------------------
def test_a_bad_space_group_is_refused_naming_the_allowed_form(bl):
    with pytest.raises(ParameterError) as refused:
        bl.factory.create("Characterisation", {"space_group": "Pnma"})
    (message,) = [p for p in refused.value.problems if "space_group:" in p]
    assert "'Pnma' is not a known space group" in message
    assert "a Sohncke space group symbol such as P1, C2, P21, P212121" in message
    with pytest.raises(ParameterError, match="space group 2 is not one proteins crystallise"):
        bl.factory.create("Characterisation", {"space_group": "2"})
    with pytest.raises(ParameterError, match="strategy_complexity: 'many' is not one of"):
        bl.factory.create("Characterisation", {"strategy_complexity": "many"})
    made = bl.factory.create("Characterisation", {"space_group": "P 1 21 1"})
    assert (made["space_group"], made["anomalous"]) == ("P21", False)
    assert made["strategy_complexity"] == "single sweep"


def test_the_space_groups_are_the_65_sohncke_groups():
    assert len(SOHNCKE) == 65 == len({g.number for g in SOHNCKE})
    assert {g.laue for g in SOHNCKE} == set(LAUE_SYSTEMS)
    for group in SOHNCKE:  # every symbol reads back, spaced or not, and by number
        assert parse_space_group(group.symbol) == group
        assert parse_space_group(" ".join(group.symbol).lower()) == group
        assert parse_space_group(str(group.number)) == group
    assert parse_space_group("") is None
    assert parse_space_group("P2(1)2(1)2(1)").symbol == "P212121"
    assert parse_space_group("H32").symbol == "R32"
    for text in ("P-1", "P21/c", "C2/c", "230", "X"):
        with pytest.raises(UnknownSpaceGroup):
            parse_space_group(text)


# the rule ------------------------------------------------------------------------------------
def analyses(spots: int = 400) -> list[ImageAnalysis]:
    return [ImageAnalysis(f"/x/ref_1_{k:05d}.cbf", spots, 1.8, 150.0, 1.2) for k in (1, 2)]


def reference(**given: object) -> dict[str, object]:
    values = {"exp_time": 0.02, "transmission": 50.0, "osc_range": 1.0, "osc_start": 0.0}
    values.update(energy=11.0, space_group="", anomalous=False)
    values.update(given)
    return values


@pytest.mark.parametrize(
    ("space_group", "native", "anomalous"),
    [("", 180.0, 360.0), ("P1", 180.0, 360.0), ("C2", 180.0, 360.0), ("P31", 120.0, 240.0)]
    + [("P3121", 90.0, 180.0), ("P43212", 90.0, 180.0), ("P6122", 90.0, 180.0)]
    + [("I213", 90.0, 180.0)],
)
def test_the_sweep_follows_the_laue_class_and_anomalous_doubles_it(space_group, native, anomalous):
    for flag, sweep in ((False, native), (True, anomalous)):
        proposal = propose(analyses(), reference(space_group=space_group, anomalous=flag))
        p = proposal.parameters
        assert p is not None
        assert p["num_images"] * p["osc_range"] == pytest.approx(sweep)
        assert minimum_sweep(parse_space_group(space_group), flag) == sweep


def test_near_an_edge_without_anomalous_the_sweep_stays_native_with_a_warning():
    near = propose(analyses(), reference(energy=12.7, space_group="P212121"))
    assert near.parameters is not None
    assert near.parameters["num_images"] * near.parameters["osc_range"] == pytest.approx(90.0)
    assert any("just above the Se K edge: set anomalous" in w for w in near.warnings)
    chosen = propose(analyses(), reference(energy=12.7, space_group="P212121", anomalous=True))
    assert not any("edge: set anomalous" in w for w in chosen.warnings)
    nothing = propose(analyses(spots=2), reference())
    assert nothing.parameters is None and "no diffraction" in nothing.reasons[0]


def test_few_sweeps_adds_a_low_resolution_pass_over_the_same_angles():
    proposal = propose(
        analyses(), reference(space_group="C2", strategy_complexity="few sweeps"), (1.0, 6.0)
    )
    main, low = proposal.sweeps
    assert main == proposal.parameters
    assert main["num_images"] * main["osc_range"] == pytest.approx(180.0)
    assert low["num_images"] * low["osc_range"] == pytest.approx(180.0)  # the same sweep
    assert low["osc_start"] == main["osc_start"]
    assert low["osc_range"] == 2 * main["osc_range"]
    assert low["resolution"] == max(2 * main["resolution"], 4.0)
    assert low["transmission"] == pytest.approx(max(round(main["transmission"] * 0.1, 1), 0.1))
    single = propose(analyses(), reference(space_group="C2"))
    assert single.sweeps == [single.parameters]


def test_a_resolution_a_user_reads_is_in_angstrom():
    """The strategy's reasons and the short description say Å, as its table does."""
    proposal = propose(
        analyses(), reference(space_group="C2", strategy_complexity="few sweeps"), (1.0, 6.0)
    )
    text = " | ".join(proposal.reasons + proposal.warnings)
    assert "the spots reach 1.80 Å" in text
    assert "low-resolution pass to 4 Å" in text
    assert not re.search(r"\d A\b", text)
    assert describe(proposal.parameters).endswith(f"{proposal.parameters['resolution']:g} Å")


def test_the_simulated_collect_stays_in_modules_of_one_job_each():
    """The sweep and the reference wedges share their set-up (collect_acquire.py); the
    collect object keeps the sequence and the hardware steps, each under ~600 lines."""
    simulated = Path(__file__).parent.parent / "hardware_objects" / "simulated"
    for name in ("collect.py", "collect_acquire.py"):
        lines = len((simulated / name).read_text().splitlines())
        assert lines <= 600, f"{name}: {lines} lines"
    source = (simulated / "collect_acquire.py").read_text()
    assert source.count("NexusWriter(") == 1 and source.count("strength_function(") == 1
