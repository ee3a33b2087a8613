"""The sample view answers the queue engine's manual centring requests.

The engine emits ``centringRequested(node_id, sample_location)`` once it has mounted a
sample whose centring is "manual", and waits for ``provide_centring(node_id, position)``.
:class:`QueueCentring` starts the view's 3-click centring for it; Accept answers with
the :class:`CentredPosition` the diffractometer's ``accept_centring()`` returned (the
workflow's ``centringAccepted``), Reject, Cancel (Escape) or a failure answer ``None`` (the
sample fails "centring cancelled"). It registers with the queue hardware object
(``add_centring_handler``) so that the run control does not answer too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from hardware_objects.queue import QueueHardwareObject
from mxgui.core.centring import CentredPosition
from mxgui.core.errors import Refused
from mxgui.core.roles import Emitter, QueueEngineRole
from mxgui.gui.sample_view.modes import Mode

log = logging.getLogger(__name__)

#: binding scopes on the brick (``queue`` is the property's: it ends when it changes)
QUEUE_SCOPE = "queue"
ENGINE_SCOPE = "queue_engine"


class CentringView(Protocol):
    """What :class:`QueueCentring` uses of the sample view brick."""

    @property
    def mode(self) -> Mode: ...

    def set_mode(self, mode: Mode) -> None: ...

    def cancel(self) -> None: ...

    def show_message(self, text: str) -> None: ...

    def bind(
        self,
        emitter: Emitter,
        signal: str,
        slot: Callable[..., object],
        scope: str | None = None,
    ) -> object: ...

    def unbind(self, scope: str | None = None) -> None: ...


class QueueCentring:
    """The queue's side of the sample view's centring: one pending request at most.

    ``brick`` is the sample view (:class:`CentringView`); ``refresh`` shows its mode
    line again, which says what the queue waits for (:meth:`status`).
    """

    def __init__(self, brick: CentringView, refresh: Callable[[], None]) -> None:
        self.brick = brick
        self.refresh = refresh
        self.queue: QueueHardwareObject | None = None
        self.engine: QueueEngineRole | None = None
        #: the sample node whose centring the view is doing for the queue, and where it is
        self.node_id: int | None = None
        self.location = ""

    # wiring -----------------------------------------------------------------------------------
    def set_queue(self, queue: QueueHardwareObject | None) -> None:
        """Answer the centring requests of ``queue``'s engine (``None``: of nobody)."""
        if self.queue is not None:
            self.queue.remove_centring_handler(self)
        self._set_engine(None)
        self.brick.unbind(QUEUE_SCOPE)
        self.queue = queue
        if queue is None:
            return
        queue.add_centring_handler(self)
        self.brick.bind(queue, "engineChanged", self._set_engine, QUEUE_SCOPE)
        self._set_engine(queue.engine)

    def _set_engine(self, engine: QueueEngineRole | None) -> None:
        self._answer(None)
        self.brick.unbind(ENGINE_SCOPE)
        self.engine = engine
        if engine is None:
            return
        for signal, slot in (
            ("centringRequested", self._requested),
            ("entryFinished", self._entry_finished),
            ("executionFinished", lambda _status: self._given_up()),
        ):
            self.brick.bind(engine, signal, slot, ENGINE_SCOPE)

    def close(self) -> None:
        """The view is going: a pending request is answered ``None``."""
        self.set_queue(None)

    # state ------------------------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        return self.node_id is not None

    def status(self) -> str:
        """For the mode line: what the queue waits for ("" when nothing)."""
        return f"Centre sample {self.location} for the queue" if self.pending else ""

    # the engine --------------------------------------------------------------------------------
    def _requested(self, node_id: int, sample_location: str | None) -> None:
        self._answer(None)  # an older request still open: it cannot be answered any more
        self.brick.cancel()  # leave whatever the user was doing (a centring is cancelled)
        self.node_id, self.location = node_id, str(sample_location or "mounted by hand")
        self.brick.set_mode(Mode.CENTRING)
        if self.brick.mode is not Mode.CENTRING:
            self.brick.show_message(f"The queue's centring of {self.location} could not start")
            self._answer(None)
            return
        self.refresh()

    def _entry_finished(self, node_id: int, *_args: object) -> None:
        if node_id == self.node_id:
            self._given_up()

    def _given_up(self) -> None:
        """The engine no longer waits (stopped, skipped): leave the centring."""
        if self.pending:
            self.node_id = None
            if self.brick.mode is Mode.CENTRING:
                self.brick.cancel()
            self.refresh()

    # the workflow's ends (called by the brick) ----------------------------------------------------
    def accepted(self, position: CentredPosition) -> bool:
        """The user accepted ``position``: True when it answered the queue."""
        if not self.pending:
            return False
        self._answer(position)
        return True

    def ended(self, reason: str) -> None:
        """The centring ended: anything but accepted answers the queue ``None``."""
        if reason != "accepted":
            self._answer(None)

    def _answer(self, position: CentredPosition | None) -> None:
        node_id, self.node_id = self.node_id, None
        if node_id is None or self.engine is None:
            return
        try:
            answered = self.engine.provide_centring(node_id, position)
        except Refused as exc:
            self.brick.show_message(f"The queue refused the centred position: {exc}")
            answered = self.engine.provide_centring(node_id, None)
        if not answered:
            log.info("centring of node %s: the queue no longer waited for it", node_id)
        self.refresh()
