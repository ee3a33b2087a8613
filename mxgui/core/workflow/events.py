"""What a workflow run reports: step events, its result, and the handle of a run.

The local runner writes one JSON object per line on its event pipe:

- ``{"step": "<node id>", "status": "running"}`` when a step starts;
- ``{"step": "<node id>", "status": "success" | "failed", "message": "..."}`` when it ends;
- ``{"end": "success" | "failed", "step": "<failed step or ''>", "message": "..."}`` last.

Anything else on the pipe is ignored (and logged): a task that writes to it cannot
derail the client.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SUCCESS = "success"
FAILED = "failed"
ABORTED = "aborted"
RUNNING = "running"
#: environment variables the child process gets (the XML-RPC server it calls back)
ENV_URL = "MXGUI_XMLRPC_URL"
ENV_TOKEN = "MXGUI_XMLRPC_TOKEN"
#: the process id of the GUI that started the workflow (the runner ends when it has gone)
ENV_PARENT = "MXGUI_WORKFLOW_PARENT"

#: ``on_step(step, status, message)``, called from the engine's threads
StepCallback = Callable[[str, str, str], None]


@dataclass(frozen=True)
class RunResult:
    """How a workflow run ended: ``status`` (success, failed, aborted), what the user
    reads, and the step that failed (``""`` for none or unknown)."""

    status: str
    message: str = ""
    step: str = ""


class WorkflowRun:
    """One run of one workflow, whatever the engine: :attr:`future` ends with its
    :class:`RunResult`; :meth:`abort` and :meth:`end` (``workflow_end`` from the
    workflow) may be called from any thread, any number of times."""

    def __init__(self) -> None:
        self.future: Future[RunResult] = Future()
        self.future.set_running_or_notify_cancel()
        self._lock = threading.Lock()

    def finish(self, result: RunResult) -> bool:
        """End :attr:`future` with ``result``; False if it had ended already."""
        with self._lock:
            if self.future.done():
                return False
            self.future.set_result(result)
            return True

    @property
    def done(self) -> bool:
        """True once the run has a result."""
        return self.future.done()

    def abort(self) -> None:
        """Stop the workflow; the run ends ``aborted``."""
        raise NotImplementedError

    def end(self) -> None:
        """The workflow said it has ended (XML-RPC ``workflow_end``)."""
        raise NotImplementedError

    def close(self, timeout: float | None = None) -> bool:
        """Abort and wait (at most ``timeout`` s) for the end; True when it has ended."""
        self.abort()
        try:
            self.future.result(timeout)
        except concurrent.futures.TimeoutError:
            return False
        return True


def step_line(step: str, status: str, message: str = "") -> str:
    """The event line of a step that started (``running``) or ended."""
    return json.dumps({"step": step, "status": status, "message": message})


def end_line(status: str, message: str = "", step: str = "") -> str:
    """The last event line: how the whole workflow ended."""
    return json.dumps({"end": status, "step": step, "message": message})


def parse_line(line: str) -> dict[str, Any] | None:
    """An event of :func:`step_line` / :func:`end_line`, or ``None`` for anything else."""
    text = line.strip()
    if not text:
        return None
    try:
        event = json.loads(text)
    except ValueError:
        log.info("workflow event pipe: not an event: %.200s", text)
        return None
    if not isinstance(event, dict):
        return None
    if isinstance(event.get("step"), str) and isinstance(event.get("status"), str):
        return event
    if isinstance(event.get("end"), str):
        return event
    log.info("workflow event pipe: not an event: %.200s", text)
    return None
