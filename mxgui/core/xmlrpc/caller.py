"""The caller of the XML-RPC request served in this thread, and whether it has hung up.

The transport binds the request's connection (:func:`serving`) while the dispatcher runs
the method; a method that waits for long, such as ``open_dialog`` waiting for the user,
asks :func:`caller_gone` now and then, so that a wait whose caller has disconnected ends
instead of holding a thread and a window for ever.
"""

from __future__ import annotations

import select
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def serving(
    connection: socket.socket | None, peer: str = "", token: str | None = None
) -> Iterator[None]:
    """Bind ``connection`` as this thread's caller for the duration of the block, with
    the caller's address ``peer`` and the ``Token`` header it sent (``None``: none)."""
    previous = getattr(_local, "connection", None), getattr(_local, "identity", None)
    _local.connection = connection
    _local.identity = (peer, token) if connection is not None else None
    try:
        yield
    finally:
        _local.connection, _local.identity = previous


def current_connection() -> socket.socket | None:
    """The connection of the request served in this thread (``None`` outside a request)."""
    return getattr(_local, "connection", None)


def current_identity() -> tuple[str, str | None] | None:
    """``(address, token)`` of the caller served in this thread, which outlive its
    connection (a client that reconnects keeps both); ``None`` outside a request."""
    identity: tuple[str, str | None] | None = getattr(_local, "identity", None)
    return identity


def caller_gone(connection: socket.socket | None = None) -> bool:
    """Whether the caller (``connection``, else this thread's) has closed its connection.

    Never blocks: polls the socket and peeks at one byte. A caller that sent more (a
    pipelined request) is still there; end of stream or a socket error means it is gone.
    Outside a request (a direct call in the process) the caller is never gone.
    """
    connection = connection if connection is not None else current_connection()
    if connection is None:
        return False
    try:
        fd = connection.fileno()
    except OSError:
        return True
    if fd < 0:
        return True
    poller = select.poll()  # poll, not select: descriptors above 1024 are fine
    poller.register(fd, select.POLLIN | select.POLLERR | select.POLLHUP)
    events = poller.poll(0)
    if not events:
        return False
    if any(mask & (select.POLLERR | select.POLLNVAL) for _, mask in events):
        return True
    try:
        return connection.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
