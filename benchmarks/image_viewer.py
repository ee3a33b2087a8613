"""Diffraction image viewer: time from "asked for" to "painted" for a 4M and a 16M
frame, pyqtgraph (the viewer) against silx's ``Plot2D``; and GUI latency while the
viewer follows a collection writing 100 images/s.

- ``image_viewer_shown_4m`` / ``_16m``: a CBF written by the project's writer (2070 x
  2167 and 4150 x 4371 int32 counts: Poisson background and spots) is asked for with
  ``ImageViewer.show_image``; the time until the image item's first paint after the
  frame is set (read with fabio in the reader thread, masked copy and levels, histogram,
  rings, render), median of ``--repeat`` requests alternating two files;
- ``image_viewer_silx_shown_4m`` / ``_16m``: the same files read the same way (fabio,
  in a thread, handed over by a queued signal) and shown in a silx ``Plot2D`` (log
  grey colour map, the mesh results' frame view settings), until its plot widget's
  first paint after ``addImage``: the figure that chose pyqtgraph;
- ``image_viewer_follow_latency_p99`` / ``_median``: a process writes 4M CBFs at
  ``--rate`` (100) images/s, as a detector's writer does (each file written whole under
  a new name; pre-encoded frames: the writing costs what a detector's file system does,
  not CBF encoding); a thread reading its output tells the GUI thread of each as
  ``collectImageTaken`` does; the viewer follows (``ImageViewer.follow_image``: the
  newest image, at most every 250 ms); a thread posts an event to the GUI thread every
  5 ms and its delay is recorded (``camera.LatencyProbe``). Also the images written and
  shown per second, and whether the last image shown is the last written (latest wins:
  never a backlog).

Run under a display: ``xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python
benchmarks/image_viewer.py`` (or ``QT_QPA_PLATFORM=offscreen``; the platform ends each
figure's name). Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PyQt5.QtCore import QEvent, QObject, pyqtSignal
from PyQt5.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).parent))
from camera import LatencyProbe, run_for  # noqa: E402

SIZES = {"4m": (2167, 2070), "16m": (4371, 4150)}
TARGETS_MS = {"4m": "<= 100", "16m": "<= 300"}
WINDOW = (1100, 1000)


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 2), "unit": unit, "target": target}))
    sys.stdout.flush()


def diffraction_counts(shape: tuple[int, int], seed: int) -> np.ndarray:
    """Poisson background and a few thousand spots, int32 (as a detector's counts)."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(3, size=shape).astype(np.int32)
    rows = rng.integers(2, shape[0] - 2, 3000)
    cols = rng.integers(2, shape[1] - 2, 3000)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            counts[rows + dr, cols + dc] += rng.integers(50, 5000, rows.size, dtype=np.int32)
    return counts


def write_frames(directory: Path, name: str, shape: tuple[int, int], count: int) -> list[Path]:
    from hardware_objects.simulated.image_writer import ImageHeader, write_cbf

    header = ImageHeader(
        detector="PILATUS3 X",
        pixel_size_x=0.075,
        pixel_size_y=0.075,
        distance=200.0,
        wavelength=0.9763,
        beam_x=shape[1] / 2 + 10.5,
        beam_y=shape[0] / 2 - 20.0,
        exposure_time=0.01,
        exposure_period=0.01,
        start_angle=0.0,
        angle_increment=0.1,
    )
    return [
        write_cbf(directory / f"{name}_1_{k + 1:05d}.cbf", diffraction_counts(shape, k), header)
        for k in range(count)
    ]


def timed_requests(
    ask: Callable[[Path], None], painted: list[float], files: list[Path], repeat: int
) -> list[float]:
    """Ask for ``files`` in turn ``repeat`` times; the ms from each request to the first
    paint after it (the wait ends at that paint)."""
    times = []
    for k in range(repeat):
        painted.clear()
        started = time.perf_counter()
        ask(files[k % len(files)])
        deadline = started + 10.0
        while not painted and time.perf_counter() < deadline:
            QApplication.processEvents()
            time.sleep(0.0005)
        if not painted:
            raise RuntimeError(f"{files[k % len(files)]} was not painted within 10 s")
        times.append((painted[0] - started) * 1000.0)
        run_for(0.1)
    return times


# pyqtgraph: the viewer ---------------------------------------------------------------------------
def viewer_figures(files: dict[str, list[Path]], repeat: int) -> dict[str, list[float]]:
    from mxgui.gui.image_viewer.viewer import ImageViewer

    viewer = ImageViewer()
    viewer.resize(*WINDOW)
    viewer.show()
    painted: list[float] = []
    shown = {"now": False}
    viewer.frameShown.connect(lambda *_: shown.update(now=True))

    def on_paint() -> None:
        if shown["now"]:  # the first paint after the frame was set
            shown["now"] = False
            painted.append(time.perf_counter())

    viewer.view.painted.connect(on_paint)
    results = {}
    try:
        for size, paths in files.items():
            timed_requests(lambda p: viewer.show_image(str(p)), painted, paths, 2)  # warm up
            results[size] = timed_requests(
                lambda p: viewer.show_image(str(p)), painted, paths, repeat
            )
    finally:
        viewer.dispose()
        viewer.close()
        viewer.deleteLater()
    return results


# silx: the candidate ----------------------------------------------------------------------
class _PaintWatch(QObject):
    """Records the end of each paint of a widget (its paint handled inside the filter)."""

    def __init__(self, armed: dict[str, bool], painted: list[float]) -> None:
        super().__init__()
        self.armed, self.painted = armed, painted

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() == QEvent.Paint and self.armed["now"]:
            watched.event(event)  # paint now, then record
            self.armed["now"] = False
            self.painted.append(time.perf_counter())
            return True
        return False


class _SilxLoader(QObject):
    """Reads a file with fabio in a thread, hands the counts over by a queued signal."""

    loaded = pyqtSignal(object)

    def ask(self, path: Path) -> None:
        threading.Thread(target=self._read, args=(path,), daemon=True).start()

    def _read(self, path: Path) -> None:
        import fabio

        counts = np.asarray(fabio.open(str(path)).data)
        shown = counts.astype(np.float32)
        shown[counts < 0] = np.nan
        self.loaded.emit(shown)


def silx_figures(files: dict[str, list[Path]], repeat: int) -> dict[str, list[float]]:
    from silx.gui.colors import Colormap
    from silx.gui.plot import Plot2D

    plot = Plot2D()
    plot.resize(*WINDOW)
    plot.setKeepDataAspectRatio(True)
    plot.getYAxis().setInverted(True)
    colormap = Colormap("gray", normalization="log")
    colormap.setVRange(1.0, None)
    plot.show()
    painted: list[float] = []
    armed = {"now": False}
    watch = _PaintWatch(armed, painted)
    plot.getWidgetHandle().installEventFilter(watch)
    loader = _SilxLoader()

    def loaded(shown: np.ndarray) -> None:
        plot.addImage(shown, legend="frame", colormap=colormap, copy=False, resetzoom=True)
        armed["now"] = True

    loader.loaded.connect(loaded)
    results = {}
    try:
        for size, paths in files.items():
            timed_requests(loader.ask, painted, paths, 2)
            results[size] = timed_requests(loader.ask, painted, paths, repeat)
    finally:
        plot.getWidgetHandle().removeEventFilter(watch)
        plot.close()
        plot.deleteLater()
    return results


# following a collection at 100 images/s ------------------------------------------------
#: the detector's side: writes CBFs at a rate (pre-encoded frames under new names, the
#: oldest removed beyond ``keep``) and prints each path once it is whole
WRITER = """
import sys, time
from pathlib import Path
directory, rate, keep = Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
frames = [Path(name).read_bytes() for name in sys.argv[4:]]
started, written, kept = time.perf_counter(), 0, []
while True:
    path = directory / f"follow_1_{written + 1:05d}.cbf"
    with open(path, "xb") as f:
        f.write(frames[written % len(frames)])
    written += 1
    kept.append(path)
    print(path, flush=True)
    if len(kept) > keep:
        kept.pop(0).unlink()
    time.sleep(max(0.0, started + written / rate - time.perf_counter()))
"""


class _Collection(QObject):
    """A detector writing CBFs at ``rate`` per second, in a process of its own (as a
    detector's file writer is); ``imageTaken(path)`` for each, emitted by a thread that
    reads its output (as a hardware object emits ``collectImageTaken``), delivered on
    the GUI thread (queued)."""

    imageTaken = pyqtSignal(str)

    def __init__(self, directory: Path, frames: list[Path], rate: float, keep: int = 100) -> None:
        super().__init__()
        self.command = [sys.executable, "-c", WRITER, str(directory), str(rate), str(keep)]
        self.command += [str(frame) for frame in frames]
        self.written = 0
        self._process: subprocess.Popen[str] | None = None
        self._thread = threading.Thread(target=self._run, name="collection", daemon=True)

    def start(self) -> None:
        self._process = subprocess.Popen(self.command, stdout=subprocess.PIPE, text=True)
        self._thread.start()

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait()
        self._thread.join()

    def _run(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            self.written += 1
            self.imageTaken.emit(line.strip())


def follow_figures(
    directory: Path, frames: list[Path], rate: float, seconds: float
) -> dict[str, float]:
    from mxgui.gui.image_viewer.viewer import ImageViewer

    viewer = ImageViewer()
    viewer.resize(*WINDOW)
    viewer.show()
    shown: list[str] = []
    viewer.frameShown.connect(lambda path, _frame: shown.append(path))
    collection = _Collection(directory, frames, rate)
    collection.imageTaken.connect(viewer.follow_image)
    collection.start()
    run_for(1.0)
    probe = LatencyProbe()
    probe.start()
    shown_before, written_before = len(shown), collection.written
    requested_before = viewer.loader.counts.requested
    started = time.perf_counter()
    run_for(seconds)
    elapsed = time.perf_counter() - started
    probe.stop()
    collection.stop()
    written = collection.written - written_before
    requested = viewer.loader.counts.requested - requested_before
    figures = {
        "latency_p99": float(np.percentile(probe.delays, 99)) * 1000.0,
        "latency_median": float(np.median(probe.delays)) * 1000.0,
        "written_per_s": written / elapsed,
        "shown_per_s": (len(shown) - shown_before) / elapsed,
        "requested": float(requested),
    }
    run_for(0.5)
    figures["last_shown_is_last_written"] = float(
        bool(shown) and shown[-1].endswith(f"_{collection.written:05d}.cbf")
    )
    viewer.dispose()
    viewer.close()
    viewer.deleteLater()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="requests per size")
    parser.add_argument("--rate", type=float, default=100.0, help="images/s while following")
    parser.add_argument("--seconds", type=float, default=5.0, help="time following")
    parser.add_argument("--no-silx", action="store_true", help="skip the silx comparison")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    platform = app.platformName()
    with tempfile.TemporaryDirectory(prefix="image-viewer-bench-") as tmp:
        directory = Path(tmp)
        files = {size: write_frames(directory, size, shape, 2) for size, shape in SIZES.items()}
        follow_directory = directory / "follow"
        follow_directory.mkdir()
        figures = follow_figures(follow_directory, files["4m"], args.rate, args.seconds)
        emit(f"image_viewer_follow_latency_p99_{platform}", figures["latency_p99"], "ms", "<= 30")
        emit(
            f"image_viewer_follow_latency_median_{platform}",
            figures["latency_median"],
            "ms",
            "<= 30",
        )
        emit(
            f"image_viewer_follow_written_per_s_{platform}",
            figures["written_per_s"],
            "images/s",
            f">= {args.rate * 0.95:g}",
        )
        emit(
            f"image_viewer_follow_shown_per_s_{platform}",
            figures["shown_per_s"],
            "images/s",
            ">= 3",
        )
        emit(
            f"image_viewer_follow_last_shown_is_last_written_{platform}",
            figures["last_shown_is_last_written"],
            "bool",
            ">= 1",
        )
        gc.collect()
        results = viewer_figures(files, args.repeat)
        for size, times in results.items():
            emit(
                f"image_viewer_shown_{size}_{platform}",
                statistics.median(times),
                "ms",
                TARGETS_MS[size],
            )
            emit(f"image_viewer_shown_{size}_max_{platform}", max(times), "ms", TARGETS_MS[size])
        if not args.no_silx:
            gc.collect()
            for size, times in silx_figures(files, args.repeat).items():
                emit(
                    f"image_viewer_silx_shown_{size}_{platform}",
                    statistics.median(times),
                    "ms",
                    TARGETS_MS[size],
                )


if __name__ == "__main__":
    main()
