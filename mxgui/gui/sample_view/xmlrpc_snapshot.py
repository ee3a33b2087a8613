"""The sample view takes the XML-RPC server's snapshots: the image with its overlays.

A workflow calls ``save_snapshot(path, show_scale)``; the server (in its own thread)
calls the handler registered here, which returns a Future at once and renders the
view on the GUI thread: the camera frame with the beam and shapes, and the scale bar
only when ``show_scale``. Without a sample view the server writes the bare camera frame.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from pathlib import Path
from typing import Protocol

from PyQt5.QtWidgets import QGraphicsItem

from mxgui.core.roles import XMLRPCServerRole
from mxgui.gui.brick import BrickContext

log = logging.getLogger(__name__)


class SnapshotView(Protocol):
    """What :class:`XmlrpcSnapshots` uses of the sample view brick."""

    @property
    def context(self) -> BrickContext: ...

    @property
    def scale_bar(self) -> QGraphicsItem: ...

    def save_snapshot(self, path: str | Path) -> Path: ...


class XmlrpcSnapshots:
    """Registers the sample view ``brick`` as the server's ``save_snapshot`` handler."""

    def __init__(self, brick: SnapshotView) -> None:
        self.brick = brick
        self.server: XMLRPCServerRole | None = None

    def attach(self, server: object) -> None:
        """Take ``server``'s snapshots (an XML-RPC server; anything else or ``None``: none)."""
        self.close()
        if isinstance(server, XMLRPCServerRole):
            self.server = server
            server.set_handler("save_snapshot", self.request)

    def close(self) -> None:
        """Stop taking the server's snapshots."""
        if self.server is not None:
            self.server.remove_handler("save_snapshot", self.request)
            self.server = None

    def request(self, path: str, show_scale: bool) -> Future:
        """Called from a server thread: a Future of the path, ended on the GUI thread."""
        future: Future = Future()
        self.brick.context.bridge.post(self._take, future, path, bool(show_scale))
        return future

    def _take(self, future: Future, path: str, show_scale: bool) -> None:
        if not future.set_running_or_notify_cancel():
            return  # the server gave up waiting
        scale_bar = self.brick.scale_bar
        hide = not show_scale and scale_bar.isVisible()
        if hide:
            scale_bar.hide()
        try:
            saved = self.brick.save_snapshot(path)
        except OSError as exc:
            future.set_exception(exc)
        else:
            future.set_result(str(saved))
        finally:
            if hide:
                scale_bar.show()
