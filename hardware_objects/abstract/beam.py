"""The beam interface: size and shape at the sample, and the aperture that defines them.

The model: the focused beam has a size ``(width, height)`` (mm, FWHM, taken as a
uniform spot); an aperture of diameter ``a`` cuts it to ``(min(width, a), min(height,
a))``. Aperture positions are named with their diameter in micrometres (``A10``,
``A50``, ``50um``...: the number in the name); a position without a number (``OUT``)
leaves the focused beam.
"""

from __future__ import annotations

import abc
import re
import threading
from concurrent.futures import Future
from typing import Any, ClassVar, cast

from hardware_objects.abstract.nstate import AbstractNState
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState, HOProperty

SHAPES = ("ellipse", "rectangle")


def aperture_diameter(name: str) -> float | None:
    """Diameter (mm) of the aperture called ``name``; ``None`` for one without a number."""
    match = re.search(r"\d+(?:\.\d+)?", name)
    return None if match is None else float(match.group()) / 1000.0


class AbstractBeam(HardwareObject):
    """Beam size and shape at the sample, set by the aperture (role ``aperture``).

    Without an ``aperture`` role the beam is the focused beam and the aperture list is
    empty. Subclasses give :meth:`get_focus_size`.

    Signals: ``beamSizeChanged((width_mm, height_mm))``, ``apertureChanged(name)``,
    ``stateChanged`` (the aperture's).
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("beamSizeChanged", "apertureChanged")
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "username": HOProperty(str, "Beam"),
        "beam_shape": HOProperty(str, "ellipse", "shape of the focused beam: ellipse or rectangle"),
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._size_lock = threading.Lock()
        self._last_size: tuple[float, float] | None = None

    def init(self) -> None:
        if self.get_property("beam_shape") not in SHAPES:
            raise self.config_error(
                f"beam_shape must be one of {', '.join(SHAPES)}, "
                f"got {self.get_property('beam_shape')!r}",
                "beam_shape",
            )
        aperture = self.get_aperture_object()
        if aperture is not None and not isinstance(aperture, AbstractNState):
            raise self.config_error(
                f'role "aperture" must be an N-state actuator, got {type(aperture).__name__}'
            )
        if aperture is not None:
            aperture.interlocked = True  # the collection's beam size
            aperture.connect("valueChanged", self._on_aperture)
            aperture.connect("stateChanged", self.set_state)
            self.set_state(aperture.get_state())
        else:
            self.set_state(HardwareObjectState.READY)
        self._last_size = self.get_beam_size()

    def shutdown(self) -> None:
        aperture = self.get_aperture_object()
        if aperture is not None:
            aperture.disconnect("valueChanged", self._on_aperture)
            aperture.disconnect("stateChanged", self.set_state)

    @property
    def username(self) -> str:
        """Name shown to the user."""
        return self.get_property("username") or self.name.strip("/")

    # size and shape ------------------------------------------------------------------------
    @abc.abstractmethod
    def get_focus_size(self) -> tuple[float, float]:
        """``(width, height)`` of the focused beam without aperture, mm."""

    def get_beam_size(self) -> tuple[float, float]:
        """``(width, height)`` of the beam at the sample, mm."""
        width, height = self.get_focus_size()
        diameter = self._diameter()
        if diameter is None:
            return (width, height)
        return (min(width, diameter), min(height, diameter))

    def get_beam_shape(self) -> str:
        """``ellipse`` or ``rectangle``.

        An aperture smaller than the focus in both directions makes the beam round
        (``ellipse``); otherwise the focused beam's configured shape.
        """
        width, height = self.get_focus_size()
        diameter = self._diameter()
        if diameter is not None and diameter < width and diameter < height:
            return "ellipse"
        shape: str = self.get_property("beam_shape")
        return shape

    def _diameter(self) -> float | None:
        aperture = self.get_aperture()
        return None if aperture is None else aperture_diameter(aperture)

    # apertures --------------------------------------------------------------------------------
    def get_aperture_object(self) -> AbstractNState | None:
        """The aperture actuator, or ``None`` when the beamline has none."""
        return cast("AbstractNState | None", self.get_object_by_role("aperture"))

    def get_aperture_list(self) -> list[str]:
        """Names of the aperture positions, in order (empty without an aperture)."""
        aperture = self.get_aperture_object()
        return [] if aperture is None else aperture.get_values()

    def get_aperture(self) -> str | None:
        """Name of the aperture in the beam (``None`` without an aperture)."""
        aperture = self.get_aperture_object()
        return None if aperture is None else aperture.get_value()

    def set_aperture(self, name: str, timeout: float | None = 0) -> Future[Any]:
        """Put aperture ``name`` in the beam; ``ValueError`` naming the choices if unknown."""
        aperture = self.get_aperture_object()
        if aperture is None:
            raise ValueError(f"{self.username}: this beamline has no aperture")
        return aperture.set_value(name, timeout)

    def aperture_for_size(self, size: float | tuple[float, float]) -> str:
        """The aperture giving the largest beam that fits within ``size`` mm.

        ``size`` is a diameter or ``(width, height)``. ``ValueError`` saying why when no
        aperture gives a beam that small.
        """
        try:
            if isinstance(size, (list, tuple)):
                width, height = (float(v) for v in size)
            else:
                width = height = float(size)
        except (TypeError, ValueError):
            raise ValueError(
                f"{self.username}: a beam size is a diameter or (width, height) in mm, got {size!r}"
            ) from None
        if not (width > 0 and height > 0):
            raise ValueError(f"{self.username}: a beam size must be above 0, got {size!r}")
        names = self.get_aperture_list()
        if not names:
            raise ValueError(f"{self.username}: this beamline has no aperture to set the size")
        tolerance = 1e-9
        sizes = {name: self._size_with(name) for name in names}
        fitting = [
            name
            for name, (w, h) in sizes.items()
            if w <= width + tolerance and h <= height + tolerance
        ]
        if not fitting:
            smallest = min(names, key=lambda n: sizes[n][0] * sizes[n][1])
            w, h = sizes[smallest]
            raise ValueError(
                f"{self.username}: no aperture gives a beam within {width * 1000:g} x "
                f"{height * 1000:g} um; the smallest is {smallest} ({w * 1000:g} x {h * 1000:g} um)"
            )
        return max(fitting, key=lambda n: sizes[n][0] * sizes[n][1])

    def set_beam_size(
        self, size: float | tuple[float, float], timeout: float | None = 0
    ) -> Future[Any]:
        """Choose the aperture for ``size`` mm (see :meth:`aperture_for_size`) and set it."""
        return self.set_aperture(self.aperture_for_size(size), timeout)

    def get_defined_beam_sizes(self) -> dict[str, tuple[float, float]]:
        """``{aperture: (width, height)}`` mm: the beam each aperture gives, in order
        (empty without an aperture)."""
        return {name: self._size_with(name) for name in self.get_aperture_list()}

    def _size_with(self, name: str) -> tuple[float, float]:
        width, height = self.get_focus_size()
        diameter = aperture_diameter(name)
        if diameter is None:
            return (width, height)
        return (min(width, diameter), min(height, diameter))

    # updates ---------------------------------------------------------------------------------
    def _on_aperture(self, name: object) -> None:
        self.emit("apertureChanged", name)
        self.size_may_have_changed()

    def size_may_have_changed(self) -> None:
        """Emit ``beamSizeChanged`` if the size changed (for subclasses and the aperture)."""
        size = self.get_beam_size()
        with self._size_lock:
            changed = size != self._last_size
            self._last_size = size
        if changed:
            self.emit("beamSizeChanged", size)
