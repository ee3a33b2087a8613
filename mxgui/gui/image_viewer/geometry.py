"""Resolution from a detector image's geometry (no Qt).

Points are in pixels counted from the outer corner of the first pixel, as DIALS (dxtbx)
reads the Pilatus ``Beam_xy`` and the NXmx beam centre, and as the project's NXmx writer
states it: pixel ``(i, j)`` (column, row, from 0) covers ``[i, i + 1) x [j, j + 1)``, its
centre is ``(i + 0.5, j + 0.5)``, and point ``(x, y)`` is at ``((x - beam_x) * pixel_x,
(y - beam_y) * pixel_y)`` mm from the direct beam on a detector normal to it at
``distance`` mm. A ray at
``r`` mm from the beam is scattered by ``2 theta = atan(r / D)``, so its resolution is
``d = lambda / (2 sin(theta))``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

#: resolutions (Angstrom) a ring may be drawn at, finest last
NICE_RESOLUTIONS = (
    50.0, 30.0, 20.0, 15.0, 10.0, 8.0, 6.0, 5.0, 4.0, 3.5, 3.0, 2.5, 2.2, 2.0, 1.8, 1.6,
    1.5, 1.4, 1.3, 1.2, 1.1, 1.0, 0.9, 0.8, 0.7, 0.6, 0.5,
)  # fmt: skip


@dataclass(frozen=True)
class FrameGeometry:
    """Where the beam hits the detector and how far it is: beam centre in pixels,
    distance and pixel sizes in mm, wavelength in Angstrom."""

    beam_x: float
    beam_y: float
    distance: float
    pixel_x: float
    pixel_y: float
    wavelength: float

    def __post_init__(self) -> None:
        for name in ("distance", "pixel_x", "pixel_y", "wavelength"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a number above 0, got {value}")
        for name in ("beam_x", "beam_y"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, got {getattr(self, name)}")

    def radius_mm(self, x: float, y: float) -> float:
        """Distance in mm from the beam centre of point ``(x, y)`` (pixels from the
        outer corner of the first pixel: pixel ``(i, j)``'s centre is ``(i + 0.5, j +
        0.5)``)."""
        return math.hypot((x - self.beam_x) * self.pixel_x, (y - self.beam_y) * self.pixel_y)

    def resolution_at_radius(self, radius_mm: float) -> float:
        """``d`` in Angstrom at ``radius_mm`` from the beam (``inf`` on the beam)."""
        if radius_mm <= 0:
            return math.inf
        theta = 0.5 * math.atan(radius_mm / self.distance)
        return self.wavelength / (2.0 * math.sin(theta))

    def resolution_at(self, x: float, y: float) -> float:
        """``d`` in Angstrom at pixel ``(x, y)`` (column, row)."""
        return self.resolution_at_radius(self.radius_mm(x, y))

    def ring_radius_mm(self, resolution: float) -> float:
        """Radius in mm of the ring of resolution ``resolution`` Angstrom; ``ValueError``
        below ``wavelength / 2`` (no scattering reaches it)."""
        sin_theta = self.wavelength / (2.0 * resolution)
        if not 0 < sin_theta < math.sqrt(0.5):  # 2 theta >= 90 degrees: not on a flat detector
            raise ValueError(f"{resolution} A is out of reach at {self.wavelength} A")
        return self.distance * math.tan(2.0 * math.asin(sin_theta))

    def ring_radii_px(self, resolution: float) -> tuple[float, float]:
        """The ring of ``resolution`` as half-axes in pixels (x, y): an ellipse when the
        pixels are not square."""
        radius = self.ring_radius_mm(resolution)
        return radius / self.pixel_x, radius / self.pixel_y

    def corner_radius_mm(self, width: int, height: int) -> float:
        """Distance in mm from the beam to the farthest corner of a ``width`` x ``height``
        image."""
        return max(self.radius_mm(x, y) for x in (0, width - 1) for y in (0, height - 1))

    def edge_radius_mm(self, width: int, height: int) -> float:
        """Distance in mm from the beam to the nearest edge of the image (at least one
        pixel: a beam off the image still gets rings)."""
        edges = (
            self.beam_x * self.pixel_x,
            (width - 1 - self.beam_x) * self.pixel_x,
            self.beam_y * self.pixel_y,
            (height - 1 - self.beam_y) * self.pixel_y,
        )
        positive = [edge for edge in edges if edge > 0]
        return max(min(positive) if positive else 0.0, min(self.pixel_x, self.pixel_y))

    def describe(self) -> str:
        """One line for the user."""
        return (
            f"beam centre ({self.beam_x:.1f}, {self.beam_y:.1f}) px, distance "
            f"{self.distance:.1f} mm, wavelength {self.wavelength:.4f} A, pixel "
            f"{self.pixel_x * 1000:.0f} x {self.pixel_y * 1000:.0f} um"
        )


def ring_resolutions(
    geometry: FrameGeometry, width: int, height: int, count: int = 5
) -> list[float]:
    """Up to ``count`` resolutions (Angstrom, coarsest first) from :data:`NICE_RESOLUTIONS`
    whose rings fall on a ``width`` x ``height`` image, from a quarter of the way to the
    nearest edge out to the farthest corner, at least ``1 / (count + 1)`` of that span
    apart (evenly spread, labels readable)."""
    inner = 0.25 * geometry.edge_radius_mm(width, height)
    outer = geometry.corner_radius_mm(width, height)
    gap = (outer - inner) / (count + 1)
    chosen: list[float] = []
    last = -math.inf
    for resolution in NICE_RESOLUTIONS:
        try:
            radius = geometry.ring_radius_mm(resolution)
        except ValueError:
            break  # finer ones are out of reach too
        if radius > outer or len(chosen) == count:
            break
        if radius >= inner and radius - last >= gap:
            chosen.append(resolution)
            last = radius
    return chosen


# the Pilatus miniCBF header ----------------------------------------------------------------
_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_PILATUS = {
    "wavelength": re.compile(rf"Wavelength\s+{_NUMBER}\s*A", re.IGNORECASE),
    "distance": re.compile(rf"Detector_distance\s+{_NUMBER}\s*m\b", re.IGNORECASE),
    "beam": re.compile(rf"Beam_xy\s*\(\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\)", re.IGNORECASE),
    "pixel": re.compile(rf"Pixel_size\s+{_NUMBER}\s*m\s*x\s*{_NUMBER}\s*m", re.IGNORECASE),
}


def pilatus_geometry(header: str, where: str) -> FrameGeometry:
    """The geometry in a Pilatus miniCBF header (``_array_data.header_contents``);
    ``ValueError`` naming ``where`` (the file) and what is missing."""
    found = {name: pattern.search(header) for name, pattern in _PILATUS.items()}
    missing = [name for name, match in found.items() if match is None]
    if missing:
        keys = {"wavelength": "Wavelength", "distance": "Detector_distance"}
        keys.update(beam="Beam_xy", pixel="Pixel_size")
        raise ValueError(
            f"{where}: the Pilatus header has no {', '.join(keys[name] for name in missing)}"
        )
    wavelength, distance, beam, pixel = (found[name] for name in _PILATUS)
    assert wavelength and distance and beam and pixel  # checked above
    try:
        return FrameGeometry(
            beam_x=float(beam[1]),
            beam_y=float(beam[2]),
            distance=float(distance[1]) * 1000.0,
            pixel_x=float(pixel[1]) * 1000.0,
            pixel_y=float(pixel[2]) * 1000.0,
            wavelength=float(wavelength[1]),
        )
    except ValueError as exc:
        raise ValueError(f"{where}: the Pilatus header's geometry: {exc}") from None
