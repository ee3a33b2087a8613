"""The machine (storage ring) information: current, lifetime, fill mode, message."""

from __future__ import annotations

import abc
from typing import Any, ClassVar

from mxgui.core.hardware_object import HardwareObject, HOProperty

#: the keys of the dictionary :meth:`AbstractMachineInfo.get_value` returns
KEYS = ("current", "lifetime", "fill_mode", "message", "beam_available")


class AbstractMachineInfo(HardwareObject, abc.ABC):
    """What the storage ring tells the beamline, read-only.

    :meth:`get_value` gives one dictionary: ``current`` (mA), ``lifetime`` (h),
    ``fill_mode`` (text), ``message`` (the operators' message) and ``beam_available``
    (current at or above ``beam_threshold`` mA). The state is READY with beam and
    WARNING without.

    Signals: ``valueChanged(dict)`` (whenever a value changes), ``stateChanged``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("valueChanged",)
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "username": HOProperty(str, "Machine"),
        "beam_threshold": HOProperty(float, 1.0, "below this current (mA) there is no beam"),
    }

    @property
    def username(self) -> str:
        """Name shown to the user."""
        return self.get_property("username") or self.name.strip("/")

    @abc.abstractmethod
    def get_value(self) -> dict[str, Any]:
        """``{"current", "lifetime", "fill_mode", "message", "beam_available"}``."""

    def get_current(self) -> float:
        """Ring current, mA."""
        current: float = self.get_value()["current"]
        return current

    def get_lifetime(self) -> float:
        """Beam lifetime, hours."""
        lifetime: float = self.get_value()["lifetime"]
        return lifetime

    def get_fill_mode(self) -> str:
        """Fill mode, e.g. ``uniform`` or ``16-bunch``."""
        fill_mode: str = self.get_value()["fill_mode"]
        return fill_mode

    def get_message(self) -> str:
        """The operators' message."""
        message: str = self.get_value()["message"]
        return message

    def is_beam_available(self) -> bool:
        """True when the current is at or above ``beam_threshold`` mA."""
        beam_available: bool = self.get_value()["beam_available"]
        return beam_available
