"""The data-collection queue as a hardware object, reachable by role ``queue``.

It owns the Qt-free parts of the queue (``mxgui.core.queue``): the model, the history,
the queue file kept up to date on every change, the task factory with the beamline's
live defaults and limits, the run index, and the execution engine. Bricks and the
XML-RPC server reach them through this object (``repository.get("/queue")`` or the
beamline's ``queue`` role), never through globals.

At :meth:`QueueHardwareObject.init` the queue file is read, changing nothing on disk
(``mxgui --check`` loads this object too): :attr:`restore_result` says what happened
(for the GUI to show), and :attr:`crashed` whether the last mxgui using the file stopped
without shutting down (the GUI then asks whether to keep the restored queue). The file
is taken into use by :meth:`QueueHardwareObject.use_file`, which the GUI calls when it
starts and the first change of the queue calls otherwise: only then is an unusable file
moved aside (``.bad-<timestamp>``), an older format converted, the staging directories
of the tasks a crash interrupted removed, the marker of :attr:`crashed` written and the
queue saved on every change.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ClassVar, cast

from hardware_objects.abstract.diffractometer import AbstractDiffractometer
from hardware_objects.abstract.lims import AbstractLims
from hardware_objects.abstract.sample_changer import AbstractSampleChanger
from hardware_objects.abstract.session import AbstractSession
from mxgui.core.acquisition import ParameterError
from mxgui.core.errors import Refused
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState, HOProperty
from mxgui.core.lims.catalogue import SampleCatalogue, catalogue_of
from mxgui.core.queue import (
    ROOT_ID,
    History,
    QueueError,
    QueueModel,
    QueueNode,
    QueueStore,
    RestoreResult,
    TaskFactory,
    restore,
    settle,
    summarise,
    with_free_run_number,
)
from mxgui.core.queue.engine import QueueEngine
from mxgui.core.queue.nodes import SAMPLE, thaw
from mxgui.core.queue.persistence import default_queue_path, set_aside
from mxgui.core.queue.queue_file import read as read_queue_file
from mxgui.core.queue.run_index import QueueRuns
from mxgui.core.queue.summary import DEFAULT_BYTES_PER_IMAGE
from mxgui.core.queue.tasks import CollectDefaults
from mxgui.core.roles import (
    QueueEngineRole,
    ShapesRole,
)
from mxgui.core.save_errors import is_read_only, report_save_failure
from mxgui.core.staging import remove_stale_in

log = logging.getLogger(__name__)

#: beside the queue file while an mxgui uses it; left behind by a crash
MARKER_SUFFIX = ".running"


class QueueHardwareObject(HardwareObject):
    """The queue of one beamline: model, history, queue file, defaults, runs, engine.

    XML properties: ``queue_file`` (empty: ``$MXGUI_DATA_DIR/.mxgui/queue.json``),
    ``save_quiet`` and ``save_max_delay`` (seconds, see :class:`QueueStore`). Optional
    roles: ``collect`` (defaults and live limits), ``shapes`` (shape ids checked),
    ``session`` (run numbers it issued), ``sample_changer`` (samples to add),
    ``diffractometer`` (the current position for a centring the engine asks for),
    ``lims`` (the samples from the sample changer carry their LIMS name, acronym and
    ``lims_sample_id``, the blSampleId); the engine runs on these roles (and
    ``energy_scan``).

    Signals: ``engineChanged(engine)`` when :meth:`set_engine` installs another engine.

    Who answers the engine's ``centringRequested``: a view that does (the sample view's
    3-click centring) registers with :meth:`add_centring_handler`; while one is
    registered (:attr:`has_centring_handler`), the run control only says where to
    centre and does not answer too.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("engineChanged",)
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "queue_file": HOProperty(str, "", "the queue file (empty: the user's data directory)"),
        "save_quiet": HOProperty(float, 0.2, "seconds without a change before a save"),
        "save_max_delay": HOProperty(float, 2.0, "longest a change stays unsaved, seconds"),
    }

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.model = QueueModel()
        self.history = History()
        self.factory = TaskFactory()
        self.runs: QueueRuns | None = None
        self.store: QueueStore | None = None
        self.engine: QueueEngineRole | None = None
        self.path = Path()
        self.restore_result = RestoreResult(False)
        self.crashed = False
        self._store_lock = threading.Lock()
        self._store_started = False
        self._centring_handlers: list[object] = []
        self._lims_samples: SampleCatalogue | None = None

    # life ---------------------------------------------------------------------------------
    def init(self) -> None:
        collect = self.get_object_by_role("collect")
        defaults = CollectDefaults(collect) if collect is not None else None
        self.factory = TaskFactory(defaults, self.shapes)
        self.model = QueueModel(validator=self.factory.validate)
        configured = self.get_property("queue_file")
        self.path = (
            Path(os.path.expanduser(os.path.expandvars(configured)))
            if configured
            else default_queue_path()
        )
        self.crashed = self.marker_path.exists()
        if self.crashed:
            log.warning("%s: the last mxgui using %s did not stop cleanly", self.name, self.path)
        # read only: nothing on disk changes before use_file() (mxgui --check)
        self.restore_result = restore(self.path, self.model, self.history, read_only=True)
        self.runs = QueueRuns(self.model, follow=True)
        self.store = QueueStore(
            self.path,
            self.model,
            self.history,
            quiet=self.get_property("save_quiet"),
            max_delay=self.get_property("save_max_delay"),
        )
        # the file is taken into use by the GUI's start or the first change
        for emitter in (self.model, self.history):
            for signal in emitter.declared_signals():
                emitter.connect(signal, self._first_change)
        self.engine = self._make_engine()
        self.set_state(HardwareObjectState.READY)

    def _first_change(self, *_args: object) -> None:
        self._use_file(changed=True)

    def use_file(self) -> RestoreResult:
        """Take the queue file into use: an unusable file is moved aside and an older
        format converted (:attr:`restore_result` then says where the file went); an
        existing file is marked as in use (see :attr:`crashed`) and saved on every
        change from now on (with no file, nothing is written until the first change).
        The GUI calls this when it starts; the first change of the queue or its history
        calls it otherwise; later calls do nothing. Returns :attr:`restore_result`."""
        self._use_file(changed=False)
        return self.restore_result

    def _use_file(self, changed: bool) -> None:
        """:meth:`use_file`; ``changed``: the queue changed, so the store starts even
        when there is no file yet."""
        with self._store_lock:
            if self._store_started or self.store is None:
                return
            if self.restore_result.pending:
                self.restore_result = settle(
                    self.path, self.model, self.history, self.restore_result
                )
            if not changed and not self.path.exists():
                return  # nothing is written at start: the file comes with the first change
            self._store_started = True
            for emitter in (self.model, self.history):
                for signal in emitter.declared_signals():
                    emitter.disconnect(signal, self._first_change)
            self.store.start()
        # the interrupted tasks' staging directories, left by the crash
        remove_stale_in(self.restore_result.directories)
        try:
            self.marker_path.parent.mkdir(parents=True, exist_ok=True)
            self.marker_path.write_text(f"{os.getpid()}\n")
        except OSError as exc:
            if is_read_only(exc):  # said once, for every file mxgui keeps there
                report_save_failure(log, "the queue", self.path, exc)
            else:
                log.warning("%s: cannot write %s: %s", self.name, self.marker_path, exc)

    def shutdown(self) -> None:
        """Stop the engine, save what is unsaved, and mark a clean stop."""
        engine, self.engine = self.engine, None
        if engine is not None:
            engine.shutdown()
        if self.runs is not None:
            self.runs.close()
        for emitter in (self.model, self.history):
            for signal in emitter.declared_signals():
                emitter.disconnect(signal, self._first_change)
        with self._store_lock:
            store, started, self.store = self.store, self._store_started, None
        if store is not None and started:
            store.stop()
            try:
                self.marker_path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:  # a read-only directory: the store has said so
                log.debug("%s: cannot remove %s: %s", self.name, self.marker_path, exc)

    def save_now(self) -> str:
        """Write the queue file now if anything is unsaved (before quitting); ``""``
        when the file is up to date, else why it could not be written."""
        with self._store_lock:
            store, started = self.store, self._store_started
        if store is None or not started:
            return ""  # not in use: nothing changed since it was read
        if store.flush():
            return ""
        return f"{self.path}: {store.last_error}"

    def startup_problems(self) -> list[str]:
        """An unusable queue file (see :meth:`use_file`): why, and what mxgui will do."""
        result = self.restore_result
        if not result.problem:
            return []
        if result.bad_file is not None:
            return [result.message]
        return [
            f"{result.problem}. When mxgui starts, it will move the file aside and start "
            "with an empty queue."
        ]

    @property
    def marker_path(self) -> Path:
        """The file that says an mxgui uses the queue file (left by a crash)."""
        return self.path.with_name(self.path.name + MARKER_SUFFIX)

    def _make_engine(self) -> QueueEngineRole:
        """The execution engine, running on this object's roles."""
        return QueueEngine(self.model, self.history, self, factory=self.factory)

    def set_engine(self, engine: QueueEngineRole | None) -> None:
        """Use ``engine`` (the old one is shut down); emits ``engineChanged``."""
        old, self.engine = self.engine, engine
        if old is not None and old is not engine:
            old.shutdown()
        self.emit("engineChanged", engine)

    def add_centring_handler(self, handler: object) -> None:
        """``handler`` answers the engine's manual centring requests from now on."""
        if handler not in self._centring_handlers:
            self._centring_handlers.append(handler)

    def remove_centring_handler(self, handler: object) -> None:
        """``handler`` no longer answers centring requests."""
        if handler in self._centring_handlers:
            self._centring_handlers.remove(handler)

    @property
    def has_centring_handler(self) -> bool:
        """True while a view answers the engine's manual centring requests."""
        return bool(self._centring_handlers)

    def discard_restored(self) -> str:
        """Start with an empty queue instead of the restored one (the user chose so);
        the file is copied aside first. The history is kept (its run numbers count).
        Returns the message for the user."""
        kept = set_aside(self.path, "discarded", copy=True) if self.path.exists() else None
        self.model.clear()
        self.crashed = False
        where = f"; the file was kept as {kept}" if kept else ""
        message = f"Started with an empty queue{where}."
        log.info("%s", message)
        return message

    # building -------------------------------------------------------------------------------
    # the roles of this object's XML (the XML names the objects; the types say what they are)
    @property
    def session(self) -> AbstractSession | None:
        """The ``session`` role (run numbers it issued), if any."""
        return cast("AbstractSession | None", self.get_object_by_role("session"))

    @property
    def sample_changer(self) -> AbstractSampleChanger | None:
        """The ``sample_changer`` role (samples to add), if any."""
        return cast("AbstractSampleChanger | None", self.get_object_by_role("sample_changer"))

    @property
    def lims_samples(self) -> SampleCatalogue | None:
        """The LIMS samples of the logged-in proposal by address, if a LIMS gave them
        (:meth:`use_lims`)."""
        return self._lims_samples

    def use_lims(self, lims: AbstractLims) -> None:
        """Samples added from the sample changer carry ``lims``'s name, acronym and
        blSampleId. Called by the LIMS object, whose ``queue`` role this queue is (the
        LIMS records what the queue runs, so the reference goes that way, not back)."""
        self._lims_samples = catalogue_of(lims)

    @property
    def diffractometer(self) -> AbstractDiffractometer | None:
        """The ``diffractometer`` role (where a centring the engine asks for is), if any."""
        return cast("AbstractDiffractometer | None", self.get_object_by_role("diffractometer"))

    @property
    def shapes(self) -> ShapesRole | None:
        """The ``shapes`` role (shape ids checked, grids summarised), if any."""
        return cast("ShapesRole | None", self.get_object_by_role("shapes"))

    def add_sample(
        self,
        location: str | None = None,
        name: str = "",
        protein_acronym: str = "",
        barcode: str = "",
        lims_sample_id: int | None = None,
    ) -> int:
        """Add a sample (``location`` ``None``: mounted by hand); return its id.
        ``lims_sample_id``: its blSampleId in the LIMS, if it has one."""
        parameters: dict[str, object] = {
            "location": location,
            "name": name,
            "protein_acronym": protein_acronym,
            "barcode": barcode,
            "lims_sample_id": lims_sample_id,
        }
        return self.model.add(ROOT_ID, SAMPLE, parameters)

    def queued_locations(self) -> set[str]:
        """The sample-changer addresses of the samples in the queue."""
        found = set()
        for sample_id in self.model.children(ROOT_ID):
            location = self.model.get_node(sample_id).parameters.get("location")
            if location:
                found.add(str(location))
        return found

    def add_samples_from_changer(self, addresses: Iterable[str]) -> list[int]:
        """Add the sample changer's samples at ``addresses`` (those already queued are
        left out); return the new ids. ``ValueError`` for an unknown address.

        A sample the LIMS has at that address (:attr:`lims_samples`) carries its LIMS
        name, protein acronym and blSampleId (so prefixes follow ``<acronym>-<name>``);
        the others the sample changer's name and acronym."""
        changer = self.sample_changer
        if changer is None:
            raise QueueError("no sample changer: add a manually mounted sample")
        catalogue = self.lims_samples
        queued = self.queued_locations()
        added = []
        for address in addresses:
            sample = changer.get_sample(address)
            if sample.address in queued:
                continue
            lims = catalogue.get(sample.address) if catalogue is not None else None
            if lims is not None:
                new_id = self.add_sample(
                    sample.address,
                    lims.name or sample.name,
                    lims.acronym or sample.protein_acronym,
                    sample.barcode or lims.barcode,
                    lims.sample_id,
                )
            else:
                new_id = self.add_sample(
                    sample.address, sample.name, sample.protein_acronym, sample.barcode
                )
            added.append(new_id)
            queued.add(sample.address)
        return added

    def task_parameters(
        self, parent_id: int, task_type: str, given: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Complete parameters of a new ``task_type`` under ``parent_id``: the
        beamline's defaults for its sample, ``given`` on top, a free run number."""
        sample_id = self.model.sample_of(parent_id)
        sample = self.model.get_node(sample_id).parameters if sample_id is not None else None
        values = self.factory.create(task_type, given, sample=sample)
        if "run_number" in values and values.get("prefix"):
            values = with_free_run_number(values, self.runs, self.history, self.session)
        return values

    def add_task(
        self, parent_id: int, task_type: str, given: Mapping[str, Any] | None = None
    ) -> int:
        """Add a ``task_type`` under the sample or group ``parent_id`` (see
        :meth:`task_parameters`); return its id."""
        return self.model.add(
            parent_id, task_type, self.task_parameters(parent_id, task_type, given)
        )

    def duplicate(self, node_id: int) -> int:
        """A copy of task ``node_id`` after it, not run, with a free run number."""
        node = self.model.get_node(node_id)
        if not node.is_task:
            raise QueueError(f"only a task can be duplicated, not {node.describe()}")
        values = thaw(node.parameters)
        if "run_number" in values and values.get("prefix"):
            values = with_free_run_number(values, self.runs, self.history, self.session)
        parent_id, row = self.model.row_of(node_id)
        return self.model.add(parent_id, node.type, values, index=row + 1)

    # files ----------------------------------------------------------------------------------
    def export(self, path: str | os.PathLike[str]) -> None:
        """Write the queue and its history to ``path`` (JSON, atomically)."""
        if self.store is None:
            raise QueueError("the queue is not open")
        self.store.export(path)

    def import_file(self, path: str | os.PathLike[str]) -> list[int]:
        """Append the samples and tasks of the queue file ``path`` to the queue, as new
        nodes that have not run, each task with a free run number; return the ids of the
        samples added. All or nothing.

        Raises
        ------
        QueueFileError
            for a file that cannot be read (its place named).
        ParameterError
            listing every node whose parameters the beamline refuses.
        """
        data = read_queue_file(path)
        table = {node.id: node for node in data.nodes}
        problems = []
        for node in data.nodes:
            if node.id != ROOT_ID:
                sample = _sample_in(table, node) if node.type != SAMPLE else None
                for problem in self.factory.problems(node.type, node.parameters, sample):
                    problems.append(f"{path}: node {node.id} ({node.name}): {problem}")
        if problems:
            raise ParameterError(problems)
        added: list[int] = []
        try:
            for sample_id in table[ROOT_ID].children:
                self._import_subtree(table, sample_id, ROOT_ID, added)
        except (QueueError, ValueError):
            with contextlib.suppress(QueueError):
                self.model.remove(added)
            raise
        return added

    def _import_subtree(
        self, table: dict[int, QueueNode], node_id: int, parent_id: int, added: list[int]
    ) -> None:
        """Add ``table[node_id]`` and its subtree under ``parent_id``; the ids of nodes
        added under the root go to ``added`` at once (to undo a failed import)."""
        node = table[node_id]
        values = thaw(node.parameters)
        if node.is_task and "run_number" in values and values.get("prefix"):
            values = with_free_run_number(values, self.runs, self.history, self.session)
        new_id = self.model.add(
            parent_id, node.type, values, name=None if node.auto_name else node.name
        )
        if parent_id == ROOT_ID:
            added.append(new_id)
        if not node.enabled:
            self.model.set_enabled(new_id, False)
        for child in node.children:
            self._import_subtree(table, child, new_id, added)

    # running --------------------------------------------------------------------------------
    def execute_entry(self, node_id: int) -> Future[Any]:
        """Run node ``node_id``; a Future of its final status (success, warning,
        failed, skipped). Idle, the engine runs it; while a Workflow / XrayCentring
        entry waits for its workflow, it runs nested inside that entry (the workflow
        asked for it); ``Refused`` otherwise (the queue is busy) or without an engine.
        """
        engine = self.engine
        if engine is None:
            raise Refused(f"{self.name}: this mxgui has no queue engine")
        return engine.execute_entry(int(node_id))

    def is_executing(self, node_id: int | None = None) -> bool:
        """True while the queue runs (``node_id`` None), or while node ``node_id``
        executes (a sample or group while its children run)."""
        engine = self.engine
        if engine is None:
            return False
        return engine.is_executing(None if node_id is None else int(node_id))

    def bytes_per_image(self) -> float:
        """The size of one image with the detector as it is now (an estimate)."""
        defaults = self.factory.defaults
        if not isinstance(defaults, CollectDefaults):  # no collect role: no detector
            return DEFAULT_BYTES_PER_IMAGE
        try:
            return float(defaults.get_bytes_per_image())
        except Exception as exc:  # a broken detector must not stop a confirmation
            log.warning("%s: image size unknown (%s); using a default", self.name, exc)
            return DEFAULT_BYTES_PER_IMAGE

    def summarise(self, node_ids: Iterable[int], alone: bool | None = None) -> dict[str, Any]:
        """What running ``node_ids`` will do (``mxgui.core.queue.summary.summarise``;
        ``alone``: one node run on its own, not Run all nor several nodes)."""
        engine = self.engine
        return summarise(
            self.model,
            list(node_ids),
            self.history,
            self.shapes,
            bytes_per_image=self.bytes_per_image(),
            runs=self.runs,
            alone=alone,
            is_centred=engine.is_centred if engine is not None else None,
        )

    def renumber(self, node_ids: Iterable[int]) -> int:
        """Give the tasks ``node_ids`` free run numbers (after a collision); returns how
        many changed."""
        changed = 0
        for node_id in dict.fromkeys(node_ids):
            node = self.model.get_node(node_id)
            values = thaw(node.parameters)
            if node.has_run or "run_number" not in values:
                continue
            free = with_free_run_number(
                values, self.runs, self.history, self.session, exclude=[node_id]
            )
            if free["run_number"] != values["run_number"]:
                self.model.update_parameters(node_id, {"run_number": free["run_number"]})
                changed += 1
        return changed


def _sample_in(table: Mapping[int, QueueNode], node: QueueNode | None) -> Mapping[str, Any] | None:
    """The parameters of ``node``'s sample in a queue file's ``table`` (``None``: none)."""
    while node is not None and node.type != SAMPLE:
        node = table.get(node.parent) if node.parent is not None else None
    return node.parameters if node is not None else None
