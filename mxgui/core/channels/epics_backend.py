"""EPICS channels and commands on ophyd-async's Channel Access signals (aioca).

A channel is an ophyd-async ``epics_signal_rw`` on ``ca://PV``; values arrive through
a CA monitor (channel access always offers one, so ``polling`` is not needed and not
used). A write outside the PV's control limits (an ``ao`` record's DRVL/DRVH, a motor's
LLM/HLM as its IOC publishes them) is refused here before it is sent, since an IOC
clamps or ignores such a value without telling the client. Liveness is a ``caget`` with
a short timeout. Once the PV's circuit is lost, the probe asks the IOC's last known
address for a TCP connection instead; as soon as the IOC accepts one, the PV is searched
for anew and its monitor made again (:mod:`mxgui.core.channels.ca_search`: channel
access alone would find it 5 to 10 s later).
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import Any, cast

from aioca import CANothing, caget
from ophyd_async.core import SignalRW
from ophyd_async.epics.core import epics_signal_rw

from mxgui.core.channels import ca_search
from mxgui.core.channels.backend import ChannelError, Deliver
from mxgui.core.channels.config import BindingSpec
from mxgui.core.channels.shared_probes import SharedProbes
from mxgui.core.channels.signal_backend import SignalChannelBackend

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.0  # seconds
IOC_ANSWER_TIMEOUT = 0.25  # seconds a TCP connection to a lost IOC may take
#: a PV never found yet is searched for anew at most this often (seconds): channel
#: access alone backs off, so an IOC started late would be found up to minutes later
NEVER_FOUND_SEARCH_PERIOD = 2.0

_never_found_searches: dict[str, float] = {}  # PV -> loop time of its last new search


def _reason(exc: BaseException) -> str:
    if isinstance(exc, CANothing):
        return str(exc)
    cause = exc.__cause__
    if cause is not None and cause is not exc:
        return _reason(cause)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _signal(spec: BindingSpec) -> SignalRW[Any]:
    # datatype None: the PV's own type, as the IOC declares it
    return epics_signal_rw(cast(type, None), f"ca://{spec.target}", timeout=spec.timeout)


_probes = SharedProbes()  # one caget per IOC per probe period


async def _ioc_answers_caget(server: ca_search.Address | None, pv: str) -> None:
    """A ``caget`` of ``pv``, or of another PV of the same IOC made moments ago (a hung
    IOC is found by the time-out; a dead one libca reports itself)."""
    if server is None:
        await caget(pv, timeout=PROBE_TIMEOUT)
        return
    await _probes.probe(server, lambda: caget(pv, timeout=PROBE_TIMEOUT))


def _search_again_if_never_found(pv: str) -> None:
    """Before another attempt at a PV no attempt has found: search for it anew (once
    per :data:`NEVER_FOUND_SEARCH_PERIOD` for all the channels on it)."""
    if not ca_search.circuit_lost(pv):  # not tried yet, or connected
        return
    now = asyncio.get_running_loop().time()
    if now - _never_found_searches.get(pv, -math.inf) < NEVER_FOUND_SEARCH_PERIOD:
        return
    _never_found_searches[pv] = now
    ca_search.search_again(pv, ca_search.channel_token(pv))


class EpicsChannelBackend(SignalChannelBackend):
    """An EPICS PV (see the module's docstring)."""

    reason = staticmethod(_reason)

    def __init__(self, spec: BindingSpec) -> None:
        super().__init__(spec)
        self._server: ca_search.Address | None = None  # the IOC last seen serving the PV
        self._searched_again = False  # once per loss: then channel access searches on
        self._token = 0  # ca_search.channel_token of the channel last seen connected
        self._monitor_token = 0  # ca_search.channel_token of the channel monitored

    async def connect(self, timeout: float) -> None:
        _search_again_if_never_found(self.spec.target)
        signal = _signal(self.spec)
        try:
            await signal.connect(timeout=timeout)
        except Exception as exc:
            raise ChannelError(
                f"{self.spec.label}: no answer within {timeout:g} s "
                "(is the PV name right, and its IOC up and reachable?)"
            ) from exc
        self._signal = signal
        self._server = await ca_search.server_address(self.spec.target)
        self._token = ca_search.channel_token(self.spec.target)

    async def probe(self) -> None:
        pv = self.spec.target
        if ca_search.circuit_lost(pv):
            await self._find_again(pv)
        await _ioc_answers_caget(self._server, pv)
        self._searched_again = False
        self._token = ca_search.channel_token(pv)
        self._server = await ca_search.server_address(pv) or self._server
        if self._subscriber is not None and ca_search.channel_token(pv) != self._monitor_token:
            # the channel was made anew (by this backend or another on the same PV):
            # the monitor on the old one was closed with it
            self._subscribe_again()
            self._monitor_token = ca_search.channel_token(pv)

    async def _find_again(self, pv: str) -> None:
        """The circuit is lost: search anew once the IOC accepts a connection again."""
        server = self._server
        if server is None:
            raise ChannelError(f"{self.spec.label}: disconnected (its IOC is not known)")
        if not await ca_search.ioc_answers(server, IOC_ANSWER_TIMEOUT):
            host, port = server
            raise ChannelError(
                f"{self.spec.label}: disconnected (its IOC at {host}:{port} does not answer)"
            )
        if not self._searched_again:
            self._searched_again = True
            if ca_search.search_again(pv, self._token):
                log.info("%s: its IOC answers again: searching for the PV anew", pv)

    def start_updates(self, deliver: Deliver) -> None:
        super().start_updates(deliver)
        self._monitor_token = ca_search.channel_token(self.spec.target)

    async def write(self, value: object) -> None:
        signal = self._connected()
        try:
            await self._check_limits(signal, value)
            await signal.set(value, timeout=self.spec.timeout)
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError(
                f"{self.spec.label}: writing {value!r} failed: {_reason(exc)}"
            ) from exc

    async def _check_limits(self, signal: SignalRW[Any], value: object) -> None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return
        description = await signal.describe()
        limits: Any = next(iter(description.values())).get("limits", {})
        control = limits.get("control") or {}
        low, high = control.get("low"), control.get("high")
        if low is None or high is None or not low < high:
            return  # EPICS: equal limits (0, 0) mean none
        if not low <= value <= high:
            raise ChannelError(
                f"{self.spec.label}: {value!r} is outside the limits [{low:g}, {high:g}]"
            )

    async def resume(self) -> None:
        """Nothing to do: channel access re-establishes its monitors itself."""


class EpicsCommandBackend:
    """An EPICS command: writing its argument (1 without one) to the PV, waiting for
    the put to complete."""

    def __init__(self, spec: BindingSpec) -> None:
        self.spec = spec
        self._channel = EpicsChannelBackend(spec)

    async def call(self, args: tuple[object, ...]) -> object:
        if not self._channel.is_connected:
            await self._channel.connect(self.spec.timeout)
        await self._channel.write(args[0] if args else 1)
        return None
