"""Image files alone: images written per second and bytes per pixel, HDF5/NXmx and CBF.

Writes the same simulated 1M images (1030 x 1065, the default ROI mode; the crystal in
the beam, so the images have spots) with ``NexusWriter`` (one master file,
bitshuffle-LZ4 chunks) and with ``write_cbf`` (one file per image), without the rest of
a collection (``collect_throughput.py`` measures the whole image loop). Bytes per pixel
are compared with the confirmation's disk estimate, 1.1 bytes per pixel
(``get_bytes_per_image`` in ``mxgui/core/queue/tasks.py``). Each rate is the best of
three runs; the target is the collect's own (60 images/s at 1M): the file is never
the bottleneck. Files are deleted afterwards.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hardware_objects.simulated.diffraction import DetectorGeometry, DiffractionSimulator
from hardware_objects.simulated.image_writer import (
    ImageHeader,
    NexusWriter,
    StagingDirectory,
    write_cbf,
)

WIDTH, HEIGHT = 1030, 1065
GEOMETRY = DetectorGeometry(
    width=WIDTH,
    height=HEIGHT,
    pixel_size_x=0.075,
    pixel_size_y=0.075,
    distance=150.0,
    beam_x=515.0,
    beam_y=532.0,
    wavelength=0.9763,
)
HEADER = ImageHeader("bench", 0.075, 0.075, 150.0, 0.9763, 515.0, 532.0, 0.0, 0.0, 0.0, 0.1)
#: the confirmation's estimate of an image's size on disk, per pixel
ESTIMATE_BYTES_PER_PIXEL = 1.1


def write_hdf5(directory: Path, images: list[np.ndarray]) -> int:
    """Write ``images`` as one master file; its size in bytes."""
    writer = NexusWriter(directory / "bench_1_master.h5", HEADER, (HEIGHT, WIDTH), len(images))
    for i, image in enumerate(images):
        writer.add(image, 0.1 * i)
    return writer.close().stat().st_size


def write_cbfs(directory: Path, images: list[np.ndarray]) -> int:
    """Write ``images`` as CBF files; their size in bytes."""
    staging = StagingDirectory(directory)
    try:
        paths = [
            write_cbf(directory / f"bench_1_{i + 1:05d}.cbf", image, HEADER, staging)
            for i, image in enumerate(images)
        ]
    finally:
        staging.close()
    return sum(path.stat().st_size for path in paths)


def measure(
    write: Callable[[Path, list[np.ndarray]], int], images: list[np.ndarray]
) -> tuple[float, float]:
    """(best images per second of three runs, bytes per pixel)."""
    best = 0.0
    size = 0
    for _ in range(3):
        directory = Path(tempfile.mkdtemp(prefix="mxgui-image-files-bench-"))
        try:
            started = time.perf_counter()
            size = write(directory, images)
            best = max(best, len(images) / (time.perf_counter() - started))
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    return best, size / (len(images) * WIDTH * HEIGHT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=60, help="images per run")
    args = parser.parse_args()
    simulator = DiffractionSimulator(GEOMETRY, seed=3)
    images = [simulator.image(i, 0.1 * i, 0.1 * (i + 1), 1.0) for i in range(args.images)]
    size = f"1M_{WIDTH}x{HEIGHT}"
    for kind, write in (("hdf5", write_hdf5), ("cbf", write_cbfs)):
        rate, per_pixel = measure(write, images)
        for name, value, unit, target in (
            (f"image_files_images_per_second_{kind}_{size}", rate, "images/s", ">= 60"),
            (
                f"image_files_bytes_per_pixel_{kind}_{size}",
                per_pixel,
                "B/pixel",
                f"<= {ESTIMATE_BYTES_PER_PIXEL}",
            ),
        ):
            print(
                json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target})
            )


if __name__ == "__main__":
    main()
