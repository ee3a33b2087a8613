"""Mesh scoring on the workers of the ``ewoksjob`` engine (Qt-free; ewoksjob imported lazily).

When the workflow client's XML names an ewoksjob broker (``ewoksjob_broker``, with
``ewoksjob_backend`` and the queue), the mesh scorer (``MeshScorer`` in
``mxgui/core/queue/entries/mesh.py``) hands its images to a :class:`RemoteScoring`
instead of scoring them in the GUI's process: images go in batches of
:data:`BATCH_SIZE` as ewoks jobs (ewoksjob's ``submit``, the one-node graph
:data:`mxscore.ewoks_tasks.BATCH_GRAPH`) to the same Celery workers that run the
workflows, up to :data:`MAX_IN_FLIGHT` batches at once so that every worker has one
running and one waiting. Each batch's scores come back as soon as its job has ended
and are handed on in the scorer's thread, so the grid is coloured batch by batch.

Why a batch: a job costs Celery and ewoks a fixed time (sending, the worker taking it,
the graph, the result; measured by ``benchmarks/scoring_scale.py``) whatever its size;
:data:`BATCH_SIZE` images make that a few per cent of a 1M image's scoring time while
a batch still colours the grid within a fraction of a second. A partial batch is sent
once its oldest image has waited :data:`MAX_WAIT` s (a slow acquisition) or the
acquisition has ended.

Nothing is lost. The states of the jobs in flight are read in one round trip per poll
(the result backend's ``get_many``, a Redis MGET), and each job is looked at every
:data:`CHECK_PERIOD` s:

- a job that failed (an exception on the worker, revoked) is scored here;
- a job started by a worker that no longer answers a ping (``task_track_started`` gives
  the worker's name) is sent again once if another worker answers, else scored here
  with every other job in flight (no worker answers: the rest of the mesh is scored
  here);
- a job no worker has taken while nothing else of the mesh ended for
  :data:`START_TIMEOUT` s (every worker busy with other jobs, a workflow waiting for
  this very mesh for one, or gone with the job prefetched) is revoked and scored here,
  and so is the rest of the mesh;
- a job not done after :data:`JOB_TIMEOUT` s, and every batch that cannot be sent (the
  broker is down; then the rest of the mesh too), are scored here.

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
#: seconds between two looks at the state of a job in flight (after as long)
CHECK_PERIOD = 1.0
#: seconds a job may wait for a worker while no other job of the mesh ends
START_TIMEOUT = 5.0
#: seconds the workers have to answer a ping
PING_TIMEOUT = 1.0
#: how Celery's result backend retries a lost connection (a second, not 20)
BACKEND_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
#: seconds after which a job not yet ended is given up and its images scored locally
JOB_TIMEOUT = 120.0

#: what the scorer is told for each image: (index, path, score, spots)
ScoredSink = Callable[[int, str, float, int], None]
#: what the scorer is told for an image that cannot be read: (index, path, reason)
UnreadableSink = Callable[[int, str, str], None]


@dataclass(frozen=True)
class EwoksjobSettings:
    """Where the ewoksjob workers are: the Celery broker, result backend and queue."""

    broker: str
    backend: str
    queue: str = ""

    def __post_init__(self) -> None:
        if not self.broker:
            raise ValueError("ewoksjob: the broker URL is empty")


def settings_of(client: object) -> EwoksjobSettings | None:
    """The ewoksjob settings of the workflow client ``client`` (its properties
    ``ewoksjob_broker``, ``ewoksjob_backend``, ``ewoksjob_queue``), or ``None`` when it
    names no broker (then the GUI scores by itself)."""
    get_property = getattr(client, "get_property", None)
    if get_property is None:
        return None
    broker = str(get_property("ewoksjob_broker") or "").strip()
    if not broker:
        return None
    backend = str(get_property("ewoksjob_backend") or "").strip() or broker
    queue = str(get_property("ewoksjob_queue") or "").strip()
    return EwoksjobSettings(broker, backend, queue)


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
def celery_app(settings: EwoksjobSettings) -> Any:
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


def forget_app(settings: EwoksjobSettings) -> None:
    """Drop the application of ``settings`` (after a connection failure, which leaves
    Celery's result consumer unusable): the next use makes a new one."""
    with _apps_lock:
        _apps.pop((settings.broker, settings.backend), None)


def submit_batch(settings: EwoksjobSettings, paths: list[str]) -> str:
    """Send ``paths`` as one ewoks job (ewoksjob's ``submit`` of
    :data:`mxscore.ewoks_tasks.BATCH_GRAPH`) through :func:`celery_app`; the job's id."""
    from mxscore.ewoks_tasks import BATCH_GRAPH, NODE_ID

    celery_app(settings).set_current()  # ewoksjob sends with Celery's current app (of this thread)
    client = importlib.import_module("ewoksjob.client")
    options = {"queue": settings.queue} if settings.queue else {}
    future = client.submit(
        args=(BATCH_GRAPH,),
        kwargs={
            "inputs": [{"id": NODE_ID, "name": "paths", "value": paths}],
            "outputs": [{"all": False}],
        },
        **options,
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
        settings: EwoksjobSettings,
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
        self._answered: dict[str, float] = {}  # worker -> when it last answered a ping
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
                break
            else:
                self._send(self._take())
        self._check_lost(now)

    def close(self) -> None:
        """Give up the jobs still in flight (their images are not scored)."""
        for batch in self._in_flight:
            self._revoke(batch)
        self._in_flight.clear()
        self._pending.clear()

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

    def _state(self, batch: Batch) -> tuple[str, object]:
        result = self._app.AsyncResult(batch.job_id)
        try:
            return str(result.state), result.info
        except Exception as exc:  # noqa: BLE001 - the backend unreachable: a lost job later
            log.debug("%s: state of job %s unknown: %s", self.what, batch.job_id, _reason(exc))
            return "UNKNOWN", None

    def _hand_on(self, batch: Batch, outputs: object) -> None:
        results = outputs.get("results") if isinstance(outputs, dict) else None
        worker = outputs.get("worker") if isinstance(outputs, dict) else None
        if not isinstance(results, list) or len(results) != len(batch.items):
            reason = f"job {batch.job_id} answered no scores for its {len(batch.items)} images"
            self._score_locally(batch.items, reason)
            return
        name = str(worker or "a worker")
        self.tally.by_worker[name] = self.tally.by_worker.get(name, 0) + len(batch.items)
        log.debug("%s: job %s on %s scored %d images", self.what, batch.job_id, name, len(results))
        for (index, path), result in zip(batch.items, results, strict=True):
            if isinstance(result, list) and len(result) == 2:
                self.on_scored(index, path, float(result[0]), int(result[1]))
            else:
                self.on_unreadable(index, path, str(result))

    # lost jobs ------------------------------------------------------------------------------
    def _check_lost(self, now: float) -> None:
        for batch in [b for b in self._in_flight if now >= b.check_at]:
            if batch not in self._in_flight:
                continue  # given up with the others meanwhile
            batch.check_at = now + CHECK_PERIOD
            state, info = self._state(batch)
            if state in ("SUCCESS", "FAILURE", "REVOKED"):
                continue  # collected at the next poll
            if now - batch.sent >= JOB_TIMEOUT:
                self._lost(batch, f"not done after {JOB_TIMEOUT:.0f} s")
            elif state == "STARTED":
                holder = str(info.get("hostname") or "") if isinstance(info, dict) else ""
                if holder and not self._answers(holder, now):
                    self._lost(batch, f"its worker {holder} has gone", resend=True)
            elif now - max(batch.sent, self._progress_at) >= START_TIMEOUT:
                # nothing of this mesh started or ended meanwhile: the workers are busy
                # with other jobs (a workflow waiting for this very mesh, say) or gone
                self._lost(batch, f"no worker took it in {START_TIMEOUT:.0f} s")
                self._give_up(f"no worker took a job in {START_TIMEOUT:.0f} s")

    def _answers(self, worker: str, now: float) -> bool:
        """Whether the worker ``worker`` answers a ping (an answer is trusted for
        :data:`CHECK_PERIOD` s)."""
        if now - self._answered.get(worker, -CHECK_PERIOD) < CHECK_PERIOD:
            return True
        if worker in self._ping(destination=[worker]):
            self._answered[worker] = now
            return True
        return False

    def _ping(self, destination: list[str] | None = None) -> set[str]:
        """The names of the workers (of ``destination``: those) that answer a ping."""
        try:
            replies = self._app.control.ping(
                destination=destination,
                timeout=PING_TIMEOUT,
                limit=len(destination) if destination else None,
            )
        except Exception as exc:  # noqa: BLE001 - the broker unreachable
            log.warning("%s: cannot ask the workers: %s", self.what, _reason(exc))
            return set()
        return {name for reply in replies or [] for name in reply}

    def _lost(self, batch: Batch, reason: str, resend: bool = False) -> None:
        """``batch`` is given up: sent again once if a worker answers, else scored here
        (with every other batch in flight when no worker answers at all)."""
        self._in_flight.remove(batch)
        self._revoke(batch)
        reason = f"job {batch.job_id}: {reason}"
        if resend and not self.given_up and not batch.resent:
            if self._ping():
                log.warning(
                    "%s: %s; its %d images are sent again", self.what, reason, len(batch.items)
                )
                self.tally.reasons.append(reason)
                self._send(batch.items, resent=True)
                return
            self._give_up("no worker answers")
            self._score_locally(batch.items, reason)
            for other in list(self._in_flight):
                self._in_flight.remove(other)
                self._revoke(other)
                self._score_locally(other.items, f"job {other.job_id}: no worker answers")
            return
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
