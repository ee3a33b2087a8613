"""An N-state device (aperture, zoom, filters) on an EPICS enum PV and its readback."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, ClassVar

from hardware_objects.abstract.nstate import AbstractNState
from hardware_objects.epics.pv_prefix import PV_PREFIX
from hardware_objects.epics.setpoint import SetpointReadback
from hardware_objects.epics.type_fault import PvTypeFault
from mxgui.core.channels import Channel
from mxgui.core.hardware_object import HOProperty


def as_name(channel: Channel, value: object) -> str:
    """An enum PV's value (its state's name) as text."""
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, str):
        return value
    raise TypeError(f"{channel.spec.label}: {value!r} is not the name of a state")


def same_name(a: str, b: str) -> bool:
    return a == b


class EnumSetpoint(PvTypeFault, AbstractNState):
    """What an N-state device and a shutter on EPICS share: an enum setpoint PV
    (``<pv_prefix>``, channel ``setpoint``) and its readback (prefix + ``_RBV``, channel
    ``readback``); ``set_value(name)`` writes the name, and its Future ends when the
    readback shows it."""

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {"pv_prefix": PV_PREFIX}

    def init(self) -> None:
        super().init()
        self._pvs: SetpointReadback[str] = SetpointReadback(self, as_name, same_name)

    def _set_value(self, value: str) -> Future[Any]:
        return self._pvs.set(value)

    def connection_restored(self) -> None:
        self._pvs.read_again()


class EpicsNState(EnumSetpoint):
    """An N-state device: ``<pv_prefix>BL:AP:SEL</pv_prefix>`` (an enum setpoint, channel
    ``setpoint``) with its readback (prefix + ``_RBV``, channel ``readback``), and one
    ``<value>`` element per state, named as the PV's states are.

    ``set_value(name)`` writes the name; its Future ends when the readback shows it.
    """
