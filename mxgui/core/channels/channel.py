"""A :class:`Channel` (a value on a Tango or EPICS server) and a :class:`Command`.

Both are thread-safe fronts over a backend living in the control-system loop
(:mod:`mxgui.core.channels.loop`):

- ``read(timeout)`` blocks the calling thread (never the GUI thread's business: call it
  from a worker) and returns the value;
- ``write(value, timeout)`` and ``Command.call(*args)`` return at once with a
  :class:`concurrent.futures.Future`, failed with a :class:`ChannelError` naming the
  device and the channel when the server refuses or does not answer;
- ``subscribe(callback)``: ``callback(value)`` runs in the loop thread for each new
  value (events where the server offers them, else polling); a hardware object
  passes it on with its own ``emit``, and ``mxgui.gui`` hands it to the GUI thread;
- ``on_connection(callback)``: ``callback(connected, reason)`` when the server goes away
  (``reason`` names device and channel) and when it is back. A supervisor in the loop
  probes the server every :data:`WATCH_PERIOD` seconds and reconnects by itself.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from mxgui.core.channels.backend import ChannelBackend, ChannelError, CommandBackend
from mxgui.core.channels.config import BindingSpec
from mxgui.core.channels.loop import ControlLoop, control_loop

log = logging.getLogger(__name__)

WATCH_PERIOD = 0.5  # seconds between two liveness probes
PROBE_TIMEOUT = 1.0  # seconds a probe may take before the server counts as gone

#: ``callback(connected, reason)``
ConnectionCallback = Callable[[bool, str], None]
ValueCallback = Callable[[object], None]

_UNSET = object()


def _channel_backend(spec: BindingSpec) -> ChannelBackend:
    # imported here: the control-system libraries load only when a channel is made
    if spec.system == "tango":
        from mxgui.core.channels.tango_backend import TangoChannelBackend

        return TangoChannelBackend(spec)
    from mxgui.core.channels.epics_backend import EpicsChannelBackend

    return EpicsChannelBackend(spec)


def _command_backend(spec: BindingSpec) -> CommandBackend:
    if spec.system == "tango":
        from mxgui.core.channels.tango_backend import TangoCommandBackend

        return TangoCommandBackend(spec)
    from mxgui.core.channels.epics_backend import EpicsCommandBackend

    return EpicsCommandBackend(spec)


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # numpy arrays compare element-wise
        return False


class Channel:
    """A value on a control system, connected from the control-system loop."""

    def __init__(self, spec: BindingSpec, backend: ChannelBackend | None = None) -> None:
        self.spec = spec
        self._backend = backend if backend is not None else _channel_backend(spec)
        self._loop: ControlLoop = control_loop()
        self._lock = threading.Lock()
        self._values: list[ValueCallback] = []
        self._connections: list[ConnectionCallback] = []
        self._connected = False
        self._settled = False  # the first attempt to connect has ended
        self._ever_connected = asyncio.Event()
        self._up = asyncio.Event()
        self._reason = f"{spec.label}: connecting"
        self._updating = False
        self._last: object = _UNSET
        self._supervisor = self._loop.submit(self._supervise())
        self._loop.close_at_stop(self)

    def __repr__(self) -> str:
        return f"<Channel {self.spec.name}: {self.spec.label}>"

    # state -----------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """True while the server answers."""
        return self._connected

    @property
    def reason(self) -> str:
        """Why the channel is not connected (empty when it is)."""
        return "" if self._connected else self._reason

    def on_connection(self, callback: ConnectionCallback) -> None:
        """Call ``callback(connected, reason)`` at each change of connection (in the
        control-system loop's thread); at once, in the caller's thread, when the
        first attempt to connect has already ended."""
        with self._lock:
            self._connections.append(callback)
            settled, connected, reason = self._settled, self._connected, self.reason
        if settled:
            callback(connected, reason)

    # values ----------------------------------------------------------------------
    def read(self, timeout: float | None = None) -> object:
        """The value read from the server now; waits at most ``timeout`` seconds
        (the channel's configured timeout by default) for it.

        Raises
        ------
        ChannelError
            naming device and channel: not connected in time, or the read failed.
        """
        timeout = self.spec.timeout if timeout is None else timeout
        if self._loop.in_loop():
            raise RuntimeError("Channel.read() blocks: call it outside the control-system loop")
        future = self._loop.submit(self._read(timeout))
        try:
            return future.result(timeout + 0.5)
        except FutureTimeout:
            future.cancel()
            raise ChannelError(f"{self.spec.label}: no value within {timeout:g} s") from None

    async def _read(self, timeout: float) -> object:
        try:
            await asyncio.wait_for(self._wait_up(), timeout)
            return await asyncio.wait_for(self._backend.read(), timeout)
        except asyncio.TimeoutError:
            raise ChannelError(
                f"{self.spec.label}: no value within {timeout:g} s ({self.reason or 'no answer'})"
            ) from None

    async def _wait_up(self) -> None:
        await self._up.wait()

    def write(self, value: object, timeout: float | None = None) -> Future[None]:
        """Write ``value``; the Future ends when the server has taken it, or fails
        with a :class:`ChannelError` (refused, outside limits, no answer in
        ``timeout`` seconds)."""
        timeout = self.spec.timeout if timeout is None else timeout
        return self._loop.submit(self._write(value, timeout))

    async def _write(self, value: object, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._wait_up(), timeout)
            await asyncio.wait_for(self._backend.write(value), timeout)
        except asyncio.TimeoutError:
            raise ChannelError(
                f"{self.spec.label}: writing {value!r}: no answer within {timeout:g} s"
                + (f" ({self.reason})" if self.reason else "")
            ) from None

    def subscribe(self, callback: ValueCallback) -> None:
        """Call ``callback(value)`` for each new value, in the loop's thread; the
        current value comes first once connected."""
        with self._lock:
            self._values.append(callback)
            start = not self._updating
            self._updating = True
        if start:
            self._loop.call_soon(self._start_updates)
        else:  # the updates flow already: this callback's first value is the last one
            self._loop.call_soon(lambda: self._give_last(callback))

    def _give_last(self, callback: ValueCallback) -> None:
        last = self._last
        if last is not _UNSET:
            try:
                callback(last)
            except Exception:
                log.exception("%r: a value callback failed", self)

    def unsubscribe(self, callback: ValueCallback) -> None:
        """Stop calling ``callback``."""
        with self._lock:
            if callback in self._values:
                self._values.remove(callback)

    def _start_updates(self) -> None:
        # once connected (even if the server is down now): the backend's subscription
        # is restored with the connection; before that, _supervise starts it
        if self._ever_connected.is_set():
            self._backend.start_updates(self._deliver)

    def _deliver(self, value: object) -> None:
        if _same(value, self._last):
            return
        self._last = value
        with self._lock:
            callbacks = list(self._values)
        for callback in callbacks:
            try:
                callback(value)
            except Exception:
                log.exception("%r: a value callback failed", self)

    # connection --------------------------------------------------------------------
    async def _supervise(self) -> None:
        spec = self.spec
        while True:
            try:
                if not self._ever_connected.is_set():
                    await asyncio.wait_for(self._backend.connect(spec.timeout), spec.timeout + 1)
                    self._ever_connected.set()
                    if self._updating:
                        self._backend.start_updates(self._deliver)
                else:
                    await asyncio.wait_for(self._backend.probe(), PROBE_TIMEOUT)
                    if not self._connected:
                        await self._backend.resume()
                        if self._updating:  # a subscription asked for while it was down
                            self._backend.start_updates(self._deliver)
            except asyncio.CancelledError:
                raise
            except asyncio.TimeoutError:
                self._report(False, f"{spec.label}: no answer within {PROBE_TIMEOUT:g} s")
            except ChannelError as exc:
                self._report(False, str(exc))
            except Exception as exc:
                self._report(False, f"{spec.label}: {_reason_text(exc)}")
            else:
                self._report(True, "")
            await asyncio.sleep(WATCH_PERIOD)

    def _report(self, connected: bool, reason: str) -> None:
        with self._lock:
            changed = not self._settled or connected != self._connected
            changed = changed or (not connected and reason != self._reason)
            self._settled = True
            self._connected = connected
            if not connected:
                self._reason = reason
            callbacks = list(self._connections) if changed else []
        if connected:
            self._up.set()
        else:
            self._up.clear()
        if not changed:
            return
        if connected:
            log.info("%s: connected", self.spec.label)
        else:
            log.warning("%s", reason)
        for callback in callbacks:
            try:
                callback(connected, reason)
            except Exception:
                log.exception("%r: a connection callback failed", self)

    def close(self) -> None:
        """Stop watching and delivering (the loop itself goes on)."""
        self._supervisor.cancel()
        with self._lock:
            self._values.clear()
            self._connections.clear()
        self._loop.call_soon(self._backend.stop_updates)

    def close_in_loop(self) -> None:
        """:meth:`close`'s part in the loop, when the loop stops."""
        self._supervisor.cancel()
        self._backend.stop_updates()


def _reason_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class Command:
    """A command on a control system: :meth:`call` returns a Future."""

    def __init__(self, spec: BindingSpec, backend: CommandBackend | None = None) -> None:
        self.spec = spec
        self._backend = backend if backend is not None else _command_backend(spec)
        self._loop = control_loop()

    def __repr__(self) -> str:
        return f"<Command {self.spec.name}: {self.spec.label}>"

    def call(self, *args: object, timeout: float | None = None) -> Future[object]:
        """Execute the command with ``args``; the Future holds its result, or a
        :class:`ChannelError` naming device and command."""
        timeout = self.spec.timeout if timeout is None else timeout
        return self._loop.submit(self._call(args, timeout))

    __call__ = call

    async def _call(self, args: tuple[object, ...], timeout: float) -> object:
        try:
            return await asyncio.wait_for(self._backend.call(args), timeout)
        except asyncio.TimeoutError:
            raise ChannelError(f"{self.spec.label}: no answer within {timeout:g} s") from None
