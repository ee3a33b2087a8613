"""The checks made on a file read at start before it is parsed: its size, and how deep
its JSON nests (strings and escapes read as JSON reads them, chunk by chunk)."""

from __future__ import annotations

import random

import pytest

from mxgui.core import file_limits
from mxgui.core.file_limits import FileTooLarge, json_nesting_error, read_bounded


def reference_depth(data: bytes, limit: int) -> tuple[int, int] | None:
    """(line, depth) where ``data`` first nests deeper than ``limit``: one byte at a time."""
    depth, inside, escaped, line = 0, False, False, 1
    for char in data.decode():
        if inside:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                inside = False
        elif char == '"':
            inside = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return line, depth
        elif char in "]}":
            depth -= 1
        if char == "\n":
            line += 1
    return None


def random_json_like(rng: random.Random) -> bytes:
    """Brackets and newlines around strings full of brackets, quotes and escapes."""
    parts = []
    for _ in range(rng.randint(0, 30)):
        if rng.random() < 0.3:
            inner = "".join(
                rng.choice(["[", "]", "{", "a", "\\\\", '\\"', "\\n", '\\\\\\"'])
                for _ in range(rng.randint(0, 6))
            )
            parts.append(f'"{inner}"')
        else:
            parts.append(rng.choice("[[{]}\na"))
    return "".join(parts).encode()


@pytest.mark.parametrize("chunk", [3, 7, file_limits._CHUNK])
def test_the_nesting_scan_reads_strings_and_escapes_as_json_does(monkeypatch, chunk):
    monkeypatch.setattr(file_limits, "_CHUNK", chunk)
    rng = random.Random(2)
    for _ in range(3000):
        data = random_json_like(rng)
        found = json_nesting_error(data, 4)
        assert (None if found is None else (found.line, found.depth)) == reference_depth(data, 4)


def test_brackets_in_strings_do_not_count_and_the_line_is_given():
    assert json_nesting_error(b'{"a": "' + b"[" * 500 + b'"}', 8) is None
    found = json_nesting_error(b'{"a":\n [\n' + b"[" * 20 + b"]" * 21 + b"}", 8)
    assert found is not None and found.line == 3 and str(found) == "nested deeper than 8 levels"


def test_a_file_above_the_bound_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 1001)
    with pytest.raises(FileTooLarge, match="1,001 bytes; at most 1,000"):
        read_bounded(path, 1000)
    assert read_bounded(path, 1001) == b" " * 1001
