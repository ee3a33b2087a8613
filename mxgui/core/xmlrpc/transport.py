"""The XML-RPC transport: HTTP/1.1 with bounded connections, threads and memory.

Qt-free and free of hardware: it serves whatever :class:`~mxgui.core.xmlrpc.dispatch.
Dispatcher` it is given. One thread (the loop) accepts connections and reads and writes
all of them without blocking; a bounded :class:`~mxgui.core.xmlrpc.worker_pool.
WorkerPool` runs the dispatcher on complete requests. An idle or slow connection costs a
file descriptor, never a thread.

Bounds, so that no caller can starve the process (a collection writing its images, the
queue saving its file):

- at most ``max_connections`` open connections, and never more than half the file
  descriptors the process has left (``RLIMIT_NOFILE``): the rest stay for data files.
  A new connection over the bound closes the oldest idle one (stdlib clients reconnect
  by themselves); the listening backlog is at least 128;
- a connection idle for ``idle_timeout`` s is closed, and a request whose head or body
  stalls for ``request_timeout`` s is dropped;
- request bodies held in memory (being read or being served) add up to at most
  ``max_request_bytes``: a large body waits, unread, for its turn;
- ``max_workers`` threads serve requests; a request that found none free for
  ``busy_timeout`` s gets HTTP 503.

Checks: a client address not allowed is answered 403 when accepted; the head is checked
by :class:`~mxgui.core.xmlrpc.http_request.RequestPolicy` (Host, Origin, token, content
type, size) before any body is read. A refused request gets its status with
``Connection: close``, and the server goes on reading and discarding what the client
still sends (a lingering close, as web servers do) so the client sees the answer - a
stdlib client sending 80 MB sees HTTP 413, not a broken pipe.

:meth:`XMLRPCTransport.stop` closes the listening socket and every connection, and ends
the loop and worker threads.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable

from mxgui.core.xmlrpc.dispatch import RequestHandler
from mxgui.core.xmlrpc.http_loop import ConnectionLoop
from mxgui.core.xmlrpc.http_request import TOKEN_HEADER, RequestPolicy
from mxgui.core.xmlrpc.run_tokens import RunTokens

__all__ = ["TOKEN_HEADER", "XMLRPCTransport", "resolve_allowed"]

log = logging.getLogger(__name__)

DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_CONNECTIONS = 256
DEFAULT_MAX_WORKERS = 16
#: seconds an idle connection is kept open
IDLE_TIMEOUT = 10.0
#: seconds a request's head or body may stall before the connection is dropped
REQUEST_TIMEOUT = 10.0
#: seconds a complete request may wait for a free worker before HTTP 503
BUSY_TIMEOUT = 5.0
#: seconds an idle worker thread lives
WORKER_IDLE = 5.0
LISTEN_BACKLOG = 512


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
                found.add(str(ipaddress.ip_address(str(info[4][0]).split("%")[0])))
        except OSError as exc:
            log.warning("XML-RPC allowed host %r cannot be resolved: %s", host, exc)
    return frozenset(found)


def connection_limit(wanted: int) -> int:
    """``wanted``, or fewer: at most half the file descriptors this process has left."""
    try:
        import resource  # POSIX only
    except ImportError:
        return wanted
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:
        in_use = 64
    return max(8, min(wanted, (soft - in_use) // 2))


class XMLRPCTransport:
    """Serves ``dispatcher`` over HTTP on ``host:port`` (port 0: a free one).

    Parameters
    ----------
    dispatcher
        Has ``handle(body: bytes) -> bytes`` (the XML-RPC response); called in a worker
        thread, inside ``caller.serving(<the request's socket>)``.
    host, port
        Where to listen. ``OSError`` from the constructor when it cannot bind.
    allowed_hosts
        Names or addresses of the clients allowed; also the names a ``Host`` header may
        give besides the bound address.
    token
        ``""`` for none; else every request needs the header ``Token: <token>``.
    max_request_bytes
        Larger requests are refused with HTTP 413 before their body is read; also the
        bound on request bodies held in memory at once.
    max_connections, max_workers, idle_timeout, request_timeout, busy_timeout
        The bounds of the module's docstring.
    run_tokens
        Tokens granted for one workflow run each, accepted besides ``token`` while
        granted (see :mod:`~mxgui.core.xmlrpc.run_tokens`).
    """

    def __init__(
        self,
        dispatcher: RequestHandler,
        host: str = "127.0.0.1",
        port: int = 0,
        allowed_hosts: Iterable[str] = ("127.0.0.1", "::1", "localhost"),
        token: str = "",
        max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        max_workers: int = DEFAULT_MAX_WORKERS,
        idle_timeout: float = IDLE_TIMEOUT,
        request_timeout: float = REQUEST_TIMEOUT,
        busy_timeout: float = BUSY_TIMEOUT,
        worker_idle: float = WORKER_IDLE,
        run_tokens: RunTokens | None = None,
    ) -> None:
        allowed_hosts = [h.strip() for h in allowed_hosts if h.strip()]
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((host, port))
            listener.listen(max(128, LISTEN_BACKLOG))
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self._address = listener.getsockname()
        allowed = resolve_allowed(allowed_hosts)
        names = {host, *allowed_hosts, *allowed}
        if host in ("0.0.0.0", "::", ""):  # every address of this machine: its names too
            own = {socket.gethostname(), socket.getfqdn()}
            names |= own | resolve_allowed(own)
        limit = connection_limit(max_connections)
        if limit < max_connections:
            log.info(
                "XML-RPC connections limited to %d (file descriptors left for the data files)",
                limit,
            )
        self._server = ConnectionLoop(
            dispatcher,
            listener,
            allowed,
            RequestPolicy(names, token, max_request_bytes, run_tokens),
            {
                "max_connections": limit,
                "max_workers": max_workers,
                "idle_timeout": idle_timeout,
                "request_timeout": request_timeout,
                "busy_timeout": busy_timeout,
                "max_body_bytes": max_request_bytes,
                "worker_idle": worker_idle,
            },
        )
        self._policy = self._server.policy
        self._thread: threading.Thread | None = None

    def accepts_host(self, host: str) -> bool:
        """Whether callers may name this server ``host`` (its ``Host`` check)."""
        return self._policy.accepts_host(host)

    @property
    def host(self) -> str:
        return str(self._address[0])

    @property
    def port(self) -> int:
        return int(self._address[1])

    @property
    def url(self) -> str:
        """``http://host:port`` (an IPv6 host in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def max_connections(self) -> int:
        """The bound on open connections (after the file-descriptor reserve)."""
        return self._server.max_connections

    def start(self) -> None:
        """Start serving in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.run, name=f"XML-RPC server :{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop accepting, close every connection, wait (at most ``timeout`` s in all)
        for the loop and the worker threads."""
        if self._thread is None:  # never started (or stopped): free the sockets
            self._server.close_unstarted()
            return
        deadline = time.monotonic() + timeout
        self._server.stopping = True
        self._server.wake()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("XML-RPC server loop still running after stop")
        self._thread = None
        self._server.stop(max(deadline - time.monotonic(), 0.0))
