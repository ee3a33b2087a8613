"""Files read at start, attacked as in issue 11 (item 8): how long mxgui takes to refuse
each, and the most memory it allocates doing so (Python allocations, tracemalloc).

- ``queue_range_300m``: a queue file whose packed range ends at 300,000,000 (was a
  MemoryError after 28 s at 2.8 GB);
- ``queue_nested_100k``: a queue parameter nested 100,000 deep (was a RecursionError);
- ``layout_alias_bomb``: a 568-byte layout whose aliases expand to 9**9 strings (was
  32 s and 2.2 GB in ``mxgui --check``, then a MemoryError);
- ``layout_nested_400``: containers nested 400 deep (was an uncaught RecursionError);
- ``queue_nesting_scan_10k``: the nesting check of a queue file of 10,000 finished tasks,
  the price every start pays for the bound.

Run: ``python benchmarks/startup_file_attacks.py``. Prints one JSON object per figure.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from mxgui.core.errors import ConfigError
from mxgui.core.file_limits import json_nesting_error
from mxgui.core.queue import QueueModel, queue_file
from mxgui.gui.layout import load_layout


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, "target": target}))


def refuse(action: Callable[[], object], reason: str) -> tuple[float, float]:
    """Seconds and peak MB of allocations until ``action`` raises its ConfigError,
    which must give ``reason``."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        action()
    except ConfigError as exc:
        assert reason in str(exc), exc
    else:
        raise AssertionError("the file was accepted")
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return seconds, peak


def queue_text(tasks: int = 1, files: int = 1800) -> str:
    model = QueueModel()
    sample = model.add(0, "Sample", {"name": "x1"})
    for run in range(1, tasks + 1):
        node = model.add(
            sample, "DataCollection", {"directory": "/data", "prefix": "x", "run_number": run}
        )
        model.set_status(node, "running")
        model.set_status(
            node, "success", "", [f"/data/x_{run}_{n:05d}.cbf" for n in range(1, files + 1)]
        )
    nodes, next_id, _ = model.snapshot()
    return queue_file.dumps(nodes.values(), next_id, [])


def layouts(directory: Path) -> dict[str, Path]:
    bomb = ['x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    bomb += [f"x{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    bomb += ["windows:", "- name: main", "  content:", "    class: LogBrick", "    name: log"]
    bomb += ["    properties:", "      level: *a8"]
    nested = ["windows:", "- name: main", "  content:"]
    for depth in range(400):
        indent = "    " + "  " * depth
        nested += [f"{indent}type: vbox", f"{indent}children:", f"{indent}-"]
    paths = {"layout_alias_bomb": directory / "bomb.yml", "layout_nested_400": directory / "n.yml"}
    paths["layout_alias_bomb"].write_text("\n".join(bomb) + "\n")
    paths["layout_nested_400"].write_text("\n".join(nested) + "\n      class: LogBrick\n")
    return paths


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        directory = Path(name)
        text = queue_text()
        nested = '"x":' + "[" * 100_000 + "]" * 100_000
        attacks = {
            "queue_range_300m": (
                text.replace('"last":1800', '"last":300000000'),
                "the range ending at 300,000,000",
            ),
            "queue_nested_100k": (text.replace('"name":"x1"', nested), "nested deeper than"),
        }
        for figure, (attack, reason) in attacks.items():
            path = directory / f"{figure}.json"
            path.write_text(attack)
            seconds, peak = refuse(lambda path=path: queue_file.read(path), reason)
            emit(f"{figure}_refused", seconds, "s", "<= 1")
            emit(f"{figure}_peak_memory", peak, "MB", "<= 50")
        reasons = {"layout_alias_bomb": "once its aliases", "layout_nested_400": "nested deeper"}
        for figure, path in layouts(directory).items():
            seconds, peak = refuse(lambda path=path: load_layout(path), reasons[figure])
            emit(f"{figure}_refused", seconds, "s", "<= 1")
            emit(f"{figure}_peak_memory", peak, "MB", "<= 50")
        big = queue_text(tasks=10_000, files=100).encode()
        times = []
        for _ in range(5):
            started = time.perf_counter()
            assert json_nesting_error(big, queue_file.MAX_NESTING) is None
            times.append(time.perf_counter() - started)
        emit("queue_nesting_scan_10k", statistics.median(times), "s", "<= 0.1")


if __name__ == "__main__":
    main()
