"""Workflow runs, recorded as ISPyB 5.2.0 can store them (no workflow table: a
``ProcessingJob`` with its parameters, an ``AutoProcProgram`` for its status and the
log as an attachment; see ``docs/lims_storage.md``).

:class:`WorkflowRecording` listens to the ``workflow`` role of the LIMS object:

- ``workflowStarted(run_id, name)``: a ``workflow_run`` (type = the workflow's name,
  its inputs as parameters from the client's execution log, the log file);
- the ``collect`` role's ``collectStarted`` while a run goes on: the first collection
  the run makes (nested in the queue, or over XML-RPC) becomes the run's
  ``ProcessingJob.dataCollectionId`` (``workflow_run_update``);
- the ``queue`` role's model: a node's results gaining ``lims_id`` while a run goes
  on (XML-RPC ``queue_set_workflow_lims_id``) is stored on the run as the parameter
  ``lims_id`` (with ``lims_id_node``, the node's id);
- ``workflowFinished(run_id, status, message)``: ``workflow_run_end`` (success, or
  failed / aborted with the message).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from hardware_objects.abstract.collect import AbstractCollect
from hardware_objects.lims.recording.queue_model import queue_model
from hardware_objects.role_objects import optional_role_object
from hardware_objects.workflow_client import WorkflowClient
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.lims import records
from mxgui.core.lims.recorder import LimsRecorder, collection_key, reference, short_key
from mxgui.core.roles.emitter import Emitter
from mxgui.core.workflow.events import SUCCESS

log = logging.getLogger(__name__)

#: characters kept free in a run's key for the "/update-N" and "/end" keys made from it
SUFFIX_ROOM = 16


@dataclass
class _Run:
    """A run recorded: its key, whether its first collection is known, the lims ids
    stored."""

    run_id: int
    key: str
    collection_seen: bool = False
    updates: int = 0


class WorkflowRecording:
    """Records the runs of the ``workflow`` role (see the module)."""

    def __init__(
        self,
        lims: HardwareObject,
        recorder: LimsRecorder,
        client: WorkflowClient,
    ) -> None:
        self._recorder = recorder
        self._client = client
        self._run: _Run | None = None  # in the recorder's thread only
        self._lims_ids: dict[int, object] = {}  # in the recorder's thread only
        self._model = queue_model(lims)
        collect = optional_role_object(lims, "collect", AbstractCollect)
        self._connections: list[tuple[Emitter, str, Callable[..., object]]] = [
            (client, "workflowStarted", self._on_started),
            (client, "workflowFinished", self._on_finished),
        ]
        if collect is not None:
            self._connections.append((collect, "collectStarted", self._on_collect_started))
        if self._model is not None:
            self._connections.append((self._model, "nodeChanged", self._on_node_changed))
        for sender, signal, slot in self._connections:
            sender.connect(signal, slot)

    @classmethod
    def start(cls, lims: HardwareObject, recorder: LimsRecorder) -> WorkflowRecording | None:
        """The recording of ``lims``'s ``workflow`` role; None without one."""
        client = optional_role_object(lims, "workflow", WorkflowClient)
        return None if client is None else cls(lims, recorder, client)

    def stop(self) -> None:
        for sender, signal, slot in self._connections:
            sender.disconnect(signal, slot)

    # the signals (any thread): take what is needed now, record later -------------------------
    def _on_started(self, run_id: int, name: str) -> None:
        now = time.time()  # the log is read in the recorder's thread, not the caller's
        self._recorder.defer(lambda: self._started(run_id, name, now))

    def _on_finished(self, run_id: int, status: str, message: str) -> None:
        ended = time.time()
        self._recorder.defer(lambda: self._ended(run_id, status, message, ended))

    def _on_collect_started(self, info: dict[str, object]) -> None:
        base = (str(info.get("directory", "")), str(info.get("prefix", "")), info.get("run_number"))
        self._recorder.defer(lambda: self._collection(base))

    def _on_node_changed(self, node_id: int, fields: tuple[str, ...]) -> None:
        model = self._model
        if model is None or "results" not in fields:
            return
        try:
            lims_id = model.get_node(node_id).results.get("lims_id")
        except (KeyError, ValueError):
            return
        if lims_id is not None:
            self._recorder.defer(lambda: self._lims_id(node_id, lims_id))

    # the recorder's thread -------------------------------------------------------------------
    def _started(self, run_id: int, name: str, started: float) -> None:
        self._run = None
        if self._recorder.session_ref() is None:
            log.debug("LIMS: nobody logged in; workflow run %s not recorded", run_id)
            return
        inputs: dict[str, object] = {}
        execution_log = self._client.log
        try:
            logged = execution_log.run(run_id)
        except (ValueError, RuntimeError, OSError) as exc:  # a run the log could not keep
            log.warning("LIMS: workflow run %s: its inputs are not in the log (%s)", run_id, exc)
        else:
            started, inputs = logged.started, dict(logged.info)
        log_file = "" if execution_log.path is None else str(execution_log.path)
        key = short_key(f"workflow:{log_file}#{run_id}@{started:.6f}", SUFFIX_ROOM)
        payload = records.workflow_started(
            name=name, started=started, parameters=inputs, log_file=log_file
        )
        if self._recorder.record("workflow_run", payload, key) is not None:
            self._run = _Run(run_id, key)

    def _collection(self, base: tuple[str, str, object]) -> None:
        run, outbox = self._run, self._recorder.outbox
        if run is None or run.collection_seen or outbox is None:
            return
        directory, prefix, number = base
        if not isinstance(number, int) or isinstance(number, bool):
            return
        dc_key = collection_key("dc", directory, prefix, number)
        try:
            outbox.status_of(dc_key)  # the collections source recorded it (it runs first)
        except (KeyError, RuntimeError):
            return
        run.collection_seen = True
        self._update(
            run, records.workflow_updated(reference(run.key), collection=reference(dc_key))
        )

    def _lims_id(self, node_id: int, lims_id: object) -> None:
        run = self._run
        if run is None or self._lims_ids.get(node_id) == lims_id:
            return
        self._lims_ids[node_id] = lims_id
        parameters = {"lims_id": lims_id, "lims_id_node": node_id}
        self._update(run, records.workflow_updated(reference(run.key), parameters=parameters))

    def _update(self, run: _Run, payload: records.Payload) -> None:
        run.updates += 1
        self._recorder.record("workflow_run_update", payload, f"{run.key}/update-{run.updates}")

    def _ended(self, run_id: int, status: str, message: str, ended: float) -> None:
        run, self._run = self._run, None
        self._lims_ids.clear()
        if run is None or run.run_id != run_id:
            return
        error = "" if status == SUCCESS else f"{status}: {message}" if message else status
        payload = records.workflow_ended(
            reference(run.key, "auto_proc_program_id"), ended=ended, error=error
        )
        self._recorder.record("workflow_run_end", payload, f"{run.key}/end")
