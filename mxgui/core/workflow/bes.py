"""The BES engine: a workflow run by a BES server, over its REST protocol.

- ``POST <url>/RUN/<name>`` with the inputs as a JSON body answers the request id
  (the body: the id as text, or a JSON string / object with ``request_id`` / ``id``);
- ``GET <url>/STATUS/<id>`` answers the status (text, or JSON with ``status``), polled
  every :attr:`BesRun.poll_period` seconds; ``finished`` / ``success`` end the run
  well, ``error`` / ``failed`` fail it, ``aborted`` ends it aborted; any other status
  (``started``, ``running``...) means it goes on and is reported as the current step;
- ``GET <url>/ABORT/<id>`` asks the server to stop it.

A connection error or an HTTP error fails the run with the URL named; a server that
goes silent for :attr:`BesRun.lost_after` seconds of failed polls fails it too.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from mxgui.core.workflow.events import (
    ABORTED,
    FAILED,
    RUNNING,
    SUCCESS,
    RunResult,
    StepCallback,
    WorkflowRun,
)

log = logging.getLogger(__name__)

_ENDED = {
    "finished": SUCCESS,
    "success": SUCCESS,
    "done": SUCCESS,
    "error": FAILED,
    "failed": FAILED,
    "aborted": ABORTED,
}


class BesError(Exception):
    """The BES server could not be reached or gave an answer that is not one."""


class BesRun(WorkflowRun):
    """One workflow run on a BES server (see the module docstring)."""

    def __init__(
        self,
        url: str,
        name: str,
        inputs: Mapping[str, object],
        on_step: StepCallback,
        poll_period: float = 0.5,
        timeout: float = 10.0,
        lost_after: float = 30.0,
    ) -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.name = name
        self.poll_period = poll_period
        self.timeout = timeout
        self.lost_after = lost_after
        self.request_id: str | None = None
        self._on_step = on_step
        self._inputs = dict(inputs)
        self._stop = threading.Event()
        self._abort_asked = False
        self._thread = threading.Thread(target=self._main, name=f"BES {name}", daemon=True)
        self._thread.start()

    # control --------------------------------------------------------------------------------
    def abort(self) -> None:
        """Ask the server to abort (``GET ABORT/<id>``); the run ends aborted."""
        with self._lock:
            if self.done or self._abort_asked:
                return
            self._abort_asked = True
        self._stop.set()

    def end(self) -> None:
        """``workflow_end`` from the workflow: the run ends well; polling stops."""
        self.finish(RunResult(SUCCESS, "workflow ended"))
        self._stop.set()

    # the thread -----------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self.request_id = self._start()
            log.info(
                "BES %s: workflow %s started, request %s", self.url, self.name, self.request_id
            )
            result = self._poll()
        except BesError as exc:
            result = RunResult(FAILED, str(exc))
        if self._abort_asked and self.request_id is not None and not self.done:
            self._send_abort()
            result = RunResult(ABORTED, "aborted by user")
        elif self._abort_asked and not self.done:
            result = RunResult(ABORTED, "aborted by user")
        if self.finish(result):
            log.info("BES workflow %s ended %s: %s", self.name, result.status, result.message)

    def _start(self) -> str:
        where = f"{self.url}/RUN/{quote(self.name)}"
        response = self._request("POST", where, self._inputs)
        request_id = _request_id(response.text)
        if not request_id:
            raise BesError(f"BES server at {where} answered no request id: {response.text!r:.200}")
        return request_id

    def _poll(self) -> RunResult:
        where = f"{self.url}/STATUS/{quote(self.request_id or '')}"
        last_ok = time.monotonic()
        reported = ""
        while not self._stop.wait(self.poll_period):
            try:
                response = self._request("GET", where)
            except BesError as exc:
                if time.monotonic() - last_ok > self.lost_after:
                    raise BesError(f"{exc} (no answer for {self.lost_after:g} s)") from None
                log.warning("%s", exc)
                continue
            last_ok = time.monotonic()
            status = _status(response.text)
            ended = _ENDED.get(status.lower())
            if ended is not None:
                if reported:
                    self._step(reported, SUCCESS if ended == SUCCESS else ended)
                message = f"BES workflow {self.name} {status.lower()}"
                return RunResult(ended, message, "" if ended == SUCCESS else reported)
            if status and status != reported:
                if reported:
                    self._step(reported, SUCCESS)
                reported = status
                self._step(status, RUNNING)
        return RunResult(ABORTED, "aborted by user")

    def _send_abort(self) -> None:
        where = f"{self.url}/ABORT/{quote(self.request_id or '')}"
        try:
            self._request("GET", where)
        except BesError as exc:
            log.error("BES workflow %s: the abort was not delivered: %s", self.name, exc)

    def _request(
        self, method: str, url: str, body: Mapping[str, Any] | None = None
    ) -> requests.Response:
        """``method`` on ``url`` (``body``: the run's JSON values, sent as JSON);
        ``BesError`` saying why it failed."""
        try:
            response = requests.request(method, url, timeout=self.timeout, json=body)
        except requests.RequestException as exc:
            raise BesError(f"BES server at {url} cannot be reached: {exc}") from None
        if response.status_code >= 400:
            raise BesError(
                f"BES server at {url} answered HTTP {response.status_code}: "
                f"{response.text.strip()[:200]}"
            )
        return response

    def _step(self, step: str, status: str) -> None:
        try:
            self._on_step(step, status, "")
        except Exception:  # a listener's bug must not stop the polling
            log.exception("BES workflow %s: step callback failed", self.name)


def _request_id(text: str) -> str:
    value = _json_or_text(text)
    if isinstance(value, Mapping):
        value = value.get("request_id", value.get("id", ""))
    return str(value).strip() if value is not None else ""


def _status(text: str) -> str:
    value = _json_or_text(text)
    if isinstance(value, Mapping):
        value = value.get("status", "")
    return str(value).strip()


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()
