"""The local engine: an ewoks graph run in a child process, watched from threads.

The child (``python -m mxgui.core.workflow.runner``, see ``runner.py``) starts in its own
process group, with the XML-RPC address and token in its environment and the inputs
on its stdin. Three daemon threads per run:

- the event reader turns the lines of the child's stdout into ``on_step`` calls;
- the error reader keeps the last lines of its stderr (the reason of a failure) and
  logs them;
- the waiter waits for the process to exit (a ``kill -9`` included: the exit is seen at
  once) and ends the run with what the events and the exit code say.

``end()`` (``workflow_end`` from the workflow) ends the run at once; the process then
has :attr:`LocalRun.end_grace` seconds to exit before it is terminated. ``abort()``
sends SIGTERM to the whole process group, then SIGKILL after
:attr:`LocalRun.kill_grace` seconds; the run ends ``aborted`` when the process is gone,
and what is left of its group then gets SIGKILL. ``close()`` (the GUI quits) aborts
and waits until the process has gone. The child knows its parent
(:data:`ENV_PARENT`): if the GUI dies without closing it, the runner ends its own
process group (see ``runner.py``).
"""

from __future__ import annotations

import collections
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mxgui.core.workflow.events import (
    ABORTED,
    ENV_PARENT,
    FAILED,
    RUNNING,
    SUCCESS,
    RunResult,
    StepCallback,
    WorkflowRun,
    parse_line,
)

log = logging.getLogger(__name__)

#: lines of the child's stderr kept for the failure message
STDERR_LINES = 40
#: how the runner's log lines that are not a failure begin (its format: "LEVEL message")
_PROGRESS_LINES = ("INFO ", "DEBUG ", "WARNING ")


