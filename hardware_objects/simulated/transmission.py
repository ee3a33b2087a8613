"""Simulated attenuators."""

from __future__ import annotations

from typing import ClassVar

from hardware_objects.abstract.transmission import AbstractTransmission
from hardware_objects.simulated.motion import SimulatedActuator
from mxgui.core.hardware_object import HOProperty


class SimulatedTransmission(SimulatedActuator, AbstractTransmission):
    """A transmission that changes at ``velocity`` percent per second (BUSY meanwhile).

    XML properties: ``default_value`` (%), ``velocity`` (%/s), ``low_limit``,
    ``high_limit``.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "default_value": HOProperty(float, 100.0, "transmission at start, %"),
        "velocity": HOProperty(float, 500.0, "change speed, %/s"),
    }

    def check_properties(self) -> None:
        if not self.get_property("velocity") > 0:
            raise self.config_error("velocity must be above 0 %/s", "velocity")
