"""Tango and EPICS devices in the GUI: event load while the camera runs, and a move's cost.

Starts the demo device servers (``mxgui.demo_servers``) on 127.0.0.1 with ``--bench``:
``--devices`` Tango motors (``demo/bench/m01``...) and as many EPICS PVs
(``BENCH:BENCH:01``...), each changing by itself at 10 Hz with an event per change.
The mxgui application runs a window with the sample view (the simulated camera
streaming at its configured rate) and one motor brick per Tango motor (``TangoMotor``
objects loaded from mxcubecore-style files); each EPICS PV is a channel whose values go
to a label through the GUI bridge, the path every hardware-object signal takes.
Measured over ``--seconds`` after a warm-up:

- ``controls_gui_latency_p99`` / ``_median``: a thread posts an event to the GUI thread
  every 5 ms and the delay until it runs is recorded (what a hardware signal waits for);
- ``controls_cpu_share``: CPU time of the mxgui process (all its threads) over wall
  time, in % of one core; the servers' own CPU is not counted;
- ``controls_tango_events`` / ``controls_epics_events``: values delivered to the GUI
  thread per second (20 devices x 10 Hz = 200/s each when nothing is lost);
- ``controls_move_<system>`` and ``controls_move_simulated``: a 0.001-unit move with
  ``set_value(..., timeout=None)`` from call to return (median of ``--moves``), for a
  TangoMotor (``demo/md/sampx``), an EpicsMotor (a motor record) and the simulated
  motor with the same speed; ``controls_move_added_<system>`` is the difference.

Run under ``xvfb-run -a`` (or ``QT_QPA_PLATFORM=offscreen``). Prints one JSON object per
figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
# benchmarks/queue.py would hide the standard library's queue module
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))  # this checkout, also where another one is installed
sys.path.insert(0, str(ROOT / "tests"))  # the servers' start helpers

from control_servers import _wait_for_line, epics_environment, free_port  # noqa: E402


def _camera_benchmark() -> ModuleType:
    # by its path: benchmarks/ on sys.path would hide the standard library's queue module
    spec = importlib.util.spec_from_file_location("camera_benchmark", HERE / "camera.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_camera = _camera_benchmark()
LatencyProbe, run_for = _camera.LatencyProbe, _camera.run_for

SIMULATED = ROOT / "HardwareRepository" / "simulated"
PREFIX = "BENCH:"


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 2), "unit": unit, "target": target}))


def start(
    argv: list[str], env: dict[str, str], marker: bytes, what: str
) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", *argv],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    _wait_for_line(process, marker, 60.0, what)
    return process


def tango_motor_xml(port: int, device: str, username: str) -> str:
    return f"""<object class="tango.motor.TangoMotor">
  <username>{username}</username>
  <tangoname>tango://127.0.0.1:{port}/{device}#dbase=no</tangoname>
  <unit>mm</unit>
</object>
"""


def epics_value_xml(pv: str) -> str:
    return f"""<object class="Value">
  <channel type="epics" name="value">{pv}</channel>
</object>
"""


def layout_yaml(motors: list[str]) -> str:
    bricks = "".join(
        f"""
                - class: MotorBrick
                  name: {name}
                  properties: {{motor: /{name}, show_step: false}}"""
        for name in motors
    )
    return f"""\
format_version: 1
windows:
  - name: main
    title: controls benchmark
    size: [1500, 950]
    content:
      type: hbox
      children:
        - class: SampleViewBrick
          name: sample_view
        - type: vbox
          children:{bricks}
connections: []
"""


def move_time(motor: object, moves: int) -> float:
    """Median seconds of a 0.001-unit move there and back, call to return."""
    times = []
    start_value = float(motor.get_known_value())  # type: ignore[attr-defined]
    for i in range(moves):
        target = start_value + (0.001 if i % 2 == 0 else 0.0)
        began = time.perf_counter()
        motor.set_value(target, timeout=None)  # type: ignore[attr-defined]
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=20, help="Tango motors and EPICS PVs")
    parser.add_argument("--seconds", type=float, default=10.0, help="time measured")
    parser.add_argument("--moves", type=int, default=20, help="moves per motor")
    args = parser.parse_args()

    env = epics_environment()
    os.environ.update(env)  # channel access reads it once, before the first channel
    tango_port = free_port()
    servers = [
        start(
            ["mxgui.demo_servers.tango_devices", str(tango_port), "--bench", str(args.devices)],
            env,
            b"Ready to accept request",
            "the Tango demo devices",
        ),
        start(
            ["mxgui.demo_servers.ca_ioc", "--prefix", PREFIX, "--bench", str(args.devices)],
            env,
            b"IOC READY",
            "the demo IOC",
        ),
    ]
    try:
        measure(args, tango_port)
    finally:
        for process in servers:
            process.kill()
            process.wait(10)


def measure(args: argparse.Namespace, tango_port: int) -> None:
    from PyQt5.QtWidgets import QApplication, QLabel

    from mxgui.core.hardware_object import HardwareObject
    from mxgui.core.xml_config import parse_file
    from mxgui.gui.application import MxguiApplication

    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    platform = qapp.platformName()
    names = [f"bench_m{i:02d}" for i in range(1, args.devices + 1)]
    with tempfile.TemporaryDirectory() as directory:
        repository = Path(directory) / "bench"
        repository.mkdir()
        for i, name in enumerate(names, 1):
            (repository / f"{name}.xml").write_text(
                tango_motor_xml(tango_port, f"demo/bench/m{i:02d}", name)
            )
        (repository / "tango_sampx.xml").write_text(
            tango_motor_xml(tango_port, "demo/md/sampx", "Tango sampx")
        )
        (repository / "epics_distance.xml").write_text(f"""<object class="epics.motor.EpicsMotor">
  <pv_prefix>{PREFIX}DET:DIST</pv_prefix>
