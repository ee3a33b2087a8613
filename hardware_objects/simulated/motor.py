"""A simulated motor."""

from __future__ import annotations

from concurrent.futures import Future
from typing import ClassVar

from hardware_objects.abstract.motor import AbstractMotor
from hardware_objects.simulated.motion import SimulatedMotion
from mxgui.core.hardware_object import HardwareObjectState, HOProperty


class SimulatedMotor(AbstractMotor):
    """A motor that moves at its configured velocity and reports BUSY while moving.

    XML properties: ``velocity`` (units/s), ``low_limit``, ``high_limit``,
    ``default_value`` (start position), ``unit``, ``username``.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "default_value": HOProperty(float, 0.0, "position at start"),
    }

    def init(self) -> None:
        super().init()
        start = self.get_property("default_value")
        try:
            self.validate_value(start)
        except ValueError as exc:
            raise self.config_error(f"default_value: {exc}", "default_value") from None
        self._motion = SimulatedMotion(self, self.get_velocity)
        self.update_value(start)
        self.set_state(HardwareObjectState.READY)

    def _set_value(self, value: float) -> Future:
        return self._motion.start(value)

    def abort(self) -> None:
        self._motion.stop()

    def inject_fault(self, reason: str | None) -> None:
        """Make the motor fail (``reason``) or clear the fault (``None``): for tests."""
        self._motion.fault = reason
        if reason is None and self.get_state() is HardwareObjectState.FAULT:
            self.set_state(HardwareObjectState.READY)

    def shutdown(self) -> None:
        self._motion.stop()
