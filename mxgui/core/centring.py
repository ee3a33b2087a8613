"""Centring geometry: one convention, used by the centring and by the simulation.

Frames
------
**Lab frame** (right-handed, millimetres). The origin is the interaction point, where
the beam should cross the rotation axis.

- ``X`` along the rotation axis (omega), pointing to increasing image ``x``;
- ``Y`` vertical, up;
- ``Z`` along the beam, from the source towards the on-axis camera, which looks back
  up the beam: it sees ``X`` to the right and ``Y`` up.

**Head frame** ``(x_h, u_h, v_h)`` (mm): a point of the sample relative to the
goniometer head with every motor at 0. ``x_h`` is along the axis; ``(u_h, v_h)`` lie in
the plane perpendicular to the axis and turn with omega.

Motors (``positions`` maps these names to their values; omega ``phi`` in degrees)
-----------------------------------------------------------------------------------
With ``w = radians(phi)`` a head-frame point is at::

    X = phiy + x_h
    Y = (phiz - phiz_beam) + (sampx + u_h) * cos(w) - (sampy + v_h) * sin(w)
    Z =                      (sampx + u_h) * sin(w) + (sampy + v_h) * cos(w)

so ``phiy`` moves along the axis, ``phiz`` moves the axis vertically (the axis meets
the beam when ``phiz == phiz_beam``, a constant of the instrument that the centring
never needs to know), and ``sampx`` / ``sampy`` move the sample across the axis in the
rotating frame (at omega 0 ``sampx`` is vertical and ``sampy`` along the beam). Kappa
and kappa-phi are not part of this model.

Camera image
------------
Image coordinates are continuous pixels from the top-left corner of the image: the
pixel in row ``r`` and column ``c`` covers ``[c, c + 1) x [r, r + 1)``, so its centre
is at ``(c + 0.5, r + 0.5)``; ``y`` grows downwards. With ``pixels_per_mm = (px, py)``
and the beam at ``(bx, by)`` on the image, a lab point is seen at::

    x = bx + X * px        y = by - Y * py

so a click at ``(x, y)`` is ``h = (x - bx) / px`` mm along the axis from the beam and
``d = (by - y) / py`` mm above it.

Three-click centring
--------------------
Click ``i`` is at omega ``w_i`` with motors ``m_i`` (normally only omega changes
between clicks; any other motor moved between clicks is allowed for). Referred to the
motors of the first click ``m_0``, its vertical offset is::

    d'_i = d_i - (phiz_i - phiz_0) - (sampx_i - sampx_0) cos(w_i)
               + (sampy_i - sampy_0) sin(w_i)

and the model says ``d'(w) = a + b cos(w) + c sin(w)`` with ``a = phiz_0 - phiz_beam``
(the axis height above the beam), ``b = sampx_0 + u_h`` and ``c = -(sampy_0 + v_h)``
(the point's distance from the axis in the rotating frame). ``(a, b, c)`` are fitted by
least squares (exact for three clicks). The point is centred, that is at the origin for
every omega, by::

    phiz  = phiz_0 - a          sampx = sampx_0 - b          sampy = sampy_0 + c
    phiy  = mean_i(phiy_i - h_i)

Moving a clicked point onto the beam at the current omega (``move_to_beam``) keeps the
axis where it is and moves ``phiy`` by ``-h`` and the sample by ``-d`` vertically within
the rotating plane: ``sampx -= d cos(w)``, ``sampy += d sin(w)`` (no move along the beam).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: the motors of the centring model, by role name
CENTRING_MOTORS = ("phi", "phiy", "phiz", "sampx", "sampy")
#: optional motors that a centred position may carry (not part of the model)
OPTIONAL_MOTORS = ("kappa", "kappa_phi")
#: keys of a position that say how the camera saw it (beam on the image in pixels, zoom
#: level number), not where the motors are: ignored by :meth:`CentredPosition.from_dict`
VIEW_KEYS = ("beam_x", "beam_y", "zoom")

#: below this ratio of smallest to largest singular value the angles are degenerate
_MIN_CONDITION = 1e-3


class CentringError(ValueError):
    """The clicks or angles do not determine a centred position."""


@dataclass(frozen=True)
class ImageGeometry:
    """How the camera image maps onto the lab frame: calibration and beam position."""

    pixels_per_mm: tuple[float, float]
    beam_position: tuple[float, float]

    def to_offsets(self, x: float, y: float) -> tuple[float, float]:
        """``(h, d)``: mm along the axis and above the beam of image point ``(x, y)``."""
        (px, py), (bx, by) = self.pixels_per_mm, self.beam_position
        return (x - bx) / px, (by - y) / py

    def to_image(self, lab_x: ArrayLike, lab_y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Image ``(x, y)`` of lab ``(X, Y)`` (numbers or arrays)."""
        (px, py), (bx, by) = self.pixels_per_mm, self.beam_position
        return bx + np.asarray(lab_x) * px, by - np.asarray(lab_y) * py


