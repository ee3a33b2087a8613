"""A Workflow entry on the simulated beamline whose workflow calls the real XML-RPC
server back (token required): it adds a collection under its sample and executes it
(nested in the waiting entry), then says workflow_end. Qt-free."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from pathlib import Path

from workflow_fixtures import callback_client_xml
from xmlrpc_fixtures import client

from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED, quick_collect_overrides, wait_for

QUICK = {
    "num_images": 2,
    "osc_range": 1.0,
    "exp_time": 0.001,
    "detector_roi_mode": "test",
    "detector_distance": 120.0,
    "take_snapshots": 0,
}


def callback_repository(tmp_path: Path) -> HardwareRepository:
    """The simulated beamline (quick collections) whose workflow client also runs the
    ``CallBack`` test workflow, and whose XML-RPC server requires a token."""
    overrides = quick_collect_overrides(tmp_path)
    (overrides / "workflow.xml").write_text(callback_client_xml(tmp_path / "wf.sqlite"))
    server_xml = (SIMULATED / "xmlrpc_server.xml").read_text()
    (overrides / "xmlrpc_server.xml").write_text(
        re.sub(r"<token>[^<]*</token>", "<token>auto</token>", server_xml)
    )
    return HardwareRepository([overrides, SIMULATED])


def test_a_workflow_calls_back_and_its_collection_runs_nested(tmp_path):
    repository = callback_repository(tmp_path)
    try:
        queue = repository.get("queue")
        server = repository.get("xmlrpc_server")
        assert server.token  # the workflow must send it
        done = []
        queue.engine.connect("executionFinished", done.append)
        sample = queue.add_sample(None)
        queue.model.update_parameters(sample, {"centring": "none"})
        marker = tmp_path / "m"
        marker.mkdir()
        params = {"marker_dir": str(marker), "collection": QUICK}
        task = queue.add_task(
            sample, "Workflow", {"workflow_name": "CallBack", "workflow_parameters": params}
        )
        assert queue.execute_entry(sample).result(timeout=120) == "success"
        result = json.loads((marker / "callback.json").read_text())
        assert result["status"] == "success"
        collection = queue.model.get_node(result["node_id"])
        assert collection.status == "success"
        assert queue.model.sample_of(collection.id) == sample
        images = [Path(f) for f in collection.files if f.endswith(".cbf")]
        assert len(images) == 2 and all(f.is_file() for f in images)
        node = queue.model.get_node(task)
        assert node.status == "success" and "workflow ended" in node.message
        assert done == ["success"]
    finally:
        repository.shutdown()


def test_a_workflow_killed_during_its_nested_collection_fails_and_the_queue_goes_on(tmp_path):
    """Issue 11, item 10: the workflow process (real, started by the client) asks over
    XML-RPC for a long collection and is killed with SIGKILL while it runs. The
    collection stops, the workflow entry fails with the reason within 2 s, the next
    sample's collection runs, and ``start_queue`` works again (not "already running")."""
    repository = callback_repository(tmp_path)
    try:
        queue = repository.get("queue")
        server = repository.get("xmlrpc_server")
        finished: dict[int, tuple[str, str, float]] = {}
        runs: list[str] = []
        ended = threading.Event()
        queue.engine.connect(
            "entryFinished",
            lambda node, status, message: finished.setdefault(
                node, (status, message, time.monotonic())
            ),
        )
        queue.engine.connect("executionFinished", lambda result: (runs.append(result), ended.set()))
        sample = queue.add_sample(None)
        queue.model.update_parameters(sample, {"centring": "none"})
        marker = tmp_path / "m"
        marker.mkdir()
        long_collection = dict(QUICK, num_images=3000, exp_time=0.01)
        params = {"marker_dir": str(marker), "collection": long_collection}
        workflow = queue.add_task(
            sample, "Workflow", {"workflow_name": "CallBack", "workflow_parameters": params}
        )
        second = queue.add_sample(None)
        queue.model.update_parameters(second, {"centring": "none"})
        after = queue.add_task(second, "DataCollection", QUICK)
        with client(server.url, headers=[("Token", server.token)]) as gui:
            assert gui.start_queue() is True
            nested_file = marker / "nested.json"
            wait_for(nested_file.exists, "the nested collection", timeout=60)
            nested = json.loads(nested_file.read_text())
            node_id = nested["node_id"]
            directory = Path(queue.model.get_node(node_id).parameters["directory"])
            wait_for(lambda: list(directory.glob("*.cbf")), "the first image", timeout=60)
            assert gui.queue_get_node(node_id)["status"] == "running"
            os.kill(nested["pid"], signal.SIGKILL)
            killed = time.monotonic()
            wait_for(lambda: workflow in finished, "the workflow entry's end", timeout=10)
            status, message, at = finished[workflow]
            assert status == "failed" and "killed by signal 9" in message, message
            assert at - killed <= 2.0  # the item's deadline
            stopped = gui.queue_get_node(node_id)
            assert stopped["status"] == "failed"
            assert stopped["message"] == (
                "stopped: workflow CallBack failed: "
                "the workflow process was killed by signal 9 during step collect"
            )
            images = [f for f in stopped["files"] if f.endswith(".cbf")]
            assert 0 < len(images) < 3000 and all(Path(f).is_file() for f in images)
            assert ended.wait(60) and runs == ["failed"]  # the workflow's sample failed
            params = stopped["parameters"]
            on_disk = directory.glob(f"{params['prefix']}_{params['run_number']}_*.cbf")
            assert sorted(map(str, on_disk)) == sorted(images)  # none written after the stop
            assert gui.queue_get_node(after)["status"] == "success"  # the queue went on
            assert finished[node_id][2] <= finished[workflow][2] <= finished[after][2]
            again = gui.queue_add_child(second, {"type": "DataCollection", "parameters": QUICK})
            ended.clear()
            assert gui.start_queue() is True
            assert ended.wait(60) and runs[-1] == "success"
            assert gui.queue_get_node(again)["status"] == "success"
    finally:
        repository.shutdown()
