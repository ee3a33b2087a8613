"""Beam methods: flux, beam check, beam size and aperture (mxcubecore's names; sizes
in mm as in mxcubecore)."""

from __future__ import annotations

from typing import Any, ClassVar

from mxgui.core.roles import BeamRole
from mxgui.core.xmlrpc.args import as_float, as_str
from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.dispatch import BadArgument


class BeamMethods:
    """``flux``, ``check_for_beam``, ``get_beam_size``, ``set_beam_size``,
    ``get_available_beam_size``, ``get_aperture``, ``set_aperture``, ``get_aperture_list``."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "flux",
        "check_for_beam",
        "get_beam_size",
        "set_beam_size",
        "get_available_beam_size",
        "get_aperture",
        "set_aperture",
        "get_aperture_list",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @property
    def beam(self) -> BeamRole:
        return self.ctx.role("beam")

    def flux(self) -> float:
        """Photons per second at the sample now (0 when unknown)."""
        value = self.ctx.role("flux").get_value()
        return 0.0 if value is None else float(value)

    def check_for_beam(self) -> bool:
        """True when there is beam at the sample."""
        return bool(self.ctx.role("flux").check_for_beam())

    def get_beam_size(self) -> list[Any]:
        """``[width_mm, height_mm, shape, label]``: the beam at the sample, its shape
        (ellipse or rectangle) and the aperture that makes it ("" for none)."""
        beam = self.beam
        width, height = beam.get_beam_size()
        return [float(width), float(height), beam.get_beam_shape(), beam.get_aperture() or ""]

    def set_beam_size(self, size: object) -> bool:
        """Set the beam size with the aperture: ``[width_mm, height_mm]``, a diameter
        in mm, or an aperture name. The largest beam that fits is chosen."""
        beam = self.beam
        if isinstance(size, str) and size.strip() in beam.get_aperture_list():
            target = size.strip()
        elif isinstance(size, (list, tuple)):
            if len(size) != 2:
                raise BadArgument(f"size: expected [width_mm, height_mm], got {size!r}")
            target = beam.aperture_for_size(
                (as_float(size[0], "size[0]"), as_float(size[1], "size[1]"))
            )
        elif isinstance(size, (int, float)) and not isinstance(size, bool):
            target = beam.aperture_for_size(as_float(size, "size"))
        else:
            names = ", ".join(beam.get_aperture_list()) or "none"
            raise BadArgument(
                f"size: expected [width_mm, height_mm], a diameter in mm or an aperture "
                f"name ({names}), got {size!r}"
            )
        self.ctx.wait(beam.set_aperture(target), self.ctx.move_timeout, f"aperture {target}")
        return True

    def get_available_beam_size(self) -> dict[str, list[Any]]:
        """The beam sizes to choose from, as mxcubecore gives them: ``{"label": [name,
        ...], "size": [[width_mm, height_mm], ...]}``, one per aperture in order; a
        label or a size goes back to ``set_beam_size``."""
        sizes = self.beam.get_defined_beam_sizes()
        return {
            "label": list(sizes),
            "size": [[float(width), float(height)] for width, height in sizes.values()],
        }

    def get_aperture(self) -> str:
        """The aperture in the beam ("" without an aperture)."""
        return self.beam.get_aperture() or ""

    def set_aperture(self, pos_name: object) -> bool:
        """Put aperture ``pos_name`` in the beam; returns once it is there."""
        name = as_str(pos_name, "pos_name")
        beam = self.beam
        names = beam.get_aperture_list()
        if name not in names:
            raise BadArgument(
                f"pos_name: no aperture {name!r}; apertures: {', '.join(names) or 'none'}"
            )
        self.ctx.wait(beam.set_aperture(name), self.ctx.move_timeout, f"aperture {name}")
        return True

    def get_aperture_list(self) -> list[str]:
        """The aperture names, in order."""
        return list(self.beam.get_aperture_list())
