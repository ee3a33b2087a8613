"""Simulated energy (monochromator)."""

from __future__ import annotations

from typing import ClassVar

from hardware_objects.abstract.energy import AbstractEnergy
from hardware_objects.simulated.motion import SimulatedActuator
from mxgui.core.hardware_object import HOProperty


class SimulatedEnergy(SimulatedActuator, AbstractEnergy):
    """An energy that ramps at ``velocity`` keV/s between its limits.

    XML properties: ``default_value`` (keV), ``low_limit`` and ``high_limit`` (keV),
    ``velocity`` (keV/s).
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "default_value": HOProperty(float, 12.7, "energy at start, keV"),
        "velocity": HOProperty(float, 2.0, "ramp speed, keV/s"),
        "unit": HOProperty(str, "keV"),
    }

    def check_properties(self) -> None:
        if self.get_limits()[0] <= 0:
            raise self.config_error("low_limit must be above 0 keV", "low_limit")
        if not self.get_property("velocity") > 0:
            raise self.config_error("velocity must be above 0 keV/s", "velocity")
