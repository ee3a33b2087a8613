"""Whether every channel a hardware object depends on answers: one reason, or none."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mxgui.core.channels.channel import Channel


class ConnectionWatch:
    """Follows the connection of several channels and reports one state for them all.

    ``on_change(reason)`` is called (in the control-system loop's thread, or at once in
    the caller's when a channel's first attempt has already ended) whenever that state
    changes: ``reason`` names the first channel that does not answer (device and
    channel, and why), or is empty when all answer again. A channel still making its
    first attempt counts as answering, so a slow start does not flash a fault.
    """

    def __init__(self, on_change: Callable[[str], None]) -> None:
        self._on_change = on_change
        self._lock = threading.Lock()
        self._order: list[Channel] = []
        self._reasons: dict[Channel, str] = {}  # "" when connected
        self._settled: set[Channel] = set()
        self._all_settled = threading.Condition(self._lock)
        self._reported = ""

    def add(self, channel: Channel) -> None:
        """Watch ``channel`` too (once; adding it again does nothing)."""
        with self._lock:
            if channel in self._reasons:
                return
            self._order.append(channel)
            self._reasons[channel] = ""
        channel.on_connection(lambda connected, reason: self._changed(channel, connected, reason))

    def _changed(self, channel: Channel, connected: bool, reason: str) -> None:
        with self._lock:
            self._reasons[channel] = "" if connected else (reason or f"{channel!r}: lost")
            self._settled.add(channel)
            self._all_settled.notify_all()
            now = self._reason_locked()
            if now == self._reported:
                return
            self._reported = now
        self._on_change(now)

    def _reason_locked(self) -> str:
        return next((self._reasons[c] for c in self._order if self._reasons[c]), "")

    @property
    def reason(self) -> str:
        """Why a watched channel does not answer (the first one's), empty when all do."""
        with self._lock:
            return self._reason_locked()

    def wait_settled(self, timeout: float) -> tuple[Channel | None, str]:
        """Wait at most ``timeout`` seconds for every channel's first attempt to end;
        return the first channel that does not answer and why (``(None, "")`` when all
        do; a channel still trying by then is named as such)."""
        with self._lock:
            self._all_settled.wait_for(lambda: len(self._settled) == len(self._order), timeout)
            silent = next((c for c in self._order if self._reasons[c]), None)
            if silent is not None:
                return silent, self._reasons[silent]
            pending = next((c for c in self._order if c not in self._settled), None)
            if pending is not None:
                return pending, f"{pending.spec.label}: no answer within {timeout:g} s"
            return None, ""
