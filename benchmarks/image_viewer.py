"""Diffraction image viewer: time from "asked for" to "painted" for a 4M and a 16M
frame, pyqtgraph (the viewer) against silx's ``Plot2D``; GUI latency while the viewer
follows a collection writing 100 4M images/s or 10 16M images/s; the first switch to
the Images tab of the default layout.

Both viewers are timed to the same point: the end of the first paint of the widget
that draws the frame (pyqtgraph: the view's viewport, with the image, the rings and
the histogram; silx: its plot widget) after the frame was handed to it, recorded by
one event filter that lets the paint run and then reads the clock.

- ``image_viewer_shown_4m`` / ``_16m``: a CBF written by the project's writer (2070 x
  2167 and 4150 x 4371 int32 counts: Poisson background and spots) is asked for with
  ``ImageViewer.show_image``; the time until the end of that paint (read with fabio in
  the reader thread, masked copy, levels and the reduced copy there; histogram, rings,
  render), median of
  ``--repeat`` requests alternating two files;
- ``image_viewer_silx_shown_4m`` / ``_16m``: the same files read the same way (fabio,
  in a thread, handed over by a queued signal) and shown in a silx ``Plot2D`` (log
  grey colour map, the mesh results' frame view settings): the figure that chose
  pyqtgraph;
- ``image_viewer_follow_latency_p99`` / ``_median`` (and ``..._16m``): a process writes
  4M CBFs at ``--rate`` (100) images/s (16M at ``--rate-16m``, 10), as a detector's
  writer does (each file written whole under
  a new name; pre-encoded frames: the writing costs what a detector's file system does,
  not CBF encoding); a thread reading its output tells the GUI thread of each as
  ``collectImageTaken`` does; the viewer follows (``ImageViewer.follow_image``: the
  newest image, at most every 250 ms); a thread posts an event to the GUI thread every
  5 ms and its delay is recorded (``camera.LatencyProbe``). Also the images written and
  shown per second, and whether the last image shown is the last written (latest wins:
  never a backlog);
- ``image_viewer_first_switch_cold`` / ``_warm``: the default layout on the simulated
  beamline, each in a process of its own (QSettings and data in a temporary
  directory); the Images tab is made current 0.3 s after the window is shown (cold:
  before the viewer's warm-up, what every first switch cost before it) or 6 s after
  (warm: the viewer's libraries imported in a worker thread and the viewer built at
  idle); the ms the GUI thread is busy from ``setCurrentWidget`` to the end of the
  first paint of the viewer's view. The load average is printed with each figure.

Run under a display: ``xvfb-run -a -s "-screen 0 1920x1200x24" .venv/bin/python
benchmarks/image_viewer.py`` (or ``QT_QPA_PLATFORM=offscreen``; the platform ends each
figure's name). Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
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
    load = round(os.getloadavg()[0], 2)
    print(
        json.dumps(
            {"name": name, "value": round(value, 2), "unit": unit, "target": target}
            | {"load_average": load}
        )
    )
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
    armed = {"now": False}
    watch = _PaintWatch(armed, painted, viewer.view.graphics.viewportEvent)
    viewport = viewer.view.graphics.viewport()
    viewport.installEventFilter(watch)
    viewer.frameShown.connect(lambda *_: armed.update(now=True))
    results = {}
    try:
        for size, paths in files.items():
            timed_requests(lambda p: viewer.show_image(str(p)), painted, paths, 2)  # warm up
            results[size] = timed_requests(
                lambda p: viewer.show_image(str(p)), painted, paths, repeat
            )
    finally:
        viewport.removeEventFilter(watch)
        viewer.dispose()
        viewer.close()
        viewer.deleteLater()
    return results


# silx: the candidate ----------------------------------------------------------------------
class _PaintWatch(QObject):
    """Records the end of the first paint of a widget once armed (the paint is run
    inside the filter, then the clock read): how both viewers are timed."""

    def __init__(
        self,
        armed: dict[str, bool],
        painted: list[float],
        paint: Callable[[QEvent], object] | None = None,
    ) -> None:
        super().__init__()
        self.armed, self.painted = armed, painted
        #: what paints: the widget's ``event``, or for a scroll area's viewport (a
        #: QGraphicsView's) the area's ``viewportEvent``
        self.paint = paint

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() == QEvent.Paint and self.armed["now"]:
            (self.paint or watched.event)(event)  # paint now, then record
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
    settled = time.perf_counter() + 5.0  # the last image read and shown (a 16M: ~1 s)
    while time.perf_counter() < settled and (
        viewer.loader.busy() or viewer._follow_timer.isActive() or viewer._followed
    ):
        run_for(0.1)
    run_for(0.2)
    figures["last_shown_is_last_written"] = float(
        bool(shown) and shown[-1].endswith(f"_{collection.written:05d}.cbf")
    )
    figures["interval_ms"] = float(viewer.follow_interval_ms)
    viewer.dispose()
    viewer.close()
    viewer.deleteLater()
    return figures


def emit_follow(figures: dict[str, float], size: str, platform: str, rate: float) -> None:
    name = f"image_viewer_follow{size}"
    emit(f"{name}_latency_p99_{platform}", figures["latency_p99"], "ms", "<= 30")
    emit(f"{name}_latency_median_{platform}", figures["latency_median"], "ms", "<= 30")
    emit(
        f"{name}_written_per_s_{platform}",
        figures["written_per_s"],
        "images/s",
        f">= {rate * 0.95:g}",
    )
    emit(f"{name}_shown_per_s_{platform}", figures["shown_per_s"], "images/s", ">= 1")
    emit(
        f"{name}_interval_{platform}",
        figures["interval_ms"],
        "ms",
        "(the follow interval at the end)",
    )
    emit(
        f"{name}_last_shown_is_last_written_{platform}",
        figures["last_shown_is_last_written"],
        "bool",
        ">= 1",
    )


# the first switch to the Images tab -----------------------------------------------------
def first_switch_ms(wait_s: float) -> float:
    """(In a process of its own.) The default layout; the Images tab made current
    ``wait_s`` after the window is shown; ms until the end of the view's first paint."""
    from bricks.image_viewer_brick import ImageViewerBrick, bring_to_front
    from mxgui.gui.application import MxguiApplication

    root = Path(__file__).resolve().parents[1]
    app = MxguiApplication(
        [root / "HardwareRepository" / "simulated"], root / "layouts" / "default.yml"
    )
    window = app.start()
    try:
        run_for(wait_s)
        assert app.built is not None
        images = app.built.bricks["image_viewer"]
        assert isinstance(images, ImageViewerBrick)
        painted: list[float] = []
        armed = {"now": True}
        watch = _PaintWatch(armed, painted)
        started = time.perf_counter()
        bring_to_front(images)  # what a click on the tab does; makes the viewer if not made
        graphics = images.viewer.view.graphics
        watch.paint = graphics.viewportEvent
        graphics.viewport().installEventFilter(watch)
        deadline = started + 30.0
        while not painted and time.perf_counter() < deadline:
            QApplication.processEvents()
        if not painted:
            raise RuntimeError("the viewer was not painted within 30 s")
        return (painted[0] - started) * 1000.0
    finally:
        window.close()
        app.stop()


