"""``mxgui --check`` on the controls-demo beamline: everything OK with the demo servers
up; with a device server down its objects FAILED naming the device and file:line, and
the rest loads. In the GUI, a brick on a Tango motor turns red with the reason when the
device server is killed, and live again when it comes back (real servers, no mocks).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from control_servers import free_port, free_tcp_udp_port
from demo_servers_helpers import (
    CONTROLS_DEMO,
    EPICS_FILES,
    TANGO_FILES,
    Launcher,
    controls_demo_copy,
    repository_args,
    tango_only,
)

from mxgui.core.centring import CENTRING_MOTORS, CentredPosition
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.demo_servers.server_process import loopback_epics_environment

from helpers import SIMULATED

TANGO_OBJECTS = {f"/{name}": spec for name, spec in TANGO_FILES.items()}
EPICS_OBJECTS = {f"/{name}": spec for name, spec in EPICS_FILES.items()}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    launcher = Launcher(tmp_path_factory.mktemp("demo") / "launcher.log")
    launcher.start()
    yield launcher
    launcher.stop()
    launcher.kill()


def check(directories: list[Path], epics: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mxgui", "--check", *repository_args(directories)],
        env={**os.environ, **epics, "QT_QPA_PLATFORM": "offscreen"},
        capture_output=True,
        text=True,
        timeout=240,
    )


def object_lines(stdout: str) -> dict[str, str]:
    """The report's lines per object name (``/phi``), the reason included."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        match = re.match(r"(OK|FAILED)\s+(/\S+) ", line)
        if match:
            found[match.group(2)] = found.get(match.group(2), "") + line + "\n"
    return found


def binding_lines(path: Path) -> set[int]:
    """The lines of ``path`` a device problem may point at: its <tangoname>, <pv_prefix>,
    <channel> and <command> elements, and the object's own line (defaults)."""
    lines = path.read_text().splitlines()
    return {
        number
        for number, text in enumerate(lines, 1)
        if re.search(r"<(object|tangoname|pv_prefix|channel|command)\b", text)
    }


def test_the_files_differ_from_simulated_only_where_a_device_is_on_a_control_system():
    files = {path.stem for path in CONTROLS_DEMO.glob("*.xml")}
    assert files == {name[1:] for name in {**TANGO_OBJECTS, **EPICS_OBJECTS}}
    assert files <= {path.stem for path in SIMULATED.glob("*.xml")}  # each replaces one


def test_with_the_demo_servers_up_every_object_is_ok(servers, tmp_path):
    directories = controls_demo_copy(tmp_path / "controls-demo", servers.tango_port)
    result = check(directories, servers.epics_env)
    lines = object_lines(result.stdout)
    for name, (cls, _) in {**TANGO_OBJECTS, **EPICS_OBJECTS}.items():
        assert lines[name] == f"OK      {name} ({cls})\n", result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check passed" in result.stdout
    assert "Traceback" not in result.stderr, result.stderr


