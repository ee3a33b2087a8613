"""The simulated sample scene: a loop and a crystal on each pin (pure numpy, no hardware).

Each sample is generated from its sample-changer address (``"1:01"``) with a fixed seed
(``zlib.crc32`` of the address, so the same pin holds the same crystal in every run):

- a nylon loop, an ellipse 0.2-0.6 mm long along the pin, in a plane containing the
  rotation axis at a random angle, mounted up to 0.25 mm off the axis;
- the loop's stem and the metal pin, which come from the right of the image (+X);
- a crystal, a box with edges of 20-150 um at a random orientation, inside the loop.

Positions follow :mod:`mxgui.core.centring` (head frame, lab frame,
motors, image), the same functions the centring uses. Kappa and kappa-phi are ignored.
The beam runs along lab Z through the origin; the camera looks along the beam, so the
image is the orthographic projection on lab X-Y and sees the crystal faces whose normal
points to +Z.

:class:`Scene` answers the physics: where the crystal is (lab and image), which motor
positions would centre it, the fraction of the beam that hits it, and the shapes that
the simulated camera draws.
"""

from __future__ import annotations

import itertools
import math
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mxgui.core.centring import ImageGeometry, head_to_lab, rotation_matrix

BEAM_SHAPES = ("ellipse", "rectangle")
#: points per side of the grid that samples the beam cross-section
_BEAM_GRID = 96


@dataclass(frozen=True)
class Material:
    """Brightness: ``transmission`` of the back light, ``reflectance`` of the front light."""

    transmission: float
    reflectance: float

    def grey_level(self, backlight: float, frontlight: float) -> float:
        """Grey level (0-255 scale, before noise) with the lights at these levels (0-100 %)."""
        return self.transmission * (15.0 + 2.0 * backlight) + self.reflectance * 1.6 * frontlight


BACKGROUND = Material(1.0, 0.0)
FILM = Material(0.9, 0.03)
NYLON = Material(0.3, 0.12)
PIN = Material(0.12, 0.15)
#: crystal edges refract the back light away: a dark outline
CRYSTAL_EDGE = Material(0.25, 0.1)
CRYSTAL_TRANSMISSION = 0.45
#: width of the dark edge drawn around each crystal face, pixels
EDGE_PX = 1.2


def crystal_material(normal_z: float) -> Material:
    """A crystal face turned ``normal_z`` (cosine) towards the camera: brighter face-on."""
    return Material(CRYSTAL_TRANSMISSION, 0.45 + 0.5 * normal_z)


@dataclass(frozen=True)
class Ellipse:
    """An axis-aligned ellipse on the image; with ``inner``, the ring between the two."""

    cx: float
    cy: float
    ax: float
    ay: float
    material: Material
    inner: tuple[float, float] | None = None


@dataclass(frozen=True)
class Rectangle:
    """An axis-aligned rectangle on the image, ``x0 <= x < x1``, ``y0 <= y < y1``."""

    x0: float
    x1: float
    y0: float
    y1: float
    material: Material


@dataclass(frozen=True)
class Polygon:
    """A convex polygon on the image, vertices ``(n, 2)`` in order."""

    vertices: np.ndarray
    material: Material


Shape = Ellipse | Rectangle | Polygon


@dataclass(frozen=True, eq=False)
class Sample:
    """A loop and a crystal on a pin, in the head frame (mm; see ``centring``)."""

    address: str
    seed: int
    loop_centre: np.ndarray  # (3,)
    loop_semi_axes: tuple[float, float]  # along the axis, across it in the loop plane
    loop_angle: float  # degrees: the loop plane holds (0, cos, sin) of this angle
    loop_thickness: float
    stem_length: float
    stem_width: float
    pin_radius: float
    crystal_centre: np.ndarray  # (3,)
    crystal_size: np.ndarray  # (3,) edge lengths
    crystal_axes: np.ndarray  # (3, 3): column i is the direction of edge i


def sample_seed(address: str) -> int:
    """The seed of the sample at ``address``: the same in every run and process."""
    return zlib.crc32(address.strip().encode("utf-8"))


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    w, x, y, z = rng.normal(size=4) / 1.0
    n = math.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / n, x / n, y / n, z / n
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )


