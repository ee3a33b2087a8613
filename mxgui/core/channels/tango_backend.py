"""Tango channels and commands on ophyd-async's Tango signals (pytango underneath).

A channel is an ophyd-async ``tango_signal_rw``. Whether the attribute offers change
events is asked of the server once at connection: with events, values arrive as the
server pushes them; without, ophyd-async polls at the configured period. The device's
liveness is checked with ``ping`` (see :class:`mxgui.core.channels.Channel`); after the
server comes back, the subscription is made again, since a subscription to a server
that died stays silent.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

import tango
import tango.asyncio
from ophyd_async.core import SignalRW
from ophyd_async.tango.core import TangoSignalBackend
from tango.asyncio_executor import AsyncioExecutor, get_global_executor, set_global_executor

from mxgui.core.channels.backend import ChannelError
from mxgui.core.channels.config import DEFAULT_POLLING, BindingSpec
from mxgui.core.channels.shared_probes import SharedProbes
from mxgui.core.channels.signal_backend import SignalChannelBackend


def tango_reason(exc: BaseException) -> str:
    """The first line of a ``DevFailed``'s first description (else the exception as
    text): Tango adds lines such as "The connection request was delayed" that say
    nothing more to a user."""
    if isinstance(exc, tango.DevFailed) and exc.args:
        lines = str(exc.args[0].desc).strip().splitlines()
        return lines[0].strip() if lines else type(exc).__name__
    cause = exc.__cause__
    if cause is not None and cause is not exc:
        return tango_reason(cause)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _executor_in_this_loop() -> None:
    """Make pytango's asyncio calls belong to the running loop: its global executor
    keeps the loop it was made in, which is gone once the control-system loop has been
    stopped and started again (a new repository in the same process)."""
    loop = asyncio.get_running_loop()
    if get_global_executor().loop is not loop:
        set_global_executor(AsyncioExecutor(loop=loop))


async def _device(spec: BindingSpec, timeout: float) -> Any:  # tango.asyncio.DeviceProxy
    _executor_in_this_loop()
    try:
        return await asyncio.wait_for(tango.asyncio.DeviceProxy(spec.tango_device_address), timeout)
    except (tango.DevFailed, asyncio.TimeoutError) as exc:
        raise ChannelError(
            f"{spec.label}: cannot reach the device: {tango_reason(exc) or 'no answer'}"
        ) from exc


_pings = SharedProbes()  # one ping per device per probe period


async def _ignore_event(event: object) -> None:
    """The probe subscription's callback (its events are not used)."""


class TangoChannelBackend(SignalChannelBackend):
    """A Tango attribute (see the module's docstring)."""

    reason = staticmethod(tango_reason)

    def __init__(self, spec: BindingSpec) -> None:
        super().__init__(spec)
        self._proxy: Any = None
        self.events = False

    async def connect(self, timeout: float) -> None:
        spec = self.spec
        self._proxy = await _device(spec, timeout)
        try:
            await asyncio.wait_for(self._proxy.ping(), timeout)
        except (tango.DevFailed, asyncio.TimeoutError) as exc:
            raise ChannelError(
                f"{spec.label}: the device does not answer: {tango_reason(exc)}"
            ) from exc
        try:
            await asyncio.wait_for(self._proxy.get_attribute_config(spec.target), timeout)
        except tango.DevFailed as exc:
            raise ChannelError(
                f"{spec.label}: the device has no attribute {spec.target} ({tango_reason(exc)})"
            ) from exc
        self.events = spec.polling is None and await self._offers_events()
        # datatype None: the attribute's own type, as the server declares it
        backend: TangoSignalBackend[Any] = TangoSignalBackend(
            cast(type, None), spec.tango_address, spec.tango_address
        )
        backend.allow_events(self.events)
        # abs_change 0: every poll is delivered; the Channel passes on changes only
        backend.set_polling(not self.events, spec.polling or DEFAULT_POLLING, 0.0, None)
        signal: SignalRW[Any] = SignalRW(backend, timeout=spec.timeout)
        try:
            await signal.connect(timeout=timeout)
        except Exception as exc:
            raise ChannelError(f"{spec.label}: cannot connect: {tango_reason(exc)}") from exc
        self._signal = signal

    async def _offers_events(self) -> bool:
        try:
            event_id = await self._proxy.subscribe_event(
                self.spec.target, tango.EventType.CHANGE_EVENT, _ignore_event
            )
        except tango.DevFailed:
            return False
        self._proxy.unsubscribe_event(event_id)
        return True

    async def probe(self) -> None:
        try:
            await _pings.probe(self.spec.tango_device_address, self._proxy.ping)
        except tango.DevFailed as exc:
            raise ChannelError(
                f"{self.spec.label}: the device does not answer: {tango_reason(exc)}"
            ) from exc

    async def write(self, value: object) -> None:
        try:
            await self._connected().set(value, timeout=self.spec.timeout)
        except ChannelError:
            raise
        except Exception as exc:
            raise ChannelError(
                f"{self.spec.label}: writing {value!r} failed: {_put_reason(exc)}"
            ) from exc

    async def resume(self) -> None:
        self._subscribe_again()


def _put_reason(exc: BaseException) -> str:
    # ophyd-async words a refused write "attr device failure: <desc>": keep the desc
    text = tango_reason(exc)
    return text.split("device failure: ", 1)[-1]


class TangoCommandBackend:
    """A Tango command, executed with pytango's asyncio ``command_inout``."""

    def __init__(self, spec: BindingSpec) -> None:
        self.spec = spec
        self._proxy: Any = None

    async def call(self, args: tuple[object, ...]) -> object:
        spec = self.spec
        if self._proxy is None:
            self._proxy = await _device(spec, spec.timeout)
        try:
            return cast(object, await self._proxy.command_inout(spec.target, *args))
        except tango.DevFailed as exc:
            raise ChannelError(f"{spec.label}: failed: {tango_reason(exc)}") from exc
