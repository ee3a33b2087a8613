"""Simulated energy (monochromator)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import ClassVar

from hardware_objects.abstract.energy import AbstractEnergy
from hardware_objects.simulated.motion import SimulatedMotion
from mxgui.core.hardware_object import HardwareObjectState, HOProperty


class SimulatedEnergy(AbstractEnergy):
    """An energy that ramps at ``velocity`` keV/s between its limits.

    XML properties: ``default_value`` (keV), ``low_limit`` and ``high_limit`` (keV),
    ``velocity`` (keV/s).
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "default_value": HOProperty(float, 12.7, "energy at start, keV"),
        "velocity": HOProperty(float, 2.0, "ramp speed, keV/s"),
        "unit": HOProperty(str, "keV"),
    }

    def init(self) -> None:
        super().init()
        if self.get_limits()[0] <= 0:
            raise self.config_error("low_limit must be above 0 keV", "low_limit")
        start = self.get_property("default_value")
        try:
            self.validate_value(start)
        except ValueError as exc:
            raise self.config_error(f"default_value: {exc}", "default_value") from None
        if not self.get_property("velocity") > 0:
            raise self.config_error("velocity must be above 0 keV/s", "velocity")
        self._motion = SimulatedMotion(self, lambda: self.get_property("velocity"))
        self.update_value(start)
        self.set_state(HardwareObjectState.READY)

    def _set_value(self, value: float) -> Future:
        return self._motion.start(value)

    def abort(self) -> None:
        self._motion.stop()

    def shutdown(self) -> None:
        self._motion.stop()
