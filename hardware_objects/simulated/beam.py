"""The simulated beam: a fixed focus cut by the aperture."""

from __future__ import annotations

from typing import ClassVar

from hardware_objects.abstract.beam import AbstractBeam
from mxgui.core.hardware_object import HOProperty


class SimulatedBeam(AbstractBeam):
    """A focused beam of ``focus_width`` x ``focus_height`` mm, cut by the aperture.

    :meth:`set_focus_size` stands for refocusing (CRLs, mirrors bending).
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "focus_width": HOProperty(float, 0.1, "focused beam width (FWHM), mm"),
        "focus_height": HOProperty(float, 0.05, "focused beam height (FWHM), mm"),
    }

    def init(self) -> None:
        for prop in ("focus_width", "focus_height"):
            if not self.get_property(prop) > 0:
                raise self.config_error(f"{prop} must be above 0 mm", prop)
        self._focus = (self.get_property("focus_width"), self.get_property("focus_height"))
        super().init()

    def get_focus_size(self) -> tuple[float, float]:
        return self._focus

    def set_focus_size(self, width: float, height: float) -> None:
        """Refocus to ``width`` x ``height`` mm; ``beamSizeChanged`` if the size changes."""
        if not (width > 0 and height > 0):
            raise ValueError(f"{self.username}: focus size must be above 0, got {width} x {height}")
        self._focus = (float(width), float(height))
        self.size_may_have_changed()
