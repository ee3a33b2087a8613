"""The workflow client on the test workflows: success, a failed step named, a process
killed -9, abort (children too), workflow_end, refusals, bad XML, the execution log,
and the BES engine against a fake BES server. Qt-free."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from types import SimpleNamespace

import pytest
from workflow_fixtures import (
    WORKFLOWS,
    FakeBes,
    client_repository,
    gone,
    started,
    wait_params,
)

from mxgui.core.errors import HardwareObjectError, Refused
from mxgui.core.workflow_log import WorkflowLog

from helpers import wait_for


@pytest.fixture
def repo(tmp_path):
    repository = client_repository(tmp_path)
    yield repository
    repository.shutdown()


@pytest.fixture
def client(repo):
    workflow = repo.get("workflow")
    events: list[tuple] = []
    for name in workflow.SIGNALS:
        workflow.connect(name, lambda *args, name=name: events.append((name, *args)))
    workflow.events = events
    return workflow


def inputs(params: dict) -> dict:
    return {
        "sample_node_id": 1,
        "workflow_node_id": 2,
        "sample_location": "1:02",
        "directory": "/tmp/x",
        "prefix": "p",
        "run_number": 3,
        "shape_id": "",
        "workflow_parameters": params,
    }


def test_lists_the_workflows_of_its_xml(client):
    names = [w["name"] for w in client.get_available_workflows()]
    assert names == ["Wait", "Fail", "Broken", "OnGrid", "Remote"]
    on_grid = client.get_available_workflows()[3]
    assert on_grid == {
        "name": "OnGrid",
        "title": "On a grid",
        "requires": "grid",
        "engine": "local",
    }
    assert client.state.name == "READY"


def test_a_workflow_runs_in_a_child_process_with_its_inputs_and_succeeds(client, tmp_path):
    marker = tmp_path / "m"
    future = client.start("Wait", inputs(wait_params(marker, seconds=0)))
    assert future.result(timeout=60) == ("success", "workflow finished")
    info = started(marker)
    assert info["pid"] != os.getpid()
    assert info["inputs"]["sample_location"] == "1:02"
    assert info["inputs"]["run_number"] == 3
    assert info["inputs"]["workflow_parameters"]["marker_dir"] == str(marker)
    assert client.state.name == "READY" and client.running is None
    names = [e[0] for e in client.events]
    assert names[0] == "workflowStarted" and names[-1] == "workflowFinished"
    assert ("workflowStepChanged", client.current_run_id, "wait", "running") in client.events
    assert ("workflowStepChanged", client.current_run_id, "wait", "success") in client.events
    run = client.log.runs()[0]
    assert (run.name, run.status) == ("Wait", "success")
    assert [(s.step, s.status) for s in client.log.steps(run.id)] == [("wait", "success")]


def test_the_child_gets_the_address_and_token_of_the_attached_server(client, tmp_path):
    client.attach_xmlrpc_server(SimpleNamespace(url="http://127.0.0.1:4567", token="t0k"))
    marker = tmp_path / "m"
    client.start("Wait", inputs(wait_params(marker, seconds=0))).result(timeout=60)
    info = started(marker)
    assert (info["url"], info["token"]) == ("http://127.0.0.1:4567", "t0k")


def test_a_failed_step_fails_the_run_naming_the_step_and_the_error(client, tmp_path):
    params = wait_params(tmp_path / "m", seconds=0, reason="no diffraction spots")
    status, message = client.start("Fail", inputs(params)).result(timeout=60)
    assert status == "failed"
    assert "index_crystal" in message and "no diffraction spots" in message
    run = client.log.runs()[0]
    assert run.status == "failed" and run.failed_step == "index_crystal"
    steps = {s.step: s.status for s in client.log.steps(run.id)}
    assert steps == {"prepare": "success", "index_crystal": "failed"}
    assert client.events[-1][0:3] == ("workflowFinished", run.id, "failed")


def test_a_graph_that_cannot_load_fails_with_the_reason(client):
    status, message = client.start("Broken", inputs({})).result(timeout=60)
    assert status == "failed"
    assert "broken.json" in message and "no_such_module" in message


def test_a_process_killed_9_fails_the_run_within_2_s(client, tmp_path):
    marker = tmp_path / "m"
    future = client.start("Wait", inputs(wait_params(marker)))
    pid = started(marker)["pid"]
    os.kill(pid, signal.SIGKILL)
    # the item's deadline: a process killed -9 is noticed within 2 s
    wait_for(future.done, "a workflow process killed -9 noticed", timeout=2.0)
    status, message = future.result()
    assert status == "failed"
    assert "killed by signal 9" in message and "during step wait" in message
    assert client.log.runs()[0].failed_step == "wait"
    assert client.state.name == "READY"


def test_abort_terminates_the_process_and_its_children(client, tmp_path):
    marker = tmp_path / "m"
    future = client.start("Wait", inputs(wait_params(marker, spawn_child=True)))
    info = started(marker)
    client.abort()
    assert future.result(timeout=10) == ("aborted", "aborted by user")
    assert gone(info["pid"]) and gone(info["child"])
    assert client.log.runs()[0].status == "aborted"


def test_workflow_end_ends_the_run_and_the_process_gets_its_grace(client, tmp_path):
    marker = tmp_path / "m"
    future = client.start("Wait", inputs(wait_params(marker)))
    pid = started(marker)["pid"]
    client.workflow_end()
    assert future.result(timeout=5) == ("success", "workflow ended")
    assert gone(pid)  # still sleeping: terminated after end_grace


def test_one_workflow_at_a_time_and_bad_requests_refused(client, tmp_path):
    marker = tmp_path / "m"
    future = client.start("Wait", inputs(wait_params(marker)))
    with pytest.raises(Refused, match="workflow Wait is running"):
        client.start("Wait", inputs({}))
    client.abort()
    future.result(timeout=10)
    with pytest.raises(KeyError, match="no workflow 'Nope'.*known: Wait, Fail"):
        client.start("Nope", {})
    with pytest.raises(ValueError, match="not plain JSON"):
        client.start("Wait", {"workflow_parameters": {"x": object()}})
    client.workflow_end()  # nothing running: nothing happens


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ("<requires>crystal</requires>", "<requires> must be one of sample, point, grid"),
        ("<engine>slurm</engine>", "<engine> must be one of local, bes"),
        ("<graph>missing.json</graph>", "no graph file"),
    ],
)
def test_bad_workflow_xml_names_the_file_and_the_problem(tmp_path, edit, reason):
    directory = tmp_path / "wfrepo"
    repository = client_repository(tmp_path)
    path = directory / "workflow.xml"
    text = path.read_text().replace(
        "<workflow><name>Wait</name>", f"<workflow>{edit}<name>Wait</name>"
    )
    if "graph" in edit:
        text = text.replace("<graph>wait.json</graph>", "", 1)
    path.write_text(text)
    with pytest.raises(HardwareObjectError, match=reason) as caught:
        repository.get("workflow")
    assert "workflow.xml" in str(caught.value)
    repository.shutdown()


def test_bes_engine_runs_reports_and_ends_with_the_server_status(tmp_path):
    bes = FakeBes(["STARTED", "Indexing", "Indexing", "FINISHED"])
    repository = client_repository(tmp_path, bes.url)
    try:
        client = repository.get("workflow")
        steps: list[tuple] = []
        client.connect("workflowStepChanged", lambda *args: steps.append(args[1:]))
        status, message = client.start("Remote", {"prefix": "p", "run_number": 2}).result(30)
        assert status == "success" and "finished" in message
        # issue 16: the RUN body is mxcubecore's (values as text, modelpath, token...)
        method, path, body = bes.requests[0]
        assert (method, path) == ("POST", "/RUN/Remote")
        assert (body["modelpath"], body["prefix"], body["run_number"]) == ("Remote", "p", "2")
        assert ("Indexing", "running") in steps and ("Indexing", "success") in steps
        assert client.log.runs()[0].status == "success"
    finally:
        repository.shutdown()
        bes.close()


def test_bes_engine_abort_and_error(tmp_path):
    bes = FakeBes(["STARTED"])
    repository = client_repository(tmp_path, bes.url)
    try:
        client = repository.get("workflow")
        future = client.start("Remote", {})
        wait_for(lambda: any(r[1] == "/STATUS/req-42" for r in bes.requests), "a status request")
        client.abort()
        assert future.result(10) == ("aborted", "aborted by user")
        wait_for(bes.aborted.is_set, "the ABORT (sent after the run has ended)", 10)
        bes.statuses[:] = ["ERROR"]
        bes.aborted.clear()
        status, message = client.start("Remote", {}).result(10)
        assert status == "failed" and "error" in message
    finally:
        repository.shutdown()
        bes.close()


def test_bes_engine_unreachable_names_the_url(tmp_path):
    repository = client_repository(tmp_path, "http://127.0.0.1:9")
    try:
        status, message = repository.get("workflow").start("Remote", {}).result(30)
        assert status == "failed"
        assert "http://127.0.0.1:9/RUN/Remote" in message and "cannot be reached" in message
    finally:
        repository.shutdown()


def test_shutdown_leaves_no_workflow_process_even_one_ignoring_sigterm(repo, tmp_path):
    client = repo.get("workflow")
    marker = tmp_path / "m"
    params = wait_params(marker, spawn_child=True, ignore_sigterm=True)
    future = client.start("Wait", inputs(params))
    info = started(marker)
    repo.shutdown()  # the GUI quits: shutdown returns once the process has gone
    assert gone(info["pid"], timeout=0.1), "the workflow process outlived the shutdown"
    assert gone(info["child"]), "a process of the workflow's group outlived the shutdown"
    assert future.result(timeout=5)[0] == "aborted"
    reopened = WorkflowLog(tmp_path / "workflows.sqlite")  # the end was recorded before
    assert reopened.runs()[0].status == "aborted"
    reopened.close()


GUI_THAT_DIES = """
import json, sys, time
from pathlib import Path
from mxgui.core.workflow.local import LocalRun
graph, inputs, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
LocalRun(Path(graph), inputs, lambda *event: None, paths=(Path(path),))
time.sleep(600)
"""


def test_a_workflow_whose_gui_was_killed_ends_its_process_group(tmp_path):
    marker = tmp_path / "m"
    params = inputs(wait_params(marker, seconds=600, spawn_child=True))
    graph = WORKFLOWS / "wait.json"
    gui = subprocess.Popen(
        [sys.executable, "-c", GUI_THAT_DIES, str(graph), json.dumps(params), str(WORKFLOWS)]
    )
    try:
        info = started(marker)
        gui.kill()  # kill -9: the GUI cannot clean up
        gui.wait(10)
        # generous: the watch polls, then the group gets SIGTERM and 2 s later SIGKILL,
        # which a loaded CI machine can stretch past the default 10 s
        assert gone(info["pid"], 30), "the workflow outlived the GUI that started it"
        assert gone(info["child"], 30), "a process of the workflow's group outlived the GUI"
    finally:
        gui.kill()
        for key in ("pid", "child"):
            with contextlib.suppress(ProcessLookupError, NameError, TypeError):
                os.kill(info[key], signal.SIGKILL)
