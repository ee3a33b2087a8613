"""Simulated attenuators."""

from __future__ import annotations

from concurrent.futures import Future
from typing import ClassVar

from hardware_objects.abstract.transmission import AbstractTransmission
from hardware_objects.simulated.motion import SimulatedMotion
from mxgui.core.hardware_object import HardwareObjectState, HOProperty


class SimulatedTransmission(AbstractTransmission):
    """A transmission that changes at ``velocity`` percent per second (BUSY meanwhile).

    XML properties: ``default_value`` (%), ``velocity`` (%/s), ``low_limit``,
    ``high_limit``.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "default_value": HOProperty(float, 100.0, "transmission at start, %"),
        "velocity": HOProperty(float, 500.0, "change speed, %/s"),
    }

    def init(self) -> None:
        super().init()
        if not self.get_property("velocity") > 0:
            raise self.config_error("velocity must be above 0 %/s", "velocity")
        start = self.get_property("default_value")
        try:
            self.validate_value(start)
        except ValueError as exc:
            raise self.config_error(f"default_value: {exc}", "default_value") from None
        self._motion = SimulatedMotion(self, lambda: self.get_property("velocity"))
        self.update_value(start)
        self.set_state(HardwareObjectState.READY)

    def _set_value(self, value: float) -> Future:
        return self._motion.start(value)

    def abort(self) -> None:
        self._motion.stop()

    def inject_fault(self, reason: str | None) -> None:
        """Make the attenuators fail (``reason``) or clear the fault (``None``): for tests."""
        self._motion.fault = reason
        if reason is None and self.get_state() is HardwareObjectState.FAULT:
            self.set_state(HardwareObjectState.READY)

    def shutdown(self) -> None:
        self._motion.stop()
