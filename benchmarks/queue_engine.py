"""Queue engine: the time the engine itself adds per entry, whatever the entry does.

A queue of 10 samples x 100 tasks (1,010 entries, samples mounted by hand and not
centred) runs to the end; the hardware answers at once, so what is measured is the
engine: the walk over the live tree, the parameters checked again, the run number
checked against the history and the disk (one listing per task of a directory that
holds 500 files of earlier runs), the status
changes and their signals, the history entries, the thread hand-overs.

- ``queue_engine_entry_overhead``: with a no-op task entry (the base class's
  preparation only), ms per entry (median of 5 runs);
- ``..._with_queue_file``: the same with the queue file saved on every change (the
  ``QueueStore`` writer thread listening, as in the application);
- ``..._collection``: the real DataCollection entry on a collect stub whose collection
  ends at once with 10 files: the collection entry's own work included.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from mxgui.core.futures import done
from mxgui.core.queue import History, QueueModel, QueueStore
from mxgui.core.queue.engine import QueueEngine
from mxgui.core.queue.entries import Entry, EntryContext, Outcome

SAMPLES = 10
TASKS_PER_SAMPLE = 100
EARLIER_FILES = 500
TARGET_MS = "<= 2.0"


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, "target": target}))


class NoOpEntry(Entry):
    """Does nothing after the base preparation (validation, free run number)."""

    def run(self, ctx: EntryContext) -> Outcome:
        return Outcome()


class StubCollect:
    """A collect whose collection ends at once, as if it had written 10 images."""

    SIGNALS = ("progressChanged",)

    def connect(self, _signal: str, _callback: Any) -> None:
        pass

    def disconnect(self, _signal: str, _callback: Any) -> None:
        pass

    def collect(self, params: Any, path: Any, _centred: Any = None) -> Future:
        files = [f"{path.directory}/{path.image_file_name(i + 1)}" for i in range(10)]
        info = {
            "prefix": path.prefix,
            "run_number": path.run_number,
            "directory": path.directory,
            "images_taken": 10,
            "files": files,
            "snapshots": [],
        }
        return done(info)

    def stop_collect(self) -> None:
        pass

    def get_collection_info(self) -> dict | None:
        return None


def build(directory: Path) -> tuple[QueueModel, int]:
    model = QueueModel()
    for s in range(SAMPLES):
        (directory / f"s{s}").mkdir(parents=True)
        for i in range(EARLIER_FILES):
            (directory / f"s{s}" / f"earlier_1_{i + 1:05d}.cbf").touch()
        sample = model.add(0, "Sample", {"centring": "none", "name": f"s{s}"})
        for t in range(TASKS_PER_SAMPLE):
            params = {
                "directory": str(directory / f"s{s}"),
                "prefix": f"p{t}",
                "run_number": 1,
                "num_images": 10,
                "exp_time": 0.01,
            }
            model.add(sample, "DataCollection", params)
    return model, len(model)


def run_once(directory: Path, collection: bool, with_store: bool) -> float:
    """ms per entry of one run of the whole queue."""
    model, entries = build(directory)
    history = History()
    store = QueueStore(directory / "queue.json", model, history) if with_store else None
    overrides = {} if collection else {"DataCollection": NoOpEntry()}
    engine = QueueEngine(model, history, {"collect": StubCollect()}, entries=overrides)
    finished = threading.Event()
    engine.connect("executionFinished", lambda _status: finished.set())
    if store is not None:
        store.start()
    try:
        started = time.perf_counter()
        engine.run_all()
        if not finished.wait(600):
            raise RuntimeError("the queue did not finish in 600 s")
        elapsed = time.perf_counter() - started
    finally:
        engine.shutdown()
        if store is not None:
            store.stop()
    statuses = model.counts()["statuses"]
    if statuses != {"success": entries}:
        raise RuntimeError(f"the run did not succeed: {statuses}")
    return 1000.0 * elapsed / entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (median)")
    args = parser.parse_args()
    figures = (
        ("queue_engine_entry_overhead", False, False),
        ("queue_engine_entry_overhead_with_queue_file", False, True),
        ("queue_engine_entry_overhead_collection", True, False),
    )
    for name, collection, with_store in figures:
        values = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                values.append(run_once(Path(tmp), collection, with_store))
        emit(name, statistics.median(values), "ms", TARGET_MS)


if __name__ == "__main__":
    main()
