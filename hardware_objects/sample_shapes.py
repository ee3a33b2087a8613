"""The shapes of the mounted sample as a hardware object, reachable by role."""

from __future__ import annotations

from typing import Any

from mxgui.core.hardware_object import HardwareObject, HardwareObjectState
from mxgui.core.shapes import ShapesModel


class SampleShapes(HardwareObject, ShapesModel):
    """Saved points, lines and grids of the mounted sample (role ``shapes``).

    The sample view draws and edits them, the queue and XML-RPC read them. With a
    ``sample_changer`` role, the shapes are cleared when another sample is mounted:
    they are positions on one sample and mean nothing on the next.
    """

    def init(self) -> None:
        changer = self.get_object_by_role("sample_changer")
        if changer is not None:
            self._mounted = self._address(changer.get_loaded_sample())
            changer.connect("loadedSampleChanged", self._on_loaded_sample)
        self.set_state(HardwareObjectState.READY)

    @staticmethod
    def _address(sample: Any) -> str | None:
        return getattr(sample, "address", None)

    def _on_loaded_sample(self, sample: Any) -> None:
        address = self._address(sample)
        if address != self._mounted:
            self._mounted = address
            if len(self):
                self.clear()
