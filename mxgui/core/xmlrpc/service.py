"""Every XML-RPC method on one dispatcher, over the beamline's objects by role."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.dispatch import Dispatcher
from mxgui.core.xmlrpc.methods import GROUPS


class XMLRPCService:
    """The methods of docs/contracts.md (mxcubecore's names) and the extra shape methods.

    Parameters
    ----------
    roles
        ``roles(name)``: the object under role ``name`` (queue, diffractometer, beam,
        flux, shapes, session, collect, workflow, sample_camera, resolution) or ``None``.
    timeouts
        ``move_timeout``, ``dialog_timeout``, ``snapshot_timeout``: see
        :class:`ServiceContext` (its defaults apply).

    ``handle(body)`` answers one request (for the transport); :meth:`set_handler`
    installs the GUI's ``open_dialog`` and ``save_snapshot`` handlers; :meth:`stop`
    ends every wait in progress.
    """

    def __init__(self, roles: Callable[[str], object | None], **timeouts: float) -> None:
        self.context = ServiceContext(roles, **timeouts)
        self.dispatcher = Dispatcher()
        for group in GROUPS:
            self.dispatcher.register_object(group(self.context), group.NAMES)

    def handle(self, body: bytes | bytearray) -> bytes:
        """The XML-RPC response to the request ``body``."""
        return self.dispatcher.handle(body)

    def call(self, name: str, *params: object) -> Any:
        """Call method ``name`` in this thread (faults raised as ``xmlrpc.client.Fault``)."""
        return self.dispatcher.call(name, params)

    def method_names(self) -> list[str]:
        """The methods served (without ``system.*``)."""
        return [n for n in self.dispatcher.list_methods() if not n.startswith("system.")]

    def set_handler(self, name: str, handler: Callable[..., Future[Any]] | None) -> None:
        """Install the GUI's handler for ``open_dialog`` or ``save_snapshot``."""
        if name not in ("open_dialog", "save_snapshot"):
            raise ValueError(f"no handler {name!r}: open_dialog or save_snapshot")
        self.context.set_handler(name, handler)

    def remove_handler(self, name: str, handler: Callable[..., Future[Any]]) -> None:
        """Remove ``handler`` if it is the one installed for ``name``."""
        self.context.remove_handler(name, handler)

    def stop(self) -> None:
        """End the waits in progress (they fault: the server is shutting down)."""
        self.context.stop()
