"""Nested execution: queue nodes run while a workflow entry waits for its workflow.

A workflow (run outside the GUI) adds tasks under its sample and asks the GUI to
execute them (XML-RPC ``queue_execute_entry_with_id``). The Workflow entry that started
it is waiting in the engine's thread; while it waits it *hosts* such requests: each
asked node runs there, as the engine would run it (``entryStarted``, prepare, the work,
the final status, the history, ``entryFinished``), then the entry goes on waiting. A
node run this way has run, so the walk of the queue never runs it again.

:class:`NestedRequests` is the hand-over between the thread that asks (the XML-RPC
server's) and the engine's thread: thread-safe, one host at a time.
:class:`NestedRunner` is the engine's side (``QueueEngine`` owns one): the checks of
``execute_entry`` while the queue runs, and the ``open_nested`` / ``close_nested`` /
``run_nested`` of the entries' ``Control`` protocol.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from mxgui.core.errors import Refused
from mxgui.core.queue.engine_run import has_work
from mxgui.core.queue.entries.base import EntryInterrupted
from mxgui.core.queue.history import sample_label
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import (
    FAILED,
    NOT_EXECUTED,
    RUNNING,
    SAMPLE,
    QueueNode,
    UnknownNodeError,
)
from mxgui.core.queue.run_control import RunControl

log = logging.getLogger(__name__)


#: says why the host's awaited Future ended badly (``None``: it ended well)
EndJudge = Callable[[Future[Any]], "str | None"]


def ended_badly(ended: Future[Any]) -> str | None:
    """The default :data:`EndJudge`: a Future cancelled or failed ended badly."""
    if ended.cancelled():
        return "was cancelled"
    error = ended.exception()
    return None if error is None else f"failed: {error or type(error).__name__}"


class NestedRequests:
    """Nodes asked to run inside the hosting entry, in the order they were asked."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._host: int | None = None
        self._pending: deque[tuple[int, Future[str]]] = deque()
        self._awaited: Future[Any] | None = None
        self._what = ""
        self._judge: EndJudge = ended_badly

    @property
    def host(self) -> int | None:
        """The node id of the entry hosting nested runs now, or ``None``."""
        return self._host

    def open(
        self,
        host_id: int,
        awaited: Future[Any] | None = None,
        what: str = "the workflow",
        judge: EndJudge | None = None,
    ) -> None:
        """Entry ``host_id`` accepts nested runs from now on, while it waits for
        ``awaited`` (``what``: its name for the user); ``judge`` says when that Future
        ended badly (default :func:`ended_badly`)."""
        with self._lock:
            self._host = host_id
            self._awaited, self._what = awaited, what
            self._judge = judge or ended_badly

    def host_gone(self) -> str | None:
        """Why nested runs must stop now: what the host waits for ended badly
        (``"workflow X failed: ..."``); ``None`` while it goes on."""
        with self._lock:
            awaited, what, judge = self._awaited, self._what, self._judge
        if awaited is None or not awaited.done():
            return None
        try:
            why = judge(awaited)
        except Exception:  # a judge's bug: an end it cannot read is a bad end
            log.exception("judging the end of %s failed", what)
            why = "ended in a way that cannot be read"
        return None if why is None else f"{what} {why}"

    def close(self, reason: str) -> None:
        """No host any more: requests not started fail with ``Refused(reason)``."""
        with self._lock:
            self._host = None
            self._awaited = None
            pending, self._pending = list(self._pending), deque()
        for _node_id, future in pending:
            if future.set_running_or_notify_cancel():
                future.set_exception(Refused(reason))

    def submit(self, node_id: int, future: Future[str]) -> bool:
        """Queue ``node_id`` (``future`` gets its final status); False without a host."""
        with self._lock:
            if self._host is None:
                return False
            self._pending.append((node_id, future))
            return True

    def take(self) -> tuple[int, Future[str]] | None:
        """The oldest request not started, or ``None``."""
        with self._lock:
            return self._pending.popleft() if self._pending else None


