"""Channels and commands on Tango and EPICS, Qt-free, in one control-system loop.

See ``docs/architecture.md`` (threads) and :mod:`mxgui.core.channels.channel`. The
control-system libraries (ophyd-async, pytango, aioca) are imported only when the first
channel of their kind is made, and asyncio with the loop (``Channel``, ``Command``,
``control_loop``, ``stop_control_loop`` are loaded on first use): a beamline without
channels, the simulated one, pays neither at start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mxgui.core.channels.backend import ChannelError
from mxgui.core.channels.bindings import ObjectBindings
from mxgui.core.channels.config import BindingSpec, DefaultBinding, binding_spec
from mxgui.core.channels.watch import ConnectionWatch

if TYPE_CHECKING:
    from mxgui.core.channels.channel import Channel, Command
    from mxgui.core.channels.loop import control_loop, stop_control_loop

_LAZY = {
    "Channel": "mxgui.core.channels.channel",
    "Command": "mxgui.core.channels.channel",
    "control_loop": "mxgui.core.channels.loop",
    "stop_control_loop": "mxgui.core.channels.loop",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "BindingSpec",
    "Channel",
    "ChannelError",
    "Command",
    "ConnectionWatch",
    "DefaultBinding",
    "ObjectBindings",
    "binding_spec",
    "control_loop",
    "stop_control_loop",
]
