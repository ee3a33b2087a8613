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
import re
from dataclasses import dataclass

import numpy as np

#: JSON strings, whose brackets do not nest (a raw newline cannot occur inside one)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_STRUCTURE = re.compile(r"[^\[\]{}\n]+")


class FileTooLarge(ValueError):
    """A file bigger than its kind may be; the message names the size and the bound."""


def read_bounded(path: str | os.PathLike, max_bytes: int) -> bytes:
    """The bytes of ``path``; :class:`FileTooLarge` if it holds more than ``max_bytes``
    (checked before reading, and again while reading, should the file grow).
    ``FileNotFoundError`` and other ``OSError`` pass through."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > max_bytes:
            raise FileTooLarge(_too_large(size, max_bytes))
        data = handle.read(max_bytes + 1)
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


def json_nesting_error(text: str, limit: int) -> NestingError | None:
    """Where ``text`` (JSON) first opens more than ``limit`` nested arrays or objects,
    or ``None``. Strings are skipped; the scan runs in C and numpy, so it costs a few
    milliseconds per megabyte whatever the file holds."""
    structure = _NOT_STRUCTURE.sub("", _JSON_STRING.sub("", text))
    if structure.count("[") + structure.count("{") <= limit:
        return None
    codes = np.frombuffer(structure.encode("ascii"), dtype=np.uint8)
    steps = np.zeros(codes.size, dtype=np.int32)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    depth = np.cumsum(steps)
    too_deep = np.flatnonzero(depth > limit)
    if too_deep.size == 0:
        return None
    at = int(too_deep[0])
    return NestingError(structure.count("\n", 0, at) + 1, int(depth[at]), limit)
