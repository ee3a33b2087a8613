"""The detector interface: geometry, ROI modes, beam centre, exposure limits, file format.

Geometry conventions (the same as a Pilatus / Eiger CBF header):

- pixel coordinates ``(x, y)`` count from the top-left corner of the image read out in
  the current ROI mode, ``x`` along a row (width), ``y`` down the columns (height);
- the beam centre is where the direct beam would hit the detector, in those pixels
  (fractional);
- the sensor is the full detector; a ROI mode reads the rectangle ``x0, y0, width,
  height`` of it, so its beam centre is the sensor's minus ``(x0, y0)``.

The beam centre may drift linearly with the detector distance (the detector carriage is
never exactly parallel to the beam): ``beam_x(D) = beam_x + beam_x_per_mm * (D -
beam_centre_distance)``, the same for ``y``. With both slopes 0 (the default) it is
fixed.
"""

from __future__ import annotations

import abc
import math
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from hardware_objects.abstract.motor import AbstractMotor
from mxgui.core.futures import wait
from mxgui.core.hardware_object import HardwareObject, HOProperty
from mxgui.core.xml_config import ConfigNode

FILE_SUFFIXES = ("cbf", "h5")


@dataclass(frozen=True)
class RoiMode:
    """A read-out region of the sensor: name, offset and size in pixels.

    ``min_exposure_time`` (s) is the shortest exposure in this mode (a smaller region
    reads out faster); ``None`` means the detector's own limit.
    """

    name: str
    x0: int
    y0: int
    width: int
    height: int
    min_exposure_time: float | None = None