def test_with_the_tango_server_down_its_objects_fail_naming_device_and_line(servers, tmp_path):
    nobody = free_port()  # where the files look for Tango, no server listens
    directories = controls_demo_copy(tmp_path / "controls-demo", nobody)
    result = check(directories, servers.epics_env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = object_lines(result.stdout)
    for name, (cls, device) in TANGO_OBJECTS.items():
        line = lines[name]
        assert line.startswith(f"FAILED  {name} ({cls}): "), result.stdout
        path = directories[0] / f"{name[1:]}.xml"
        where = re.search(rf"{re.escape(str(path))}:(\d+): ", line)
        assert where, line
        assert int(where.group(1)) in binding_lines(path), line
        assert device in line and "does not answer" in line, line
    for name, (cls, _) in EPICS_OBJECTS.items():  # the rest loads
        assert lines[name] == f"OK      {name} ({cls})\n", result.stdout
    assert lines["/diffractometer"].startswith("OK"), result.stdout
    assert "check failed" in result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    # one line per object, brick and connection (Tango's reasons run over several lines)
    words = ("OK      ", "FAILED  ", "check failed")
    assert [x for x in result.stdout.splitlines() if not x.startswith(words)] == []


def test_with_the_ioc_down_its_objects_fail_naming_pv_and_line(servers, tmp_path):
    directories = controls_demo_copy(tmp_path / "controls-demo", servers.tango_port)
    nobody = loopback_epics_environment(free_tcp_udp_port(), free_tcp_udp_port())
    result = check(directories, nobody)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = object_lines(result.stdout)
    for name, (cls, prefix) in EPICS_OBJECTS.items():
        line = lines[name]
        assert line.startswith(f"FAILED  {name} ({cls}): "), result.stdout
        path = directories[0] / f"{name[1:]}.xml"
        where = re.search(rf"{re.escape(str(path))}:(\d+): ", line)
        assert where and int(where.group(1)) in binding_lines(path), line
        assert f"EPICS PV {prefix}" in line, line
    for name, (cls, _) in TANGO_OBJECTS.items():
        assert lines[name] == f"OK      {name} ({cls})\n", result.stdout
    assert "Traceback" not in result.stderr, result.stderr


# -- in the GUI ------------------------------------------------------------------------


@pytest.fixture
def tango_demo(tmp_path):
    yield from tango_only(tmp_path)


def test_a_brick_turns_red_when_its_tango_server_dies_and_live_when_it_is_back(
    tango_demo, make_app, qtbot
):
    server, directories = tango_demo
    app = make_app(repository_dirs=directories)
    brick = app.built.bricks["sampx"]
    motor = app.repository.get("/sampx")
    qtbot.waitUntil(lambda: motor.get_state() is HardwareObjectState.READY, timeout=10_000)
    assert brick.isEnabled() and brick.unavailable == ""
    moves = server.device("demo/md/sampx").read_attribute("Moves").value

    server.kill()
    qtbot.waitUntil(lambda: not brick.isEnabled(), timeout=10_000)
    assert "demo/md/sampx" in brick.unavailable
    assert brick.toolTip() == brick.unavailable
    assert brick.property("unavailable") == "true"
    assert motor.get_state() is HardwareObjectState.FAULT
    phi = app.built.bricks["phi"]  # every brick on that server
    qtbot.waitUntil(lambda: "demo/md/phi" in phi.unavailable, timeout=10_000)
    # the rest of the beamline works on
    assert app.repository.get("/zoom").get_state() is HardwareObjectState.READY

    server.start()
    qtbot.waitUntil(brick.isEnabled, timeout=15_000)
    assert brick.unavailable == "" and brick.property("unavailable") == "false"
    qtbot.waitUntil(lambda: motor.get_state() is HardwareObjectState.READY, timeout=10_000)
    # and it moves again, through the restarted server
    motor.set_value(0.25).result(timeout=10)
    device = server.device("demo/md/sampx")
    assert device.read_attribute("LastTarget").value == pytest.approx(0.25)
    assert device.read_attribute("Moves").value == 1  # a new server counts from zero
    assert moves == 0
    server.kill()  # its output thread ends before the app's thread check


def test_the_beamline_starts_with_its_tango_server_down_and_comes_alive_with_it(
    tango_demo, make_app, qtbot, caplog
):
    """Nothing fails at start while the goniometer's server is down: its bricks are red,
    the camera shows an empty scene (no error: there is nothing to place without the
    motors' positions); when the server starts, the bricks live and the crystal is seen."""
    server, directories = tango_demo
    server.kill()
    app = make_app(repository_dirs=directories)
    brick = app.built.bricks["sampx"]
    diffractometer = app.repository.get("/diffractometer")
    qtbot.waitUntil(lambda: "demo/md/sampx" in brick.unavailable, timeout=10_000)
    assert list(diffractometer.camera_view().shapes) == []
    assert app.repository.failures == {}  # every object loaded
    # saved shapes cannot be placed on the image without the goniometer's positions:
    # the sample view leaves them (a KeyError in its projection aborted mxgui here)
    shapes = app.repository.get("/shapes")
    here = CentredPosition(phi=0.0, phiy=0.0, phiz=0.0, sampx=0.0, sampy=0.0)
    point = shapes.add_point(here)
    shapes.add_line(here, dataclasses.replace(here, sampx=0.1))
    sample_view = app.built.bricks["sample_view"]
    qtbot.wait(300)  # an exception in a Qt slot would fail the test here
    assert sample_view.positions == {}
    aperture = app.built.bricks["beam"].aperture_box
    assert aperture.currentText() == ""  # not known: not the list's first name either
    status = app.status_bar.hardware_label
    qtbot.waitUntil(lambda: "not answering" in status.text(), timeout=3000)
    assert "/sampx: Tango device" in status.toolTip()
    assert not sample_view.shape_layer.items[point.id].isVisible()  # not at a wrong place

    server.start()
    qtbot.waitUntil(brick.isEnabled, timeout=15_000)
    qtbot.waitUntil(lambda: len(diffractometer.camera_view().shapes) > 0, timeout=10_000)
    qtbot.waitUntil(lambda: set(sample_view.positions) >= set(CENTRING_MOTORS), timeout=10_000)
    assert sample_view.shape_layer.items[point.id].isVisible()
    qtbot.waitUntil(lambda: "not answering" not in status.text(), timeout=3000)
    qtbot.waitUntil(lambda: aperture.currentText() == "A50", timeout=3000)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
    server.kill()  # its output thread ends before the app's thread check
