"""The mesh scorer on a 4M image: the score alone, and the score with the spot count.

A simulated Eiger 4M image (2,068 x 2,162 pixels) of a crystal fully in the beam
(``--strength 1``) and one of background only; each is scored ``--repeat`` times with
:func:`mxscore.scoring.score_counts` (the score alone, as before the spot count) and
:func:`mxscore.scoring.assess_counts` (the score and the spot count in one pass). The
file read is not timed: it is the same for both.

Figures (one JSON line each, see docs/contracts.md): the median time of each, per
image, the time of the spot count alone (:func:`mxscore.scoring.count_spots` on the
image's signal pixels) and the spots found. The targets: the spot count adds at most a
tenth to the score's time, and a 4M image is scored in 100 ms on one core.

Run: ``python benchmarks/scoring.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np

from hardware_objects.simulated.diffraction import DetectorGeometry, DiffractionSimulator
from mxscore.scoring import assess_counts, count_spots, score_counts, signal_pixels

EIGER_4M = DetectorGeometry(2068, 2162, 0.075, 0.075, 150.0, 1034.0, 1081.0, 0.98)


def median_ms(function: Callable[[np.ndarray], object], data: np.ndarray, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(data)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--strength", type=float, default=1.0)
    args = parser.parse_args()
    simulator = DiffractionSimulator(EIGER_4M, 7)
    images = {
        "crystal": simulator.image(1, 0.0, 1.0, args.strength),
        "background": simulator.image(2, 0.0, 1.0, 0.0),
    }
    for name, data in images.items():
        score_only = median_ms(score_counts, data, args.repeat)
        with_spots = median_ms(assess_counts, data, args.repeat)
        spots = assess_counts(data).spots
        signal = signal_pixels(data)[2]
        counting = median_ms(count_spots, signal, args.repeat)
        for figure, value, unit, target in (
            (f"scorer_4m_{name}_score_only", score_only, "ms", "<= 100"),
            (f"scorer_4m_{name}_score_and_spots", with_spots, "ms", "<= 100"),
            (f"scorer_4m_{name}_spot_count_alone", counting, "ms", f"<= {score_only / 10:.1f}"),
            (f"scorer_4m_{name}_spots", spots, "spots", ""),
        ):
            line = {"name": figure, "value": round(value, 2), "unit": unit, "target": target}
            print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
