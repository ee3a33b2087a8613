"""Roles that hold one value and move it: motors, energy, transmission, resolution,
shutters (``hardware_objects.abstract.actuator`` and its subclasses)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from mxgui.core.roles.emitter import Emitter


@runtime_checkable
class ActuatorRole(Emitter, Protocol):
    """A value with limits, set through a Future (signals ``valueChanged``,
    ``stateChanged``, ``limitsChanged``)."""

    name: str

    @property
    def username(self) -> str: ...

    @property
    def unit(self) -> str: ...

    def get_value(self) -> Any: ...

    def get_limits(self) -> tuple[float, float]: ...

    # the actuator validates the value (ValueError naming it and the limits)
    def set_value(self, value: object, timeout: float | None = 0) -> Future[Any]: ...

    def abort(self) -> None: ...


@runtime_checkable
class MotorRole(ActuatorRole, Protocol):
    """A motor (also a diffractometer's lights and zoom-free axes)."""

    def stop(self) -> None: ...


@runtime_checkable
class EnergyRole(ActuatorRole, Protocol):
    """The beam energy in keV, and its wavelength in Angstrom."""

    def get_wavelength(self) -> float | None: ...


@runtime_checkable
class TransmissionRole(ActuatorRole, Protocol):
    """The beam transmission in %."""


@runtime_checkable
class ResolutionRole(ActuatorRole, Protocol):
    """The resolution in Angstrom at the edge of the detector (moves its distance)."""

    def resolution_at(self, distance: float, wavelength: float | None = None) -> float: ...

    def distance_for(self, resolution: float, wavelength: float | None = None) -> float: ...


@runtime_checkable
class ShutterRole(ActuatorRole, Protocol):
    """A shutter: open or closed."""

    def open(self, timeout: float | None = 0) -> Future[Any]: ...

    def close(self, timeout: float | None = 0) -> Future[Any]: ...

    def is_open(self) -> bool: ...
