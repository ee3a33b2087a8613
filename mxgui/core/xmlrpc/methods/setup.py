"""Setup methods: the beamline's default path template and acquisition parameters,
and the resolution limits (mxcubecore's names; mxgui's field names)."""

from __future__ import annotations

from typing import Any, ClassVar

from mxgui.core.xmlrpc.context import ServiceContext


def default_path_template(ctx: ServiceContext) -> dict[str, Any]:
    """The beamline's default path template as a struct (``get_default_path_template``)."""
    return ctx.role("collect").get_default_path_template().to_dict()


def default_acquisition_parameters(ctx: ServiceContext) -> dict[str, Any]:
    """The beamline's default acquisition parameters now as a struct
    (``get_default_acquisition_parameters``)."""
    return ctx.role("collect").get_default_acquisition_parameters().to_dict()


class SetupMethods:
    """``get_default_path_template``, ``get_default_acquisition_parameters``,
    ``get_resolution_limits``."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "get_default_path_template",
        "get_default_acquisition_parameters",
        "get_resolution_limits",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def get_default_path_template(self) -> dict[str, Any]:
        """directory, prefix, run_number, suffix, start_num, precision,
        process_directory: where a new collection of the session writes."""
        return default_path_template(self.ctx)

    def get_default_acquisition_parameters(self) -> dict[str, Any]:
        """osc_start, osc_range, num_images, exp_time, energy, transmission,
        resolution, detector_distance...: the beamline's defaults now."""
        return default_acquisition_parameters(self.ctx)

    def get_resolution_limits(self) -> list[float]:
        """``[low, high]`` resolution in Angstrom reachable at the current energy."""
        low, high = self.ctx.role("resolution").get_limits()
        return [float(low), float(high)]
