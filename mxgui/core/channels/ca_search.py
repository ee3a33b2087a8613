"""Channel access: find a PV again at once when its IOC is back.

libca searches for a channel whose circuit died only after a disconnect governor
(about 10 s here) and then at intervals that double (up to EPICS_CA_MAX_SEARCH_PERIOD,
minutes), so a restarted IOC is found 5 to 10 s late, later the longer it was down. A
channel created anew is searched for at once. aioca keeps one channel per PV name in a
cache and offers no way to drop one, so :func:`search_again` takes the PV's channel out
of that cache (aioca 2.x's ``ChannelCache``) and clears it: the next ``caget`` or
``camonitor`` makes a new one. Monitors made on the old channel are closed with it;
:func:`channel_token` tells their owners to subscribe again.

Only what runs in the control-system loop may call these (aioca's cache is per loop).
"""

from __future__ import annotations

import asyncio
import logging

from aioca import _catools, cainfo, purge_channel_caches

log = logging.getLogger(__name__)

Address = tuple[str, int]

_renewals: dict[str, int] = {}  # PV -> how many times search_again replaced its channel


def _aioca_channels() -> dict[str, _catools.Channel] | None:
    """aioca's channels of this loop by PV name (aioca 2.x's private cache; None when
    another aioca keeps them otherwise: then libca's own search is all there is)."""
    cache = _catools._Context.get_channel_cache()
    channels = getattr(cache, "_ChannelCache__channels", None)
    return channels if isinstance(channels, dict) else None


def _cached(pv: str) -> _catools.Channel | None:
    channel = (_aioca_channels() or {}).get(pv)
    return channel if isinstance(channel, _catools.Channel) else None


def circuit_lost(pv: str) -> bool:
    """True when the PV's channel is known to aioca and disconnected."""
    channel = _cached(pv)
    return channel is not None and not channel.connected()


def channel_token(pv: str) -> int:
    """Which of the PV's channels is current: it changes when :func:`search_again`
    replaces the channel (monitors made before then are closed)."""
    return _renewals.get(pv, 0)


async def server_address(pv: str) -> Address | None:
    """The ``(host, port)`` of the IOC serving ``pv`` now; None when unknown."""
    try:
        info = await cainfo(pv, wait=False)
    except Exception as exc:  # aioca's own errors: no address, nothing more to do
        log.debug("%s: no channel information: %s", pv, exc)
        return None
    host, _, port = str(info.host).rpartition(":")
    if not host or not port.isdigit():
        return None
    return host, int(port)


async def ioc_answers(address: Address, timeout: float) -> bool:
    """True when something accepts a TCP connection at ``address`` (the IOC's port)."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(*address), timeout)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True


def search_again(pv: str, token: int) -> bool:
    """Drop the PV's disconnected channel so that the next use searches at once; False
    when there was nothing to drop (connected, not cached, or already replaced since
    ``token`` was read: another channel on the same PV did it first)."""
    channels = _aioca_channels()
    channel = _cached(pv)
    if channels is None or channel is None or channel.connected():
        return False
    if channel_token(pv) != token:
        return False
    del channels[pv]
    _renewals[pv] = token + 1
    channel._purge()  # clears the channel and closes its monitors
    return True


def forget_all_channels() -> None:
    """Close every channel and monitor of channel access in this process (when the
    control-system loop stops: nothing may call back into it after)."""
    purge_channel_caches()
    _renewals.clear()
