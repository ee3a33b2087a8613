"""The history of executed queue entries: what ran, on which sample, with what result.

The engine appends one :class:`HistoryEntry` per executed entry (:meth:`History.record`
builds it from the node); the history is saved with the queue, so its run numbers
count after a restart (``runs.py`` never gives a run number that the history used).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from mxgui.core.queue.nodes import STATUSES, QueueNode, freeze, thaw
from mxgui.core.signals import SignalEmitter


@dataclass(frozen=True)
class HistoryEntry:
    """One executed entry (immutable).

    Attributes
    ----------
    node_id, type, name
        The queue node that ran (its id stays valid in the history after the node is
        removed from the queue).
    sample_id, sample
        The sample node's id and label (``"2:05 lyso-1"``), or ``None`` / ``""``.
    status, message
        The final status (``success``, ``warning``, ``failed``, ``skipped``) and reason.
    started, finished
        Epoch seconds.
    files
        The files written.
    directory, prefix, run_number
        Where it wrote (``None`` run number for a node without a path).
    summary
        The parameters in one line, for a history table.
    parameters
        All the parameters, read-only.
    """

    node_id: int
    type: str
    name: str
    sample_id: int | None
    sample: str
    status: str
    message: str = ""
    started: float | None = None
    finished: float | None = None
    files: tuple[str, ...] = ()
    directory: str = ""
    prefix: str = ""
    run_number: int | None = None
    summary: str = ""
    parameters: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    FIELDS: ClassVar[tuple[str, ...]] = (
        "node_id",
        "type",
        "name",
        "sample_id",
        "sample",
        "status",
        "message",
        "started",
        "finished",
        "files",
        "directory",
        "prefix",
        "run_number",
        "summary",
        "parameters",
    )

    def to_dict(self) -> dict[str, Any]:
        """Plain types (for the queue file and XML-RPC)."""
        data = {name: getattr(self, name) for name in self.FIELDS}
        data["files"] = list(self.files)
        data["parameters"] = thaw(self.parameters)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HistoryEntry:
        """The inverse of :meth:`to_dict`; ``ValueError`` names a bad key."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a history entry is an object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(cls.FIELDS))
        if unknown:
            raise ValueError(f"unknown key(s) {', '.join(unknown)}")
        for key in ("node_id", "type", "status"):
            if data.get(key) is None:
                raise ValueError(f"missing {key!r}")
        if data["status"] not in STATUSES:
            raise ValueError(f"status {data['status']!r} is not one of {', '.join(STATUSES)}")
        for key, kinds in _TYPES.items():
            value = data.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, kinds)):
                raise ValueError(f"{key}: {value!r} has the wrong type")
        values = dict(data)
        values.setdefault("name", "")
        values.setdefault("sample_id", None)
        values.setdefault("sample", "")
        values["files"] = tuple(values.get("files", ()))
        values["parameters"] = freeze(dict(values.get("parameters", {})))
        return cls(**values)


#: the types of the fields a file may get wrong (``None`` is allowed for each)
_TYPES: dict[str, type | tuple[type, ...]] = {
    "node_id": int,
    "sample_id": int,
    "run_number": int,
    "started": (int, float),
    "finished": (int, float),
    "type": str,
    "name": str,
    "sample": str,
    "message": str,
    "directory": str,
    "prefix": str,
    "summary": str,
    "files": (list, tuple),
    "parameters": Mapping,
}


def summarise_parameters(node_type: str, parameters: Mapping[str, object]) -> str:
    """One line for a history table, e.g. ``1800 x 0.1 deg, 0.01 s, 12.7 keV, 2 A, 100 %``."""
    p = parameters
    if node_type == "EnergyScan":
        return (
            f"{p.get('element')} {p.get('edge')}, {p.get('start_energy')}-{p.get('end_energy')} keV"
        )
    if node_type == "Workflow":
        return str(p.get("workflow_name", ""))
    if "num_images" not in p:
        return ""
    text = (
        f"{p['num_images']} x {p.get('osc_range', 0):g} deg from {p.get('osc_start', 0):g}, "
        f"{p.get('exp_time', 0):g} s, {p.get('energy', 0):g} keV, "
    )
    distance = p.get("detector_distance")
    text += f"{distance:g} mm" if distance is not None else f"{p.get('resolution', 0):g} A"
    return text + f", {p.get('transmission', 0):g} %"


