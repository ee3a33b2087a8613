"""A workflow client on the test workflows of ``tests/data/workflows`` (Qt-free), a
fake BES server, and waits on the marker files the test tasks write."""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mxgui.core.repository import HardwareRepository

from helpers import wait_for

WORKFLOWS = Path(__file__).parent / "data" / "workflows"

CLIENT_XML = """<object class="workflow_client.WorkflowClient">
  <workflows_dir>{workflows}</workflows_dir>
  <log_file>{log}</log_file>
  <bes_url>{bes_url}</bes_url>
  <xray_centring_workflow>Wait</xray_centring_workflow>
  <end_grace>0.5</end_grace>
  <kill_grace>1.0</kill_grace>
  <bes_poll_period>0.05</bes_poll_period>
  <!-- no XML-RPC server grants run tokens here: the BES gets the configured token -->
  <bes_send_server_token>true</bes_send_server_token>
  <workflow><name>Wait</name><title>Wait a while</title><graph>wait.json</graph></workflow>
  <workflow><name>Fail</name><title>Fail at indexing</title><graph>fail.json</graph></workflow>
  <workflow><name>Broken</name><graph>broken.json</graph></workflow>
  <workflow>
    <name>OnGrid</name><title>On a grid</title><requires>grid</requires>
    <graph>wait.json</graph>
  </workflow>
  <workflow><name>Remote</name><engine>bes</engine></workflow>
</object>
"""


def callback_client_xml(log: Path) -> str:
    """The workflow client's XML with the ``CallBack`` test workflow (which calls the
    XML-RPC server back) in place of the BES one; runs logged in ``log``."""
    return CLIENT_XML.format(workflows=WORKFLOWS, log=log, bes_url="").replace(
        "<workflow><name>Remote</name><engine>bes</engine></workflow>",
        "<workflow><name>CallBack</name><graph>callback.json</graph></workflow>",
    )


def client_repository(tmp_path: Path, bes_url: str = "http://127.0.0.1:9") -> HardwareRepository:
    """A repository whose ``workflow`` object runs the test workflows."""
    directory = tmp_path / "wfrepo"
    directory.mkdir(exist_ok=True)
    (directory / "workflow.xml").write_text(
        CLIENT_XML.format(workflows=WORKFLOWS, log=tmp_path / "workflows.sqlite", bes_url=bes_url)
    )
    return HardwareRepository([directory])


def wait_params(marker: Path, seconds: float = 60.0, **more: Any) -> dict[str, Any]:
    marker.mkdir(parents=True, exist_ok=True)
    return {"marker_dir": str(marker), "seconds": seconds, **more}


def started(marker: Path, timeout: float = 30.0) -> dict[str, Any]:
    """What the Wait task wrote when it started (its pid, the inputs it received)."""
    path = marker / "started.json"
    wait_for(path.exists, "the workflow's start", timeout)
    return json.loads(path.read_text())


def gone(pid: int, timeout: float = 10.0) -> bool:
    """True once process ``pid`` no longer exists (a zombie counts as gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


class FakeBes:
    """A BES server in a thread: RUN answers an id, STATUS the scripted statuses (the
    last one repeats), ABORT makes the status ``ABORTED``. Requests are recorded."""

    def __init__(self, statuses: list[str]) -> None:
        self.statuses = list(statuses)
        self.requests: list[tuple[str, str, Any]] = []
        self.aborted = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _answer(self, text: str, code: int = 200) -> None:
                body = text.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"null")
                fake.requests.append(("POST", self.path, body))
                if self.path.startswith("/RUN/"):
                    self._answer("req-42")
                else:
                    self._answer("no such thing", 404)

            def do_GET(self) -> None:
                fake.requests.append(("GET", self.path, None))
                if self.path == "/STATUS/req-42":
                    if fake.aborted.is_set():
                        self._answer("ABORTED")
                    else:
                        status = (
                            fake.statuses.pop(0) if len(fake.statuses) > 1 else fake.statuses[0]
                        )
                        self._answer(json.dumps({"status": status}))
                elif self.path == "/ABORT/req-42":
                    fake.aborted.set()
                    self._answer("OK")
                else:
                    self._answer("no such request", 404)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="fake BES", daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
