"""Two parts of the queue engine (``QueueEngine`` inherits them): the manual centring
it asks the sample view for, and the helpers that add tasks proposed by a result
(a characterisation's strategy, an energy scan's MAD energies)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, InvalidStateError
from typing import Any

from mxgui.core.centring import CentredPosition
from mxgui.core.errors import Refused
from mxgui.core.queue.entries import accept_strategy, add_mad_collections
from mxgui.core.queue.entries.base import EntryContext, EntryFailed, beamline_role
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel


class CentringHost:
    """``centringRequested`` and its answer, :meth:`provide_centring`.

    Uses the engine's ``beamline``, its lock ``_cond`` and ``_centring`` (the node
    waiting for a centring and the Future of the answer), ``emit`` and ``receivers``.
    """

    beamline: Any
    _cond: threading.Condition
    _centring: tuple[int, Future] | None

    emit: Callable[..., None]  # SignalEmitter's
    receivers: Callable[[str], int]

    def provide_centring(self, node_id: int, position: CentredPosition | Mapping | None) -> bool:
        """Answer the ``centringRequested`` of sample ``node_id``: the centred position
        (a :class:`CentredPosition` or its dict), or ``None`` when the user cancelled.

        Returns False when no centring of that node is awaited (answered already,
        stopped); ``Refused`` for a position that is not one.
        """
        if position is not None and not isinstance(position, CentredPosition):
            try:
                position = CentredPosition.from_dict(position)
            except ValueError as exc:
                raise Refused(f"provide_centring: {exc}") from None
        with self._cond:
            pending = self._centring
            if pending is None or pending[0] != node_id:
                return False
        try:
            pending[1].set_result(position)
        except InvalidStateError:
            return False
        return True

    def request_centring(self, ctx: EntryContext) -> CentredPosition | None:
        """Emit ``centringRequested`` and wait for :meth:`provide_centring`."""
        node = ctx.node
        if not self.receivers("centringRequested"):
            raise EntryFailed(
                "manual centring needs the sample view to answer, and nothing listens "
                "(use centring 'none' or 'point' for an unattended run)"
            )
        answer: Future = Future()
        with self._cond:
            self._centring = (node.id, answer)
        diffractometer = beamline_role(self.beamline, "diffractometer")

        def abort() -> None:
            answer.cancel()
            if diffractometer is not None:
                diffractometer.cancel_centring()

        try:
            location = ctx.parameters.get("location") or ""
            self.emit("centringRequested", node.id, location)
            return ctx.wait(answer, "manual centring", abort=abort)
        finally:
            with self._cond:
                self._centring = None


class QueueHelpers:
    """Tasks added after a result: the strategy of a characterisation, MAD collections."""

    model: QueueModel
    history: History
    factory: Any

    def accept_strategy(self, node_id: int) -> int:
        """Add the DataCollection that characterisation ``node_id`` proposed right after
        it; its id. ``Refused`` without a strategy (see ``entries/characterisation``)."""
        return accept_strategy(self.model, self.history, node_id)

    def add_mad_collections(
        self,
        node_id: int,
        energies: Sequence[str] = ("peak", "inflection", "remote"),
        parameters: Mapping[str, Any] | None = None,
    ) -> list[int]:
        """DataCollections at the chosen energies of energy scan ``node_id``, after it.

        ``parameters`` are the collections' (defaults: the task factory's for the
        sample when the model validates with one, else the static ones)."""
        base = dict(parameters or {})
        if not base:
            base = self._collection_defaults(node_id)
        return add_mad_collections(self.model, self.history, node_id, base, tuple(energies))

    def _collection_defaults(self, node_id: int) -> dict[str, Any]:
        factory = self.factory or getattr(self.model.validator, "__self__", None)
        if not hasattr(factory, "defaults_for"):
            return {}
        sample_id = self.model.sample_of(node_id)
        sample = self.model.get_node(sample_id).parameters if sample_id is not None else None
        return factory.defaults_for("DataCollection", sample)
