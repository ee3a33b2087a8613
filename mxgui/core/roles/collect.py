"""Data collection: the collect object, the detector and the session it writes for."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any, Protocol, runtime_checkable

from mxgui.core.acquisition import AcquisitionLimits, AcquisitionParameters, PathTemplate
from mxgui.core.centring import CentredPosition
from mxgui.core.data_roots import DataRoots
from mxgui.core.roles.actuators import MotorRole, ResolutionRole
from mxgui.core.roles.diffractometer import DiffractometerRole
from mxgui.core.roles.emitter import Emitter


@runtime_checkable
class SessionRole(Protocol):
    """The user's session: where data go and which run numbers are free."""

    def get_data_roots(self) -> DataRoots: ...

    def get_base_image_directory(self) -> str: ...

    def get_next_run_number(self, directory: str, prefix: str) -> int: ...

    def get_default_prefix(self, sample_name: str = "", acronym: str = "") -> str: ...


class RoiModeInfo(Protocol):
    """A detector read-out mode, as far as limits need it."""

    @property
    def min_exposure_time(self) -> float | None: ...


@runtime_checkable
class DetectorRole(Emitter, Protocol):
    """The detector: distance, geometry, file format."""

    def get_distance(self) -> float | None: ...

    def get_file_suffix(self) -> str: ...

    def get_exposure_time_limits(self) -> tuple[float, float]: ...

    def get_property(self, name: str, default: object = None) -> Any: ...

    def get_distance_motor(self) -> MotorRole: ...

    def get_roi_mode(self) -> str: ...

    def get_roi(self, mode: str | None = None) -> RoiModeInfo: ...

    def get_width(self) -> int: ...

    def get_height(self) -> int: ...


@runtime_checkable
class CollectRole(Emitter, Protocol):
    """Runs collections; gives the beamline's defaults and limits for a new one."""

    @property
    def detector(self) -> DetectorRole: ...

    @property
    def resolution(self) -> ResolutionRole: ...

    @property
    def diffractometer(self) -> DiffractometerRole: ...

    @property
    def session(self) -> SessionRole: ...

    def get_acquisition_limits(self) -> AcquisitionLimits: ...

    def collect(
        self,
        parameters: AcquisitionParameters,
        path: PathTemplate,
        centred_position: CentredPosition | None = None,
        helical_end: CentredPosition | None = None,
        image_starts: Sequence[float] | None = None,
    ) -> Future[Any]: ...

    def get_collection_info(self) -> dict[str, Any] | None: ...

    def get_default_acquisition_parameters(self) -> AcquisitionParameters: ...

    def get_default_path_template(self, sub_dir: str = "", prefix: str = "") -> PathTemplate: ...

    def is_collecting(self) -> bool: ...

    def stop_collect(self) -> None: ...
