"""The MeshScan entry: one image per grid cell, scored as the images arrive.

The grid ``grid_id`` of the shapes model (role ``shapes``) gives the cells; image
``first_image + n - 1`` (``<directory>/<prefix>_<run>_<nnnnn>.cbf``) is cell ``n`` in the
task's ``scan_order`` (zigzag or raster; by default the grid's own), taken at the cell's
centred position with ``exp_time`` and ``osc_range`` from ``osc_start``. The collect
object does the acquisition (``collect.collect_mesh``: on the simulated beamline a fast
scan computed at each cell, the sample staying where it was).

While it runs, ``shapes.active_grid_id`` is the grid (``shapes.start_scan``: external
results by image number, ``dozor_batch_processed``, find their cells through
``shapes.add_scan_results``, and still do for a while after the scan ended:
``shapes.end_scan``), and the grid's old results are
cleared first: a new mesh never shows old results. A :class:`MeshScorer` thread scores
each image as soon as it is written (:func:`mxscore.scoring.assess_image`: the score
and the spot count, in one read; not on the engine's path; on the ewoksjob workers
when the workflow client names their broker, see :mod:`mxgui.core.scoring_remote`)
and sends both to
``shapes.set_grid_results`` in batches, by the grid's own scan-order index. A stop
or a failure keeps the images written and their scores; an image that cannot be read
is skipped, logged and counted in the node's message. The node's results say the best cell.
One source of scores per scan: once online processing sends results for the scan
(``shapes.add_scan_results``), its scores replace the scorer's, which the entry stops
feeding and the shapes model stops storing; the best cell is then online processing's.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from pathlib import Path
from typing import Any

from mxgui.core.centring import CentredPosition
from mxgui.core.queue.entries.base import (
    Entry,
    EntryContext,
    EntryFailed,
    EntryInterrupted,
    Outcome,
)
from mxgui.core.queue.entries.collection import acquisition_of, files_written, path_of
from mxgui.core.roles.shapes import ShapesRole
from mxgui.core.scoring_remote import POLL_PERIOD, RemoteScoring, settings_of
from mxgui.core.shapes import Grid
from mxgui.core.workflow.ewoksjob import EwoksJobConfig
from mxscore.scoring import assess_image

log = logging.getLogger(__name__)

#: seconds between two batches of scores sent to the shapes model (at most)
BATCH_INTERVAL = 0.1
#: seconds the entry waits, after the acquisition, for the scorer to finish
SCORER_GRACE = 120.0


class MeshScorer:
    """Scores images in its own thread and streams the scores to a grid's results.

    :meth:`add` (any thread, cheap) queues image ``index`` (1-based, in ``scan_grid``'s
    order) at ``path``; :meth:`finish` scores what is queued, sends the last batch and
    ends the thread. With ``workers`` (the ewoksjob settings), the images are scored by
    those workers (:class:`~mxgui.core.scoring_remote.RemoteScoring`), else here.
    """

    def __init__(
        self,
        shapes: ShapesRole,
        grid: Grid,
        scan_grid: Grid,
        data_file_path: str,
        workers: EwoksJobConfig | None = None,
    ) -> None:
        self.shapes = shapes
        self.grid = grid
        self.scan_grid = scan_grid
        self.data_file_path = data_file_path
        self.scored = 0
        self.unreadable: list[str] = []
        self.best: tuple[int, float] | None = None  # (grid cell index, score)
        #: the ewoksjob workers scoring the images (``None``: this process scores them)
        self.remote = (
            None
            if workers is None
            else RemoteScoring(workers, self._scored, self._unreadable, f"mesh scan on {grid.id}")
        )
        self._batch: dict[int, float] = {}
        self._spots: dict[int, int] = {}
        self._queue: queue.SimpleQueue[tuple[int, str] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=f"score {grid.id}", daemon=True)
        self._thread.start()

    def add(self, index: int, path: str) -> None:
        self._queue.put((index, path))

    def finish(self, timeout: float = SCORER_GRACE) -> bool:
        """Score what is queued and stop; ``False`` if that took over ``timeout`` s."""
        self._queue.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _cell(self, index: int) -> int:
        """The grid's own scan-order index of image ``index`` of the scan."""
        return self.grid.index_of_cell(*self.scan_grid.cell_of_index(index))

    def _scored(self, index: int, path: str, score: float, spot_count: int) -> None:
        cell = self._cell(index)
        self._batch[cell] = score
        self._spots[cell] = spot_count
        self.scored += 1
        if self.best is None or score > self.best[1]:
            self.best = (cell, score)

    def _unreadable(self, index: int, path: str, reason: str) -> None:
        log.warning("mesh scan on %s: image %d skipped: %s", self.grid.id, index, reason)
        self.unreadable.append(path)

    def _score_here(self, index: int, path: str) -> None:
        try:
            score, spot_count = assess_image(path)
        except ValueError as exc:
            self._unreadable(index, path, str(exc))
        else:
            self._scored(index, path, score, spot_count)

    def _run(self) -> None:
        remote = self.remote
        wait = POLL_PERIOD if remote is not None else BATCH_INTERVAL
        last_sent = time.monotonic()
        ending = False
        while True:
            item: tuple[int, str] | None | tuple[()]
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = ()
            if item is None:
                ending = True
            elif item:
                if remote is None:
                    self._score_here(*item)
                else:
                    remote.add(*item)
            if remote is not None:
                try:
                    remote.poll(ending)
                except Exception:  # a bug must not lose the mesh: the rest is scored here
                    log.exception("mesh scan on %s: scoring on the workers failed", self.grid.id)
                    for index, path in remote.abandon():
                        self._score_here(index, path)
                    remote = self.remote = None
            now = time.monotonic()
            done = ending and (remote is None or remote.idle)
            if self._batch and (done or self._queue.empty() or now - last_sent >= BATCH_INTERVAL):
                self._send(self._batch, self._spots)
                self._batch, self._spots, last_sent = {}, {}, now
            if done:
                break
        if self.remote is not None:
            log.info("mesh scan on %s: %s", self.grid.id, self.remote.tally.summary())

    def _send(self, batch: dict[int, float], spots: dict[int, int]) -> None:
        try:
            self.shapes.set_grid_results(self.grid.id, batch, self.data_file_path, spots)
        except ValueError as exc:  # the grid was removed meanwhile: nothing to show
            log.warning("mesh scan: scores of %d cells not stored: %s", len(batch), exc)


