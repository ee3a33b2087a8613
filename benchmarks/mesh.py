"""Mesh results on the sample view: a 1,000 x 1,000 grid fed 2,000 scores/s.

The sample-view brick (camera live, as in ``camera.py``) shows a grid of a million
cells; a thread sends scores to ``shapes.set_grid_results`` in batches of
``--batch`` cells, ``--rate`` cells per second, for ``--seconds`` (as a scorer or
``dozor_batch_processed`` would). Figures:

- heat-map lag: from a batch's ``set_grid_results`` returning to the grid item getting
  a cell image that includes it (the next repaint shows it), p99 over the batches;
- GUI event latency p99 while the scores stream (a thread posts an event every 5 ms);
- full redraw: colour map of all 1,000,000 scored cells plus one repaint of the view.

Run: ``QT_QPA_PLATFORM=offscreen python benchmarks/mesh.py`` (or under ``xvfb-run``).
Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PyQt5.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).parent))
from camera import BRICK_LAYOUT, SIMULATED, LatencyProbe, run_for  # noqa: E402

SIDE = 1000


def feed(shapes, grid_id: str, rate: float, batch: int, seconds: float, sent: list) -> None:
    """Send ``rate`` scores/s in batches; record ``(time, cells sent so far)``."""
    rng = np.random.default_rng(1)
    period = batch / rate
    started = time.perf_counter()
    cell = 1
    k = 0
    while time.perf_counter() - started < seconds and cell + batch <= SIDE * SIDE:
        values = dict(zip(range(cell, cell + batch), rng.random(batch).tolist()))
        shapes.set_grid_results(grid_id, values)
        cell += batch
        sent.append((time.perf_counter(), cell - 1))
        k += 1
        time.sleep(max(0.0, started + k * period - time.perf_counter()))


def measure(seconds: float, rate: float, batch: int) -> list[tuple[str, float, str, str]]:
    from mxgui.core.centring import CentredPosition
    from mxgui.gui.application import MxguiApplication

    with tempfile.TemporaryDirectory() as directory:
        # the shapes (a million scored cells) are saved per sample: not in the user's data
        os.environ["MXGUI_DATA_DIR"] = str(Path(directory) / "data")
        layout = Path(directory) / "sample_view.yml"
        layout.write_text(BRICK_LAYOUT)
        app = MxguiApplication([SIMULATED], layout)
        window = app.start()
        try:
            window.resize(1100, 900)
            window.show()
            brick = app.built.bricks["sample_view"]
            shapes = app.repository.get("/shapes")
            here = brick.here() or CentredPosition(0.0, 0.0, 0.0, 0.0, 0.0)
            grid = shapes.add_grid(here, SIDE, SIDE, 0.0005, 0.0005, name="mesh")
            run_for(0.5)
            item = brick.shape_layer.items[grid.id]
            shown: list[tuple[float, int]] = []
            original = item.set_cell_image

            def recording(rgba, levels=None):
                original(rgba, levels)
                count = 0 if rgba is None else int(np.count_nonzero(rgba[..., 3]))
                shown.append((time.perf_counter(), count))

            item.set_cell_image = recording
            sent: list[tuple[float, int]] = []
            probe = LatencyProbe()
            probe.start()
            feeder = threading.Thread(
                target=feed, args=(shapes, grid.id, rate, batch, seconds, sent), daemon=True
            )
            feeder.start()
            run_for(seconds + 0.5)
            feeder.join()
            probe.stop()
            counts = [c for _t, c in shown]
            lags = []
            for t_sent, cells in sent:
                i = bisect.bisect_left(counts, cells)
                if i < len(shown):
                    lags.append(shown[i][0] - t_sent)
            unshown = len(sent) - len(lags)
            # full redraw of a fully scored grid
            shapes.set_grid_results(grid.id, {})
            all_scores = np.random.default_rng(2).random(SIDE * SIDE)
            # through the model's own door (a few seconds for a million cells, not timed)
            shapes.set_grid_results(grid.id, dict(enumerate(all_scores.tolist(), start=1)))
            brick.shape_layer.grid_results_changed(grid.id)
            started = time.perf_counter()
            brick.shape_layer.paint_results()
            brick.view.viewport().repaint()
            redraw = time.perf_counter() - started
        finally:
            for each in app.windows:
                each.close()
            app.stop()
    return [
        ("heat_map_lag_p99", float(np.percentile(lags, 99)) * 1000.0, "ms", "<= 100"),
        ("latency_p99", float(np.percentile(probe.delays, 99)) * 1000.0, "ms", "<= 50"),
        ("full_redraw", redraw * 1000.0, "ms", "<= 100"),
        ("batches_never_shown", float(unshown), "batches", "<= 0"),
        ("scores_sent_per_s", sent[-1][1] / seconds if sent else 0.0, "cells/s", ">= 1900"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=2000.0, help="scores per second")
    parser.add_argument("--batch", type=int, default=20, help="scores per call")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    platform = app.platformName()
    for name, value, unit, target in measure(args.seconds, args.rate, args.batch):
        print(
            json.dumps(
                {
                    "name": f"mesh_1000x1000_{name}_{platform}",
                    "value": round(value, 1),
                    "unit": unit,
                    "target": target,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