def make_sample(address: str) -> Sample:
    """The sample on the pin at ``address`` (deterministic)."""
    seed = sample_seed(address)
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.10, 0.30)
    b = a * rng.uniform(0.6, 1.0)
    angle = rng.uniform(0.0, 180.0)
    centre = np.array([rng.uniform(-0.2, 0.2), rng.uniform(-0.25, 0.25), rng.uniform(-0.25, 0.25)])
    size = np.minimum(rng.uniform(0.02, 0.15, size=3), 1.4 * b)
    radius = 0.5 * float(np.linalg.norm(size))
    along = rng.uniform(-0.6, 0.6) * max(a - radius, 0.0)
    across = rng.uniform(-0.6, 0.6) * max(b - radius, 0.0)
    out = rng.uniform(-0.25, 0.25) * float(size.min())
    t = math.radians(angle)
    in_plane = np.array([0.0, math.cos(t), math.sin(t)])
    normal = np.array([0.0, -math.sin(t), math.cos(t)])
    return Sample(
        address=address.strip(),
        seed=seed,
        loop_centre=centre,
        loop_semi_axes=(a, b),
        loop_angle=angle,
        loop_thickness=rng.uniform(0.010, 0.020),
        stem_length=rng.uniform(0.5, 0.9),
        stem_width=0.03,
        pin_radius=0.35,
        crystal_centre=centre
        + along * np.array([1.0, 0.0, 0.0])
        + across * in_plane
        + out * normal,
        crystal_size=size,
        crystal_axes=_random_rotation(rng),
    )


def _convex_hull(points: np.ndarray) -> np.ndarray:
    """Counter-clockwise hull (in x-right, y-up axes) of 2D points (monotone chain)."""
    pts = sorted(map(tuple, np.asarray(points, dtype=float)))

    def cross(o, p, q) -> float:
        return (p[0] - o[0]) * (q[1] - o[1]) - (p[1] - o[1]) * (q[0] - o[0])

    lower: list = []
    upper: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def _inset(polygon: np.ndarray, margin: float) -> np.ndarray | None:
    """A convex polygon moved ``margin`` inwards on every side (``None`` if nothing is left)."""
    area = _signed_area(polygon)
    if abs(area) < 1e-12:
        return None
    following = np.roll(polygon, -1, axis=0)
    direction = following - polygon
    length = np.hypot(direction[:, 0], direction[:, 1])
    if np.any(length < 1e-12):
        return None
    sign = 1.0 if area > 0 else -1.0
    inward = sign * np.column_stack([-direction[:, 1], direction[:, 0]]) / length[:, None]
    start = polygon + margin * inward  # each edge moved in: start + t * direction
    result = []
    for i in range(len(polygon)):
        p, d = start[i - 1], direction[i - 1]
        q, e = start[i], direction[i]
        det = d[0] * e[1] - d[1] * e[0]
        if abs(det) < 1e-12:
            return None
        t = ((q[0] - p[0]) * e[1] - (q[1] - p[1]) * e[0]) / det
        result.append(p + t * d)
    inset = np.array(result)
    inset_area = _signed_area(inset)
    if inset_area * area <= 0 or abs(inset_area) > abs(area):
        return None
    return inset


