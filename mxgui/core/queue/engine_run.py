"""One run of the queue engine: the walk over the tree and the life of each entry.

A :class:`Run` lives in the engine's worker thread for one ``run_all`` / ``run``. It
reads the tree live (a child list is re-read before each step) and keeps, per
container, the children it has already dealt with in this run, so that each node is
looked at once per run and the walk costs a constant time per entry.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from mxgui.core.interlock import Interlock
from mxgui.core.queue.entries.base import (
    STOPPED_BY_USER,
    Control,
    Entry,
    EntryContext,
    EntryFailed,
    EntryInterrupted,
    beamline_role,
)
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.mounts import loaded_address, not_on_goniometer
from mxgui.core.queue.nodes import (
    FAILED,
    NOT_EXECUTED,
    ROOT_ID,
    RUNNING,
    SAMPLE,
    SKIPPED,
    STOPPED,
    SUCCESS,
    TASK_GROUP,
    WARNING,
    QueueNode,
    UnknownNodeError,
)
from mxgui.core.queue.run_control import RunControl, Stopped
from mxgui.core.queue.status import summary_status

log = logging.getLogger(__name__)

__all__ = [
    "Run",
    "RunHost",
    "Stopped",
    "has_task_work",
    "has_work",
    "in_queue_order",
    "worth_running",
]


def has_work(model: QueueModel, node_id: int) -> bool:
    """True when ``node_id`` (enabled) or an enabled node below it has not run."""
    try:
        nodes = model.iter_nodes(node_id, enabled_only=True)
    except UnknownNodeError:
        return False
    return any(n.status == NOT_EXECUTED for n in nodes)


def has_task_work(model: QueueModel, node_id: int) -> bool:
    """True when an enabled task in or below ``node_id`` has not run: a sample without
    one is not mounted by a run of the whole queue or of several nodes."""
    try:
        nodes = model.iter_nodes(node_id, enabled_only=True)
    except UnknownNodeError:
        return False
    return any(n.is_task and n.status == NOT_EXECUTED for n in nodes)


def worth_running(model: QueueModel, node_id: int, alone: bool) -> bool:
    """True when a run should execute ``node_id``: something in it has not run; for a
    sample that is not run ``alone`` (Run all, several nodes), a task has not run."""
    try:
        sample = model.get_node(node_id).type == SAMPLE
    except UnknownNodeError:
        return False
    if sample and not alone:
        return has_task_work(model, node_id)
    return has_work(model, node_id)


def in_queue_order(model: QueueModel, node_ids: Iterable[int]) -> list[int]:
    """``node_ids`` in the order the queue runs them, without those below another one
    of them (they run with it). ``UnknownNodeError`` for an unknown id."""
    wanted = set(node_ids)
    found: list[int] = []
    below: set[int] = set()
    for node in model.iter_nodes(ROOT_ID):
        if node.parent in below:
            below.add(node.id)
        elif node.id in wanted:
            found.append(node.id)
            below.add(node.id)
    missing = wanted - set(found) - below
    if missing:
        raise UnknownNodeError(f"there is no queue node {min(missing)!r}")
    return found


class RunHost(Control, Protocol):
    """What a :class:`Run` uses of the engine that owns it (``QueueEngine``): the queue,
    the beamline, the entries, the signals, and the :class:`Control` its entries ask."""

    @property
    def model(self) -> QueueModel:
        """The queue."""

    @property
    def history(self) -> History:
        """Where the entries that ran are recorded."""

    @property
    def beamline(self) -> Any:
        """The beamline (or mapping of roles) the entries use."""

    @property
    def entries(self) -> Mapping[str, Entry]:
        """The entry executing each node type."""

    @property
    def interlock(self) -> Interlock:
        """Held while an entry that acquires data runs."""

    @property
    def continue_on_failure(self) -> bool:
        """After a failed sample: go on with the next one."""

    def emit(self, signal: str, *args: object) -> None:
        """Emit one of the engine's signals."""


