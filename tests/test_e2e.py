"""End-to-end: the real ``mxgui`` command under Xvfb, as a user starts it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpers import SIMULATED, copy_simulated, line_of, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("xvfb-run") is None, reason="needs xvfb-run (scripts/setup.sh installs it)"
    ),
]


def run_mxgui(args: list[str], env_extra: dict[str, str], tmp_path: Path, timeout: float = 60):
    env = dict(os.environ, MXGUI_SETTINGS_DIR=str(tmp_path / "settings"), **env_extra)
    env.pop("QT_QPA_PLATFORM", None)  # the real xcb platform on the virtual screen
    return subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x1024x24", sys.executable, "-m", "mxgui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_mxgui_opens_its_window_without_any_error(tmp_path):
    result = run_mxgui([], {"MXGUI_QUIT_AFTER_PAINT": "1"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "MXGUI_FIRST_PAINT" in result.stdout
    assert "main window shown" in result.stderr
    assert "Traceback" not in result.stderr
    assert " ERROR " not in result.stderr and "CRITICAL" not in result.stderr, result.stderr
    objects = len(list(SIMULATED.rglob("*.xml")))
    assert f"{objects} hardware objects loaded, 0 failed" in result.stderr


def test_mxgui_with_a_broken_file_starts_and_names_file_and_line(tmp_path):
    repository = copy_simulated(
        tmp_path / "beamline", {"phiz": ("<velocity>0.5</velocity>", "<velocity>fast</velocity>")}
    )
    broken = repository / "phiz.xml"
    line = line_of(broken, "fast")
    result = run_mxgui(["--repository", str(repository)], {"MXGUI_QUIT_AFTER_PAINT": "1"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "main window shown" in result.stderr
    assert f"{broken}:{line}: property <velocity>" in result.stderr
    assert "Traceback" not in result.stderr


@contextmanager
def mxgui_shown(
    tmp_path: Path,
    args: tuple[str, ...] = (),
    env_extra: dict[str, str] | None = None,
    prefix: tuple[str, ...] = (),
) -> Iterator[tuple[subprocess.Popen, Path]]:
    """``mxgui *args`` started under xvfb-run (its output in ``tmp_path/mxgui.log``) once
    it logs "main window shown" (30 s at most); killed afterwards if still running.
    ``prefix``: a command that runs python (it must exec it, as ``setpriv`` does)."""
    env = dict(os.environ, MXGUI_SETTINGS_DIR=str(tmp_path / "settings"), **(env_extra or {}))
    env.pop("QT_QPA_PLATFORM", None)
    log_path = tmp_path / "mxgui.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["xvfb-run", "-a", *prefix, sys.executable, "-m", "mxgui", *args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            lambda: process.poll() is not None or "main window shown" in log_path.read_text(),
            "the main window",
            timeout=30,
        )
        assert process.poll() is None, log_path.read_text()
        assert "main window shown" in log_path.read_text(), log_path.read_text()
        yield process, log_path
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def sigterm_mxgui(process: subprocess.Popen) -> None:
    """SIGTERM to the python process (xvfb-run's child), not xvfb-run itself; wait for
    xvfb-run to end (30 s at most)."""
    children = subprocess.run(
        ["pgrep", "-s", str(process.pid), "-f", "--", r"^\S*python\S* -m mxgui"],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert children, "mxgui process not found"
    for pid in children:
        os.kill(int(pid), signal.SIGTERM)
    process.wait(timeout=30)


def test_mxgui_quits_cleanly_on_sigterm_and_remembers_the_window(tmp_path):
    with mxgui_shown(tmp_path) as (process, log_path):
        sigterm_mxgui(process)
    output = log_path.read_text()
    assert "signal SIGTERM received: quitting" in output
    assert "mxgui stopped" in output
    assert "Traceback" not in output
    settings = tmp_path / "settings" / "mxgui.ini"
    assert settings.is_file() and "geometry" in settings.read_text()


def test_a_workflow_script_drives_the_real_mxgui_and_nothing_is_left_running(tmp_path):
    """A client finds the server from the log line, queues an X-ray centring through it
    and runs the queue: the shipped workflow runs in its own process and calls the GUI
    back; SIGTERM then quits the GUI with no workflow process left behind."""
    import re
    import xmlrpc.client

    data = {"MXGUI_DATA_DIR": str(tmp_path / "data")}
    with mxgui_shown(tmp_path, ("--xmlrpc-port", "0"), data) as (process, log_path):
        found = re.search(r"XML-RPC server listening on (http://\S+)", log_path.read_text())
        assert found, log_path.read_text()
        token_file = re.search(r"XML-RPC token in (\S+)", log_path.read_text())
        assert token_file, log_path.read_text()  # the file an outside engine reads
        token = Path(token_file.group(1)).read_text().strip()
        gui = xmlrpc.client.ServerProxy(found.group(1), allow_none=True, headers=[("Token", token)])
        sample = gui.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        task = gui.queue_add_child(
            sample, '{"type": "XrayCentring", "parameters": {"exp_time": 0.001}}'
        )
        gui.start_queue()
        wait_for(lambda: not gui.is_queue_executing(), "the end of the queue", timeout=120)
        node = gui.queue_get_node(task)
        assert node["status"] == "success", node["message"]
        added = [gui.queue_get_node(n) for n in gui.queue_get_node(sample)["children"]]
        assert [n["type"] for n in added] == ["XrayCentring", "MeshScan", "MeshScan"]
        assert all(n["status"] == "success" and n["files"] for n in added[1:])
        sigterm_mxgui(process)
    output = log_path.read_text()
    assert "workflow XrayCentring started" in output
    assert "mxgui stopped" in output and "Traceback" not in output
    assert workflow_processes_of(tmp_path / "data") == []


def workflow_processes_of(data_dir: Path) -> list[str]:
    """Workflow runner processes started by the mxgui using ``data_dir`` (they inherit
    its environment; other tests' runners are not ours)."""
    ours = []
    runners = subprocess.run(
        ["pgrep", "-f", "mxgui.core.workflow.runner"], capture_output=True, text=True
    ).stdout.split()
    for pid in runners:
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:  # ended meanwhile
            continue
        if f"MXGUI_DATA_DIR={data_dir}".encode() in environ:
            ours.append(pid)
    return ours
