"""Run numbers that collide with nothing: the queue, the history and the disk.

A run is ``(directory, prefix, run_number)``; its files all start with
``<prefix>_<run_number>_`` (docs/contracts.md), so the disk is checked by run, never by image:
one listing per directory per call (:class:`DiskRuns`), whatever the number of images.
The history is saved with the queue, so a run used before a restart still counts; with
the session, so does every run number it issued (other GUIs, earlier sessions).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mxgui.core.queue.history import History, directory_key
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import QueueNode
from mxgui.core.queue.run_index import QueueRuns, run_key
from mxgui.core.roles.collect import SessionRole


class DiskRuns:
    """Run numbers found on disk; each directory is listed once per instance.

    Make one per check (a dialog, a call of :func:`next_run_number`): the disk may
    change between two checks. A directory that cannot be read is listed in
    :attr:`errors` and counts as empty.
    """

    def __init__(self) -> None:
        self._listings: dict[str, list[str]] = {}
        self._runs: dict[tuple[str, str], frozenset[int]] = {}
        self._texts: dict[str, str] = {}
        self._questions: dict[tuple[str, str], int] = {}
        self.errors: dict[str, str] = {}

    def listing(self, directory: str) -> list[str]:
        """The names in ``directory`` (cached)."""
        key = directory_key(directory)
        names = self._listings.get(key)
        if names is None:
            try:
                names = os.listdir(key) if key else []
            except FileNotFoundError:
                names = []
            except OSError as exc:
                self.errors[key] = exc.strerror or str(exc)
                names = []
            self._listings[key] = names
        return names

    def _text(self, directory: str) -> str:
        """The names of ``directory``, one per line, with a newline before the first."""
        key = directory_key(directory)
        text = self._texts.get(key)
        if text is None:
            text = self._texts[key] = "\n" + "\n".join(self.listing(directory)) + "\n"
        return text

    def runs(self, directory: str, prefix: str) -> frozenset[int]:
        """Run numbers of ``prefix`` that have a file in ``directory`` (cached)."""
        key = (directory_key(directory), prefix)
        found = self._runs.get(key)
        if found is None:
            # "<prefix>_<run>_<anything>", one regular-expression pass over all the names
            pattern = re.compile(rf"^{re.escape(prefix)}_([0-9]+)_", re.MULTILINE)
            found = frozenset(int(run) for run in set(pattern.findall(self._text(directory))))
            self._runs[key] = found
        return found

    def has_run(self, directory: str, prefix: str, run: int) -> bool:
        """True when a file of run ``run`` of ``prefix`` is in ``directory``.

        The first few questions per prefix search the names for ``<prefix>_<run>_``
        (faster than finding every run of a directory of 100,000 images); then every
        run is found once (:meth:`runs`).
        """
        key = (directory_key(directory), prefix)
        if key in self._runs:
            return run in self._runs[key]
        asked = self._questions[key] = self._questions.get(key, 0) + 1
        if asked > 8:
            return run in self.runs(directory, prefix)
        return f"\n{prefix}_{run}_" in self._text(directory)


def run_files(
    directory: str, prefix: str, run: int, disk: DiskRuns | None = None
) -> tuple[str, ...]:
    """The paths of the files of run ``run`` of ``prefix`` in ``directory`` (one
    listing, cached in ``disk``): the data files in name order, then the snapshots
    (as a collection lists them)."""
    head = f"{prefix}_{run}_"
    names = sorted(n for n in (disk or DiskRuns()).listing(directory) if n.startswith(head))
    snapshots = [n for n in names if n[len(head) :].startswith("snapshot_")]
    data = [n for n in names if not n[len(head) :].startswith("snapshot_")]
    return tuple(os.path.join(directory_key(directory), n) for n in data + snapshots)


def queue_runs(queue: QueueModel | QueueRuns | None) -> QueueRuns | None:
    """``queue`` as a :class:`QueueRuns` (a model is looked through once)."""
    return QueueRuns(queue) if isinstance(queue, QueueModel) else queue


def used_runs(
    directory: str,
    prefix: str,
    queue: QueueModel | QueueRuns | None = None,
    history: History | None = None,
    disk: DiskRuns | None = None,
    exclude: Iterable[int] = (),
) -> set[int]:
    """Run numbers of ``prefix`` in ``directory`` used by the queue (except the nodes
    ``exclude``), the history and the disk."""
    taken: set[int] = set()
    runs = queue_runs(queue)
    if runs is not None:
        taken |= runs.runs(directory, prefix, frozenset(exclude))
    if history is not None:
        taken |= history.runs(directory, prefix)
    if disk is not None:
        taken |= disk.runs(directory, prefix)
    return taken


def next_run_number(
    directory: str,
    prefix: str,
    queue: QueueModel | QueueRuns | None = None,
    history: History | None = None,
    session: SessionRole | None = None,
    proposed: int = 1,
    exclude: Iterable[int] = (),
    check_disk: bool = True,
) -> int:
    """The lowest run number from ``proposed`` that no queue task (except ``exclude``),
    history entry or file on disk uses; with ``session`` (an ``AbstractSession``) it is
    also at least the session's next run number, so it is above every run the session
    issued or found on disk.

    ``queue`` is the model (looked through once) or a following :class:`QueueRuns`
    (constant time: use one when giving run numbers to many new tasks).
    """
    run = max(int(proposed), 1)
    if session is not None:
        run = max(run, int(session.get_next_run_number(directory, prefix)))
    taken = used_runs(
        directory, prefix, queue, history, DiskRuns() if check_disk else None, exclude
    )
    while run in taken:
        run += 1
    return run


def with_free_run_number(
    parameters: Mapping[str, Any],
    queue: QueueModel | QueueRuns | None = None,
    history: History | None = None,
    session: SessionRole | None = None,
    exclude: Iterable[int] = (),
) -> dict[str, Any]:
    """A copy of task ``parameters`` whose ``run_number`` collides with nothing
    (:func:`next_run_number` from the run number they propose)."""
    values = dict(parameters)
    values["run_number"] = next_run_number(
        str(values.get("directory", "")),
        str(values.get("prefix", "")),
        queue,
        history,
        session,
        proposed=int(values.get("run_number") or 1),
        exclude=exclude,
    )
    return values


@dataclass(frozen=True)
class Collision:
    """A task whose run is already used: by other queue tasks, the history or files."""

    node_id: int
    directory: str
    prefix: str
    run_number: int
    kind: str  # "queue", "history" or "disk"
    others: tuple[int, ...] = ()
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain types (for a dialog or XML-RPC)."""
        return {
            "node_id": self.node_id,
            "directory": self.directory,
            "prefix": self.prefix,
            "run_number": self.run_number,
            "kind": self.kind,
            "others": list(self.others),
            "message": self.message,
        }


def collisions_of(
    node: QueueNode,
    queue: QueueRuns,
    history: History | None,
    disk: DiskRuns | None,
) -> list[Collision]:
    """What run of ``node`` is already used, one :class:`Collision` per kind."""
    key = run_key(node.parameters)
    if key is None:
        return []
    directory, prefix, run = key
    name = f"{node.describe()} writes {prefix}_{run}_* in {directory}"
    found = []
    others = tuple(n for n in queue.nodes(key) if n != node.id)
    if others:
        ids = ", ".join(str(n) for n in others)
        found.append(Collision(node.id, *key, "queue", others, f"{name}: so do nodes {ids}"))
    if history is not None and run in history.runs(directory, prefix):
        entries = [
            e.node_id
            for e in history.entries()
            if (directory_key(e.directory), e.prefix, e.run_number) == key
        ]
        message = f"{name}: the history has that run (nodes {', '.join(map(str, entries))})"
        found.append(Collision(node.id, *key, "history", tuple(entries), message))
    if disk is not None and disk.has_run(directory, prefix, run):
        message = f"{name}: files of that run are already on disk"
        found.append(Collision(node.id, *key, "disk", (), message))
    return found
