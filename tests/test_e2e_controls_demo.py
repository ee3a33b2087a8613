"""End-to-end on the controls-demo beamline: ``mxgui-demo-servers`` up, the real
``mxgui`` under Xvfb on ``controls-demo`` (before ``simulated/``, as the README's command
has it), driven over XML-RPC as a workflow drives it (as tests/test_e2e.py does). The
moves are checked on the servers' side: the Tango devices count the moves they were
asked for (``Moves``, ``LastTarget``), the IOC counts the detector-distance moves
(``DEMO:DET:DIST:MOVES``).

The 3-click centring by X events on the real ``mxgui`` is
``tests/test_e2e_controls_demo_clicks.py`` (in-process with pytest-qt:
``tests/test_controls_demo_centring.py``). Here the centring is the X-ray centring
workflow's.
"""

from __future__ import annotations

import shutil
import xmlrpc.client

import pytest
from demo_servers_helpers import (
    DemoTangoServer,
    controls_demo_copy,
    read_pv,
    repository_args,
    tango_device,
)
from tango import DevFailed, DevState
from test_e2e import mxgui_shown, sigterm_mxgui
from test_e2e_crash import gui_of

from helpers import SIMULATED, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("xvfb-run") is None, reason="needs xvfb-run (scripts/setup.sh installs it)"
    ),
]

CENTRING = {"phiy": 0.12, "phiz": -0.05, "sampx": 0.03, "sampy": -0.02}
DISTANCE = 230.0


def moves(port: int, motor: str) -> int:
    return int(tango_device(port, f"demo/md/{motor}").read_attribute("Moves").value)


def last_target(port: int, motor: str) -> float:
    return float(tango_device(port, f"demo/md/{motor}").read_attribute("LastTarget").value)


def moved(gui: xmlrpc.client.ServerProxy, positions: dict[str, float]) -> bool:
    """Whether ``move_diffractometer`` went through (False: refused, with a Fault)."""
    try:
        return bool(gui.move_diffractometer(positions))
    except xmlrpc.client.Fault:
        return False


def executing(gui: xmlrpc.client.ServerProxy, busy: list[str]) -> bool:
    """Whether the queue runs; an HTTP 503 (every XML-RPC worker busy with the
    workflow's calls for 5 s, which the server asks to retry) counts as running and is
    kept in ``busy``."""
    try:
        return bool(gui.is_queue_executing())
    except xmlrpc.client.ProtocolError as exc:
        if exc.errcode != 503:
            raise
        busy.append(exc.errmsg)
        return True


def counted(port: int, motor: str) -> int | None:
    """The device's count of moves, or None while this process cannot reach it."""
    try:
        return moves(port, motor)
    except DevFailed:
        return None


def collection(**parameters: object) -> dict[str, object]:
    return {
        "type": "DataCollection",
        "parameters": {
            "osc_start": 10.0,
            "osc_range": 0.5,
            "num_images": 20,
            "exp_time": 0.01,
            "detector_roi_mode": "test",
            "detector_distance": DISTANCE,
            "take_snapshots": 0,
            "prefix": "demo",
            **parameters,
        },
    }


def test_the_real_mxgui_moves_and_collects_through_tango_and_epics(demo, tmp_path):
    directories = controls_demo_copy(tmp_path / "controls-demo", demo.tango_port)
    env = {**demo.epics_env, "MXGUI_DATA_DIR": str(tmp_path / "data")}
    args = ("--xmlrpc-port", "0", *repository_args(directories))
    objects = len({p.name for d in directories for p in d.glob("*.xml")})
    distance_moves = read_pv("DEMO:DET:DIST:MOVES", demo.epics_env)
    with mxgui_shown(tmp_path, args, env) as (process, log_path):
        wait_for(
            lambda: "hardware objects loaded" in log_path.read_text(), "the objects", timeout=60
        )
        assert f"{objects} hardware objects loaded, 0 failed" in log_path.read_text()
        gui = gui_of(log_path.read_text())
        # a centred position, as a centring workflow sends it: through Tango
        assert gui.move_diffractometer(CENTRING) is True
        positions = gui.get_diffractometer_positions()
        for motor, value in CENTRING.items():
            assert positions[motor] == pytest.approx(value, abs=1e-6)
            assert moves(demo.tango_port, motor) == 1
            assert last_target(demo.tango_port, motor) == pytest.approx(value)

        sample = gui.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        task = gui.queue_add_child(sample, collection())
        assert gui.start_queue() is True
        wait_for(lambda: not gui.is_queue_executing(), "the end of the collection", timeout=120)
        node = gui.queue_get_node(task)
        assert node["status"] == "success", node["message"]
        assert len([f for f in node["files"] if f.endswith(".cbf")]) == 20
        # omega went to the start, then swept to the end, through the Tango device
        assert moves(demo.tango_port, "phi") >= 2
        assert last_target(demo.tango_port, "phi") == pytest.approx(10.0 + 20 * 0.5)
        # the detector distance moved through the IOC's motor record
        assert read_pv("DEMO:DET:DIST:MOVES", demo.epics_env) == distance_moves + 1
        assert read_pv("DEMO:DET:DIST.RBV", demo.epics_env) == pytest.approx(DISTANCE)
        assert gui.get_diffractometer_positions()["phi"] == pytest.approx(20.0, abs=0.01)
        sigterm_mxgui(process)
    output = log_path.read_text()
    assert "mxgui stopped" in output
    assert "Traceback" not in output