class NestedRunner:
    """The engine's side of nested runs (``QueueEngine`` owns one): the checks of
    ``execute_entry`` while the queue runs, and the ``open_nested`` / ``close_nested``
    / ``run_nested`` of the entries' ``Control`` protocol.

    Parameters
    ----------
    model
        The queue.
    control
        The engine's run control: whether a run goes on, its stop, the entry executing.
    """

    def __init__(self, model: QueueModel, control: RunControl) -> None:
        self.model = model
        self.control = control
        self.requests = NestedRequests()

    @property
    def host(self) -> int | None:
        """The node id of the entry hosting nested runs now, or ``None``."""
        return self.requests.host

    def submit(self, node_id: int, future: Future[str]) -> bool:
        """While the queue runs, queue node ``node_id`` to run nested (``future`` gets
        its final status) and return True; False when the queue is idle (the caller
        starts a run). ``Refused`` when it cannot run: running or run already, another
        sample than the workflow's, or no entry hosting nested runs (the queue is busy).
        """
        node = self.model.get_node(node_id)
        if not self.control.running:
            return False  # the caller starts a run, which checks the work itself
        if node.status == RUNNING:
            raise Refused(f"{node.describe()} is running already")
        if not has_work(self.model, node_id):
            raise Refused(nothing_to_run(self.model, node_id))
        self._check_nested(node)
        if self.requests.submit(node_id, future):
            self.control.wake.set()
            return True
        if not self.control.running:
            return False  # the run ended meanwhile: idle now, the caller starts one
        current = self.control.current
        what = (
            self.model.get_node(current).describe()
            if current is not None and current in self.model
            else "the queue"
        )
        raise Refused(
            f"the queue is busy ({what} is executing): only a workflow entry "
            f"waiting for its workflow runs {node.describe()} inside it"
        )

    def _check_nested(self, node: QueueNode) -> None:
        """A nested run stays on the workflow's sample: a sample (which would mount
        another one mid-workflow) or a task of another sample is refused."""
        host = self.requests.host
        if host is None or host not in self.model:
            return  # refused below, saying the queue is busy
        if node.type == SAMPLE:
            raise Refused(
                f"{node.describe()} is a sample: a workflow runs tasks on its own "
                "sample, it does not mount another one"
            )
        own, theirs = self.model.sample_of(host), self.model.sample_of(node.id)
        if theirs != own:
            raise Refused(
                f"{node.describe()} belongs to another sample than the running workflow "
                f"{self.model.get_node(host).describe()}"
            )

    def open(
        self,
        host_id: int,
        awaited: Future[Any] | None = None,
        what: str = "the workflow",
        judge: EndJudge | None = None,
    ) -> None:
        """Entry ``host_id`` (waiting for ``awaited``, its workflow) runs nested requests
        from now on; they stop when ``awaited`` ends badly (see ``judge``)."""
        self.requests.open(host_id, awaited, what, judge)

    def interruption(self, node_id: int) -> EntryInterrupted | None:
        """The interruption of nested node ``node_id`` because its host's workflow
        ended badly (never of the host itself), or ``None``."""
        host = self.requests.host
        if host is None or node_id == host:
            return None
        reason = self.requests.host_gone()
        return None if reason is None else EntryInterrupted(FAILED, f"stopped: {reason}")

    def close(self, reason: str) -> None:
        """The hosting entry stops waiting: requests not started are refused."""
        self.requests.close(reason)

    def run_pending(self, run_node: Callable[[int], str] | None) -> None:
        """Run the nested requests waiting, each by ``run_node(node_id)`` (the run's
        :meth:`~mxgui.core.queue.engine_run.Run.nested`; ``None``: no run, they are
        refused), in the engine's thread, by the host."""
        host = self.requests.host
        while (request := self.requests.take()) is not None:
            node_id, future = request
            if not future.set_running_or_notify_cancel():
                continue
            if run_node is None or self.control.stop_requested():
                future.set_exception(Refused("the queue is stopping"))
                continue
            gone = self.requests.host_gone()
            if gone is not None:
                future.set_exception(Refused(f"queue node {node_id} not run: {gone}"))
                continue
            try:
                future.set_result(run_node(node_id))
            except Exception as exc:  # the host goes on waiting whatever happened
                log.exception("nested execution of node %s failed", node_id)
                future.set_exception(exc)
            finally:
                self.control.set_current(host)


def nothing_to_run(model: QueueModel, scope: int | tuple[int, ...] | None) -> str:
    """Why a run of ``scope`` (``None``: the whole queue; several nodes) has nothing to do."""
    if isinstance(scope, tuple):
        nodes = [model.get_node(n) for n in scope]
        names = ", ".join(sample_label(n) if n.type == SAMPLE else n.describe() for n in nodes)
        if all(n.status == NOT_EXECUTED for n in nodes):
            return f"no enabled task to run in {names} (enable or add a task)"
        return (
            f"nothing to run in {names}: each has run, is disabled or has no enabled task "
            "(reset an entry's status to run it again)"
        )
    if scope is None:
        return (
            "nothing to run: every enabled task of the queue has run, or no sample has an "
            "enabled task (reset an entry's status to run it again)"
        )
    node = model.get_node(scope)
    if not node.enabled:
        return f"{node.describe()} is disabled: enable it to run it"
    return (
        f"nothing to run in {node.describe()}: it has run ({node.status}); "
        "reset its status to run it again"
    )


def resolve_awaited(awaited: tuple[int, Future[str]], model: QueueModel) -> None:
    """End the Future of :meth:`QueueEngine.execute_entry` with the node's status."""
    node_id, future = awaited
    if not future.set_running_or_notify_cancel():
        return
    try:
        future.set_result(model.get_node(node_id).status)
    except UnknownNodeError:
        future.set_exception(Refused(f"queue node {node_id} was removed while it ran"))
