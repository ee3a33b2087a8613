"""The XML-RPC transport: keep-alive, host and token checks, the size limit, faults
for bad requests, a clean stop; each refusal seen by a raw HTTP client."""

from __future__ import annotations

import http.client
import socket
import threading
import xmlrpc.client

import pytest
from xmlrpc_fixtures import client

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


def request(method: str, *params) -> bytes:
    return xmlrpc.client.dumps(params, method).encode()


def test_calls_reuse_one_connection(serve):
    transport = serve()
    connection = http.client.HTTPConnection("127.0.0.1", transport.port, timeout=10)
    for n in range(5):
        connection.request("POST", "/", request("add", n, 10))
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
        raw.sendall(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            b"Content-Length: 67108865\r\n\r\n"
        )
        answer = receive_all(raw)
    assert answer.startswith("HTTP/1.0 413") or answer.startswith("HTTP/1.1 413")
    assert "over the limit of 1000 bytes" in answer
    with client(transport.url) as proxy:  # the server goes on serving
        assert proxy.add(1, 1) == 2


def test_the_default_limit_is_64_mb(serve):
    transport = serve()
    with socket.create_connection(("127.0.0.1", transport.port), timeout=10) as raw:
        raw.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 67108865\r\n\r\n")
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
        connection.request("POST", "/", request("add", 1))
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
