"""Where things are on a crystal snapshot: the camera's scale, the beam and the motors.

A crystal snapshot is a camera frame; to draw a shape over it later (ISPyB draws the
mesh's grid over the snapshot of the collection) one needs what mapped the sample onto
that frame when it was taken: the calibration and the beam position at the zoom of
then, and the motor positions. :class:`SnapshotGeometry` keeps them as plain types (the
collect object's ``info["snapshot_geometry"]``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from mxgui.core.centring import CENTRING_MOTORS, ImageGeometry, plane_to_image
from mxgui.core.shapes import Grid


@dataclass(frozen=True)
class SnapshotGeometry:
    """How a snapshot image maps onto the sample when it was taken.

    ``pixels_per_mm`` ``(x, y)`` and ``beam_position`` ``(x, y)`` (pixels) of the image;
    ``positions``: the diffractometer's motor positions by role (``phi``, ``phiy``,
    ``phiz``, ``sampx``, ``sampy``...).
    """

    pixels_per_mm: tuple[float, float]
    beam_position: tuple[float, float]
    positions: Mapping[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """Plain types: lists of two numbers and a dict of motor positions."""
        return {
            "pixels_per_mm": list(self.pixels_per_mm),
            "beam_position": list(self.beam_position),
            "positions": dict(self.positions),
        }

    @classmethod
    def from_dict(cls, data: object) -> SnapshotGeometry:
        """The inverse of :meth:`to_dict`; ``ValueError`` names a missing or bad key."""
        if not isinstance(data, Mapping):
            raise ValueError(f"snapshot geometry: a dict expected, got {type(data).__name__}")
        ppm = _pair(data, "pixels_per_mm")
        if not (ppm[0] > 0 and ppm[1] > 0):
            raise ValueError(f"snapshot geometry: pixels_per_mm must be above 0, got {ppm}")
        positions = data.get("positions")
        if not isinstance(positions, Mapping):
            raise ValueError("snapshot geometry: positions must be a dict of motor positions")
        values = {str(k): _number(v, f"positions.{k}") for k, v in positions.items()}
        missing = [m for m in CENTRING_MOTORS if m not in values]
        if missing:
            raise ValueError(f"snapshot geometry: positions lack {', '.join(missing)}")
        return cls(ppm, _pair(data, "beam_position"), values)

    @property
    def image_geometry(self) -> ImageGeometry:
        return ImageGeometry(self.pixels_per_mm, self.beam_position)

    @property
    def microns_per_pixel(self) -> tuple[float, float]:
        """``(x, y)`` microns of the sample per pixel of the image."""
        return 1000.0 / self.pixels_per_mm[0], 1000.0 / self.pixels_per_mm[1]

    def grid_corner(self, grid: Grid) -> tuple[float, float]:
        """Image ``(x, y)`` of the top-left corner of ``grid``'s cell (column 0, row 0),
        the first cell of either scan order: the grid's own top-left corner."""
        origin, ex, ey = plane_to_image(grid.centre, self.positions, self.image_geometry)
        half_w, half_h = grid.width_mm / 2.0, grid.height_mm / 2.0
        # left along the axis, up in the grid's plane (as the sample view draws it)
        return (
            origin[0] - half_w * ex[0] + half_h * ey[0],
            origin[1] - half_w * ex[1] + half_h * ey[1],
        )

    def shows_face_on(self, grid: Grid) -> bool:
        """Whether the snapshot sees ``grid``'s plane face on (omega as when drawn), so
        that the grid is the upright rectangle a LIMS draws over it."""
        return "phi" in self.positions and grid.is_face_on(self.positions["phi"])


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"snapshot geometry: {name} must be a finite number, got {value!r}")
    return float(value)


def _pair(data: Mapping[str, object], name: str) -> tuple[float, float]:
    value = data.get(name)
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"snapshot geometry: {name} must be two numbers, got {value!r}")
    return _number(value[0], f"{name}[0]"), _number(value[1], f"{name}[1]")
