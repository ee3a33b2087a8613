"""An attribute's limits (its ``min_value`` / ``max_value``) and unit, as the Tango
server declares them, read in a short-lived worker thread so that nobody waits for it."""

from __future__ import annotations

import math
import threading
from concurrent.futures import Future
from dataclasses import dataclass

import tango

from mxgui.core.channels import BindingSpec, ChannelError
from mxgui.core.channels.tango_backend import tango_reason


@dataclass(frozen=True)
class AttributeRange:
    """What the server declares of an attribute: ``low`` / ``high`` (infinite where it
    sets none) and ``unit`` (empty where it sets none)."""

    low: float
    high: float
    unit: str


def _limit(text: object, missing: float) -> float:
    try:
        value = float(str(text))
    except ValueError:  # Tango says "Not specified"
        return missing
    return missing if math.isnan(value) else value


def _read_range(spec: BindingSpec) -> AttributeRange:
    try:
        proxy = tango.DeviceProxy(spec.tango_device_address)
        proxy.set_timeout_millis(int(spec.timeout * 1000))
        config = proxy.get_attribute_config(spec.target)
    except tango.DevFailed as exc:
        raise ChannelError(f"{spec.label}: cannot read the limits: {tango_reason(exc)}") from exc
    unit = str(config.unit or "").strip()
    return AttributeRange(
        _limit(config.min_value, -math.inf),
        _limit(config.max_value, math.inf),
        "" if unit.lower() in ("no unit", "none") else unit,
    )


def attribute_range(spec: BindingSpec) -> Future[AttributeRange]:
    """The limits and unit of the attribute of ``spec``; the Future fails with a
    :class:`ChannelError` naming device and attribute."""
    future: Future[AttributeRange] = Future()
    future.set_running_or_notify_cancel()

    def read() -> None:
        try:
            future.set_result(_read_range(spec))
        except Exception as exc:  # handed to the Future's holder, which logs it
            future.set_exception(exc)

    threading.Thread(target=read, name=f"limits {spec.device}", daemon=True).start()
    return future
