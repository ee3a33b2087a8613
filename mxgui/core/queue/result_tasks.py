"""Tasks added after a result: the strategy of a characterisation, MAD collections.

:class:`ResultTasks` is owned by the queue engine (``QueueEngine.accept_strategy`` and
``QueueEngine.add_mad_collections``); the work is done by the entries' modules
(``entries/characterisation.py``, ``entries/energy_scan.py``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from mxgui.core.queue.entries import accept_strategy, add_mad_collections
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel


class TaskDefaults(Protocol):
    """What gives new tasks their defaults (``TaskFactory``)."""

    def defaults_for(
        self, node_type: str, sample: Mapping[str, object] | None = None
    ) -> dict[str, Any]:
        """The default parameters of a new ``node_type`` node under ``sample``."""
        ...


class ResultTasks:
    """Adds the tasks a result proposes to ``model``, recorded against ``history``.

    ``factory`` gives new collections their defaults (``None``: the static ones).
    """

    def __init__(
        self, model: QueueModel, history: History, factory: TaskDefaults | None = None
    ) -> None:
        self.model = model
        self.history = history
        self.factory = factory

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

        ``parameters`` are the collections' (default: the factory's for the sample,
        else the static ones)."""
        base = dict(parameters or {})
        if not base:
            base = self.collection_defaults(node_id)
        return add_mad_collections(self.model, self.history, node_id, base, tuple(energies))

    def collection_defaults(self, node_id: int) -> dict[str, Any]:
        """The factory's defaults of a DataCollection on the sample of ``node_id``
        (empty without a factory)."""
        if self.factory is None:
            return {}
        sample_id = self.model.sample_of(node_id)
        sample = self.model.get_node(sample_id).parameters if sample_id is not None else None
        return self.factory.defaults_for("DataCollection", sample)
