"""The XML-RPC transport: keep-alive, host and token checks, the size limit, faults
for bad requests, a clean stop; each refusal seen by a raw HTTP client. Issue 11's
attacks repeated: idle connections by the thousand, an 80 MB body, what a web page
sends, every worker busy, large bodies at once."""

from __future__ import annotations

import http.client
import os
import resource
import socket
import threading
import time
import xmlrpc.client

import pytest
from xmlrpc_fixtures import client

from mxgui.core.xmlrpc import caller
from mxgui.core.xmlrpc.dispatch import Dispatcher
from mxgui.core.xmlrpc.transport import XMLRPCTransport

from helpers import threads_left


def add(a: int, b: int = 1) -> int:
    """a + b"""
    if a < 0:
        raise ValueError("a: must be 0 or more")
    return a + b


@pytest.fixture
def serve():
    """``serve(**options)``: a transport over a dispatcher with ``add``, stopped after."""
    transports = []
    before = set(threading.enumerate())

    def make(**options) -> XMLRPCTransport:
        dispatcher = Dispatcher()
        dispatcher.register("add", add)
        transport = XMLRPCTransport(dispatcher, "127.0.0.1", 0, **options)
        transport.start()
        transports.append(transport)
        return transport

    yield make
    for transport in transports:
        transport.stop()
    left = threads_left(before)
    assert not left, f"threads left: {[t.name for t in left]}"


def post(transport, body: bytes = b"", headers: dict | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", transport.port, timeout=10)
    connection.request("POST", "/", body, {"Content-Type": "text/xml", **(headers or {})})
    return connection.getresponse()


#: what ``xmlrpc.client`` sends before its body (a raw client adds Content-Length)
RAW_HEAD = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\n"


def request(method: str, *params) -> bytes:
    return xmlrpc.client.dumps(params, method).encode()


def test_calls_reuse_one_connection(serve):
    transport = serve()
    connection = http.client.HTTPConnection("127.0.0.1", transport.port, timeout=10)
    for n in range(5):
        connection.request("POST", "/", request("add", n, 10), {"Content-Type": "text/xml"})
        response = connection.getresponse()
        assert response.status == 200
        assert xmlrpc.client.loads(response.read())[0] == (n + 10,)
    assert response.getheader("Connection") != "close"
    connection.close()
    with client(transport.url) as proxy:
        assert proxy.add(2) == 3
        assert "add" in proxy.system.listMethods()
        assert proxy.system.methodSignature("add") == "add(a, b=1)"


def test_a_host_not_allowed_gets_403(serve):
    transport = serve(allowed_hosts=["192.0.2.1"])
    response = post(transport, request("add", 1))
    assert response.status == 403
    assert "127.0.0.1 is not allowed" in response.read().decode()
    with client(transport.url) as proxy, pytest.raises(xmlrpc.client.ProtocolError) as error:
        proxy.add(1)
    assert error.value.errcode == 403


def test_localhost_by_name_is_allowed(serve):
    transport = serve(allowed_hosts=["localhost"])
    assert post(transport, request("add", 1)).status == 200


def test_without_the_token_a_request_is_refused(serve):
    transport = serve(token="s3cret")
    missing = post(transport, request("add", 1))
    assert missing.status == 401
    assert "missing Token header" in missing.read().decode()
    wrong = post(transport, request("add", 1), {"Token": "guess"})
    assert wrong.status == 403
    right = post(transport, request("add", 1), {"Token": "s3cret"})
    assert right.status == 200
    assert xmlrpc.client.loads(right.read())[0] == (2,)
    with client(transport.url, headers=[("Token", "s3cret")]) as proxy:
        assert proxy.add(5) == 6


def receive_all(raw: socket.socket) -> str:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := raw.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_an_oversized_request_is_refused_before_its_body_is_read(serve):
    transport = serve(max_request_bytes=1000)
    with socket.create_connection(("127.0.0.1", transport.port), timeout=10) as raw:
        # headers only: a server that waited for the announced body would never answer
        raw.sendall(RAW_HEAD + b"Content-Length: 67108865\r\n\r\n")
        answer = receive_all(raw)
    assert answer.startswith("HTTP/1.0 413") or answer.startswith("HTTP/1.1 413")
    assert "over the limit of 1000 bytes" in answer
    with client(transport.url) as proxy:  # the server goes on serving
        assert proxy.add(1, 1) == 2


def test_the_default_limit_is_64_mb(serve):
    transport = serve()
    with socket.create_connection(("127.0.0.1", transport.port), timeout=10) as raw:
        raw.sendall(RAW_HEAD + b"Content-Length: 67108865\r\n\r\n")
        assert " 413 " in receive_all(raw).splitlines()[0]


def test_bad_requests_get_faults_and_the_server_goes_on(serve):
    transport = serve()
    garbage = post(transport, b"<methodCall><nope")
    assert garbage.status == 200
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(garbage.read())
    assert fault.value.faultCode == -32700
    with client(transport.url) as proxy:
        with pytest.raises(xmlrpc.client.Fault, match=r"ad: no such method; did you mean add"):
            proxy.ad(1)
        with pytest.raises(xmlrpc.client.Fault, match=r"add: .*expected add\(a, b=1\)"):
            proxy.add(1, 2, 3)
        with pytest.raises(xmlrpc.client.Fault, match=r"add: a: must be 0 or more") as fault:
            proxy.add(-1)
        assert fault.value.faultCode == -32602
        assert proxy.add(1) == 2
    assert post(transport, request("add", 1)).status == 200
    connection = http.client.HTTPConnection("127.0.0.1", transport.port, timeout=10)
    connection.request("GET", "/")
    assert connection.getresponse().status == 405


def test_stop_closes_open_connections(serve):
    transport = serve()
    before = set(threading.enumerate())
    connections = []
    for _ in range(3):  # idle keep-alive connections, each with its server thread
        connection = http.client.HTTPConnection("127.0.0.1", transport.port, timeout=10)
        connection.request("POST", "/", request("add", 1), {"Content-Type": "text/xml"})
        connection.getresponse().read()
        connections.append(connection)
    transport.stop()
    assert not threads_left(before, timeout=1.0)
    for connection in connections:
        connection.close()


def fault_of(response: http.client.HTTPResponse) -> xmlrpc.client.Fault:
    """The fault an HTTP 200 response carries (the test fails if it carries none)."""
    assert response.status == 200
    with pytest.raises(xmlrpc.client.Fault) as fault:
        xmlrpc.client.loads(response.read())
    return fault.value


def test_hostile_bodies_under_the_limit_get_faults_and_the_server_goes_on(serve):
    transport = serve()
    # well-formed XML that is no method call: the stdlib parser raises its own error
    assert fault_of(post(transport, b"<foo/>")).faultCode == -32700
    # "billion laughs": expat's amplification limit stops it, the client gets a fault
    entities = '<!ENTITY l0 "lolololololololololol">' + "".join(
        f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10)
    )
    laughs = (
        f"<?xml version='1.0'?><!DOCTYPE x [{entities}]><methodCall><methodName>add"
        "</methodName><params><param><value><string>&l9;</string></value></param>"
        "</params></methodCall>"
    )
    fault = fault_of(post(transport, laughs.encode()))
    assert fault.faultCode == -32700 and "amplification" in fault.faultString
    # arrays nested 100,000 deep: refused by depth before anything recurses into them
    deep = 100_000
    nested = (
        "<methodCall><methodName>add</methodName><params><param><value>"
        + "<array><data><value>" * deep
        + "<int>1</int>"
        + "</value></data></array>" * deep
        + "</value></param></params></methodCall>"
    )
    fault = fault_of(post(transport, nested.encode()))
    assert fault.faultCode == -32602
    assert fault.faultString.startswith("add: the arguments nest arrays or structs more than")
    with client(transport.url) as proxy:
        assert proxy.add(1) == 2


