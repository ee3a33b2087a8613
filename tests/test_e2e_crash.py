"""End-to-end (issue 11, item 11): what a killed or early-stopped real ``mxgui`` leaves
behind, and what the next start makes of it. Run under Xvfb as ``test_e2e.py``."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import pytest
from test_e2e import mxgui_shown, sigterm_mxgui, workflow_processes_of
from workflow_fixtures import callback_client_xml

from mxgui.core.queue.persistence import INTERRUPTED
from mxgui.core.staging import STAGING_PREFIX
from mxgui.core.workflow_log import ABANDONED

from helpers import SIMULATED, quick_collect_overrides, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("xvfb-run") is None, reason="needs xvfb-run (scripts/setup.sh installs it)"
    ),
]

QUICK = {"osc_range": 1.0, "detector_roi_mode": "test", "detector_distance": 120.0}


def gui_of(log_text: str) -> xmlrpc.client.ServerProxy:
    """A client of the server the log names, sending the token if the log names its file."""
    found = re.search(r"XML-RPC server listening on (http://\S+)", log_text)
    assert found, log_text
    headers = []
    token_file = re.search(r"XML-RPC token in (\S+)", log_text)
    if token_file:
        headers.append(("Token", Path(token_file.group(1)).read_text().strip()))
    return xmlrpc.client.ServerProxy(found.group(1), allow_none=True, headers=headers)


def python_of(process: subprocess.Popen) -> int:
    """The ``python -m mxgui`` process under xvfb-run ``process``."""
    pids: list[str] = []

    def found() -> bool:
        pids[:] = subprocess.run(
            ["pgrep", "-s", str(process.pid), "-f", "--", r"^\S*python\S* -m mxgui"],
            capture_output=True,
            text=True,
        ).stdout.split()
        return bool(pids)

    wait_for(found, "the mxgui process", timeout=30)
    return int(pids[0])


def saved_status(data: Path, node_id: int) -> str | None:
    """The status of node ``node_id`` in the queue file under ``data``, if it is there."""
    try:
        saved = json.loads((data / ".mxgui" / "queue.json").read_text())
    except (OSError, ValueError):
        return None  # not written yet, or being replaced
    return next((n.get("status") for n in saved["nodes"] if n["id"] == node_id), None)


def test_after_kill_9_mid_collection_the_next_start_tidies_and_lists_the_images(tmp_path):
    """mxgui is killed (SIGKILL) while a workflow's nested collection writes images.
    The next mxgui shows the interrupted collection failed, listing every image on
    disk; the execution log has closed the killed run; no staging directory is left."""
    data = tmp_path / "data"
    repository = quick_collect_overrides(tmp_path)
    wf_log = data / ".mxgui" / "workflows.sqlite"
    (repository / "workflow.xml").write_text(callback_client_xml(wf_log))
    args = ("--repository", str(repository), "--repository", str(SIMULATED))
    args += ("--xmlrpc-port", "0")
    env = {"MXGUI_DATA_DIR": str(data)}
    marker = tmp_path / "marker"
    marker.mkdir()
    long_collection = dict(QUICK, num_images=3000, exp_time=0.01, take_snapshots=1)
    first = tmp_path / "first"
    first.mkdir()
    with mxgui_shown(first, args, env) as (process, log_path):
        gui = gui_of(log_path.read_text())
        sample = gui.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        parameters = {
            "workflow_name": "CallBack",
            "workflow_parameters": {"marker_dir": str(marker), "collection": long_collection},
        }
        workflow = gui.queue_add_child(sample, {"type": "Workflow", "parameters": parameters})
        assert gui.start_queue() is True
        wait_for((marker / "nested.json").exists, "the workflow's nested collection", timeout=60)
        nested = json.loads((marker / "nested.json").read_text())["node_id"]
        template = gui.queue_get_node(nested)["parameters"]
        directory = Path(template["directory"])
        run = f"{template['prefix']}_{template['run_number']}_"
        wait_for(lambda: len(list(directory.glob(run + "*.cbf"))) >= 20, "20 images", timeout=60)
        assert list(directory.glob(STAGING_PREFIX + "*"))  # the collection's, in use
        wait_for(
            lambda: saved_status(data, nested) == "running", "the queue file saved", timeout=60
        )
        os.kill(python_of(process), signal.SIGKILL)
        process.wait(30)
    wait_for(lambda: not workflow_processes_of(data), "the workflow process's end", timeout=10)
    images = sorted(map(str, directory.glob(run + "*.cbf")))
    snapshots = sorted(map(str, directory.glob(run + "snapshot_*.png")))
    assert 20 <= len(images) < 3000 and len(snapshots) == 1
    assert (data / ".mxgui" / "queue.json.running").exists()  # the crash's trace

    second = tmp_path / "second"
    second.mkdir()
    with mxgui_shown(second, args, env) as (process, log_path):
        gui = gui_of(log_path.read_text())
        interrupted = gui.queue_get_node(nested)
        assert (interrupted["status"], interrupted["message"]) == ("failed", INTERRUPTED)
        assert interrupted["files"] == images + snapshots  # every image on disk, none lost
        assert gui.queue_get_node(workflow)["status"] == "failed"
        with sqlite3.connect(f"file:{wf_log}?mode=ro", uri=True) as log_db:
            runs = log_db.execute("SELECT name, status, message, finished FROM runs").fetchall()
        assert len(runs) == 1
        name, status, message, finished = runs[0]
        assert (name, status, message) == ("CallBack", "failed", ABANDONED)
        assert finished is not None
        assert list(data.rglob(STAGING_PREFIX + "*")) == []
        sigterm_mxgui(process)
    output = log_path.read_text()
    assert "removed 1 staging directory left by a stopped mxgui" in output
    assert "was left running by a stopped mxgui: closed as failed" in output
    assert "Traceback" not in output
    assert not (data / ".mxgui" / "queue.json.running").exists()


def test_sigterm_right_after_the_server_accepts_calls_stops_cleanly(tmp_path):
    """SIGTERM while mxgui still starts (its XML-RPC server already took a task, so the
    queue file is in use): the start finishes, then mxgui stops cleanly; the queue is
    saved and no ``queue.json.running`` marker is left."""
    data = tmp_path / "data"
    env = dict(os.environ, MXGUI_SETTINGS_DIR=str(tmp_path / "settings"), MXGUI_DATA_DIR=str(data))
    env.pop("QT_QPA_PLATFORM", None)
    log_path = tmp_path / "mxgui.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["xvfb-run", "-a", sys.executable, "-m", "mxgui", "--xmlrpc-port", "0"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # the token's line follows the "listening" line by a moment: wait for both
        wait_for(
            lambda: all(
                line in log_path.read_text()
                for line in ("XML-RPC server listening", "XML-RPC token in")
            ),
            "the server and its token",
            timeout=30,
        )
        listening = time.monotonic()
        gui = gui_of(log_path.read_text())
        sample = gui.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        assert (data / ".mxgui" / "queue.json.running").exists()
        os.kill(python_of(process), signal.SIGTERM)
        early = "main window shown" not in log_path.read_text()
        print(f"SIGTERM {time.monotonic() - listening:.3f} s after the server listened")
        process.wait(60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    output = log_path.read_text()
    assert early, "the window was shown before the signal: not the early case"
    assert "signal SIGTERM received: quitting" in output
    assert "mxgui stopped" in output and "Traceback" not in output
    assert not (data / ".mxgui" / "queue.json.running").exists()
    saved = json.loads((data / ".mxgui" / "queue.json").read_text())
    assert sample in [node["id"] for node in saved["nodes"]]
