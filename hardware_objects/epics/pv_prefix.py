"""The channels of an EPICS hardware object: ``<pv_prefix>`` plus a suffix, unless the
file has a ``<channel name=...>`` of that name (or of the name mxcubecore's class gave
it, so a site's file ports by changing its ``class=``)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mxgui.core.channels import Channel, DefaultBinding
from mxgui.core.hardware_object import HardwareObject, HOProperty

PV_PREFIX = HOProperty(
    str,
    "",
    "the PV (or record) name the channels' PVs start with, when the file does not "
    "give each channel",
)


def pv_channel(obj: HardwareObject, name: str, suffix: str, aliases: Sequence[str] = ()) -> Channel:
    """``obj``'s channel ``name``: its file's ``<channel>`` element of that name or of
    one of ``aliases``, else the PV ``<pv_prefix>`` + ``suffix`` (a message about it
    points at ``<pv_prefix>``'s line).

    Raises
    ------
    ConfigError
        naming the file, when there is neither an element nor a ``<pv_prefix>``.
    """
    given = {b.name for b in obj.config.bindings if b.kind == "channel"} if obj.config else set()
    for alias in (name, *aliases):
        if alias in given:
            return obj.get_channel(alias)
    prefix = str(obj.get_property("pv_prefix") or "").strip()
    if not prefix:
        raise obj.config_error(
            f'{type(obj).__name__} needs a <pv_prefix> (or a <channel type="epics" '
            f'name="{name}"> element)'
        )
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


def as_text(value: object) -> str:
    """A string PV's value, or a char waveform's (an array of character codes, ended by
    a NUL), as text."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu":
        value = value.astype(np.uint8).tobytes().split(b"\0", 1)[0]
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)
