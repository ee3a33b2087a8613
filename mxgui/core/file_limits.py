"""Limits checked on a file read at start before anything is allocated for it (Qt-free).

A queue, shapes or layout file is data that anyone with write access to the data or
configuration directory can edit; a few bytes can ask for gigabytes (a packed range,
a YAML alias bomb) or for more recursion than Python has (deep nesting). Readers check
the file's size against a bound before reading it (:func:`read_bounded`) and JSON's
nesting before parsing it (:func:`json_nesting_error`), so a bad file ends in a clear
message naming the file and the line, never in a ``MemoryError`` or ``RecursionError``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

#: bytes that matter to the nesting of JSON once escapes are gone: quotes, brackets, newlines
_STRUCTURE = b'"[]{}\n'
_OTHER_BYTES = bytes(b for b in range(256) if b not in _STRUCTURE)
_STEP = np.zeros(256, dtype=np.int8)
_STEP[[ord("["), ord("{")]] = 1
_STEP[[ord("]"), ord("}")]] = -1
#: bytes scanned at once (bounds the scan's own memory to a few times this)
_CHUNK = 1 << 22


class FileTooLarge(ValueError):
    """A file bigger than its kind may be; the message names the size and the bound."""


def read_bounded(path: str | os.PathLike[str], max_bytes: int) -> bytes:
    """The bytes of ``path``; :class:`FileTooLarge` if it holds more than ``max_bytes``
    (checked before reading, and again while reading, should the file grow).
    ``FileNotFoundError`` and other ``OSError`` pass through."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise FileTooLarge(_too_large(size, max_bytes))
        # read(n) allocates n bytes up front: ask for what the file holds, then for
        # whatever it grew by (at most up to the bound)
        data = handle.read(size + 1)
        if len(data) > size:
            data += handle.read(max_bytes + 1 - len(data))
    if len(data) > max_bytes:
        raise FileTooLarge(_too_large(len(data), max_bytes))
    return data


def _too_large(size: int, max_bytes: int) -> str:
    return f"the file holds {size:,} bytes; at most {max_bytes:,} are read"


@dataclass(frozen=True)
class NestingError:
    """Where a JSON text first nests deeper than allowed (1-based line)."""

    line: int
    depth: int
    limit: int

    def __str__(self) -> str:
        return f"nested deeper than {self.limit} levels"


def json_nesting_error(data: bytes, limit: int) -> NestingError | None:
    """Where the JSON text ``data`` first opens more than ``limit`` nested arrays or
    objects, or ``None``. Brackets inside strings do not count.

    Escape pairs are removed first (``\\\\`` then ``\\"``, left to right as JSON reads
    them), then everything but quotes, brackets and newlines (all in C); what is left
    is scanned with numpy in chunks: tens of milliseconds for a 10 MB queue file.
    Bytes outside strings that JSON does not allow (a stray backslash) may mislead the
    scan only after the point where the parser stops at them."""
    structure = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _OTHER_BYTES)
    if structure.count(b"[") + structure.count(b"{") <= limit:
        return None
    codes = np.frombuffer(structure, dtype=np.uint8)
    depth, inside, line = 0, False, 1
    for start in range(0, codes.size, _CHUNK):
        chunk = codes[start : start + _CHUNK]
        steps = _STEP[chunk]
        quotes = chunk == ord('"')
        if inside or quotes.any():
            in_string = (np.cumsum(quotes, dtype=np.int32) + inside) % 2 == 1
            steps[in_string] = 0
            inside = bool(in_string[-1])
        depths = np.cumsum(steps, dtype=np.int32) + depth
        too_deep = np.flatnonzero(depths > limit)
        if too_deep.size:
            at = int(too_deep[0])
            line += structure.count(b"\n", start, start + at)
            return NestingError(line, int(depths[at]), limit)
        depth = int(depths[-1])
        line += structure.count(b"\n", start, start + chunk.size)
    return None