# issue 11, item 2: an oversized body ------------------------------------------------------
def test_a_stdlib_client_sending_80_mb_sees_413_not_a_broken_pipe(serve):
    transport = serve()
    with client(transport.url) as proxy, pytest.raises(xmlrpc.client.ProtocolError) as error:
        proxy.add("x" * (80 * 1024 * 1024))
    assert error.value.errcode == 413
    with client(transport.url) as proxy:  # and the server goes on serving
        assert proxy.add(1, 1) == 2


# issue 11, item 3: web pages and DNS rebinding ---------------------------------------------
@pytest.fixture
def touched():
    """A server with ``touch()``, which records that it ran, and a token."""
    calls: list[str] = []

    def touch() -> bool:
        """record a call"""
        calls.append("touched")
        return True

    return calls, touch


@pytest.mark.parametrize(
    ("headers", "status", "why"),
    [
        ({"Host": "evil.example"}, 403, "Host 'evil.example' is not this server's address"),
        ({"Host": "evil.example:8000"}, 403, "is not this server's address or an allowed name"),
        ({"Origin": "http://evil.example"}, 403, "requests from web pages"),
        ({"Origin": "null"}, 403, "requests from web pages"),
        ({"Content-Type": "text/plain"}, 415, "Content-Type 'text/plain' is refused"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "is refused"),
        ({"Content-Type": "multipart/form-data; boundary=x"}, 415, "is refused"),
    ],
)
def test_what_a_web_page_can_send_is_refused_and_nothing_runs(serve, touched, headers, status, why):
    calls, touch = touched
    dispatcher = Dispatcher()
    dispatcher.register("touch", touch)
    transport = XMLRPCTransport(dispatcher, "127.0.0.1", 0, token="s3cret")
    transport.start()
    try:
        sent = {"Token": "s3cret", "Content-Type": "text/xml", **headers}
        connection = http.client.HTTPConnection("127.0.0.1", transport.port, timeout=10)
        connection.putrequest("POST", "/", skip_host="Host" in headers)
        for name, value in sent.items():
            connection.putheader(name, value)
        body = request("touch")
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        assert response.status == status
        assert why in response.read().decode()
        assert response.getheader("Connection") == "close"
        assert calls == []  # refused before anything ran
        with client(transport.url, headers=[("Token", "s3cret")]) as proxy:
            assert proxy.touch() is True  # the same call from a workflow runs
        assert calls == ["touched"]
    finally:
        transport.stop()


