"""The channels and commands of one hardware object, made when first asked for."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from mxgui.core.channels.config import BindingSpec, DefaultBinding, binding_spec
from mxgui.core.xml_config import ConfigNode

if TYPE_CHECKING:
    from mxgui.core.channels.channel import Channel, Command


class ObjectBindings:
    """The ``<channel>`` and ``<command>`` elements of one file, by name.

    A channel or command is created (and starts connecting) the first time it is
    asked for; later calls give the same one.
    """

    def __init__(self, node: ConfigNode | None, properties: Mapping[str, object]) -> None:
        self._node = node
        self._properties = properties
        self._lock = threading.Lock()
        self._channels: dict[str, Channel] = {}
        self._commands: dict[str, Command] = {}

    def names(self, kind: str) -> list[str]:
        """The names of the ``kind`` (``channel`` or ``command``) elements."""
        bindings = self._node.bindings if self._node is not None else []
        return [b.name for b in bindings if b.kind == kind]

    def channel(self, name: str, default: DefaultBinding | None = None) -> Channel:
        """The channel ``name``: the file's element of that name, else ``default``
        (``ConfigError`` with file:line when there is neither)."""
        with self._lock:
            if name not in self._channels:
                from mxgui.core.channels.channel import Channel  # asyncio: on first use

                self._channels[name] = Channel(self._spec("channel", name, default))
            return self._channels[name]

    def command(self, name: str, default: DefaultBinding | None = None) -> Command:
        """The command ``name`` (see :meth:`channel`)."""
        with self._lock:
            if name not in self._commands:
                from mxgui.core.channels.channel import Command

                self._commands[name] = Command(self._spec("command", name, default))
            return self._commands[name]

    def channels(self) -> list[Channel]:
        """The channels made so far."""
        with self._lock:
            return list(self._channels.values())

    def _spec(self, kind: str, name: str, default: DefaultBinding | None) -> BindingSpec:
        node = self._node
        if node is None:
            raise ValueError(f"no configuration: no {kind} {name!r}")
        for binding in node.bindings:
            if binding.kind == kind and binding.name == name:
                return binding_spec(node, binding, self._properties)
        if default is not None:
            return binding_spec(node, default.binding(kind, name, node), self._properties)
        known = ", ".join(self.names(kind)) or "none"
        raise node.error(f'no <{kind} name="{name}"> in this file (it has: {known})')

    def close(self) -> None:
        """Stop the channels' supervision and deliveries."""
        with self._lock:
            channels = list(self._channels.values())
            self._channels.clear()
            self._commands.clear()
        for channel in channels:
            channel.close()
