"""Fields whose values are a fixed set declare it in the core schema, and anything
else is refused when it is set (through the queue model and XML-RPC's
``queue_add_child``), naming the field and the values allowed; the detector's ROI
modes are the beamline's own set."""

from __future__ import annotations

import pytest
from xmlrpc_fixtures import fault_message

from mxgui.core.acquisition import ParameterError
from mxgui.core.queue.schemas import SCHEMAS
from mxgui.core.queue.tasks import check_parameters, task_from_json

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures


def test_every_fixed_set_is_declared_in_the_schemas():
    declared = {
        (node_type, name): spec.choices
        for node_type, schema in SCHEMAS.items()
        for name, spec in schema.specs.items()
        if spec.choices
    }
    assert declared[("Sample", "centring")] == ("manual", "none", "point", "recentre")
    assert declared[("MeshScan", "scan_order")] == ("zigzag", "raster")
    assert declared[("DataCollection", "suffix")] == ("cbf", "h5")
    assert "Se" in declared[("EnergyScan", "element")]
    assert declared[("EnergyScan", "edge")] == ("K", "L3")
    # every default is one of its field's choices
    for (node_type, name), choices in declared.items():
        assert SCHEMAS[node_type].specs[name].default in choices, (node_type, name)


@pytest.mark.parametrize(
    ("node_type", "name", "value", "allowed"),
    [
        ("DataCollection", "suffix", "tiff", "cbf, h5"),
        ("MeshScan", "scan_order", "spiral", "zigzag, raster"),
        ("Sample", "centring", "auto", "manual, none, point"),
        ("EnergyScan", "edge", "M5", "K, L3"),
    ],
)
def test_a_value_outside_a_fixed_set_is_refused_when_given(node_type, name, value, allowed):
    message = f"{name}: {value!r} is not one of {allowed}"
    with pytest.raises(ParameterError, match=message):
        task_from_json({"type": node_type, "parameters": {name: value}})
    with pytest.raises(ParameterError, match=message):
        check_parameters(node_type, {name: value})


def test_a_roi_mode_the_detector_does_not_have_is_refused_by_the_model(beamline):
    queue = beamline.beamline.role("queue")
    sample = queue.add_sample(name="lyso")
    task = queue.add_task(sample, "DataCollection", {"detector_roi_mode": "4M"})
    assert queue.model.get_node(task).parameters["detector_roi_mode"] == "4M"
    with pytest.raises(ParameterError) as refused:
        queue.model.update_parameters(task, {"detector_roi_mode": "foo", "num_images": 7})
    assert "detector_roi_mode: 'foo' is not one of 4M, 1M, test" in str(refused.value)
    node = queue.model.get_node(task)  # nothing of the refused edit reached the model
    assert node.parameters["detector_roi_mode"] == "4M" and node.parameters["num_images"] != 7
    # "" keeps the detector in the mode it is in; a known mode is taken
    queue.model.update_parameters(task, {"detector_roi_mode": ""})
    queue.model.update_parameters(task, {"detector_roi_mode": "test"})
    assert queue.model.get_node(task).parameters["detector_roi_mode"] == "test"


def test_a_roi_mode_the_detector_does_not_have_is_a_fault_of_queue_add_child(beamline, proxy):
    queue = beamline.beamline.role("queue")
    sample = proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
    task = {"type": "DataCollection", "parameters": {"detector_roi_mode": "foo"}}
    message = fault_message(proxy.queue_add_child, sample, task)
    assert "detector_roi_mode: 'foo' is not one of 4M, 1M, test" in message
    assert queue.model.children(sample) == ()  # nothing added
    task["parameters"] = {"scan_order": "spiral", "grid_id": "G1"}
    task["type"] = "MeshScan"
    assert "scan_order: 'spiral' is not one of zigzag, raster" in fault_message(
        proxy.queue_add_child, sample, task
    )
    task = {"type": "DataCollection", "parameters": {"detector_roi_mode": "1M"}}
    added = proxy.queue_add_child(sample, task)
    assert queue.model.get_node(added).parameters["detector_roi_mode"] == "1M"
