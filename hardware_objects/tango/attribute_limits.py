"""An attribute's limits (its ``min_value`` / ``max_value``), as the Tango server
declares them, read in a short-lived worker thread so that nobody waits for it."""

from __future__ import annotations

import math
import threading
from concurrent.futures import Future

import tango

from mxgui.core.channels import BindingSpec, ChannelError
from mxgui.core.channels.tango_backend import tango_reason


def _limit(text: object, missing: float) -> float:
    try:
        value = float(str(text))
    except ValueError:  # Tango says "Not specified"
        return missing
    return missing if math.isnan(value) else value


def _read_limits(spec: BindingSpec) -> tuple[float, float]:
    try:
        proxy = tango.DeviceProxy(spec.tango_device_address)
        proxy.set_timeout_millis(int(spec.timeout * 1000))
        config = proxy.get_attribute_config(spec.target)
    except tango.DevFailed as exc:
        raise ChannelError(f"{spec.label}: cannot read the limits: {tango_reason(exc)}") from exc
    return _limit(config.min_value, -math.inf), _limit(config.max_value, math.inf)


def attribute_limits(spec: BindingSpec) -> Future[tuple[float, float]]:
    """``(low, high)`` of the attribute of ``spec`` (infinite where the server sets
    none); the Future fails with a :class:`ChannelError` naming device and attribute."""
    future: Future[tuple[float, float]] = Future()
    future.set_running_or_notify_cancel()

    def read() -> None:
        try:
            future.set_result(_read_limits(spec))
        except Exception as exc:  # handed to the Future's holder, which logs it
            future.set_exception(exc)

    threading.Thread(target=read, name=f"limits {spec.device}", daemon=True).start()
    return future