class LocalRun(WorkflowRun):
    """One ewoks graph in a child process (see the module docstring)."""

    def __init__(
        self,
        graph: Path,
        inputs: Mapping[str, object],
        on_step: StepCallback,
        env: Mapping[str, str] | None = None,
        paths: tuple[Path, ...] = (),
        end_grace: float = 5.0,
        kill_grace: float = 3.0,
        python: str = sys.executable,
    ) -> None:
        super().__init__()
        self.graph = Path(graph)
        self.end_grace = end_grace
        self.kill_grace = kill_grace
        self._on_step = on_step
        self._stderr: collections.deque[str] = collections.deque(maxlen=STDERR_LINES)
        self._running_steps: list[str] = []
        self._failed: tuple[str, str] | None = None
        self._end_event: dict[str, Any] | None = None
        self._aborted = False
        self._ended = False
        self._timers: list[threading.Timer] = []
        payload = json.dumps(dict(inputs))
        argv = [python, "-m", "mxgui.core.workflow.runner", str(self.graph)]
        for directory in paths:
            argv += ["--path", str(directory)]
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **dict(env or {}), ENV_PARENT: str(os.getpid())},
            start_new_session=True,  # its own process group: abort reaches its children
            text=True,
            encoding="utf-8",
            errors="replace",
        )
        self.pid = self.process.pid
        name = f"workflow {self.graph.stem} ({self.pid})"
        self._events = threading.Thread(
            target=self._read_events, args=(payload,), name=f"{name} events", daemon=True
        )
        self._errors = threading.Thread(
            target=self._read_errors, name=f"{name} stderr", daemon=True
        )
        self._waiter = threading.Thread(target=self._wait, name=f"{name} waiter", daemon=True)
        for thread in (self._events, self._errors, self._waiter):
            thread.start()

    # control --------------------------------------------------------------------------------
    def abort(self) -> None:
        """Terminate the process group (SIGTERM, then SIGKILL after ``kill_grace``)."""
        with self._lock:
            if self.process.poll() is not None or self._aborted:
                return
            self._aborted = True
        log.info("aborting workflow %s (process %s)", self.graph.stem, self.pid)
        self._signal(signal.SIGTERM)
        self._later(self.kill_grace, signal.SIGKILL)

    def close(self, timeout: float | None = None) -> bool:
        """Abort and wait until the process has gone: SIGKILL to its group when it has
        not exited ``timeout`` s (default :attr:`kill_grace`) after SIGTERM. True
        once it has gone."""
        self.abort()
        grace = self.kill_grace if timeout is None else timeout
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            log.warning(
                "workflow %s (process %s) ignored SIGTERM for %g s: SIGKILL",
                self.graph.stem,
                self.pid,
                grace,
            )
            self._kill_group(signal.SIGKILL)
            try:
                self.process.wait(1.0)
            except subprocess.TimeoutExpired:
                log.error("workflow process %s did not die on SIGKILL", self.pid)
                return False
        return True

    def end(self) -> None:
        """The workflow has ended: the run ends now; the process has ``end_grace`` s."""
        with self._lock:
            self._ended = True
        failed = self._failed
        if failed is not None:
            self.finish(RunResult(FAILED, _step_message(*failed), failed[0]))
        else:
            self.finish(RunResult(SUCCESS, "workflow ended"))
        self._later(self.end_grace, signal.SIGTERM, then_kill=True)

    def _signal(self, sig: int) -> None:
        if self.process.poll() is None:
            self._kill_group(sig)

    def _kill_group(self, sig: int) -> None:
        """``sig`` to the process group (the leader may have exited, members not)."""
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass  # nobody left in the group
        except OSError as exc:
            log.warning("workflow process %s: cannot send signal %s: %s", self.pid, sig, exc)

    def _later(self, delay: float, sig: int, then_kill: bool = False) -> None:
        def fire() -> None:
            if self.process.poll() is not None:
                return
            log.warning(
                "workflow %s (process %s) still running after %g s: signal %s",
                self.graph.stem,
                self.pid,
                delay,
                sig,
            )
            self._signal(sig)
            if then_kill:
                self._later(self.kill_grace, signal.SIGKILL)

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        with self._lock:
            if self.process.poll() is not None:
                return
            self._timers.append(timer)
        timer.start()

    # threads --------------------------------------------------------------------------------
    def _read_events(self, payload: str) -> None:
        stdin = self.process.stdin
        try:
            if stdin is not None:
                stdin.write(payload)
                stdin.close()
        except OSError as exc:  # the child died before reading its inputs
            log.warning("workflow %s: inputs not delivered: %s", self.graph.stem, exc)
        stdout = self.process.stdout
        if stdout is None:
            return
        for line in stdout:
            event = parse_line(line)
            if event is not None:
                self._event(event)

    def _event(self, event: dict[str, Any]) -> None:
        if "end" in event:
            self._end_event = event
            return
        step, status = event["step"], event["status"]
        message = str(event.get("message", ""))
        if status == RUNNING:
            self._running_steps.append(step)
        else:
            if step in self._running_steps:
                self._running_steps.remove(step)
            if status == FAILED and self._failed is None:
                self._failed = (step, message)
        try:
            self._on_step(step, status, message)
        except Exception:  # a listener's bug must not stop the reading of events
            log.exception("workflow %s: step callback failed", self.graph.stem)

    def _read_errors(self) -> None:
        stderr = self.process.stderr
        if stderr is None:
            return
        for line in stderr:
            text = line.rstrip()
            if text:
                self._stderr.append(text)
                log.debug("workflow %s: %s", self.graph.stem, text)

    def _wait(self) -> None:
        code = self.process.wait()
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
        if self._aborted:  # a member that outlived the aborted leader goes too
            self._kill_group(signal.SIGKILL)
        self._events.join(1.0)  # the last events, written before the exit
        self._errors.join(0.5)
        result = self._result(code)
        if not self.finish(result):
            return
        level = logging.INFO if result.status == SUCCESS else logging.WARNING
        log.log(level, "workflow %s ended %s: %s", self.graph.stem, result.status, result.message)

    def _result(self, code: int) -> RunResult:
        if self._aborted:
            return RunResult(ABORTED, "aborted by user")
        end = self._end_event or {}
        if code == 0 and not self._failed and end.get("end", SUCCESS) == SUCCESS:
            return RunResult(SUCCESS, "workflow finished")
        if self._failed is not None:
            step, message = self._failed
            return RunResult(FAILED, _step_message(step, message or self._last_error()), step)
        if end.get("end") == FAILED:
            step = str(end.get("step", ""))
            message = str(end.get("message", "")) or self._last_error()
            return RunResult(FAILED, _step_message(step, message) if step else message, step)
        how = f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        step = self._running_steps[-1] if self._running_steps else ""
        where = f" during step {step}" if step else ""
        error = self._last_error()
        detail = f": {error}" if error else ""
        return RunResult(FAILED, f"the workflow process {how}{where}{detail}", step)

    def _last_error(self) -> str:
        """The last line of stderr that is not a log line of the runner or of ewoks
        below ERROR (``INFO ...``, ``WARNING ...``): a killed process's last line of
        progress says nothing of why it ended."""
        for line in reversed(self._stderr):
            if not line.startswith(_PROGRESS_LINES):
                return line
        return ""


def _step_message(step: str, message: str) -> str:
    return f"step {step} failed: {message}" if step else message
