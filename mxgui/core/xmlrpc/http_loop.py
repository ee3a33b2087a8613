"""The loop of the XML-RPC transport: one thread that accepts, reads and writes every
connection without blocking, and hands complete requests to a bounded worker pool.

Used by :class:`~mxgui.core.xmlrpc.transport.XMLRPCTransport`, which documents the bounds
and the checks; this module holds the state of each connection and the moves between
states (waiting for a request, reading its body, paused for memory, queued, served,
writing the answer, refused and draining).
"""

from __future__ import annotations

import enum
import errno
import ipaddress
import logging
import selectors
import socket
import threading
import time
from collections import deque
from http import HTTPStatus

from mxgui.core.xmlrpc import caller
from mxgui.core.xmlrpc.dispatch import RequestHandler
from mxgui.core.xmlrpc.http_request import (
    MAX_HEAD_BYTES,
    BadRequest,
    RequestHead,
    RequestPolicy,
    parse_head,
)
from mxgui.core.xmlrpc.worker_pool import WorkerPool

log = logging.getLogger("mxgui.core.xmlrpc.transport")  # one logger for the transport

#: a refused connection is drained for at most this long, and until this long passes silent
LINGER_TIME = 30.0
LINGER_IDLE = 5.0
#: connections refused for their address kept lingering at once (more are closed at once)
MAX_REFUSED = 64
#: seconds accepting pauses when the process is out of file descriptors
ACCEPT_PAUSE = 0.5
READ_CHUNK = 256 * 1024
_NEWLINE = b"\r\n\r\n"


