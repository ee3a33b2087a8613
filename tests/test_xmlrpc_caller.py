"""The caller of an XML-RPC request: bound per thread, and seen to hang up."""

from __future__ import annotations

import socket

from mxgui.core.xmlrpc.caller import caller_gone, current_connection, serving


def _tcp_pair() -> tuple[socket.socket, socket.socket]:
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname())
    server_side, _ = listener.accept()
    listener.close()
    server_side.settimeout(5.0)  # as the transport's connections: blocking with a timeout
    return server_side, client


def test_a_caller_that_hangs_up_is_gone_one_that_sends_more_is_not():
    server_side, client = _tcp_pair()
    try:
        assert not caller_gone(server_side)
        client.sendall(b"POST")  # a pipelined request: still there
        assert not caller_gone(server_side)
        assert server_side.recv(4) == b"POST"
        client.close()
        assert caller_gone(server_side)
    finally:
        server_side.close()
    assert caller_gone(server_side)  # closed here too


def test_the_connection_is_bound_to_the_serving_thread_only_while_serving():
    server_side, client = _tcp_pair()
    try:
        assert current_connection() is None and not caller_gone()
        with serving(server_side):
            assert current_connection() is server_side
            assert not caller_gone()
            client.close()
            assert caller_gone()
        assert current_connection() is None and not caller_gone()
    finally:
        server_side.close()


def test_a_wait_whose_caller_hangs_up_ends_and_cancels_what_it_waited_for():
    from concurrent.futures import Future

    import pytest

    from mxgui.core.xmlrpc.context import CallerGone, ServiceContext

    context = ServiceContext(lambda name: None)
    server_side, client = _tcp_pair()
    try:
        answer: Future = Future()
        looks: list[bool] = []

        def gone() -> bool:
            looks.append(True)
            if len(looks) == 2:
                client.close()  # the caller hangs up while the wait goes on
            return caller_gone(server_side)

        with pytest.raises(CallerGone, match="the caller disconnected"):
            context.wait(answer, None, "the dialog", abandoned=gone)
        assert answer.cancelled() and len(looks) == 2  # still there at first, then gone
    finally:
        server_side.close()
