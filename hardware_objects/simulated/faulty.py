"""Test fixtures of the simulated beamline: hardware objects that fail on purpose.

They let the tests (and a local contact trying ``mxgui --check``) see how a broken
object is reported without breaking real hardware:

- :class:`FaultyObject` always fails in :meth:`~FaultyObject.init`;
- :class:`StrictObject` needs a ``<channel_name>`` property and a ``motor`` role.

No beamline file of the simulated beamline uses them.
"""

from __future__ import annotations

from typing import ClassVar

from mxgui.core.hardware_object import HardwareObject, HOProperty


class FaultyObject(HardwareObject):
    """A hardware object whose ``init`` raises ``RuntimeError``."""

    def init(self) -> None:
        raise RuntimeError("simulated init failure")


class StrictObject(HardwareObject):
    """A hardware object with a required property and a required role."""

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "channel_name": HOProperty(str, doc="control-system channel read by the object"),
    }
    REQUIRED_ROLES: ClassVar[tuple[str, ...]] = ("motor",)
