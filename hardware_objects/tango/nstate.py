"""An N-state actuator (aperture, zoom, filters) on a Tango device."""

from __future__ import annotations

from concurrent.futures import Future
from typing import cast

from hardware_objects.abstract.nstate import AbstractNState
from hardware_objects.tango.device import BUSY_STATES, HO_STATES, TangoDevice
from hardware_objects.tango.moves import StillMoving
from mxgui.core.channels import DefaultBinding
from mxgui.core.hardware_object import HardwareObjectState


class TangoNState(TangoDevice[str], AbstractNState):
    """A device with named positions (``class="tango.nstate.TangoNState"``).

    XML: ``<tangoname>``, one ``<value>`` per name; channel ``value`` (default
    attribute ``Value``, text) and ``state`` (``State``: MOVING is BUSY, ON is READY),
    each overridable by an element. ``set_value(name)`` writes the name; its Future
    ends when the device is ON again with that value.
    """

    def init(self) -> None:
        super().init()
        self.value_channel = self.get_channel(
            "value", DefaultBinding("tango", "Value", prop="tangoname")
        )
        self.start_device(self.value_channel)
        self.value_channel.subscribe(self._value_delivered)

    def _value_delivered(self, value: object) -> None:
        if not isinstance(value, str):
            self.report_problem(
                f"{self.value_channel.spec.label}: the device gives {value!r}, not a name"
            )
            return
        self.update_value(value)
        self.clear_problem()

    def refresh(self) -> None:
        self._value_delivered(self.value_channel.read())

    def _set_value(self, value: str) -> Future[object]:
        def arrived() -> str:
            state = self.read_device_state()
            if state in BUSY_STATES:
                raise StillMoving
            if HO_STATES.get(state) is HardwareObjectState.FAULT:
                raise RuntimeError(f"{self.state_channel.spec.label}: the device is in FAULT")
            now = self.value_channel.read()
            self._value_delivered(now)
            self.apply_device_state(state)
            if now != value:
                raise RuntimeError(
                    f"{self.value_channel.spec.label}: the change to {value} ended at {now}"
                )
            return value

        return self.follow_move(
            lambda: cast("Future[object]", self.value_channel.write(value)), arrived
        )
