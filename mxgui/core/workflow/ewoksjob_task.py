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
of the result backend, and a heartbeat key lives while it runs (``ewoksjob.py``). A job
the GUI cancelled before a worker took it is dropped.

This module imports Celery and redis (ewoks when a graph runs): only workers import it,
never the GUI.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
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


class Heartbeat:
    """Sets the job's heartbeat key every ``period / 3`` s, with ``period`` s to live."""

    def __init__(self, client: redis.Redis, key: str, value: str, period: float) -> None:
        self._client = client
        self._key = key
        self._value = value
        self._period = period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="mxgui job heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._set()  # the GUI knows the job started before the graph is even loaded
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self._period)
        try:
            self._client.delete(self._key)
        except redis.RedisError as error:  # it expires by itself
            log.warning("heartbeat %s not removed: %s", self._key, error)

    def _set(self) -> None:
        self._client.set(self._key, self._value, px=max(1, int(self._period * 1000)))

    def _beat(self) -> None:
        while not self._stop.wait(self._period / 3):
            try:
                self._set()
            except redis.RedisError as error:  # Redis back soon, or the GUI sees a loss
                log.warning("heartbeat %s: %s", self._key, error)


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
) -> dict[str, str]:
    """Run ``graph`` for the GUI (see the module docstring); the end event as a dict.
    ``RuntimeError`` with the workflow's error when it failed (the job fails)."""
    job_id = str(task.request.id)
    client = redis.Redis.from_url(str(task.app.conf.result_backend))
    try:
        return _execute(job_id, client, task.request.hostname, graph, inputs, callback, heartbeat)
    finally:
        client.close()


def _execute(
    job_id: str,
    client: redis.Redis,
    hostname: str,
    graph: Mapping[str, object],
    inputs: dict[str, Any],
    callback: Mapping[str, str],
    heartbeat: float,
) -> dict[str, str]:
    writer = EventWriter(RedisLines(client, events_key(job_id)))
    if client.exists(cancel_key(job_id)):
        writer.end(ABORTED, "cancelled before a worker took it")
        return {"end": ABORTED, "step": "", "message": "cancelled before a worker took it"}
    beat = json.dumps({"worker": str(hostname), "host": socket.gethostname(), "pid": os.getpid()})
    log.info("mxgui workflow job %s: %s", job_id, _graph_id(graph))
    with Heartbeat(client, heartbeat_key(job_id), beat, heartbeat):
        # after the first beat: a name without a beat is a job that has ended or died
        client.set(worker_key(job_id), beat, ex=KEY_TTL_S)
        with gui_environment(str(callback.get("url", "")), str(callback.get("token", ""))):
            code = run(graph, inputs, writer)
    status, message, step = writer.last_end or (FAILED, "the workflow did not end", "")
    if code != 0 or status != SUCCESS:
        raise RuntimeError(f"step {step} failed: {message}" if step else message)
    return {"end": status, "step": step, "message": message}


def _graph_id(graph: Mapping[str, object]) -> str:
    header = graph.get("graph")
    return str(header.get("id", "?")) if isinstance(header, Mapping) else "?"


#: the Celery task: a shared task, so it joins the application the worker runs
#: (ewoksjob's) without this module importing ewoks (and silx with it) when it is imported
execute_graph = shared_task(name=TASK_NAME, bind=True)(execute_workflow)
