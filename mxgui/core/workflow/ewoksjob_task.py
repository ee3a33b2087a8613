"""The worker's side of the ``ewoksjob`` engine: the Celery task that runs a workflow.

Loaded by an ewoksjob worker besides ewoksjob's own tasks::

    PYTHONPATH=<mxgui>:<mxgui>/workflows \\
    EWOKS_CONFIG_URI=/etc/ewoks/config.py CELERY_LOADER=ewoksjob.config.EwoksLoader \\
    celery -A ewoksjob.apps.ewoks worker -I mxgui.core.workflow.ewoksjob_task -Q <queue>

(the configuration file sets ``broker_url`` and ``result_backend``: the Redis the GUI's
workflow client names). The task (:data:`~mxgui.core.workflow.ewoksjob.TASK_NAME`) gets
the graph as ewoks JSON, the inputs, the GUI's XML-RPC address and token, and the
heartbeat period. It runs the graph as the local runner does (``runner.run``: each input
to every node that declares it), with the address and token in the environment
(``MXGUI_XMLRPC_URL``, ``MXGUI_XMLRPC_TOKEN``) while it runs: one job at a time per pool
process (prefork or solo pools; not threads). Its step and end events go to a Redis list
of the GUI's backend (sent with the job), and the job's guard (``ewoksjob_guard.py``)
keeps a heartbeat key while it runs (``ewoksjob.py``) and ends the job's process group
(the pool process runs the job in a group of its own) when it is cancelled, its GUI has
gone or its worker has. A job the GUI cancelled before a worker took it is dropped.

This module imports Celery and redis (ewoks when a graph runs): only workers import it,
never the GUI.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import redis
from celery import shared_task

from mxgui.core.workflow.events import ABORTED, ENV_TOKEN, ENV_URL, FAILED, SUCCESS
from mxgui.core.workflow.ewoksjob import (
    KEY_TTL_S,
    TASK_NAME,
    cancel_key,
    events_key,
    heartbeat_key,
    worker_key,
)
from mxgui.core.workflow.ewoksjob_guard import DONE, GuardSettings
from mxgui.core.workflow.runner import EventWriter, run

log = logging.getLogger(__name__)


class RedisLines:
    """A text stream appending each line written to the Redis list ``key``."""

    def __init__(self, client: redis.Redis, key: str) -> None:
        self._client = client
        self._key = key
        self._partial = ""

    def write(self, text: str, /) -> int:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._client.rpush(self._key, line)
            self._client.expire(self._key, KEY_TTL_S)
        return len(text)

    def flush(self) -> None:
        """Lines are pushed as they are written."""


@contextmanager
def own_process_group() -> Iterator[int]:
    """This (pool) process in a process group of its own while the job runs, so that
    ending the job reaches the workflow's subprocesses; the group's id (``0`` when this
    process leads its session, as a solo pool's worker does: no group of its own)."""
    saved = os.getpgrp()
    try:
        os.setpgid(0, 0)
    except OSError as error:
        log.warning("the job keeps the worker's process group: %s", error)
        yield 0
        return
    try:
        yield os.getpid()
    finally:
        try:
            os.setpgid(0, saved)
        except OSError as error:  # the worker's group has gone: it is being killed
            log.warning("the job's process stays in its own group: %s", error)


class JobGuard:
    """The job's guard process (``ewoksjob_guard.py``) while the graph runs: it beats
    the heartbeat and ends the job's process group when the GUI cancels it, stops
    looking, or the worker goes."""

    def __init__(self, client: redis.Redis, settings: GuardSettings) -> None:
        self._client = client
        self.settings = settings
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> JobGuard:
        keys = self.settings
        # the GUI knows the job started before the guard (or the graph) has loaded
        self._client.set(
            heartbeat_key(keys.job_id), keys.beat, px=max(1, int(keys.heartbeat * 1000))
        )
        package_root = str(Path(__file__).resolve().parents[3])
        paths = [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mxgui.core.workflow.ewoksjob_guard"],
            stdin=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
            start_new_session=True,  # out of the job's group: it outlives the job's end
        )
        assert self.process.stdin is not None
        self.process.stdin.write(keys.to_json().encode("utf-8") + b"\n")
        self.process.stdin.flush()
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        process = self.process
        if process is not None and process.stdin is not None:
            try:
                # an exception here is the job's end from outside (a revoke's SIGTERM
                # unwinds the task): without "done" the guard ends the job's whole group
                if kind is None:
                    process.stdin.write(DONE.encode() + b"\n")
                process.stdin.close()
            except OSError as error:  # the guard has gone: it ended the job already
                log.warning("job %s: guard: %s", self.settings.job_id, error)
            try:
                process.wait(self.settings.heartbeat)
            except subprocess.TimeoutExpired:
                log.warning("job %s: the guard did not exit: killed", self.settings.job_id)
                process.kill()
                process.wait()
        try:
            self._client.delete(heartbeat_key(self.settings.job_id))
        except redis.RedisError as error:  # it expires by itself
            log.warning("heartbeat of job %s not removed: %s", self.settings.job_id, error)


@contextmanager
def gui_environment(url: str, token: str) -> Iterator[None]:
    """``MXGUI_XMLRPC_URL`` and ``MXGUI_XMLRPC_TOKEN`` set while the graph runs."""
    saved = {name: os.environ.get(name) for name in (ENV_URL, ENV_TOKEN)}
    os.environ[ENV_URL], os.environ[ENV_TOKEN] = url, token
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Request(Protocol):
    id: str
    hostname: str


class _Conf(Protocol):
    result_backend: str


class _App(Protocol):
    conf: _Conf


class BoundTask(Protocol):
    """What the task uses of itself (a bound Celery task): its request and app."""

    request: _Request
    app: _App


def execute_workflow(
    task: BoundTask,
    graph: Mapping[str, object],
    inputs: dict[str, Any],
    callback: Mapping[str, str],
    heartbeat: float,
    watch: Mapping[str, object] | None = None,
) -> dict[str, str]:
    """Run ``graph`` for the GUI (see the module docstring); the end event as a dict.
    ``RuntimeError`` with the workflow's error when it failed (the job fails).
    ``watch``: the GUI's Redis for events and keys (``backend``: so a worker configured
    with another backend cannot run a job the GUI does not see), ``gui_timeout`` and
    ``kill_grace`` (s) for the guard; without it (an older GUI), the worker's backend."""
    job_id = str(task.request.id)
    options = dict(watch or {})
    backend = str(options.get("backend") or task.app.conf.result_backend)
    client = redis.Redis.from_url(backend)
    try:
        return _execute(
            job_id,
            client,
            backend,
            task.request.hostname,
            graph,
            inputs,
            callback,
            heartbeat,
            options,
        )
    finally:
        client.close()


def _execute(
    job_id: str,
    client: redis.Redis,
    backend: str,
    hostname: str,
    graph: Mapping[str, object],
    inputs: dict[str, Any],
    callback: Mapping[str, str],
    heartbeat: float,
    watch: Mapping[str, object],
) -> dict[str, str]:
    writer = EventWriter(RedisLines(client, events_key(job_id)))
    if client.exists(cancel_key(job_id)):
        writer.end(ABORTED, "cancelled before a worker took it")
        return {"end": ABORTED, "step": "", "message": "cancelled before a worker took it"}
    beat = json.dumps({"worker": str(hostname), "host": socket.gethostname(), "pid": os.getpid()})
    log.info("mxgui workflow job %s: %s", job_id, _graph_id(graph))
    with own_process_group() as group:
        settings = GuardSettings(
            backend=backend,
            job_id=job_id,
            beat=beat,
            heartbeat=heartbeat,
            kill_grace=_seconds(watch.get("kill_grace"), 3.0),
            group=group,
            job_pid=os.getpid(),
            worker_pid=os.getppid() if group else 0,
            gui_timeout=_seconds(watch.get("gui_timeout"), 0.0),
        )
        with JobGuard(client, settings):
            # after the first beat: a name without a beat is a job that has ended or died
            client.set(worker_key(job_id), beat, ex=KEY_TTL_S)
            with gui_environment(str(callback.get("url", "")), str(callback.get("token", ""))):
                code = run(graph, inputs, writer)
    status, message, step = writer.last_end or (FAILED, "the workflow did not end", "")
    if code != 0 or status != SUCCESS:
        raise RuntimeError(f"step {step} failed: {message}" if step else message)
    return {"end": status, "step": step, "message": message}


def _seconds(value: object, default: float) -> float:
    try:
        return float(value) if isinstance(value, (int, float, str)) else default
    except ValueError:
        return default


def _graph_id(graph: Mapping[str, object]) -> str:
    header = graph.get("graph")
    return str(header.get("id", "?")) if isinstance(header, Mapping) else "?"


#: the Celery task: a shared task, so it joins the application the worker runs
#: (ewoksjob's) without this module importing ewoks (and silx with it) when it is imported.
#: Acknowledged when a worker takes it, whatever the site's Celery configuration says
#: (``task_acks_late``, ``task_reject_on_worker_lost``): a job whose worker was lost is
#: never delivered again, to run behind the failed entry
#: (``ignore_result``: the GUI reads the job's events, never Celery's result)
execute_graph = shared_task(
    name=TASK_NAME, bind=True, acks_late=False, reject_on_worker_lost=False, ignore_result=True
)(execute_workflow)
