"""A shutter on an EPICS enum PV (CLOSED, OPEN) and its readback."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, ClassVar

from hardware_objects.abstract.shutter import AbstractShutter
from hardware_objects.epics.nstate import as_name, same_name
from hardware_objects.epics.pv_prefix import PV_PREFIX
from hardware_objects.epics.setpoint import SetpointReadback
from hardware_objects.epics.type_fault import PvTypeFault
from mxgui.core.hardware_object import HOProperty


class EpicsShutter(PvTypeFault, AbstractShutter):
    """A shutter: ``<pv_prefix>BL:SHUTTER</pv_prefix>`` (an enum whose states include
    OPEN and CLOSED, channel ``setpoint``) with its readback (prefix + ``_RBV``, channel
    ``readback``); ``<value>OPEN</value><value>CLOSED</value>``.

    ``open()``/``close()`` write the state's name; the Future ends when the readback
    shows it.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {"pv_prefix": PV_PREFIX}

    def init(self) -> None:
        super().init()
        self._pvs: SetpointReadback[str] = SetpointReadback(self, as_name, same_name)

    def _set_value(self, value: str) -> Future[Any]:
        return self._pvs.set(value)

    def connection_restored(self) -> None:
        self._pvs.read_again()
