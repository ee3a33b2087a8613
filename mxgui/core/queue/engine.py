"""The queue's execution engine: runs the queue in its own worker thread, Qt-free.

Control (any thread; every call returns at once, none waits for the hardware):
``run_all()``, ``run(node_id)``, ``execute_entry(node_id)``, ``pause()``, ``resume()``,
``stop()``, ``skip()``, ``provide_centring(node_id, position)``,
``set_continue_on_failure(bool)``,
``shutdown()``; state: ``is_running()``, ``is_executing(node_id)``, ``is_paused()``,
``current_node()``.

What runs: every enabled node that has not run (status ``not_executed``) in the scope
(the whole queue, or one sample / group / task subtree), in queue order; a sample or
group runs when something below it has not run. The tree is read live: a node added,
moved, disabled or removed during a run is taken into account at the next step. A node
that has run is left as it is: reset its status to run it again.

A sample mounts and centres (see ``entries/sample.py``), then its children run. A task
or group run on its own runs on the sample that is mounted.

Per entry: ``entryStarted(id)``, prepare (parameters checked again, a free run
number claimed), status ``running``, the work, the final status with its message and
files, the history entry, ``entryFinished(id, status, message)``. A container's status
follows its children: ``failed`` if one failed, ``warning`` if one was skipped or
warned, else ``success``.

Failure: the failed task's sample ends ``failed`` and its remaining entries are left
``not_executed``; then the queue goes on with the next sample (the default) or stops,
as ``set_continue_on_failure`` says. Pause: at the next safe point (before the next
entry; a running entry finishes). Stop: now (the running entry is aborted and ends
``failed`` "stopped by user"; what had not started stays ``not_executed``). Skip: the
running entry ends ``skipped`` and the queue goes on. ``executionFinished(status)``:
``stopped``, ``failed`` (an entry failed) or ``success``. Running again after a stop
starts a new run (a new thread, all flags fresh).

Nested execution (``nested.py``): while a Workflow / XrayCentring entry waits for its
workflow, ``execute_entry(node_id)`` runs the node inside that entry, in the engine's
thread; the entry then goes on waiting. Idle, ``execute_entry`` is ``run``; otherwise it
is refused (the queue is busy). A workflow that dies while its nested entry runs stops
that entry (FAILED, saying why) and fails its own entry with the reason.

Signals, emitted from the worker thread with no lock held: ``executionStarted()``,
``entryStarted(node_id)``, ``entryFinished(node_id, status, message)``,
``executionPaused()``, ``executionResumed()``, ``executionFinished(status)``,
``centringRequested(node_id, sample_location)`` (``""`` for a sample mounted by
hand), ``progressChanged(node_id, fraction)`` (at most every 1 % or 0.2 s).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any, ClassVar

from mxgui.core.errors import Refused
from mxgui.core.interlock import Interlock, clear_caller
from mxgui.core.queue.engine_parts import CentringHost, QueueHelpers
from mxgui.core.queue.engine_run import Run, Stopped
from mxgui.core.queue.entries import Entry, default_entries
from mxgui.core.queue.entries.base import (
    SKIPPED_BY_USER,
    STOPPED_BY_USER,
    EntryInterrupted,
    beamline_role,
)
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nested import NestedExecution, NestedRequests, resolve_awaited
from mxgui.core.queue.nodes import FAILED, ROOT_ID, RUNNING, SKIPPED, UnknownNodeError
from mxgui.core.signals import SignalEmitter

log = logging.getLogger(__name__)

#: seconds :meth:`QueueEngine.shutdown` waits for the worker thread
SHUTDOWN_TIMEOUT = 5.0
_PROGRESS_STEP = 0.01
_PROGRESS_PERIOD = 0.2


class QueueEngine(NestedExecution, CentringHost, QueueHelpers, SignalEmitter):
    """Executes the queue ``model`` on ``beamline``, recording into ``history``.

    Parameters
    ----------
    model, history
        The queue and its history (shared with the GUI and the queue file).
    beamline
        The ``Beamline`` hardware object (roles ``sample_changer``, ``diffractometer``,
        ``collect``, ``shapes``, ``energy_scan``, ``session``...), a mapping of roles,
        or an object with the roles as attributes.
    entries
        Entries replacing the default one of their node type.
    continue_on_failure
        After a failed sample: go on with the next (True) or stop (False).
    factory
        The ``TaskFactory`` giving new tasks their defaults (MAD collections); by
        default the one whose ``validate`` is the model's validator, if it is one.
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
        beamline: Any = None,
        entries: Mapping[str, Entry] | None = None,
        continue_on_failure: bool = True,
        factory: Any = None,
        interlock: Interlock | None = None,
    ) -> None:
        super().__init__()
        self.model = model
        self.interlock = interlock if interlock is not None else interlock_of(beamline)
        self.history = history
        self.beamline = beamline
        self.entries: dict[str, Entry] = {**default_entries(), **dict(entries or {})}
        self.factory = factory
        self._cond = threading.Condition()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._running = False
        self._stop = False
        self._pause = False
        self._skip: int | None = None
        self._current: int | None = None
        self._centring: tuple[int, Future] | None = None
        self._continue = bool(continue_on_failure)
        self._closed = False
        self._progress: dict[int, tuple[float, float]] = {}
        self._nested = NestedRequests()
        self._run: Run | None = None
        self._awaited: tuple[int, Future] | None = None

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

    def _start(self, scope: int | None, awaited: Future | None = None) -> None:
        if scope is not None:
            if scope not in self.model:
                raise Refused(f"there is no queue node {scope!r}")
            if scope == ROOT_ID:
                scope = None
        # looked at outside the engine's lock: the model's lock is taken there
        has_work = Run.has_work(self.model, ROOT_ID if scope is None else scope)
        with self._cond:
            if self._closed:
                raise Refused("the queue engine has been shut down")
            if self._running:
                raise Refused("the queue is already running: stop it or wait for its end")
            if not has_work:
                raise Refused(self._nothing_to_run(scope))
            self._running, self._stop, self._pause, self._skip = True, False, False, None
            self._wake.clear()
            self._progress.clear()
            self._awaited = (scope or ROOT_ID, awaited) if awaited is not None else None
            self._thread = threading.Thread(
                target=self._main, args=(scope,), name="queue engine", daemon=True
            )
            self._thread.start()

    def _nothing_to_run(self, scope: int | None) -> str:
        if scope is None:
            return (
                "nothing to run: every enabled entry of the queue has run "
                "(reset an entry's status to run it again)"
            )
        node = self.model.get_node(scope)
        if not node.enabled:
            return f"{node.describe()} is disabled: enable it to run it"
        return (
            f"nothing to run in {node.describe()}: it has run ({node.status}); "
            "reset its status to run it again"
        )

    def _main(self, scope: int | None) -> None:
        clear_caller()  # this thread is the run's, whoever asked for it
        self.emit("executionStarted")
        run = Run(self)
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
        with self._cond:
            if self._stop:
                result = "stopped"
            self._running, self._pause, self._skip, self._current = False, False, None, None
            self._centring = None
            self._run, awaited, self._awaited = None, self._awaited, None
            self._cond.notify_all()
        self._nested.close("the queue run has ended")
        log.info("queue execution finished: %s", result)
        self.emit("executionFinished", result)
        if awaited is not None:
            resolve_awaited(awaited, self.model)

    # control ----------------------------------------------------------------------------------
    def pause(self) -> None:
        """Pause at the next safe point (before the next entry); ``executionPaused`` is
        emitted once it has stopped there."""
        with self._cond:
            if self._running:
                self._pause = True

    def resume(self) -> None:
        """Go on after :meth:`pause` (``executionResumed`` if it had paused)."""
        with self._cond:
            self._pause = False
            self._cond.notify_all()

    def stop(self) -> None:
        """Stop now: the running entry is aborted and ends failed "stopped by user"."""
        with self._cond:
            if not self._running:
                return
            self._stop, self._pause = True, False
            self._cond.notify_all()
        self._wake.set()

    def skip(self) -> bool:
        """End the running entry as skipped and go on; False when none is running."""
        with self._cond:
            if self._current is None:
                return False
            self._skip = self._current
        self._wake.set()
        return True

    def set_continue_on_failure(self, go_on: bool) -> None:
        """After a failed sample, go on with the next one (True) or stop (False)."""
        self._continue = bool(go_on)

    @property
    def continue_on_failure(self) -> bool:
        return self._continue

    def shutdown(self) -> None:
        """Stop, and wait (at most :data:`SHUTDOWN_TIMEOUT` s) for the worker to end."""
        with self._cond:
            self._closed = True
        self.stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(SHUTDOWN_TIMEOUT)

    # state ------------------------------------------------------------------------------------
    def is_running(self) -> bool:
        """True from ``run_all`` / ``run`` until ``executionFinished``."""
        return self._running

    def is_executing(self, node_id: int | None = None) -> bool:
        """Running at all (``node_id`` None), or node ``node_id`` is executing now
        (a sample or group while its children run; a nested entry too)."""
        if node_id is None:
            return self._running
        try:
            return self._running and self.model.get_node(node_id).status == RUNNING
        except UnknownNodeError:
            return False

    def is_paused(self) -> bool:
        """True from :meth:`pause` until :meth:`resume` or the end of the run."""
        return self._pause

    def current_node(self) -> int | None:
        """The entry executing now (a task, or a sample while it is mounted and
        centred), or ``None`` between entries."""
        return self._current

    # what the entries' contexts ask (the Control protocol of entries/base.py) ---------------
    def interruption(self, node_id: int) -> EntryInterrupted | None:
        """The interruption asked for entry ``node_id``: stop, skip of it, or (for a
        nested entry) the bad end of the workflow hosting it."""
        if self._stop:
            return EntryInterrupted(FAILED, STOPPED_BY_USER)
        if self._skip == node_id:
            return EntryInterrupted(SKIPPED, SKIPPED_BY_USER)
        return self.nested_interruption(node_id)

    def wake_event(self) -> threading.Event:
        """Set when a Future ends or the user asks for something."""
        return self._wake

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

    # used by the run ------------------------------------------------------------------------
    def safe_point(self) -> None:
        """Between entries: raise ``Stopped`` after a stop; wait while paused."""
        with self._cond:
            if self._stop:
                raise Stopped()
            if not self._pause:
                return
        self.emit("executionPaused")
        with self._cond:
            while self._pause and not self._stop:
                self._cond.wait()
            stopped = self._stop
        if stopped:
            raise Stopped()
        self.emit("executionResumed")

    def set_current(self, node_id: int | None) -> None:
        """The entry executing now (``None`` between entries); a skip of another ends."""
        with self._cond:
            self._current = node_id
            if self._skip is not None and self._skip != node_id:
                self._skip = None

    def stop_requested(self) -> bool:
        """True once :meth:`stop` was called in this run."""
        return self._stop


def interlock_of(beamline: Any) -> Interlock:
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
