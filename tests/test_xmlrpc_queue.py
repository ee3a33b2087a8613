"""The XML-RPC queue methods on the simulated beamline: a workflow script adds a
sample and tasks, reads them back, runs them, and gets clear faults for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from xmlrpc_fixtures import QUICK, fault_of

from helpers import wait_for

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures


@pytest.fixture
def queue(beamline):
    return beamline.beamline.role("queue")


def manual_sample(proxy) -> int:
    return proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})


def test_a_sample_and_a_collection_appear_in_the_queue(queue, proxy):
    sample = proxy.queue_add_child(
        0, {"type": "Sample", "parameters": {"location": "2:5", "name": "lyso"}}
    )
    node = queue.model.get_node(sample)
    assert node.type == "Sample" and node.parent == 0
    assert node.parameters["location"] == "2:05" and node.name == "lyso"
    task = proxy.queue_add_child(
        sample,
        json.dumps(
            {
                "type": "DataCollection",
                "parameters": {"num_images": 20, "osc_range": 0.5, "exp_time": 0.02},
            }
        ),
    )
    node = queue.model.get_node(task)
    assert node.parent == sample and node.type == "DataCollection"
    assert (node.parameters["num_images"], node.parameters["osc_range"]) == (20, 0.5)
    assert node.parameters["exp_time"] == pytest.approx(0.02)
    assert node.parameters["directory"].startswith("/")  # the beamline's default
    assert queue.model.children(sample) == (task,)
    read = proxy.queue_get_node(task)
    assert read["id"] == task and read["type"] == "DataCollection"
    assert read["status"] == "not_executed" and read["parent"] == sample
    assert read["parameters"]["num_images"] == 20
    assert proxy.queue_get_node(sample)["children"] == [task]
    assert proxy.queue_get_node("0")["children"] == [sample]


def test_mxcubecore_names_are_mapped(queue, proxy):
    sample = manual_sample(proxy)
    task = proxy.queue_add_child(
        sample,
        {
            "type": "DataCollection",
            "name": "from a workflow",
            "parameters": {
                "base_prefix": "wf",
                "start_image_number": 3,
                "take_video": False,
                "num_images": 4,
            },
        },
    )
    node = queue.model.get_node(task)
    assert node.parameters["prefix"] == "wf" and node.parameters["first_image"] == 3
    assert "take_video" not in node.parameters
    assert node.name == "from a workflow"


def test_bad_tasks_are_faults_listing_the_fields(queue, proxy):
    sample = manual_sample(proxy)
    fault = fault_of(
        proxy.queue_add_child,
        sample,
        {"type": "DataCollection", "parameters": {"num_images": 0, "exp_time": "long"}},
    )
    assert fault.faultCode == -32602
    assert "queue_add_child" in fault.faultString and "exp_time" in fault.faultString
    unknown = fault_of(proxy.queue_add_child, sample, {"type": "Collect", "parameters": {}})
    assert "unknown node type 'Collect'" in unknown.faultString
    assert (
        "no queue node 99"
        in fault_of(proxy.queue_add_child, 99, {"type": "DataCollection"}).faultString
    )
    assert "not valid JSON" in fault_of(proxy.queue_add_child, sample, "{nope").faultString
    assert 'no "type"' in fault_of(proxy.queue_add_child, sample, {"parameters": {}}).faultString
    assert (
        "parent_id: expected an integer"
        in fault_of(proxy.queue_add_child, "first", {"type": "Sample"}).faultString
    )
    under_root = fault_of(proxy.queue_add_child, 0, {"type": "DataCollection"})
    assert "goes under" in under_root.faultString
    extra = {"type": "DataCollection", "parameters": {"speed": 1}}
    assert "unknown field 'speed'" in fault_of(proxy.queue_add_child, sample, extra).faultString
    assert queue.model.children(sample) == ()


def test_unknown_nodes_are_faults(proxy):
    for call, args in (
        (proxy.queue_get_node, (42,)),
        (proxy.queue_set_workflow_lims_id, (42, 7)),
        (proxy.is_queue_executing, (42,)),
        (proxy.queue_execute_entry_with_id, (42,)),
    ):
        fault = fault_of(call, *args)
        assert "42" in fault.faultString, fault.faultString


def test_workflow_lims_id_is_kept_with_the_node(queue, proxy):
    sample = manual_sample(proxy)
    node = proxy.queue_add_child(
        sample, {"type": "Workflow", "parameters": {"workflow_name": "MeshScan"}}
    )
    assert proxy.queue_set_workflow_lims_id(node, 1234) is True
    assert queue.model.get_node(node).results["lims_id"] == 1234
    assert proxy.queue_get_node(node)["results"]["lims_id"] == 1234


def wait_until_idle(proxy, timeout: float = 60.0) -> None:
    wait_for(lambda: not proxy.is_queue_executing(), "the end of the queue", timeout)


def test_start_queue_runs_what_was_added(queue, proxy):
    sample = manual_sample(proxy)
    task = proxy.queue_add_child(sample, {"type": "DataCollection", "parameters": QUICK})
    assert proxy.is_queue_executing() is False
    assert proxy.start_queue() is True
    wait_until_idle(proxy)
    node = proxy.queue_get_node(task)
    assert node["status"] == "success", node["message"]
    assert len(node["files"]) == 3 and all(Path(f).exists() for f in node["files"])
    assert proxy.queue_get_node(sample)["status"] == "success"
    assert proxy.is_queue_executing(task) is False
    nothing = fault_of(proxy.start_queue)
    assert nothing.faultCode == -32500 and "nothing to run" in nothing.faultString


def test_execute_entry_with_id_returns_the_status(queue, proxy):
    sample = manual_sample(proxy)
    first = proxy.queue_add_child(sample, {"type": "DataCollection", "parameters": QUICK})
    second = proxy.queue_add_child(sample, {"type": "DataCollection", "parameters": QUICK})
    assert proxy.queue_execute_entry_with_id(first) == "success"
    node = queue.model.get_node(first)
    assert node.status == "success" and len(node.files) == 3
    assert all(Path(f).exists() for f in node.files)
    assert queue.model.get_node(second).status == "not_executed"
    assert proxy.queue_execute_entry_with_id(second, True) is True
    wait_until_idle(proxy)
    assert queue.model.get_node(second).status == "success"
    again = fault_of(proxy.queue_execute_entry_with_id, first)
    assert again.faultCode == -32500 and "has run" in again.faultString
