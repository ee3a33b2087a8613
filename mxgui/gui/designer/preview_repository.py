"""The hardware repository as the designer's preview sees it: names and classes only."""

from __future__ import annotations

from typing import ClassVar

from mxgui.core.errors import HardwareObjectError
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.repository import HardwareRepository


class PreviewRepository(HardwareRepository):
    """Lists the objects of the repository directories and checks their files
    (:meth:`~HardwareRepository.object_class`), but never creates a live object.

    A preview must be inert: a click in it moves nothing, no queue file is read or
    written, no XML-RPC server is started, no hardware thread runs. Every way to an
    object goes through :meth:`get`, which refuses, so the preview's bricks are built
    unconnected (:attr:`live` is ``False``) and :attr:`beamline` is ``None``.
    """

    live: ClassVar[bool] = False

    def get(self, name: str) -> HardwareObject:
        """Refuse: the preview is not connected to the hardware."""
        raise HardwareObjectError(
            f"{name}: the layout designer's preview is not connected to the hardware"
        )