def test_an_xray_centring_workflow_centres_through_the_tango_goniometer(demo, tmp_path):
    """The shipped X-ray centring workflow, as tests/test_e2e.py runs it on the simulated
    beamline: a mesh, a line scan at omega + 90, and the centring ends on the best cell,
    every move through the Tango devices."""
    directories = controls_demo_copy(tmp_path / "controls-demo", demo.tango_port)
    data = tmp_path / "data"
    env = {**demo.epics_env, "MXGUI_DATA_DIR": str(data)}
    args = ("--xmlrpc-port", "0", *repository_args(directories))
    with mxgui_shown(tmp_path, args, env) as (process, log_path):
        gui = gui_of(log_path.read_text())
        sample = gui.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        task = gui.queue_add_child(
            sample, '{"type": "XrayCentring", "parameters": {"exp_time": 0.001}}'
        )
        assert gui.start_queue() is True
        busy: list[str] = []
        wait_for(lambda: not executing(gui, busy), "the end of the queue", timeout=240)
        node = gui.queue_get_node(task)
        assert node["status"] == "success", node["message"]
        added = [gui.queue_get_node(n) for n in gui.queue_get_node(sample)["children"]]
        assert [n["type"] for n in added] == ["XrayCentring", "MeshScan", "MeshScan"]
        assert all(n["status"] == "success" and n["files"] for n in added[1:])
        positions = gui.get_diffractometer_positions()
        assert moves(demo.tango_port, "phi") >= 1  # the turn to omega + 90 for the line
        assert last_target(demo.tango_port, "phi") == pytest.approx(positions["phi"])
        centring = [m for m in CENTRING if moves(demo.tango_port, m)]
        assert centring, "the centring moved no centring motor"
        for motor in centring:
            assert last_target(demo.tango_port, motor) == pytest.approx(positions[motor])
        sigterm_mxgui(process)
    output = log_path.read_text()
    assert "workflow XrayCentring started" in output
    assert "mxgui stopped" in output and "Traceback" not in output


def test_a_running_collection_fails_with_the_reason_when_the_tango_server_dies(demo, tmp_path):
    """The goniometer's Tango server is killed during a collection's sweep: the entry
    fails naming omega's device, the images taken are kept, the GUI still answers; once
    the server is back the objects reconnect by themselves and move again."""
    goniometer = DemoTangoServer()  # the goniometer alone: killed without the IOC
    goniometer.start()
    try:
        directories = controls_demo_copy(tmp_path / "controls-demo", goniometer.port)
        env = {**demo.epics_env, "MXGUI_DATA_DIR": str(tmp_path / "data")}
        args = ("--xmlrpc-port", "0", *repository_args(directories))
        with mxgui_shown(tmp_path, args, env) as (process, log_path):
            gui = gui_of(log_path.read_text())
            sample = gui.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
            # 1 deg per image at 0.1 s: a 60 s sweep of omega, killed within its first seconds
            task = gui.queue_add_child(
                sample, collection(num_images=600, osc_range=1.0, exp_time=0.1)
            )
            assert gui.start_queue() is True
            wait_for(lambda: gui.queue_get_node(task)["status"] == "running", "the run", timeout=60)
            omega = goniometer.device("demo/md/phi")
            # killed in the sweep (from 10 to 610 deg at 10 deg/s), images being written
            wait_for(lambda: omega.read_attribute("Position").value > 15, "the sweep", timeout=60)
            assert omega.state() == DevState.MOVING
            goniometer.kill()
            # the run ends by itself (the 3 s, with room for a loaded machine)
            wait_for(lambda: not gui.is_queue_executing(), "the failed run's end", timeout=20)
            node = gui.queue_get_node(task)
            assert node["status"] == "failed", node
            assert "omega" in node["message"] and "demo/md/phi" in node["message"], node
            images = [f for f in node["files"] if f.endswith(".cbf")]
            assert 0 < len(images) < 600  # what was taken is kept
            assert gui.get_diffractometer_positions() is not None  # still answering

            # the server comes back: the GUI's objects reconnect by themselves and move
            goniometer.start()
            wait_for(lambda: moved(gui, {"phiy": 0.2}), "a move after the restart", timeout=30)
            # counted by the new server (this process's client may wait to reconnect)
            wait_for(lambda: counted(goniometer.port, "phiy") == 1, "phiy's count", timeout=10)
            sigterm_mxgui(process)
        output = log_path.read_text()
        assert "mxgui stopped" in output
        assert "Traceback" not in output
    finally:
        goniometer.kill()


def test_the_readme_command_names_both_directories():
    """The README starts controls-demo before simulated/: the files that differ first."""
    readme = (SIMULATED.parents[1] / "README.md").read_text()
    command = (
        ".venv/bin/mxgui-demo-servers --run .venv/bin/mxgui "
        "--repository HardwareRepository/controls-demo --repository HardwareRepository/simulated"
    )
    assert command in readme
