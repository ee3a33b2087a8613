"""A read-only data directory (issue 11, item 9), with the real mxgui under Xvfb: adding
a task works, mxgui says once and clearly that the directory is read-only (no line per
save attempt), a collection fails with the reason, and mxgui quits without a traceback."""

from __future__ import annotations

import os
import re
import shutil
import xmlrpc.client
from pathlib import Path

import pytest
from test_e2e import mxgui_shown, sigterm_mxgui

from helpers import wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("xvfb-run") is None, reason="needs xvfb-run (scripts/setup.sh installs it)"
    ),
]


def unprivileged() -> tuple[str, ...]:
    """A command prefix under which the directory's mode holds: root bypasses it, so
    as root mxgui runs without the capabilities that let it (setpriv)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a directory cannot be made read-only")
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner")


def connect(log_path: Path) -> xmlrpc.client.ServerProxy:
    """A client of the server named in the log (with its token, if it has one)."""
    text = log_path.read_text()
    found = re.search(r"XML-RPC server listening on (http://\S+)", text)
    assert found, text
    token = re.search(r"XML-RPC token in (\S+)", text)
    headers = [("Token", Path(token.group(1)).read_text().strip())] if token else []
    return xmlrpc.client.ServerProxy(found.group(1), allow_none=True, headers=headers)


def test_a_read_only_data_directory_is_said_once_and_the_gui_works_on(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o555)
    env = {"MXGUI_DATA_DIR": str(data)}
    args = ("--xmlrpc-port", "0", "--log-level", "DEBUG")
    try:
        with mxgui_shown(tmp_path, args, env, unprivileged()) as (process, log_path):
            gui = connect(log_path)
            sample = gui.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
            task = gui.queue_add_child(
                sample, {"type": "DataCollection", "parameters": {"num_images": 2}}
            )
            assert gui.queue_get_node(task)["type"] == "DataCollection"
            # the store tries again and again; each attempt is at debug level only
            wait_for(
                lambda: log_path.read_text().count("the queue could not be saved") >= 3, timeout=60
            )
            gui.start_queue()
            wait_for(lambda: gui.queue_get_node(task)["status"] == "failed", timeout=60)
            node = gui.queue_get_node(task)
            assert "Permission denied" in node["message"], node
            sigterm_mxgui(process)
    finally:
        data.chmod(0o755)
    output = log_path.read_text()
    assert not any(data.iterdir())  # nothing was written
    shown = [line for line in output.splitlines() if re.search(r" (ERROR|WARNING|CRITICAL) ", line)]
    read_only = [line for line in shown if "is read-only" in line]
    assert len(read_only) == 1, "\n".join(shown)
    assert f"The directory {data} is read-only (Permission denied)" in read_only[0]
    assert not [line for line in shown if "could not be saved" in line], "\n".join(shown)
    assert "internal error" not in output and "-32603" not in output
    assert "Traceback" not in output
    assert "mxgui stopped" in output


def test_a_data_directory_made_read_only_while_mxgui_runs_loses_nothing(tmp_path):
    """The queue file and the marker of a running mxgui exist when the directory turns
    read-only: changes wait in memory, are saved when it can be written again, and a
    quit while it is read-only ends without a traceback, the old file intact."""
    data = tmp_path / "data"
    kept = data / ".mxgui"
    queue_json = kept / "queue.json"
    env = {"MXGUI_DATA_DIR": str(data)}
    args = ("--xmlrpc-port", "0", "--log-level", "DEBUG")
    with mxgui_shown(tmp_path, args, env, unprivileged()) as (process, log_path):
        gui = connect(log_path)
        sample = gui.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        wait_for(lambda: queue_json.exists() and (kept / "queue.json.running").exists(), timeout=60)
        saved = queue_json.read_text()
        kept.chmod(0o555)
        try:
            task = gui.queue_add_child(sample, {"type": "DataCollection", "parameters": {}})
            wait_for(
                lambda: log_path.read_text().count("the queue could not be saved") >= 3, timeout=60
            )
            assert queue_json.read_text() == saved
            kept.chmod(0o755)  # writable again: the change is saved by itself
            wait_for(lambda: "the queue is saved again" in log_path.read_text(), timeout=60)
            assert f'"id":{task},"type":"DataCollection"' in queue_json.read_text()
            saved = queue_json.read_text()
            kept.chmod(0o555)
            gui.queue_add_child(sample, {"type": "DataCollection", "parameters": {}})
            wait_for(
                lambda: log_path.read_text().count("the queue could not be saved") >= 4, timeout=60
            )
            sigterm_mxgui(process)
        finally:
            kept.chmod(0o755)
    output = log_path.read_text()
    shown = [line for line in output.splitlines() if re.search(r" (ERROR|WARNING|CRITICAL) ", line)]
    read_only = [line for line in shown if "is read-only" in line]
    # told again after it was writable, but within a minute: folded by the log's filter
    assert len(read_only) == 1, "\n".join(shown)
    assert all(f"The directory {kept} is read-only" in line for line in read_only)
    assert "Traceback" not in output and "mxgui stopped" in output
    assert queue_json.read_text() == saved  # the last good file, whole
