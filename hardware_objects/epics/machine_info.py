"""The storage ring's information from EPICS PVs."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from hardware_objects.abstract.machine_info import AbstractMachineInfo
from hardware_objects.epics.pv_prefix import PV_PREFIX, as_float, as_text, pv_channel
from hardware_objects.epics.type_fault import PvTypeFault
from mxgui.core.channels import Channel
from mxgui.core.hardware_object import HardwareObjectState, HOProperty

log = logging.getLogger(__name__)

#: the channels, by the key of :meth:`EpicsMachineInfo.get_value`, and their default
#: PV after the prefix
PVS = {"current": "CURRENT", "lifetime": "LIFETIME", "fill_mode": "FILLMODE", "message": "MESSAGE"}
NUMBERS = ("current", "lifetime")


class EpicsMachineInfo(PvTypeFault, AbstractMachineInfo):
    """Ring current, lifetime, fill mode and message: ``<pv_prefix>SR:</pv_prefix>``
    with channels ``current``, ``lifetime``, ``fill_mode``, ``message`` defaulting to
    ``CURRENT``, ``LIFETIME``, ``FILLMODE``, ``MESSAGE`` after the prefix (each
    overridable by a ``<channel>``).

    ``valueChanged(dict)`` on each change (``nan`` and empty texts stand for values not
    read yet); once every PV has given its value, READY with beam (current at or above
    ``beam_threshold``) and WARNING without; FAULT while the IOC does not answer.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {"pv_prefix": PV_PREFIX}

    def init(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {
            "current": math.nan,
            "lifetime": math.nan,
            "fill_mode": "",
            "message": "",
        }
        self._received: set[str] = set()
        self.channels = {key: pv_channel(self, key, suffix) for key, suffix in PVS.items()}
        self.watch_channels(*self.channels.values())
        for key, channel in self.channels.items():
            channel.subscribe(self._deliverer(key, channel))

    def _deliverer(self, key: str, channel: Channel) -> Callable[[object], None]:
        def deliver(raw: object) -> None:
            try:
                value: object = as_float(channel, raw) if key in NUMBERS else as_text(raw)
            except TypeError as exc:  # bound to a PV of another kind
                self.wrong_type(channel, exc)
                return
            with self._lock:
                self._values[key] = value
                self._received.add(key)
            self._changed()

        return deliver

    def get_value(self) -> dict[str, Any]:
        with self._lock:
            values = dict(self._values)
        values["beam_available"] = values["current"] >= self.get_property("beam_threshold")
        return values

    def _changed(self) -> None:
        values = self.get_value()
        self.emit("valueChanged", values)
        self._show_state(values)

    def _show_state(self, values: dict[str, Any]) -> None:
        with self._lock:
            known = len(self._received) == len(PVS)
        if self.type_problem or self.unavailable_reason() or not known:
            return  # FAULT while the IOC does not answer; UNKNOWN until every PV has a value
        beam = values["beam_available"]
        self.set_state(HardwareObjectState.READY if beam else HardwareObjectState.WARNING)

    def connection_restored(self) -> None:
        self._show_state(self.get_value())
