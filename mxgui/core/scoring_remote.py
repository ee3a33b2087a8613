"""Mesh scoring on the workers of the ``ewoksjob`` engine (Qt-free; ewoksjob imported lazily).

When the workflow client's XML names an ewoksjob broker (``ewoksjob_broker``, with
``ewoksjob_backend`` and the queue), the mesh scorer (``MeshScorer`` in
``mxgui/core/queue/entries/mesh.py``) hands its images to a :class:`RemoteScoring`
instead of scoring them in the GUI's process: images go in batches of
:data:`BATCH_SIZE` as ewoks jobs (ewoksjob's ``submit``, the one-node graph
:data:`mxscore.ewoks_tasks.BATCH_GRAPH`) to the same Celery workers that run the
workflows, up to :data:`MAX_IN_FLIGHT` batches at once so that every worker has one
running and one waiting (when that many are in flight, the workers are asked their
pool sizes, once a mesh: a cluster gets two jobs in flight per pool process). Each
batch's scores come back as soon as its job has ended and are handed on in the
scorer's thread, so the grid is coloured batch by batch.

Why a batch: a job costs Celery and ewoks a fixed time (sending, the worker taking it,
the graph, the result; measured by ``benchmarks/scoring_scale.py``) whatever its size;
:data:`BATCH_SIZE` images make that a few per cent of a 1M image's scoring time while
a batch still colours the grid within a fraction of a second. A partial batch is sent
once its oldest image has waited :data:`MAX_WAIT` s (a slow acquisition) or the
acquisition has ended.

Nothing is lost. The states of the jobs in flight are read in one round trip per poll
(the result backend's ``get_many``, a Redis MGET). A job not ended after
:data:`CHECK_PERIOD` s makes the scorer ask the workers which jobs they run (Celery's
``inspect().active()``; again every :data:`CHECK_PERIOD` s while such a job lasts):

- none answers, twice in a row: the jobs in flight and the rest of the mesh are scored
  here;
- a worker answers that runs the job: it goes on;
- a worker answers idle while none runs the job: the job went with a worker that has
  gone (it had taken or prefetched it; Celery acknowledges a job when it starts, so
  the broker never gives it to another), or waits behind another's prefetched jobs:
  it is revoked and sent again, once; lost twice, it is scored here;
- every worker busy with other jobs while nothing of the mesh ended for
  :data:`START_TIMEOUT` s (a workflow waiting for this very mesh holds the only
  worker, say): the job is revoked and scored here, and so is the rest of the mesh.

A job that failed (an exception on the worker, revoked), a job not done after
:data:`JOB_TIMEOUT` s, and every batch that cannot be sent (the broker is down; then
the rest of the mesh too) are scored here.

Each of these is logged with the job and the reason; the scorer logs at the end how many
images each worker scored and how many were scored here.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mxgui.core.workflow.ewoksjob import EwoksJobConfig
from mxscore.scoring import assess_image

log = logging.getLogger(__name__)

#: images per job (see the module docstring for why)
BATCH_SIZE = 16
#: batches sent and not yet answered, at most (two per worker on a two-worker machine)
MAX_IN_FLIGHT = 4
#: seconds the oldest image of a partial batch waits before the batch is sent anyway
MAX_WAIT = 0.25
#: seconds between two looks at the jobs in flight
POLL_PERIOD = 0.02
#: seconds a job may run before the workers are asked whether one runs it (and between
#: two such questions): a job of 16 4M images takes about 1.8 s on a worker here
CHECK_PERIOD = 2.0
#: seconds a job may wait for a worker while no other job of the mesh ends
START_TIMEOUT = 5.0
#: seconds the workers have to say which jobs they run (answers take up to 0.5 s on a
#: loaded two-core machine)
INSPECT_TIMEOUT = 1.0
#: how Celery's result backend retries a lost connection (a second, not 20)
BACKEND_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
#: seconds after which a job not yet ended is given up and its images scored locally
JOB_TIMEOUT = 60.0

#: what the scorer is told for each image: (index, path, score, spots)
ScoredSink = Callable[[int, str, float, int], None]
#: what the scorer is told for an image that cannot be read: (index, path, reason)
UnreadableSink = Callable[[int, str, str], None]


def settings_of(client: object) -> EwoksJobConfig | None:
    """The ewoksjob configuration of the workflow client ``client`` (its
    ``ewoksjob_config()``: the properties ``ewoksjob_broker``, ``ewoksjob_backend`` and
    ``ewoksjob_queue`` the ewoksjob engine reads), or ``None`` when it names no broker
    (then the GUI scores by itself)."""
    read = getattr(client, "ewoksjob_config", None)
    if read is None:
        return None
    config = read()
    if not isinstance(config, EwoksJobConfig) or not config.broker:
        return None
    return config


@dataclass
class Batch:
    """One job: the images it scores (index, path), when it was sent, its job id."""

    items: list[tuple[int, str]]
    resent: bool = False
    job_id: str = ""
    sent: float = field(default_factory=time.monotonic)
    check_at: float = 0.0


@dataclass
class RemoteTally:
    """What the workers did for one mesh: jobs, images per worker, images scored here."""

    jobs: list[str] = field(default_factory=list)
    by_worker: dict[str, int] = field(default_factory=dict)
    local: int = 0
    reasons: list[str] = field(default_factory=list)
    #: seconds the workers spent scoring (their own measure, Celery's and ewoks' excluded)
    worker_seconds: float = 0.0

    def summary(self) -> str:
        """One line for the log."""
        workers = ", ".join(f"{w}: {n}" for w, n in sorted(self.by_worker.items()))
        text = f"{sum(self.by_worker.values())} images scored by workers ({workers or 'none'})"
        text += f" in {len(self.jobs)} jobs, {self.local} locally"
        if self.reasons:
            text += f" ({self.reasons[0]}" + (
                f"; and {len(self.reasons) - 1} more)" if len(self.reasons) > 1 else ")"
            )
        return text


_apps: dict[tuple[str, str], Any] = {}
_apps_lock = threading.Lock()


# Any: a celery.Celery (celery has no type information; imported by name on first use)
def celery_app(settings: EwoksJobConfig) -> Any:
    """The Celery application (client side) on the broker and backend of ``settings``:
    one per broker and backend for the process, made on first use and kept (it holds
    the connections)."""
    key = (settings.broker, settings.backend)
    with _apps_lock:
        app = _apps.get(key)
        if app is None:
            celery = importlib.import_module("celery")
            app = celery.Celery(
                "mxgui-scoring",
                broker=settings.broker,
                backend=settings.backend,
                set_as_current=False,
            )
            # a broker or backend that is down fails a send within about a second (by
            # default the backend retries for 20 s, the mesh's images waiting)
            app.conf.update(
                broker_connection_timeout=2.0,
                broker_connection_max_retries=2,
                result_backend_transport_options={"retry_policy": BACKEND_RETRY},
            )
            _apps[key] = app
        return app


def forget_app(settings: EwoksJobConfig) -> None:
    """Drop the application of ``settings`` (after a connection failure, which leaves
    Celery's result consumer unusable): the next use makes a new one."""
    with _apps_lock:
        _apps.pop((settings.broker, settings.backend), None)


def submit_batch(settings: EwoksJobConfig, paths: list[str]) -> str:
    """Send ``paths`` as one ewoks job (ewoksjob's ``submit`` of
    :data:`mxscore.ewoks_tasks.BATCH_GRAPH`) through :func:`celery_app`; the job's id."""
    from mxscore.ewoks_tasks import BATCH_GRAPH, NODE_ID

    celery_app(settings).set_current()  # ewoksjob sends with Celery's current app (of this thread)
    client = importlib.import_module("ewoksjob.client")
    future = client.submit(
        args=(BATCH_GRAPH,),
        kwargs={
            "inputs": [{"id": NODE_ID, "name": "paths", "value": paths}],
            "outputs": [{"all": False}],
        },
        queue=settings.queue,
    )
    return str(future.uuid)


class RemoteScoring:
    """Sends a mesh's images to the ewoksjob workers in batches and reports each score
    to ``on_scored`` (``on_unreadable`` for an image that cannot be read), in the
    calling thread (see the module docstring).

    The caller (one thread) calls :meth:`add` per image and :meth:`poll` often (every
    :data:`POLL_PERIOD` s), with ``ending=True`` once no image will come; :attr:`idle`
    says when every image has been answered.
    """

    def __init__(
        self,
        settings: EwoksJobConfig,
        on_scored: ScoredSink,
        on_unreadable: UnreadableSink,
        what: str = "mesh scan",
        batch_size: int = BATCH_SIZE,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self.settings = settings
        self.on_scored = on_scored
        self.on_unreadable = on_unreadable
        self.what = what
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.tally = RemoteTally()
        self._pending: list[tuple[int, str]] = []
        self._oldest = 0.0
        self._in_flight: list[Batch] = []
        self._app: Any = None  # a celery.Celery, made when the first batch is sent
        self._progress_at = 0.0  # when a job of this mesh last ended
        self._silent = False  # no worker answered the last question
        self._sized = False  # max_in_flight set from the workers' pool sizes
        #: why the workers are no longer used for this mesh ("" while they are)
        self.given_up = ""

    @property
    def idle(self) -> bool:
        """Every image added has been answered."""
        return not self._pending and not self._in_flight

    def add(self, index: int, path: str) -> None:
        """Image ``index`` (the scorer's numbering) at ``path``, to score."""
        if not self._pending:
            self._oldest = time.monotonic()
        self._pending.append((index, path))

    def poll(self, ending: bool = False) -> None:
        """Send what is due, hand on what came back, score lost batches here."""
        self._collect()
        now = time.monotonic()
        while self._pending and (
            len(self._pending) >= self.batch_size or ending or now - self._oldest >= MAX_WAIT
        ):
            if self.given_up:
                self._score_locally(self._take(), "")
            elif len(self._in_flight) >= self.max_in_flight:
                if not self._sized:
                    self._size_pipeline()
                if len(self._in_flight) >= self.max_in_flight:
                    break
            else:
                self._send(self._take())
        self._check_lost(now)

    def abandon(self) -> list[tuple[int, str]]:
        """Give up the workers: revoke the jobs in flight; the images not yet answered
        (the caller scores them)."""
        items = [item for batch in self._in_flight for item in batch.items] + self._pending
        for batch in self._in_flight:
            self._revoke(batch)
        self._in_flight.clear()
        self._pending = []
        return items

    # sending ---------------------------------------------------------------------------------
    def _take(self) -> list[tuple[int, str]]:
        items, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
        self._oldest = time.monotonic()
        return items

    def _send(self, items: list[tuple[int, str]], resent: bool = False) -> None:
        batch = Batch(items, resent=resent)
        try:
            if self._app is None:
                self._app = celery_app(self.settings)
            batch.job_id = submit_batch(self.settings, [p for _, p in items])
        except Exception as exc:  # noqa: BLE001 - kombu / redis / celery raise many kinds
            forget_app(self.settings)
            self._give_up(f"cannot send to the broker {self.settings.broker}: {_reason(exc)}")
            self._score_locally(items, "")
            return
        batch.check_at = batch.sent + CHECK_PERIOD
        self.tally.jobs.append(batch.job_id)
        self._in_flight.append(batch)

    # what came back --------------------------------------------------------------------------
    def _collect(self) -> None:
        if not self._in_flight:
            return
        by_id = {batch.job_id: batch for batch in self._in_flight}
        try:
            # one round trip (a Redis MGET) for every job in flight: the ended ones
            ended = list(self._app.backend.get_many(list(by_id), interval=0, max_iterations=1))
        except Exception as exc:  # noqa: BLE001 - the backend unreachable: lost jobs later
            log.debug("%s: the jobs' states cannot be read: %s", self.what, _reason(exc))
            return
        for job_id, meta in ended:
            self._progress_at = time.monotonic()
            batch = by_id[job_id]
            self._in_flight.remove(batch)
            state = meta.get("status") if isinstance(meta, dict) else None
            result = meta.get("result") if isinstance(meta, dict) else None
            if state == "SUCCESS":
                self._hand_on(batch, result)
            else:
                reason = f"job {batch.job_id} ended {state}: {_reason(result)}"
                self._score_locally(batch.items, reason)

    def _hand_on(self, batch: Batch, outputs: object) -> None:
        results = outputs.get("results") if isinstance(outputs, dict) else None
        worker = outputs.get("worker") if isinstance(outputs, dict) else None
        if not isinstance(results, list) or len(results) != len(batch.items):
            reason = f"job {batch.job_id} answered no scores for its {len(batch.items)} images"
            self._score_locally(batch.items, reason)
            return
        name = str(worker or "a worker")
        self.tally.by_worker[name] = self.tally.by_worker.get(name, 0) + len(batch.items)
        seconds = outputs.get("seconds") if isinstance(outputs, dict) else None
        if isinstance(seconds, (int, float)):
            self.tally.worker_seconds += float(seconds)
        log.debug("%s: job %s on %s scored %d images", self.what, batch.job_id, name, len(results))
        for (index, path), result in zip(batch.items, results, strict=True):
            if isinstance(result, list) and len(result) == 2:
                self.on_scored(index, path, float(result[0]), int(result[1]))
            else:
                self.on_unreadable(index, path, str(result))

    # lost jobs ------------------------------------------------------------------------------
    def _check_lost(self, now: float) -> None:
        due = [b for b in self._in_flight if now >= b.check_at]
        if not due:
            return
        for batch in due:
            batch.check_at = now + CHECK_PERIOD
        active = self._active()
        silent, self._silent = self._silent, active is not None and not active
        if self._silent and not silent:
            active = None  # asked again at the next check before anything is given up
        elif self._silent:
            self._give_up("no worker answers")
            for batch in list(self._in_flight):
                self._in_flight.remove(batch)
                self._revoke(batch)
                self._score_locally(batch.items, f"job {batch.job_id}: no worker answers")
            return
        idle = sorted(w for w, jobs in (active or {}).items() if not jobs)
        for batch in due:
            if batch not in self._in_flight:
                continue  # ended meanwhile, or given up with another
            if now - batch.sent >= JOB_TIMEOUT:
                self._lost(batch, f"not done after {JOB_TIMEOUT:.0f} s")
            elif active is not None and any(batch.job_id in jobs for jobs in active.values()):
                continue  # a worker that answers runs it
            elif idle:
                # a worker waits for work while none runs this job: it went with a
                # worker that has gone (taken or prefetched), or waits behind another's
                self._lost(batch, f"no worker runs it while {idle[0]} is idle", resend=True)
            elif now - max(batch.sent, self._progress_at) >= START_TIMEOUT:
                # nothing of this mesh started or ended meanwhile: the workers are busy
                # with other jobs (a workflow waiting for this very mesh, say) or gone
                self._lost(batch, f"no worker took it in {START_TIMEOUT:.0f} s")
                self._give_up(f"no worker took a job in {START_TIMEOUT:.0f} s")

    def _size_pipeline(self) -> None:
        """Once the jobs in flight fill :attr:`max_in_flight`: raise it to two jobs per
        pool process of the workers that answer (a cluster of many), so each has one
        running and one waiting."""
        self._sized = True
        try:
            stats = self._app.control.inspect(timeout=INSPECT_TIMEOUT).stats() or {}
        except Exception as exc:  # noqa: BLE001 - the broker unreachable: lost jobs later
            log.debug("%s: cannot ask the workers: %s", self.what, _reason(exc))
            return
        processes = 0
        for answer in stats.values():
            pool = answer.get("pool") if isinstance(answer, dict) else None
            size = pool.get("max-concurrency") if isinstance(pool, dict) else None
            processes += size if isinstance(size, int) and size > 0 else 1
        if 2 * processes > self.max_in_flight:
            self.max_in_flight = 2 * processes
            log.info(
                "%s: %d worker processes answer: up to %d jobs in flight",
                self.what,
                processes,
                self.max_in_flight,
            )

    def _active(self) -> dict[str, set[str]] | None:
        """The jobs each worker that answers runs (empty: none answers), or ``None``
        when the workers cannot be asked (the broker out of reach)."""
        try:
            replies = self._app.control.inspect(timeout=INSPECT_TIMEOUT).active()
        except Exception as exc:  # noqa: BLE001 - the broker unreachable
            log.debug("%s: cannot ask the workers: %s", self.what, _reason(exc))
            return None
        return {
            str(worker): {str(job.get("id")) for job in jobs or [] if isinstance(job, dict)}
            for worker, jobs in (replies or {}).items()
        }

    def _lost(self, batch: Batch, reason: str, resend: bool = False) -> None:
        """``batch`` is given up (revoked): sent again once when ``resend``, else
        scored here."""
        self._in_flight.remove(batch)
        self._revoke(batch)
        reason = f"job {batch.job_id}: {reason}"
        if resend and not self.given_up and not batch.resent:
            log.warning("%s: %s; its %d images are sent again", self.what, reason, len(batch.items))
            self.tally.reasons.append(reason)
            self._send(batch.items, resent=True)
        else:
            self._score_locally(batch.items, reason)

    def _revoke(self, batch: Batch) -> None:
        if self._app is None or not batch.job_id:
            return
        try:
            self._app.control.revoke(batch.job_id)
        except Exception as exc:  # noqa: BLE001 - the broker unreachable: nothing to tell
            log.debug("%s: cannot revoke job %s: %s", self.what, batch.job_id, _reason(exc))

    def _give_up(self, reason: str) -> None:
        if not self.given_up:
            self.given_up = reason
            log.warning("%s: %s; the images are scored here from now on", self.what, reason)

    # here ------------------------------------------------------------------------------------
    def _score_locally(self, items: list[tuple[int, str]], reason: str) -> None:
        if reason:
            self.tally.reasons.append(reason)
            log.warning("%s: %s; its %d images are scored here", self.what, reason, len(items))
        for index, path in items:
            try:
                quality = assess_image(path)
            except ValueError as exc:
                self.on_unreadable(index, path, str(exc))
            else:
                self.on_scored(index, path, quality.score, quality.spots)
            self.tally.local += 1


def _reason(exc: object) -> str:
    """``exc`` on one line (Celery's messages span several)."""
    text = " ".join(str(exc).split())
    if isinstance(exc, BaseException):
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text
