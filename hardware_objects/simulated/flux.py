"""A simulated flux that follows the transmission, the beam size, the energy and the ring."""

from __future__ import annotations

import threading
from typing import ClassVar

from hardware_objects.abstract.beam import AbstractBeam
from hardware_objects.abstract.energy import AbstractEnergy
from hardware_objects.abstract.flux import AbstractFlux
from hardware_objects.abstract.machine_info import AbstractMachineInfo
from hardware_objects.abstract.transmission import AbstractTransmission
from hardware_objects.role_objects import optional_role_object, role_object
from mxgui.core.hardware_object import HardwareObjectState, HOProperty


def flux_model(
    full_flux: float,
    transmission: float,
    beam_size: tuple[float, float],
    focus_size: tuple[float, float],
    energy: float | None = None,
    reference_energy: float = 12.7,
    energy_width: float = 8.0,
    current: float | None = None,
    reference_current: float = 200.0,
) -> float:
    """Photons/s of the simulated beamline's model.

    ``full_flux * transmission / 100 * (beam area / focus area) * g(E) * I / I_ref``:

    - the focus is a uniform spot, so an aperture passes the fraction of its area it
      lets through (the same top-hat the collect object uses for the illuminated part
      of a crystal);
    - ``g(E) = 1 / (1 + ((E - reference_energy) / energy_width) ** 2)``, the
      undulator and optics peaking at ``reference_energy`` keV (``g = 1`` when the
      energy is not given);
    - the flux is proportional to the ring current (ignored when not given).
    """
    flux = full_flux * max(transmission, 0.0) / 100.0
    flux *= (beam_size[0] * beam_size[1]) / (focus_size[0] * focus_size[1])
    if energy is not None:
        flux /= 1.0 + ((energy - reference_energy) / energy_width) ** 2
    if current is not None:
        flux *= max(current, 0.0) / reference_current
    return flux


class SimulatedFlux(AbstractFlux):
    """Flux from :func:`flux_model`, recomputed whenever one of its inputs changes.

    Roles: ``transmission`` and ``beam`` (required), ``energy`` and ``machine_info``
    (optional: without them the flux does not depend on energy or current).
    XML properties: ``full_flux`` (ph/s through the whole focus at 100 % transmission,
    the reference energy and current), ``reference_energy`` (keV), ``energy_width``
    (keV), ``reference_current`` (mA).
    """

    REQUIRED_ROLES: ClassVar[tuple[str, ...]] = ("transmission", "beam")
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "full_flux": HOProperty(float, 5e12, "ph/s through the whole focus, 100 %"),
        "reference_energy": HOProperty(float, 12.7, "energy of the highest flux, keV"),
        "energy_width": HOProperty(float, 8.0, "energy at which the flux halves, keV off peak"),
        "reference_current": HOProperty(float, 200.0, "ring current of full_flux, mA"),
    }

    _ROLE_TYPES: ClassVar[dict[str, tuple[type, str]]] = {
        "transmission": (AbstractTransmission, "valueChanged"),
        "beam": (AbstractBeam, "beamSizeChanged"),
        "energy": (AbstractEnergy, "valueChanged"),
        "machine_info": (AbstractMachineInfo, "valueChanged"),
    }

    def init(self) -> None:
        for prop in ("full_flux", "energy_width", "reference_current"):
            if not self.get_property(prop) > 0:
                raise self.config_error(f"{prop} must be above 0", prop)
        self._lock = threading.Lock()
        self._value: float | None = None
        self._connections = []
        for role, (kind, signal) in self._ROLE_TYPES.items():
            obj = self.get_object_by_role(role)
            if obj is None:
                continue
            if not isinstance(obj, kind):
                raise self.config_error(
                    f'role "{role}" must be a {kind.__name__}, got {type(obj).__name__}'
                )
            obj.connect(signal, self._update)
            self._connections.append((obj, signal))
        self._update()
        self.set_state(HardwareObjectState.READY)

    def shutdown(self) -> None:
        for obj, signal in self._connections:
            obj.disconnect(signal, self._update)

    def get_value(self) -> float:
        beam = role_object(self, "beam", AbstractBeam)
        energy = optional_role_object(self, "energy", AbstractEnergy)
        machine = optional_role_object(self, "machine_info", AbstractMachineInfo)
        return flux_model(
            self.get_property("full_flux"),
            role_object(self, "transmission", AbstractTransmission).get_value() or 0.0,
            beam.get_beam_size(),
            beam.get_focus_size(),
            energy=None if energy is None else energy.get_value(),
            reference_energy=self.get_property("reference_energy"),
            energy_width=self.get_property("energy_width"),
            current=None if machine is None else machine.get_current(),
            reference_current=self.get_property("reference_current"),
        )

    def _update(self, *_args: object) -> None:
        value = self.get_value()
        with self._lock:
            changed = value != self._value
            self._value = value
        if changed:
            self.emit("valueChanged", value)