def sample_label(sample: QueueNode | None) -> str:
    """``"2:05 lyso-1"``: the sample's address and name (either may be missing)."""
    if sample is None:
        return ""
    location = sample.parameters.get("location")
    parts = [location or "manual", sample.parameters.get("name") or ""]
    return " ".join(p for p in parts if p)


class History(SignalEmitter):
    """The executed entries, oldest first; thread-safe and evented.

    Signals: ``entryAdded(entry)``, ``historyReset()``.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ("entryAdded", "historyReset")

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._entries: list[HistoryEntry] = []
        self._runs: dict[tuple[str, str], set[int]] = {}
        self._version = 0

    # writing ----------------------------------------------------------------------------------
    def append(self, entry: HistoryEntry) -> None:
        """Add ``entry`` (the engine, when an entry has finished)."""
        with self._lock:
            self._entries.append(entry)
            self._index(entry)
            self._version += 1
            self.emit("entryAdded", entry)

    def record(self, node: QueueNode, sample: QueueNode | None = None) -> HistoryEntry:
        """Append the entry of ``node`` as it is now (after its final status)."""
        p = node.parameters
        run = p.get("run_number")
        entry = HistoryEntry(
            node_id=node.id,
            type=node.type,
            name=node.name,
            sample_id=sample.id if sample is not None else None,
            sample=sample_label(sample),
            status=node.status,
            message=node.message,
            started=node.started,
            finished=node.finished,
            files=node.files,
            directory=str(p.get("directory", "")),
            prefix=str(p.get("prefix", "")),
            run_number=int(run) if isinstance(run, int) else None,
            summary=summarise_parameters(node.type, p),
            parameters=node.parameters,
        )
        self.append(entry)
        return entry

    def load(self, entries: Iterable[HistoryEntry]) -> None:
        """Replace every entry (restoring the queue file)."""
        with self._lock:
            self._entries = list(entries)
            self._runs = {}
            for entry in self._entries:
                self._index(entry)
            self._version += 1
            self.emit("historyReset")

    def clear(self) -> None:
        """Forget every entry."""
        self.load([])

    # reading ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entries)

    @property
    def version(self) -> int:
        """Grows with every change."""
        return self._version

    def entries(self) -> list[HistoryEntry]:
        """Every entry, oldest first."""
        with self._lock:
            return list(self._entries)

    def snapshot(self) -> tuple[list[HistoryEntry], int]:
        """``(entries, version)`` at one instant (for the queue file)."""
        with self._lock:
            return list(self._entries), self._version

    def query(
        self,
        node_id: int | None = None,
        sample_id: int | None = None,
        status: str | None = None,
        node_type: str | None = None,
        since: float | None = None,
        until: float | None = None,
        limit: int | None = None,
    ) -> list[HistoryEntry]:
        """The entries matching every criterion given, oldest first; with ``limit``, the
        newest ``limit`` of them. ``since`` / ``until`` compare the finish time."""
        with self._lock:
            entries = list(self._entries)
        found = [
            e
            for e in entries
            if (node_id is None or e.node_id == node_id)
            and (sample_id is None or e.sample_id == sample_id)
            and (status is None or e.status == status)
            and (node_type is None or e.type == node_type)
            and (since is None or (e.finished or 0.0) >= since)
            and (until is None or (e.finished or 0.0) <= until)
        ]
        return found[-limit:] if limit else found

    def runs(self, directory: str, prefix: str) -> set[int]:
        """The run numbers the history used with ``prefix`` in ``directory``: those of
        entries that wrote files (a collection that failed or was stopped before
        writing anything leaves its run number free for its retry)."""
        with self._lock:
            return set(self._runs.get((directory_key(directory), prefix), ()))

    def _index(self, entry: HistoryEntry) -> None:
        if entry.run_number is not None and entry.prefix and entry.files:
            key = (directory_key(entry.directory), entry.prefix)
            self._runs.setdefault(key, set()).add(entry.run_number)


def directory_key(directory: str) -> str:
    """How directories compare: normalised (no trailing slash, no ``a/./b``)."""
    return os.path.normpath(directory) if directory else ""
