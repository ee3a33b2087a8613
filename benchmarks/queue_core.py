"""Queue core: add a task to a 10,000-task queue, restore 10,000 from disk, confirm a
100,000-image collection.

Runs on the simulated beamline (its collect gives the live limits and defaults), with
no GUI: the Qt views are measured by ``benchmarks/queue.py`` once they exist.

- ``queue_add_task_10k``: one DataCollection added to a queue of 10,000 tasks (100
  samples x 100), through ``TaskFactory.validate`` with the live limits (read from the
  hardware at each add), with the queue writer listening and one more receiver per
  signal; median and worst of 200 adds, in ms.
- ``..._with_defaults_and_run``: what the task toolbox does per new task on that
  queue: defaults from the beamline for the sample (the session's next run number
  included), a run number free in the queue (a following ``QueueRuns``), the history,
  the session and the disk, then the add; median of 100, in ms.
- ``queue_restore_10k``: read the queue file of those 10,000 tasks (with statuses and
  1,000 history entries) into a new model and history, in s (median of 5).
- ``queue_summarise_100k_images``: ``summarise`` of a sample with one 100,000-image
  collection, with the 10,000-task queue around it (its run-number collisions are
  checked against all of them), in a directory already holding 10 earlier runs of
  1,000 images, in ms (median of 5);
- ``..._into_100k_files``: the same into a directory already holding the 100,000
  files of an earlier run: the worst case, where listing the directory once (60-75 ms
  for 100,000 names on the test machine) is most of the time.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mxgui.core.queue import (
    History,
    QueueModel,
    QueueStore,
    restore,
    summarise,
    with_free_run_number,
)
from mxgui.core.queue.run_index import QueueRuns
from mxgui.core.queue.tasks import CollectDefaults, TaskFactory
from mxgui.core.repository import HardwareRepository

SIMULATED = Path(__file__).resolve().parents[1] / "HardwareRepository" / "simulated"


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, "target": target}))


def build(model: QueueModel, factory: TaskFactory, data: Path, samples: int, per: int) -> dict:
    template = factory.create(
        "DataCollection",
        {"directory": str(data / "RAW_DATA"), "prefix": "lyso", "num_images": 100},
    )
    for s in range(samples):
        sample = model.add(0, "Sample", {"location": f"{s // 16 + 1}:{s % 16 + 1:02d}"})
        for t in range(per):
            model.add(sample, "DataCollection", {**template, "run_number": s * per + t + 1})
    return template


def bench_add(model: QueueModel, factory: TaskFactory, template: dict, count: int) -> list[float]:
    sample = model.add(0, "Sample", {"location": "20:01"})
    times = []
    for i in range(count):
        started = time.perf_counter()
        model.add(sample, "DataCollection", {**template, "run_number": 100_000 + i})
        times.append((time.perf_counter() - started) * 1000.0)
    return times


def bench_toolbox_add(
    model: QueueModel, factory: TaskFactory, history: History, session, count: int
) -> list[float]:
    """What the task toolbox does for one new task: beamline defaults for the sample,
    a run number free in the queue, the history, the session and the disk, then add."""
    runs = QueueRuns(model, follow=True)
    sample_params = {"location": "20:02", "name": "x1", "protein_acronym": "lyso"}
    sample = model.add(0, "Sample", sample_params)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        params = factory.create("DataCollection", sample=sample_params)
        params = with_free_run_number(params, runs, history, session)
        model.add(sample, "DataCollection", params)
        times.append((time.perf_counter() - started) * 1000.0)
    runs.close()
    given = [model.get_node(n).parameters["run_number"] for n in model.children(sample)]
    assert len(set(given)) == count, "two new tasks got the same run number"
    return times


def bench_restore(path: Path, repeats: int) -> tuple[float, int]:
    times, nodes = [], 0
    for _ in range(repeats):
        model, history = QueueModel(), History()
        started = time.perf_counter()
        result = restore(path, model, history)
        times.append(time.perf_counter() - started)
        assert result.restored, result.message
        nodes = result.nodes
    return statistics.median(times), nodes


def bench_summarise(
    model: QueueModel,
    factory: TaskFactory,
    history: History,
    directory: Path,
    images: int,
    earlier: tuple[int, int],
) -> float:
    """ms to summarise a sample with one ``images``-image collection in ``directory``,
    which already holds ``earlier[0]`` runs of ``earlier[1]`` files each."""
    directory.mkdir()
    runs, files = earlier
    for run in range(1, runs + 1):
        for number in range(1, files + 1):
            (directory / f"big_{run}_{number:06d}.cbf").touch()
    sample = model.add(0, "Sample", {"location": "21:01", "name": directory.name})
    params = {
        "directory": str(directory),
        "prefix": "big",
        "run_number": runs + 1,
        "num_images": images,
        "osc_range": 0.05,
        "precision": 6,
        "exp_time": 0.002,
    }
    model.add(sample, "DataCollection", factory.create("DataCollection", params))
    times = []
    for _ in range(5):
        started = time.perf_counter()
        summary = summarise(model, [sample], history)
        times.append((time.perf_counter() - started) * 1000.0)
        assert summary["images"] == images and not summary["collisions"], summary
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--tasks-per-sample", type=int, default=100)
    parser.add_argument("--images", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mxgui-queue-bench-") as tmp:
        data = Path(tmp)
        # the session writes here, and the tasks' directories must lie inside its data root
        os.environ["MXGUI_DATA_DIR"] = str(data)
        repository = HardwareRepository([SIMULATED])
        try:
            run(repository, data, args)
        finally:
            repository.shutdown()


def run(repository: HardwareRepository, data: Path, args: argparse.Namespace) -> None:
    """Every figure, on ``repository``, with files below ``data``."""
    factory = TaskFactory(CollectDefaults(repository.get("collect")))
    model, history = QueueModel(validator=factory.validate), History()
    template = build(model, factory, data, args.samples, args.tasks_per_sample)
    for node in list(model.iter_nodes())[:1000]:  # some history to restore too
        if node.is_task:
            model.set_status(node.id, "running")
            model.set_status(node.id, "success", "", [f"/d/lyso_{node.id}_00001.cbf"])
            sample = model.get_node(model.sample_of(node.id))
            history.record(model.get_node(node.id), sample)
    store = QueueStore(data / "queue.json", model, history)
    store.start()
    received = []
    for signal in model.declared_signals():
        model.connect(signal, lambda *a: received.append(a))
    adds = bench_add(model, factory, template, 200)
    toolbox = bench_toolbox_add(model, factory, history, repository.get("session"), 100)
    store.stop()
    emit("queue_add_task_10k", statistics.median(adds), "ms", "<= 5")
    emit("queue_add_task_10k_worst", max(adds), "ms", "<= 5")
    emit("queue_add_task_10k_with_defaults_and_run", statistics.median(toolbox), "ms", "<= 5")
    print(
        f"{store.writes} queue files written for {len(adds) + len(toolbox)} adds", file=sys.stderr
    )
    seconds, nodes = bench_restore(data / "queue.json", 5)
    assert nodes >= args.samples * args.tasks_per_sample, nodes
    emit("queue_restore_10k", seconds, "s", "<= 1")
    print(f"queue file: {os.path.getsize(data / 'queue.json') / 1e6:.1f} MB", file=sys.stderr)
    for name, directory, earlier in (
        ("queue_summarise_100k_images", data / "a", (10, 1000)),
        ("queue_summarise_100k_images_into_100k_files", data / "b", (1, 100_000)),
    ):
        milliseconds = bench_summarise(model, factory, history, directory, args.images, earlier)
        emit(name, milliseconds, "ms", "<= 100")


if __name__ == "__main__":
    main()
