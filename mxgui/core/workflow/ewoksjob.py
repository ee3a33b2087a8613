"""The ``ewoksjob`` engine: the workflow's ewoks graph run by a Celery worker (ewoksjob),
Redis as broker and result backend; workers may run on other machines.

The GUI submits the graph (the same ``workflows/*.json`` the local engine runs, sent as
JSON) and the same inputs the local engine gives to the task :data:`TASK_NAME`, which
workers load besides ewoksjob's own (``celery -A ewoksjob.apps.ewoks worker -I
mxgui.core.workflow.ewoksjob_task``, see ``ewoksjob_task.py``). The worker runs the graph
as the local runner does, with the GUI's XML-RPC address and token in the environment:
the workflow reaches the GUI over XML-RPC, as a local one does.

What the GUI watches, from one thread per run, every :attr:`EwoksJobConfig.poll_period`
seconds, in the Redis of the result backend (keys of :func:`events_key`,
:func:`heartbeat_key`, :func:`worker_key`, :func:`cancel_key`; the job writes them to
this backend, whatever the worker's own is), renewing the GUI's key (:func:`gui_key`,
:attr:`EwoksJobConfig.gui_timeout` s to live) with each look:

- the step events the worker appends to a list, one JSON line each (``events.py``); the
  last one says how the graph ended, and ends the run;
- the job's own heartbeat, a key the job's guard (``ewoksjob_guard.py``, a process of
  its own beside the job) sets six times per ``heartbeat`` s with a time to live of
  ``heartbeat`` s (:attr:`EwoksJobConfig.heartbeat`). A key that expires
  (and stays missing for :data:`LOSS_CONFIRM_S`) before the end event is a lost worker
  (killed, its machine down): the run fails with the worker's name (the worker's name
  is also kept in a key set when the job starts: a worker killed before the GUI's first
  look is lost too). The job's own
  heartbeat rather than Celery's worker heartbeats or ``inspect().ping()``: those come
  from the worker's main process (which a solo pool blocks while the job runs, and
  which may outlive a pool process killed under the job), and Celery's default makes a
  worker dead only after 2 missed heartbeats of 2 s, past the 5 s allowed;
- a job that no worker took within :attr:`EwoksJobConfig.start_timeout` s fails saying
  so (is a worker running on that queue and broker?), and is cancelled.

:meth:`EwoksJobRun.abort` sets the job's cancel key (a worker that takes it later drops
it; the guard of a running job ends the job's process group, SIGTERM then SIGKILL after
``kill_grace`` s) and revokes it with SIGTERM (``terminate``), then with SIGKILL after
``kill_grace`` s; the run ends ``aborted`` once the job's heartbeat has gone, at the
latest ``kill_grace + heartbeat`` s after the stop. A run that ends any other way before
the job's own end (lost, Redis out of reach, start timeout, ``end_grace`` over after
``workflow_end``) sets the cancel key and revokes the job too: no job runs on
unwatched; and a job whose GUI stopped looking (it died) is ended by its guard. A job is
acknowledged when a worker takes it (Celery's default), so a lost worker's job is never
run again elsewhere behind the user's back (the task pins it, whatever the site's Celery
configuration says: ``ewoksjob_task.py``).

Celery, ewoksjob and redis are imported when the first run starts (the GUI's start-up
never pays for them).
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from mxgui.core.workflow.events import (
    ABORTED,
    FAILED,
    RUNNING,
    SUCCESS,
    RunResult,
    StepCallback,
    WorkflowRun,
    parse_line,
)

if TYPE_CHECKING:  # imported with the first run
    import redis

log = logging.getLogger(__name__)

#: the Celery task the workers run (``ewoksjob_task.py``)
TASK_NAME = "mxgui.workflow.execute_graph"
#: seconds events and cancel keys stay in Redis after they were last written
KEY_TTL_S = 24 * 3600
#: seconds a heartbeat must stay missing before the worker counts as lost (at most a
#: third of the heartbeat): a guard stalled by a loaded machine a little past the key's
#: life is not a loss. A lost machine is noticed ``heartbeat`` + this + a poll period
#: after its last beat (3 + 1 + 0.25 s by default, within the 5 s allowed)
LOSS_CONFIRM_S = 1.0


def events_key(job_id: str) -> str:
    """The Redis list of the job's event lines."""
    return f"mxgui:workflow:{job_id}:events"