def client_address(address: str) -> str:
    """``address`` in the form :func:`resolve_allowed` gives (IPv4-mapped IPv6 unmapped)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ip)


def http_response(status: int, body: bytes, content_type: str, keep_alive: bool) -> bytes:
    """An HTTP/1.1 response with ``body``."""
    reason = HTTPStatus(status).phrase
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
    )
    if not keep_alive:
        head += "Connection: close\r\n"
    if status == 503:
        head += "Retry-After: 1\r\n"
    if status == 405:
        head += "Allow: POST\r\n"
    return head.encode("latin-1") + b"\r\n" + body


class _RefusalLog:
    """Logs refusals, each kind at most once per ``period`` s with a count of the rest
    (a flood of refused requests must not flood the log)."""

    def __init__(self, period: float = 10.0) -> None:
        self.period = period
        self.last: dict[int, float] = {}
        self.suppressed: dict[int, int] = {}

    def warn(self, client: str, status: int, message: str) -> None:
        now = time.monotonic()
        if now - self.last.get(status, -self.period) < self.period:
            self.suppressed[status] = self.suppressed.get(status, 0) + 1
            return
        self.last[status] = now
        more = self.suppressed.pop(status, 0)
        also = f" ({more} more refused with {status} since the last report)" if more else ""
        log.warning("XML-RPC request from %s refused (%d): %s%s", client, status, message, also)


class _State(enum.Enum):
    WAITING = "waiting for a request"
    BODY = "reading a body"
    PAUSED = "waiting for memory to read its body"
    QUEUED = "waiting for a worker"
    RUNNING = "being served"
    WRITING = "writing the response"
    LINGER = "refused: draining"


class _Connection:
    """One client connection: its state, buffers and deadline (loop thread only)."""

    __slots__ = (
        "sock",
        "client",
        "state",
        "since",
        "progress",
        "inbuf",
        "head",
        "keep_alive",
        "body",
        "got",
        "held",
        "out",
        "sent",
        "used",
        "events",
        "drained",
    )

    def __init__(self, sock: socket.socket, client: str, now: float) -> None:
        self.sock = sock
        self.client = client
        self.state = _State.WAITING
        self.since = now  # when the state began
        self.progress = now  # when bytes last moved
        self.inbuf = bytearray()
        self.head: RequestHead | None = None
        self.keep_alive = True
        self.body: bytearray | None = None
        self.got = 0
        self.held = 0  # bytes of the body budget this connection holds
        self.out = b""
        self.sent = 0
        self.used = False  # has sent a request
        self.events = 0  # selector events registered (0: not registered)
        self.drained = 0


class ConnectionLoop:
    """The loop: accepting, reading, writing, timeouts; hands requests to the pool."""

    def __init__(
        self,
        dispatcher: RequestHandler,
        listener: socket.socket,
        allowed: frozenset[str],
        policy: RequestPolicy,
        limits: dict[str, float],
    ) -> None:
        self.dispatcher = dispatcher
        self.listener = listener
        self.allowed = allowed
        self.policy = policy
        self.max_connections = int(limits["max_connections"])
        self.idle_timeout = limits["idle_timeout"]
        self.request_timeout = limits["request_timeout"]
        self.busy_timeout = limits["busy_timeout"]
        self.body_budget = int(limits["max_body_bytes"])
        self.pool: WorkerPool[_Connection] = WorkerPool(
            int(limits["max_workers"]), limits["worker_idle"], "XML-RPC worker"
        )
        self.selector = selectors.DefaultSelector()
        self.connections: dict[int, _Connection] = {}
        self.refused = 0
        self.paused: deque[_Connection] = deque()
        #: served requests: the connection, its response and the bytes already sent
        self.done: deque[tuple[_Connection, bytes, int]] = deque()
        self.done_lock = threading.Lock()
        # socket objects, not raw descriptors: a late wake() after stop writes nowhere
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.wake_w.setblocking(False)
        self.woken = False
        self.refusals = _RefusalLog()
        self.stopping = False
        self.listening = False
        self.accept_again = 0.0
        self.last_sweep = 0.0
        self.last_fd_warning = 0.0

    # the loop ------------------------------------------------------------------------------
    def run(self) -> None:
        self.selector.register(self.wake_r, selectors.EVENT_READ, None)
        self._listen(True)
        try:
            while not self.stopping:
                for key, mask in self.selector.select(self._select_timeout()):
                    if key.fileobj is self.listener:
                        self._accept()
                    elif key.data is None:
                        self._read_wake()
                    else:
                        self._ready(key.data, mask)
                self._finish_done()
                now = time.monotonic()
                if now - self.last_sweep >= 0.2:
                    self.last_sweep = now
                    self._sweep(now)
        except Exception:  # noqa: BLE001 - log what stopped the server, then close all
            log.exception("XML-RPC server loop failed: the server stops")
        finally:
            self._close_all()

    def _select_timeout(self) -> float:
        if not self.listening and self.accept_again:
            return max(0.0, min(0.2, self.accept_again - time.monotonic()))
        return 0.2

    def wake(self) -> None:
        """Make the loop look at finished requests (any thread)."""
        if not self.woken:
            self.woken = True
            try:
                self.wake_w.send(b"x")
            except OSError:
                pass  # full (already woken) or closed (the loop has ended)

    def _read_wake(self) -> None:
        try:
            while self.wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass
        # only after draining: a wake() from now on sends a byte again; one that came
        # before is served by the _finish_done that follows every select
        self.woken = False

    def _register(self, conn: _Connection, events: int) -> None:
        if events == conn.events:
            return
        if conn.events and events:
            self.selector.modify(conn.sock, events, conn)
        elif events:
            self.selector.register(conn.sock, events, conn)
        else:
            self.selector.unregister(conn.sock)
        conn.events = events

    def _listen(self, on: bool) -> None:
        if on and not self.listening:
            self.selector.register(self.listener, selectors.EVENT_READ, "listener")
        elif not on and self.listening:
            self.selector.unregister(self.listener)
        self.listening = on

    # accepting -----------------------------------------------------------------------------
    def _accept(self) -> None:
        for _ in range(64):
            if len(self.connections) >= self.max_connections and not self._evict_one():
                self._listen(False)  # full of busy connections: the backlog waits
                return
            try:
                sock, address = self.listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self._pause_accepting(exc)
                    return
                continue  # ECONNABORTED and the like: that client is gone
            now = time.monotonic()
            sock.setblocking(False)
            client = client_address(address[0])
            conn = _Connection(sock, client, now)
            if client not in self.allowed:
                if self.refused >= MAX_REFUSED:
                    sock.close()
                    continue
                self.refused += 1
                self.connections[sock.fileno()] = conn
                self._refuse(conn, 403, f"host {client} is not allowed (allowed_hosts)")
                continue
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass  # not TCP (tests) or already reset
            self.connections[sock.fileno()] = conn
            self._register(conn, selectors.EVENT_READ)

    def _pause_accepting(self, exc: OSError) -> None:
        now = time.monotonic()
        if now - self.last_fd_warning > 10.0:
            self.last_fd_warning = now
            log.warning(
                "XML-RPC server cannot accept a connection (%s): accepting paused %.1f s, "
                "%d connections open",
                exc.strerror,
                ACCEPT_PAUSE,
                len(self.connections),
            )
        self._listen(False)
        self.accept_again = now + ACCEPT_PAUSE

    def _evict_one(self) -> bool:
        """Close the connection that matters least: a refused one, then an idle one that
        never sent a request, then an idle kept-alive one, then one part-way through its
        head, oldest first. False when every connection is busy."""
        best: _Connection | None = None
        best_rank = 4
        for conn in self.connections.values():
            if conn.state is _State.LINGER:
                rank = 0
            elif conn.state is _State.WAITING:
                rank = 3 if conn.inbuf else (2 if conn.used else 1)
            else:
                continue
            if rank < best_rank or (rank == best_rank and best and conn.since < best.since):
                best, best_rank = conn, rank
                if rank == 0:
                    break
        if best is None:
            return False
        log.debug("XML-RPC connection from %s closed to make room", best.client)
        self._close(best)
        return True

    # reading -------------------------------------------------------------------------------
    def _ready(self, conn: _Connection, mask: int) -> None:
        try:
            if mask & selectors.EVENT_WRITE:
                self._write(conn)
            if mask & selectors.EVENT_READ and conn.sock.fileno() >= 0:
                if conn.state is _State.WAITING:
                    self._read_head(conn)
                elif conn.state is _State.BODY:
                    self._read_body(conn)
                elif conn.state is _State.LINGER:
                    self._drain(conn)
        except OSError as exc:  # reset by the client and the like
            log.debug("XML-RPC connection from %s: %s", conn.client, exc)
            self._close(conn)
        except Exception:  # noqa: BLE001 - one connection's bug must not stop the server
            log.exception("XML-RPC connection from %s failed (%s)", conn.client, conn.state.value)
            self._close(conn)

    def _read_head(self, conn: _Connection) -> None:
        data = conn.sock.recv(READ_CHUNK)
        if not data:
            self._close(conn)
            return
        now = time.monotonic()
        if not conn.inbuf:
            conn.since = now  # the request's head began: request_timeout runs from here
        conn.progress = now
        conn.inbuf += data
        self._parse(conn)

    def _parse(self, conn: _Connection) -> None:
        """Start the request whose head is in ``conn.inbuf``, if it is all there."""
        while conn.inbuf[:2] == b"\r\n":  # blank lines between requests are allowed
            del conn.inbuf[:2]
        end = conn.inbuf.find(_NEWLINE)
        if end < 0:
            if len(conn.inbuf) > MAX_HEAD_BYTES:
                self._refuse(conn, 431, f"request head over {MAX_HEAD_BYTES} bytes")
            return
        block = bytes(conn.inbuf[:end])
        del conn.inbuf[: end + 4]
        conn.used = True
        try:
            head = parse_head(block)
        except BadRequest as exc:
            self._refuse(conn, exc.status, str(exc))
            return
        verdict = self.policy.check(head)
        if verdict.refused:
            self._refuse(conn, verdict.status, verdict.message)
            return
        conn.head = head
        conn.keep_alive = head.keep_alive
        self._start_body(conn, verdict.length)

    def _start_body(self, conn: _Connection, length: int) -> None:
        if length > self.body_budget:
            conn.state, conn.since = _State.PAUSED, time.monotonic()
            self._register(conn, 0)  # TCP holds the client back meanwhile
            self.paused.append(conn)
            conn.got = length  # the length wanted, kept until the budget allows it
            return
        self.body_budget -= length
        conn.held = length
        conn.body = bytearray(length)
        taken = min(length, len(conn.inbuf))
        conn.body[:taken] = conn.inbuf[:taken]
        del conn.inbuf[:taken]
        conn.got = taken
        if conn.got == length:
            self._queue(conn)
            return
        if conn.head is not None and conn.head.expects_continue:
            conn.sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        conn.state = _State.BODY
        conn.since = conn.progress = time.monotonic()
        self._register(conn, selectors.EVENT_READ)

    def _read_body(self, conn: _Connection) -> None:
        assert conn.body is not None
        view = memoryview(conn.body)[conn.got :]
        count = conn.sock.recv_into(view, min(len(view), READ_CHUNK * 4))
        view.release()
        if count == 0:
            self._close(conn)  # the client went away mid-body
            return
        conn.got += count
        conn.progress = time.monotonic()
        if conn.got == len(conn.body):
            self._queue(conn)

    def _queue(self, conn: _Connection) -> None:
        conn.state, conn.since = _State.QUEUED, time.monotonic()
        self._register(conn, 0)  # nothing is read from it while it is served
        body = conn.body
        assert body is not None  # queued once the body it holds is complete
        head = conn.head
        assert head is not None  # and once its head was checked
        conn.body = None
        self.pool.submit(conn, lambda: self._serve(conn, body, head))

    # serving (worker threads) --------------------------------------------------------------
    def _serve(self, conn: _Connection, body: bytearray, head: RequestHead) -> None:
        conn.state = _State.RUNNING
        try:
            token = head.headers.get("token")
            with caller.serving(conn.sock, conn.client, token), self.policy.serving(head):
                result = self.dispatcher.handle(body)
            response = http_response(200, result, "text/xml", conn.keep_alive)
        except Exception:  # noqa: BLE001 - the dispatcher answers faults; this is a bug
            log.exception("XML-RPC request from %s could not be answered", conn.client)
            response = http_response(500, b"internal error\n", "text/plain", False)
            conn.keep_alive = False
        # send what the socket takes now (the loop never closes a connection being served,
        # so the socket is this request's); the loop sends the rest and reads the next
        sent = 0
        if not self.stopping:
            try:
                sent = conn.sock.send(response)
            except OSError:
                sent = 0  # full (the loop waits for room) or reset (the loop sees it)
        with self.done_lock:
            self.done.append((conn, response, sent))
        self.wake()

    def _finish_done(self) -> None:
        while True:
            with self.done_lock:
                if not self.done:
                    return
                conn, response, sent = self.done.popleft()
            self._release(conn)
            if self.connections.get(conn.sock.fileno()) is not conn:
                continue  # closed meanwhile (stopping)
            self._send(conn, response, _State.WRITING, sent)

    # writing -------------------------------------------------------------------------------
    def _send(self, conn: _Connection, data: bytes, state: _State, sent: int = 0) -> None:
        conn.out, conn.sent = data, sent
        conn.state, conn.since, conn.progress = state, time.monotonic(), time.monotonic()
        try:
            self._write(conn)
        except OSError as exc:
            log.debug("XML-RPC connection from %s: %s", conn.client, exc)
            self._close(conn)

    def _write(self, conn: _Connection) -> None:
        if conn.sent < len(conn.out):
            with memoryview(conn.out) as view:
                conn.sent += conn.sock.send(view[conn.sent :])
            conn.progress = time.monotonic()
        if conn.sent < len(conn.out):
            read = selectors.EVENT_READ if conn.state is _State.LINGER else 0
            self._register(conn, selectors.EVENT_WRITE | read)
            return
        conn.out, conn.sent = b"", 0
        if conn.state is _State.LINGER:
            conn.sock.shutdown(socket.SHUT_WR)  # the answer is out: now only drain
            self._register(conn, selectors.EVENT_READ)
        elif conn.keep_alive and not self.stopping:
            conn.state = _State.WAITING
            conn.since = conn.progress = time.monotonic()
            conn.head = None
            self._register(conn, selectors.EVENT_READ)
            if conn.inbuf:  # a pipelined request came with the last one
                self._parse(conn)
        else:
            self._close(conn)

    # refusing ------------------------------------------------------------------------------
    def _refuse(self, conn: _Connection, status: int, message: str) -> None:
        """Answer ``status`` and close, draining what the client still sends so that it
        reads the answer instead of a reset."""
        self.refusals.warn(conn.client, status, message)
        self._release(conn)
        conn.inbuf = bytearray()
        conn.body = None
        conn.drained = 0
        self._send(
            conn,
            http_response(status, (message + "\n").encode(), "text/plain", False),
            _State.LINGER,
        )

    def _drain(self, conn: _Connection) -> None:
        data = conn.sock.recv(READ_CHUNK)
        if not data:
            self._close(conn)
            return
        conn.drained += len(data)
        conn.progress = time.monotonic()

    # memory --------------------------------------------------------------------------------
    def _release(self, conn: _Connection) -> None:
        """Give back the body budget ``conn`` holds, and let waiting bodies in."""
        if conn.held:
            self.body_budget += conn.held
            conn.held = 0
        while self.paused and self.paused[0].got <= self.body_budget:
            waiting = self.paused.popleft()
            if self.connections.get(waiting.sock.fileno()) is waiting:
                self._start_body(waiting, waiting.got)

    # timeouts ------------------------------------------------------------------------------
    def _sweep(self, now: float) -> None:
        for conn in self.pool.expire(now - self.busy_timeout):
            self._refuse(
                conn,
                503,
                f"all {self.pool.max_workers} XML-RPC workers are busy (long calls in "
                "progress): retry later",
            )
        for conn in list(self.connections.values()):
            state = conn.state
            if state is _State.WAITING:
                if conn.inbuf and now - conn.since > self.request_timeout:
                    self._refuse(
                        conn, 408, f"request head not complete in {self.request_timeout:g} s"
                    )
                elif not conn.inbuf and now - conn.since > self.idle_timeout:
                    self._close(conn)
            elif state in (_State.BODY, _State.WRITING):
                if now - conn.progress > self.request_timeout:
                    log.info(
                        "XML-RPC connection from %s stalled (%s): closed", conn.client, state.value
                    )
                    self._close(conn)
            elif state is _State.PAUSED:
                if now - conn.since > self.busy_timeout:
                    self.paused.remove(conn)
                    self._refuse(conn, 503, "the server is busy with large requests: retry later")
            elif state is _State.LINGER:
                if now - conn.since > LINGER_TIME or now - conn.progress > LINGER_IDLE:
                    self._close(conn)
        if not self.listening and not self.stopping:
            if now >= self.accept_again and len(self.connections) < self.max_connections:
                self.accept_again = 0.0
                self._listen(True)

    # closing -------------------------------------------------------------------------------
    def _close(self, conn: _Connection) -> None:
        fd = conn.sock.fileno()
        if fd >= 0 and self.connections.get(fd) is conn:
            del self.connections[fd]
            if conn.events:
                self.selector.unregister(conn.sock)
                conn.events = 0
            if conn.state is _State.LINGER and conn.client not in self.allowed:
                self.refused -= 1
            conn.sock.close()
        self._release(conn)

    def _close_all(self) -> None:
        self._listen(False)
        self.listener.close()
        for conn in list(self.connections.values()):
            if conn.state in (_State.QUEUED, _State.RUNNING):
                try:  # its worker may still hold it: end the connection, free it later
                    conn.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            else:
                self._close(conn)
        self.selector.close()

    def close_unstarted(self) -> None:
        """Close the listening socket of a server whose loop never ran."""
        if self.listener.fileno() >= 0:
            self.listener.close()
            self.selector.close()
            self.wake_r.close()
            self.wake_w.close()

    def stop(self, timeout: float) -> None:
        """End the workers (after the loop has ended) and close what is left."""
        for conn in self.pool.stop(timeout):
            conn.sock.close()
        for conn in list(self.connections.values()):
            conn.sock.close()
        self.connections.clear()
        self.wake_r.close()
        self.wake_w.close()
