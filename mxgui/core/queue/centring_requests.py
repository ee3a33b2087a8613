"""The manual centring the queue engine asks for: ``centringRequested`` and its answer.

A sample with ``centring: manual`` waits (in the engine's thread) until the sample view
answers through ``QueueEngine.provide_centring`` (any thread). :class:`CentringRequests`
is that hand-over, owned by the engine: the node waiting and the Future of the answer.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, InvalidStateError
from typing import Any

from mxgui.core.centring import CentredPosition
from mxgui.core.errors import Refused
from mxgui.core.queue.entries.base import Beamline, EntryContext, EntryFailed, beamline_role

#: the signal asked for, as the engine emits it: ``(node_id, sample_location)``
CENTRING_REQUESTED = "centringRequested"


class CentringRequests:
    """The centring awaited (one at a time) and the answer to it.

    Parameters
    ----------
    emit
        Emits an engine signal (``centringRequested(node_id, sample_location)``).
    receivers
        The number of receivers of an engine signal (nobody listening: nobody answers).
    beamline
        The engine's beamline: its ``diffractometer`` cancels the 3 clicks on a stop.
    """

    def __init__(
        self,
        emit: Callable[..., None],
        receivers: Callable[[str], int],
        beamline: Beamline,
    ) -> None:
        self._emit = emit
        self._receivers = receivers
        self._beamline = beamline
        self._lock = threading.Lock()
        self._pending: tuple[int, Future[CentredPosition | None]] | None = None

    def provide(self, node_id: int, position: CentredPosition | Mapping[str, Any] | None) -> bool:
        """Answer the centring of sample ``node_id``: the centred position (a
        :class:`CentredPosition` or its dict), or ``None`` when the user cancelled.

        Returns False when no centring of that node is awaited (answered already,
        stopped); ``Refused`` for a position that is not one.
        """
        if position is not None and not isinstance(position, CentredPosition):
            try:
                position = CentredPosition.from_dict(position)
            except ValueError as exc:
                raise Refused(f"provide_centring: {exc}") from None
        with self._lock:
            pending = self._pending
        if pending is None or pending[0] != node_id:
            return False
        try:
            pending[1].set_result(position)
        except InvalidStateError:
            return False
        return True

    def request(self, ctx: EntryContext) -> CentredPosition | None:
        """Emit ``centringRequested`` and wait (interruptibly) for :meth:`provide`."""
        node = ctx.node
        if not self._receivers(CENTRING_REQUESTED):
            raise EntryFailed(
                "manual centring needs the sample view to answer, and nothing listens "
                "(use centring 'none' or 'point' for an unattended run)"
            )
        answer: Future[CentredPosition | None] = Future()
        with self._lock:
            self._pending = (node.id, answer)
        diffractometer = beamline_role(self._beamline, "diffractometer")

        def abort() -> None:
            answer.cancel()
            if diffractometer is not None:
                diffractometer.cancel_centring()

        try:
            location = ctx.parameters.get("location") or ""
            self._emit(CENTRING_REQUESTED, node.id, location)
            position: CentredPosition | None = ctx.wait(answer, "manual centring", abort=abort)
            return position
        finally:
            self.clear()

    def clear(self) -> None:
        """No centring is awaited any more."""
        with self._lock:
            self._pending = None
