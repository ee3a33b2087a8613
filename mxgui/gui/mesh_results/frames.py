"""Where the image of a grid cell is, and reading it off the GUI thread (no Qt).

A mesh scan writes image ``n`` of its scan as ``<prefix>_<run>_<nnnnn>.cbf``; results
keep only the first image (``GridResults.data_file_path``). Image ``n`` is cell ``n``
in the *scan's* order (the task's ``scan_order``, by default the grid's own), while
results are stored by the grid's own scan-order index: :func:`frame_path` maps one to
the other.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from mxgui.core.grid_results import GridResults
from mxgui.core.queue.model import QueueModel
from mxgui.core.shapes import Grid
from mxgui.gui.image_viewer.loader import LatestLoader
from mxscore.scoring import read_counts

log = logging.getLogger(__name__)

#: ``..._<number>.<ext>``: the image number of a numbered image file
_NUMBERED = re.compile(r"^(?P<stem>.*_)(?P<number>\d+)(?P<suffix>\.[^./]+)$")


def frame_number(grid: Grid, cell: int, scan_order: str | None = None) -> int:
    """The image number (1-based) of the grid's cell ``cell`` (the grid's scan-order
    index) in a scan made in ``scan_order`` (the grid's own when ``None``)."""
    col, row = grid.cell_of_index(cell)
    if not scan_order or scan_order == grid.scan_order:
        return cell
    return dataclasses.replace(grid, scan_order=scan_order).index_of_cell(col, row)


def frame_path(grid: Grid, data_file_path: str, cell: int, scan_order: str | None = None) -> str:
    """The image file of cell ``cell`` of ``grid``, from the first image of its scan
    (``data_file_path``); ``ValueError`` naming the grid when that is no numbered image
    (a master file or a processing result: no file per cell)."""
    if not data_file_path:
        raise ValueError(f"grid {grid.id}: the results do not say where the images are")
    match = _NUMBERED.match(Path(data_file_path).name)
    if match is None:
        raise ValueError(
            f"grid {grid.id}: {data_file_path} is not a numbered image file: "
            "no image per cell to show"
        )
    number = frame_number(grid, cell, scan_order)
    digits = len(match["number"])
    name = f"{match['stem']}{number:0{digits}d}{match['suffix']}"
    return str(Path(data_file_path).with_name(name))


class FrameLoader:
    """Reads image files off the GUI thread; only the latest request of each ``slot``
    is answered (a burst of requests reads one file, not all of them): one
    :class:`~mxgui.gui.image_viewer.loader.LatestLoader` (one reader thread) per slot.

    ``deliver(slot, path, data, problem)`` is called from a worker with the counts
    (``problem`` empty) or ``None`` and the reason; pass a function that hands over
    to the GUI thread.
    """

    def __init__(self, deliver: Callable[[str, str, np.ndarray | None, str], None]) -> None:
        self._deliver = deliver
        self._loaders: dict[str, LatestLoader[str, np.ndarray]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def request(self, slot: str, path: str) -> None:
        """Read ``path`` for ``slot`` (e.g. ``"clicked"``, ``"best"``) soon."""
        with self._lock:
            if self._closed:
                return
            loader = self._loaders.get(slot)
            if loader is None:
                loader = LatestLoader(
                    _read_counts, lambda: self._hand_over(slot), name=f"mesh frames {slot}"
                )
                self._loaders[slot] = loader
        loader.request(path)

    def forget(self, slot: str) -> None:
        """Drop the pending request of ``slot`` (its answer is not delivered)."""
        with self._lock:
            loader = self._loaders.get(slot)
        if loader is not None:
            loader.forget()

    def _hand_over(self, slot: str) -> None:
        with self._lock:
            loader = None if self._closed else self._loaders.get(slot)
        taken = None if loader is None else loader.take()
        if taken is not None:
            path, data, problem = taken
            self._deliver(slot, path, data, problem)

    def close(self) -> None:
        """Stop the workers (waits for a read in progress; its answer is not delivered)."""
        with self._lock:
            self._closed = True
            loaders, self._loaders = list(self._loaders.values()), {}
        for loader in loaders:
            loader.close()


def _read_counts(path: str) -> np.ndarray:
    if not Path(path).is_file():
        raise ValueError(f"no image file {path}")
    return read_counts(path)


class FrameDisplay(Protocol):
    """Where a :class:`FrameSlot` shows its frame (``frame_view.FrameView``)."""

    def show_waiting(self, text: str) -> None: ...

    def show_problem(self, text: str) -> None: ...

    def show_frame(self, path: str, data: np.ndarray, text: str) -> None: ...

    def clear(self, text: str = "") -> None: ...


class FrameSlot:
    """One frame view fed by a :class:`FrameLoader` (the slot ``name``): the file it
    waits for or shows, asked for again only when it changes."""

    def __init__(self, name: str, view: FrameDisplay, loader: FrameLoader) -> None:
        self.name = name
        self.view = view
        self.loader = loader
        #: the file shown or on its way ("" for none)
        self.wanted = ""
        self._text = ""

    def show(self, path: str, text: str) -> None:
        """Show image file ``path`` described by ``text`` (read unless it is the one
        shown or on its way)."""
        if path == self.wanted:
            return
        self.wanted, self._text = path, text
        self.view.show_waiting(f"{text}: reading {path}")
        self.loader.request(self.name, path)

    def problem(self, text: str) -> None:
        """No image, and why."""
        self.wanted = ""
        self.loader.forget(self.name)
        self.view.show_problem(text)

    def clear(self, text: str = "") -> None:
        self.wanted = ""
        self.loader.forget(self.name)
        self.view.clear(text)

    def delivered(self, path: str, data: np.ndarray | None, problem: str) -> None:
        """The loader's answer, on the GUI thread (an answer for an older file is dropped)."""
        if path != self.wanted:
            return
        if problem or data is None:
            log.warning("%s: %s", self._text, problem)
            self.view.show_problem(f"{self._text}: {problem}")
        else:
            self.view.show_frame(path, data, self._text)


def cell_image_path(
    grid: Grid, results: GridResults, cell: int, queue_model: QueueModel | None
) -> str:
    """The image file of ``cell`` of ``grid`` from its ``results``; with the queue, a
    result that names only a directory finds the first image of the grid's latest
    MeshScan, and the scan order is that scan's. ``ValueError`` when there is no file
    per cell."""
    first = results.data_file_path
    if queue_model is not None and not is_numbered_image(first):
        first = latest_mesh_first_image(queue_model, grid.id) or first
    order = None if queue_model is None else mesh_scan_order(queue_model, grid.id, first)
    return frame_path(grid, first, cell, order)


def is_numbered_image(path: str) -> bool:
    """``path`` names one numbered image (``<prefix>_<run>_<nnnnn>.cbf``)."""
    return bool(path) and _NUMBERED.match(Path(path).name) is not None


def latest_mesh_first_image(queue_model: QueueModel, grid_id: str) -> str:
    """The first image written by the latest MeshScan of the queue on ``grid_id`` (``""``
    for none): for results whose path is only the data directory, as a workflow may
    send with ``shape_history_set_grid_data``."""
    latest: tuple[float, str] | None = None
    for node in queue_model.iter_nodes():
        if node.type != "MeshScan" or node.parameters.get("grid_id") != grid_id:
            continue
        images = [
            (int(match["number"]), f)
            for f in node.files
            if (match := _NUMBERED.match(Path(f).name)) is not None
        ]
        if not images:
            continue
        first = min(images, key=lambda numbered: numbered[0])[1]
        started = node.started or 0.0
        if latest is None or started >= latest[0]:
            latest = (started, first)
    return "" if latest is None else latest[1]


def mesh_scan_order(queue_model: QueueModel, grid_id: str, data_file_path: str) -> str | None:
    """The scan order of the queue's MeshScan that wrote ``data_file_path`` on grid
    ``grid_id`` (else of its latest one), ``None`` when there is none: the grid's own."""
    latest: tuple[float, str | None] | None = None
    for node in queue_model.iter_nodes():
        if node.type != "MeshScan" or node.parameters.get("grid_id") != grid_id:
            continue
        order = node.parameters.get("scan_order") or None
        if data_file_path in node.files:
            return order
        started = node.started or 0.0
        if latest is None or started >= latest[0]:
            latest = (started, order)
    return None if latest is None else latest[1]
