"""Issue 15: the tasks a running workflow adds over XML-RPC go where the caller says: under
the workflow's node when it names that node (``queue_add_child(workflow_node_id, ...)``,
as the project's workflows do with their ``tasks_parent_id``), under the sample when it
names the sample (review 15b, finding 17); the engine runs them as before (nested when
asked, after the workflow when not), and a stop during one reads "stopped" over XML-RPC.
The workflow is a stand-in entry waiting for a Future (as in test_workflow_nested); the
server is the real one on 127.0.0.1."""

from __future__ import annotations

import threading
import time

import pytest
from test_workflow_nested import HostEntry
from xmlrpc_fixtures import QUICK

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures


@pytest.fixture
def queue(beamline):
    queue = beamline.beamline.role("queue")
    queue.host = HostEntry()
    queue.engine.entries["Workflow"] = queue.host
    return queue


def finished_event(engine) -> threading.Event:
    done = threading.Event()
    engine.connect("executionFinished", lambda _status: done.set())
    return done


def sample_with_workflow(queue, proxy) -> tuple[int, int]:
    sample = proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
    workflow = queue.add_task(sample, "Workflow", {"workflow_name": "test"})
    return sample, workflow


def hosting(queue, timeout: float = 30.0) -> bool:
    """The workflow entry runs and the engine took it as the host of nested runs."""
    if not queue.host.waiting.wait(timeout):
        return False
    end = time.monotonic() + timeout
    while queue.engine.nested.host is None:
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


def test_a_workflows_tasks_are_nested_under_it_and_run_as_before(queue, proxy):
    sample, workflow = sample_with_workflow(queue, proxy)
    before = proxy.queue_add_child(sample, {"type": "DataCollection", "parameters": QUICK})
    assert queue.model.get_node(before).parent == sample  # no workflow running: as given
    done = finished_event(queue.engine)
    assert proxy.start_queue() is True
    assert hosting(queue)
    task = {"type": "DataCollection", "parameters": dict(QUICK, prefix="nested")}
    nested = proxy.queue_add_child(workflow, task)  # named: nested under the workflow
    assert proxy.queue_get_node(nested)["parent"] == workflow
    beside = proxy.queue_add_child(sample, dict(task, parameters=dict(QUICK, prefix="beside")))
    assert proxy.queue_get_node(beside)["parent"] == sample  # where the caller said
    assert beside in proxy.queue_get_node(sample)["children"]
    assert proxy.queue_execute_entry_with_id(nested) == "success"
    leftover = proxy.queue_add_child(workflow, dict(task, parameters=dict(QUICK, prefix="left")))
    assert proxy.queue_get_node(workflow)["children"] == [nested, leftover]
    queue.host.workflow.set_result("workflow done")
    assert done.wait(60)
    # the one it did not run ran after it, once; the nested one was not run again
    assert [proxy.queue_get_node(n)["status"] for n in (workflow, nested, leftover, beside)] == [
        "success"
    ] * 4
    started = [e for e in queue.history.entries() if e.node_id in (nested, leftover, beside)]
    assert [e.node_id for e in started] == [nested, leftover, beside]
    assert proxy.queue_get_node(sample)["status"] == "success"
    counts = queue.model.children_summary(workflow)
    assert (counts["total"], counts["success"]) == (2, 2)


def test_a_stop_during_a_nested_collection_reads_stopped_over_xmlrpc(queue, proxy):
    sample, workflow = sample_with_workflow(queue, proxy)
    after = proxy.queue_add_child(sample, {"type": "DataCollection", "parameters": QUICK})
    done = finished_event(queue.engine)
    proxy.start_queue()
    assert hosting(queue)
    long = dict(QUICK, num_images=400, exp_time=0.02, prefix="long")
    nested = proxy.queue_add_child(workflow, {"type": "DataCollection", "parameters": long})
    assert proxy.queue_execute_entry_with_id(nested, True) is True
    started = threading.Event()
    queue.engine.connect("progressChanged", lambda node, _f: node == nested and started.set())
    assert started.wait(30)
    queue.engine.stop()
    assert done.wait(60)
    read = proxy.queue_get_node(nested)
    assert (read["status"], read["message"]) == ("stopped", "stopped by user")
    assert [proxy.queue_get_node(n)["status"] for n in (workflow, sample)] == ["stopped"] * 2
    assert proxy.queue_get_node(after)["status"] == "not_executed"
