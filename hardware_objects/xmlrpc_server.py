"""The XML-RPC server workflows call back, as a hardware object (role ``xmlrpc_server``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ClassVar

from hardware_objects.workflow_client import WorkflowClient
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState, HOProperty
from mxgui.core.xmlrpc.context import DEFAULT_DIALOG_TIMEOUT
from mxgui.core.xmlrpc.run_tokens import RunCalls, RunTokens
from mxgui.core.xmlrpc.service import XMLRPCService
from mxgui.core.xmlrpc.token_file import new_token, remove_token, token_path, write_token
from mxgui.core.xmlrpc.transport import (
    BUSY_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_REQUEST_BYTES,
    DEFAULT_MAX_WORKERS,
    IDLE_TIMEOUT,
    XMLRPCTransport,
)

log = logging.getLogger(__name__)

#: set by ``mxgui --xmlrpc-port N``: overrides the port of the XML (0: a free one)
PORT_ENV = "MXGUI_XMLRPC_PORT"
#: the ``token`` values that mean "generate one at start"; ``none`` turns the token off
AUTO_TOKENS = ("", "auto")
NO_TOKEN = "none"


class XMLRPCServer(HardwareObject):
    """Serves the methods of docs/contracts.md (mxcubecore's names and arguments) over HTTP.

    Properties: ``host`` (the address bound), ``port`` (0: a free one; the environment
    variable ``MXGUI_XMLRPC_PORT``, set by ``mxgui --xmlrpc-port``, overrides it),
    ``allowed_hosts`` (comma-separated names or addresses of the clients allowed; the
    names a ``Host`` header may give besides the bound address), ``token`` (``""`` or
    ``auto``: a random one per start, written with mode 0600 to ``xmlrpc-token-PORT`` in
    the user's settings directory and given to the workflows by :attr:`token`; ``none``:
    no token; else the token itself), ``max_request_bytes``, ``max_connections``,
    ``max_workers``, ``idle_timeout``, ``busy_timeout`` (see
    :class:`~mxgui.core.xmlrpc.transport.XMLRPCTransport`), ``dialog_timeout`` (s an
    unanswered dialog stays open when it sets no timeout of its own; 0: until its caller
    disconnects), ``move_timeout`` (s). The roles it serves are referenced in its XML: queue,
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
        "token": HOProperty(str, "auto", "HTTP header Token ('auto'/'': random, 'none': off)"),
        "max_request_bytes": HOProperty(int, DEFAULT_MAX_REQUEST_BYTES, "larger: HTTP 413"),
        "dialog_timeout": HOProperty(
            float, DEFAULT_DIALOG_TIMEOUT, "s open_dialog waits (0: while the caller waits)"
        ),
        "move_timeout": HOProperty(float, 120.0, "s a method waits for a move"),
        "max_connections": HOProperty(int, DEFAULT_MAX_CONNECTIONS, "open connections at most"),
        "max_workers": HOProperty(int, DEFAULT_MAX_WORKERS, "threads serving calls at most"),
        "idle_timeout": HOProperty(float, IDLE_TIMEOUT, "s an idle connection stays open"),
        "busy_timeout": HOProperty(float, BUSY_TIMEOUT, "s a call waits for a worker (then 503)"),
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.service: XMLRPCService | None = None
        self.transport: XMLRPCTransport | None = None
        self.token = ""
        self.url = ""
        #: the file holding the generated token (``None``: configured, off or not written)
        self.token_file: Path | None = None
        #: tokens of single workflow runs (the BES engine's), accepted while granted
        self.run_tokens = RunTokens()

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
        configured = self.get_property("token").strip()
        if configured.lower() in AUTO_TOKENS:
            self.token = new_token()
        elif configured.lower() == NO_TOKEN:
            self.token = ""
        else:
            self.token = configured
        for name in ("max_connections", "max_workers"):
            if self.get_property(name) < 1:
                raise self.config_error(f"{name} must be 1 or more", name)
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
                max_connections=self.get_property("max_connections"),
                max_workers=self.get_property("max_workers"),
                idle_timeout=self.get_property("idle_timeout"),
                busy_timeout=self.get_property("busy_timeout"),
                run_tokens=self.run_tokens,
            )
        except OSError as exc:
            raise self.config_error(f"cannot listen on {host}:{port}: {exc}", "port") from None
        self.transport.start()
        self.url = self.transport.url
        log.info("XML-RPC server listening on %s", self.url)
        self._publish_token(configured)
        workflow = self.get_object_by_role("workflow")
        if isinstance(workflow, WorkflowClient):  # it cannot reference this object back (a loop)
            workflow.attach_xmlrpc_server(self)
        self.set_state(HardwareObjectState.READY)

    def _publish_token(self, configured: str) -> None:
        """Write a generated token where outside workflow engines find it; say where."""
        if not self.token:
            log.warning(
                "XML-RPC token off (token 'none'): any program on an allowed host can drive "
                "the beamline"
            )
            return
        if configured.lower() not in AUTO_TOKENS:
            log.info("XML-RPC token configured in the server's XML (%s)", self.name)
            return
        assert self.transport is not None
        path = token_path(self.transport.port)
        try:
            write_token(path, self.token)
        except OSError as exc:
            log.warning(
                "XML-RPC token not written to %s (%s): only the workflows mxgui starts "
                "can call the server",
                path,
                exc.strerror or exc,
            )
            return
        self.token_file = path
        log.info("XML-RPC token in %s", path)

    def grant_run_token(self, token: str, calls: RunCalls | None = None) -> None:
        """Accept ``token`` (a workflow run's own) besides :attr:`token` until
        :meth:`revoke_run_token`; each call served with it is told to ``calls``.
        ``ValueError`` for a token that is too short or granted already."""
        self.run_tokens.grant(token, calls)

    def accepts_host(self, host: str) -> bool:
        """Whether callers may name this server ``host`` (the bound address or one of
        ``allowed_hosts``); False before :meth:`init`."""
        transport = getattr(self, "transport", None)
        return transport is not None and transport.accepts_host(host)

    def revoke_run_token(self, token: str) -> None:
        """Stop accepting the run token ``token``."""
        self.run_tokens.revoke(token)

    def set_handler(self, name: str, handler: Callable[..., Future[Any]] | None) -> None:
        """Install the GUI's handler for ``open_dialog`` or ``save_snapshot``
        (``None`` removes it); called from the GUI thread, used from server threads."""
        if self.service is not None:
            self.service.set_handler(name, handler)

    def remove_handler(self, name: str, handler: Callable[..., Future[Any]]) -> None:
        """Remove ``handler`` if it is the one installed for ``name``."""
        if self.service is not None:
            self.service.remove_handler(name, handler)

    def method_names(self) -> list[str]:
        """The XML-RPC methods served."""
        return self.service.method_names() if self.service is not None else []

    def call(self, name: str, *params: object) -> Any:
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
        if self.token_file is not None:
            remove_token(self.token_file, self.token)
            self.token_file = None
        self.set_state(HardwareObjectState.OFF)
