"""Camera frames from the camera thread to the GUI thread: the latest frame wins."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Frame:
    """One camera frame: the pixels (read-only ``uint8``), its number and arrival time."""

    pixels: np.ndarray
    number: int
    received: float  # time.monotonic() when it arrived
    received_wall: float  # time.time() when it arrived (shown to the user)


class FrameHandover:
    """Holds the newest frame until the display takes it; never queues frames.

    :meth:`offer` (any thread, the camera's) stores the frame. If no frame was waiting
    it calls ``notify()`` once, which must post a repaint to the GUI thread and return
    at once. A frame that arrives while another still waits replaces it, and the
    replaced one counts as dropped. :meth:`take` (GUI thread, when painting) empties
    the slot, so the next frame posts the next repaint: at most one repaint is ever
    pending, whatever the camera's rate.

    Counters: ``received``, ``dropped``, ``taken`` and ``posted`` (repaints asked
    for); :meth:`counts` reads them together. ``last_received`` is the monotonic time
    of the newest frame (``None`` before the first).
    """

    def __init__(self, notify: Callable[[], None]) -> None:
        self._notify = notify
        self._lock = threading.Lock()
        self._waiting: Frame | None = None
        self.received = 0
        self.dropped = 0
        self.taken = 0
        self.posted = 0
        self.last_received: float | None = None
        self.last_received_wall: float | None = None

    def offer(self, pixels: np.ndarray, number: int) -> None:
        """Store ``pixels`` as the newest frame (called by the camera for every frame)."""
        now, wall = time.monotonic(), time.time()
        frame = Frame(pixels, int(number), now, wall)
        with self._lock:
            replaced = self._waiting is not None
            self._waiting = frame
            self.received += 1
            self.last_received, self.last_received_wall = now, wall
            if replaced:
                self.dropped += 1
            else:
                self.posted += 1
        if not replaced:
            self._notify()

    def take(self) -> Frame | None:
        """The waiting frame, if any; the slot is empty afterwards."""
        with self._lock:
            frame, self._waiting = self._waiting, None
            if frame is not None:
                self.taken += 1
        return frame

    def pending(self) -> bool:
        """Whether a frame waits to be shown."""
        with self._lock:
            return self._waiting is not None

    def counts(self) -> dict[str, int]:
        """``received``, ``dropped``, ``taken``, ``posted`` and ``waiting`` (0 or 1), read
        at one instant: ``received == dropped + taken + waiting`` and ``posted ==
        taken + waiting``."""
        with self._lock:
            return {
                "received": self.received,
                "dropped": self.dropped,
                "taken": self.taken,
                "posted": self.posted,
                "waiting": int(self._waiting is not None),
            }

    def reset_counters(self) -> None:
        """Start counting from zero (a frame waiting now counts as received and posted)."""
        with self._lock:
            waiting = int(self._waiting is not None)
            self.received = self.posted = waiting
            self.dropped = self.taken = 0
