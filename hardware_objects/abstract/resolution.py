"""Resolution at the detector edge, from the detector distance and the energy.

The formula (docs/domain.md), for a detector at distance ``D`` mm whose edge is ``r`` mm from
the beam centre, at wavelength ``lambda`` Angstrom::

    d = lambda / (2 sin(0.5 atan(r / D)))

is Bragg's law at the scattering angle ``2 theta = atan(r / D)`` of the edge. Its
inverse is ``D = r / tan(2 asin(lambda / (2 d)))``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, ClassVar, cast

from hardware_objects.abstract.actuator import AbstractNumericActuator
from hardware_objects.abstract.detector import AbstractDetector
from hardware_objects.abstract.energy import AbstractEnergy
from hardware_objects.abstract.motor import AbstractMotor
from mxgui.core.futures import then
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState, HOProperty

State = HardwareObjectState


def resolution_from_distance(distance_mm: float, wavelength_a: float, radius_mm: float) -> float:
    """Resolution (Angstrom) at the detector edge ``radius_mm`` from the beam centre.

    ``distance_mm`` may be ``inf`` (the resolution is then ``inf``).
    """
    if not (distance_mm > 0 and wavelength_a > 0 and radius_mm > 0):
        raise ValueError(
            "distance, wavelength and radius must be above 0, got "
            f"{distance_mm} mm, {wavelength_a} A, {radius_mm} mm"
        )
    if math.isinf(distance_mm):
        return math.inf
    return wavelength_a / (2.0 * math.sin(0.5 * math.atan(radius_mm / distance_mm)))


def distance_from_resolution(resolution_a: float, wavelength_a: float, radius_mm: float) -> float:
    """Detector distance (mm) that puts ``resolution_a`` Angstrom on the detector edge.

    The inverse of :func:`resolution_from_distance`. ``ValueError`` when no distance can:
    the edge would have to be at a scattering angle of 90 degrees or more.
    """
    if not (resolution_a > 0 and wavelength_a > 0 and radius_mm > 0):
        raise ValueError(
            "resolution, wavelength and radius must be above 0, got "
            f"{resolution_a} A, {wavelength_a} A, {radius_mm} mm"
        )
    if math.isinf(resolution_a):
        return math.inf
    sin_theta = wavelength_a / (2.0 * resolution_a)
    if sin_theta >= math.sqrt(0.5):
        raise ValueError(
            f"{resolution_a:g} A cannot be reached at {wavelength_a:g} A: it needs a scattering "
            "angle of 90 degrees or more"
        )
    return radius_mm / math.tan(2.0 * math.asin(sin_theta))


class AbstractResolution(AbstractNumericActuator):
    """The resolution (Angstrom) at the detector edge; setting it moves the detector.

    Roles: ``detector`` (an :class:`AbstractDetector`, whose ``detector_distance`` motor
    is moved) and ``energy``. The value follows the distance, the energy and the
    detector's ROI mode (which changes the edge radius); the limits are the resolutions
    at the distance limits at the current energy and ROI mode. ``set_value(d)`` converts
    ``d`` with the wavelength at the time of the call: set the energy first, and wait
    for it.

    The limits are derived: ``<low_limit>`` / ``<high_limit>`` in the XML are refused.
    When the beam centre drifts with the distance the radius depends on the distance,
    and the inverse is found by iteration.

    Signals: ``valueChanged(angstrom)``, ``limitsChanged((low, high))``, ``stateChanged``
    (BUSY while the distance, the energy or the detector is busy).
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "username": HOProperty(str, "Resolution"),
        "unit": HOProperty(str, "Å"),
        "decimals": HOProperty(int, 3, "decimals shown to the user"),
    }
    REQUIRED_ROLES: ClassVar[tuple[str, ...]] = ("detector", "energy")
    interlocked = True

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._update_lock = threading.RLock()
        #: the signals :meth:`init` connected, disconnected by :meth:`shutdown`
        self._connections: list[tuple[HardwareObject, str, Callable[..., None]]] = []

    def init(self) -> None:
        for prop in ("low_limit", "high_limit"):
            if prop in (self.config.properties if self.config else {}):
                raise self.config_error(
                    f"<{prop}>: the resolution limits follow the detector distance limits "
                    "and the energy; set the limits of the distance motor instead",
                    prop,
                )
        super().init()
        detector, energy = self.get_object_by_role("detector"), self.get_object_by_role("energy")
        if not isinstance(detector, AbstractDetector):
            raise self.config_error(f'role "detector" must be a detector, got {detector!r}')
        if not isinstance(energy, AbstractEnergy):
            raise self.config_error(f'role "energy" must be an energy, got {energy!r}')
        if not self.get_distance_motor().get_limits()[0] > 0:
            raise self.config_error("the detector distance low limit must be above 0 mm")
        parts: tuple[HardwareObject, ...] = (self.get_distance_motor(), energy, detector)
        self._connections = [
            (self.get_distance_motor(), "valueChanged", self._update),
            (self.get_distance_motor(), "limitsChanged", self._update),
            (energy, "valueChanged", self._update),
            (detector, "roiModeChanged", self._update),
            (detector, "beamCentreChanged", self._update),
        ]
        self._connections += [(obj, "stateChanged", self._update_state) for obj in parts]
        for emitter, signal, slot in self._connections:
            emitter.connect(signal, slot)
        self._update()
        self._update_state()

    def shutdown(self) -> None:
        for emitter, signal, slot in self._connections:
            emitter.disconnect(signal, slot)
        self._connections = []

    # the parts ------------------------------------------------------------------------
    def get_detector(self) -> AbstractDetector:
        """The detector whose edge the resolution is at."""
        return cast("AbstractDetector", self.get_object_by_role("detector"))

    def get_energy(self) -> AbstractEnergy:
        """The energy object giving the wavelength."""
        return cast("AbstractEnergy", self.get_object_by_role("energy"))

    def get_distance_motor(self) -> AbstractMotor:
        """The detector distance motor that :meth:`set_value` moves."""
        return self.get_detector().get_distance_motor()

    # conversions ---------------------------------------------------------------------------
    def _wavelength(self, wavelength: float | None) -> float:
        if wavelength is not None:
            return wavelength
        current = self.get_energy().get_wavelength()
        if current is None:
            raise ValueError(f"{self.username}: the energy is not known yet")
        return current

    def resolution_at(self, distance: float, wavelength: float | None = None) -> float:
        """Resolution (Angstrom) at ``distance`` mm and ``wavelength`` (default: current)."""
        radius = self.get_detector().get_radius(distance if math.isfinite(distance) else None)
        return resolution_from_distance(distance, self._wavelength(wavelength), radius)

    def distance_for(self, resolution: float, wavelength: float | None = None) -> float:
        """Distance (mm) giving ``resolution`` Angstrom at ``wavelength`` (default: current).

        Not checked against the distance limits. With a beam centre that drifts with the
        distance, iterates until the distance changes by less than 1e-9 mm.
        """
        wavelength = self._wavelength(wavelength)
        detector = self.get_detector()
        distance = distance_from_resolution(resolution, wavelength, detector.get_radius())
        for _ in range(100):
            if not math.isfinite(distance):
                return distance
            better = distance_from_resolution(resolution, wavelength, detector.get_radius(distance))
            if abs(better - distance) < 1e-9:
                return better
            distance = better
        raise ValueError(f"{self.username}: no distance found for {resolution:g} Å")

    # actuator ----------------------------------------------------------------------------------
    def get_value(self) -> float | None:
        """Resolution (Angstrom) now; ``None`` while the distance or energy is unknown."""
        distance = self.get_distance_motor().get_value()
        try:
            return None if distance is None else self.resolution_at(distance)
        except ValueError:
            return None

    def set_limits(self, limits: tuple[float, float]) -> None:
        """Refused: the limits follow the detector distance limits and the energy."""
        raise ValueError(
            f"{self.username}: the limits follow the detector distance limits and the energy"
        )

    def _set_value(self, value: float) -> Future[Any]:
        motor = self.get_distance_motor()
        low, high = motor.get_limits()
        # the limits were checked in Angstrom: only rounding can leave the motor range
        distance = min(max(self.distance_for(value), low), high)

        def arrived(move: Future[Any]) -> float | None:
            if move.cancelled():
                raise RuntimeError(f"{self.username}: the move was cancelled")
            move.result()
            return self.get_value()

        return then(motor.set_value(distance), arrived)

    def abort(self) -> None:
        """Stop the detector distance."""
        self.get_distance_motor().stop()

    # updates ------------------------------------------------------------------------------------
    def _update(self, *_args: object) -> None:
        with self._update_lock:
            limits = self._derived_limits()
            if limits is not None and limits != self._limits:
                self._limits = limits
                self.emit("limitsChanged", limits)
            value = self.get_value()
            if value is not None:
                self.update_value(value)

    def _derived_limits(self) -> tuple[float, float] | None:
        low, high = self.get_distance_motor().get_limits()
        try:
            return (self.resolution_at(low), self.resolution_at(high))
        except ValueError:
            return None

    def _update_state(self, *_args: object) -> None:
        states = {
            obj.get_state()
            for obj in (self.get_distance_motor(), self.get_energy(), self.get_detector())
        }
        for state in (State.FAULT, State.BUSY, State.OFF, State.UNKNOWN, State.WARNING):
            if state in states:
                self.set_state(state)
                return
        self.set_state(State.READY)
