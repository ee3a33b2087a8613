"""The transmission on an EPICS setpoint and its readback."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, ClassVar

from hardware_objects.abstract.transmission import AbstractTransmission
from hardware_objects.epics.pv_prefix import PV_PREFIX, as_float
from hardware_objects.epics.setpoint import SetpointReadback
from hardware_objects.epics.type_fault import PvTypeFault
from mxgui.core.hardware_object import HOProperty


class EpicsTransmission(PvTypeFault, AbstractTransmission):
    """Transmission in percent: ``<pv_prefix>BL:ATT:TRANS</pv_prefix>``, channels
    ``setpoint`` (the prefix) and ``readback`` (prefix + ``_RBV``).

    ``set_value`` writes the setpoint; its Future ends when the readback is within
    ``tolerance`` of it. BUSY while they differ.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "pv_prefix": PV_PREFIX,
        "tolerance": HOProperty(float, 0.01, "readback and setpoint closer than this agree, %"),
    }

    def init(self) -> None:
        super().init()
        tolerance: float = self.get_property("tolerance")
        self._pvs: SetpointReadback[float] = SetpointReadback(
            self, as_float, lambda a, b: abs(a - b) <= tolerance
        )

    def _set_value(self, value: float) -> Future[Any]:
        return self._pvs.set(value)

    def connection_restored(self) -> None:
        self._pvs.read_again()
