"""A caproto IOC for the EPICS channel tests (run by tests/control_servers.py).

``python tests/ca_ioc.py PREFIX`` serves, on the addresses the EPICS_CAS_* variables
give:

- ``PREFIX m1`` (float, control limits [-10, 10]) with its readback ``PREFIX m1.RBV``,
  which follows every write (a monitor delivers the change);
- ``PREFIX stop`` (int): writing it counts in ``PREFIX stops``.

It prints ``IOC READY`` once it serves.

Two settings make it answer as an EPICS IOC (rsrv) does, not later (measured in
docs/architecture.md, "Channels"):

- caproto holds each monitor update up to 10 ms in case more come to batch with it
  (``CAPROTO_SERVER_HIGH_LOAD_TIMEOUT_SEC``); here 1 ms;
- caproto's TCP sockets are made with protocol 0, so asyncio does not set TCP_NODELAY
  on them: a reply written right after another waits for the client's delayed ACK
  (40 ms). This IOC sets TCP_NODELAY on its listening sockets (connections inherit it).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys

# read by caproto.server when it is imported
os.environ.setdefault("CAPROTO_SERVER_HIGH_LOAD_TIMEOUT_SEC", "0.001")

from caproto.asyncio.server import Context  # noqa: E402
from caproto.server import PVGroup, pvproperty  # noqa: E402


class SimMotorIOC(PVGroup):
    """A motor-like set of PVs."""

    m1 = pvproperty(value=0.0, lower_ctrl_limit=-10.0, upper_ctrl_limit=10.0, units="mm")
    m1_rbv = pvproperty(value=0.0, name="m1.RBV", read_only=True)
    stop = pvproperty(value=0)
    stops = pvproperty(value=0, read_only=True)
    #: asked for by one test only, while this IOC is down (a PV never found before)
    late = pvproperty(value=7.0, read_only=True)

    @m1.putter
    async def m1(self, instance, value):  # noqa: ANN001, ANN201 (caproto's hook signature)
        await self.m1_rbv.write(value)
        return value

    @stop.putter
    async def stop(self, instance, value):  # noqa: ANN001, ANN201
        await self.stops.write(self.stops.value + 1)
        return value

    @m1.startup
    async def m1(self, instance, async_lib):  # noqa: ANN001, ANN201
        print("IOC READY", flush=True)


async def serve(prefix: str) -> None:
    """Serve the PVs under ``prefix`` on 127.0.0.1 until killed."""
    ioc = SimMotorIOC(prefix=prefix)
    context = Context(ioc.pvdb, ["127.0.0.1"])

    async def no_delay(async_lib: object) -> None:
        for sock in context.tcp_sockets.values():
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    await context.run(log_pv_names=False, startup_hook=no_delay)


def main() -> None:
    asyncio.run(serve(sys.argv[1]))


if __name__ == "__main__":
    main()
