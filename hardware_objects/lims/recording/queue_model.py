"""The queue model the LIMS object's ``queue`` role holds, for the sources that read
nodes' results (workflows' ``lims_id``, characterisations' screening)."""

from __future__ import annotations

from mxgui.core.hardware_object import HardwareObject
from mxgui.core.queue.model import QueueModel


def queue_model(lims: HardwareObject) -> QueueModel | None:
    """The model of ``lims``'s ``queue`` role; None without one (or without a model)."""
    model = getattr(lims.get_object_by_role("queue"), "model", None)
    return model if isinstance(model, QueueModel) else None
