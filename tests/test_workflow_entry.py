"""Workflow and XrayCentring queue entries on the simulated beamline with the test
workflows: inputs given, success, a failed step, a killed process, stop, a collection
run nested while the workflow waits, a missing grid. Qt-free."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from queue_engine_fixtures import (
    add_sample,
    add_task,
    close_beamline,
    crystal_centre,
    make_beamline,
)
from workflow_fixtures import client_repository, gone, started, wait_params

from helpers import wait_for


@pytest.fixture
def bl(tmp_path):
    beamline = make_beamline(tmp_path)
    beamline.workflow_repo = client_repository(tmp_path)
    beamline.workflow = beamline.workflow_repo.get("workflow")
    beamline.roles["workflow"] = beamline.workflow  # the engine's beamline
    yield beamline
    close_beamline(beamline)
    beamline.workflow_repo.shutdown()


def add_workflow(bl, sample: int, name: str, params: dict) -> int:
    return add_task(bl, sample, "Workflow", workflow_name=name, workflow_parameters=params)


def wait_status(bl, node_id: int, timeout: float) -> str:
    wait_for(
        lambda: bl.model.get_node(node_id).status not in ("not_executed", "running"),
        f"the end of entry {node_id}",
        timeout,
    )
    return bl.model.get_node(node_id).status


def test_workflow_entry_starts_the_workflow_with_its_inputs_and_succeeds(bl, tmp_path):
    marker = tmp_path / "m"
    sample = add_sample(bl, "1:02")
    task = add_workflow(bl, sample, "Wait", wait_params(marker, seconds=0))
    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    node = bl.model.get_node(task)
    assert node.status == "success" and "workflow finished" in node.message
    received = started(marker)["inputs"]
    assert received["sample_node_id"] == sample and received["workflow_node_id"] == task
    assert received["tasks_parent_id"] == task  # its tasks are nested under it
    assert received["sample_location"] == "1:02"
    assert received["directory"] == node.parameters["directory"]
    assert received["prefix"] == node.parameters["prefix"]
    assert received["run_number"] == node.parameters["run_number"]
    assert received["shape_id"] == ""
    assert bl.workflow.log.runs()[0].status == "success"


def test_a_failed_step_fails_the_entry_with_the_reason_and_the_queue_goes_on(bl, tmp_path):
    first = add_sample(bl, None)
    failing = add_workflow(bl, first, "Fail", wait_params(tmp_path / "m", 0, reason="no spots"))
    second = add_sample(bl, None)
    collection = add_task(bl, second)
    bl.engine.run_all()
    assert bl.events.wait_finished() == "failed"
    node = bl.model.get_node(failing)
    assert node.status == "failed"
    assert "index_crystal" in node.message and "no spots" in node.message
    assert bl.model.get_node(collection).status == "success"


def test_a_killed_workflow_process_fails_its_entry_within_2_s_and_the_queue_goes_on(bl, tmp_path):
    marker = tmp_path / "m"
    first = add_sample(bl, None)
    task = add_workflow(bl, first, "Wait", wait_params(marker))
    collection = add_task(bl, add_sample(bl, None))
    bl.engine.run_all()
    os.kill(started(marker)["pid"], signal.SIGKILL)
    assert wait_status(bl, task, timeout=2.0) == "failed", "not failed within 2 s"
    assert "killed by signal 9" in bl.model.get_node(task).message
    assert bl.events.wait_finished() == "failed"
    assert bl.model.get_node(collection).status == "success"


def test_stopping_the_queue_aborts_the_workflow(bl, tmp_path):
    marker = tmp_path / "m"
    task = add_workflow(bl, add_sample(bl, None), "Wait", wait_params(marker, spawn_child=True))
    bl.engine.run_all()
    info = started(marker)
    bl.engine.stop()
    assert bl.events.wait_finished() == "stopped"
    node = bl.model.get_node(task)
    assert node.status == "stopped" and node.message.startswith("stopped by user")
    assert gone(info["pid"]) and gone(info["child"])
    assert bl.workflow.log.runs()[0].status == "aborted"


def test_a_collection_the_workflow_asks_for_runs_nested_once(bl, tmp_path):
    marker = tmp_path / "m"
    sample = add_sample(bl, None)
    task = add_workflow(bl, sample, "Wait", wait_params(marker))
    bl.engine.run_all()
    started(marker)
    # what a workflow does over XML-RPC: add a collection under the sample, execute it
    collection = add_task(bl, sample)
    assert bl.engine.execute_entry(collection).result(timeout=60) == "success"
    files = [Path(f) for f in bl.model.get_node(collection).files if f.endswith(".cbf")]
    assert len(files) == 3 and all(f.is_file() for f in files)
    assert bl.model.get_node(task).status == "running"  # still waiting for its workflow
    (marker / "release").touch()
    assert bl.events.wait_finished() == "success"
    assert bl.model.get_node(task).status == "success"
    started_ids = [args[0] for args in bl.events.args("entryStarted")]
    assert started_ids == [sample, task, collection]


def test_a_workflow_needing_a_grid_fails_before_starting_without_one(bl, tmp_path):
    task = add_workflow(bl, add_sample(bl, None), "OnGrid", wait_params(tmp_path / "m", 0))
    bl.engine.run_all()
    assert bl.events.wait_finished() == "failed"
    node = bl.model.get_node(task)
    assert node.status == "failed"
    assert "needs a grid and the sample has none" in node.message
    assert bl.workflow.log.runs() == []  # never started
    assert not (tmp_path / "m" / "started.json").exists()


def test_a_workflow_needing_a_grid_gets_the_grid_drawn(bl, tmp_path):
    marker = tmp_path / "m"
    bl.shapes.add_grid(crystal_centre(bl), 3, 2, 0.01, 0.01)
    grid = bl.shapes.add_grid(crystal_centre(bl), 4, 4, 0.01, 0.01)
    add_workflow(bl, add_sample(bl, None), "OnGrid", wait_params(marker, 0))
    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    assert started(marker)["inputs"]["shape_id"] == grid.id  # the last one drawn


def test_xray_centring_entry_runs_the_configured_workflow_with_the_acquisition(bl, tmp_path):
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "XrayCentring", exp_time=0.02)
    bl.engine.run_all()
    # the configured workflow (Wait) runs with seconds 0: it ends at once
    assert bl.events.wait_finished() == "success"
    run = bl.workflow.log.runs()[0]
    assert run.name == "Wait"
    assert run.info["workflow_parameters"]["exp_time"] == pytest.approx(0.02)
    assert run.info["workflow_node_id"] == task and run.info["shape_id"] == ""
    assert run.info["tasks_parent_id"] == sample  # an XrayCentring node holds no tasks