class AbstractDetector(HardwareObject):
    """An area detector on a distance stage (role ``detector_distance``).

    XML properties: ``model``, ``pixel_size_x`` / ``pixel_size_y`` (mm), ``width`` /
    ``height`` (sensor, pixels), ``beam_x`` / ``beam_y`` (sensor pixels),
    ``beam_x_per_mm`` / ``beam_y_per_mm`` / ``beam_centre_distance`` (drift with
    distance, see the module), ``exposure_time_min`` / ``exposure_time_max`` (s),
    ``file_suffix`` (``cbf`` or ``h5``), ``default_roi_mode``; and one element per ROI
    mode::

        <roi_mode name="1M" x0="520" y0="551" width="1030" height="1065"/>

    (attribute ``min_exposure_time`` optional). Without any ``roi_mode`` the sensor is
    the only mode, called ``full``.

    Signals: ``roiModeChanged(name)``, ``beamCentreChanged((x, y))``, ``stateChanged``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("roiModeChanged", "beamCentreChanged")
    #: the ROI mode (and the distance motor, see :meth:`init`) is the collection's
    interlocked = True
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "username": HOProperty(str, "Detector", "name shown to the user"),
        "model": HOProperty(str, "", "detector model shown to the user"),
        "pixel_size_x": HOProperty(float, doc="pixel width, mm"),
        "pixel_size_y": HOProperty(float, doc="pixel height, mm"),
        "width": HOProperty(int, doc="sensor width, pixels"),
        "height": HOProperty(int, doc="sensor height, pixels"),
        "beam_x": HOProperty(float, doc="beam centre x on the sensor, pixels"),
        "beam_y": HOProperty(float, doc="beam centre y on the sensor, pixels"),
        "beam_x_per_mm": HOProperty(float, 0.0, "beam centre x drift, pixels per mm"),
        "beam_y_per_mm": HOProperty(float, 0.0, "beam centre y drift, pixels per mm"),
        "beam_centre_distance": HOProperty(float, 0.0, "distance (mm) of beam_x / beam_y"),
        "exposure_time_min": HOProperty(float, 0.001, "shortest exposure, s"),
        "exposure_time_max": HOProperty(float, 3600.0, "longest exposure, s"),
        "file_suffix": HOProperty(str, "cbf", "image file format: cbf or h5"),
        "default_roi_mode": HOProperty(str, "", "ROI mode at start (default: the first)"),
    }
    REQUIRED_ROLES: ClassVar[tuple[str, ...]] = ("detector_distance",)

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._roi_modes: dict[str, RoiMode] = {}
        self._roi_mode: RoiMode  # set by init()

    # configuration ------------------------------------------------------------------
    def init(self) -> None:
        for prop in ("pixel_size_x", "pixel_size_y", "width", "height"):
            if not self.get_property(prop) > 0:
                raise self.config_error(f"{prop} must be above 0", prop)
        if self.get_property("file_suffix") not in FILE_SUFFIXES:
            raise self.config_error(
                f"file_suffix must be one of {', '.join(FILE_SUFFIXES)}, "
                f"got {self.get_property('file_suffix')!r}",
                "file_suffix",
            )
        low, high = self.get_property("exposure_time_min"), self.get_property("exposure_time_max")
        if not 0 < low <= high:
            raise self.config_error(
                f"need 0 < exposure_time_min <= exposure_time_max, got {low} and {high}",
                "exposure_time_min",
            )
        motor = self.get_object_by_role("detector_distance")
        if not isinstance(motor, AbstractMotor):
            raise self.config_error(
                f'role "detector_distance" must be a motor, got {type(motor).__name__}'
            )
        motor.interlocked = True
        nodes = self.get_nodes("roi_mode")
        modes = [self._parse_roi_mode(node) for node in nodes] or [
            RoiMode("full", 0, 0, self.get_property("width"), self.get_property("height"))
        ]
        self._roi_modes = {}
        for mode in modes:
            if mode.name in self._roi_modes:
                raise self.config_error(f"two ROI modes are called {mode.name!r}")
            self._roi_modes[mode.name] = mode
        start = self.get_property("default_roi_mode") or modes[0].name
        if start not in self._roi_modes:
            raise self.config_error(
                f"default_roi_mode {start!r} is not one of {', '.join(self._roi_modes)}",
                "default_roi_mode",
            )
        self._check_beam_centre(motor)
        self._roi_mode = self._roi_modes[start]
        if self.get_property("beam_x_per_mm") or self.get_property("beam_y_per_mm"):
            motor.connect("valueChanged", self._on_distance)

    def _on_distance(self, distance: float) -> None:
        self.emit("beamCentreChanged", self.get_beam_centre(distance))

    def shutdown(self) -> None:
        self.get_distance_motor().disconnect("valueChanged", self._on_distance)

    def _parse_roi_mode(self, node: ConfigNode) -> RoiMode:
        attributes = dict(node.attributes)
        attributes.update({k: str(v) for k, v in node.properties.items()})
        name = attributes.get("name", "").strip()
        if not name:
            raise node.error('<roi_mode> needs a name="..." attribute')
        numbers: dict[str, int] = {}
        for key in ("x0", "y0", "width", "height"):
            try:
                numbers[key] = int(attributes.get(key, "0" if key in ("x0", "y0") else ""))
            except ValueError:
                raise node.error(
                    f"ROI mode {name!r}: {key} must be an integer, got {attributes.get(key)!r}"
                ) from None
        sensor_w, sensor_h = self.get_property("width"), self.get_property("height")
        if numbers["width"] <= 0 or numbers["height"] <= 0:
            raise node.error(f"ROI mode {name!r}: width and height must be above 0")
        if (
            numbers["x0"] < 0
            or numbers["y0"] < 0
            or numbers["x0"] + numbers["width"] > sensor_w
            or numbers["y0"] + numbers["height"] > sensor_h
        ):
            raise node.error(
                f"ROI mode {name!r} ({numbers['x0']}, {numbers['y0']}, {numbers['width']} x "
                f"{numbers['height']}) does not fit on the {sensor_w} x {sensor_h} sensor"
            )
        min_exposure = None
        if "min_exposure_time" in attributes:
            try:
                min_exposure = float(attributes["min_exposure_time"])
            except ValueError:
                min_exposure = math.nan
            if not min_exposure > 0:
                raise node.error(f"ROI mode {name!r}: min_exposure_time must be above 0 s")
        return RoiMode(name, min_exposure_time=min_exposure, **numbers)

    def _check_beam_centre(self, motor: AbstractMotor) -> None:
        """Refuse a configuration whose beam centre leaves a ROI within the distance range."""
        distances = [d for d in motor.get_limits() if math.isfinite(d)] or [
            self.get_property("beam_centre_distance")
        ]
        for mode in self._roi_modes.values():
            for distance in distances:
                if self._radius(mode, distance) <= 0:
                    x, y = self._beam_centre(mode, distance)
                    raise self.config_error(
                        f"the beam centre ({x:.1f}, {y:.1f}) px is not inside ROI mode "
                        f"{mode.name!r} at distance {distance:g} mm",
                        "beam_x",
                    )

    # the interface --------------------------------------------------------------------
    @property
    def username(self) -> str:
        """Name shown to the user."""
        return self.get_property("username") or self.name.strip("/")

    def get_model(self) -> str:
        """The detector model, e.g. ``EIGER X 4M``."""
        model: str = self.get_property("model")
        return model

    def get_distance_motor(self) -> AbstractMotor:
        """The motor of the detector distance (mm)."""
        return cast("AbstractMotor", self.get_object_by_role("detector_distance"))

    def get_distance(self) -> float | None:
        """Current detector distance, mm."""
        return self.get_distance_motor().get_value()

    def get_pixel_size(self) -> tuple[float, float]:
        """``(x, y)`` size of a pixel, mm."""
        return (self.get_property("pixel_size_x"), self.get_property("pixel_size_y"))

    def get_sensor_size(self) -> tuple[int, int]:
        """``(width, height)`` of the whole sensor, pixels."""
        return (self.get_property("width"), self.get_property("height"))

    def get_roi_modes(self) -> list[str]:
        """Names of the ROI modes, in configuration order."""
        return list(self._roi_modes)

    def get_roi_mode(self) -> str:
        """Name of the current ROI mode."""
        return self._roi_mode.name

    def get_roi(self, mode: str | None = None) -> RoiMode:
        """The region of ``mode`` (default: the current one)."""
        return self._roi_mode if mode is None else self._roi_modes[self._check_mode(mode)]

    def set_roi_mode(self, mode: str, timeout: float | None = 0) -> Future[Any]:
        """Switch to ROI mode ``mode``; ``ValueError`` naming the modes for an unknown one.

        Returns a Future that ends when the detector is ready in the new mode
        (``roiModeChanged(mode)`` is emitted then). ``timeout`` as in ``set_value``.
        """
        self.check_interlock(f"{self.name}: the change to ROI mode {mode}")
        return wait(self._set_roi_mode(self._check_mode(mode)), timeout)

    def _check_mode(self, mode: str) -> str:
        if mode not in self._roi_modes:
            raise ValueError(
                f"{self.username}: ROI mode {mode!r} is not one of {', '.join(self._roi_modes)}"
            )
        return mode

    def _apply_roi_mode(self, mode: str) -> None:
        """Make ``mode`` current and tell the listeners (for implementations)."""
        if self._roi_mode.name != mode:
            self._roi_mode = self._roi_modes[mode]
            self.emit("roiModeChanged", mode)
            self.emit("beamCentreChanged", self.get_beam_centre())

    @abc.abstractmethod
    def _set_roi_mode(self, mode: str) -> Future[Any]:
        """Start switching to the (checked) ``mode``; end with :meth:`_apply_roi_mode`."""

    def get_width(self) -> int:
        """Image width in the current ROI mode, pixels."""
        return self._roi_mode.width

    def get_height(self) -> int:
        """Image height in the current ROI mode, pixels."""
        return self._roi_mode.height

    def get_beam_centre(self, distance: float | None = None) -> tuple[float, float]:
        """``(x, y)`` beam centre in the current ROI mode's pixels.

        At ``distance`` mm, or at the current distance when ``None``.
        """
        return self._beam_centre(self._roi_mode, self._distance_or_current(distance))

    def get_radius(self, distance: float | None = None) -> float:
        """Shortest distance (mm) from the beam centre to an image edge.

        This is the ``r`` of the resolution formula: the resolution reached on the whole
        edge of the image. At ``distance`` mm (default: the current distance).
        """
        return self._radius(self._roi_mode, self._distance_or_current(distance))

    def get_exposure_time_limits(self) -> tuple[float, float]:
        """``(shortest, longest)`` exposure time per image in the current mode, s."""
        low = self._roi_mode.min_exposure_time or self.get_property("exposure_time_min")
        return (low, self.get_property("exposure_time_max"))

    def get_file_suffix(self) -> str:
        """Image file format: ``cbf`` or ``h5``."""
        suffix: str = self.get_property("file_suffix")
        return suffix

    # geometry -----------------------------------------------------------------------------
    def _distance_or_current(self, distance: float | None) -> float:
        if distance is not None:
            return float(distance)
        current = self.get_distance()
        return self.get_property("beam_centre_distance") if current is None else current

    def _beam_centre(self, mode: RoiMode, distance: float) -> tuple[float, float]:
        shift = distance - self.get_property("beam_centre_distance")
        x = self.get_property("beam_x") + self.get_property("beam_x_per_mm") * shift
        y = self.get_property("beam_y") + self.get_property("beam_y_per_mm") * shift
        return (x - mode.x0, y - mode.y0)

    def _radius(self, mode: RoiMode, distance: float) -> float:
        x, y = self._beam_centre(mode, distance)
        pixel_x, pixel_y = self.get_pixel_size()
        return min(
            x * pixel_x, (mode.width - x) * pixel_x, y * pixel_y, (mode.height - y) * pixel_y
        )