class Run:
    """The execution of one scope (``None``: the whole queue) for ``host``, whose
    ``control`` says when to pause or stop and records the entry executing."""

    def __init__(self, host: RunHost, control: RunControl) -> None:
        self.host = host
        self.control = control
        self.model = host.model
        self.failures = 0

    # the walk -------------------------------------------------------------------------------
    def execute(self, scope: int | tuple[int, ...] | None) -> None:
        """Run ``scope``: the whole queue (``None``), one node, or several nodes one
        after the other, a failure stopping the rest unless the queue goes on after one
        (then the later nodes of the failed sample are left not run); raises
        ``Stopped`` when stopped. Of several nodes, a task or group whose sample is not
        the one the changer holds fails without running (``mounts.not_on_goniometer``)."""
        if scope is None:
            self._children(ROOT_ID, None, top=True)
            return
        alone = isinstance(scope, int)
        failed_samples: set[int | None] = set()
        for node_id in (scope,) if isinstance(scope, int) else scope:
            self.control.safe_point()
            if not worth_running(self.model, node_id, alone):
                continue  # run with an earlier one, removed meanwhile, or no task
            sample_id = self.model.sample_of(node_id)
            if sample_id is not None and sample_id in failed_samples:
                continue  # the rest of a failed sample is left not run
            status = (
                self._execute(node_id, sample_id)
                if alone
                else self._execute_on_mounted(node_id, sample_id)
            )
            if status == FAILED and not isinstance(scope, int):
                failed_samples.add(sample_id)
                if not self.host.continue_on_failure:
                    raise Stopped(failed=True)

    def _execute_on_mounted(self, node_id: int, sample_id: int | None) -> str | None:
        """:meth:`_execute`, unless ``node_id`` is a task or group of a sample the
        changer does not hold now (swapped since the run was accepted): then it fails
        without running, rather than collect another sample's crystal."""
        if sample_id is not None and sample_id != node_id:
            changer = beamline_role(self.host.beamline, "sample_changer")
            wrong = not_on_goniometer(self.model, node_id, loaded_address(changer))
            if wrong is not None:
                try:
                    node = self.model.get_node(node_id)
                except UnknownNodeError:
                    return None
                self.failures += 1
                self._finish(node, sample_id, FAILED, wrong, [])
                return FAILED
        return self._execute(node_id, sample_id)

    def nested(self, node_id: int) -> str:
        """Run ``node_id`` inside the entry waiting now (see ``nested.py``); its final
        status. Its failure is the host's to judge: it is not counted as the run's, and
        a stop ends it without raising (the host sees the stop itself)."""
        failures = self.failures
        try:
            self._execute(node_id, self.model.sample_of(node_id))
        except Stopped:
            pass
        finally:
            self.failures = failures
        return self.model.get_node(node_id).status

    def _execute(self, node_id: int, sample_id: int | None) -> str | None:
        """Run one node (and its children); its final status, ``None`` if it vanished."""
        try:
            node = self.model.get_node(node_id)
        except UnknownNodeError:
            return None
        if node.type == SAMPLE:
            sample_id = node.id
        if node.is_task and node.status != NOT_EXECUTED:
            status = self._ran_task_children(node, sample_id)
        else:
            status = self._entry(node, sample_id)
        if status == FAILED:
            self.failures += 1
        return status

    def _ran_task_children(self, node: QueueNode, sample_id: int | None) -> str | None:
        """A task that has run (a Workflow) with children not run: run them; its status
        then sums up its own and theirs (a failed child fails it)."""
        own = node.status
        try:
            statuses = self._children(node.id, sample_id)
        except Stopped as exc:
            self._sum_up(node, own, Counter({FAILED if exc.failed else STOPPED: 1}))
            raise
        return self._sum_up(node, own, statuses)

    def _sum_up(self, node: QueueNode, own: str, statuses: Counter[str]) -> str | None:
        """Set ``node``'s status to the sum of ``own`` and its children's ``statuses``."""
        status = summary_status(statuses + Counter({own: 1}))
        if status == own:
            return status
        message = self._failure_text(node.id) if status == FAILED else node.message
        try:
            self.model.set_status(node.id, status, message)
        except UnknownNodeError:
            return None
        self.host.emit("entryFinished", node.id, status, message)
        return status

    def _children(self, parent_id: int, sample_id: int | None, top: bool = False) -> Counter[str]:
        """Run the children of ``parent_id`` that have work, in order; their statuses.

        Below a sample, the first failure ends the walk (the rest stays not run); at
        the top, a failed sample stops the queue unless it should go on.
        """
        done: set[int] = set()
        statuses: Counter[str] = Counter()
        while True:
            self.control.safe_point()
            child = self._next_child(parent_id, done, top)
            if child is None:
                return statuses
            done.add(child)
            status = self._execute(child, sample_id)
            if status is None:
                continue
            statuses[status] += 1
            if status == FAILED:
                if not top:
                    return statuses
                if not self.host.continue_on_failure:
                    raise Stopped(failed=True)

    def _next_child(self, parent_id: int, done: set[int], top: bool = False) -> int | None:
        try:
            children = self.model.children(parent_id)
        except UnknownNodeError:
            return None
        for child in children:
            if child in done:
                continue
            if worth_running(self.model, child, alone=not top):
                return child
            done.add(child)  # nothing to do: not looked at again in this run
        return None

    # one entry --------------------------------------------------------------------------------
    def _entry(self, node: QueueNode, sample_id: int | None) -> str | None:
        host, control = self.host, self.control
        entry = host.entries.get(node.type)
        ctx = EntryContext(host, self.model, host.history, host.beamline, node, sample_id)
        host.emit("entryStarted", node.id)
        control.set_current(node.id)
        status, message = SUCCESS, ""
        try:
            if entry is None:
                raise EntryFailed(f"no entry executes {node.type} nodes")
            entry.prepare(ctx)
            self.model.set_status(node.id, RUNNING)
            holding: AbstractContextManager[object] = (
                host.interlock.hold(node.describe())
                if entry.holds_interlock
                else contextlib.nullcontext()
            )
            with holding:
                outcome = entry.run(ctx)
            status, message = outcome.status, outcome.message
        except UnknownNodeError:
            control.set_current(None)
            return None  # removed before it started
        except EntryInterrupted as exc:
            status, message = exc.status, exc.reason
        except EntryFailed as exc:
            status, message = FAILED, exc.reason
        except Exception as exc:  # a bug in an entry fails that entry, not the engine
            log.exception("%s failed", node.describe())
            status, message = FAILED, f"{type(exc).__name__}: {exc}"
        finally:
            control.set_current(None)
        stopped = None
        if status in (SUCCESS, WARNING) and (
            node.type in (SAMPLE, TASK_GROUP) or self._has_children(node)
        ):
            try:
                status, message = self._container(node, sample_id, status, message)
            except Stopped as exc:
                stopped = exc
                if exc.failed:
                    status, message = FAILED, "stopped: a failure"
                else:
                    status, message = STOPPED, STOPPED_BY_USER
        self._finish(node, sample_id, status, message + _notes(ctx), ctx.files)
        if stopped is not None:
            raise stopped
        if control.stop_requested():
            raise Stopped()
        return status

    def _has_children(self, node: QueueNode) -> bool:
        """True when ``node`` has children now (a workflow added tasks while it ran)."""
        try:
            return bool(self.model.children(node.id))
        except UnknownNodeError:
            return False

    def _container(
        self, node: QueueNode, sample_id: int | None, own: str, message: str
    ) -> tuple[str, str]:
        """Run the children of a sample, group or task that added some (a Workflow that
        ended ``own``); the container's status (the rule of :func:`summary_status`,
        over ``own`` and its children's) and message."""
        statuses = self._children(node.id, sample_id)
        status = summary_status(statuses + Counter({own: 1}))
        if status == FAILED:
            return FAILED, self._failure_text(node.id)
        if status == WARNING:
            counts = [f"{statuses[s]} {s}" for s in (SKIPPED, WARNING) if statuses[s]]
            return WARNING, ", ".join([message, *counts]) if message else ", ".join(counts)
        return status, message

    def _failure_text(self, container_id: int) -> str:
        """Which task below ``container_id`` failed and how many entries are left."""
        left = sum(
            1
            for n in self.model.iter_nodes(container_id, enabled_only=True)
            if n.is_task and n.status == NOT_EXECUTED
        )
        failed = [
            n
            for n in self.model.iter_nodes(container_id)
            if n.id != container_id and n.status == FAILED and n.is_task
        ]
        what = f"{failed[-1].describe()} failed: {failed[-1].message}" if failed else "failed"
        return what + (f"; {left} entries not run" if left else "")

    def _finish(
        self, node: QueueNode, sample_id: int | None, status: str, message: str, files: list[str]
    ) -> None:
        try:
            self.model.set_status(node.id, status, message, files=files)
            final = self.model.get_node(node.id)
            sample = self.model.get_node(sample_id) if sample_id is not None else None
        except UnknownNodeError:
            return  # removed while it ran: nothing to record it on
        if node.type != TASK_GROUP:
            self.host.history.record(final, sample)
        self.host.emit("entryFinished", node.id, status, final.message)


def _notes(ctx: EntryContext) -> str:
    return "".join(f" ({note})" for note in ctx.notes)
