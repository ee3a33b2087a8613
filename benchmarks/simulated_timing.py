"""Simulated hardware on the real clock: do moves, mounts and frames keep their pace?

The tests run the simulation on a manual clock and check order and outcome; this
script checks the real-time figures the tests no longer measure:

- ``motor_move_time_ratio``: a 1.5 mm move at 4 mm/s (0.375 s expected), real
  duration / expected (median of 5): never below 1 (faster than the velocity), close
  to 1 (the readback period adds at most 20 ms; the tests' old band was +0.3 s);
- ``sample_changer_load_time_ratio``: a load at ``speed_factor`` 0.01 (0.33 s
  expected), real duration / expected (median of 5);
- ``sample_camera_streamed_frame_rate``: frames emitted in 2 s of streaming at 50
  frames/s (1280x1024, the simulated beamline's scene), per second.

Runs without a display. Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
from pathlib import Path

from hardware_objects.simulated.sample_changer import LOAD_STEPS
from mxgui.core.repository import HardwareRepository

SIMULATED = Path(__file__).resolve().parents[1] / "HardwareRepository" / "simulated"


def report(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target}))


def motor_ratio(repository: HardwareRepository) -> float:
    motor = repository.get("/sampx")
    motor.set_velocity(4.0)
    ratios = []
    for i in range(5):
        target = 1.5 if i % 2 == 0 else 0.0
        started = time.monotonic()
        motor.set_value(target).result(timeout=10)
        ratios.append((time.monotonic() - started) / (1.5 / 4.0))
    return statistics.median(ratios)


def changer_ratio(directory: Path) -> float:
    factor = 0.01
    (directory / "sc.xml").write_text(
        '<object class="simulated.sample_changer.SimulatedSampleChanger">'
        f"<speed_factor>{factor}</speed_factor></object>"
    )
    repository = HardwareRepository([directory])
    try:
        changer = repository.get("sc")
        expected = sum(seconds for _, seconds in LOAD_STEPS) * factor
        addresses = [s.address for p in changer.get_contents() for s in p.samples if s.present]
        ratios = []
        for address in addresses[:5]:
            started = time.monotonic()
            changer.load(address).result(timeout=30)
            ratios.append((time.monotonic() - started) / expected)
            changer.unload().result(timeout=30)
        return statistics.median(ratios)
    finally:
        repository.shutdown()


def camera_rate(repository: HardwareRepository, seconds: float = 2.0) -> float:
    camera = repository.get("sample_camera")
    camera.set_frame_rate(50.0)
    frames: list[float] = []
    counted = threading.Lock()

    def received(_frame: object, _number: int) -> None:
        with counted:
            frames.append(time.monotonic())

    camera.connect("imageReceived", received)
    camera.start_streaming()
    time.sleep(0.5)  # warm-up: the renderer builds its background
    with counted:
        start = len(frames)
    time.sleep(seconds)
    with counted:
        end = len(frames)
    camera.stop_streaming()
    return (end - start) / seconds


def main() -> None:
    repository = HardwareRepository([SIMULATED])
    try:
        report("motor_move_time_ratio", motor_ratio(repository), "real/expected", "<= 1.2")
        with tempfile.TemporaryDirectory() as directory:
            ratio = changer_ratio(Path(directory))
        report("sample_changer_load_time_ratio", ratio, "real/expected", "<= 1.2")
        rate = camera_rate(repository)
        report("sample_camera_streamed_frame_rate", rate, "frames/s", ">= 45")
    finally:
        repository.shutdown()


if __name__ == "__main__":
    main()
