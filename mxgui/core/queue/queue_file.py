"""The queue file: JSON with a format version, written atomically, read with clear errors.

Format 1 (the current one)::

    {"format_version": 1, "saved": <epoch s>, "next_id": <n>,
     "nodes": [
    {"id": 0, "type": "Root", ...},
    {"id": 1, "type": "Sample", "parent": 0, "children": [...], "parameters": {...}, ...}
     ],
     "history": [
    {"node_id": 2, "type": "DataCollection", "status": "success", ...}
     ]}

one node or history entry per line (a JSON error's line number points at one). A
collection's files are stored packed: consecutive numbered names as one
``{"pattern": "/d/p_1_%05d.cbf", "first": 1, "last": 1800}``.

A file is checked before anything is allocated for it: at most ``MAX_FILE_BYTES``,
nested at most ``MAX_NESTING`` deep, and its ranges may name at most
``MAX_FILE_NAMES`` files in all (a 130-byte range ending at 300,000,000 would
otherwise fill the memory).

Format 0 (a queue written by hand or by a script) is a nested tree of ``task_json``
objects without ids: ``{"format_version": 0, "queue": [{"type": "Sample",
"parameters": {...}, "children": [{"type": "DataCollection", ...}]}]}``; it is migrated
to format 1 (ids given in order, missing parameters from the static defaults).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mxgui.core.acquisition import ParameterError
from mxgui.core.errors import ConfigError
from mxgui.core.file_limits import FileTooLarge, json_nesting_error, read_bounded
from mxgui.core.queue.fields import convert
from mxgui.core.queue.history import HistoryEntry
from mxgui.core.queue.nodes import (
    NODE_TYPES,
    ROOT,
    ROOT_ID,
    STATUSES,
    QueueNode,
    check_tree,
    derived_name,
    freeze,
)
from mxgui.core.queue.schemas import schema_of

#: 2 (issue 15): status ``stopped``, tasks under a Workflow, centring ``recentre`` and
#: the characterisation's new fields; read as 1 (nothing to migrate), but an mxgui of
#: format 1 says "written by a newer mxgui" instead of failing on a field
FORMAT_VERSION = 2
#: the largest queue file read (10,000 tasks with their history take a few MB)
MAX_FILE_BYTES = 256 * 1024 * 1024
#: the deepest nesting of arrays and objects read (a queue file needs about 10)
MAX_NESTING = 64
#: the most file names a queue file's packed ranges may stand for, all nodes and
#: history entries together (twenty collections of 100,000 images)
MAX_FILE_NAMES = 2_000_000
_NUMBERED = re.compile(r"^(.*?)(\d+)(\.[^./]*)?$")
#: a range's pattern: one ``%d`` or ``%0<width>d`` and no other conversion
_PATTERN = re.compile(r"(?:[^%]|%%)*%(?:0[1-9][0-9]?)?d(?:[^%]|%%)*", re.DOTALL)
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_NODE_KEYS = frozenset(
    "id type name auto_name parameters status message enabled parent children files "
    "started finished results".split()
)


class QueueFileError(ConfigError):
    """A queue file that cannot be used: ``path:line:column: what is wrong``."""

    def __init__(
        self, path: str | os.PathLike[str], message: str, line: int | None = None, column: int = 0
    ) -> None:
        self.column = column
        super().__init__(str(path), line, message)

    @property
    def where(self) -> str:
        where = super().where
        return f"{where}:{self.column}" if self.line and self.column else where


class NewerFormatError(QueueFileError):
    """A queue file written by a newer mxgui (its format_version is above ours)."""


@dataclass
class QueueData:
    """What a queue file holds, ready for ``QueueModel.load`` and ``History.load``."""

    nodes: list[QueueNode]
    next_id: int
    history: list[HistoryEntry] = field(default_factory=list)
    format_version: int = FORMAT_VERSION


# files written: packed ----------------------------------------------------------------------
def pack_files(files: Iterable[str]) -> list[str | dict[str, Any]]:
    """Consecutive numbered file names as ranges (see the module docstring)."""
    packed: list[str | dict[str, Any]] = []
    run: list[Any] | None = None  # [head, width, tail, first, last]
    for name in files:
        match = _NUMBERED.match(name)
        if match is not None:
            head, digits, tail = match.group(1), match.group(2), match.group(3) or ""
            number = int(digits)
            if run and run[0] == head and run[1] == len(digits) and run[2] == tail:
                if number == run[4] + 1:
                    run[4] = number
                    continue
            if run:
                packed.append(_range(run))
            run = [head, len(digits), tail, number, number]
            continue
        if run:
            packed.append(_range(run))
            run = None
        packed.append(name)
    if run:
        packed.append(_range(run))
    return packed


def _range(run: list[Any]) -> str | dict[str, Any]:
    head, width, tail, first, last = run
    if first == last:
        return f"{head}{first:0{width}d}{tail}"
    pattern = f"{head.replace('%', '%%')}%0{width}d{tail.replace('%', '%%')}"
    return {"pattern": pattern, "first": first, "last": last}


class TooManyNames(ValueError):
    """The ranges of a file stand for more names than :data:`MAX_FILE_NAMES`;
    ``last`` is the end of the range that went over (``None``: a plain name)."""

    def __init__(self, message: str, last: int | None) -> None:
        super().__init__(message)
        self.last = last


class NameBudget:
    """How many more file names the ranges of one file may stand for."""

    def __init__(self, names: int = MAX_FILE_NAMES) -> None:
        self.limit = names
        self.left = names

    def take(self, count: int, last: int | None = None) -> None:
        """Count ``count`` names (a range ending at ``last``), or raise :class:`TooManyNames`."""
        if count > self.left:
            what = f"the range ending at {last:,}" if last is not None else "the names"
            raise TooManyNames(
                f"files: {what} makes more than {self.limit:,} file names in this file "
                "(is the range's end mistyped?)",
                last,
            )
        self.left -= count


def unpack_files(packed: Iterable[Any], budget: NameBudget | None = None) -> tuple[str, ...]:
    """The inverse of :func:`pack_files`; ``ValueError`` for a range that is not one
    or that exceeds ``budget`` (checked before the names are made)."""
    if isinstance(packed, (str, bytes)) or not isinstance(packed, Iterable):
        raise ValueError(f"files: expected a list, got {type(packed).__name__}")
    budget = budget if budget is not None else NameBudget()
    files: list[str] = []
    for item in packed:
        if isinstance(item, str):
            budget.take(1)
            files.append(item)
        elif isinstance(item, Mapping):
            pattern, first, last = item["pattern"], item["first"], item["last"]
            if not (isinstance(pattern, str) and _PATTERN.fullmatch(pattern)) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in (first, last)
            ):
                raise ValueError(
                    f"files: {item!r}: expected a pattern with one %0<width>d and numbers from 0"
                )
            if last < first:
                raise ValueError(f"files: range {first}..{last} ends before it starts")
            budget.take(last - first + 1, last)
            files.extend(pattern % n for n in range(first, last + 1))
        else:
            raise ValueError(f"files: {item!r} is neither a name nor a range")
    return tuple(files)


# writing --------------------------------------------------------------------------------------
def node_record(node: QueueNode) -> dict[str, Any]:
    """The node as a plain dict for the file."""
    record = node.to_dict()
    record["auto_name"] = node.auto_name
    record["files"] = pack_files(node.files)
    return record


class LineCache:
    """Encoded lines of unchanged nodes and history entries, reused between writes.

    Nodes and entries are immutable and replaced on change, so a line is reused while
    the object it was encoded from is the same object: after a status change only
    that node is encoded again.
    """

    def __init__(self) -> None:
        self.nodes: dict[int, tuple[QueueNode, str]] = {}
        self.history: list[tuple[HistoryEntry, str]] = []

    def node_line(self, node: QueueNode, fresh: dict[int, tuple[QueueNode, str]]) -> str:
        cached = self.nodes.get(node.id)
        line = cached[1] if cached is not None and cached[0] is node else None
        if line is None:
            line = _ENCODER.encode(node_record(node))
        fresh[node.id] = (node, line)
        return line

    def history_line(self, index: int, entry: HistoryEntry) -> str:
        if index < len(self.history) and self.history[index][0] is entry:
            return self.history[index][1]
        data = entry.to_dict()
        data["files"] = pack_files(entry.files)
        line = _ENCODER.encode(data)
        del self.history[index:]
        self.history.append((entry, line))
        return line


def dumps(
    nodes: Iterable[QueueNode],
    next_id: int,
    history: Iterable[HistoryEntry],
    cache: LineCache | None = None,
) -> str:
    """The text of a queue file (one node or entry per line); ``cache`` saves the
    encoding of what has not changed since the last call with it."""
    cache = cache if cache is not None else LineCache()
    fresh: dict[int, tuple[QueueNode, str]] = {}
    node_lines = ",\n".join(cache.node_line(node, fresh) for node in nodes)
    cache.nodes = fresh  # forget removed nodes
    entries = ",\n".join(cache.history_line(i, entry) for i, entry in enumerate(history))
    head = f'{{"format_version":{FORMAT_VERSION},"saved":{time.time():.3f},"next_id":{next_id},'
    return f'{head}\n"nodes":[\n{node_lines}\n],\n"history":[\n{entries}\n]}}\n'


# reading --------------------------------------------------------------------------------------
def read(path: str | os.PathLike[str]) -> QueueData:
    """Read and check a queue file (format 0 is migrated).

    Raises
    ------
    FileNotFoundError
        when there is no file.
    NewerFormatError
        for a file of a newer format.
    QueueFileError
        for anything else wrong, naming the place (line and column for bad JSON).
    """
    path = Path(path)
    try:
        raw = read_bounded(path, MAX_FILE_BYTES)
        text = raw.decode("utf-8")
    except FileTooLarge as exc:
        raise QueueFileError(path, str(exc)) from None
    except UnicodeDecodeError as exc:
        raise QueueFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    too_deep = json_nesting_error(raw, MAX_NESTING)
    if too_deep is not None:
        raise QueueFileError(path, str(too_deep), too_deep.line)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QueueFileError(path, f"not valid JSON: {exc.msg}", exc.lineno, exc.colno) from None
    if not isinstance(data, dict):
        raise QueueFileError(path, f"expected a JSON object, got {type(data).__name__}")
    version = data.get("format_version", 0 if "queue" in data else None)
    if isinstance(version, bool) or not isinstance(version, int):
        raise QueueFileError(path, f"format_version: expected an integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise NewerFormatError(
            path,
            f"format_version {version} was written by a newer mxgui; this one reads "
            f"formats up to {FORMAT_VERSION}",
        )
    try:
        if version == 0:
            queue = _from_format_0(data)
        elif version in (1, FORMAT_VERSION):  # 1 -> 2: the same layout, more values
            queue = _from_format_1(data)
        else:
            raise ValueError(f"format_version {version} is not known (known: 0, 1, 2)")
        check_tree({node.id: node for node in queue.nodes}, queue.next_id)
        return queue
    except TooManyNames as exc:
        raise QueueFileError(path, _reason(exc), _line_of_range(text, exc.last)) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise QueueFileError(path, _reason(exc)) from None
    except RecursionError:  # a tree of ids deeper than the nesting of the text
        raise QueueFileError(path, "the queue's tree is nested too deeply") from None


def _line_of_range(text: str, last: int | None) -> int | None:
    """The line of the first range ending at ``last`` in ``text``, if it is found."""
    if last is None:
        return None
    found = re.search(rf'"last"\s*:\s*{last}(?![0-9.eE])', text)
    return text.count("\n", 0, found.start()) + 1 if found else None


def _reason(exc: Exception) -> str:
    return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)


def _from_format_1(data: dict[str, Any]) -> QueueData:
    next_id = data.get("next_id")
    if isinstance(next_id, bool) or not isinstance(next_id, int):
        raise ValueError(f"next_id: expected an integer, got {next_id!r}")
    records, history = data.get("nodes"), data.get("history", [])
    if not isinstance(records, list) or not isinstance(history, list):
        raise ValueError("nodes and history must be lists")
    budget = NameBudget()
    nodes = [_node(i, record, budget) for i, record in enumerate(records)]
    seen: set[int] = set()
    for i, node in enumerate(nodes):
        if node.id in seen:
            raise ValueError(f"nodes[{i}]: id {node.id} is used twice")
        seen.add(node.id)
    entries = []
    for i, item in enumerate(history):
        try:
            if isinstance(item, dict):
                item = {**item, "files": unpack_files(item.get("files", ()), budget)}
            entries.append(HistoryEntry.from_dict(item))
        except TooManyNames as exc:
            raise TooManyNames(f"history[{i}]: {exc}", exc.last) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"history[{i}]: {_reason(exc)}") from None
    return QueueData(nodes, next_id, entries)


def _node(index: int, record: object, budget: NameBudget) -> QueueNode:
    where = f"nodes[{index}]"
    if not isinstance(record, dict):
        raise ValueError(f"{where}: expected an object, got {type(record).__name__}")
    where += f" (id {record.get('id')!r})"
    unknown = sorted(set(record) - _NODE_KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
    node_id, node_type, status = record.get("id"), record.get("type"), record.get("status")
    if isinstance(node_id, bool) or not isinstance(node_id, int) or node_id < 0:
        raise ValueError(f"{where}: id must be an integer from 0")
    if node_type not in (*NODE_TYPES, ROOT):
        raise ValueError(f"{where}: type {node_type!r} is not one of {', '.join(NODE_TYPES)}")
    if status not in STATUSES:
        raise ValueError(f"{where}: status {status!r} is not one of {', '.join(STATUSES)}")
    parameters, results = record.get("parameters", {}), record.get("results", {})
    children = record.get("children", [])
    if not isinstance(parameters, dict) or not isinstance(results, dict):
        raise ValueError(f"{where}: parameters and results must be objects")
    if not isinstance(children, list) or not all(isinstance(c, int) for c in children):
        raise ValueError(f"{where}: children must be a list of node ids")
    for key, kinds in (("name", str), ("message", str), ("enabled", bool)):
        if key in record and not isinstance(record[key], kinds):
            raise ValueError(f"{where}: {key} must be {kinds.__name__}, got {record[key]!r}")
    for key in ("started", "finished"):
        value = record.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise ValueError(f"{where}: {key} must be a time in seconds or null, got {value!r}")
    try:
        files = unpack_files(record.get("files", ()), budget)
    except TooManyNames as exc:
        raise TooManyNames(f"{where}: {exc}", exc.last) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{where}: {_reason(exc)}") from None
    return QueueNode(
        node_id,
        node_type,
        record.get("name", ""),
        freeze(parameters),
        status=status,
        message=record.get("message", ""),
        enabled=record.get("enabled", True),
        parent=record.get("parent", None if node_id == ROOT_ID else ROOT_ID),
        children=tuple(children),
        files=files,
        started=record.get("started"),
        finished=record.get("finished"),
        results=freeze(results),
        auto_name=bool(record.get("auto_name", True)),
    )


def _from_format_0(data: dict[str, Any]) -> QueueData:
    """Migrate the nested format: ids in depth-first order, static defaults added."""
    samples = data.get("queue")
    if not isinstance(samples, list):
        raise ValueError("queue: expected a list of samples")
    nodes: dict[int, QueueNode] = {}
    root_children: list[int] = []
    next_id = 1

    def add(item: object, parent: int, where: str) -> int:
        nonlocal next_id
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected an object")
        node_type, children = item.get("type"), item.get("children", [])
        if not isinstance(node_type, str):
            raise ValueError(
                f"{where}: type must be a node type such as 'Sample', not {node_type!r}"
            )
        try:
            values = convert(schema_of(node_type), item.get("parameters") or {}, complete=True)
        except ParameterError as exc:
            raise ValueError(f"{where} ({node_type}): {exc}") from None
        if not isinstance(children, list):
            raise ValueError(f"{where}: children must be a list")
        node_id, next_id = next_id, next_id + 1
        kids = [add(child, node_id, f"{where}.children[{i}]") for i, child in enumerate(children)]
        name = item.get("name")
        nodes[node_id] = QueueNode(
            node_id,
            node_type,
            str(name) if name else derived_name(node_type, values, node_id),
            freeze(values),
            parent=parent,
            children=tuple(kids),
            auto_name=not name,
        )
        return node_id

    for i, sample in enumerate(samples):
        root_children.append(add(sample, ROOT_ID, f"queue[{i}]"))
    nodes[ROOT_ID] = QueueNode(
        ROOT_ID, ROOT, "queue", freeze({}), parent=None, children=tuple(root_children)
    )
    return QueueData(list(nodes.values()), next_id, [], format_version=0)
