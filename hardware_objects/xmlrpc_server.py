"""The XML-RPC server workflows call back, as a hardware object (role ``xmlrpc_server``)."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, ClassVar

from mxgui.core.hardware_object import HardwareObject, HardwareObjectState, HOProperty
from mxgui.core.xmlrpc.context import DEFAULT_DIALOG_TIMEOUT
from mxgui.core.xmlrpc.service import XMLRPCService
from mxgui.core.xmlrpc.transport import DEFAULT_MAX_REQUEST_BYTES, XMLRPCTransport

log = logging.getLogger(__name__)

#: set by ``mxgui --xmlrpc-port N``: overrides the port of the XML (0: a free one)
PORT_ENV = "MXGUI_XMLRPC_PORT"


class XMLRPCServer(HardwareObject):
    """Serves the methods of DESIGN.md (mxcubecore's names and arguments) over HTTP.

    Properties: ``host`` (the address bound), ``port`` (0: a free one; the environment
    variable ``MXGUI_XMLRPC_PORT``, set by ``mxgui --xmlrpc-port``, overrides it),
    ``allowed_hosts`` (comma-separated names or addresses of the clients allowed),
    ``token`` (``""``: none; ``auto``: a random one, given to the workflows by
    :attr:`token`), ``max_request_bytes``, ``dialog_timeout`` (s an unanswered dialog stays open
    when it sets no timeout of its own; 0: until its caller disconnects),
    ``move_timeout`` (s). The roles it serves are referenced in its XML: queue,
    diffractometer, beam, flux, shapes, session, collect, resolution, sample_camera,
    workflow.

    :attr:`url` (``http://127.0.0.1:PORT``) and :attr:`token` are what a workflow
    needs. The GUI installs its handlers with :meth:`set_handler`:
    ``open_dialog(spec) -> Future`` and ``save_snapshot(path, show_scale) -> Future``.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "host": HOProperty(str, "127.0.0.1", "address to listen on"),
        "port": HOProperty(int, 0, "TCP port (0: a free one)"),
        "allowed_hosts": HOProperty(str, "127.0.0.1,::1,localhost", "clients allowed"),
        "token": HOProperty(str, "", "required HTTP header Token ('' none, 'auto' random)"),
        "max_request_bytes": HOProperty(int, DEFAULT_MAX_REQUEST_BYTES, "larger: HTTP 413"),
        "dialog_timeout": HOProperty(
            float, DEFAULT_DIALOG_TIMEOUT, "s open_dialog waits (0: while the caller waits)"
        ),
        "move_timeout": HOProperty(float, 120.0, "s a method waits for a move"),
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.service: XMLRPCService | None = None
        self.transport: XMLRPCTransport | None = None
        self.token = ""
        self.url = ""

    def init(self) -> None:
        port = self.get_property("port")
        override = os.environ.get(PORT_ENV, "").strip()
        if override:
            try:
                port = int(override)
            except ValueError:
                raise self.config_error(f"{PORT_ENV}={override!r} is not a port number") from None
        if not 0 <= port <= 65535:
            raise self.config_error(f"port {port} is outside 0..65535", "port")
        token = self.get_property("token")
        self.token = secrets.token_hex(16) if token == "auto" else token
        self.service = XMLRPCService(
            self.get_object_by_role,
            move_timeout=self.get_property("move_timeout"),
            dialog_timeout=self.get_property("dialog_timeout"),
        )
        host = self.get_property("host")
        try:
            self.transport = XMLRPCTransport(
                self.service,
                host,
                port,
                self.get_property("allowed_hosts").split(","),
                self.token,
                self.get_property("max_request_bytes"),
            )
        except OSError as exc:
            raise self.config_error(f"cannot listen on {host}:{port}: {exc}", "port") from None
        self.transport.start()
        self.url = self.transport.url
        log.info("XML-RPC server listening on %s", self.url)
        workflow = self.get_object_by_role("workflow")
        attach = getattr(workflow, "attach_xmlrpc_server", None)
        if attach is not None:  # it cannot reference this object back (a loop)
            attach(self)
        self.set_state(HardwareObjectState.READY)

    def set_handler(self, name: str, handler: Callable[..., Future] | None) -> None:
        """Install the GUI's handler for ``open_dialog`` or ``save_snapshot``
        (``None`` removes it); called from the GUI thread, used from server threads."""
        if self.service is not None:
            self.service.set_handler(name, handler)

    def remove_handler(self, name: str, handler: Callable[..., Future]) -> None:
        """Remove ``handler`` if it is the one installed for ``name``."""
        if self.service is not None:
            self.service.remove_handler(name, handler)

    def method_names(self) -> list[str]:
        """The XML-RPC methods served."""
        return self.service.method_names() if self.service is not None else []

    def call(self, name: str, *params: Any) -> Any:
        """Call a method directly (tests, scripts in the process)."""
        if self.service is None:
            raise RuntimeError(f"{self.name}: the server is not running")
        return self.service.call(name, *params)

    def shutdown(self) -> None:
        """End the waits in progress, stop serving, close every connection."""
        if self.service is not None:
            self.service.stop()
        if self.transport is not None:
            self.transport.stop()
            self.transport = None
            log.info("XML-RPC server on %s stopped", self.url)
        self.set_state(HardwareObjectState.OFF)
