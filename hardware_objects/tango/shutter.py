"""A shutter on a Tango device."""

from __future__ import annotations

import time
from concurrent.futures import Future

from hardware_objects.abstract.shutter import CLOSED, OPEN, AbstractShutter
from hardware_objects.tango.device import HO_STATES, TangoDevice
from hardware_objects.tango.moves import StillMoving
from mxgui.core.channels import DefaultBinding
from mxgui.core.hardware_object import HardwareObjectState

#: the device's state for each of the shutter's values
VALUES = {"OPEN": OPEN, "CLOSE": CLOSED}


class TangoShutter(TangoDevice[str], AbstractShutter):
    """A shutter on a Tango device (``class="tango.shutter.TangoShutter"``).

    XML: ``<tangoname>``, ``<value>OPEN</value><value>CLOSED</value>``; commands
    ``open`` / ``close`` (default ``Open`` / ``Close``) and channel ``state`` (``State``:
    OPEN is OPEN, CLOSE is CLOSED, MOVING is BUSY, FAULT is FAULT), each overridable by
    an element. ``open()``'s Future ends when the device reports OPEN, or fails naming
    the device (FAULT, no answer, not OPEN within the command's timeout).
    """

    def init(self) -> None:
        super().init()
        tangoname = "tangoname"
        self._commands = {
            OPEN: self.get_command("open", DefaultBinding("tango", "Open", prop=tangoname)),
            CLOSED: self.get_command("close", DefaultBinding("tango", "Close", prop=tangoname)),
        }
        self.start_device()

    def apply_device_state(self, name: str) -> None:
        if name in VALUES:
            self.update_value(VALUES[name])
        super().apply_device_state(name)

    def _set_value(self, value: str) -> Future[object]:
        command = self._commands.get(value)
        if command is None:  # a value the file adds (DISABLED...): no command for it
            raise ValueError(f"{self.username}: no command sets {value}")
        deadline = time.monotonic() + command.spec.timeout

        def arrived() -> str:
            state = self.read_device_state()
            if VALUES.get(state) == value:
                self.apply_device_state(state)
                return value
            if HO_STATES.get(state) is HardwareObjectState.FAULT:
                raise RuntimeError(f"{self.state_channel.spec.label}: the device is in FAULT")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.state_channel.spec.label}: the device did not report "
                    f"{value} within {command.spec.timeout:g} s (it reports {state})"
                )
            raise StillMoving

        return self.follow_move(command.call, arrived)

    def refresh(self) -> None:
        """The state is the value: nothing more to read."""
