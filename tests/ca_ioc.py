"""A caproto IOC for the EPICS channel tests (run by tests/control_servers.py).

``python tests/ca_ioc.py PREFIX`` serves, on the addresses the EPICS_CAS_* variables
give:

- ``PREFIX m1`` (float, control limits [-10, 10]) with its readback ``PREFIX m1.RBV``,
  which follows every write (a monitor delivers the change);
- ``PREFIX stop`` (int): writing it counts in ``PREFIX stops``.

It prints ``IOC READY`` once it serves.
"""

from __future__ import annotations

import sys

from caproto.server import PVGroup, pvproperty, run


class SimMotorIOC(PVGroup):
    """A motor-like set of PVs."""

    m1 = pvproperty(value=0.0, lower_ctrl_limit=-10.0, upper_ctrl_limit=10.0, units="mm")
    m1_rbv = pvproperty(value=0.0, name="m1.RBV", read_only=True)
    stop = pvproperty(value=0)
    stops = pvproperty(value=0, read_only=True)

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


def main() -> None:
    prefix = sys.argv[1]
    ioc = SimMotorIOC(prefix=prefix)
    run(ioc.pvdb, interfaces=["127.0.0.1"], log_pv_names=False)


if __name__ == "__main__":
    main()
