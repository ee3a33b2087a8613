"""A simulated motor."""

from __future__ import annotations

from typing import ClassVar

from hardware_objects.abstract.motor import AbstractMotor
from hardware_objects.simulated.motion import SimulatedActuator
from mxgui.core.hardware_object import HOProperty


class SimulatedMotor(SimulatedActuator, AbstractMotor):
    """A motor that moves at its configured velocity and reports BUSY while moving.

    XML properties: ``velocity`` (units/s), ``low_limit``, ``high_limit``,
    ``default_value`` (start position), ``unit``, ``username``.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "default_value": HOProperty(float, 0.0, "position at start"),
    }

    def speed(self) -> float:
        """The velocity, as changed by ``set_velocity``."""
        return self.get_velocity()
