"""The queue's execution engine: runs the queue in its own worker thread, Qt-free.

Control (any thread; every call returns at once, none waits for the hardware):
``run_all()``, ``run(node_id)``, ``run_nodes(node_ids)``, ``execute_entry(node_id)``,
``pause()``, ``resume()``, ``stop()``, ``skip()``, ``provide_centring(node_id,
position)``, ``set_continue_on_failure(bool)``, ``shutdown()``; state:
``is_running()``, ``is_executing(node_id)``, ``is_paused()``, ``current_node()``,
``is_centred(location, node_id)``.

What runs: every enabled node that has not run (status ``not_executed``) in the scope
(the whole queue, several nodes, or one sample / group / task subtree), in queue order;
a group runs when something below it has not run, a sample when an enabled task below
it has not run (a sample run on its own: when it or something below it has not run):
a sample without an enabled task to run is not mounted by Run all. The tree is read
live: a node added, moved, disabled or removed during a run is taken into account at
the next step. A node that has run is left as it is: reset its status to run it again.

A sample mounts and centres (see ``entries/sample.py``), then its children run. A task
or group run on its own runs on the sample that is mounted.

Per entry: ``entryStarted(id)``, prepare (parameters checked again, a free run
number claimed), status ``running``, the work, the final status with its message and
files, the history entry, ``entryFinished(id, status, message)``. A container's status
follows its children (``status.summary_status``): ``failed`` if one failed, else
``stopped`` if the user stopped one, else ``warning`` if one was skipped or warned,
else ``success``.

Failure: the failed task's sample ends ``failed`` and its remaining entries are left
``not_executed``; then the queue goes on with the next sample (the default) or stops,
as ``set_continue_on_failure`` says. Pause: at the next safe point (before the next
entry; a running entry finishes). Stop: now (the running entry is aborted and ends
``stopped`` "stopped by user", and so do the sample and groups holding it; what had
not started stays ``not_executed``). Skip: the
running entry ends ``skipped`` and the queue goes on. ``executionFinished(status)``:
``stopped``, ``failed`` (an entry failed) or ``success``. Running again after a stop
starts a new run (a new thread, all flags fresh).

Nested execution (``nested.py``): while a Workflow / XrayCentring entry waits for its
workflow, ``execute_entry(node_id)`` runs the node inside that entry, in the engine's
thread; the entry then goes on waiting. The tasks a workflow adds under its Workflow
node (its ``tasks_parent_id``) are nested there; those it did not run itself run after
it (also when it ended ``warning``), and the Workflow's status then sums up its own and
theirs (a failed one fails it and the rest of its sample is left not run). A Workflow
that has run is not run again: only its children that have not. Idle, ``execute_entry``
is ``run``; otherwise it is refused (the queue is busy). A workflow that dies while its
nested entry runs stops that entry (FAILED, saying why) and fails its own entry with the
reason.

Signals, emitted from the worker thread with no lock held: ``executionStarted()``,
``entryStarted(node_id)``, ``entryFinished(node_id, status, message)``,
``executionPaused()``, ``executionResumed()``, ``executionFinished(status)``,
``centringRequested(node_id, sample_location)`` (``""`` for a sample mounted by
hand), ``progressChanged(node_id, fraction)`` (at most every 1 % or 0.2 s).

The engine is composed of parts it owns, each with its own state: :class:`RunControl`
(``run_control.py``: pause, stop, skip, the entry executing), :class:`NestedRunner`
(``nested.py``), :class:`CentringRequests` (``centring_requests.py``) and
:class:`ResultTasks` (``result_tasks.py``); one :class:`Run` (``engine_run.py``) walks
the tree in the worker thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any, ClassVar

from mxgui.core.centring import CentredPosition
from mxgui.core.errors import Refused
from mxgui.core.interlock import Interlock, clear_caller
from mxgui.core.queue.centring_requests import CentringRequests
from mxgui.core.queue.engine_run import Run, Stopped, has_task_work, has_work, in_queue_order
from mxgui.core.queue.entries import Entry, default_entries
from mxgui.core.queue.entries.base import (
    Beamline,
    EntryContext,
    EntryInterrupted,
    beamline_role,
)
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.mounts import MountWatch, loaded_address, refuse_unmounted
from mxgui.core.queue.nested import EndJudge, NestedRunner, nothing_to_run, resolve_awaited
from mxgui.core.queue.nodes import ROOT_ID, RUNNING, UnknownNodeError
from mxgui.core.queue.result_tasks import ResultTasks, TaskDefaults
from mxgui.core.queue.run_control import RunControl
from mxgui.core.signals import SignalEmitter

log = logging.getLogger(__name__)

#: seconds :meth:`QueueEngine.shutdown` waits for the worker thread
SHUTDOWN_TIMEOUT = 5.0
_PROGRESS_STEP = 0.01
_PROGRESS_PERIOD = 0.2


class QueueEngine(SignalEmitter):
    """Executes the queue ``model`` on ``beamline``, recording into ``history``.

    Parameters
    ----------
    model, history
        The queue and its history (shared with the GUI and the queue file).
    beamline
        The ``Beamline`` hardware object (roles ``sample_changer``, ``diffractometer``,
        ``collect``, ``shapes``, ``energy_scan``, ``session``...), another hardware
        object holding them by role, or a mapping of roles.
    entries
        Entries replacing the default one of their node type.
    continue_on_failure
        After a failed sample: go on with the next (True) or stop (False).
    factory
        The ``TaskFactory`` giving new tasks their defaults (MAD collections); without
        one they get the static defaults.
    interlock
        Held while an entry that acquires data runs (``Entry.holds_interlock``), so
        that nobody else moves the beamline meanwhile; by default the beamline's (that
        of its hardware repository, see :func:`interlock_of`).
    """

    SIGNALS: ClassVar[tuple[str, ...]] = (
        "executionStarted",
        "entryStarted",
        "entryFinished",
        "executionPaused",
        "executionResumed",
        "executionFinished",
        "centringRequested",
        "progressChanged",
    )

    def __init__(
        self,
        model: QueueModel,
        history: History,
        beamline: Beamline = None,
        entries: Mapping[str, Entry] | None = None,
        continue_on_failure: bool = True,
        factory: TaskDefaults | None = None,
        interlock: Interlock | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.interlock = interlock if interlock is not None else interlock_of(beamline)
        self.history = history
        self.beamline = beamline
        self.entries: dict[str, Entry] = {**default_entries(), **dict(entries or {})}
        self.control = RunControl(
            on_paused=lambda: self.emit("executionPaused"),
            on_resumed=lambda: self.emit("executionResumed"),
        )
        self.nested = NestedRunner(model, self.control)
        self.centring = CentringRequests(self.emit, self.receivers, beamline)
        self.mounts = MountWatch(beamline)
        self.results = ResultTasks(model, history, factory)
        self._thread: threading.Thread | None = None
        self._starting = threading.Lock()  # a run's start is one step for shutdown()
        self._continue = bool(continue_on_failure)
        self._progress: dict[int, tuple[float, float]] = {}
        # written before the worker starts and by the worker only
        self._run: Run | None = None
        self._awaited: tuple[int, Future[str]] | None = None

    @property
    def factory(self) -> TaskDefaults | None:
        """The task factory giving new tasks their defaults (``None``: static ones)."""
        return self.results.factory

    @factory.setter
    def factory(self, factory: TaskDefaults | None) -> None:
        self.results.factory = factory

    # running --------------------------------------------------------------------------------
    def run_all(self) -> None:
        """Run every enabled sample that has something not run yet, in order.

        ``Refused`` when the queue is running or there is nothing to run.
        """
        self._start(None)

    def run(self, node_id: int) -> None:
        """Run one sample, group or task (and what is below it); see :meth:`run_all`.

        ``Refused`` also for an unknown node.
        """
        self._start(node_id)

    def run_nodes(self, node_ids: Sequence[int]) -> None:
        """Run several samples, groups or tasks (and what is below each) one after the
        other in queue order, whatever the order of ``node_ids`` (a node below another
        one given runs once, with it). A failed one stops the rest unless the queue goes
        on after a failure (:meth:`set_continue_on_failure`).

        ``Refused`` for an unknown node, no node, or nothing to run in any of them.
        """
        ids = list(dict.fromkeys(int(n) for n in node_ids))
        if not ids:
            raise Refused("no queue node given: select one or more to run")
        for node_id in ids:
            if node_id not in self.model:
                raise Refused(f"there is no queue node {node_id!r}")
        if ROOT_ID in ids:
            self._start(None)
        elif len(ids) == 1:
            self._start(ids[0])
        else:
            starts = tuple(in_queue_order(self.model, ids))
            changer = beamline_role(self.beamline, "sample_changer")
            refuse_unmounted(self.model, starts, loaded_address(changer))
            self._start(starts)

    def execute_entry(self, node_id: int) -> Future[str]:
        """Run node ``node_id``; a Future of its final status (success, warning,
        failed, skipped, stopped).

        Idle, this is :meth:`run` (the Future ends with the run). While a Workflow or
        XrayCentring entry waits for its workflow, the node runs nested inside that
        entry (see ``nested.py``). ``Refused`` otherwise (the queue is busy), for an
        unknown node, one running, or one that has run (reset its status first).
        """
        if node_id not in self.model:
            raise Refused(f"there is no queue node {node_id!r}")
        future: Future[str] = Future()
        if not self.nested.submit(node_id, future):
            self._start(node_id, awaited=future)
        return future

    def _start(
        self, scope: int | tuple[int, ...] | None, awaited: Future[str] | None = None
    ) -> None:
        """Start a run of ``scope``: the whole queue (``None``), one node, or several
        (in queue order, none below another)."""
        if isinstance(scope, int):
            if scope not in self.model:
                raise Refused(f"there is no queue node {scope!r}")
            if scope == ROOT_ID:
                scope = None
        # looked at outside the control's lock: the model's lock is taken there
        starts = (ROOT_ID,) if scope is None else scope if isinstance(scope, tuple) else (scope,)
        if isinstance(scope, int):
            work = has_work(self.model, scope)
        else:  # a sample without an enabled task to run is not mounted
            work = any(has_task_work(self.model, start) for start in starts)
        with self._starting:
            self.control.begin(work, lambda: nothing_to_run(self.model, scope))
            self._progress.clear()
            self._awaited = (starts[0], awaited) if awaited is not None else None
            self._thread = threading.Thread(
                target=self._main, args=(scope,), name="queue engine", daemon=True
            )
            self._thread.start()

    def _main(self, scope: int | tuple[int, ...] | None) -> None:
        clear_caller()  # this thread is the run's, whoever asked for it
        self.emit("executionStarted")
        run = Run(self, self.control)
        self._run = run
        result = "success"
        try:
            run.execute(scope)
        except Stopped as exc:
            result = "failed" if exc.failed else "stopped"
        except Exception:  # a bug here must not leave the queue "running" for ever
            log.exception("the queue engine failed")
            result = "failed"
        if result == "success" and run.failures:
            result = "failed"
        # taken before the control is idle: a new run may start as soon as it is
        self._run, awaited, self._awaited = None, self._awaited, None
        self.centring.clear()
        if self.control.finish():
            result = "stopped"
        self.nested.close("the queue run has ended")
        log.info("queue execution finished: %s", result)
        self.emit("executionFinished", result)
        if awaited is not None:
            resolve_awaited(awaited, self.model)

    # control ----------------------------------------------------------------------------------
    def pause(self) -> None:
        """Pause at the next safe point (before the next entry); ``executionPaused`` is
        emitted once it has stopped there."""
        self.control.pause()

    def resume(self) -> None:
        """Go on after :meth:`pause` (``executionResumed`` if it had paused)."""
        self.control.resume()

    def stop(self) -> None:
        """Stop now: the running entry is aborted and ends stopped "stopped by user"."""
        self.control.stop()

    def skip(self) -> bool:
        """End the running entry as skipped and go on; False when none is running."""
        return self.control.skip()

    def set_continue_on_failure(self, go_on: bool) -> None:
        """After a failed sample, go on with the next one (True) or stop (False)."""
        self._continue = bool(go_on)

    @property
    def continue_on_failure(self) -> bool:
        """After a failed sample: go on with the next one (True) or stop (False)."""
        return self._continue

    def shutdown(self) -> None:
        """Stop, and wait (at most :data:`SHUTDOWN_TIMEOUT` s) for the worker to end."""
        self.control.close()
        self.mounts.close()
        self.stop()
        with self._starting:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(SHUTDOWN_TIMEOUT)

    def provide_centring(
        self, node_id: int, position: CentredPosition | Mapping[str, Any] | None
    ) -> bool:
        """Answer the ``centringRequested`` of sample ``node_id``: the centred position
        (a :class:`CentredPosition` or its dict), or ``None`` when the user cancelled.

        Returns False when no centring of that node is awaited (answered already,
        stopped); ``Refused`` for a position that is not one.
        """
        return self.centring.provide(node_id, position)

    # tasks proposed by a result ---------------------------------------------------------------
    def accept_strategy(self, node_id: int) -> int:
        """Add the DataCollection that characterisation ``node_id`` proposed right after
        it; its id. ``Refused`` without a strategy (see ``entries/characterisation``)."""
        return self.results.accept_strategy(node_id)

    def add_mad_collections(
        self,
        node_id: int,
        energies: Sequence[str] = ("peak", "inflection", "remote"),
        parameters: Mapping[str, Any] | None = None,
    ) -> list[int]:
        """DataCollections at the chosen energies of energy scan ``node_id``, after it
        (see :meth:`ResultTasks.add_mad_collections`)."""
        return self.results.add_mad_collections(node_id, energies, parameters)

    # state ------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        """True from ``run_all`` / ``run`` until ``executionFinished``."""
        return self.control.running

    def is_executing(self, node_id: int | None = None) -> bool:
        """Running at all (``node_id`` None), or node ``node_id`` is executing now
        (a sample or group while its children run; a nested entry too)."""
        if node_id is None:
            return self.control.running
        try:
            return self.control.running and self.model.get_node(node_id).status == RUNNING
        except UnknownNodeError:
            return False

    def is_paused(self) -> bool:
        """True from :meth:`pause` until :meth:`resume` or the end of the run."""
        return self.control.paused

    def current_node(self) -> int | None:
        """The entry executing now (a task, or a sample while it is mounted and
        centred), or ``None`` between entries."""
        return self.control.current

    # what the entries' contexts ask (the Control protocol of entries/base.py) ---------------
    def interruption(self, node_id: int) -> EntryInterrupted | None:
        """The interruption asked for entry ``node_id``: stop, skip of it, or (for a
        nested entry) the bad end of the workflow hosting it."""
        return self.control.interruption(node_id) or self.nested.interruption(node_id)

    def wake_event(self) -> threading.Event:
        """Set when a Future ends or the user asks for something."""
        return self.control.wake

    def report_progress(self, node_id: int, fraction: float) -> None:
        """Emit ``progressChanged`` when it moved 1 % or 0.2 s passed (or it is done)."""
        now = time.monotonic()
        last_fraction, last_time = self._progress.get(node_id, (-1.0, 0.0))
        if (
            fraction - last_fraction >= _PROGRESS_STEP
            or now - last_time >= _PROGRESS_PERIOD
            or (fraction >= 1.0 > last_fraction)
        ):
            self._progress[node_id] = (fraction, now)
            self.emit("progressChanged", node_id, fraction)

    def request_centring(self, context: EntryContext) -> CentredPosition | None:
        """Emit ``centringRequested`` and wait for :meth:`provide_centring`."""
        position = self.centring.request(context)
        if position is not None:
            self.mounts.mark_centred()
        return position

    def is_centred(self, location: str | None, node_id: int | None = None) -> bool:
        """True when sample ``location`` is on the goniometer and was centred since it
        was mounted; by hand (``location`` None): when Sample node ``node_id`` was
        centred since it became the current one (``mounts.py``)."""
        return self.mounts.is_centred(location, node_id)

    def sample_current(self, node_id: int) -> None:
        """Sample node ``node_id``'s entry starts (``mounts.py``)."""
        self.mounts.sample_current(node_id)

    def open_nested(
        self,
        host_id: int,
        awaited: Future[Any] | None = None,
        what: str = "the workflow",
        judge: EndJudge | None = None,
    ) -> None:
        """Entry ``host_id`` (waiting for ``awaited``, its workflow) runs nested requests
        from now on; they stop when ``awaited`` ends badly (see ``judge``)."""
        self.nested.open(host_id, awaited, what, judge)

    def close_nested(self, reason: str) -> None:
        """The hosting entry stops waiting: requests not started are refused."""
        self.nested.close(reason)

    def run_nested(self) -> None:
        """Run the nested requests waiting (in the engine's thread, by the host)."""
        run = self._run
        self.nested.run_pending(run.nested if run is not None else None)


def interlock_of(beamline: Beamline) -> Interlock:
    """The interlock of ``beamline``'s hardware: its own (a hardware object) or that of
    its ``collect`` / ``diffractometer`` role; a new one (never checked) otherwise."""
    candidates = [beamline]
    if beamline is not None:
        candidates += [beamline_role(beamline, name) for name in ("collect", "diffractometer")]
    for candidate in candidates:
        found = getattr(candidate, "interlock", None)
        if isinstance(found, Interlock):
            return found
    return Interlock()
