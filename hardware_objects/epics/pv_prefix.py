"""The channels of an EPICS hardware object: ``<pv_prefix>`` plus a suffix, unless the
file has a ``<channel name=...>`` of that name."""

from __future__ import annotations

from mxgui.core.channels import Channel, DefaultBinding
from mxgui.core.hardware_object import HardwareObject, HOProperty

PV_PREFIX = HOProperty(str, doc="the PV (or record) name the channels' PVs start with")


def pv_channel(obj: HardwareObject, name: str, suffix: str) -> Channel:
    """``obj``'s channel ``name``: its file's element of that name, else the PV
    ``<pv_prefix>`` + ``suffix`` (a message about it points at ``<pv_prefix>``'s line)."""
    prefix = str(obj.get_property("pv_prefix") or "").strip()
    return obj.get_channel(name, DefaultBinding("epics", prefix + suffix, prop="pv_prefix"))


def as_float(channel: Channel, value: object) -> float:
    """``value`` (a PV's value) as a float; ``TypeError`` naming the PV when it is not a
    number (a channel bound to the wrong PV)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        return float(value)  # type: ignore[arg-type]  # numpy scalars
    except (TypeError, ValueError):
        raise TypeError(f"{channel.spec.label}: {value!r} is not a number") from None
