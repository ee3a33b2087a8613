"""A Tango device server for the channel tests (run by tests/control_servers.py).

``python tests/tango_device.py PORT DEVICE`` serves one :class:`SimMotorDevice` named
DEVICE on 127.0.0.1:PORT without a Tango database.
"""

from __future__ import annotations

import sys

import tango
from tango.server import Device, attribute, command, run


class SimMotorDevice(Device):
    """A Tango motor: ``position`` within [-10, 10] pushes change events when written;
    ``temperature`` offers no events (clients poll it) and changes when ``Heat`` is
    called; ``Stop`` counts its calls in ``stops``."""

    def init_device(self) -> None:
        super().init_device()
        self._position = 0.0
        self._temperature = 20.0
        self._stops = 0
        self.set_change_event("position", True, False)
        self.set_state(tango.DevState.ON)

    @attribute(dtype=float, min_value=-10.0, max_value=10.0, unit="mm")
    def position(self) -> float:
        return self._position

    @position.write  # type: ignore[no-redef]
    def position(self, value: float) -> None:
        self._position = value
        self.push_change_event("position", value)

    @attribute(dtype=float)
    def temperature(self) -> float:
        return self._temperature

    @attribute(dtype=int)
    def stops(self) -> int:
        return self._stops

    @command
    def Stop(self) -> None:  # noqa: N802 (Tango command names are CamelCase)
        self._stops += 1

    @command(dtype_in=float)
    def Heat(self, degrees: float) -> None:  # noqa: N802
        self._temperature += degrees


def main() -> None:
    port, device = sys.argv[1], sys.argv[2]
    run(
        (SimMotorDevice,),
        args=[
            "SimMotorDevice",
            "test",
            "-nodb",
            "-port",
            port,
            "-dlist",
            device,
            "-ORBendPoint",
            f"giop:tcp:127.0.0.1:{port}",
        ],
    )


if __name__ == "__main__":
    main()
