"""Queue tree: scrolling 10,000 tasks that show their icons, results and tallies.

The application of ``benchmarks/queue.py`` (the queue bricks on the simulated beamline,
1280 x 860), filled with 100 samples x 100 DataCollection tasks; half the samples'
tasks have run (success, 100 image files each), so their rows show a result text and
their samples a tally. The tree is expanded (10,100 rows).

- ``queue_tree_scroll_page_10k``: one page down (the scroll bar's page step) until the
  tree is repainted, median ms over the whole tree; ``..._worst``: the worst page.
- ``queue_tree_status_burst_100``: 100 tasks of one sample set to success at once (as
  a fast engine does) until the tree, the sample's tally included, is repainted, ms.
- ``queue_tree_delete_sample_100`` and ``queue_tree_undo_delete_sample_100``: a sample
  with 100 tasks deleted (its subtree copied for undo), then put back by Undo (each
  task added again through the beamline's validation), until repainted, ms.

The target is the GUI-latency bound the others use (<= 50 ms: no visible lag), and for
the undo of a whole sample 500 ms (a deliberate action that adds 101 nodes).
The delete misses its target as it did before undo existed: removing rows under the
root of an expanded 10,000-row tree makes ``QTreeView`` ask ``hasChildren`` and
``flags`` of every row (about 20,000 calls into Python).
Run with ``QT_QPA_PLATFORM=offscreen`` or on a display. Prints one JSON object per figure.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import tempfile
import time
import types
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _queue_bench() -> types.ModuleType:
    """``benchmarks/queue.py`` under another name (``queue`` is a standard module)."""
    spec = importlib.util.spec_from_file_location("queue_gui_bench", HERE / "queue.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def mark_half_run(bench, samples: list[int]) -> None:
    """The tasks of every other sample: success with 100 image files each (one load)."""
    model = bench.queue.model
    nodes, next_id, _ = model.snapshot()
    nodes = dict(nodes)
    for sample_id in samples[::2]:
        for task_id in nodes[sample_id].children:
            files = tuple(f"/data/t{task_id}_1_{n:05d}.cbf" for n in range(1, 101))
            nodes[task_id] = replace(nodes[task_id], status="success", files=files)
    model.load(nodes.values(), next_id)
    bench.idle()


def main() -> None:
    """Measure and print the figures (see the module docstring)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    queue_bench = _queue_bench()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MXGUI_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["MXGUI_SETTINGS_DIR"] = str(Path(tmp) / "settings")
        bench = queue_bench.Bench()
        try:
            samples = bench.fill()
            mark_half_run(bench, samples)
            view = bench.bricks["tree"].view
            view.expandAll()
            bench.idle()
            bar = view.verticalScrollBar()
            pages = []
            while bar.value() < bar.maximum():

                def page_down() -> None:
                    bar.setValue(bar.value() + bar.pageStep())
                    view.viewport().repaint()

                pages.append(bench.timed(page_down))
            queue_bench.emit("queue_tree_scroll_page_10k", statistics.median(pages), "ms", "<= 50")
            queue_bench.emit("queue_tree_scroll_page_10k_worst", max(pages), "ms", "<= 50")
            model = bench.queue.model
            tasks = list(model.children(samples[1]))
            view.scrollTo(bench.bricks["tree"].tree.index_of(tasks[0]))
            bench.idle()
            started = time.perf_counter()
            for task_id in tasks:
                model.set_status(task_id, "running")
                model.set_status(task_id, "success", "1 image of run 1 in /data")
            bench.idle()
            burst = 1000.0 * (time.perf_counter() - started)
            queue_bench.emit("queue_tree_status_burst_100", burst, "ms", "<= 50")
            tally = bench.bricks["tree"].tree.tally(samples[1])
            if tally != {"success": len(tasks)}:
                raise SystemExit(f"the sample's tally is {tally}, not {len(tasks)} successes")
            brick = bench.bricks["tree"]
            brick.select_node(samples[2])
            bench.idle()
            deleted = bench.timed(brick.delete_selected)
            undone = bench.timed(brick.undo)
            back = brick.selected_ids()
            if len(back) != 1 or len(model.children(back[0])) != len(tasks):
                raise SystemExit(f"the undo did not bring the sample back: {back}")
            queue_bench.emit("queue_tree_delete_sample_100", deleted, "ms", "<= 50")
            queue_bench.emit("queue_tree_undo_delete_sample_100", undone, "ms", "<= 500")
        finally:
            bench.close()


if __name__ == "__main__":
    main()
