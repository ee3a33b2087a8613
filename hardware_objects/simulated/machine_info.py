"""A simulated storage ring: top-up or decay with refills, and beam losses on demand."""

from __future__ import annotations

import math
import threading
import time
from typing import Any, ClassVar

from hardware_objects.abstract.machine_info import AbstractMachineInfo
from mxgui.core.hardware_object import HardwareObjectState, HOProperty


class SimulatedMachineInfo(AbstractMachineInfo):
    """The ring current, read every ``update_period`` seconds in a worker thread.

    With ``top_up`` the current stays at ``nominal_current`` (the ring is topped up all
    the time, as in uniform filling). Without, it decays as ``I = nominal_current *
    exp(-t / lifetime)`` and is refilled to nominal every ``refill_period`` hours.
    ``time_scale`` makes simulated time run faster (3600: one hour per second).
    :meth:`inject_beam_loss` drops the current to 0 until :meth:`restore_beam`.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "fill_mode": HOProperty(str, "uniform", "fill mode shown to the user"),
        "nominal_current": HOProperty(float, 200.0, "current after a refill, mA"),
        "top_up": HOProperty(bool, True, "keep the current at nominal"),
        "lifetime": HOProperty(float, 40.0, "beam lifetime, hours"),
        "refill_period": HOProperty(float, 12.0, "hours between refills (without top-up)"),
        "update_period": HOProperty(float, 2.0, "seconds between readings"),
        "time_scale": HOProperty(float, 1.0, "simulated seconds per real second"),
        "message": HOProperty(str, "", "operators' message at start"),
    }

    def init(self) -> None:
        for prop in ("nominal_current", "lifetime", "refill_period", "update_period", "time_scale"):
            if not self.get_property(prop) > 0:
                raise self.config_error(f"{prop} must be above 0", prop)
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._offset_hours = 0.0
        self._refill_origin = 0.0
        self._lost: str | None = None
        self._message = self.get_property("message")
        self._last: dict[str, Any] | None = None
        self._stop = threading.Event()
        self.update()
        self._thread = threading.Thread(target=self._run, name=f"{self.name} updates", daemon=True)
        self._thread.start()

    def shutdown(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while not self._stop.wait(self.get_property("update_period")):
            self.update()

    # the simulated ring ----------------------------------------------------------------
    def _hours(self) -> float:
        elapsed = (time.monotonic() - self._started) * self.get_property("time_scale")
        return elapsed / 3600.0 + self._offset_hours

    def get_value(self) -> dict[str, Any]:
        with self._lock:
            lost, message = self._lost, self._message
            since_refill = (self._hours() - self._refill_origin) % self.get_property(
                "refill_period"
            )
        nominal, lifetime = self.get_property("nominal_current"), self.get_property("lifetime")
        if lost is not None:
            current, lifetime, message = 0.0, 0.0, lost
        elif self.get_property("top_up"):
            current = nominal
        else:
            current = nominal * math.exp(-since_refill / lifetime)
        return {
            "current": current,
            "lifetime": lifetime,
            "fill_mode": self.get_property("fill_mode"),
            "message": message,
            "beam_available": current >= self.get_property("beam_threshold"),
        }

    def update(self) -> None:
        """Read the ring now: emit ``valueChanged`` (and the state) if anything changed."""
        values = self.get_value()
        with self._lock:
            changed = values != self._last
            self._last = values
        if changed:
            self.emit("valueChanged", dict(values))
        self.set_state(
            HardwareObjectState.READY if values["beam_available"] else HardwareObjectState.WARNING
        )

    # for tests and demonstrations --------------------------------------------------------------
    def advance(self, hours: float) -> None:
        """Let ``hours`` of simulated time pass at once, then update."""
        with self._lock:
            self._offset_hours += hours
        self.update()

    def inject_beam_loss(self, reason: str = "Beam lost") -> None:
        """Drop the current to 0 mA with ``reason`` as the message, until restored."""
        with self._lock:
            self._lost = reason
        self.update()

    def restore_beam(self) -> None:
        """Refill the ring to the nominal current after a loss (a refill starts now)."""
        with self._lock:
            self._lost = None
            self._refill_origin = self._hours()
        self.update()

    def set_message(self, message: str) -> None:
        """Change the operators' message."""
        with self._lock:
            self._message = message
        self.update()
