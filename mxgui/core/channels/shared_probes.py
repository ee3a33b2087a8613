"""One liveness probe per server, shared by the channels on it (in the control-system loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable

#: a probe younger than this (seconds) answers for every channel of its server
SHARED_PROBE_AGE = 0.25


class SharedProbes:
    """One liveness probe per server (a Tango device, an IOC) per period, however many
    of its attributes or PVs are channels (a motor has four to eight): each channel's
    supervisor awaits the probe a neighbour started moments ago."""

    def __init__(self) -> None:
        self._probes: dict[Hashable, tuple[float, asyncio.Future[object]]] = {}

    async def probe(self, server: Hashable, start: Callable[[], Awaitable[object]]) -> None:
        """Await ``start()``, or the probe of ``server`` started less than
        :data:`SHARED_PROBE_AGE` ago (its exception too)."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        entry = self._probes.get(server)
        if entry is None or now - entry[0] > SHARED_PROBE_AGE or entry[1].get_loop() is not loop:
            entry = (now, asyncio.ensure_future(start()))
            self._probes[server] = entry
        # shielded: one channel's probe timing out must not cancel its neighbours' answer
        await asyncio.shield(entry[1])
