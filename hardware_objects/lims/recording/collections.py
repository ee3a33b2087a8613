"""Data collections and mesh scans, recorded as ISPyB stores them.

:class:`CollectionRecording` listens to the ``collect`` role of the LIMS object:

- ``collectStarted(info)``: a ``data_collection_group`` and a ``data_collection`` (beam
  size from the ``beam`` role, flux from ``flux``, the sample loaded in
  ``sample_changer`` as its ``blSampleId`` when the LIMS gave it); for a mesh
  (``info["grid"]``: the grid as scanned) a ``grid_info`` too, once its crystal snapshot
  is taken when it asks for one (``snapshotTaken``: the grid's corner on it and its
  microns per pixel, from ``info["snapshot_geometry"]``), else at once (at the end if the
  snapshot never came);
- ``collectOscillationFinished(info)`` / ``collectOscillationFailed(reason)``: the
  ``data_collection_end`` and ``data_collection_group_end``, and the JPEGs of the first
  and last image (made in the background, then an ``image_jpegs`` operation);
- the ``shapes`` role's ``gridResultsChanged(grid_id)`` while (and after) a mesh on that
  grid: the new scores, with their images' spot counts where the scorer gave them, as
  ``image_quality_indicators``, by image number.

The handlers only take what they need from the signal's thread (the collect's) and hand
the rest to the recorder's thread: the collection never waits on the LIMS.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

from hardware_objects.abstract.beam import AbstractBeam
from hardware_objects.abstract.collect import AbstractCollect
from hardware_objects.abstract.flux import AbstractFlux
from hardware_objects.abstract.sample_changer import AbstractSampleChanger
from hardware_objects.role_objects import optional_role_object
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.lims import records
from mxgui.core.lims.recorder import LimsRecorder, collection_key, reference
from mxgui.core.roles.emitter import Emitter
from mxgui.core.shapes import Grid, shape_from_dict
from mxgui.core.snapshot_geometry import SnapshotGeometry

if TYPE_CHECKING:
    from mxgui.core.lims.jpegs import JpegMaker
    from mxgui.core.roles.shapes import ShapesRole

log = logging.getLogger(__name__)

#: at most this many images' scores in one write (a whole 1000 x 1000 grid posted at once
#: would pass the outbox's bound on one payload and be refused)
SCORES_PER_BATCH = 5000


@dataclass
class _Mesh:
    """The mesh whose scores are recorded: its grid as scanned, where its images
    start, the collection's key, and the cells already put."""

    grid_id: str
    scan_grid: Grid
    first_image: int
    base: tuple[str, str, int, int]
    sent: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    batches: int = 0


@dataclass(frozen=True)
class _Collection:
    """What the recording of one collection needs: its info and its keys."""

    info: dict[str, object]
    #: directory, prefix, run number and attempt (see ``collection_key``)
    base: tuple[str, str, int, int]

    def key(self, tag: str) -> str:
        return collection_key(tag, *self.base)


