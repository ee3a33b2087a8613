"""What the Tango and EPICS channel backends share: an ophyd-async signal, read and
subscribed the same way; each control system words its own errors (:meth:`reason`)."""

from __future__ import annotations

from typing import Any

from ophyd_async.core import SignalRW

from mxgui.core.channels.backend import ChannelError, Deliver
from mxgui.core.channels.config import BindingSpec


class SignalChannelBackend:
    """A channel on one ophyd-async signal, set by the subclass's ``connect``."""

    def __init__(self, spec: BindingSpec) -> None:
        self.spec = spec
        self._signal: SignalRW[Any] | None = None
        self._subscriber: Any = None  # ophyd-async's reading callback, kept strongly

    @staticmethod
    def reason(exc: BaseException) -> str:
        """Why ``exc`` happened, in the control system's words."""
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__

    @property
    def is_connected(self) -> bool:
        """True once ``connect`` has succeeded."""
        return self._signal is not None

    def _connected(self) -> SignalRW[Any]:
        if self._signal is None:
            raise ChannelError(f"{self.spec.label}: not connected")
        return self._signal

    async def read(self) -> object:
        try:
            return await self._connected().get_value(cached=False)
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError(f"{self.spec.label}: read failed: {self.reason(exc)}") from exc

    def start_updates(self, deliver: Deliver) -> None:
        if self._subscriber is not None:
            return  # already delivering

        def on_reading(readings: dict[str, Any]) -> None:
            for reading in readings.values():
                deliver(reading["value"])

        self._subscriber = on_reading  # a strong reference: the signal keeps a set
        self._connected().subscribe_reading(on_reading)

    def stop_updates(self) -> None:
        if self._subscriber is not None and self._signal is not None:
            self._signal.clear_sub(self._subscriber)
        self._subscriber = None

    def _subscribe_again(self) -> None:
        """Make the subscription anew (one to a server that died stays silent)."""
        subscriber = self._subscriber
        if subscriber is not None and self._signal is not None:
            self._signal.clear_sub(subscriber)
            self._signal.subscribe_reading(subscriber)