def heartbeat_key(job_id: str) -> str:
    """The Redis key that exists while the job runs (``{"worker", "host", "pid"}``)."""
    return f"mxgui:workflow:{job_id}:heartbeat"


def worker_key(job_id: str) -> str:
    """The Redis key naming the worker that took the job (set once, when it starts)."""
    return f"mxgui:workflow:{job_id}:worker"


def cancel_key(job_id: str) -> str:
    """The Redis key the GUI sets when it stops the job, or its run ended without the
    job's own end: the job's guard then ends it (``ewoksjob_guard.py``)."""
    return f"mxgui:workflow:{job_id}:cancel"


def gui_key(job_id: str) -> str:
    """The Redis key the GUI's watcher renews with each look (``gui_timeout`` s to
    live): the job's guard ends a job whose GUI stopped looking."""
    return f"mxgui:workflow:{job_id}:gui"


class _Control(Protocol):
    def revoke(self, task_id: str, terminate: bool = ..., signal: str = ...) -> object: ...


class CeleryApp(Protocol):
    """What the engine uses of a ``celery.Celery`` application."""

    control: _Control

    def send_task(self, name: str, args: tuple[object, ...], **options: object) -> object: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class EwoksJobConfig:
    """Where the workers are: the broker and result backend (Redis URLs, the backend's
    database also holding the events and heartbeats), the queue, and how the GUI
    watches a job (seconds)."""

    broker: str
    backend: str
    queue: str = "celery"
    heartbeat: float = 3.0
    start_timeout: float = 60.0
    poll_period: float = 0.25
    #: seconds the job runs on without a look from the GUI (it died, or Redis is out
    #: of reach): its guard then ends it
    gui_timeout: float = 10.0

    def problem(self) -> str:
        """What is wrong with this configuration (``""`` for nothing)."""
        for what, url in (("broker", self.broker), ("backend", self.backend)):
            if not url.startswith(("redis://", "rediss://", "unix://")):
                return f"the {what} must be a Redis URL (redis://HOST:PORT/DB), not {url!r}"
        if not self.queue.strip():
            return "the queue name is empty"
        if min(self.heartbeat, self.start_timeout, self.poll_period, self.gui_timeout) <= 0:
            return "heartbeat, start timeout, poll period and GUI timeout must be above 0 s"
        if self.gui_timeout <= self.poll_period:
            return "the GUI timeout must be longer than the poll period"
        return ""


