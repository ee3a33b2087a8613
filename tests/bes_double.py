"""A BES protocol double: a real HTTP server on 127.0.0.1 offering what mxcubecore's BES
client uses, ``POST /RUN/<name>`` and ``GET /ABORT/<id>`` (``STATUS`` only when asked).

On RUN it answers a request id and plays the workflow as a BES would: it calls the GUI's
XML-RPC server back at ``mxcubeParameters`` ``host``/``port`` with the run's ``token``
in the ``Token`` header. Scripts:

- ``play``: ``log_message``, then ``workflow_end``;
- ``until_abort``: ``log_message`` every 0.05 s until ABORT comes;
- ``silent``: no call at all (a workflow that hangs before its first call);
- ``error``: RUN answers HTTP 500 (the BES could not start it);
- ``dialog``: ``open_dialog`` (which the test answers when it likes), then ``workflow_end``;
- ``trickle``: RUN announces a long answer and sends one byte every 0.2 s of it.

``status_gate``: when set to an event, STATUS answers only once it is set (a slow BES).

Every request is recorded (method, path, JSON body); so are ABORTs and the outcome of
each call back (the value, or the error's text).
"""

from __future__ import annotations

import json
import threading
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SCRIPTS = ("play", "until_abort", "silent", "error", "dialog", "trickle")
#: the dialog the ``dialog`` script opens
DIALOG = {"title": "Check", "fields": [{"name": "answer", "type": "string", "default": "x"}]}


class BesDouble:
    """See the module docstring. ``statuses``: the STATUS answers when ``offer_status``
    (the last one repeats; ``ABORTED`` after an ABORT)."""

    def __init__(
        self, script: str = "play", offer_status: bool = False, statuses: list[str] | None = None
    ) -> None:
        assert script in SCRIPTS, script
        self.script = script
        self.offer_status = offer_status
        self.statuses = list(statuses or ["RUNNING"])
        #: the HTTP status STATUS answers with (set another to play a failing BES)
        self.status_code = 200
        self.requests: list[tuple[str, str, Any]] = []
        self.runs: dict[str, dict[str, Any]] = {}
        self.aborted: list[str] = []
        #: set by ABORT/<id>, one per request id (and all of them at close)
        self.abort_events: dict[str, threading.Event] = {}
        self.status_gate: threading.Event | None = None
        #: when set to an event, RUN (ABORT) answers only once it is set (a slow BES)
        self.run_gate: threading.Event | None = None
        self.abort_gate: threading.Event | None = None
        #: what RUN answers instead of the request id (``None``: the id)
        self.run_answer: str | None = None
        self.closing = threading.Event()
        self.calls: list[tuple[str, Any]] = []
        self.played = threading.Event()
        self._lock = threading.Lock()
        self._players: list[threading.Thread] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _answer(self, text: str, code: int = 200) -> None:
                body = text.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = raw.decode("latin-1")
                double._record("POST", self.path, body)
                if not self.path.startswith("/RUN/"):
                    self._answer("no such service", 404)
                elif double.script == "error":
                    self._answer("workflow engine: internal error", 500)
                elif double.script == "trickle":
                    double._start(body)
                    self.send_response(200)
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    while not double.closing.wait(0.2):
                        try:
                            self.wfile.write(b"x")
                            self.wfile.flush()
                        except OSError:  # the client gave up: so does the double
                            return
                else:
                    request_id = double._start(body)
                    if double.run_gate is not None:
                        double.run_gate.wait(30)
                    self._answer(request_id if double.run_answer is None else double.run_answer)

            def do_GET(self) -> None:
                double._record("GET", self.path, None)
                if self.path.startswith("/ABORT/"):
                    if double.abort_gate is not None:
                        double.abort_gate.wait(30)
                    double._abort(self.path.split("/", 2)[2])
                    self._answer("ABORTED")
                elif self.path.startswith("/STATUS/") and double.offer_status:
                    gate = double.status_gate
                    if gate is not None:
                        gate.wait(30)
                    self._answer(double._status(self.path.split("/", 2)[2]), double.status_code)
                else:
                    self._answer(f"no such service: {self.path}", 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.host, self.port = "127.0.0.1", self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="BES double", daemon=True
        )
        self.thread.start()

    # what the tests read ------------------------------------------------------------------
    def paths(self) -> list[str]:
        with self._lock:
            return [f"{method} {path}" for method, path, _ in self.requests]

    def run_body(self) -> dict[str, Any]:
        """The body of the last RUN."""
        with self._lock:
            bodies = [body for method, path, body in self.requests if method == "POST"]
        return bodies[-1]

    # the protocol -------------------------------------------------------------------------
    def _record(self, method: str, path: str, body: Any) -> None:
        with self._lock:
            self.requests.append((method, path, body))

    def _start(self, body: dict[str, Any]) -> str:
        with self._lock:
            request_id = f"bes-{len(self.runs) + 1}"
            self.runs[request_id] = body
            self.abort_events[request_id] = threading.Event()
        player = threading.Thread(
            target=self._play, args=(request_id, body), name=f"BES double {request_id}"
        )
        player.daemon = True
        self._players.append(player)
        player.start()
        return request_id

    def _abort(self, request_id: str) -> None:
        with self._lock:
            self.aborted.append(request_id)
            event = self.abort_events.get(request_id)
        if event is not None:
            event.set()

    def _status(self, request_id: str) -> str:
        event = self.abort_events.get(request_id)
        if event is not None and event.is_set():
            return "ABORTED"
        with self._lock:
            return self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]

    def _call(self, proxy: xmlrpc.client.ServerProxy, method: str, *args: Any) -> None:
        try:
            result: Any = getattr(proxy, method)(*args)
        except (xmlrpc.client.Error, OSError) as exc:
            result = f"error: {exc}"
        with self._lock:
            self.calls.append((method, result))

    def _play(self, request_id: str, body: dict[str, Any]) -> None:
        if self.script in ("silent", "trickle"):
            return
        aborted = self.abort_events[request_id]
        gui = body["mxcubeParameters"]
        proxy = xmlrpc.client.ServerProxy(
            f"http://{gui['host']}:{gui['port']}",
            allow_none=True,
            headers=[("Token", gui["token"])],
        )
        try:
            if self.script == "play":
                self._call(proxy, "log_message", f"BES double: {request_id} running", "info")
                self._call(proxy, "workflow_end")
            elif self.script == "dialog":
                self._call(proxy, "open_dialog", DIALOG)
                self._call(proxy, "workflow_end")
            else:  # until_abort
                while not aborted.wait(0.05) and not self.closing.is_set():
                    self._call(proxy, "log_message", f"BES double: {request_id} still running")
        finally:
            proxy("close")()
            self.played.set()

    def close(self) -> None:
        self.closing.set()  # an until_abort player stops, a trickle too
        for gate in (self.status_gate, self.run_gate, self.abort_gate):
            if gate is not None:
                gate.set()
        for player in self._players:
            player.join(5)
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
