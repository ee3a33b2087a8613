"""Data collection: the collect object, the detector and the session it writes for."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from mxgui.core.acquisition import AcquisitionParameters, PathTemplate
from mxgui.core.data_roots import DataRoots
from mxgui.core.roles.emitter import Emitter


@runtime_checkable
class SessionRole(Protocol):
    """The user's session: where data go and which run numbers are free."""

    def get_data_roots(self) -> DataRoots: ...

    def get_base_image_directory(self) -> str: ...

    def get_next_run_number(self, directory: str, prefix: str) -> int: ...


@runtime_checkable
class DetectorRole(Emitter, Protocol):
    """The detector: distance, geometry, file format."""

    def get_distance(self) -> float | None: ...

    def get_file_suffix(self) -> str: ...

    def get_exposure_time_limits(self) -> tuple[float, float]: ...


@runtime_checkable
class CollectRole(Emitter, Protocol):
    """Runs collections; gives the beamline's defaults for a new one."""

    def get_default_acquisition_parameters(self) -> AcquisitionParameters: ...

    def get_default_path_template(self, sub_dir: str = "", prefix: str = "") -> PathTemplate: ...

    def is_collecting(self) -> bool: ...

    def stop_collect(self) -> None: ...
