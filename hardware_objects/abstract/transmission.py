"""The transmission interface: the fraction of the beam let through the attenuators."""

from __future__ import annotations

from typing import ClassVar

from hardware_objects.abstract.actuator import AbstractNumericActuator
from mxgui.core.hardware_object import HOProperty


class AbstractTransmission(AbstractNumericActuator):
    """Beam transmission in percent (0 = fully attenuated, 100 = no attenuator).

    The limits default to 0 and 100 and may only narrow that range.

    Signals: ``valueChanged(percent)``, ``limitsChanged``, ``stateChanged``.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "username": HOProperty(str, "Transmission"),
        "unit": HOProperty(str, "%"),
        "low_limit": HOProperty(float, 0.0, "lowest transmission, %"),
        "high_limit": HOProperty(float, 100.0, "highest transmission, %"),
        "decimals": HOProperty(int, 2, "decimals shown to the user"),
    }

    def init(self) -> None:
        super().init()
        low, high = self.get_limits()
        if low < 0 or high > 100:
            raise self.config_error(
                f"transmission limits must be within 0 and 100 %, got {low:g} and {high:g}",
                "low_limit" if low < 0 else "high_limit",
            )
