"""The EPICS demo IOC of the ``controls-demo`` beamline (caproto, channel access).

``python -m mxgui.demo_servers.ca_ioc --prefix DEMO: [--bench N]`` serves, on the
addresses the ``EPICS_CAS_*`` variables give (set them to 127.0.0.1 with the automatic
lists off), and prints ``IOC READY`` once it serves:

- ``DEMO:DET:DIST``: a motor record for the detector distance (100..1000 mm, 100 mm/s,
  starts at 150) with the fields a client of a motor record uses: ``.VAL .RBV .DMOV
  .MOVN .STOP .HLM .LLM .EGU .VELO .DESC``. A put to VAL starts a move at VELO in this
  IOC's loop (the put itself returns at once, as a put without callback to a real
  record does); RBV follows at 20 Hz; DMOV goes 0 while moving and back to 1 at the
  end, also for a move of no length. VAL's control limits follow HLM/LLM, so a client
  sees the limits a write must keep to. ``DEMO:DET:DIST:MOVES`` counts the moves
  started (so a test checks on the server's side that a move went through EPICS).
- ``DEMO:ATT:TRANS``: the transmission setpoint (0..100 %, an ao record whose DRVL/DRVH
  are its control limits) and ``DEMO:ATT:TRANS_RBV``, which reaches it within 0.2 s.
- ``DEMO:RING:CURRENT`` (mA, about 200, new every second), ``DEMO:RING:LIFETIME`` (h),
  ``DEMO:RING:FILLMODE`` (a string) and ``DEMO:RING:MESSAGE`` (a char waveform of up
  to 200 characters, as the operators' message often is).
- ``DEMO:SHUTTER:SAFETY``: an enum (CLOSED, OPEN) and ``DEMO:SHUTTER:SAFETY_RBV``, which
  follows it after 0.2 s.
- ``--bench N``: ``DEMO:BENCH:01`` ... ``DEMO:BENCH:N`` (floats changing at 10 Hz by
  themselves), for ``benchmarks/controls.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Sequence

# read by caproto.server when it is imported: a monitor update is held 1 ms (not 10) in
# case more come to batch with it
os.environ.setdefault("CAPROTO_SERVER_HIGH_LOAD_TIMEOUT_SEC", "0.001")

from caproto import ChannelDouble, ChannelType  # type: ignore[import-untyped]  # noqa: E402
from caproto.asyncio.server import Context  # type: ignore[import-untyped]  # noqa: E402
from caproto.server import PVGroup, SubGroup, pvproperty  # type: ignore[import-untyped]  # noqa: E402
from caproto.server.records import (  # type: ignore[import-untyped]
    MotorFields,
    register_record,
)

#: tasks started from a put, held until they end (the loop keeps only weak references)
_running: set[asyncio.Task[None]] = set()


def _keep(task: asyncio.Task[None]) -> None:
    _running.add(task)
    task.add_done_callback(_running.discard)


MOTOR_TICK = 0.05  # seconds between two readback updates while moving (20 Hz)
TRANSMISSION_DELAY = 0.1  # seconds before the readback reaches the setpoint
SHUTTER_DELAY = 0.2  # seconds for the safety shutter to open or close
RING_PERIOD = 1.0  # seconds between two ring-current readings
BENCH_PERIOD = 0.1  # seconds between two values of a bench PV (10 Hz)


@register_record
class DemoMotorFields(MotorFields):
    """A motor record's fields whose HLM and LLM set VAL's control limits, as the
    motor record publishes them (caproto's own motor fields leave them apart)."""

    _record_type = "mxgui_demo_motor"

    user_high_limit = pvproperty(name="HLM", dtype=ChannelType.DOUBLE, doc="User High Limit")
    user_low_limit = pvproperty(name="LLM", dtype=ChannelType.DOUBLE, doc="User Low Limit")
    stop = pvproperty(name="STOP", dtype=ChannelType.INT, doc="Stop")

    @user_high_limit.putter  # type: ignore[no-redef]
    async def user_high_limit(self, instance, value):
        await self.parent.write_metadata(upper_ctrl_limit=value)
        return value

    @user_low_limit.putter  # type: ignore[no-redef]
    async def user_low_limit(self, instance, value):
        await self.parent.write_metadata(lower_ctrl_limit=value)
        return value

    @stop.putter  # type: ignore[no-redef]
    async def stop(self, instance, value):
        if value:
            self.parent.group.stop_move()
        return 0


class DetectorDistance(PVGroup):
    """The detector distance: a simulated motor record (see the module's docstring)."""

    DIST = pvproperty(
        value=150.0,
        name="DIST",
        record="mxgui_demo_motor",
        lower_ctrl_limit=100.0,
        upper_ctrl_limit=1000.0,
        units="mm",
        precision=2,
    )
    moves = pvproperty(value=0, name="DIST:MOVES", read_only=True, doc="moves started")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._move: asyncio.Task[None] | None = None

    async def prepare(self) -> None:
        """Give the record's fields their values before clients come."""
        fields = self.DIST.field_inst
        await fields.user_high_limit.write(1000.0)
        await fields.user_low_limit.write(100.0)
        await fields.engineering_units.write("mm")
        await fields.velocity.write(100.0)
        await fields.description.write("Detector distance")
        await fields.user_readback_value.write(self.DIST.value)
        await fields.done_moving_to_value.write(1)
        await fields.motor_is_moving.write(0)

    @DIST.putter  # type: ignore[no-redef]
    async def DIST(self, instance, value):
        if self._move is not None:
            self._move.cancel()
        await self.moves.write(self.moves.value + 1)
        fields = instance.field_inst
        await fields.done_moving_to_value.write(0)
        await fields.motor_is_moving.write(1)
        self._move = asyncio.get_running_loop().create_task(self._run_move(float(value)))
        return value

    async def _run_move(self, target: float) -> None:
        fields = self.DIST.field_inst
        position = float(fields.user_readback_value.value)
        while position != target:
            velocity = max(float(fields.velocity.value), 1e-6)
            step = velocity * MOTOR_TICK
            # a move shorter than a tick takes its own time, not a whole tick
            tick = min(MOTOR_TICK, abs(target - position) / velocity)
            position = (
                target
                if abs(target - position) <= step
                else position + math.copysign(step, target - position)
            )
            await asyncio.sleep(tick)
            await fields.user_readback_value.write(position)
            await fields.dial_readback_value.write(position)
        await self._end_move()

    async def _end_move(self) -> None:
        fields = self.DIST.field_inst
        await fields.motor_is_moving.write(0)
        await fields.done_moving_to_value.write(1)

    def stop_move(self) -> None:
        """STOP: end the move where the motor is; VAL takes the readback."""
        move, self._move = self._move, None
        if move is None or move.done():
            return
        move.cancel()

        async def settle() -> None:
            readback = self.DIST.field_inst.user_readback_value.value
            await self.DIST.write(readback, verify_value=False)  # no putter: no new move
            await self._end_move()

        _keep(asyncio.get_running_loop().create_task(settle()))


class Attenuators(PVGroup):
    """The transmission setpoint and its readback."""

    TRANS = pvproperty(
        value=100.0,
        name="TRANS",
        record="ao",
        lower_ctrl_limit=0.0,
        upper_ctrl_limit=100.0,
        units="%",
        precision=2,
    )
    TRANS_RBV = pvproperty(value=100.0, name="TRANS_RBV", read_only=True, units="%")

    async def prepare(self) -> None:
        """DRVL and DRVH as the control limits say."""
        await self.TRANS.field_inst.drive_low_limit.write(0.0)
        await self.TRANS.field_inst.drive_high_limit.write(100.0)

    @TRANS.putter  # type: ignore[no-redef]
    async def TRANS(self, instance, value):
        async def follow() -> None:
            await asyncio.sleep(TRANSMISSION_DELAY)
            await self.TRANS_RBV.write(value)

        _keep(asyncio.get_running_loop().create_task(follow()))
        return value


class Ring(PVGroup):
    """What the storage ring tells the beamline."""

    CURRENT = pvproperty(value=200.0, name="CURRENT", read_only=True, units="mA", precision=2)
    LIFETIME = pvproperty(value=40.0, name="LIFETIME", read_only=True, units="h")
    FILLMODE = pvproperty(value="uniform", name="FILLMODE", dtype=ChannelType.STRING)
    # a long text: a char waveform, as sites serve the operators' message
    MESSAGE = pvproperty(value="Demo ring: top-up", name="MESSAGE", max_length=200)

    @CURRENT.scan(period=RING_PERIOD)  # type: ignore[no-redef]
    async def CURRENT(self, instance, async_lib):
        await instance.write(200.0 + 0.5 * math.sin(time.monotonic() / 10.0))


class SafetyShutter(PVGroup):
    """The safety shutter: an enum setpoint and its readback."""

    SAFETY = pvproperty(
        value="CLOSED",
        name="SAFETY",
        dtype=ChannelType.ENUM,
        enum_strings=["CLOSED", "OPEN"],
        record="mbbo",
    )
    SAFETY_RBV = pvproperty(
        value="CLOSED",
        name="SAFETY_RBV",
        dtype=ChannelType.ENUM,
        enum_strings=["CLOSED", "OPEN"],
        read_only=True,
    )

    @SAFETY.putter  # type: ignore[no-redef]
    async def SAFETY(self, instance, value):
        async def follow() -> None:
            await asyncio.sleep(SHUTTER_DELAY)
            await self.SAFETY_RBV.write(value)

        _keep(asyncio.get_running_loop().create_task(follow()))
        return value


class DemoIOC(PVGroup):
    """Every PV of the controls-demo beamline's EPICS side."""

    detector = SubGroup(DetectorDistance, prefix="DET:")
    attenuators = SubGroup(Attenuators, prefix="ATT:")
    ring = SubGroup(Ring, prefix="RING:")
    shutter = SubGroup(SafetyShutter, prefix="SHUTTER:")


def bench_pvs(prefix: str, count: int) -> dict[str, ChannelDouble]:
    """``PREFIX BENCH:01`` ... for the benchmark (their values change in :func:`wobble`)."""
    return {f"{prefix}BENCH:{i:02d}": ChannelDouble(value=0.0) for i in range(1, count + 1)}


async def wobble(pvs: Sequence[ChannelDouble]) -> None:
    """Give every bench PV a new value every :data:`BENCH_PERIOD` seconds."""
    while True:
        now = time.monotonic()
        for index, pv in enumerate(pvs):
            await pv.write(math.sin(now + index))
        await asyncio.sleep(BENCH_PERIOD)


class _NoBeaconNoise(logging.Filter):
    """Drop caproto's traceback for a beacon nobody listens to (no caRepeater runs on
    the loopback port: clients find the IOC by their searches all the same)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to send beacon")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the IOC until it is killed."""
    parser = argparse.ArgumentParser(prog="python -m mxgui.demo_servers.ca_ioc")
    parser.add_argument("--prefix", default="DEMO:", help="the PV prefix (default DEMO:)")
    parser.add_argument("--bench", type=int, default=0, metavar="N", help="N benchmark PVs")
    args = parser.parse_args(argv)
    if args.bench < 0 or args.bench > 999:
        parser.error("--bench: expected a number from 0 to 999")
    logging.getLogger("caproto.ctx").addFilter(_NoBeaconNoise())
    ioc = DemoIOC(prefix=args.prefix)
    bench = bench_pvs(args.prefix, args.bench)
    pvdb = {**ioc.pvdb, **bench}

    async def started(async_lib: object) -> None:
        await ioc.detector.prepare()
        await ioc.attenuators.prepare()
        print("IOC READY", flush=True)
        if bench:
            await wobble(list(bench.values()))

    asyncio.run(_serve(pvdb, started))


async def _serve(pvdb: dict[str, object], started: Callable[[object], Awaitable[None]]) -> None:
    """Serve ``pvdb`` on 127.0.0.1 with TCP_NODELAY on the server's sockets: caproto
    makes them with protocol 0, so asyncio leaves Nagle's algorithm on, and a monitor
    update written right after a put's reply waits for the client's delayed ACK (about
    40 ms); an EPICS IOC sets TCP_NODELAY itself."""
    context = Context(pvdb, ["127.0.0.1"])

    async def startup(async_lib: object) -> None:
        for sock in context.tcp_sockets.values():
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await started(async_lib)

    await context.run(log_pv_names=False, startup_hook=startup)


if __name__ == "__main__":
    main(sys.argv[1:])
