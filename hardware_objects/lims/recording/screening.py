"""Characterisation results, recorded as ISPyB's screening rows.

:class:`ScreeningRecording` watches the model of the LIMS object's ``queue`` role: when
a ``Characterisation`` node's results gain its analysis (``reference``, ``strategy``
and ``rule``, set together at the end of its run: see
:mod:`mxgui.core.queue.entries.characterisation`), one ``screening`` operation is put:
``Screening``, ``ScreeningOutput`` (the spots, the resolution seen, the images) and,
with a strategy, its ``ScreeningStrategy`` rows (a sub-wedge per proposed sweep), tied
to the collection and group of the characterisation's reference run (one collection:
one wedge per image, as the collections source recorded it).
"""

from __future__ import annotations

import logging

from hardware_objects.lims.recording.queue_model import queue_model
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.lims import records
from mxgui.core.lims.recorder import LimsRecorder, collection_key, reference
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import thaw

log = logging.getLogger(__name__)

CHARACTERISATION = "Characterisation"


class ScreeningRecording:
    """Records the characterisations of the ``queue`` role's model (see the module)."""

    def __init__(self, recorder: LimsRecorder, model: QueueModel) -> None:
        self._recorder = recorder
        self._model = model
        self._stored: set[str] = set()  # in the recorder's thread only
        model.connect("nodeChanged", self._on_node_changed)

    @classmethod
    def start(cls, lims: HardwareObject, recorder: LimsRecorder) -> ScreeningRecording | None:
        """The recording of ``lims``'s ``queue`` role's characterisations; None without."""
        model = queue_model(lims)
        return None if model is None else cls(recorder, model)

    def stop(self) -> None:
        self._model.disconnect("nodeChanged", self._on_node_changed)

    def _on_node_changed(self, node_id: int, fields: tuple[str, ...]) -> None:
        if "results" not in fields:
            return
        try:
            node = self._model.get_node(node_id)
        except (KeyError, ValueError):
            return
        if node.type != CHARACTERISATION or "rule" not in node.results:
            return
        results, parameters = thaw(node.results), thaw(node.parameters)
        self._recorder.defer(lambda: self._record(results, parameters))

    def _record(self, results: dict[str, object], parameters: dict[str, object]) -> None:
        """In the recorder's thread."""
        runs = results.get("reference_runs")
        if not isinstance(runs, list) or not runs or not isinstance(runs[0], int):
            log.error("LIMS: a characterisation without reference runs: not recorded")
            return
        base = (str(parameters.get("directory", "")), str(parameters.get("prefix", "")), runs[0])
        key = collection_key("screening", *base)
        outbox = self._recorder.outbox
        if key in self._stored or outbox is None:
            return
        try:
            outbox.status_of(collection_key("dc", *base))
        except (KeyError, RuntimeError):
            log.debug("LIMS: the collection of %s was not recorded: no screening", key)
            return
        try:
            payload = records.screening(
                results,
                parameters,
                collection=reference(collection_key("dc", *base)),
                group=reference(collection_key("dcg", *base)),
            )
        except (KeyError, ValueError) as exc:
            log.error("LIMS: %s not recorded: %s", key, exc)
            return
        if self._recorder.record("screening", payload, key) is not None:
            self._stored.add(key)