def _signed_area(polygon: np.ndarray) -> float:
    x, y = polygon[:, 0], polygon[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _inside_convex(polygon: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which points lie inside a counter-clockwise convex polygon."""
    inside = np.ones(np.shape(x), dtype=bool)
    for (x0, y0), (x1, y1) in zip(polygon, np.roll(polygon, -1, axis=0)):
        inside &= (x1 - x0) * (y - y0) - (y1 - y0) * (x - x0) >= 0
    return inside


class Scene:
    """What the simulated beamline looks at: the mounted sample (or none).

    ``phiz_beam`` is the ``phiz`` at which the rotation axis meets the beam.
    """

    def __init__(self, sample: Sample | None, phiz_beam: float = 0.0) -> None:
        self.sample = sample
        self.phiz_beam = phiz_beam

    def _require_sample(self) -> Sample:
        if self.sample is None:
            raise ValueError("no sample is mounted")
        return self.sample

    # crystal -------------------------------------------------------------------------------
    def crystal_centre_lab(self, positions: Mapping[str, float]) -> np.ndarray:
        """Lab ``(X, Y, Z)`` of the crystal centre, mm."""
        return head_to_lab(self._require_sample().crystal_centre, positions, self.phiz_beam)

    def crystal_vertices_lab(self, positions: Mapping[str, float]) -> np.ndarray:
        """Lab coordinates of the crystal's 8 corners, ``(8, 3)``."""
        sample = self._require_sample()
        signs = np.array(list(itertools.product((-0.5, 0.5), repeat=3)))
        corners = sample.crystal_centre + (signs * sample.crystal_size) @ sample.crystal_axes.T
        return head_to_lab(corners, positions, self.phiz_beam)

    def crystal_centre_image(
        self, positions: Mapping[str, float], geometry: ImageGeometry
    ) -> tuple[float, float]:
        """Image ``(x, y)`` where the crystal centre is seen."""
        lab = self.crystal_centre_lab(positions)
        x, y = geometry.to_image(lab[0], lab[1])
        return float(x), float(y)

    def crystal_outline_image(
        self, positions: Mapping[str, float], geometry: ImageGeometry
    ) -> np.ndarray:
        """The crystal's outline on the image: convex polygon ``(n, 2)``."""
        lab = self.crystal_vertices_lab(positions)
        x, y = geometry.to_image(lab[:, 0], lab[:, 1])
        return _convex_hull(np.column_stack([x, y]))

    def centring_positions(self) -> dict[str, float]:
        """The ``phiy``, ``phiz``, ``sampx``, ``sampy`` that put the crystal centre on the beam."""
        x_h, u_h, v_h = self._require_sample().crystal_centre
        return {"phiy": -x_h, "phiz": self.phiz_beam, "sampx": -u_h, "sampy": -v_h}

    def illuminated_fraction(
        self,
        positions: Mapping[str, float],
        beam_size_mm: tuple[float, float],
        beam_shape: str = "ellipse",
    ) -> float:
        """Fraction (0-1) of the beam cross-section that hits the crystal.

        The beam runs along lab Z through the origin; ``beam_size_mm`` is its full
        ``(width, height)`` (along X and Y), ``beam_shape`` ``"ellipse"`` or
        ``"rectangle"``. 0 without a sample.
        """
        width, height = (float(v) for v in beam_size_mm)
        if not (width > 0 and height > 0 and math.isfinite(width * height)):
            raise ValueError(f"beam size must be two numbers above 0 mm, got {beam_size_mm!r}")
        if beam_shape not in BEAM_SHAPES:
            raise ValueError(
                f"beam shape must be one of {', '.join(BEAM_SHAPES)}, got {beam_shape!r}"
            )
        if self.sample is None:
            return 0.0
        steps = (np.arange(_BEAM_GRID) + 0.5) / _BEAM_GRID - 0.5
        x, y = np.meshgrid(steps * width, steps * height)
        if beam_shape == "ellipse":
            in_beam = (x / width) ** 2 + (y / height) ** 2 <= 0.25
            x, y = x[in_beam], y[in_beam]
        lab = self.crystal_vertices_lab(positions)
        hull = _convex_hull(lab[:, :2])
        return float(np.count_nonzero(_inside_convex(hull, x, y)) / x.size)

    def illuminated_volume(
        self,
        positions: Mapping[str, float],
        beam_size_mm: tuple[float, float],
        beam_shape: str = "ellipse",
    ) -> float:
        """Volume (mm^3) of crystal the beam goes through: over the beam cross-section,
        the length of each ray (along lab Z) inside the crystal box. 0 without a sample
        or off the crystal; it grows with the crystal's thickness, not only its outline.
        """
        self.illuminated_fraction(positions, beam_size_mm, beam_shape)  # checks the beam
        sample = self.sample
        if sample is None:
            return 0.0
        width, height = (float(v) for v in beam_size_mm)
        steps = (np.arange(_BEAM_GRID) + 0.5) / _BEAM_GRID - 0.5
        x, y = np.meshgrid(steps * width, steps * height)
        area = width * height
        if beam_shape == "ellipse":
            in_beam = (x / width) ** 2 + (y / height) ** 2 <= 0.25
            x, y = x[in_beam], y[in_beam]
            area *= math.pi / 4.0
        centre = self.crystal_centre_lab(positions)
        # the crystal's edge directions in the lab: the head frame turned by omega
        axes = (
            head_to_lab(sample.crystal_centre + sample.crystal_axes.T, positions, self.phiz_beam)
            - centre
        )
        low = np.full(np.shape(x), -np.inf)
        high = np.full(np.shape(x), np.inf)
        for axis, size in zip(axes, sample.crystal_size):
            # along the ray (x, y, t): coordinate on this axis = u0 + t * axis_z
            u0 = (x - centre[0]) * axis[0] + (y - centre[1]) * axis[1] - centre[2] * axis[2]
            half = size / 2.0
            if abs(axis[2]) < 1e-12:
                outside = np.abs(u0) > half
                low[outside], high[outside] = 0.0, -1.0
                continue
            t1, t2 = (-half - u0) / axis[2], (half - u0) / axis[2]
            low = np.maximum(low, np.minimum(t1, t2))
            high = np.minimum(high, np.maximum(t1, t2))
        lengths = np.clip(high - low, 0.0, None)
        return float(lengths.mean() * area) if lengths.size else 0.0

    # what the camera sees -----------------------------------------------------------------
    def shapes(self, positions: Mapping[str, float], geometry: ImageGeometry) -> list[Shape]:
        """The shapes to draw, back to front, in image pixels (none without a sample)."""
        sample = self.sample
        if sample is None:
            return []
        (px, py), _ = geometry.pixels_per_mm, geometry.beam_position
        centre = head_to_lab(sample.loop_centre, positions, self.phiz_beam)
        cx, cy = (float(v) for v in geometry.to_image(centre[0], centre[1]))
        a, b = sample.loop_semi_axes
        half_t = sample.loop_thickness / 2.0
        across = b * abs(math.cos(math.radians(positions["phi"] + sample.loop_angle)))
        inner = (a - half_t) * px, (across - half_t) * py
        shapes: list[Shape] = []
        if inner[1] > 0:
            shapes.append(Ellipse(cx, cy, inner[0], inner[1], FILM))
        shapes.append(
            Ellipse(
                cx,
                cy,
                (a + half_t) * px,
                (across + half_t) * py,
                NYLON,
                inner if inner[1] > 0 else None,
            )
        )
        stem_x0 = cx + (a - half_t) * px
        stem_x1 = cx + (a + sample.stem_length) * px
        half_w = sample.stem_width / 2.0 * py
        shapes.append(Rectangle(stem_x0, stem_x1, cy - half_w, cy + half_w, NYLON))
        half_pin = sample.pin_radius * py
        shapes.append(Rectangle(stem_x1, math.inf, cy - half_pin, cy + half_pin, PIN))
        shapes.extend(self._crystal_faces(sample, positions, geometry))
        return shapes

    def _crystal_faces(
        self, sample: Sample, positions: Mapping[str, float], geometry: ImageGeometry
    ) -> list[Polygon]:
        """The outline, then each face seen, inset by :data:`EDGE_PX` (a dark edge)."""
        lab = self.crystal_vertices_lab(positions)
        x, y = geometry.to_image(lab[:, 0], lab[:, 1])
        image = np.column_stack([x, y])
        normals = rotation_matrix(positions["phi"]) @ sample.crystal_axes  # columns
        faces = [Polygon(_convex_hull(image), CRYSTAL_EDGE)]
        # corners are indexed by bits (i0, i1, i2) of itertools.product: 4*i0 + 2*i1 + i2
        for axis in range(3):
            j, k = (axis + 1) % 3, (axis + 2) % 3
            for side in (0, 1):
                normal_z = normals[2, axis] * (1.0 if side else -1.0)
                if normal_z <= 1e-9:
                    continue
                corners = []
                for bj, bk in ((0, 0), (1, 0), (1, 1), (0, 1)):
                    bits = [0, 0, 0]
                    bits[axis], bits[j], bits[k] = side, bj, bk
                    corners.append(image[4 * bits[0] + 2 * bits[1] + bits[2]])
                inset = _inset(np.array(corners), EDGE_PX)
                if inset is not None:
                    faces.append(Polygon(inset, crystal_material(normal_z)))
        return faces