class EwoksJobRun(WorkflowRun):
    """One workflow as one ewoksjob job (see the module docstring)."""

    def __init__(
        self,
        graph: Path,
        inputs: Mapping[str, object],
        on_step: StepCallback,
        config: EwoksJobConfig,
        callback: tuple[str, str],
        end_grace: float = 5.0,
        kill_grace: float = 3.0,
    ) -> None:
        super().__init__()
        problem = config.problem()
        if problem:
            raise ValueError(f"ewoksjob engine: {problem}")
        self.graph = Path(graph)
        self.config = config
        self.end_grace = end_grace
        self.kill_grace = kill_grace
        #: the Celery task id (also the ewoks job id on the worker)
        self.job_id = str(uuid.uuid4())
        #: the worker running the job, from its heartbeat (``""`` until it started)
        self.worker = ""
        self._on_step = on_step
        self._payload = (dict(inputs), {"url": callback[0], "token": callback[1]})
        self._wake = threading.Event()
        self._aborted = False
        self._ended_at: float | None = None
        self._failed: tuple[str, str] | None = None
        self._running_steps: list[str] = []
        self._events_read = 0
        self._submitted = 0.0
        self._abort_sent: float | None = None
        self._killed = False
        self._beat_missing_since: float | None = None
        self._end_read = False
        #: seconds the heartbeat must stay missing before the worker counts as lost
        self._loss_confirm = min(LOSS_CONFIRM_S, config.heartbeat / 3)
        self._thread = threading.Thread(
            target=self._watch, name=f"workflow {self.graph.stem} (ewoksjob)", daemon=True
        )
        self._thread.start()

    # control --------------------------------------------------------------------------------
    def abort(self) -> None:
        """Cancel the job: the watcher revokes it (terminate), the run ends aborted."""
        with self._lock:
            if self.future.done() or self._aborted:
                return
            self._aborted = True
        log.info("aborting workflow %s (ewoksjob job %s)", self.graph.stem, self.job_id)
        self._wake.set()

    def end(self) -> None:
        """The workflow has ended: the run ends now; the job has ``end_grace`` s."""
        failed = self._failed
        if failed is not None:
            self.finish(RunResult(FAILED, _step_message(*failed), failed[0]))
        else:
            self.finish(RunResult(SUCCESS, "workflow ended"))
        with self._lock:
            self._ended_at = time.monotonic()
        self._wake.set()

    # the watcher ---------------------------------------------------------------------------
    def _watch(self) -> None:
        try:
            graph = json.loads(self.graph.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self._fail(f"the workflow graph {self.graph} cannot be read: {exc}")
            return
        app: CeleryApp | None = None
        client: redis.Redis | None = None
        try:
            app, client = self._connect()
            try:
                self._renew_gui_key(client)
                self._submit(app, graph)
            except Exception as exc:  # kombu's and redis' errors: the broker said no
                self._fail(
                    f"the workflow could not be submitted to {_safe_url(self.config.broker)}: "
                    f"{type(exc).__name__}: {exc}"
                )
                return
            self._follow(app, client)
            self._forget(client)
        except Exception as exc:  # a bug: the entry fails, saying why, and it is logged
            log.exception("workflow %s: ewoksjob job %s", self.graph.stem, self.job_id)
            self._fail(f"ewoksjob: {type(exc).__name__}: {exc}")
            if app is not None and client is not None:
                self._end_job(app, client)
        finally:
            if app is not None:
                app.close()
            if client is not None:
                client.close()

    def _forget(self, client: redis.Redis) -> None:
        """The job's own end was read: nothing reads its events, name and GUI key again
        (the cancel key stays: a redelivered copy of a cancelled job is dropped)."""
        import redis

        if not self._end_read:
            return
        try:
            client.delete(events_key(self.job_id), worker_key(self.job_id), gui_key(self.job_id))
        except (redis.RedisError, OSError) as exc:  # they expire after KEY_TTL_S
            log.warning("workflow %s: keys of job %s kept: %s", self.graph.stem, self.job_id, exc)

    def _renew_gui_key(self, client: redis.Redis) -> None:
        ttl_ms = max(1, int(self.config.gui_timeout * 1000))
        client.set(gui_key(self.job_id), "1", px=ttl_ms)

    def _end_job(self, app: CeleryApp, client: redis.Redis, signal: str = "SIGKILL") -> None:
        """The run ended without the job's own end: the job must not run on unwatched.
        The cancel key (its guard ends its process group) and a revoke with SIGKILL
        (a broadcast, which a worker may miss); best effort when Redis is away: the
        guard then ends the job once the GUI's key has expired."""
        import redis

        log.warning("workflow %s: ending ewoksjob job %s", self.graph.stem, self.job_id)
        try:
            client.set(cancel_key(self.job_id), "1", ex=KEY_TTL_S)
            client.delete(gui_key(self.job_id))
        except (redis.RedisError, OSError) as exc:
            log.warning("workflow %s: job %s not cancelled: %s", self.graph.stem, self.job_id, exc)
        try:
            app.control.revoke(self.job_id, terminate=True, signal=signal)
        except Exception as exc:  # kombu's errors: the broker is away
            log.warning("workflow %s: job %s not revoked: %s", self.graph.stem, self.job_id, exc)

    def _connect(self) -> tuple[CeleryApp, redis.Redis]:
        import redis
        from celery import Celery

        # no result backend: its subscription retries for 20 s when Redis is away, and the
        # job's events and heartbeat say more than its Celery state
        app = Celery("mxgui", broker=self.config.broker)
        app.conf.update(
            task_serializer="json",
            result_serializer="json",
            accept_content=["json"],
            broker_connection_timeout=self.config.heartbeat,
        )
        client = redis.Redis.from_url(
            self.config.backend, socket_timeout=self.config.heartbeat, health_check_interval=30
        )
        return app, client

    def _submit(self, app: CeleryApp, graph: object) -> None:
        inputs, callback = self._payload
        watch = {
            "backend": self.config.backend,
            "gui_timeout": self.config.gui_timeout,
            "kill_grace": self.kill_grace,
        }
        app.send_task(
            TASK_NAME,
            args=(graph, inputs, callback, self.config.heartbeat, watch),
            queue=self.config.queue,
            task_id=self.job_id,
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        )
        log.info(
            "workflow %s submitted as ewoksjob job %s to queue %s",
            self.graph.stem,
            self.job_id,
            self.config.queue,
        )

    def _follow(self, app: CeleryApp, client: redis.Redis) -> None:
        """Look every ``poll_period`` s until the run has ended; Redis out of reach for
        ``heartbeat`` s fails it (the job's fate can no longer be known)."""
        import redis

        self._submitted = time.monotonic()
        unreachable_since: float | None = None
        while True:
            try:
                if self._look(app, client):
                    return
                unreachable_since = None
            except (redis.RedisError, OSError) as exc:
                now = time.monotonic()
                if unreachable_since is None:
                    unreachable_since = now
                    log.warning("workflow %s: Redis: %s", self.graph.stem, exc)
                if now - unreachable_since > self.config.heartbeat:
                    self._fail(
                        f"the Redis of the workers ({_safe_url(self.config.backend)}) cannot "
                        f"be reached for {self.config.heartbeat:g} s: {exc}; job {self.job_id} "
                        f"on {self.worker or 'no worker yet'} is ended by its guard within "
                        f"{self.config.gui_timeout:g} s"
                    )
                    self._end_job(app, client)
                    return
            self._wake.wait(self.config.poll_period)
            self._wake.clear()

    def _look(self, app: CeleryApp, client: redis.Redis) -> bool:
        """One look at the job; True once the run has ended (or needs no more looks)."""
        self._renew_gui_key(client)
        if self._read_events(client):
            return True  # the worker's last word
        beat = client.get(heartbeat_key(self.job_id))
        if not self.worker:  # a worker may take the job and die between two looks
            taken = beat if beat is not None else client.get(worker_key(self.job_id))
            if taken is not None:
                self.worker = _worker_of(taken)
                log.info("workflow %s runs on %s", self.graph.stem, self.worker)
                if beat is None:  # the name is set after the first beat: look again
                    beat = client.get(heartbeat_key(self.job_id))
        now = time.monotonic()
        if self._aborted:
            return self._look_aborting(app, client, beat is not None, now)
        if beat is not None:
            self._beat_missing_since = None
        elif self.worker:
            if self._read_events(client):
                return True  # it ended between the two reads
            if self._beat_missing_since is None:
                self._beat_missing_since = now
            if now - self._beat_missing_since < self._loss_confirm:
                return False  # a guard stalled a little past the key's life: look again
            self._lost()
            self._end_job(app, client)
            return True
        if beat is None and now - self._submitted > self.config.start_timeout:
            self._not_taken(app, client)
            return True
        ended_at = self._ended_at
        if ended_at is not None and now - ended_at > self.end_grace:
            log.warning(
                "workflow %s: job %s still running %g s after workflow_end: revoked",
                self.graph.stem,
                self.job_id,
                self.end_grace,
            )
            self._end_job(app, client, "SIGTERM")  # its guard sends SIGKILL after kill_grace
            return True
        return False

    def _look_aborting(
        self, app: CeleryApp, client: redis.Redis, beating: bool, now: float
    ) -> bool:
        """Cancel and revoke (SIGTERM, then SIGKILL after ``kill_grace``); True once the
        job's heartbeat has gone, or ``kill_grace + heartbeat`` s after the stop."""
        if self._abort_sent is None:
            self._abort_sent = now
            client.set(cancel_key(self.job_id), "1", ex=KEY_TTL_S)
            app.control.revoke(self.job_id, terminate=True, signal="SIGTERM")
        elif beating and not self._killed and now - self._abort_sent > self.kill_grace:
            self._killed = True
            log.warning(
                "workflow %s: job %s ignored SIGTERM: SIGKILL", self.graph.stem, self.job_id
            )
            app.control.revoke(self.job_id, terminate=True, signal="SIGKILL")
        if beating and now - self._abort_sent <= self.kill_grace + self.config.heartbeat:
            return False
        self._abort_done(not beating)
        return True

    def _read_events(self, client: redis.Redis) -> bool:
        """Hand on the new event lines; True once the end event came."""
        lines = client.lrange(events_key(self.job_id), self._events_read, -1)
        self._events_read += len(lines)
        for raw in lines:
            event = parse_line(_text(raw))
            if event is None:
                continue
            if "end" in event:
                self._finish_with(event)
                return True
            self._step(event)
        return False

    def _step(self, event: dict[str, Any]) -> None:
        step, status = str(event["step"]), str(event["status"])
        message = str(event.get("message", ""))
        if status == RUNNING:
            self._running_steps.append(step)
        elif step in self._running_steps:
            self._running_steps.remove(step)
        if status == FAILED and self._failed is None:
            self._failed = (step, message)
        if self.future.done():  # ended (workflow_end): the client has closed the run
            log.debug("workflow %s: step %s %s after the end", self.graph.stem, step, status)
            return
        try:
            self._on_step(step, status, message)
        except Exception:  # a listener's bug must not stop the watching
            log.exception("workflow %s: step callback failed", self.graph.stem)

    def _finish_with(self, end: dict[str, Any]) -> None:
        self._end_read = True
        if self._aborted:
            self._abort_done(True)
            return
        if end.get("end") == SUCCESS:
            result = RunResult(SUCCESS, "workflow finished")
        else:
            step = str(end.get("step", ""))
            message = str(end.get("message", "")) or "the workflow failed"
            result = RunResult(FAILED, _step_message(step, message), step)
        self._log_end(result)

    def _abort_done(self, confirmed: bool) -> None:
        message = "aborted by user"
        if not confirmed:
            message += f" (the worker {self.worker} did not confirm the end of the job)"
        self._log_end(RunResult(ABORTED, message))

    def _lost(self) -> None:
        step = self._running_steps[-1] if self._running_steps else ""
        during = f" during step {step}" if step else ""
        self._fail(
            f"the worker {self.worker or '?'} running the workflow was lost{during}: "
            f"its heartbeat key ({self.config.heartbeat:g} s to live) has been missing for "
            f"{self._loss_confirm:g} s; the job is ended",
            step,
        )

    def _not_taken(self, app: CeleryApp, client: redis.Redis) -> None:
        self._end_job(app, client)
        self._fail(
            f"no worker took the job within {self.config.start_timeout:g} s: is a worker "
            f"(celery -A ewoksjob.apps.ewoks worker -I mxgui.core.workflow.ewoksjob_task) "
            f"running on queue {self.config.queue!r} of {_safe_url(self.config.broker)}, "
            f"with {_safe_url(self.config.backend)} as its backend? Or a worker that had "
            f"reserved it was lost (Redis gives such a job back only "
            f"after the broker's visibility_timeout; the job is cancelled)"
        )

    def _fail(self, message: str, step: str = "") -> None:
        self._log_end(RunResult(FAILED, message, step))

    def _log_end(self, result: RunResult) -> None:
        if not self.finish(result):
            return
        level = logging.INFO if result.status != FAILED else logging.WARNING
        log.log(level, "workflow %s ended %s: %s", self.graph.stem, result.status, result.message)


def _worker_of(beat: bytes | str) -> str:
    """``worker (pid N)`` from a heartbeat's value."""
    try:
        value = json.loads(beat)
        return f"{value['worker']} (pid {value['pid']})"
    except (ValueError, KeyError, TypeError):
        return _text(beat)[:200]


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _safe_url(url: str) -> str:
    """``url`` without a password (``redis://:secret@host`` -> ``redis://:***@host``)."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def _step_message(step: str, message: str) -> str:
    return f"step {step} failed: {message}" if step else message
