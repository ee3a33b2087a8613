"""Channels and commands on Tango and EPICS, Qt-free, in one control-system loop.

See ``docs/architecture.md`` (threads) and :mod:`mxgui.core.channels.channel`. The
control-system libraries (ophyd-async, pytango, aioca) are imported only when the first
channel of their kind is made.
"""

from mxgui.core.channels.backend import ChannelError
from mxgui.core.channels.bindings import ObjectBindings
from mxgui.core.channels.channel import Channel, Command
from mxgui.core.channels.config import BindingSpec, DefaultBinding, binding_spec
from mxgui.core.channels.loop import control_loop, stop_control_loop
from mxgui.core.channels.watch import ConnectionWatch

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
