"""The XML-RPC transport: a threaded HTTP/1.1 server with host, token and size checks.

Qt-free and free of hardware: it serves whatever :class:`~mxgui.core.xmlrpc.dispatch.
Dispatcher` it is given. One daemon thread accepts connections, one daemon thread per
connection answers its requests; connections are kept alive (HTTP/1.1), so a client
that reuses its connection pays no TCP set-up per call.

Checks, before the body is read:

- a client whose address is not in ``allowed_hosts`` gets HTTP 403;
- with a token set, a request without the header ``Token: <token>`` gets HTTP 401
  (missing) or 403 (wrong);
- a ``Content-Length`` above ``max_request_bytes`` (or none at all) gets HTTP 413
  (411), and the connection is closed without reading the body.

:meth:`XMLRPCTransport.stop` ends the serving thread and every connection thread
(open keep-alive connections are shut down), so nothing is left running.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import socketserver
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler
from typing import Any

from mxgui.core.xmlrpc import caller

log = logging.getLogger(__name__)

#: the HTTP header that carries the token
TOKEN_HEADER = "Token"
#: seconds an idle keep-alive connection is kept open
IDLE_TIMEOUT = 120.0
DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024


def resolve_allowed(hosts: Iterable[str]) -> frozenset[str]:
    """The addresses of ``hosts`` (names are resolved; unknown names are logged)."""
    found: set[str] = set()
    for host in hosts:
        host = host.strip()
        if not host:
            continue
        try:
            found.add(str(ipaddress.ip_address(host)))
            continue
        except ValueError:
            pass
        try:
            for info in socket.getaddrinfo(host, None):
                found.add(str(ipaddress.ip_address(info[4][0].split("%")[0])))
        except OSError as exc:
            log.warning("XML-RPC allowed host %r cannot be resolved: %s", host, exc)
    return frozenset(found)


def _client_address(address: str) -> str:
    """``address`` in the form :func:`resolve_allowed` gives (IPv4-mapped IPv6 unmapped)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


class _Handler(BaseHTTPRequestHandler):
    """Answers ``POST /`` (or ``/RPC2``) with the dispatcher's response."""

    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = IDLE_TIMEOUT
    rpc_paths = ("/", "/RPC2")

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def handle(self) -> None:
        if not self.server.closing:  # accepted just as the server stopped: drop it
            super().handle()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        log.debug("XML-RPC %s: " + format, self.client_address[0], *args)

    def _refuse(self, code: int, message: str) -> None:
        """Answer ``code`` with ``message`` and close the connection (body unread)."""
        log.warning("XML-RPC request from %s refused: %s", self.client_address[0], message)
        body = (message + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - http.server name
        self._refuse(405, "this is an XML-RPC server: POST an XML-RPC request")

    def do_POST(self) -> None:  # noqa: N802 - http.server name
        server = self.server
        client = _client_address(self.client_address[0])
        if client not in server.allowed:
            self._refuse(403, f"host {client} is not allowed (allowed_hosts)")
            return
        if server.token:
            given = self.headers.get(TOKEN_HEADER)
            if given is None:
                self._refuse(401, f"missing {TOKEN_HEADER} header")
                return
            if not hmac.compare_digest(given.encode(), server.token.encode()):
                self._refuse(403, f"wrong {TOKEN_HEADER}")
                return
        if self.path not in self.rpc_paths:
            self._refuse(404, f"no XML-RPC service at {self.path} (use /)")
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            self._refuse(411, "Content-Length is required")
            return
        try:
            length = int(length_text)
        except ValueError:
            self._refuse(400, f"Content-Length {length_text!r} is not a number")
            return
        if length > server.max_request_bytes or length < 0:
            self._refuse(
                413,
                f"request of {length} bytes is over the limit of "
                f"{server.max_request_bytes} bytes (max_request_bytes)",
            )
            return
        body = self.rfile.read(length)
        with caller.serving(self.connection):  # a long wait can see its caller hang up
            response = server.dispatcher.handle(body)
        if caller.caller_gone(self.connection):  # it hung up meanwhile: no one to answer
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(response)))
        self.end_headers()
        self.wfile.write(response)


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    """A TCP server with a thread per connection that knows its open connections."""

    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], family: int) -> None:
        self.address_family = family
        #: open connections and the thread serving each
        self.connections: dict[socket.socket, threading.Thread] = {}
        self.connections_lock = threading.Lock()
        self.allowed: frozenset[str] = frozenset()
        self.token = ""
        self.max_request_bytes = DEFAULT_MAX_REQUEST_BYTES
        self.dispatcher: Any = None
        self.closing = False
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

    def track(self, connection: socket.socket, opened: bool) -> None:
        with self.connections_lock:
            if opened:
                self.connections[connection] = threading.current_thread()
            else:
                self.connections.pop(connection, None)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().process_request_thread(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.warning("XML-RPC connection from %s failed", client_address, exc_info=True)


class XMLRPCTransport:
    """Serves ``dispatcher`` over HTTP on ``host:port`` (port 0: a free one).

    Parameters
    ----------
    dispatcher
        Has ``handle(body: bytes) -> bytes`` (the XML-RPC response); called in the
        connection's thread.
    host, port
        Where to listen. ``OSError`` from the constructor when it cannot bind.
    allowed_hosts
        Names or addresses of the clients allowed.
    token
        ``""`` for none; else every request needs the header ``Token: <token>``.
    max_request_bytes
        Larger requests are refused with HTTP 413 before their body is read.
    """

    def __init__(
        self,
        dispatcher: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_hosts: Iterable[str] = ("127.0.0.1", "::1", "localhost"),
        token: str = "",
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._server = _Server((host, port), family)
        self._server.dispatcher = dispatcher
        self._server.allowed = resolve_allowed(allowed_hosts)
        self._server.token = token
        self._server.max_request_bytes = max_request_bytes
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port`` (an IPv6 host in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Start serving in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name=f"XML-RPC server :{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop accepting, shut every open connection down, wait (at most ``timeout`` s
        in all) for their threads."""
        self._server.closing = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout)
            self._thread = None
        with self._server.connections_lock:
            connections = dict(self._server.connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client
        self._server.server_close()
        deadline = time.monotonic() + timeout  # one wait for them all, not one each
        for thread in connections.values():
            if thread is not threading.current_thread():
                thread.join(max(deadline - time.monotonic(), 0.0))
                if thread.is_alive():
                    log.warning("XML-RPC %s still busy after the server stopped", thread.name)