def test_a_request_without_content_type_or_host_is_refused(serve):
    transport = serve()
    with socket.create_connection(("127.0.0.1", transport.port), timeout=10) as raw:
        body = request("add", 1)
        raw.sendall(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )
        assert " 415 " in receive_all(raw).splitlines()[0]
    with socket.create_connection(("127.0.0.1", transport.port), timeout=10) as raw:
        raw.sendall(b"POST / HTTP/1.0\r\nContent-Type: text/xml\r\nContent-Length: 0\r\n\r\n")
        answer = receive_all(raw)
        assert " 400 " in answer.splitlines()[0] and "Host header is required" in answer


def test_the_bound_address_and_allowed_names_are_accepted_hosts(serve):
    transport = serve(allowed_hosts=["127.0.0.1", "localhost"])
    for host in (f"127.0.0.1:{transport.port}", f"localhost:{transport.port}", "LOCALHOST"):
        response = post(transport, request("add", 1), {"Host": host})
        assert response.status == 200, host
    with client(f"http://localhost:{transport.port}") as proxy:
        assert proxy.add(3) == 4


# issue 11, item 1: idle connections, threads, memory --------------------------------------
def open_idle(port: int, count: int) -> list[socket.socket]:
    """``count`` connections that never send a byte."""
    return [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]


def test_1000_idle_connections_take_no_thread_and_calls_still_answer(serve):
    transport = serve(max_connections=64)
    before = threading.active_count()
    idle = open_idle(transport.port, 1000)
    try:
        with client(transport.url) as proxy:
            for n in range(20):
                assert proxy.add(n) == n + 1
        # the loop thread and at most one worker per concurrent call: no thread per connection
        assert threading.active_count() <= before + 2
        # the server holds at most max_connections: the oldest idle ones were closed
        closed = sum(1 for s in idle if caller.caller_gone(s))
        assert closed >= 1000 - 64
    finally:
        for s in idle:
            s.close()


def test_clients_from_addresses_not_allowed_get_403_and_no_thread(serve):
    transport = serve(allowed_hosts=["192.0.2.1"])
    before = threading.active_count()
    refused = open_idle(transport.port, 200)
    try:
        assert threading.active_count() == before
        answers = [receive_all(s) for s in refused]
        # 403 with the reason; past 64 refused at once, closed without a word
        assert all(a.startswith("HTTP/1.1 403 ") for a in answers[:64])
        assert set(answers[64:]) <= {""} | set(answers[:1])
    finally:
        for s in refused:
            s.close()


def test_an_idle_connection_is_closed_and_a_slow_head_gets_408(serve):
    transport = serve(idle_timeout=0.3, request_timeout=0.3)
    with socket.create_connection(("127.0.0.1", transport.port), timeout=10) as idle:
        assert idle.recv(100) == b""  # closed by the server, nothing said
    with socket.create_connection(("127.0.0.1", transport.port), timeout=10) as slow:
        slow.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and then nothing
        assert " 408 " in receive_all(slow).splitlines()[0]
    with client(transport.url) as proxy:
        assert proxy.add(1) == 2
        time.sleep(0.8)  # the server closes the kept-alive connection meanwhile
        assert proxy.add(2) == 3  # the stdlib client reconnects by itself


