"""The BES engine: a workflow run by a BES server, over the REST protocol mxcubecore speaks.

- ``POST <server>/RUN/<name>`` with the run's JSON body (:func:`run_body`: mxcubecore's
  keys, among them the run's own ``token`` and ``mxcubeParameters`` ``{host, port,
  token}``, the GUI's XML-RPC server to call back) answers the request id (the body as
  text; a JSON string or an object with ``request_id`` / ``id`` is read too);
- the workflow then drives the GUI over XML-RPC with that token, which the server
  accepts from before the RUN until the run's end (granted by the workflow client and
  revoked when the run ends: :class:`~mxgui.core.xmlrpc.run_tokens.RunTokenGrant`); it
  ends the run with ``workflow_end`` (:meth:`BesRun.end`);
- ``GET <server>/ABORT/<id>`` on stop (:meth:`BesRun.abort`) and on every failure once a
  request id exists: the workflow must not go on at the BES after mxgui gave it up;
- ``GET <server>/STATUS/<id>`` is not part of mxcubecore's protocol: it is asked once
  after the start, and polled every :attr:`BesRun.poll_period` s only if the server
  answers it (any other answer, 404 or 405 say, means not offered: never asked again).
  Its ``finished`` / ``success`` end the run well, ``error`` / ``failed`` fail it,
  ``aborted`` ends it aborted; anything else is the current step.

A run that neither calls back (a call with its token, served: a refused request is
none) nor ends within :attr:`BesRun.silence_timeout` s of the start or of its last call's
end (or STATUS answer) fails saying so, and is aborted at the BES; while one of its calls
is in progress (a dialog, a collection) it is not silent. A server that cannot be
reached, that answers RUN with an HTTP error or no request id, or that does not answer
RUN within :attr:`BesRun.run_timeout` s, fails the run with the URL named; a STATUS
server that stops answering for :attr:`BesRun.lost_after` s fails it as a lost
connection. Every answer is read with a total deadline and at most
:data:`MAX_ANSWER_BYTES`. The run ends (and its token is revoked) at once on
``workflow_end``, abort or failure; the ABORT follows from the engine's thread.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

import requests
import urllib3

from mxgui import __version__
from mxgui.core.workflow.events import (
    ABORTED,
    FAILED,
    RUNNING,
    SUCCESS,
    RunResult,
    StepCallback,
    WorkflowRun,
)
from mxgui.core.xmlrpc.run_tokens import RunCalls

log = logging.getLogger(__name__)

#: a STATUS answer: a status or a step name, a few words of at most 64 characters
MAX_STATUS_CHARS = 64
_STATUS_TEXT = re.compile(rf"[A-Za-z][\w .:-]{{0,{MAX_STATUS_CHARS - 1}}}")
_REQUEST_ID = re.compile(r"[^\s</]{1,128}")
#: the longest answer read from the BES (a request id or a status is a few bytes)
MAX_ANSWER_BYTES = 64 * 1024

_ENDED = {
    "finished": SUCCESS,
    "success": SUCCESS,
    "done": SUCCESS,
    "error": FAILED,
    "failed": FAILED,
    "aborted": ABORTED,
}
#: the inputs of the queue's workflow entries that mxcubecore's callers send (as text)
_MXCUBE_INPUTS = {
    "directory": "directory",
    "prefix": "prefix",
    "run_number": "run_number",
    "sample_node_id": "sample_node_id",
    "workflow_node_id": "workflow_node_id",
    "shape_id": "shape",
}
#: keys of the body that a workflow parameter never replaces
_RESERVED = frozenset(
    {"modelpath", "initiator", "sessionId", "externalRef", "token", "mxcubeParameters"}
)


class BesError(Exception):
    """The BES server could not be reached or gave an answer that is not one."""


class BesTimeout(BesError):
    """The BES server was reached but did not answer (all of it) in time."""


@dataclass(frozen=True)
class CallBack:
    """Where the workflow calls the GUI back: the XML-RPC server's host and port, and
    the run's token (mxcubecore's ``mxcubeParameters``)."""

    host: str
    port: int
    token: str


@dataclass(frozen=True)
class Origin:
    """Who starts the run: mxcubecore's ``initiator`` (the end station's name),
    ``sessionId`` (the LIMS session, ``None`` when there is none) and ``externalRef``
    (the proposal, e.g. ``mx1234``)."""

    initiator: str = ""
    session_id: int | None = None
    proposal: str = ""


def run_body(
    path: str, inputs: Mapping[str, object], callback: CallBack, origin: Origin
) -> dict[str, object]:
    """The JSON body of ``POST RUN/<name>``, with mxcubecore's keys.

    The values mxcubecore's queue passes as text stay text, as there: ``modelpath``
    (``path``), ``directory``, ``prefix``, ``run_number``, ``sample_node_id``,
    ``workflow_node_id``, ``shape`` (the queue's ``shape_id``), ``beamline`` and
    ``collection_software``; the rest of ``inputs`` (mxgui's ``tasks_parent_id``,
    ``sample_location``...) goes as given, and each of ``workflow_parameters`` at the top
    level too (the parameters a user set), without replacing a key above. Then what
    mxcubecore's EdnaWorkflow adds: ``initiator``, ``sessionId``, ``externalRef``,
    ``token`` and ``mxcubeParameters`` ``{"host", "port", "token"}``.
    """
    body: dict[str, object] = {"modelpath": path}
    for key, value in inputs.items():
        if key == "workflow_parameters":
            continue
        body[_MXCUBE_INPUTS.get(key, key)] = str(value) if key in _MXCUBE_INPUTS else value
    body["beamline"] = origin.initiator
    body["collection_software"] = f"mxgui {__version__}"
    parameters = inputs.get("workflow_parameters")
    if isinstance(parameters, Mapping):
        body["workflow_parameters"] = dict(parameters)
        for key, value in parameters.items():
            if str(key) in body or str(key) in _RESERVED:
                log.info("BES workflow %s: parameter %s only in workflow_parameters", path, key)
                continue
            body[str(key)] = value
    body.update(
        {
            "initiator": origin.initiator,
            "sessionId": origin.session_id,
            "externalRef": origin.proposal,
            "token": callback.token,  # mxcubecore: deprecated for mxcubeParameters' own
            "mxcubeParameters": {
                "host": callback.host,
                "port": callback.port,
                "token": callback.token,
            },
        }
    )
    return body


class BesRun(WorkflowRun):
    """One workflow run on a BES server (see the module docstring).

    ``body`` is :func:`run_body`'s; its ``token`` was granted on the XML-RPC server
    before this run (and is revoked when :attr:`future` ends: the caller's
    :class:`~mxgui.core.xmlrpc.run_tokens.RunTokenGrant`), whose served calls ``calls``
    counts. ``timeout``: s for one STATUS or ABORT answer in all; ``run_timeout``: the
    same for RUN (a BES may take long to start a workflow).
    """

    def __init__(
        self,
        url: str,
        name: str,
        body: Mapping[str, object],
        on_step: StepCallback,
        calls: RunCalls | None = None,
        *,
        poll_period: float = 0.5,
        timeout: float = 10.0,
        run_timeout: float = 60.0,
        silence_timeout: float = 900.0,
        lost_after: float = 30.0,
    ) -> None:
        super().__init__()
        self.url = url.rstrip("/")
        self.name = name
        self.poll_period = poll_period
        self.timeout = timeout
        self.run_timeout = run_timeout
        self.silence_timeout = silence_timeout
        self.lost_after = lost_after
        self.request_id: str | None = None
        #: whether the server answers STATUS (``None``: not asked yet)
        self.status_offered: bool | None = None
        #: the calls the workflow made with the run's token, as the server served them
        self.run_calls = calls if calls is not None else RunCalls()
        self._on_step = on_step
        self._body = dict(body)
        self._wake = threading.Event()
        self._abort_asked = False
        self._abort_sent = False
        #: STATUS said the run ended: no ABORT to send
        self._server_ended = False
        self._thread = threading.Thread(target=self._main, name=f"BES {name}", daemon=True)
        self._thread.start()

    @property
    def calls(self) -> int:
        """The number of calls the workflow made with the run's token."""
        return self.run_calls.calls

    # control --------------------------------------------------------------------------------
    def abort(self) -> None:
        """Stop the run: it ends aborted at once; the engine's thread sends ``GET
        ABORT/<id>`` as soon as the id is known (a RUN may still be pending)."""
        with self._lock:
            if self.done or self._abort_asked:
                return
            self._abort_asked = True
        self.finish(RunResult(ABORTED, "aborted by user"))
        self._wake.set()

    def end(self) -> None:
        """``workflow_end`` from the workflow: the run ends well."""
        self.finish(RunResult(SUCCESS, "workflow ended"))
        self._wake.set()

    def close(self, timeout: float | None = None) -> bool:
        """Abort, then give the engine's thread what is left of ``timeout`` to send its
        ABORT (the process may be about to exit); True when the run has ended."""
        ends = None if timeout is None else time.monotonic() + timeout
        ended = super().close(timeout)
        self._thread.join(None if ends is None else max(ends - time.monotonic(), 0.0))
        return ended

    # the thread -----------------------------------------------------------------------------
    def _main(self) -> None:
        try:
            result = self._run()
        except BesError as exc:
            result = RunResult(FAILED, str(exc))
        except Exception as exc:  # a bug here must still end the run, and abort it at the BES
            log.exception("BES workflow %s: the engine failed", self.name)
            result = RunResult(FAILED, f"the BES engine failed: {type(exc).__name__}: {exc}")
        # the run ends first (its token revoked, the queue goes on), then the ABORT
        if self.finish(result):
            level = logging.INFO if result.status == SUCCESS else logging.WARNING
            log.log(level, "BES workflow %s ended %s: %s", self.name, result.status, result.message)
        ended = self.future.result()
        if ended.status != SUCCESS and self.request_id is not None and not self._server_ended:
            self._send_abort()

    def _run(self) -> RunResult:
        self.request_id = self._start()
        log.info("BES %s: workflow %s started, request %s", self.url, self.name, self.request_id)
        self.run_calls.alive()
        return self._watch()

    def _start(self) -> str:
        where = f"{self.url}/RUN/{quote(self.name)}"
        try:
            _code, text = self._request("POST", where, self._body, self.run_timeout)
        except BesTimeout:
            raise BesError(
                f"BES server at {where} did not answer RUN within {self.run_timeout:g} s: the "
                "workflow may be running at the BES and could not be aborted (no request id); "
                "its calls are refused"
            ) from None
        request_id = _request_id(text)
        if not request_id:
            raise BesError(f"BES server at {where} answered RUN with no request id: {text!r:.80}")
        return request_id

    def _watch(self) -> RunResult:
        """Wait for the end: ``workflow_end``, an abort, STATUS (if offered), silence."""
        reported = ""
        last_answer = time.monotonic()
        failing = False
        while True:
            if self.done:  # workflow_end, or an abort
                return self.future.result()
            if self.status_offered is not False:
                try:
                    status = self._status()
                except BesError as exc:
                    if time.monotonic() - last_answer > self.lost_after:
                        raise BesError(
                            f"{exc}: connection to the BES lost for {self.lost_after:g} s"
                        ) from None
                    # the first failure of an outage is worth a warning; its repeats are not
                    log.log(logging.DEBUG if failing else logging.WARNING, "%s", exc)
                    failing = True
                    status = None
                if status is not None:
                    last_answer, failing = time.monotonic(), False
                    ended = _ENDED.get(status.lower())
                    if ended is not None:
                        self._server_ended = True
                        if reported:
                            self._step(reported, ended)
                        message = f"BES workflow {self.name} {status.lower()}"
                        return RunResult(ended, message, "" if ended == SUCCESS else reported)
                    self.run_calls.alive()  # a running workflow the server vouches for
                    if status and status != reported:
                        if reported:
                            self._step(reported, SUCCESS)
                        reported = status
                        self._step(status, RUNNING)
            silent = self.run_calls.silent_for()
            if silent > self.silence_timeout:
                return RunResult(
                    FAILED,
                    f"BES workflow {self.name} (request {self.request_id}) neither called back "
                    f"nor ended within {self.silence_timeout:g} s",
                )
            self._wake.wait(min(self.poll_period, max(self.silence_timeout - silent, 0.01)))
            self._wake.clear()

    def _status(self) -> str | None:
        """The STATUS answer; ``None`` (and never asked again) when not offered."""
        where = f"{self.url}/STATUS/{quote(self.request_id or '')}"
        try:
            code, text = self._request("GET", where, None, self.timeout, refuse_errors=False)
        except BesError as exc:
            if self.status_offered is None:  # the first ask: not offered, no harm done
                self.status_offered = False
                log.info("BES %s: no STATUS (%s): the end comes from workflow_end", self.url, exc)
                return None
            raise
        if code != 200:
            if self.status_offered is None:
                self.status_offered = False
                log.info(
                    "BES %s does not offer STATUS (HTTP %s): the end comes from workflow_end",
                    self.url,
                    code,
                )
                return None
            raise BesError(f"BES server at {where} answered HTTP {code}")
        status = _status(text)
        if status is None:  # a page (a proxy's, a catch-all's): no STATUS service
            if self.status_offered is None:
                self.status_offered = False
                log.info("BES %s: STATUS answers no status: %.80r", self.url, text)
                return None
            raise BesError(f"BES server at {where} answered STATUS with no status: {text!r:.80}")
        self.status_offered = True
        return status

    def _send_abort(self) -> None:
        with self._lock:
            if self._abort_sent:
                return
            self._abort_sent = True
        where = f"{self.url}/ABORT/{quote(self.request_id or '')}"
        try:
            _code, text = self._request("GET", where, None, self.timeout)
        except BesError as exc:
            log.error("BES workflow %s: the abort was not delivered: %s", self.name, exc)
            return
        log.info("BES workflow %s: ABORT sent: %s", self.name, text.strip()[:200])

    def _request(
        self,
        method: str,
        url: str,
        body: Mapping[str, object] | None,
        deadline: float,
        *,
        refuse_errors: bool = True,
    ) -> tuple[int, str]:
        """``method`` on ``url`` (``body`` sent as JSON): the HTTP status and the text.

        ``deadline`` s for the whole exchange's body as well as for each read, and at most
        :data:`MAX_ANSWER_BYTES` read: a BES that trickles or floods its answer is cut off.
        ``BesError`` saying why it failed (an HTTP error too, with ``refuse_errors``).
        """
        ends = time.monotonic() + deadline
        data = None if body is None else json.dumps(dict(body)).encode()
        headers = {} if body is None else {"Content-Type": "application/json"}
        try:
            response = requests.request(
                method, url, timeout=deadline, data=data, headers=headers, stream=True
            )
        except requests.ReadTimeout:
            raise BesTimeout(f"BES server at {url} did not answer within {deadline:g} s") from None
        except requests.RequestException as exc:
            raise BesError(f"BES server at {url} cannot be reached: {exc}") from None
        try:
            raw = _read_capped(response, ends, url)
        finally:
            response.close()
        text = raw.decode(response.encoding or "utf-8", errors="replace")
        if refuse_errors and response.status_code >= 400:
            raise BesError(
                f"BES server at {url} answered HTTP {response.status_code}: {text.strip()[:200]}"
            )
        return response.status_code, text

    def _step(self, step: str, status: str) -> None:
        try:
            self._on_step(step, status, "")
        except Exception:  # a listener's bug must not stop the watching
            log.exception("BES workflow %s: step callback failed", self.name)


def _read_capped(response: requests.Response, ends: float, url: str) -> bytes:
    """The body of ``response``, read until ``ends`` (monotonic) at the latest and
    :data:`MAX_ANSWER_BYTES` at most; ``BesError`` beyond either."""
    chunks: list[bytes] = []
    size = 0
    try:
        while True:
            if time.monotonic() > ends:
                raise BesTimeout(f"BES server at {url} did not finish its answer in time")
            chunk = response.raw.read1(4096)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise BesError(f"BES server at {url} answered more than {MAX_ANSWER_BYTES} bytes")
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError:
        raise BesTimeout(f"BES server at {url} did not finish its answer in time") from None
    except (requests.RequestException, OSError, urllib3.exceptions.HTTPError) as exc:
        raise BesError(f"BES server at {url} broke off its answer: {exc}") from None


def _request_id(text: str) -> str:
    """The request id a RUN answer gives (text, a JSON string or number, or an object's
    ``request_id`` / ``id``); ``""`` when it gives none that can be one (1 to 128
    characters, no space, ``<`` or ``/``: not a page, not a list)."""
    value = _json_or_text(text)
    if isinstance(value, Mapping):
        value = value.get("request_id", value.get("id", ""))
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    request_id = str(value).strip()
    return request_id if _REQUEST_ID.fullmatch(request_id) else ""


def _status(text: str) -> str | None:
    """The status (or step) a STATUS answer gives; ``None`` when it is not one: longer
    than :data:`MAX_STATUS_CHARS`, or other than a word or a few (a page, say)."""
    value = _json_or_text(text)
    if isinstance(value, Mapping):
        value = value.get("status", "")
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if _STATUS_TEXT.fullmatch(value) else None


def _json_or_text(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()
