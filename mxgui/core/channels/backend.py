"""What a control system's backend does for a :class:`~mxgui.core.channels.Channel`.

Backends run only in the control-system loop (:mod:`mxgui.core.channels.loop`); their
coroutines are awaited there, and the values they deliver are handed over in that
loop's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

#: receives each new value of a channel, in the control-system loop's thread
Deliver = Callable[[object], None]


class ChannelError(Exception):
    """A channel or command could not do what was asked; the message names the
    control system, the device (or PV) and the channel, and says why."""


class ChannelBackend(Protocol):
    """One channel on one control system (runs in the control-system loop)."""

    async def connect(self, timeout: float) -> None:
        """Connect once; raise :class:`ChannelError` saying what is missing."""

    async def probe(self) -> None:
        """Return when the server answers; raise when it does not."""

    async def read(self) -> object:
        """The current value, read from the server (not a cached one)."""

    async def write(self, value: object) -> None:
        """Write ``value``; raise :class:`ChannelError` when the server refuses it."""

    def start_updates(self, deliver: Deliver) -> None:
        """Call ``deliver(value)`` for each new value (events, else polling)."""

    def stop_updates(self) -> None:
        """Stop calling the ``deliver`` given to :meth:`start_updates`."""

    async def resume(self) -> None:
        """After the server came back: make the updates flow again."""


class CommandBackend(Protocol):
    """One command on one control system (runs in the control-system loop)."""

    async def call(self, args: tuple[object, ...]) -> object:
        """Execute the command with ``args``; raise :class:`ChannelError` on failure."""
