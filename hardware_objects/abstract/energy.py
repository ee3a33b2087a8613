"""The energy / wavelength interface."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, ClassVar

from hardware_objects.abstract.actuator import AbstractNumericActuator

#: h*c in keV*Angstrom: lambda [A] = HC_KEV_ANGSTROM / E [keV]
HC_KEV_ANGSTROM = 12.3984


def energy_to_wavelength(energy_kev: float) -> float:
    """Wavelength in Angstrom for an energy in keV."""
    return HC_KEV_ANGSTROM / energy_kev


def wavelength_to_energy(wavelength: float) -> float:
    """Energy in keV for a wavelength in Angstrom."""
    return HC_KEV_ANGSTROM / wavelength


class AbstractEnergy(AbstractNumericActuator):
    """The X-ray energy in keV; the wavelength follows it.

    Signals: ``valueChanged(energy_kev)``, ``wavelengthChanged(angstrom)``, ``stateChanged``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("wavelengthChanged",)
    interlocked = True

    def get_wavelength(self) -> float | None:
        """Current wavelength in Angstrom."""
        energy = self.get_value()
        return None if not energy else energy_to_wavelength(energy)

    def set_wavelength(self, wavelength: float, timeout: float | None = 0) -> Future[Any]:
        """Move the energy to give ``wavelength`` Angstrom."""
        if wavelength <= 0:
            raise ValueError(f"{self.username}: wavelength must be above 0, got {wavelength}")
        return self.set_value(wavelength_to_energy(wavelength), timeout)

    def get_wavelength_limits(self) -> tuple[float, float]:
        """``(low, high)`` wavelength limits in Angstrom."""
        low, high = self.get_limits()
        return (energy_to_wavelength(high), energy_to_wavelength(low) if low > 0 else float("inf"))

    def update_value(self, value: float) -> None:
        changed = value != self.get_value()
        super().update_value(value)
        if changed and value:
            self.emit("wavelengthChanged", energy_to_wavelength(value))
