"""The simulated sample camera: renders the sample scene with noise, in its own thread."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from hardware_objects.abstract.sample_camera import AbstractSampleCamera
from hardware_objects.simulated.sample_geometry import (
    BACKGROUND,
    Ellipse,
    Material,
    Polygon,
    Rectangle,
    Shape,
)
from mxgui.core.clock import REAL_CLOCK, Clock
from mxgui.core.hardware_object import HardwareObjectState, HOProperty

log = logging.getLogger(__name__)

#: number of different noise patterns cycled through
NOISE_PATTERNS = 16


@dataclass(frozen=True)
class CameraView:
    """What one frame shows: shapes (image pixels, back to front) and the light levels (%)."""

    shapes: Sequence[Shape]
    backlight: float
    frontlight: float


class Renderer:
    """Draws :class:`CameraView` frames fast: ``uint8`` arithmetic, bounding boxes only.

    Shapes are painted as grey levels into a level map, row spans at a time: a shape's
    mask over its bounding box is built by run-length expansion (``numpy.repeat``) and
    blended with bitwise operations. The frame is the level map plus noise, taken from
    one buffer drawn once, at one of :data:`NOISE_PATTERNS` offsets. A pixel belongs to
    a shape when its centre ``(c + 0.5, r + 0.5)`` is inside it. Thread-safe:
    :meth:`render` only reads shared data.
    """

    def __init__(self, width: int, height: int, noise: int, seed: int = 1) -> None:
        self.width, self.height, self.noise = width, height, noise
        rng = np.random.default_rng(seed)
        size = width * height
        extra = max(size // 2, 1)
        # triangular noise 0..2*noise, mean noise: the sum of two uniform draws
        buffer = rng.integers(0, noise + 1, size + extra, dtype=np.uint8)
        buffer += rng.integers(0, noise + 1, size + extra, dtype=np.uint8)
        self._buffer = buffer
        self._offsets = [int(v) for v in rng.integers(0, extra, NOISE_PATTERNS)]

    def _level(self, material: Material, view: CameraView) -> int:
        level = material.grey_level(view.backlight, view.frontlight)
        return int(min(max(round(level) - self.noise, 0), 255 - 2 * self.noise))

    def render(self, view: CameraView, index: int) -> np.ndarray:
        """Frame ``(height, width)`` uint8 of ``view`` with noise pattern ``index``."""
        levels = np.full((self.height, self.width), self._level(BACKGROUND, view), np.uint8)
        for shape in view.shapes:
            level = np.uint8(self._level(shape.material, view))
            if isinstance(shape, Rectangle):
                r0, r1 = _index_range(shape.y0, shape.y1 - 1e-9, self.height)
                c0, c1 = _index_range(shape.x0, shape.x1 - 1e-9, self.width)
                if r0 < r1 and c0 < c1:
                    levels[r0:r1, c0:c1] = level
            elif isinstance(shape, Ellipse):
                self._ellipse(levels, shape, level)
            elif isinstance(shape, Polygon):
                self._polygon(levels, shape, level)
        offset = self._offsets[index % NOISE_PATTERNS]
        noise = self._buffer[offset : offset + self.width * self.height]
        return np.add(noise.reshape(self.height, self.width), levels, out=levels)

    def _paint(self, levels: np.ndarray, r0: int, bounds: list[np.ndarray], level) -> None:
        """Paint rows ``r0...``: per row, columns ``[b0, b1)``, ``[b2, b3)``... (floats
        ``bounds[k]``, one value per row, pixel-centre edges, in order)."""
        edges = [np.ceil(np.nan_to_num(b, nan=-1.0) - 0.5) for b in bounds]
        lowest = min(float(e.min()) for e in edges)
        highest = max(float(e.max()) for e in edges)
        c0, c1 = max(0, int(max(lowest, -1))), min(self.width, int(min(highest, self.width)))
        if c0 >= c1:
            return
        rows = len(edges[0])
        width = c1 - c0
        columns = np.empty((rows, len(edges) + 2), dtype=np.int64)
        columns[:, 0], columns[:, -1] = 0, width
        for k, edge in enumerate(edges, 1):
            columns[:, k] = np.clip(edge - c0, 0, width)
        np.maximum.accumulate(columns, axis=1, out=columns)  # spans in order, none negative
        pattern = np.zeros(len(edges) + 1, dtype=np.uint8)
        pattern[1::2] = 255
        mask = np.repeat(np.tile(pattern, rows), np.diff(columns, axis=1).ravel())
        region = levels[r0 : r0 + rows, c0:c1]
        # region = level where mask, else unchanged: region ^= (region ^ level) & mask
        change = np.bitwise_xor(region, level)
        np.bitwise_and(change, mask.reshape(rows, width), out=change)
        np.bitwise_xor(region, change, out=region)

    def _ellipse(self, levels: np.ndarray, shape: Ellipse, level) -> None:
        if shape.ax <= 0 or shape.ay <= 0:
            return
        r0, r1 = _index_range(shape.cy - shape.ay, shape.cy + shape.ay, self.height)
        if r0 >= r1:
            return
        y = np.arange(r0, r1) + 0.5 - shape.cy
        outer = _ellipse_half_width(shape.ax, shape.ay, y)
        if shape.inner is not None and shape.inner[0] > 0 and shape.inner[1] > 0:
            inner = np.minimum(_ellipse_half_width(shape.inner[0], shape.inner[1], y), outer)
            # the ring: [cx - outer, cx - inner] and [cx + inner, cx + outer]
            bounds = [shape.cx - outer, shape.cx - inner, shape.cx + inner, shape.cx + outer]
            bounds[2] = np.where(inner > 0, bounds[2], bounds[1])  # no hole: one span
        else:
            bounds = [shape.cx - outer, shape.cx + outer]
        self._paint(levels, r0, _closed(bounds), level)

    def _polygon(self, levels: np.ndarray, shape: Polygon, level) -> None:
        vertices = shape.vertices
        r0, r1 = _index_range(float(vertices[:, 1].min()), float(vertices[:, 1].max()), self.height)
        if r0 >= r1:
            return
        y = np.arange(r0, r1) + 0.5
        x0, y0 = vertices[:, 0][:, None], vertices[:, 1][:, None]
        x1, y1 = np.roll(vertices[:, 0], -1)[:, None], np.roll(vertices[:, 1], -1)[:, None]
        dy = y1 - y0
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (y[None, :] - y0) / dy
            x = x0 + t * (x1 - x0)
        valid = (dy != 0) & (t >= 0) & (t <= 1)
        left = np.where(valid, x, np.inf).min(axis=0)
        right = np.where(valid, x, -np.inf).max(axis=0)
        empty = ~np.isfinite(left)
        left[empty], right[empty] = 0.0, -1.0
        self._paint(levels, r0, _closed([left, right]), level)


def _closed(bounds: list[np.ndarray]) -> list[np.ndarray]:
    """Closed spans ``[a, b]`` of pixel centres as half-open column edges: the pixels
    with ``a <= c + 0.5 <= b`` are ``ceil(a - 0.5) <= c < floor(b - 0.5) + 1``; the end
    edge is written so that :meth:`Renderer._paint` can take ``ceil(edge - 0.5)``."""
    result = []
    for k, bound in enumerate(bounds):
        if k % 2:  # an end: floor(b - 0.5) + 1 == ceil(e - 0.5) for e = floor(b - 0.5) + 1.5
            result.append(np.floor(bound - 0.5) + 1.5)
        else:
            result.append(bound)
    return result


def _index_range(low: float, high: float, size: int) -> tuple[int, int]:
    """``(first, end)`` of the pixels ``0 <= i < size`` whose centre ``i + 0.5`` is in
    ``[low, high]`` (bounds may be infinite)."""
    low, high = max(low, -1.0), min(high, size + 1.0)
    return max(0, math.ceil(low - 0.5)), min(size, math.floor(high - 0.5) + 1)


def _ellipse_half_width(ax: float, ay: float, y: np.ndarray) -> np.ndarray:
    """Half-width of an ellipse at heights ``y`` from its centre (-1 outside it)."""
    t = 1.0 - (y / ay) ** 2
    return np.where(t >= 0, ax * np.sqrt(np.clip(t, 0.0, None)), -1.0)


class SimulatedSampleCamera(AbstractSampleCamera):
    """A camera that draws the simulated scene as the motors, zoom and lights show it.

    The scene comes from a *source* (a callable returning a :class:`CameraView`), which
    the simulated diffractometer attaches with :meth:`set_scene_source`; without one
    the camera shows the empty background. Frames are greyscale ``(height, width)``
    ``uint8``, read-only.

    XML properties: ``width`` (1280), ``height`` (1024), ``frame_rate`` (25 frames/s),
    ``noise`` (grey levels of noise either side of the level, 8). Streaming paces its
    frames by ``clock`` (the real clock unless a test gives the camera another).
    """

    clock: Clock = REAL_CLOCK

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "width": HOProperty(int, 1280, "frame width, pixels"),
        "height": HOProperty(int, 1024, "frame height, pixels"),
        "frame_rate": HOProperty(float, 25.0, "frames per second while streaming"),
        "noise": HOProperty(int, 8, "noise amplitude, grey levels"),
    }

    def init(self) -> None:
        for name, low, high in (("width", 16, 8192), ("height", 16, 8192), ("noise", 0, 60)):
            value = self.get_property(name)
            if not low <= value <= high:
                raise self.config_error(f"{name} must be {low}..{high}, got {value}", name)
        try:
            self._check_rate(self.get_property("frame_rate"))
        except ValueError as exc:
            raise self.config_error(str(exc), "frame_rate") from None
        self._rate = self.get_property("frame_rate")
        self._source: Callable[[], CameraView | None] | None = None
        self._source_failed = False
        self._renderer: Renderer | None = None
        self._lock = threading.Lock()
        self._latest: np.ndarray | None = None
        self._latest_number = 0
        self._number = 0
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.set_state(HardwareObjectState.READY)

    # the scene ---------------------------------------------------------------------------
    def set_scene_source(self, source: Callable[[], CameraView | None] | None) -> None:
        """Draw what ``source()`` returns (``None``: the empty background)."""
        self._source = source

    def render(self) -> np.ndarray:
        """Draw one frame now (also while streaming) and make it the latest."""
        return self._produce()[0]

    def _produce(self) -> tuple[np.ndarray, int]:
        view = None
        source = self._source
        if source is not None:
            try:
                view = source()
            except Exception:
                if not self._source_failed:  # once, not at the frame rate
                    log.exception("%s: the scene could not be read", self.name)
                self._source_failed = True
            else:
                self._source_failed = False
        if view is None:
            view = CameraView((), 50.0, 0.0)
        with self._lock:
            if self._renderer is None:
                self._renderer = Renderer(self.get_width(), self.get_height(), self._noise())
            renderer = self._renderer
            self._number += 1
            number = self._number
        frame = renderer.render(view, number)
        frame.flags.writeable = False
        with self._lock:
            if number > self._latest_number:
                self._latest, self._latest_number = frame, number
        return frame, number

    def _noise(self) -> int:
        return self.get_property("noise")

    # AbstractSampleCamera ---------------------------------------------------------------------
    def get_width(self) -> int:
        return self.get_property("width")

    def get_height(self) -> int:
        return self.get_property("height")

    def get_frame(self) -> np.ndarray:
        with self._lock:
            latest = self._latest if self.is_streaming() else None
        return latest if latest is not None else self.render()

    def get_frame_number(self) -> int:
        with self._lock:
            return self._latest_number

    def get_frame_rate(self) -> float:
        return self._rate

    @staticmethod
    def _check_rate(rate: float) -> float:
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 1000:
            raise ValueError(f"frame rate must be above 0 and at most 1000 frames/s, got {rate!r}")
        return float(rate)

    def set_frame_rate(self, rate: float) -> None:
        self._rate = self._check_rate(rate)

    def is_streaming(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive() and not self._stop.is_set()

    def start_streaming(self) -> None:
        if self.is_streaming():
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(self._stop,), name=f"camera {self.name}", daemon=True
        )
        self._thread.start()

    def stop_streaming(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    def shutdown(self) -> None:
        self.stop_streaming()

    def _run(self, stop: threading.Event) -> None:
        """Produce frames on a fixed schedule; when late, skip ahead (never catch up)."""
        clock = self.clock
        due = clock.now()
        while not stop.is_set():
            try:
                frame, number = self._produce()
            except Exception:
                log.exception("%s: rendering failed; streaming stopped", self.name)
                self.set_state(HardwareObjectState.FAULT)
                stop.set()
                return
            self.emit("imageReceived", frame, number)
            due += 1.0 / self._rate
            now = clock.now()
            if due < now:
                due = now
            clock.wait(stop, due - now)
