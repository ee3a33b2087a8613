"""The shutter interface: an N-state actuator with OPEN and CLOSED."""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from hardware_objects.abstract.nstate import AbstractNState

OPEN = "OPEN"
CLOSED = "CLOSED"


class AbstractShutter(AbstractNState):
    """A shutter (safety or fast): ``open()``, ``close()``, ``is_open()``.

    Its values include ``OPEN`` and ``CLOSED``; the XML may add others (e.g. ``DISABLED``).
    """

    def init(self) -> None:
        super().init()
        missing = {OPEN, CLOSED} - set(self.get_values())
        if missing:
            raise self.config_error(
                f"a shutter needs <value>{'</value>, <value>'.join(sorted(missing))}</value>"
            )

    def open(self, timeout: float | None = 0) -> Future[Any]:
        """Open the shutter."""
        return self.set_value(OPEN, timeout)

    def close(self, timeout: float | None = 0) -> Future[Any]:
        """Close the shutter."""
        return self.set_value(CLOSED, timeout)

    def is_open(self) -> bool:
        return self.get_value() == OPEN
