"""What a queue node did, in words a user scans: the tree's Details column after a run.

- :func:`result_text`: a task's outcome from its results, files and message
  (``100 images written``, ``best cell 37 (score 12.4)``, ``strategy: 1800 x 0.1 deg,
  2.1 Å``, ``stopped after 40 of 100 images``), or ``None`` before it ran;
- :func:`tally_text`: a sample's or group's tasks summed up by status
  (``2 of 3 done, 1 failed``; done: :func:`~mxgui.core.queue.status.done_count`);
- :func:`shown_status`: the status a sample or group row shows (its own, or its
  tasks' summed up by :func:`~mxgui.core.queue.status.summary_status` once some ran).

Qt-free: the tree model calls these with the latest node snapshot and a status count it
keeps up to date change by change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mxgui.core.queue.nodes import (
    FAILED,
    NOT_EXECUTED,
    RUNNING,
    SKIPPED,
    STOPPED,
    SUCCESS,
    WARNING,
    QueueNode,
)
from mxgui.core.queue.status import done_count, summary_status
from mxgui.core.words import counted

#: the other statuses a summary names, in this order
NAMED_STATUSES = ((FAILED, "failed"), (STOPPED, "stopped"), (SKIPPED, "skipped"))
#: files that are not images (snapshots)
_NOT_IMAGES = (".png", ".jpg", ".jpeg")
#: a collection's message: "<n> images of run <r> in <directory>" (HDF5: one master file)
_IMAGES_OF_RUN = re.compile(r"^(\d+) images? of run ")


def images_written(node: QueueNode) -> int | None:
    """How many images a collection wrote: its image files (CBF, one per image), else
    the count its message gives (an HDF5 master file holds them all); ``None``: unknown."""
    cbf = sum(1 for f in node.files if f.endswith(".cbf"))
    if cbf:
        return cbf
    match = _IMAGES_OF_RUN.match(node.message)
    if match is not None:
        return int(match.group(1))
    others = any(not f.lower().endswith(_NOT_IMAGES) for f in node.files)
    return None if others else 0


def _collection_text(node: QueueNode) -> str | None:
    written = images_written(node)
    planned = node.parameters.get("num_images")
    if node.status in (SUCCESS, WARNING):
        if written is None:
            return None
        return f"{counted(written, 'image')} written"
    if node.status in (STOPPED, FAILED):
        what = "stopped" if node.status == STOPPED else node.message or "failed"
        if written is None:
            return f"{what}; {counted(len(node.files), 'file')} written"
        if written == 0:
            return what
        if isinstance(planned, int) and planned > 0:
            return f"{what} after {written} of {counted(planned, 'image')}"
        return f"{what} after {counted(written, 'image')}"
    return None


def _characterisation_text(node: QueueNode) -> str | None:
    strategy = node.results.get("strategy")
    if isinstance(strategy, Mapping) and {"num_images", "osc_range"} <= set(strategy):
        text = f"strategy: {strategy['num_images']} x {strategy['osc_range']:g} deg"
        resolution = strategy.get("resolution")
        if isinstance(resolution, (int, float)):
            text += f", {resolution:g} Å"
        sweeps = node.results.get("strategy_sweeps")
        if isinstance(sweeps, (list, tuple)) and len(sweeps) > 1:  # "few sweeps"
            text += f" + {counted(len(sweeps) - 1, 'low-resolution pass', 'low-resolution passes')}"
        return text
    if node.status == WARNING and "strategy" in node.results:
        return "no strategy proposed (no diffraction?)"
    return None


def _mesh_text(node: QueueNode) -> str | None:
    results = node.results
    cell, score = results.get("best_cell"), results.get("best_score")
    scored = results.get("cells_scored")
    if isinstance(cell, int) and isinstance(score, (int, float)):
        text = f"best cell {cell} (score {score:.3g})"
        if isinstance(scored, int):
            text += f", {counted(scored, 'cell')} scored"
        return text
    if scored == 0:
        return "no cell scored"
    return None


def _energy_scan_text(node: QueueNode) -> str | None:
    found = {k: node.results.get(k) for k in ("peak", "inflection", "remote")}
    values = [f"{k} {v:.4f}" for k, v in found.items() if isinstance(v, (int, float))]
    return ", ".join(values) + " keV" if values else None


_BY_TYPE = {
    "DataCollection": _collection_text,
    "Characterisation": _characterisation_text,
    "MeshScan": _mesh_text,
    "EnergyScan": _energy_scan_text,
}


def result_text(node: QueueNode) -> str | None:
    """What the task ``node`` did, in one line; ``None`` while it has not run or runs.

    A result of its own (images, strategy, best cell, edge energies) when the node has
    one, else its message (the reason of a failure, what a workflow said), else its
    status."""
    if node.status in (NOT_EXECUTED, RUNNING):
        return None
    by_type = _BY_TYPE.get(node.type)
    text = by_type(node) if by_type is not None else None
    if text:
        return text
    if node.status == STOPPED and node.message:  # "stopped by user" says it already
        stopped = node.message.startswith("stopped")
        return node.message if stopped else f"stopped: {node.message}"
    return node.message or node.status


def tally_text(statuses: Mapping[str, int]) -> str:
    """A parent's tasks by status: ``3 tasks`` before any ran, then ``2 of 3 done,
    1 failed`` (done: success or warning; running, failed, stopped, skipped named)."""
    total = sum(statuses.values())
    if total == statuses.get(NOT_EXECUTED, 0):
        return counted(total, "task")
    done = done_count(statuses)
    parts = [f"{done} of {total} done"]
    if statuses.get(RUNNING, 0):
        parts.append(f"{statuses[RUNNING]} running")
    parts.extend(f"{statuses[s]} {word}" for s, word in NAMED_STATUSES if statuses.get(s, 0))
    return ", ".join(parts)


def shown_status(status: str, tally: Mapping[str, int] | None) -> str:
    """The status a sample's or group's row shows: its own ``status``, except while it
    is ``not_executed`` and some of its tasks (``tally``, by status) have run or run
    (Run selected, a single task): then ``running`` while one runs, else what the
    engine would make of them (:func:`~mxgui.core.queue.status.summary_status`)."""
    if status != NOT_EXECUTED or not tally:
        return status
    if tally.get(RUNNING, 0):
        return RUNNING
    if not any(n for s, n in tally.items() if s != NOT_EXECUTED):
        return status
    return summary_status(tally)
