"""The Tango devices of the ``controls-demo`` beamline, in one device server process.

``python -m mxgui.demo_servers.tango_devices PORT [--bench N]`` serves, without a Tango
database, on 127.0.0.1:PORT (a Tango file database in a temporary directory lets one
process serve several classes), and prints Tango's "Ready to accept request" when up:

- :class:`DemoMotor` ``demo/md/phi``, ``demo/md/phiy``, ``demo/md/phiz``,
  ``demo/md/sampx``, ``demo/md/sampy``: ``Position`` (its min/max are the limits; writing
  it starts a move at ``Velocity``), ``Velocity``, ``State`` ON / MOVING / FAULT,
  ``Stop``, and ``Moves`` / ``LastTarget`` for tests to check on the server's side;
- :class:`DemoShutter` ``demo/shutter/fast``: ``Open``, ``Close``, ``State`` OPEN /
  CLOSE, ``Opens`` (the count of ``Open`` calls);
- :class:`DemoNState` ``demo/aperture/1``: ``Value`` one of ``Values``, MOVING for
  0.3 s per change;
- ``--bench N``: N more motors ``demo/bench/m01``... whose ``Position`` wobbles at 10 Hz.

Clients address them as ``tango://127.0.0.1:PORT/demo/md/phi#dbase=no``. Moves run in
the device's own thread (a request never waits for a move); the thread updates the
state and pushes the change events itself.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import tango
from tango.server import Device, attribute, command, run

SERVER = "DemoDevices"
INSTANCE = "demo"
MOVE_PERIOD = 0.05  # 20 Hz position events while moving
BENCH_PERIOD = 0.1  # 10 Hz wobble of the bench motors
APERTURE_DELAY = 0.3  # seconds per aperture change
APERTURES = ("A10", "A20", "A30", "A50", "A75", "A100")


@dataclass(frozen=True)
class MotorSpec:
    """Limits, speed and unit of one demo motor."""

    low: float
    high: float
    velocity: float
    unit: str


MOTORS = {
    "demo/md/phi": MotorSpec(-10000.0, 10000.0, 90.0, "deg"),
    "demo/md/phiy": MotorSpec(-5.0, 5.0, 2.0, "mm"),
    "demo/md/phiz": MotorSpec(-5.0, 5.0, 2.0, "mm"),
    "demo/md/sampx": MotorSpec(-2.0, 2.0, 2.0, "mm"),
    "demo/md/sampy": MotorSpec(-2.0, 2.0, 2.0, "mm"),
}
BENCH_MOTOR = MotorSpec(-1.0, 1.0, 1.0, "mm")


def bench_devices(count: int) -> list[str]:
    """The names of ``count`` bench motors: ``demo/bench/m01``..."""
    return [f"demo/bench/m{i:02d}" for i in range(1, count + 1)]


class DemoMotor(Device):
    """A motor: writing ``Position`` starts a move at ``Velocity`` in the device's thread,
    which pushes ``Position`` events at 20 Hz and at the end, and ``State`` events."""

    def init_device(self) -> None:
        super().init_device()
        name = self.get_name().lower()
        self._spec = MOTORS.get(name, BENCH_MOTOR)
        self._position = 0.0
        self._velocity = self._spec.velocity
        self._moves = 0
        self._last_target = 0.0
        self._target = 0.0
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._stopping = False
        self._closing = False
        position = self.get_device_attr().get_attr_by_name("Position")
        properties = position.get_properties()
        properties.min_value = repr(self._spec.low)
        properties.max_value = repr(self._spec.high)
        properties.unit = self._spec.unit
        position.set_properties(properties)
        self.set_change_event("Position", True, False)
        self.set_change_event("State", True, False)
        self.set_state(tango.DevState.ON)
        bench = name.startswith("demo/bench/")
        self._thread = threading.Thread(
            target=self._wobble if bench else self._run_moves, name=f"motor {name}", daemon=True
        )
        self._thread.start()

    def delete_device(self) -> None:
        with self._lock:
            self._closing = True
            self._wake.notify_all()

    @attribute(dtype=float, access=tango.AttrWriteType.READ_WRITE)
    def Position(self) -> float:  # noqa: N802 (Tango attribute names are CamelCase)
        return self._position

    @Position.write  # type: ignore[no-redef]
    def Position(self, target: float) -> None:  # noqa: N802
        with self._lock:
            if self.get_state() == tango.DevState.FAULT:
                tango.Except.throw_exception(
                    "DemoMotor_Fault", f"{self.get_name()} is in FAULT", "DemoMotor.Position"
                )
            self._target = target
            self._last_target = target
            self._moves += 1
            self._stopping = False
            self._set_state(tango.DevState.MOVING)
            self._wake.notify_all()

    @attribute(dtype=float, access=tango.AttrWriteType.READ_WRITE)
    def Velocity(self) -> float:  # noqa: N802
        return self._velocity

    @Velocity.write  # type: ignore[no-redef]
    def Velocity(self, velocity: float) -> None:  # noqa: N802
        if not velocity > 0:
            tango.Except.throw_exception(
                "DemoMotor_Velocity", f"velocity must be above 0, got {velocity}", "Velocity"
            )
        self._velocity = velocity

    @attribute(dtype=int)
    def Moves(self) -> int:  # noqa: N802
        return self._moves

    @attribute(dtype=float)
    def LastTarget(self) -> float:  # noqa: N802
        return self._last_target

    @command
    def Stop(self) -> None:  # noqa: N802 (Tango command names are CamelCase)
        with self._lock:
            self._stopping = True
            self._wake.notify_all()

    def _set_state(self, state: tango.DevState) -> None:
        if self.get_state() != state:
            self.set_state(state)
            self.push_change_event("State", state)

    def _push_position(self) -> None:
        self.push_change_event("Position", self._position)

    def _run_moves(self) -> None:
        with tango.EnsureOmniThread():
            while True:
                with self._lock:
                    self._wake.wait_for(
                        lambda: self._closing or self.get_state() == tango.DevState.MOVING
                    )
                    if self._closing:
                        return
                self._move()

    def _move(self) -> None:
        last = time.monotonic()
        while True:
            with self._lock:  # a move shorter than one period waits only its own time
                remaining = abs(self._target - self._position) / self._velocity
            time.sleep(min(MOVE_PERIOD, remaining))
            with self._lock:
                now = time.monotonic()
                step = self._velocity * (now - last)
                last = now
                distance = self._target - self._position
                arrived = abs(distance) <= step
                if not self._stopping:
                    self._position = (
                        self._target if arrived else self._position + math.copysign(step, distance)
                    )
                self._push_position()
                if arrived or self._stopping or self._closing:
                    self._stopping = False
                    self._set_state(tango.DevState.ON)
                    return

    def _wobble(self) -> None:
        with tango.EnsureOmniThread():
            start = time.monotonic()
            while not self._closing:
                time.sleep(BENCH_PERIOD)
                with self._lock:
                    self._position = 0.01 * math.sin(time.monotonic() - start)
                    self._push_position()


class DemoShutter(Device):
    """A fast shutter: ``Open`` and ``Close`` change ``State`` (OPEN / CLOSE, with
    events); ``Opens`` counts the ``Open`` calls."""

    def init_device(self) -> None:
        super().init_device()
        self._opens = 0
        self.set_change_event("State", True, False)
        self.set_state(tango.DevState.CLOSE)

    def _set_state(self, state: tango.DevState) -> None:
        self.set_state(state)
        self.push_change_event("State", state)

    @command
    def Open(self) -> None:  # noqa: N802
        self._opens += 1
        self._set_state(tango.DevState.OPEN)

    @command
    def Close(self) -> None:  # noqa: N802
        self._set_state(tango.DevState.CLOSE)

    @attribute(dtype=int)
    def Opens(self) -> int:  # noqa: N802
        return self._opens


class DemoNState(Device):
    """An aperture: ``Value`` (one of ``Values``) changes in 0.3 s (``State`` MOVING,
    then ON), in the device's thread."""

    def init_device(self) -> None:
        super().init_device()
        self._value = "A50"
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.set_change_event("Value", True, False)
        self.set_change_event("State", True, False)
        self.set_state(tango.DevState.ON)

    @attribute(dtype=str, access=tango.AttrWriteType.READ_WRITE)
    def Value(self) -> str:  # noqa: N802
        return self._value

    @Value.write  # type: ignore[no-redef]
    def Value(self, value: str) -> None:  # noqa: N802
        if value not in APERTURES:
            tango.Except.throw_exception(
                "DemoNState_Value",
                f"{value!r} is not one of {', '.join(APERTURES)}",
                "DemoNState.Value",
            )
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
            self.set_state(tango.DevState.MOVING)
            self.push_change_event("State", tango.DevState.MOVING)
            timer = threading.Timer(APERTURE_DELAY, lambda: self._arrive(value, timer))
            timer.daemon = True
            self._timer = timer
            timer.start()

    def _arrive(self, value: str, timer: threading.Timer) -> None:
        with tango.EnsureOmniThread(), self._lock:
            if timer is not self._timer:  # a newer change replaced this one (a cancelled
                return  # timer may already be waiting for the lock)
            self._value = value
            self.push_change_event("Value", value)
            self.set_state(tango.DevState.ON)
            self.push_change_event("State", tango.DevState.ON)

    @attribute(dtype=(str,), max_dim_x=len(APERTURES))
    def Values(self) -> tuple[str, ...]:  # noqa: N802
        return APERTURES


