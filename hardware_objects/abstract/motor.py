"""The motor interface."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, ClassVar

from hardware_objects.abstract.actuator import AbstractNumericActuator
from mxgui.core.hardware_object import HOProperty


class AbstractMotor(AbstractNumericActuator):
    """A motor: an actuator with a velocity, a tolerance and ``stop``.

    Signals: those of :class:`AbstractActuator`.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "velocity": HOProperty(float, 1.0, "speed in units per second"),
        "tolerance": HOProperty(float, 1e-4, "positions closer than this are equal"),
        "decimals": HOProperty(int, 3, "decimals shown to the user"),
    }

    def init(self) -> None:
        super().init()
        if not self.get_property("velocity") > 0:
            raise self.config_error(
                f"velocity must be above 0, got {self.get_property('velocity')}", "velocity"
            )
        self._velocity: float = self.get_property("velocity")

    def get_velocity(self) -> float:
        """Speed in units per second."""
        return self._velocity

    def set_velocity(self, velocity: float) -> None:
        """Change the speed (units per second, above 0)."""
        if not velocity > 0:  # also refuses NaN
            raise ValueError(f"{self.username}: velocity must be above 0, got {velocity}")
        self._velocity = float(velocity)

    def stop(self) -> None:
        """Stop moving where the motor is."""
        self.abort()

    def set_value_relative(self, delta: float, timeout: float | None = 0) -> Future[Any]:
        """Move by ``delta`` from the current position (``RuntimeError`` before the first
        reading: a device not read yet must not be sent to ``delta`` itself)."""
        return self.set_value(self.get_known_value() + delta, timeout)
