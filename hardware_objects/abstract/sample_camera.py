"""The sample camera interface: frames as numpy arrays, streamed from the camera's thread."""

from __future__ import annotations

import abc
from typing import ClassVar

import numpy as np

from mxgui.core.hardware_object import HardwareObject


class AbstractSampleCamera(HardwareObject, abc.ABC):
    """The on-axis video camera that looks at the sample.

    Frames are C-contiguous ``numpy.uint8`` arrays, read-only: ``(height, width)`` for
    a greyscale camera, ``(height, width, 3)`` (RGB) for a colour one
    (:meth:`is_colour` says which; the simulated camera is greyscale).

    While streaming, ``imageReceived(frame, frame_number)`` is emitted from the
    camera's own thread at the frame rate. The camera never queues frames: a receiver
    that takes longer than a frame period makes the camera skip frames, and a display
    should keep only the latest frame it was given ("latest frame wins"). Frame numbers
    increase by one per frame produced.

    Signals: ``imageReceived(frame, frame_number)``, ``stateChanged(state)``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("imageReceived",)

    @abc.abstractmethod
    def get_width(self) -> int:
        """Frame width in pixels."""

    @abc.abstractmethod
    def get_height(self) -> int:
        """Frame height in pixels."""

    def get_size(self) -> tuple[int, int]:
        """``(width, height)`` in pixels."""
        return self.get_width(), self.get_height()

    def is_colour(self) -> bool:
        """True when frames are RGB ``(height, width, 3)``; greyscale by default."""
        return False

    @abc.abstractmethod
    def get_frame(self) -> np.ndarray:
        """The latest frame (taken now when the camera is not streaming)."""

    @abc.abstractmethod
    def get_frame_number(self) -> int:
        """Number of the latest frame (0 before the first)."""

    @abc.abstractmethod
    def start_streaming(self) -> None:
        """Start emitting ``imageReceived`` at the frame rate (no-op if streaming)."""

    @abc.abstractmethod
    def stop_streaming(self) -> None:
        """Stop emitting frames (no-op if not streaming)."""

    @abc.abstractmethod
    def is_streaming(self) -> bool:
        """True while frames are being emitted."""

    @abc.abstractmethod
    def get_frame_rate(self) -> float:
        """Frames per second while streaming."""

    @abc.abstractmethod
    def set_frame_rate(self, rate: float) -> None:
        """Change the frames per second (``ValueError`` unless above 0)."""
