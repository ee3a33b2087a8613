"""A motor on a Tango device (``tango.motor.TangoMotor``) against the simulated motor,
and its faults, on the demo device server (``mxgui.demo_servers.tango_devices``).

- ``tango_motor_move_ms`` and ``tango_motor_move_added_ms``: the median time of a
  short move (1 um at 2 mm/s, half a millisecond of motion) through Tango, and that
  minus the same move of a ``SimulatedMotor``: what a move costs more on a real
  device, in ms (medians of 30);
- ``tango_motor_kill_to_failed_move``: the server killed (SIGKILL) during a move until
  the move's Future has failed, in s;
- ``tango_motor_restart_to_ready``: the server started again (once it serves) until the
  motor is READY, in s;
- ``tango_motor_hang_to_failed_move``: a move asked of a hung server (SIGSTOP) until
  its Future fails ("no answer within ... s"), in s.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
# benchmarks/queue.py would hide the standard library's queue module
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT / "tests"))  # the test server and its helpers

from tango_demo_server import DemoTangoServer  # noqa: E402

from hardware_objects.abstract.motor import AbstractMotor  # noqa: E402
from mxgui.core.repository import HardwareRepository  # noqa: E402

MOVES = 30
STEP = 0.001  # mm


def report(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target}))


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> float:
    """Seconds until ``condition()`` holds (``RuntimeError`` after ``timeout``)."""
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise RuntimeError(f"not within {timeout} s: {what}")
        time.sleep(0.002)
    return time.perf_counter() - start


def median_move_ms(motor: AbstractMotor) -> float:
    start = motor.get_known_value()
    times = []
    for i in range(MOVES):
        target = start + STEP * (i % 2 + 1)
        began = time.perf_counter()
        motor.set_value(target).result(10)
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def main() -> None:
    server = DemoTangoServer()
    server.start()
    with tempfile.TemporaryDirectory() as directory:
        files = Path(directory)
        (files / "phiy.xml").write_text(
            f"""<device class="tango.motor.TangoMotor">
  <tangoname>{server.trl("demo/md/phiy")}</tangoname>
</device>
"""
        )
        (files / "simulated.xml").write_text(
            """<device class="simulated.motor.SimulatedMotor">
  <velocity>2.0</velocity>
  <low_limit>-5</low_limit>
  <high_limit>5</high_limit>
</device>
"""
        )
        repository = HardwareRepository([files])
        try:
            tango_motor = repository.get("/phiy")
            simulated = repository.get("/simulated")
            assert isinstance(tango_motor, AbstractMotor) and isinstance(simulated, AbstractMotor)
            wait_until(tango_motor.is_ready, 10, "the Tango motor READY")
            wait_until(lambda: tango_motor.get_value() is not None, 10, "its position")
            through_tango = median_move_ms(tango_motor)
            report("tango_motor_move_ms", through_tango, "ms", "<= 30")
            added = through_tango - median_move_ms(simulated)
            report("tango_motor_move_added_ms", added, "ms", "<= 20")

            move = tango_motor.set_value(4.5)
            wait_until(lambda: tango_motor.get_known_value() > 0.1, 10, "moving")
            server.kill()
            killed = time.perf_counter()
            wait_until(move.done, 10, "the move failed")
            report("tango_motor_kill_to_failed_move", time.perf_counter() - killed, "s", "<= 3")

            server.start()
            restart = wait_until(tango_motor.is_ready, 10, "READY after the restart")
            report("tango_motor_restart_to_ready", restart, "s", "<= 5")

            server.hang()
            try:
                hung = time.perf_counter()
                move = tango_motor.set_value(0.5)
                wait_until(move.done, 10, "the move failed")
                report("tango_motor_hang_to_failed_move", time.perf_counter() - hung, "s", "<= 4")
            finally:
                server.wake()
        finally:
            repository.shutdown()
            server.stop()


if __name__ == "__main__":
    main()
