"""Synthetic diffraction images: background, noise and Bragg spots from a rotating lattice.

Physics kept, cost cut:

- the crystal is a random reciprocal lattice (cell and orientation from a seed); for
  each lattice point the two rotation angles at which it crosses the Ewald sphere and
  the pixel its diffracted ray hits are computed once per geometry, so an image over
  ``[start, end)`` degrees shows exactly the reflections crossing in that wedge, and
  consecutive images continue each other;
- the background (air and solvent scatter with a water ring at 3.7 A, a beam-stop
  shadow) is a smooth map computed once; its Poisson noise comes from a small bank of
  noise frames computed once, read through a per-image random window, so an image
  costs a few array passes instead of a Poisson draw per pixel;
- ``strength`` (0..1: how much crystal the beam hits, times how well it diffracts)
  scales both how many reflections are visible and how bright they are.

Everything is deterministic: the same seed, geometry, image number, angles and strength
give the same counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Pilatus count cut-off: no pixel counts more
COUNT_CUTOFF = 1_048_575
#: extra rows / columns of the noise bank, so that windows can move
_BANK_MARGIN = 48
_BANK_FRAMES = 2
#: spot profile: 5 x 5 pixels, Gaussian of sigma 0.9 px
_SPOT_HALF = 2
_grid = np.arange(-_SPOT_HALF, _SPOT_HALF + 1)
_SPOT_PROFILE = np.exp(-(_grid[:, None] ** 2 + _grid[None, :] ** 2) / (2 * 0.9**2))
_SPOT_PROFILE /= _SPOT_PROFILE.sum()


@dataclass(frozen=True)
class DetectorGeometry:
    """What an image depends on: size (pixels), pixel size and distance (mm), beam
    centre (pixels, x along a row), wavelength (Angstrom)."""

    width: int
    height: int
    pixel_size_x: float
    pixel_size_y: float
    distance: float
    beam_x: float
    beam_y: float
    wavelength: float

    def __post_init__(self) -> None:
        for name in ("width", "height", "pixel_size_x", "pixel_size_y", "distance", "wavelength"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be above 0, got {getattr(self, name)}")


class DiffractionSimulator:
    """Makes the images of one crystal on one detector geometry.

    Parameters
    ----------
    geometry
        The detector and beam.
    seed
        The crystal: its cell, orientation and reflection intensities.
    background
        Mean background counts far from the water ring.
    spot_intensity
        Mean integrated counts of a reflection at strength 1, low resolution.
    """

    def __init__(
        self,
        geometry: DetectorGeometry,
        seed: int = 0,
        background: float = 4.0,
        spot_intensity: float = 2000.0,
    ) -> None:
        self.geometry = geometry
        self.seed = int(seed)
        self._background = self._background_map(background)
        self._base = np.rint(self._background).astype(np.int32)
        self._bank = self._noise_bank()
        self._prepare_reflections(spot_intensity)

    # precomputation ---------------------------------------------------------------------
    def _radius_mm(self, height: int, width: int, shift: int = 0) -> np.ndarray:
        g = self.geometry
        y = (np.arange(height, dtype=np.float32) - shift - g.beam_y) * np.float32(g.pixel_size_y)
        x = (np.arange(width, dtype=np.float32) - shift - g.beam_x) * np.float32(g.pixel_size_x)
        return np.hypot(y[:, None], x[None, :])

    def _background_map(self, level: float) -> np.ndarray:
        g = self.geometry
        r = self._radius_mm(g.height, g.width)
        # 1/d = 2 sin(theta) / lambda, 2 theta = atan(r / D)
        inv_d = 2.0 * np.sin(0.5 * np.arctan(r / np.float32(g.distance))) / np.float32(g.wavelength)
        water = 2.5 * level * np.exp(-(((inv_d - 1 / 3.7) / 0.035) ** 2))
        air = level * (0.6 + 0.4 / (1.0 + (r / 40.0) ** 2))
        background = (air + water).astype(np.float32)
        # beam-stop shadow: a 1.5 mm disc at the beam centre and its arm to the right
        shadow = r < 1.5
        rows = np.abs(np.arange(g.height) - g.beam_y) < 0.4 / g.pixel_size_y
        columns = np.arange(g.width) > g.beam_x
        shadow |= rows[:, None] & columns[None, :]
        background[shadow] *= 0.05
        return background

    def _noise_bank(self) -> np.ndarray:
        """Poisson noise minus its mean, for a slightly larger frame, a few times over."""
        g = self.geometry
        rng = np.random.default_rng([self.seed, 0x6E6F697365])
        m = _BANK_MARGIN
        mean = np.pad(self._background, ((0, m), (0, m)), mode="reflect")
        bank = np.empty((_BANK_FRAMES, g.height + m, g.width + m), dtype=np.int16)
        for k in range(_BANK_FRAMES):
            noise = rng.poisson(mean).astype(np.float32) - np.rint(mean)
            bank[k] = np.clip(noise, -32000, 32000)
        return bank

    def _prepare_reflections(self, spot_intensity: float) -> None:
        """The lattice points that reach the detector, with their crossing angles."""
        g = self.geometry
        rng = np.random.default_rng([self.seed, 0x6C61747469])
        cell = rng.uniform(40.0, 80.0, 3)
        #: the resolution the crystal diffracts to, Angstrom
        self.crystal_resolution = float(rng.uniform(1.8, 3.0))
        orientation = _random_rotation(rng)
        corners = [(0, 0), (g.width, 0), (0, g.height), (g.width, g.height)]
        r_max = max(
            math.hypot((x - g.beam_x) * g.pixel_size_x, (y - g.beam_y) * g.pixel_size_y)
            for x, y in corners
        )
        s_max = 2.0 * math.sin(0.5 * math.atan(r_max / g.distance)) / g.wavelength
        s_max = min(s_max, 1.0 / self.crystal_resolution)
        limits = [int(s_max * a) for a in cell]
        axes = np.meshgrid(*(np.arange(-n, n + 1) for n in limits), indexing="ij")
        hkl = np.stack([axis.ravel() for axis in axes], axis=1).astype(np.float64)
        p = (hkl / cell) @ orientation.T  # reciprocal vectors at omega 0, 1/A
        s2 = np.einsum("ij,ij->i", p, p)
        keep = (s2 > 0) & (s2 <= s_max**2)
        p, s2 = p[keep], s2[keep]
        # rotation about x by omega: p_z(omega) = py sin(omega) + pz cos(omega);
        # Ewald sphere (beam along +z): p_z = -lambda |p|^2 / 2
        radius = np.hypot(p[:, 1], p[:, 2])
        cos_term = -g.wavelength * s2 / (2.0 * np.maximum(radius, 1e-12))
        ok = np.abs(cos_term) <= 1.0
        p, s2, radius, cos_term = p[ok], s2[ok], radius[ok], cos_term[ok]
        alpha = np.arctan2(p[:, 1], p[:, 2])
        delta = np.arccos(cos_term)
        omega = np.concatenate([alpha + delta, alpha - delta])
        p2 = np.concatenate([p, p])
        # wilson-like intensities: exponential, falling with resolution
        n = len(p)
        intrinsic = rng.exponential(1.0, n) * np.exp(-20.0 * s2 / 4.0)
        rank = rng.uniform(0.0, 1.0, n)  # visible at strength >= rank
        intrinsic, rank = np.concatenate([intrinsic, intrinsic]), np.concatenate([rank, rank])
        # diffracted ray s = s0 + p(omega), s0 = (0, 0, 1/lambda)
        cos_o, sin_o = np.cos(omega), np.sin(omega)
        sy = p2[:, 1] * cos_o - p2[:, 2] * sin_o
        sz = p2[:, 1] * sin_o + p2[:, 2] * cos_o + 1.0 / g.wavelength
        sx = p2[:, 0]
        ahead = sz > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            px = g.beam_x + g.distance * sx / sz / g.pixel_size_x
            py = g.beam_y + g.distance * sy / sz / g.pixel_size_y
        inside = (
            ahead
            & (px >= _SPOT_HALF)
            & (px < g.width - _SPOT_HALF - 1)
            & (py >= _SPOT_HALF)
            & (py < g.height - _SPOT_HALF - 1)
        )
        angles = np.degrees(omega[inside]) % 360.0
        order = np.argsort(angles)
        self._angles = angles[order]
        self._x = np.rint(px[inside][order]).astype(np.intp)
        self._y = np.rint(py[inside][order]).astype(np.intp)
        self._intensity = (spot_intensity * intrinsic[inside][order]).astype(np.float64)
        self._rank = rank[inside][order]
        self.cell = tuple(float(a) for a in cell)
        self.reflection_count = int(len(self._angles))

    @property
    def expected_background(self) -> np.ndarray:
        """The mean background counts per pixel (read-only)."""
        view = self._background.view()
        view.flags.writeable = False
        return view

    # images ---------------------------------------------------------------------------------
    def reflections_in(self, start: float, end: float) -> np.ndarray:
        """Indices of the reflections crossing the Ewald sphere in ``[start, end)`` deg."""
        if end - start >= 360.0:
            return np.arange(len(self._angles))
        a, b = start % 360.0, (start % 360.0) + (end - start)
        lo, hi = np.searchsorted(self._angles, [a, min(b, 360.0)])
        selected = np.arange(lo, hi)
        if b > 360.0:
            selected = np.concatenate([selected, np.arange(np.searchsorted(self._angles, b - 360))])
        return selected

    def image(self, number: int, start: float, end: float, strength: float) -> np.ndarray:
        """The counts (int32, height x width) of image ``number`` over ``[start, end)``.

        ``strength`` 0 gives background only; 1 all reflections at full brightness.
        """
        strength = min(max(float(strength), 0.0), 1.0)
        g = self.geometry
        rng = np.random.default_rng([self.seed, int(number) & 0xFFFFFFFF])
        frame = int(rng.integers(_BANK_FRAMES))
        dy, dx = (int(v) for v in rng.integers(0, _BANK_MARGIN + 1, 2))
        data = self._base + self._bank[frame, dy : dy + g.height, dx : dx + g.width]
        if strength > 0:
            chosen = self.reflections_in(start, end)
            chosen = chosen[self._rank[chosen] < strength]
            if len(chosen):
                self._add_spots(data, chosen, strength, rng)
        np.maximum(data, 0, out=data)
        return data

    def _add_spots(
        self, data: np.ndarray, chosen: np.ndarray, strength: float, rng: np.random.Generator
    ) -> None:
        expected = (strength * self._intensity[chosen])[:, None, None] * _SPOT_PROFILE[None]
        counts = rng.poisson(expected).astype(np.int64)
        rows = self._y[chosen][:, None, None] + _grid[None, :, None]
        cols = self._x[chosen][:, None, None] + _grid[None, None, :]
        np.add.at(data, (rows, cols), counts.astype(data.dtype))
        spots = data[rows, cols]
        if spots.max() > COUNT_CUTOFF:
            data[rows, cols] = np.minimum(spots, COUNT_CUTOFF)


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random 3-D rotation matrix (from a random unit quaternion)."""
    q = rng.normal(size=4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array(
        [
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
        ]
    )
