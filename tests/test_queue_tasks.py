"""Task parameters: task_json, defaults from the beamline, live limits named in messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mxgui.core.acquisition import ParameterError
from mxgui.core.centring import CentredPosition
from mxgui.core.queue import QueueError, QueueModel, TaskFactory, task_from_json
from mxgui.core.queue.tasks import HC_KEV_ANGSTROM, CollectDefaults, check_parameters
from mxgui.core.shapes import ShapesModel

CENTRE = CentredPosition(phi=0.0, phiy=0.1, phiz=0.0, sampx=0.02, sampy=-0.01)


def problems_of(factory: TaskFactory, node_type: str, **changes) -> str:
    """The error message of ``create(node_type, changes)``."""
    with pytest.raises(ParameterError) as info:
        factory.create(node_type, changes)
    return str(info.value)


@pytest.fixture
def collect(repo):
    return repo.get("collect")


# task_json ------------------------------------------------------------------------------------
def test_task_json_is_read_from_a_dict_or_the_same_object_as_a_json_string():
    task = {"type": "DataCollection", "parameters": {"osc_range": 0.2, "num_images": 3600}}
    from_dict = task_from_json(task)
    assert from_dict == task_from_json(json.dumps(task))
    assert from_dict.type == "DataCollection"
    assert from_dict.parameters == {"osc_range": 0.2, "num_images": 3600}
    sample = task_from_json('{"type": "Sample", "parameters": {"location": "2:05"}}')
    assert sample.parameters == {"location": "2:05"}
    assert task_from_json({"type": "TaskGroup", "name": "wedges"}).name == "wedges"


@pytest.mark.parametrize(
    "task, message",
    [
        ('{"type": "DataCollection", "parameters": {', "not valid JSON at line 1, column 43"),
        ("[1, 2]", "expected an object, got list"),
        ({"type": "Collection"}, "type 'Collection' is not one of Sample, TaskGroup, DataColl"),
        ({"parameters": {}}, "type None is not one of"),
        ({"type": "MeshScan", "params": {}}, r"unknown key\(s\) params \(expected type, param"),
        ({"type": "MeshScan", "parameters": [1]}, "parameters must be an object"),
        (
            {"type": "DataCollection", "parameters": {"osc_rnage": 0.1}},
            "DataCollection: unknown field 'osc_rnage' .did you mean osc_range",
        ),
        (
            {"type": "DataCollection", "parameters": {"num_images": 10.5}},
            "num_images: expected an integer, got 10.5",
        ),
        (
            {"type": "EnergyScan", "parameters": {"count_time": "long"}},
            "EnergyScan: count_time: expected a finite number, got 'long'",
        ),
        (
            {"type": "Sample", "parameters": {"location": 305}},
            "location: expected text, got 305",
        ),
    ],
)
def test_bad_task_json_gets_a_clear_error(task, message):
    with pytest.raises(ParameterError, match=message):
        task_from_json(task)


# live limits ----------------------------------------------------------------------------------
def test_every_message_names_the_field_the_value_and_the_live_limit(collect):
    factory = TaskFactory(collect)
    low_exposure = collect.detector.get_exposure_time_limits()[0]
    low_resolution = collect.resolution.get_limits()[0]
    message = problems_of(
        factory,
        "DataCollection",
        exp_time=low_exposure / 2,
        transmission=150.0,
        num_images=0,
        resolution=1.0,
        energy=25.0,
    )
    assert (
        f"exp_time: {low_exposure / 2:g} s is below the detector's minimum {low_exposure:g} s"
        in (message)
    )
    assert "transmission: 150 % is above the transmission's maximum 100 %" in message
    assert "num_images: 0 is below the minimum 1" in message
    assert f"resolution: 1 A is below the resolution's minimum {low_resolution:g} A" in message
    assert "energy: 25 keV is above the energy's maximum 20 keV" in message


def test_moving_the_energy_changes_the_resolution_limit_used(collect):
    factory = TaskFactory(collect)  # the collect as it is: limits at the current energy
    before = collect.resolution.get_limits()[0]
    assert f"resolution's minimum {before:g} A" in problems_of(
        factory, "DataCollection", resolution=1.0
    )
    factory.create("DataCollection", {"resolution": before + 0.1})
    collect.energy.set_value(10.0, timeout=None)
    after = collect.resolution.get_limits()[0]
    assert after > before + 0.5  # a longer wavelength: the edge reaches less far
    message = problems_of(factory, "DataCollection", resolution=before + 0.1, energy=10.0)
    assert (
        f"resolution: {before + 0.1:g} A is below the resolution's minimum {after:g} A" in message
    )


def test_collect_defaults_check_the_resolution_at_the_tasks_own_energy(collect):
    factory = TaskFactory(CollectDefaults(collect))
    assert collect.energy.get_value() == pytest.approx(12.7)
    distance_low = collect.detector.get_distance_motor().get_limits()[0]
    at_10kev = collect.resolution.resolution_at(distance_low, HC_KEV_ANGSTROM / 10.0)
    message = problems_of(factory, "DataCollection", resolution=at_10kev - 0.2, energy=10.0)
    assert f"the resolution's minimum {at_10kev:g} A" in message
    factory.create("DataCollection", {"resolution": at_10kev + 0.1, "energy": 10.0})
    # with a detector distance the resolution follows: no resolution limit
    factory.create("DataCollection", {"resolution": 0.5, "detector_distance": 300.0})
    message = problems_of(factory, "DataCollection", detector_distance=50.0)
    assert "detector_distance: 50 mm is below the detector distance's minimum 100 mm" in message


def test_the_exposure_limit_is_the_one_of_the_tasks_roi_mode(collect):
    factory = TaskFactory(CollectDefaults(collect))
    full = collect.detector.get_roi("4M")
    assert full.min_exposure_time is None  # the detector's own minimum applies
    minimum = collect.detector.get_property("exposure_time_min")
    factory.create("DataCollection", {"exp_time": 0.0005, "detector_roi_mode": "1M"})
    message = problems_of(factory, "DataCollection", exp_time=0.0005, detector_roi_mode="4M")
    assert f"exp_time: 0.0005 s is below the detector's minimum {minimum:g} s" in message


def test_the_sweep_must_stay_within_the_omega_range(collect):
    factory = TaskFactory(CollectDefaults(collect))
    message = problems_of(factory, "DataCollection", osc_start=9990.0, num_images=200)
    assert "num_images: the sweep ends at 10010 deg, above omega's maximum 10000 deg" in message
    message = problems_of(factory, "Characterisation", osc_start=9800.0)
    assert "angle_step: the sweep ends at 10071 deg, above omega's maximum 10000 deg" in message


# defaults -------------------------------------------------------------------------------------
def test_defaults_come_from_the_beamline_and_the_sample(collect):
    factory = TaskFactory(CollectDefaults(collect))
    sample = {"name": "x1", "protein_acronym": "lyso"}
    params = factory.create("DataCollection", sample=sample)
    assert params["prefix"] == "lyso-x1"
    assert Path(params["directory"]).parts[-3:] == ("RAW_DATA", "lyso", "x1")
    assert params["energy"] == pytest.approx(collect.energy.get_value())
    assert params["num_images"] == collect.get_property("default_num_images")
    assert params["run_number"] == 1
    assert params["detector_roi_mode"] == collect.detector.get_roi_mode()
    char = factory.create("Characterisation", sample=sample)
    assert char["prefix"] == "ref-lyso-x1"
    assert (char["num_images"], char["angle_step"], char["osc_range"]) == (4, 90.0, 1.0)
    assert "angle_step: 0.5 deg is below osc_range 1 deg" in problems_of(
        factory, "Characterisation", angle_step=0.5
    )
    with pytest.raises(ParameterError, match=r"directory: sub-directory 'lyso/\.\.'"):
        factory.create("DataCollection", sample={"name": "..", "protein_acronym": "lyso"})
    workflow = factory.create("Workflow", {"workflow_name": "MXPressA"}, sample=sample)
    assert workflow["workflow_parameters"] == {} and workflow["prefix"] == "lyso-x1"


def test_an_energy_scan_goes_across_its_edge(collect):
    factory = TaskFactory(CollectDefaults(collect))
    selenium = factory.create("EnergyScan")
    assert (selenium["element"], selenium["edge"]) == ("Se", "K")
    assert selenium["start_energy"] < 12.658 < selenium["end_energy"]
    zinc = factory.create("EnergyScan", {"element": "Zn"})
    assert zinc["start_energy"] < 9.659 < zinc["end_energy"]
    # the elements are a fixed set: an unknown one is refused naming them
    assert "element: 'Xx' is not one of Mn, Fe, Co" in problems_of(
        factory, "EnergyScan", element="Xx"
    )
    # an element with one known edge takes it (the edge follows the element)
    manganese = factory.create("EnergyScan", {"element": "Mn", "edge": "L3"})
    assert manganese["edge"] == "K" and manganese["start_energy"] < 6.539 < manganese["end_energy"]
    message = problems_of(factory, "EnergyScan", start_energy=12.7)
    assert "must contain the Se K edge at 12.658 keV" in message
    message = problems_of(factory, "EnergyScan", element="Mn", start_energy=4.5)
    assert "start_energy: 4.5 keV is below the energy's minimum 5 keV" in message


def test_mesh_scans_and_helical_collections_use_shapes_that_exist(collect):
    shapes = ShapesModel()
    grid = shapes.add_grid(CENTRE, 4, 3, 0.02, 0.02, scan_order="raster")
    point = shapes.add_point(CENTRE)
    line = shapes.add_line(CENTRE, CENTRE)
    factory = TaskFactory(CollectDefaults(collect), shapes)
    mesh = factory.create("MeshScan", {"grid_id": grid.id})
    assert (mesh["num_images"], mesh["scan_order"]) == (12, "raster")
    message = problems_of(factory, "MeshScan", grid_id=grid.id, num_images=10)
    assert f"num_images: 10 does not match grid {grid.id}'s 4 x 3 = 12 cells" in message
    assert "grid_id: there is no shape G7 on the sample" in problems_of(
        factory, "MeshScan", grid_id="G7"
    )
    assert f"grid_id: {point.id} is a point, not a grid" in problems_of(
        factory, "MeshScan", grid_id=point.id
    )
    assert "grid_id: missing; a mesh scan needs a grid" in problems_of(factory, "MeshScan")
    factory.create("XrayCentring", {"shape_id": line.id})
    factory.create("XrayCentring")  # automatic
    helical = factory.create(
        "DataCollection", {"helical_start": point.id, "helical_end": CENTRE.to_dict()}
    )
    assert helical["helical_end"] == CENTRE.to_dict()
    assert "helical_end: missing; a helical collection needs both ends" in problems_of(
        factory, "DataCollection", helical_start=point.id
    )
    assert "helical_end: there is no shape P9 on the sample" in problems_of(
        factory, "DataCollection", helical_start=point.id, helical_end="P9"
    )
    assert "helical_start: centred position: missing motor 'phiz'" in problems_of(
        factory, "DataCollection", helical_start={"phi": 0, "phiy": 0, "sampx": 0, "sampy": 0}
    )


def test_samples_are_checked_and_their_address_written_as_the_sample_changer_does():
    assert check_parameters("Sample", {"location": "3:5"})["location"] == "3:05"
    assert check_parameters("Sample", {})["location"] is None  # mounted by hand
    with pytest.raises(ParameterError, match="location: 'A1' is not of the form puck:pin"):
        check_parameters("Sample", {"location": "A1"})
    with pytest.raises(ParameterError, match="point_id: missing; centring 'point' needs"):
        check_parameters("Sample", {"centring": "point"})
    with pytest.raises(ParameterError, match="centring: 'auto' is not one of manual, none, point"):
        check_parameters("Sample", {"centring": "auto"})
    assert check_parameters("Sample", {"centring": "point", "point_id": "P2"})["point_id"] == "P2"


def test_the_model_refuses_an_edit_beyond_the_live_limits(collect):
    factory = TaskFactory(CollectDefaults(collect))
    model = QueueModel(validator=factory.validate)
    sample = model.add(0, "Sample", {"location": "1:01", "name": "x1"})
    task = model.add(sample, "DataCollection", factory.create("DataCollection"))
    with pytest.raises(ParameterError, match="transmission: 101 % is above the transmission's"):
        model.update_parameters(task, {"transmission": 101.0})
    assert model.get_node(task).parameters["transmission"] == 100.0
    with pytest.raises(QueueError, match="goes under a Sample or a TaskGroup"):
        model.add(0, "DataCollection", {"transmission": 101.0})  # the place is checked first


def test_a_broken_limit_provider_does_not_stop_editing(caplog):
    class Broken:
        def get_acquisition_limits(self):
            raise RuntimeError("detector offline")

    factory = TaskFactory(Broken())
    params = factory.validate("DataCollection", {"directory": "/d", "prefix": "p"})
    assert params["prefix"] == "p"
    assert "detector offline" in caplog.text