</object>
""")
        layout = Path(directory) / "bench.yml"
        layout.write_text(layout_yaml(names))
        app = MxguiApplication([repository, SIMULATED], layout)
        window = app.start()
        try:
            bridge = app.context.bridge
            tango_events = [0]
            motors = [app.repository.get(f"/{name}") for name in names]
            for motor in motors:
                bridge.connect(
                    motor,
                    "valueChanged",
                    lambda _v: tango_events.__setitem__(0, tango_events[0] + 1),
                )
            epics_events = [0]
            labels = []
            for i in range(1, args.devices + 1):
                path = repository / f"epics_{i:02d}.xml"
                path.write_text(epics_value_xml(f"{PREFIX}BENCH:{i:02d}"))
                value = HardwareObject(f"/epics_{i:02d}")
                value.configure(parse_file(path))
                label = QLabel()
                labels.append(label)

                def show(v: object, label: QLabel = label) -> None:
                    label.setText(f"{v}")
                    epics_events[0] += 1

                value.get_channel("value").subscribe(lambda v, show=show: bridge.post(show, v))
            camera = app.repository.get("/sample_camera")
            camera.start_streaming()
            run_for(2.0)  # connections made, values flowing
            probe = LatencyProbe()
            tango_before, epics_before = tango_events[0], epics_events[0]
            cpu_before, began = time.process_time(), time.perf_counter()
            probe.start()
            run_for(args.seconds)
            probe.stop()
            elapsed = time.perf_counter() - began
            cpu = time.process_time() - cpu_before
            import numpy as np

            delays = [d * 1000.0 for d in probe.delays]
            emit(
                f"controls_gui_latency_p99_{platform}",
                float(np.percentile(delays, 99)),
                "ms",
                "<= 30",
            )
            emit(f"controls_gui_latency_median_{platform}", float(np.median(delays)), "ms", "<= 30")
            emit(f"controls_cpu_share_{platform}", 100.0 * cpu / elapsed, "% of a core", "<= 50")
            emit(
                "controls_tango_events",
                (tango_events[0] - tango_before) / elapsed,
                "values/s",
                f">= {10 * args.devices * 0.9:g}",
            )
            emit(
                "controls_epics_events",
                (epics_events[0] - epics_before) / elapsed,
                "values/s",
                f">= {10 * args.devices * 0.9:g}",
            )
            camera.stop_streaming()

            from concurrent.futures import ThreadPoolExecutor

            simulated = app.repository.get("/sampx")
            tango = app.repository.get("/tango_sampx")
            epics = app.repository.get("/epics_distance")
            deadline = time.monotonic() + 10.0
            while any(m.get_value() is None for m in (tango, epics)):
                if time.monotonic() > deadline:
                    raise SystemExit("the Tango or EPICS motor gave no value within 10 s")
                run_for(0.05)
            with ThreadPoolExecutor(1) as worker:  # moves never block the GUI thread
                sim_ms = 1000 * run_in(worker, move_time, simulated, args.moves)
                tango_ms = 1000 * run_in(worker, move_time, tango, args.moves)
                epics_ms = 1000 * run_in(worker, move_time, epics, args.moves)
            emit("controls_move_simulated", sim_ms, "ms", "<= 30")
            emit("controls_move_tango", tango_ms, "ms", "<= 30")
            emit("controls_move_epics", epics_ms, "ms", "<= 30")
            emit("controls_move_added_tango", tango_ms - sim_ms, "ms", "<= 20")
            emit("controls_move_added_epics", epics_ms - sim_ms, "ms", "<= 20")
        finally:
            window.close()
            app.stop()


def run_in(worker: object, function: object, *args: object) -> float:
    """Run ``function(*args)`` in ``worker`` while the GUI's event loop goes on."""
    future = worker.submit(function, *args)  # type: ignore[attr-defined]
    while not future.done():
        run_for(0.02)
    return float(future.result())


if __name__ == "__main__":
    main()
