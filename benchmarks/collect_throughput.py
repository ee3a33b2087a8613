"""Collect throughput: images written per second by the simulated collect, zero exposure.

Runs real collections on the simulated beamline (the whole sequence, the crystal centred
so every image has spots) into a temporary session directory, with ``exp_time`` 0, for
the detector's ROI modes: ``test`` (256 x 256), ``1M`` (1030 x 1065, the default) and
``4M`` (2070 x 2167). The rate is taken between the first and the last
``collectImageTaken`` signal, so it measures the image loop (synthesis, CBF encoding,
writing, signals); the fixed set-up of a collection (shutters, phase, moves) is reported
separately for the default mode, on a beamline already set up (shutter open, phase
DataCollection, sample centred): the overhead between two collections. Files are
deleted afterwards.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from mxgui.core.acquisition import AcquisitionParameters
from mxgui.core.centring import CentredPosition
from mxgui.core.repository import HardwareRepository

SIMULATED = Path(__file__).resolve().parents[1] / "HardwareRepository" / "simulated"

#: ROI mode -> (images, target images/s). The default 1M mode must write a 3600-image
#: data set (360 degrees at 0.1 degree) in about a minute: 60 images/s.
MODES = {"test": (600, ">= 200"), "1M": (200, ">= 60"), "4M": (40, ">= 15")}


def run(collect, omega, mode: str, num_images: int, suffix: str, centred) -> tuple[float, float]:
    """(images per second in the image loop, seconds from collect() to the first image)."""
    times: list[float] = []

    def taken(_count: int) -> None:
        times.append(time.perf_counter())

    collect.connect("collectImageTaken", taken)
    path = collect.get_default_path_template(prefix=f"bench_{mode}")
    path = type(path).from_dict({**path.to_dict(), "suffix": suffix})
    params = AcquisitionParameters(
        osc_start=float(omega.get_value()),
        osc_range=0.1,
        num_images=num_images,
        exp_time=0.0,
        energy=12.7,
        detector_distance=150.0,
        take_snapshots=0,
        detector_roi_mode=mode,
    )
    started = time.perf_counter()
    try:
        collect.collect(params, path, centred).result(timeout=600)
    finally:
        collect.disconnect("collectImageTaken", taken)
        shutil.rmtree(path.directory, ignore_errors=True)
    if len(times) != num_images:
        raise RuntimeError(f"{len(times)} images reported, {num_images} expected")
    return (len(times) - 1) / (times[-1] - times[0]), times[0] - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the image counts")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mxgui-collect-bench-"))
    overrides = base / "repo"
    overrides.mkdir()
    (overrides / "session.xml").write_text(
        '<object class="simulated.session.SimulatedSession">'
        f"<base_directory>{base / 'data'}</base_directory></object>"
    )
    repo = HardwareRepository([overrides, SIMULATED])
    figures = []
    try:
        collect = repo.get("collect")
        diffractometer = repo.get("diffractometer")
        omega = diffractometer.get_motor("phi")
        centring = {k: float(v) for k, v in diffractometer.scene.centring_positions().items()}
        centred = CentredPosition(**{"phi": 0.0, **centring})
        run(collect, omega, "test", 5, "cbf", centred)  # warm up: shutters, phase, caches
        for mode, (count, target) in MODES.items():
            n = max(2, int(count * args.scale))
            run(collect, omega, mode, 2, "cbf", centred)  # the simulator of this geometry
            rate, setup = run(collect, omega, mode, n, "cbf", centred)
            size = f"{collect.detector.get_width()}x{collect.detector.get_height()}"
            figures.append((f"collect_images_per_second_cbf_{mode}_{size}", rate, target))
            if mode == "1M":
                figures.append((f"collect_setup_seconds_ready_beamline_{mode}", setup, "<= 0.5"))
                rate, _ = run(collect, omega, mode, n, "h5", centred)
                figures.append((f"collect_images_per_second_hdf5_{mode}_{size}", rate, target))
    finally:
        repo.shutdown()
        shutil.rmtree(base, ignore_errors=True)
    for name, value, target in figures:
        unit = "s" if name.startswith("collect_setup") else "images/s"
        name = re.sub(r"[^a-zA-Z0-9_]", "_", name)
        print(json.dumps({"name": name, "value": round(value, 2), "unit": unit, "target": target}))


if __name__ == "__main__":
    main()
