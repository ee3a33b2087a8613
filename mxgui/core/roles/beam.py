"""The beam at the sample: its size and aperture, and the flux."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from mxgui.core.roles.emitter import Emitter


@runtime_checkable
class BeamRole(Emitter, Protocol):
    """Beam size (mm), shape and the aperture that makes it."""

    def get_beam_size(self) -> tuple[float, float]: ...

    def get_beam_shape(self) -> str: ...

    def get_aperture(self) -> str | None: ...

    def get_aperture_list(self) -> list[str]: ...

    def get_defined_beam_sizes(self) -> dict[str, tuple[float, float]]: ...

    def aperture_for_size(self, size: float | tuple[float, float]) -> str: ...

    def set_aperture(self, name: str, timeout: float | None = 0) -> Future[Any]: ...


@runtime_checkable
class FluxRole(Emitter, Protocol):
    """Photons per second at the sample."""

    def get_value(self) -> float: ...

    def check_for_beam(self) -> bool: ...