def database_file(directory: Path, bench: int) -> Path:
    """A Tango file database naming every device of this server, in ``directory``."""
    motors = [*MOTORS, *bench_devices(bench)]
    path = directory / "demo_devices.db"
    prefix = f"{SERVER}/{INSTANCE}/DEVICE"
    path.write_text(
        f"{prefix}/DemoMotor: {', '.join(motors)}\n"
        f"{prefix}/DemoShutter: demo/shutter/fast\n"
        f"{prefix}/DemoNState: demo/aperture/1\n"
    )
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m mxgui.demo_servers.tango_devices",
        description="The controls-demo beamline's Tango devices on 127.0.0.1:PORT.",
    )
    parser.add_argument("port", type=int, help="TCP port to serve on")
    parser.add_argument("--bench", type=int, default=0, metavar="N", help="N bench motors")
    args = parser.parse_args(argv)
    if not 0 < args.port < 65536:
        parser.error(f"port {args.port} is not between 1 and 65535")
    if not 0 <= args.bench <= 99:
        parser.error(f"--bench {args.bench}: expected 0 to 99 motors")
    with tempfile.TemporaryDirectory(prefix="mxgui-tango-") as directory:
        database = database_file(Path(directory), args.bench)
        run(
            (DemoMotor, DemoShutter, DemoNState),
            args=[
                SERVER,
                INSTANCE,
                "-ORBendPoint",
                f"giop:tcp:127.0.0.1:{args.port}",
                f"-file={database}",
            ],
        )


if __name__ == "__main__":
    main()