@dataclass(frozen=True)
class Click:
    """One click of a centring: where, at which motor positions, with which geometry."""

    x: float
    y: float
    positions: Mapping[str, float]
    geometry: ImageGeometry


@dataclass
class CentredPosition:
    """Motor positions that put a point of the sample on the beam.

    ``index`` and ``label`` name the point for the user (``"C1"``); ``to_dict`` /
    ``from_dict`` give plain types for the queue file and XML-RPC.
    """

    phi: float
    phiy: float
    phiz: float
    sampx: float
    sampy: float
    kappa: float | None = None
    kappa_phi: float | None = None
    index: int | None = None
    label: str = field(default="")

    def motor_positions(self) -> dict[str, float]:
        """The motor positions by role name (optional motors only when known)."""
        names = CENTRING_MOTORS + OPTIONAL_MOTORS
        return {n: float(getattr(self, n)) for n in names if getattr(self, n) is not None}

    def to_dict(self) -> dict[str, Any]:
        """Plain types: motor names to floats, plus ``index`` and ``label`` when set."""
        data: dict[str, Any] = dict(self.motor_positions())
        if self.index is not None:
            data["index"] = self.index
        if self.label:
            data["label"] = self.label
        return data

    @classmethod
    def from_dict(cls, data: object) -> CentredPosition:
        """The inverse of :meth:`to_dict`; ``ValueError`` names a missing or bad key.
        :data:`VIEW_KEYS` (``beam_x``, ``beam_y``, ``zoom``: what the XML-RPC
        ``get_diffractometer_positions`` adds, as mxcubecore's positions carry) are
        ignored: they say how the sample was seen, not where it is."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a centred position is a dict, got {type(data).__name__}")
        known = set(CENTRING_MOTORS + OPTIONAL_MOTORS) | {"index", "label"} | set(VIEW_KEYS)
        unknown = sorted(str(k) for k in data if k not in known)
        if unknown:
            raise ValueError(
                f"centred position: unknown key(s) {', '.join(unknown)}; "
                f"expected {', '.join(sorted(known))}"
            )
        values: dict[str, Any] = {}
        for name in CENTRING_MOTORS + OPTIONAL_MOTORS:
            if name not in data:
                if name in CENTRING_MOTORS:
                    raise ValueError(f"centred position: missing motor {name!r}")
                continue
            value = data[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"centred position: {name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"centred position: {name} must be finite, got {value!r}")
            values[name] = float(value)
        index = data.get("index")
        if index is not None and (isinstance(index, bool) or not isinstance(index, int)):
            raise ValueError(f"centred position: index must be an integer, got {index!r}")
        label = data.get("label", "")
        if not isinstance(label, str):
            raise ValueError(f"centred position: label must be text, got {label!r}")
        return cls(**values, index=index, label=label)


def _rotating_rows(omegas_deg: Sequence[float]) -> np.ndarray:
    w = np.radians(np.asarray(omegas_deg, dtype=float))
    return np.column_stack([np.ones_like(w), np.cos(w), np.sin(w)])


def check_angles(omegas_deg: Sequence[float]) -> None:
    """Raise :class:`CentringError` unless the angles determine ``a, b, c``."""
    if len(omegas_deg) < 3:
        raise CentringError(f"centring needs at least 3 clicks, got {len(omegas_deg)}")
    singular = np.linalg.svd(_rotating_rows(omegas_deg), compute_uv=False)
    if singular[-1] < _MIN_CONDITION * singular[0]:
        angles = ", ".join(f"{w:g}" for w in omegas_deg)
        raise CentringError(
            f"the omega angles {angles} do not determine the position: "
            "use at least 3 angles that are not all equal modulo 180 degrees"
        )


def fit_vertical(omegas_deg: Sequence[float], offsets: Sequence[float]) -> tuple[float, ...]:
    """Least-squares ``(a, b, c)`` of ``d(w) = a + b cos(w) + c sin(w)`` (mm, degrees)."""
    check_angles(omegas_deg)
    solution, *_ = np.linalg.lstsq(
        _rotating_rows(omegas_deg), np.asarray(offsets, dtype=float), rcond=None
    )
    return tuple(float(v) for v in solution)


def centre_from_clicks(clicks: Sequence[Click]) -> dict[str, float]:
    """Targets of ``phiy``, ``phiz``, ``sampx``, ``sampy`` that centre the clicked point.

    See the module docstring for the model. Raises :class:`CentringError` when the
    clicks' angles do not determine the position.
    """
    if len(clicks) < 3:
        raise CentringError(f"centring needs at least 3 clicks, got {len(clicks)}")
    ref = clicks[0].positions
    omegas, vertical, along = [], [], []
    for click in clicks:
        h, d = click.geometry.to_offsets(click.x, click.y)
        m = click.positions
        w = math.radians(m["phi"])
        d -= (m["phiz"] - ref["phiz"]) + (m["sampx"] - ref["sampx"]) * math.cos(w)
        d += (m["sampy"] - ref["sampy"]) * math.sin(w)
        omegas.append(m["phi"])
        vertical.append(d)
        along.append(m["phiy"] - h)
    a, b, c = fit_vertical(omegas, vertical)
    return {
        "phiy": float(np.mean(along)),
        "phiz": ref["phiz"] - a,
        "sampx": ref["sampx"] - b,
        "sampy": ref["sampy"] + c,
    }


def move_to_beam_targets(
    x: float, y: float, positions: Mapping[str, float], geometry: ImageGeometry
) -> dict[str, float]:
    """Targets of ``phiy``, ``sampx``, ``sampy`` that bring image point ``(x, y)`` to the beam."""
    h, d = geometry.to_offsets(x, y)
    w = math.radians(positions["phi"])
    return {
        "phiy": positions["phiy"] - h,
        "sampx": positions["sampx"] - d * math.cos(w),
        "sampy": positions["sampy"] + d * math.sin(w),
    }


def head_to_lab(
    points: ArrayLike, positions: Mapping[str, float], phiz_beam: float = 0.0
) -> np.ndarray:
    """Lab ``(X, Y, Z)`` of head-frame points ``(x_h, u_h, v_h)`` (shape ``(3,)`` or ``(n, 3)``)."""
    p = np.asarray(points, dtype=float)
    w = math.radians(positions["phi"])
    cos_w, sin_w = math.cos(w), math.sin(w)
    u = p[..., 1] + positions["sampx"]
    v = p[..., 2] + positions["sampy"]
    lab = np.empty(p.shape, dtype=float)
    lab[..., 0] = p[..., 0] + positions["phiy"]
    lab[..., 1] = (positions["phiz"] - phiz_beam) + u * cos_w - v * sin_w
    lab[..., 2] = u * sin_w + v * cos_w
    return lab


def lab_to_head(
    points: ArrayLike, positions: Mapping[str, float], phiz_beam: float = 0.0
) -> np.ndarray:
    """The inverse of :func:`head_to_lab`."""
    p = np.asarray(points, dtype=float)
    w = math.radians(positions["phi"])
    cos_w, sin_w = math.cos(w), math.sin(w)
    y = p[..., 1] - (positions["phiz"] - phiz_beam)
    head = np.empty(p.shape, dtype=float)
    head[..., 0] = p[..., 0] - positions["phiy"]
    head[..., 1] = y * cos_w + p[..., 2] * sin_w - positions["sampx"]
    head[..., 2] = -y * sin_w + p[..., 2] * cos_w - positions["sampy"]
    return head


def rotation_matrix(omega_deg: float) -> np.ndarray:
    """The 3x3 matrix turning head-frame directions into lab directions at ``omega``."""
    w = math.radians(omega_deg)
    cos_w, sin_w = math.cos(w), math.sin(w)
    return np.array([[1.0, 0.0, 0.0], [0.0, cos_w, -sin_w], [0.0, sin_w, cos_w]])


def centred_point_to_image(
    centred: Mapping[str, float], positions: Mapping[str, float], geometry: ImageGeometry
) -> tuple[float, float]:
    """Where the point that ``centred`` puts on the beam is seen at ``positions``."""
    # the point is at the origin with the centred motors; phiz_beam cancels out, so use
    # the centred phiz as the reference height
    head = lab_to_head((0.0, 0.0, 0.0), centred, phiz_beam=centred["phiz"])
    lab = head_to_lab(head, positions, phiz_beam=centred["phiz"])
    x, y = geometry.to_image(lab[0], lab[1])
    return float(x), float(y)


def offset_centred_position(centred: CentredPosition, h: float, d: float) -> CentredPosition:
    """The centred position of the point ``h`` mm along the axis and ``d`` mm above the
    point that ``centred`` puts on the beam, both seen at ``centred``'s omega.

    This is how a shape drawn on the image at one omega (a grid cell, a line's end) gets
    motor coordinates: the same moves as :func:`move_to_beam_targets`, applied to a
    centred position. The result is centred too (on the rotation axis) when ``centred``
    is.
    """
    w = math.radians(centred.phi)
    return CentredPosition(
        phi=centred.phi,
        phiy=centred.phiy - h,
        phiz=centred.phiz,
        sampx=centred.sampx - d * math.cos(w),
        sampy=centred.sampy + d * math.sin(w),
        kappa=centred.kappa,
        kappa_phi=centred.kappa_phi,
    )


def plane_to_image(
    centred: CentredPosition, positions: Mapping[str, float], geometry: ImageGeometry
) -> tuple[tuple[float, float], tuple[float, float], tuple[float, float]]:
    """Affine map from the plane of a shape defined at ``centred`` to the image.

    Returns ``(origin, ex, ey)``: the image point of ``centred``'s point, and the image
    displacement of 1 mm along the axis (``ex``) and of 1 mm up (``ey``) in the plane
    perpendicular to the beam at ``centred``'s omega, as seen with the motors at
    ``positions``. The projection is linear, so a whole grid is drawn from these three
    vectors (one item, whatever its number of cells); at 90 degrees from the omega it
    was defined at, ``ey`` collapses to zero length.
    """
    ox, oy = centred_point_to_image(centred.motor_positions(), positions, geometry)
    ax, ay = centred_point_to_image(
        offset_centred_position(centred, 1.0, 0.0).motor_positions(), positions, geometry
    )
    ux, uy = centred_point_to_image(
        offset_centred_position(centred, 0.0, 1.0).motor_positions(), positions, geometry
    )
    return (ox, oy), (ax - ox, ay - oy), (ux - ox, uy - oy)
