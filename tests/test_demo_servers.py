"""``mxgui-demo-servers``: both demo servers up on loopback, said where, stopped together
(on SIGTERM, when ``--run CMD`` ends, or when one of them dies); a port in use named."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from demo_servers_helpers import Launcher, read_pv, tango_device

from helpers import wait_for


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie (its parent has not reaped it yet) has ended as well
    return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")


@pytest.fixture
def launcher(tmp_path):
    started: list[Launcher] = []

    def make(*extra: str) -> Launcher:
        started.append(Launcher(tmp_path / f"launcher{len(started)}.log", extra))
        return started[-1]

    yield make
    for one in started:
        one.kill()


@pytest.mark.parametrize(
    ("option", "kind", "what"),
    [
        ("--tango-port", socket.SOCK_STREAM, "the Tango devices"),
        ("--ca-port", socket.SOCK_DGRAM, "the Channel Access server"),
        ("--ca-repeater-port", socket.SOCK_DGRAM, "the Channel Access repeater"),
    ],
)
def test_a_port_in_use_is_named_and_nothing_starts(launcher, option, kind, what):
    demo = launcher()
    with socket.socket(socket.AF_INET, kind) as taken:
        taken.bind(("127.0.0.1", 0))
        if kind == socket.SOCK_STREAM:
            taken.listen()
        port = taken.getsockname()[1]
        args = [a if a != str(port_of(demo, option)) else str(port) for a in demo.args]
        result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"port {port} on 127.0.0.1 ({what}) is in use" in result.stderr
    assert f"choose another port with {option}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # nothing was started


def port_of(demo: Launcher, option: str) -> int:
    return {
        "--tango-port": demo.tango_port,
        "--ca-port": demo.ca_port,
        "--ca-repeater-port": demo.repeater_port,
    }[option]


def test_run_needs_a_command():
    result = subprocess.run(
        [sys.executable, "-m", "mxgui.demo_servers", "--run"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--run needs a command" in result.stderr


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_both_servers_come_up_say_where_and_stop_on_a_signal(launcher, how):
    demo = launcher()
    demo.start()
    output = demo.output()
    assert f"tango://127.0.0.1:{demo.tango_port}/demo/md/phi#dbase=no" in output
    assert f"EPICS demo IOC on 127.0.0.1:{demo.ca_port}" in output
    assert "EPICS_CA_AUTO_ADDR_LIST=NO" in output and "EPICS_CA_ADDR_LIST=127.0.0.1" in output
    # served where it says, to plain clients of each control system
    assert tango_device(demo.tango_port, "demo/md/phi").read_attribute("Position").value == 0
    assert read_pv("DEMO:DET:DIST.RBV", demo.epics_env) == pytest.approx(150)
    pids = demo.server_pids()
    assert set(pids) == {"tango_devices", "ca_ioc"}

    assert demo.stop(how) == 0
    assert f"signal {how.name} received: stopping" in demo.output()
    assert demo.output().rstrip().endswith("demo servers stopped")
    assert all(gone(pid) for pid in pids.values())


def test_run_starts_the_command_with_the_epics_settings_and_stops_the_servers_after(launcher):
    probe = (
        "import os; from caproto.sync.client import read; "
        "print('AUTO', os.environ['EPICS_CA_AUTO_ADDR_LIST']); "
        "print('CURRENT', round(read('DEMO:RING:CURRENT', repeater=False).data[0])); "
        "raise SystemExit(3)"
    )
    demo = launcher("--run", sys.executable, "-c", probe)
    demo.start(until="demo servers stopped")
    assert demo.process.wait(30) == 3  # the command's code
    output = demo.output()
    assert "AUTO NO" in output
    assert 150 < int(output.split("CURRENT ", 1)[1].split()[0]) < 250  # around 200 mA
    assert f"{sys.executable} ended with code 3: stopping" in output
    assert not demo.server_pids()


def test_a_command_that_cannot_run_is_named_and_the_servers_stop(launcher):
    demo = launcher("--run", "/nonexistent/mxgui")
    demo.start(until="demo servers stopped")
    assert demo.process.wait(30) == 2
    assert "cannot run /nonexistent/mxgui: " in demo.output()
    assert not demo.server_pids()


def test_a_server_that_dies_is_named_and_the_other_is_stopped(launcher):
    demo = launcher()
    demo.start()
    pids = demo.server_pids()
    os.kill(pids["tango_devices"], signal.SIGKILL)
    assert demo.process.wait(60) == 1
    assert "the tango server ended with code -9: stopping" in demo.output()
    wait_for(lambda: gone(pids["ca_ioc"]), "the IOC stopped", timeout=10)