def first_switch_in_a_process(wait_s: float) -> float:
    with tempfile.TemporaryDirectory(prefix="image-viewer-switch-") as tmp:
        env = dict(os.environ, MXGUI_SETTINGS_DIR=f"{tmp}/settings", MXGUI_DATA_DIR=f"{tmp}/data")
        done = subprocess.run(
            [sys.executable, __file__, "--first-switch-after", str(wait_s)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="requests per size")
    parser.add_argument("--rate", type=float, default=100.0, help="images/s while following")
    parser.add_argument("--seconds", type=float, default=5.0, help="time following")
    parser.add_argument("--rate-16m", type=float, default=10.0, help="16M images/s following")
    parser.add_argument("--no-silx", action="store_true", help="skip the silx comparison")
    parser.add_argument("--first-switch-after", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.first_switch_after is not None:  # the child process of first_switch_in_a_process
        print(first_switch_ms(args.first_switch_after))
        return
    app = QApplication.instance() or QApplication(sys.argv[:1])
    platform = app.platformName()
    for name, wait_s in (("cold", 0.3), ("warm", 6.0)):
        emit(
            f"image_viewer_first_switch_{name}_{platform}",
            first_switch_in_a_process(wait_s),
            "ms",
            "<= 100" if name == "warm" else "(before the warm-up)",
        )
    with tempfile.TemporaryDirectory(prefix="image-viewer-bench-") as tmp:
        directory = Path(tmp)
        files = {size: write_frames(directory, size, shape, 2) for size, shape in SIZES.items()}
        for size, rate in (("4m", args.rate), ("16m", args.rate_16m)):
            follow_directory = directory / f"follow_{size}"
            follow_directory.mkdir()
            figures = follow_figures(follow_directory, files[size], rate, args.seconds)
            emit_follow(figures, "" if size == "4m" else "_16m", platform, rate)
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