def test_when_every_worker_is_busy_a_caller_gets_503_not_a_hang(serve):
    release = threading.Event()
    dispatcher = Dispatcher()

    def wait() -> bool:
        """wait for the test"""
        return release.wait(30)

    dispatcher.register("wait", wait)
    dispatcher.register("add", add)
    transport = XMLRPCTransport(dispatcher, "127.0.0.1", 0, max_workers=1, busy_timeout=0.3)
    transport.start()
    results: list[bool] = []
    try:
        long_call = threading.Thread(
            target=lambda: results.append(xmlrpc.client.ServerProxy(transport.url).wait())
        )
        long_call.start()
        with client(transport.url) as proxy:
            deadline = time.monotonic() + 10
            refusal = None
            while refusal is None and time.monotonic() < deadline:
                try:  # answered until the long call holds the only worker
                    assert proxy.add(1) == 2
                    time.sleep(0.05)
                except xmlrpc.client.ProtocolError as error:
                    refusal = error
            assert refusal is not None and refusal.errcode == 503
            assert long_call.is_alive() and results == []  # the long call still waits
        release.set()
        long_call.join(10)
        assert results == [True]
        with client(transport.url) as proxy:
            assert proxy.add(2) == 3
    finally:
        release.set()
        transport.stop()


def test_large_bodies_are_read_one_at_a_time_and_all_are_answered(serve):
    active: list[int] = []
    peak: list[int] = []
    lock = threading.Lock()
    dispatcher = Dispatcher()

    def size(text: str) -> int:
        """the length of text, slowly"""
        with lock:
            active.append(1)
            peak.append(len(active))
        time.sleep(0.05)
        with lock:
            active.pop()
        return len(text)

    dispatcher.register("size", size)
    limit = 1_000_000  # a body of 900 kB: two of them do not fit in memory at once
    transport = XMLRPCTransport(dispatcher, "127.0.0.1", 0, max_request_bytes=limit)
    transport.start()
    answers: list[int] = []

    def send() -> None:
        answers.append(xmlrpc.client.ServerProxy(transport.url).size("y" * 900_000))

    try:
        senders = [threading.Thread(target=send) for _ in range(6)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(30)
        assert answers == [900_000] * 6
        assert max(peak) == 1
    finally:
        transport.stop()


def test_a_method_sees_the_connection_of_its_own_request(serve):
    dispatcher = Dispatcher()

    def peer_port() -> int:
        """the client's port of the connection serving this call"""
        connection = caller.current_connection()
        assert connection is not None and not caller.caller_gone()
        return connection.getpeername()[1]

    dispatcher.register("peer_port", peer_port)
    transport = XMLRPCTransport(dispatcher, "127.0.0.1", 0)
    transport.start()
    try:
        connections = [
            http.client.HTTPConnection("127.0.0.1", transport.port, timeout=10) for _ in range(3)
        ]
        for connection in connections * 2:
            connection.request("POST", "/", request("peer_port"), {"Content-Type": "text/xml"})
            answer = xmlrpc.client.loads(connection.getresponse().read())[0][0]
            assert answer == connection.sock.getsockname()[1]
        for connection in connections:
            connection.close()
    finally:
        transport.stop()


def test_a_pipelined_request_and_expect_100_continue_are_answered(serve):
    transport = serve()
    one, two = request("add", 1), request("add", 2)
    with socket.create_connection(("127.0.0.1", transport.port), timeout=10) as raw:
        raw.sendall(
            RAW_HEAD
            + b"Content-Length: %d\r\n\r\n" % len(one)
            + one
            + RAW_HEAD
            + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(two)
            + two
        )
        answer = receive_all(raw)
    assert answer.count("HTTP/1.1 200 OK") == 2
    assert "<int>2</int>" in answer and "<int>3</int>" in answer
    with socket.create_connection(("127.0.0.1", transport.port), timeout=10) as raw:
        raw.sendall(RAW_HEAD + b"Expect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(one))
        assert raw.recv(100).startswith(b"HTTP/1.1 100 Continue")
        raw.sendall(one)
        assert b"<int>2</int>" in raw.recv(4096)


def test_connections_leave_half_the_free_descriptors_to_the_data_files(serve):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    in_use = len(os.listdir("/proc/self/fd"))
    resource.setrlimit(resource.RLIMIT_NOFILE, (in_use + 200, hard))
    try:
        transport = serve(max_connections=256)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert transport.max_connections <= 100  # of the 200 left, half at most
    idle = open_idle(transport.port, 150)
    try:
        with client(transport.url) as proxy:  # over the bound: the oldest idle one goes
            assert proxy.add(1) == 2
        assert sum(caller.caller_gone(s) for s in idle) >= 150 - transport.max_connections
    finally:
        for s in idle:
            s.close()


def test_a_method_name_served_twice_is_refused_naming_both_owners():
    from mxgui.core.xmlrpc.methods import GROUPS

    names = [name for group in GROUPS for name in group.NAMES]
    assert len(names) == len(set(names))  # every group serves names of its own
    dispatcher = Dispatcher()
    dispatcher.register("flux", GROUPS[0].__init__)
    with pytest.raises(
        ValueError, match=r"flux is served twice: by .*__init__ and by .*list_methods"
    ):
        dispatcher.register("flux", dispatcher.list_methods)
