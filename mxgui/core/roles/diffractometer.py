"""The diffractometer (motors by role, zoom, centred positions) and its camera."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

import numpy as np

from mxgui.core.centring import CentredPosition
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.roles.emitter import Emitter


@runtime_checkable
class DiffractometerRole(Emitter, Protocol):
    """Motors by role (phi, phiy, phiz, sampx, sampy, kappa, kappa_phi, zoom, lights),
    moved together; zoom levels; centred positions."""

    def get_motor(self, role: str) -> HardwareObject | None: ...

    def get_positions(self) -> dict[str, float]: ...

    def move_motors(
        self, positions: Mapping[str, float], timeout: float | None = 0
    ) -> Future[Any]: ...

    def get_zoom(self) -> str: ...

    def get_zoom_levels(self) -> list[str]: ...

    def get_beam_position(self) -> tuple[float, float]: ...

    def get_pixels_per_mm(self, level: str | None = None) -> tuple[float, float]: ...

    def get_image_size(self) -> tuple[int, int]: ...

    def set_zoom(self, level: str, timeout: float | None = 0) -> Future[Any]: ...

    def get_centred_position(self) -> CentredPosition | None: ...

    def move_to_centred_position(
        self, centred: CentredPosition | Mapping[str, Any], timeout: float | None = 0
    ) -> Future[Any]: ...


@runtime_checkable
class SampleCameraRole(Emitter, Protocol):
    """The sample camera: the latest frame and whether frames come."""

    def get_frame(self) -> np.ndarray: ...

    def get_frame_number(self) -> int: ...

    def is_streaming(self) -> bool: ...
