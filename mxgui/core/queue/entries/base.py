"""What every queue entry shares: its context in the engine, how it waits, how it ends.

An entry (one per node type) is a small object with two steps, both run in the engine's
worker thread:

- :meth:`Entry.prepare`, before the node is marked ``running``: the parameters are
  checked again against the live limits (they may have changed since the task was
  made, or the queue was restored from a file) and a task that writes files gets a run
  number that nothing on disk or in the history uses yet (the node's parameters are
  still editable then, so the change is recorded on the node);
- :meth:`Entry.run`: the work; it returns an :class:`Outcome`, or raises
  :class:`EntryFailed` with the reason. Files written go to :attr:`EntryContext.files`
  as they are known, so that a failed or stopped entry still records the complete
  files it wrote.

Every wait for the hardware goes through :meth:`EntryContext.wait`: it wakes up when the
Future ends *or* when the user stops the queue or skips the entry, then calls the
entry's abort action (``collect.stop_collect``, the sample changer's ``abort``...) and
waits for the hardware to confirm, so that a stop never leaves a half-written file.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from mxgui.core.acquisition import ParameterError
from mxgui.core.centring import CentredPosition
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import FAILED, SKIPPED, SUCCESS, QueueNode, thaw
from mxgui.core.queue.runs import with_free_run_number

log = logging.getLogger(__name__)

#: the message of an entry stopped by :meth:`QueueEngine.stop`
STOPPED_BY_USER = "stopped by user"
#: the message of an entry ended by :meth:`QueueEngine.skip`
SKIPPED_BY_USER = "skipped by user"
#: seconds the hardware has to confirm an abort before the entry ends anyway
ABORT_GRACE_S = 30.0


class EntryFailed(Exception):
    """The entry failed; ``reason`` is what the user reads (the node's message)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class EntryInterrupted(Exception):
    """The user stopped the queue (``status`` stopped) or skipped the entry (skipped)."""

    def __init__(self, status: str, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Outcome:
    """How an entry ended when it did not raise: a status and a message."""

    status: str = SUCCESS
    message: str = ""


class Control(Protocol):
    """What an entry's context asks of the engine (implemented by ``QueueEngine``)."""

    def interruption(self, node_id: int) -> EntryInterrupted | None:
        """The interruption asked for ``node_id`` (stop or skip), or ``None``."""

    def wake_event(self) -> threading.Event:
        """The event set when a Future ends or the user asks for something."""

    def report_progress(self, node_id: int, fraction: float) -> None:
        """Emit ``progressChanged(node_id, fraction)`` (rate-limited)."""

    def request_centring(self, context: EntryContext) -> CentredPosition | None:
        """Ask the user to centre the sample; the centred position, or ``None``."""

    def is_centred(self, location: str | None, node_id: int | None = None) -> bool:
        """True when sample ``location`` is on the goniometer and was centred since it
        was mounted; by hand (``location`` None): when Sample node ``node_id`` was
        centred since it became the current one (``mounts.py``)."""

    def sample_current(self, node_id: int) -> None:
        """Sample node ``node_id``'s entry starts: its crystal is on the goniometer."""

    def open_nested(
        self,
        host_id: int,
        awaited: Future[Any] | None = None,
        what: str = "the workflow",
        judge: Callable[[Future[Any]], str | None] | None = None,
    ) -> None:
        """Entry ``host_id`` runs nested requests from now on, while it waits for
        ``awaited``; they are stopped when ``judge(awaited)`` says it ended badly
        (``nested.py``)."""

    def close_nested(self, reason: str) -> None:
        """The host stops waiting: requests not started fail with ``reason``."""

    def run_nested(self) -> None:
        """Run the nested requests waiting (in the engine's thread)."""


class EntryContext:
    """One execution of one node: the parts of the beamline it uses, its parameters,
    the files it wrote, and interruptible waits.

    Attributes
    ----------
    node
        The node as it was when the execution started (:meth:`refresh` re-reads it).
    sample_id
        The id of the sample the node belongs to (``None`` for none).
    parameters
        The node's parameters, checked and completed by :meth:`Entry.prepare`.
    files
        Files written so far (recorded on the node and in the history at the end).
    notes
        Remarks added to the final message (a run number that moved on, say).
    """

    def __init__(
        self,
        control: Control,
        model: QueueModel,
        history: History,
        beamline: Beamline,
        node: QueueNode,
        sample_id: int | None,
    ) -> None:
        self.control = control
        self.model = model
        self.history = history
        self.beamline = beamline
        self.node = node
        self.sample_id = sample_id
        self.parameters: dict[str, Any] = thaw(node.parameters)
        self.files: list[str] = []
        self.notes: list[str] = []

    # the beamline ---------------------------------------------------------------------------
    def role(self, name: str) -> Any:
        """The beamline's object under role ``name``, or ``None``."""
        return beamline_role(self.beamline, name)

    def require(self, name: str, what: str) -> Any:
        """The object under role ``name``; :class:`EntryFailed` saying ``what`` needs it."""
        obj = self.role(name)
        if obj is None:
            raise EntryFailed(f"{what} needs a {name.replace('_', ' ')}; the beamline has none")
        return obj

    def sample_shapes(self, what: str) -> Any:
        """The shapes (role ``shapes``) of the entry's sample: :class:`EntryFailed`
        saying ``what`` needs them when there are none, or when those shown are
        another sample's (a task run on its own while another sample is mounted)."""
        shapes = self.require("shapes", what)
        holds = getattr(shapes, "holds", None)
        if self.sample_id is None or holds is None:
            return shapes
        location = self.model.get_node(self.sample_id).parameters.get("location")
        if not holds(location):
            raise EntryFailed(
                f"{what}: its saved points and grids are those of sample "
                f"{location or 'mounted by hand'}, which is not mounted "
                "(run the sample: it is mounted first)"
            )
        return shapes

    def refresh(self) -> QueueNode:
        """Re-read the node from the model (after a change of its parameters)."""
        self.node = self.model.get_node(self.node.id)
        return self.node

    # waiting ----------------------------------------------------------------------------------
    def check_interrupt(self) -> None:
        """Raise :class:`EntryInterrupted` if the user stopped the queue or skipped this."""
        interruption = self.control.interruption(self.node.id)
        if interruption is not None:
            raise interruption

    def start(
        self,
        call: Callable[[], Future[Any]],
        what: str,
        abort: Callable[[], object] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """``call()`` (which starts an operation and returns its Future), then
        :meth:`wait`. A refusal at once (``ValueError``, ``RuntimeError``) fails the
        entry with ``what`` and the reason."""
        self.check_interrupt()
        try:
            future = call()
        except (ValueError, RuntimeError) as exc:
            raise EntryFailed(f"{what}: {exc}") from None
        return self.wait(future, what, abort, timeout)

    def wait(
        self,
        future: Future[Any],
        what: str,
        abort: Callable[[], object] | None = None,
        timeout: float | None = None,
        serve: Callable[[], None] | None = None,
    ) -> Any:
        """The result of ``future``, waited for in a way the user can interrupt.

        On stop or skip, ``abort()`` is called once and the wait goes on (for at most
        :data:`ABORT_GRACE_S`) until the hardware has ended the operation; then
        :class:`EntryInterrupted` is raised. A Future that fails raises
        :class:`EntryFailed` with ``what`` and the hardware's reason; ``timeout``
        seconds without an answer too. An operation that ended well just as the user
        asked to stop is kept: its data are complete. ``serve()``, if given, is
        called each time the wait wakes up, until an interruption (it runs the nested
        requests of :meth:`wait_hosting`).
        """
        wake = self.control.wake_event()
        future.add_done_callback(lambda _ended: wake.set())
        deadline = None if timeout is None else time.monotonic() + timeout
        interruption: EntryInterrupted | None = None
        grace_end = 0.0
        while True:
            wake.clear()
            if future.done():
                break
            now = time.monotonic()
            if interruption is None:
                interruption = self.control.interruption(self.node.id)
                if interruption is None and serve is not None:
                    serve()
                    if future.done():  # the waits served cleared its wake-up: not lost
                        continue
                    interruption = self.control.interruption(self.node.id)
                    now = time.monotonic()
                if interruption is not None:
                    grace_end = now + ABORT_GRACE_S
                    _call_abort(abort, what)
            if interruption is not None and now > grace_end:
                log.error("%s: the hardware did not confirm the abort of %s", self.node, what)
                raise EntryInterrupted(
                    interruption.status,
                    f"{interruption.reason} ({what} did not confirm the stop "
                    f"within {ABORT_GRACE_S:g} s)",
                )
            if deadline is not None and now > deadline and interruption is None:
                raise EntryFailed(f"{what}: no answer after {timeout:g} s")
            limits = [t - now for t in (deadline, grace_end or None) if t is not None]
            wake.wait(max(min(limits), 0.001) if limits else None)
        if not future.cancelled() and future.exception() is None:
            return future.result()
        if interruption is None:
            interruption = self.control.interruption(self.node.id)
        if interruption is not None:
            raise interruption
        if future.cancelled():
            raise EntryFailed(f"{what}: cancelled")
        error = future.exception()
        raise EntryFailed(f"{what}: {error or type(error).__name__}")

    def wait_hosting(
        self,
        future: Future[Any],
        what: str,
        abort: Callable[[], object] | None = None,
        judge: Callable[[Future[Any]], str | None] | None = None,
    ) -> Any:
        """:meth:`wait` for ``future`` (a workflow), running meanwhile the queue nodes
        the workflow asks to execute (``QueueEngine.execute_entry``) in this thread.

        When ``future`` ends badly while a nested node runs (``judge(future)`` gives the
        reason; by default a Future failed or cancelled), that node is stopped as a
        user's stop would (its hardware aborted, FAILED with the reason) and the wait
        ends: a workflow that died never leaves the queue waiting."""
        self.control.open_nested(self.node.id, future, what, judge)
        try:
            return self.wait(future, what, abort, serve=self.control.run_nested)
        finally:
            self.control.close_nested(f"{self.node.describe()} no longer waits for {what}")

    def progress(self, fraction: float) -> None:
        """Report that ``fraction`` (0..1) of the entry is done."""
        self.control.report_progress(self.node.id, min(max(float(fraction), 0.0), 1.0))


def _call_abort(abort: Callable[[], object] | None, what: str) -> None:
    if abort is None:
        return
    try:
        abort()
    except Exception:  # the wait goes on: the operation may still end by itself
        log.exception("aborting %s failed", what)


class RoleHolder(Protocol):
    """A hardware object holding others by role (the ``Beamline``, the queue's)."""

    def get_object_by_role(self, role: str) -> object: ...


#: where the engine finds the beamline's objects: a hardware object holding them by
#: role, a mapping of role names to objects, or ``None`` (no beamline)
Beamline = RoleHolder | Mapping[str, object] | None


# Any: what a role holds depends on the role (the caller knows which role it asked for)
def beamline_role(beamline: Beamline, name: str) -> Any:
    """The object under role ``name``: ``get_object_by_role`` for a hardware object,
    ``beamline[name]`` for a mapping; ``None`` when there is none."""
    if beamline is None:
        return None
    if isinstance(beamline, Mapping):
        return beamline.get(name)
    return beamline.get_object_by_role(name)


class Entry:
    """The execution of one node type (the base checks parameters and run numbers).

    Subclasses set :attr:`writes_files` (the node has a path and gets a free run
    number) and implement :meth:`run`.
    """

    #: the node writes ``<directory>/<prefix>_<run>_*`` files
    writes_files = True
    #: while it runs, nobody else may move the goniometer, aperture, detector, energy
    #: or sample changer (``mxgui.core.interlock``): collections, meshes, scans
    holds_interlock = False

    def prepare(self, ctx: EntryContext) -> None:
        """Check the parameters against the live limits and claim a free run number
        (the node is not running yet, so its parameters can still change). A task's
        saved points and grids are checked here, after its sample was mounted."""
        validator = ctx.model.validator
        if validator is not None:
            sample = None
            if ctx.sample_id is not None and ctx.sample_id != ctx.node.id:
                sample = ctx.model.get_node(ctx.sample_id).parameters
            try:
                ctx.parameters = validator(ctx.node.type, ctx.parameters, sample)
            except ParameterError as exc:
                raise EntryFailed(f"parameters no longer valid: {exc}") from None
        if self.writes_files and ctx.parameters.get("prefix"):
            claim_free_run(ctx)

    def run(self, ctx: EntryContext) -> Outcome:
        """Do the work (in the engine's thread); return the outcome or raise."""
        raise NotImplementedError


def claim_free_run(ctx: EntryContext) -> None:
    """Move the node's run number on if files of that run are on disk or the history
    has it (another task, another GUI or an earlier session wrote it): nothing is ever
    overwritten, whatever changed since the task was made.

    Tasks of the queue that have not run yet do not count: they get their own turn.
    """
    proposed = ctx.parameters.get("run_number")
    free = with_free_run_number(ctx.parameters, None, ctx.history)
    if free["run_number"] == proposed:
        return
    run = free["run_number"]
    try:
        ctx.model.update_parameters(ctx.node.id, {"run_number": run})
    except (ParameterError, ValueError) as exc:
        raise EntryFailed(f"run {proposed} is used; run {run} cannot be set: {exc}") from None
    ctx.parameters["run_number"] = run
    ctx.refresh()
    ctx.notes.append(f"run {proposed} was already used: collected as run {run}")


__all__ = [
    "ABORT_GRACE_S",
    "Beamline",
    "Control",
    "Entry",
    "EntryContext",
    "EntryFailed",
    "EntryInterrupted",
    "FAILED",
    "Outcome",
    "RoleHolder",
    "SKIPPED",
    "SKIPPED_BY_USER",
    "STOPPED_BY_USER",
    "beamline_role",
    "claim_free_run",
]
