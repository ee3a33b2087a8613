"""The flux interface: photons per second at the sample."""

from __future__ import annotations

import abc
from typing import ClassVar

from mxgui.core.hardware_object import HardwareObject, HOProperty


class AbstractFlux(HardwareObject, abc.ABC):
    """Photons per second reaching the sample (with the shutters open).

    Signals: ``valueChanged(photons_per_second)``, ``stateChanged``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("valueChanged",)
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "username": HOProperty(str, "Flux"),
        "unit": HOProperty(str, "ph/s"),
        "beam_threshold": HOProperty(float, 1e6, "below this flux (ph/s) there is no beam"),
    }

    @property
    def username(self) -> str:
        """Name shown to the user."""
        return self.get_property("username") or self.name.strip("/")

    @property
    def unit(self) -> str:
        """Unit of the value (photons per second)."""
        unit: str = self.get_property("unit")
        return unit

    @abc.abstractmethod
    def get_value(self) -> float:
        """Flux at the sample now, photons/s."""

    def check_for_beam(self) -> bool:
        """True when the flux is at least ``beam_threshold`` photons/s."""
        threshold: float = self.get_property("beam_threshold")
        return self.get_value() >= threshold