class CollectionRecording:
    """Records the collections and meshes of the ``collect`` role (see the module)."""

    def __init__(
        self,
        lims: HardwareObject,
        recorder: LimsRecorder,
        collect: AbstractCollect,
    ) -> None:
        self._recorder = recorder
        self._collect = collect
        self._beam = optional_role_object(lims, "beam", AbstractBeam)
        self._flux = optional_role_object(lims, "flux", AbstractFlux)
        self._changer = optional_role_object(lims, "sample_changer", AbstractSampleChanger)
        self._shapes = cast("ShapesRole | None", lims.get_object_by_role("shapes"))
        self._current: _Collection | None = None  # in the recorder's thread only
        # (start, attempt) of the last collection of each run (the recorder's thread only)
        self._attempts: dict[tuple[str, str, int], tuple[float, int]] = {}
        self._mesh: _Mesh | None = None  # in the recorder's thread only
        # a mesh's grid waiting for its snapshot (the recorder's thread only)
        self._grid_waiting: tuple[_Collection, Mapping[str, object]] | None = None
        self._jpegs: JpegMaker | None = None
        self._lock = threading.Lock()
        self._scores_pending: set[str] = set()
        self._connections: list[tuple[Emitter, str, Callable[..., object]]] = [
            (collect, "collectStarted", self._on_started),
            (collect, "collectOscillationFinished", self._on_finished),
            (collect, "collectOscillationFailed", self._on_failed),
            (collect, "snapshotTaken", self._on_snapshot),
        ]
        if self._shapes is not None:
            self._connections.append((self._shapes, "gridResultsChanged", self._on_grid_results))
        for sender, signal, slot in self._connections:
            sender.connect(signal, slot)

    @classmethod
    def start(cls, lims: HardwareObject, recorder: LimsRecorder) -> CollectionRecording | None:
        """The recording of ``lims``'s ``collect`` role; None without one."""
        collect = optional_role_object(lims, "collect", AbstractCollect)
        return None if collect is None else cls(lims, recorder, collect)

    #: set by stop(): no JpegMaker is made after it (nobody would shut it down)
    _stopped = False

    def stop(self) -> None:
        """Stop following the signals and finish the JPEGs asked for (at most
        ``jpegs.MAX_PENDING`` collections): their ``made`` callbacks defer their records
        to the recorder, which the LIMS object flushes after this."""
        for sender, signal, slot in self._connections:
            sender.disconnect(signal, slot)
        self._stopped = True
        jpegs, self._jpegs = self._jpegs, None
        if jpegs is not None:
            jpegs.shutdown(wait=True)

    # the signals (the collect's thread): take what is needed now, record later ----------
    def _on_started(self, info: dict[str, object]) -> None:
        beam_size = self._beam.get_beam_size() if self._beam is not None else None
        flux = self._flux.get_value() if self._flux is not None else None
        loaded = self._changer.get_loaded_sample() if self._changer is not None else None
        address = loaded.address if loaded is not None else None
        self._recorder.defer(lambda: self._started(dict(info), beam_size, flux, address))

    def _on_finished(self, info: dict[str, object]) -> None:
        self._recorder.defer(lambda: self._ended(dict(info)))

    def _on_failed(self, reason: str) -> None:
        info = self._collect.get_collection_info()
        if info is not None:
            final = dict(info, reason=info.get("reason") or reason)
            self._recorder.defer(lambda: self._ended(final))

    def _on_snapshot(self, _path: str) -> None:
        info = self._collect.get_collection_info()
        geometry = None if info is None else info.get("snapshot_geometry")
        self._recorder.defer(lambda: self._snapshot_taken(geometry))

    def _on_grid_results(self, grid_id: str) -> None:
        with self._lock:  # a burst of batches: one look at the results
            if grid_id in self._scores_pending:
                return
            self._scores_pending.add(grid_id)
        self._recorder.defer(lambda: self._scores(grid_id))

    # the recorder's thread -----------------------------------------------------------------
    def _started(
        self,
        info: dict[str, object],
        beam_size: tuple[float, float] | None,
        flux: float | None,
        address: str | None,
    ) -> None:
        session = self._recorder.session_ref()
        self._current = self._grid_waiting = None
        if session is None:
            log.debug("LIMS: nobody logged in; collection %s not recorded", info.get("template"))
            return
        run = info.get("run_number", 1)
        started = float(cast(float, info["started"]))
        run_base = (str(info.get("directory", "")), str(info.get("prefix", "")), _whole(run))
        current = _Collection(info, (*run_base, self._attempt(run_base, started)))
        sample_id = self._recorder.sample_id(address)
        group = records.group_started(session, sample_id, records.experiment_type(info), started)
        if self._recorder.record("data_collection_group", group, current.key("dcg")) is None:
            return
        try:
            collection = records.collection_started(
                info,
                session_id=session,
                sample_id=sample_id,
                group=reference(current.key("dcg")),
                beam_size=beam_size,
                flux=flux if flux is None or math.isfinite(flux) else None,
            )
        except (KeyError, ValueError) as exc:
            log.error("LIMS: collection %s not recorded: %s", info.get("template"), exc)
            return
        if self._recorder.record("data_collection", collection, current.key("dc")) is None:
            return
        self._current = current
        grid = info.get("grid")
        if info.get("mesh") and isinstance(grid, Mapping):
            self._start_mesh(current, grid)

    def _attempt(self, run: tuple[str, str, int], started: float) -> int:
        """The attempt of ``run`` a collection started at ``started`` is: the one
        recorded for that start (a repeated signal puts nothing twice), else the next
        (a retry of a run that wrote nothing keeps its number: a collection of its own)."""
        known = self._attempts.get(run)
        if known is not None and known[0] == started:
            return known[1]
        attempt = self._recorder.attempts(*run)
        self._attempts[run] = (started, attempt)
        return attempt

    def _start_mesh(self, current: _Collection, grid: Mapping[str, object]) -> None:
        try:
            payload = records.mesh_grid(
                grid, collection=reference(current.key("dc")), group=reference(current.key("dcg"))
            )
            scan_grid = shape_from_dict(dict(grid))
        except (KeyError, ValueError, TypeError) as exc:
            log.error("LIMS: the grid of %s not recorded: %s", current.key("dc"), exc)
            return
        if _snapshots_asked(current.info):
            self._grid_waiting = (current, grid)
        else:
            self._recorder.record("grid_info", payload, current.key("grid"))
        if not isinstance(scan_grid, Grid) or self._shapes is None:
            return
        first = _whole(current.info.get("first_image", 1))
        sent = np.zeros(scan_grid.num_cells, dtype=bool)
        self._mesh = _Mesh(scan_grid.id, scan_grid, first, current.base, sent)

    def _snapshot_taken(self, geometry: object) -> None:
        """The grid waiting for this snapshot, with its place on it (a grid seen face
        on; the snapshot's first, as ISPyB's ``xtalSnapshotFullPath1``)."""
        waiting, self._grid_waiting = self._grid_waiting, None
        if waiting is not None:
            self._record_grid(*waiting, geometry)

    def _record_grid(
        self, current: _Collection, grid: Mapping[str, object], geometry: object = None
    ) -> None:
        try:
            offset, scale = _place_on_snapshot(shape_from_dict(dict(grid)), geometry)
        except (KeyError, ValueError, TypeError) as exc:  # stored without its place, not lost
            log.warning(
                "LIMS: the grid of %s has no place on its snapshot: %s", current.key("dc"), exc
            )
            offset = scale = None
        try:
            payload = records.mesh_grid(
                grid,
                collection=reference(current.key("dc")),
                group=reference(current.key("dcg")),
                snapshot_offset_px=offset,
                pixels_per_mm=scale,
            )
        except (KeyError, ValueError, TypeError) as exc:
            log.error("LIMS: the grid of %s not recorded: %s", current.key("dc"), exc)
            return
        self._recorder.record("grid_info", payload, current.key("grid"))

    def _ended(self, info: dict[str, object]) -> None:
        current = self._current
        if current is None or current.info.get("started") != info.get("started"):
            return  # not recorded at its start
        waiting, self._grid_waiting = self._grid_waiting, None
        if waiting is not None:  # the snapshot never came (a failure before it)
            self._record_grid(*waiting, info.get("snapshot_geometry"))
        ended = float(cast(float, info["started"])) + float(cast(float, info.get("elapsed", 0.0)))
        dc, dcg = reference(current.key("dc")), reference(current.key("dcg"))
        self._recorder.record(
            "data_collection_end", records.collection_ended(dc, info), current.key("dc-end")
        )
        self._recorder.record(
            "data_collection_group_end", records.group_ended(dcg, ended), current.key("dcg-end")
        )
        self._make_jpegs(current, info)

    def _make_jpegs(self, current: _Collection, info: dict[str, object]) -> None:
        from mxgui.core.lims.jpegs import JpegMaker, first_and_last_images

        if not first_and_last_images(info):
            return
        path = info.get("path")
        directory = str(info.get("directory", ""))
        if isinstance(path, Mapping) and path.get("process_directory"):
            directory = str(path["process_directory"])
        if self._stopped:
            log.warning("LIMS: %s: no JPEGs made, the recording stopped", current.key("dc"))
            return
        if self._jpegs is None:
            self._jpegs = JpegMaker()
        try:
            future = self._jpegs.submit(info, directory)
        except RuntimeError as exc:
            log.warning("LIMS: %s: %s", current.key("dc"), exc)
            return
        key, collection = current.key("jpegs"), reference(current.key("dc"))

        def made(done: Future[list[dict[str, object]]]) -> None:
            try:
                images = done.result()
            except Exception as exc:  # an unreadable image, a full disk: logged, not raised
                log.warning("LIMS: the JPEGs of %s were not made: %s", current.key("dc"), exc)
                return
            payload = records.image_jpegs(collection, images)

            def store() -> None:
                self._recorder.record("image_jpegs", payload, key)

            self._recorder.defer(store)

        future.add_done_callback(made)

    def _scores(self, grid_id: str) -> None:
        with self._lock:
            self._scores_pending.discard(grid_id)
        mesh, shapes = self._mesh, self._shapes
        if mesh is None or shapes is None or mesh.grid_id != grid_id:
            return
        try:
            grid = shapes.get(grid_id)
            results = shapes.grid_results(grid_id)
        except (KeyError, ValueError):
            return  # the grid was removed
        if results is None or not isinstance(grid, Grid) or results.num_cells != mesh.sent.size:
            return
        new = np.flatnonzero(~np.isnan(results.scores) & ~mesh.sent)
        collection = reference(collection_key("dc", *mesh.base))
        for start in range(0, new.size, SCORES_PER_BATCH):
            chunk = new[start : start + SCORES_PER_BATCH]
            scores: dict[int, float] = {}
            spots: dict[int, int] = {}
            for index in chunk.tolist():  # the grid's 0-based scan index -> the image number
                cell = grid.cell_of_index(index + 1)
                number = mesh.first_image + mesh.scan_grid.index_of_cell(*cell) - 1
                scores[number] = float(results.scores[index])
                if results.spots[index] >= 0:  # set with the score, under the model's lock
                    spots[number] = int(results.spots[index])
            mesh.batches += 1
            key = self._recorder.record(
                "image_quality_indicators",
                records.quality_indicators(collection, scores, spots),
                collection_key(f"iqi-{mesh.batches}", *mesh.base),
            )
            if key is not None:  # refused (logged): these cells go with the next batch
                mesh.sent[chunk] = True


def _place_on_snapshot(
    scan_grid: object, geometry: object
) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
    """The grid's corner on the snapshot and the snapshot's pixels per mm, when the
    snapshot sees the grid face on (else the grid is not the rectangle a LIMS draws)."""
    if geometry is None or not isinstance(scan_grid, Grid):
        return None, None
    snapshot = SnapshotGeometry.from_dict(geometry)
    if not snapshot.shows_face_on(scan_grid):
        log.info(
            "LIMS: the snapshot sees grid %s at omega %.4g, drawn at %.4g: no place on it",
            scan_grid.id,
            snapshot.positions["phi"],
            scan_grid.omega,
        )
        return None, None
    return snapshot.grid_corner(scan_grid), snapshot.pixels_per_mm


def _snapshots_asked(info: Mapping[str, object]) -> bool:
    parameters = info.get("parameters")
    asked = parameters.get("take_snapshots", 0) if isinstance(parameters, Mapping) else 0
    return isinstance(asked, (int, float)) and asked > 0


def _whole(value: object) -> int:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 1