def external_best(shapes: ShapesRole, grid_id: str) -> tuple[int, float, int] | None:
    """The best cell, its score and how many cells have a score, of a grid that
    online processing scores (``None`` before its first score)."""
    results = shapes.grid_results(grid_id)
    cells = [] if results is None else results.best_cells(1)
    if results is None or not cells:
        return None
    return cells[0], float(results.scores[cells[0] - 1]), int(results.count)


def mesh_positions(grid: Grid) -> list[CentredPosition]:
    """The centred position of each cell of ``grid``, in its scan order."""
    return [grid.cell_position(*grid.cell_of_index(k)) for k in range(1, grid.num_cells + 1)]


class MeshScanEntry(Entry):
    """A mesh scan on a grid (see the module docstring)."""

    holds_interlock = True

    def run(self, ctx: EntryContext) -> Outcome:
        p = ctx.parameters
        collect = ctx.require("collect", "a mesh scan")
        shapes = ctx.sample_shapes("a mesh scan")
        grid_id = p["grid_id"]
        try:
            grid = shapes.get(grid_id)
        except KeyError:
            raise EntryFailed(f"grid_id: there is no grid {grid_id} on the sample") from None
        if not isinstance(grid, Grid):
            raise EntryFailed(f"grid_id: {grid_id} is a {grid.KIND}, not a grid")
        scan_grid = dataclasses.replace(grid, scan_order=p.get("scan_order") or grid.scan_order)
        n = grid.num_cells
        first = acquisition_of(p).first_image
        params = dataclasses.replace(
            acquisition_of(p),
            num_images=n,
            take_snapshots=min(acquisition_of(p).take_snapshots, 1),
        )
        path = dataclasses.replace(path_of(p), suffix="cbf")
        positions = mesh_positions(scan_grid)
        first_file = str(Path(path.directory) / path.image_file_name(first))
        shapes.clear_grid_results(grid_id)
        shapes.start_scan(grid_id, first, scan_grid.scan_order)
        scorer = MeshScorer(shapes, grid, scan_grid, first_file, settings_of(ctx.role("workflow")))

        def on_image(count: int) -> None:
            if shapes.scan_is_external(grid_id):  # online processing scores this scan
                return
            number = first + count - 1
            scorer.add(count, str(Path(path.directory) / path.image_file_name(number)))

        def on_progress(fraction: float) -> None:
            ctx.progress(fraction)

        collect.connect("collectImageTaken", on_image)
        collect.connect("progressChanged", on_progress)
        try:
            try:
                info = ctx.start(
                    lambda: collect.collect_mesh(params, path, positions, scan_grid.to_dict()),
                    "mesh scan",
                    abort=collect.stop_collect,
                )
            except (EntryFailed, EntryInterrupted):
                ctx.files.extend(files_written(collect.get_collection_info(), path))
                raise
            ctx.files.extend(files_written(info, path))
        finally:
            collect.disconnect("collectImageTaken", on_image)
            collect.disconnect("progressChanged", on_progress)
            if not scorer.finish():
                log.error("mesh scan on %s: the scorer did not finish", grid_id)
            best = external_best(shapes, grid_id) if shapes.scan_is_external(grid_id) else None
            shapes.end_scan(grid_id)  # online processing's late results still reach it
            self._record(ctx, grid, scorer, best)
        taken = info.get("images_taken", n)
        message = f"{taken} cells of grid {grid_id} in {path.directory}"
        if best is not None:
            message += f"; best cell {best[0]} (online processing's score {best[1]:.4g})"
        elif scorer.best is not None:
            message += f"; best cell {scorer.best[0]} (score {scorer.best[1]:.4g})"
        if scorer.unreadable:
            message += (
                f"; {len(scorer.unreadable)} images could not be scored "
                f"(first: {scorer.unreadable[0]})"
            )
            return Outcome("warning", message)
        return Outcome(message=message)

    @staticmethod
    def _record(
        ctx: EntryContext,
        grid: Grid,
        scorer: MeshScorer,
        external: tuple[int, float, int] | None = None,
    ) -> None:
        """The best cell and how many were scored (by online processing when
        ``external``: its best cell, score and count), on the node's results."""
        scored = scorer.scored if external is None else external[2]
        results: dict[str, Any] = {"grid_id": grid.id, "cells_scored": scored}
        if external is not None:
            results["scored_by"] = "online processing"
        best = scorer.best if external is None else external[:2]
        if best is not None:
            cell, score = best
            results.update(best_cell=cell, best_score=score)
            results["best_position"] = grid.cell_position(*grid.cell_of_index(cell)).to_dict()
        try:
            ctx.model.update_results(ctx.node.id, results)
        except (KeyError, ValueError) as exc:  # the node was removed meanwhile
            log.warning("mesh scan: results not recorded on the node: %s", exc)
