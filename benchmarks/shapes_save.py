"""Saving and reading the shapes file of a sample with a 1,000 x 1,000 scored grid.

Figures (median of ``--repeat`` runs): the time to write the file (snapshot of the
model, encoding, atomic write), the longest single hold of the interpreter while
encoding (the arrays are encoded in chunks, so the GUI thread is not starved), the
time to read it back, and the file size. Scores are float32-exact (as the scorer's
are) or full float64 (``--float64``).

Run: ``python benchmarks/shapes_save.py``. Prints one JSON object per figure.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from mxgui.core.atomic_write import KEEP_MODE, atomic_write
from mxgui.core.centring import CentredPosition
from mxgui.core.shapes import ShapesModel
from mxgui.core.shapes_file import CHUNK, dumps, read

SIDE = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--float64", action="store_true", help="scores float32 cannot hold")
    args = parser.parse_args()
    model = ShapesModel()
    centre = CentredPosition(phi=0.0, phiy=0.0, phiz=0.0, sampx=0.0, sampy=0.0)
    grid = model.add_grid(centre, SIDE, SIDE, 0.001, 0.001)
    scores = np.random.default_rng(0).random(SIDE * SIDE)
    if not args.float64:
        scores = scores.astype(np.float32).astype(np.float64)
    for start in range(0, scores.size, 100_000):
        model.set_grid_results(
            grid.id, {i + 1: float(scores[i]) for i in range(start, start + 100_000)}
        )
    kind = "float64" if args.float64 else "float32"
    writes, reads = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "1-01.json"
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            atomic_write(path, dumps("1:01", *model.snapshot()), mode=KEEP_MODE)
            writes.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            read(path)
            reads.append(time.perf_counter() - t0)
        size = path.stat().st_size
    chunk = np.zeros(CHUNK // 8)
    t0 = time.perf_counter()
    base64.b64encode(chunk.tobytes())
    hold = time.perf_counter() - t0
    figures = [
        (f"shapes file write, 1000x1000 scored ({kind})", statistics.median(writes), "<= 0.5"),
        (f"shapes file read, 1000x1000 scored ({kind})", statistics.median(reads), "<= 1.0"),
        ("shapes file longest encoding step", hold, "<= 0.005"),
    ]
    for name, value, target in figures:
        print(json.dumps({"name": name, "value": round(value, 4), "unit": "s", "target": target}))
    print(
        json.dumps(
            {
                "name": f"shapes file size, 1000x1000 scored ({kind})",
                "value": size / 1e6,
                "unit": "MB",
                "target": "<= 12",
            }
        )
    )


if __name__ == "__main__":
    main()
