"""The shapes of one sample (and their grid results) in a JSON file, kept up to date.

One file per sample, ``<directory>/<key>.json``: the key is the sample changer address
(``3:05`` -> ``3-05``), or ``manual`` for a sample mounted by hand. The document::

    {"format": 1, "sample": "3:05", "shapes": [<Shape.to_dict()>, ...]}

A grid with results has ``"results"``: ``num_cells``, ``data_file_path``, and the
arrays in base64 (little-endian), so that a grid of a million scored cells costs a few
megabytes and tens of milliseconds, not a dict of a million entries:

- ``scores``: every cell's score (NaN: none), or, when fewer than half the cells are
  scored, ``score_cells`` (0-based int32) with ``scores`` for those cells only;
  float32 when that keeps every value exactly (the scorer's scores are), else float64;
- ``colour_cells`` (0-based int32) and ``colours`` (uint8, 4 per cell) for RGBA results;
- ``spot_cells`` (0-based int32) and ``spots`` (int32) for the spot counts of scored
  cells' images, when there are some.

An array is ``{"dtype": "<f4", "b64": [chunk, ...]}``: encoded in chunks so a writer
thread never holds the interpreter for long. :class:`ShapesSaver` writes a model's
state in the background once changes pause (coalesced: thousands of results a second
make a handful of files), atomically.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from mxgui.core.atomic_write import KEEP_MODE, atomic_write
from mxgui.core.file_limits import FileTooLarge, json_nesting_error, read_bounded
from mxgui.core.grid_results import GridResults, ParsedValues
from mxgui.core.queue.persistence import MAX_RETRY_DELAY, set_aside, wait_for_pause
from mxgui.core.save_errors import forget_read_only, report_save_failure, save_problem
from mxgui.core.shapes import Grid, Shape, ShapesModel, shape_from_dict
from mxgui.core.user_dirs import data_dir

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MANUAL = "manual"
#: bytes of raw data per base64 chunk (a multiple of 3: the chunks join into one text)
CHUNK = 3 * 65536
_DTYPES = ("<f4", "<f8", "<i4", "|u1")
#: the largest shapes file read (a scored grid of a million cells takes about 20 MB)
MAX_FILE_BYTES = 128 * 1024 * 1024
#: the deepest nesting of arrays and objects read (a shapes file needs about 6)
MAX_NESTING = 32
#: signals of the model that change what is saved
CHANGES = ("shapeAdded", "shapeChanged", "shapeRemoved", "cleared", "gridResultsChanged")


class ShapesFileError(ValueError):
    """A shapes file that cannot be used; the message names the file and the place."""


def default_shapes_dir() -> Path:
    """``$MXGUI_DATA_DIR/.mxgui/shapes``, else ``~/mxgui-data/.mxgui/shapes``."""
    return data_dir() / ".mxgui" / "shapes"


def sample_key(address: str | None) -> str:
    """The file key of a sample: ``3:05`` -> ``3-05``; ``manual`` without an address."""
    if not address:
        return MANUAL
    return re.sub(r"[^A-Za-z0-9._-]", "_", address.replace(":", "-"))


# arrays -----------------------------------------------------------------------------------
def _encode(array: np.ndarray) -> dict[str, Any]:
    data = np.ascontiguousarray(array).tobytes()
    chunks = [
        base64.b64encode(data[i : i + CHUNK]).decode("ascii") for i in range(0, len(data), CHUNK)
    ]
    return {"dtype": array.dtype.str, "b64": chunks}


def _decode(field: object, where: str, max_items: int) -> np.ndarray:
    """The array in ``field``; refused unread if its text is longer than
    ``max_items`` values need (a grid's cells bound every array of its results)."""
    if not isinstance(field, Mapping) or field.get("dtype") not in _DTYPES:
        raise ValueError(f"{where}: expected {{dtype: one of {', '.join(_DTYPES)}, b64: [...]}}")
    chunks = field.get("b64")
    if not isinstance(chunks, list) or not all(isinstance(c, str) for c in chunks):
        raise ValueError(f"{where}: b64 must be a list of base64 texts")
    longest = 4 * (max_items * np.dtype(field["dtype"]).itemsize // 3 + 1 + len(chunks))
    if sum(len(c) for c in chunks) > longest:
        raise ValueError(f"{where}: more data than {max_items:,} values")
    try:
        data = b"".join(base64.b64decode(c, validate=True) for c in chunks)
        return np.frombuffer(data, dtype=field["dtype"])
    except ValueError as exc:
        raise ValueError(f"{where}: bad base64 data ({exc})") from None


def _compact_scores(values: np.ndarray) -> np.ndarray:
    single = values.astype("<f4")
    same = np.array_equal(single.astype(np.float64), values, equal_nan=True)
    return single if same else values.astype("<f8")


def encode_results(results: GridResults) -> dict[str, Any]:
    """The ``results`` of a grid in the file (see the module)."""
    out: dict[str, Any] = {"num_cells": results.num_cells, "data_file_path": results.data_file_path}
    scored = np.flatnonzero(~np.isnan(results.scores))
    if scored.size * 2 < results.num_cells:
        out["score_cells"] = _encode(scored.astype("<i4"))
        out["scores"] = _encode(_compact_scores(results.scores[scored]))
    else:
        out["scores"] = _encode(_compact_scores(results.scores))
    coloured = np.flatnonzero(results.has_colour)
    if coloured.size:
        out["colour_cells"] = _encode(coloured.astype("<i4"))
        out["colours"] = _encode(np.asarray(results.colours[coloured], dtype="|u1").ravel())
    counted = np.flatnonzero(results.spots >= 0)
    if counted.size:
        out["spot_cells"] = _encode(counted.astype("<i4"))
        out["spots"] = _encode(results.spots[counted].astype("<i4"))
    return out


def decode_results(grid_id: str, num_cells: int, data: object) -> GridResults:
    """A grid's results from :func:`encode_results`; ``ValueError`` naming the grid."""
    where = f"grid {grid_id}: results"
    if not isinstance(data, Mapping):
        raise ValueError(f"{where}: expected a dict")
    if data.get("num_cells") != num_cells:
        raise ValueError(f"{where}: for {data.get('num_cells')!r} cells, the grid has {num_cells}")
    path = data.get("data_file_path", "")
    if not isinstance(path, str):
        raise ValueError(f"{where}: data_file_path must be text")
    scores = _decode(data.get("scores"), f"{where}.scores", num_cells).astype(np.float64)
    if "score_cells" in data:
        score_index = _cells(data["score_cells"], num_cells, f"{where}.score_cells")
        if score_index.size != scores.size:
            raise ValueError(f"{where}: {score_index.size} score cells, {scores.size} scores")
    else:
        if scores.size != num_cells:
            raise ValueError(f"{where}.scores: {scores.size} values for {num_cells} cells")
        score_index = np.flatnonzero(~np.isnan(scores))
        scores = scores[score_index]
    bad = ~(np.isfinite(scores) & (scores >= 0))
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        cell, score = int(score_index[first]) + 1, float(scores[first])
        raise ValueError(f"{where}: cell {cell}: score {score!r} must be a finite number >= 0")
    colour_index = np.zeros(0, dtype=np.intp)
    colours = np.zeros((0, 4), dtype=np.uint8)
    if "colour_cells" in data:
        colour_index = _cells(data["colour_cells"], num_cells, f"{where}.colour_cells")
        colours = _decode(data.get("colours"), f"{where}.colours", 4 * num_cells)
        colours = colours.astype(np.uint8)
        if colours.size != 4 * colour_index.size:
            raise ValueError(f"{where}: {colour_index.size} colour cells, {colours.size} bytes")
        colours = colours.reshape(-1, 4)
    spot_index, spots = _spots(data, num_cells, where, score_index)
    results = GridResults(num_cells, path)
    results.apply(ParsedValues(score_index, scores, colour_index, colours, spot_index, spots))
    return results


def _spots(
    data: Mapping[str, object], num_cells: int, where: str, score_index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The ``spot_cells`` and ``spots`` of a grid's results (none when absent)."""
    if "spot_cells" not in data:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.int32)
    index = _cells(data["spot_cells"], num_cells, f"{where}.spot_cells")
    spots = _decode(data.get("spots"), f"{where}.spots", num_cells).astype(np.int64)
    if spots.size != index.size:
        raise ValueError(f"{where}: {index.size} spot cells, {spots.size} spot counts")
    scored = np.zeros(num_cells, dtype=bool)
    scored[score_index] = True
    bad = np.flatnonzero((spots < 0) | ~scored[index])
    if bad.size:
        cell, count = int(index[bad[0]]) + 1, int(spots[bad[0]])
        raise ValueError(
            f"{where}: cell {cell}: spot count {count} (a count >= 0 of a scored cell)"
        )
    return index, spots.astype(np.int32)


def _cells(field: object, num_cells: int, where: str) -> np.ndarray:
    cells = _decode(field, where, num_cells).astype(np.intp)
    outside = (cells < 0) | (cells >= num_cells)
    if outside.any():
        raise ValueError(f"{where}: cell {int(cells[outside][0]) + 1} is outside 1..{num_cells}")
    return cells


# files ------------------------------------------------------------------------------------
def dumps(sample: str, shapes: list[Shape], results: Mapping[str, GridResults]) -> str:
    """The file text for ``shapes`` of ``sample`` and the ``results`` of their grids."""
    items = []
    for shape in shapes:
        data = shape.to_dict()
        if shape.id in results:
            data["results"] = encode_results(results[shape.id])
        items.append(data)
    return json.dumps({"format": FORMAT_VERSION, "sample": sample, "shapes": items})


def read(path: str | os.PathLike[str]) -> tuple[list[Shape], dict[str, GridResults]]:
    """The shapes and grid results in ``path``; ``FileNotFoundError`` when there is
    none, :class:`ShapesFileError` naming the file and the place for a bad one."""
    path = Path(path)
    try:
        raw = read_bounded(path, MAX_FILE_BYTES)
        too_deep = json_nesting_error(raw, MAX_NESTING)
        if too_deep is not None:
            raise ShapesFileError(f"shapes file {path}:{too_deep.line}: {too_deep}")
        document = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise
    except json.JSONDecodeError as exc:
        raise ShapesFileError(f"shapes file {path}:{exc.lineno}: {exc.msg}") from None
    except (OSError, UnicodeDecodeError, FileTooLarge) as exc:
        raise ShapesFileError(f"shapes file {path}: {exc}") from None
    try:
        if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
            found = document.get("format") if isinstance(document, dict) else None
            raise ValueError(f"format {found!r}, this mxgui reads format {FORMAT_VERSION}")
        items = document.get("shapes")
        if not isinstance(items, list):
            raise ValueError("no list of shapes")
        shapes, results = [], {}
        for n, item in enumerate(items):
            try:
                shape = shape_from_dict(item)
            except ValueError as exc:
                raise ValueError(f"shapes[{n}]: {exc}") from None
            shapes.append(shape)
            if isinstance(shape, Grid) and item.get("results") is not None:
                results[shape.id] = decode_results(shape.id, shape.num_cells, item["results"])
        if len({s.id for s in shapes}) != len(shapes):
            raise ValueError("shape ids are not unique")
    except ValueError as exc:
        raise ShapesFileError(f"shapes file {path}: {exc}") from None
    return shapes, results


class ShapesSaver:
    """Writes a :class:`ShapesModel` to its sample's file once changes pause.

    :attr:`path` is the file of the mounted sample (``None``: nothing is saved). The
    first change starts the writer thread, so an object that is only loaded (``mxgui
    --check``) writes nothing. A file listed in :attr:`bad_files` (read and found
    unusable) is moved aside (``<name>.bad-<time>``, logged) before it is overwritten.
    """

    def __init__(self, model: ShapesModel, quiet: float = 0.5, max_delay: float = 5.0) -> None:
        self.model = model
        self.quiet = quiet
        self.max_delay = max_delay
        self.path: Path | None = None
        self.sample = MANUAL
        self.bad_files: set[Path] = set()
        self.writes = 0
        self.last_error = ""
        self._condition = threading.Condition()
        self._write_lock = threading.Lock()
        self._dirty = False
        self._muted = 0
        self._last_change = self._first_unsaved = 0.0
        self._stopping = False
        self._thread: threading.Thread | None = None
        for signal in CHANGES:
            model.connect(signal, self._changed)

    @contextlib.contextmanager
    def replacing(self, path: Path | None, sample: str) -> Iterator[None]:
        """Save what is unsaved, then make ``path`` the file of ``sample``; changes of
        the model inside the ``with`` (the new sample's shapes being loaded) are
        what the file holds, so they are not saved."""
        self.flush()
        with self._write_lock:
            self._muted += 1
            try:
                self.path, self.sample = path, sample
                yield
            finally:
                self._muted -= 1
                self._dirty = False

    def _changed(self, *_args: object) -> None:
        if self._muted:
            return
        now = time.monotonic()
        with self._condition:
            if not self._dirty:
                self._first_unsaved = now
            self._dirty = True
            self._last_change = now
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(target=self._run, name="shapes writer", daemon=True)
                self._thread.start()
            self._condition.notify_all()

    def _due(self) -> float:
        """When to write: after a pause, but not later than max_delay after the first change."""
        return min(self._last_change + self.quiet, self._first_unsaved + self.max_delay)

    def _run(self) -> None:
        failures = 0
        while True:
            with self._condition:
                while not self._dirty and not self._stopping:
                    self._condition.wait()
                wait_for_pause(self._condition, self._due, lambda: self._stopping)
                if self._stopping:
                    return
            if self.flush():
                failures = 0
            else:  # the error is logged; retry after a pause that grows while it fails
                failures += 1
                with self._condition:
                    self._condition.wait(min(self.quiet * 2**failures, MAX_RETRY_DELAY))

    def flush(self) -> bool:
        """Write now if anything is unsaved; True when the file is up to date."""
        with self._write_lock:
            with self._condition:
                if not self._dirty or self.path is None:
                    return True
                self._dirty = False
            path = self.path
            shapes, results = self.model.snapshot()
            try:
                if path in self.bad_files and path.exists():
                    aside = set_aside(path, "bad")
                    log.warning("the unusable shapes file %s was moved to %s", path, aside)
                self.bad_files.discard(path)
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(path, dumps(self.sample, shapes, results), mode=KEEP_MODE)
            except (OSError, ValueError) as exc:
                problem = save_problem(exc, path)
                if problem != self.last_error:
                    report_save_failure(log, f"the shapes of sample {self.sample}", path, exc)
                self.last_error = problem
                with self._condition:
                    self._dirty = True
                return False
            self.writes += 1
            if self.last_error:
                log.info("the shapes of sample %s are saved again to %s", self.sample, path)
                forget_read_only(path)
            self.last_error = ""
            return True

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the writer thread and write what is unsaved."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        self.flush()
