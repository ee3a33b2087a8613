"""Sample view: frames shown per second, GUI latency and dropped frames while streaming.

The simulated camera streams 1280x1024 frames faster than a display shows them
(``--rate``, 400 frames/s by default; a display under Xvfb shows about 200), so that
the latest-frame-wins hand-over has to drop frames. Measured over ``--seconds`` after a
warm-up of one second:

- frames shown per second: distinct frames painted by the view;
- GUI event latency p99: a thread posts an event to the GUI thread every 5 ms and the
  delay until it runs is recorded (what a hardware signal waits for);
- dropped frames: frames replaced in the hand-over before being shown (never queued);
  at least one shows that the camera outran the display, as intended;
- unaccounted frames: received - shown - dropped, at most the one waiting at the end.

By default the sample-view brick is measured, alone in a window of 1100x900 on the
simulated beamline, with every overlay on: beam, scale bar, a saved point, a line, a
measurement and a 1,000 x 1,000 grid of 10 um cells covering the image, whose cell
lines are drawn. ``--compare`` measures instead the two candidate displays (plain Qt
and pyqtgraph, see ``display_candidates.py``) under the same overlays, which is how
the brick's display was chosen (pyqtgraph is installed by ``scripts/setup.sh``). Runs
on the current Qt platform: ``xvfb-run -a python benchmarks/camera.py`` for a real X11
display, or ``QT_QPA_PLATFORM=offscreen``; the platform is the end of each figure's name.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PyQt5.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QTimer
from PyQt5.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
SIMULATED = ROOT / "HardwareRepository" / "simulated"
WINDOW = (1100, 900)
#: how to install what the benchmarks need beyond mxgui (pyqtgraph)
INSTALL_BENCH = "scripts/setup.sh"

_PROBE = QEvent.Type(QEvent.registerEventType())


class _ProbeEvent(QEvent):
    def __init__(self, posted: float) -> None:
        super().__init__(_PROBE)
        self.posted = posted


class LatencyProbe(QObject):
    """Posts an event to the GUI thread every ``period`` s from a thread; records delays."""

    def __init__(self, period: float = 0.005) -> None:
        super().__init__()
        self.period = period
        self.delays: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="latency probe", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            QCoreApplication.postEvent(self, _ProbeEvent(time.perf_counter()))

    def event(self, event: QEvent) -> bool:
        if event.type() == _PROBE:
            self.delays.append(time.perf_counter() - event.posted)
            return True
        return super().event(event)


def run_for(seconds: float) -> None:
    """Run the Qt event loop for ``seconds``."""
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec_()


def measure(
    window: QWidget,
    camera: Any,
    handover: Any,
    shown: Callable[[], int],
    seconds: float,
    connect: bool = True,
) -> dict[str, float]:
    """Stream into ``handover`` (connect the camera to it if ``connect``), let it settle
    for a second, then count over ``seconds``; ``shown()`` counts the frames painted."""
    window.resize(*WINDOW)
    window.show()
    if connect:
        camera.connect("imageReceived", handover.offer)
    camera.start_streaming()
    run_for(1.0)
    probe = LatencyProbe()
    probe.start()
    handover.reset_counters()
    shown_before = shown()
    started = time.perf_counter()
    run_for(seconds)
    elapsed = time.perf_counter() - started
    probe.stop()
    camera.stop_streaming()
    counts, shown_frames = handover.counts(), shown() - shown_before
    if connect:
        camera.disconnect("imageReceived", handover.offer)
    run_for(0.2)
    window.close()
    return {
        "unaccounted": float(counts["received"] - shown_frames - counts["dropped"]),
        "shown_per_s": shown_frames / elapsed,
        "received_per_s": counts["received"] / elapsed,
        "dropped": float(counts["dropped"]),
        "latency_p99_ms": float(np.percentile(probe.delays, 99)) * 1000.0,
        "latency_median_ms": float(np.median(probe.delays)) * 1000.0,
    }


def compare(repo: Any, seconds: float) -> list[tuple[str, float, str, str]]:
    sys.path.insert(0, str(Path(__file__).parent))
    from display_candidates import QtCandidate, pyqtgraph_candidate

    camera = repo.get("sample_camera")
    diffractometer = repo.get("diffractometer")
    geometry, positions = diffractometer.get_image_geometry(), diffractometer.get_positions()
    figures = []
    for name, make in (("qt", QtCandidate), ("pyqtgraph", pyqtgraph_candidate)):
        view = make(geometry, positions)
        shown = view.shown
        result = measure(view, camera, view.handover, lambda: len(set(shown)), seconds)  # noqa: B023
        figures += [
            (f"display_{name}_frames_shown", result["shown_per_s"], "frames/s", ">= 60"),
            (f"display_{name}_latency_p99", result["latency_p99_ms"], "ms", "<= 30"),
            (f"display_{name}_dropped_frames", result["dropped"], "frames", ">= 1"),
            (f"display_{name}_unaccounted_frames", result["unaccounted"], "frames", "<= 1"),
            (f"display_{name}_frames_received", result["received_per_s"], "frames/s", ">= 60"),
        ]
    return figures


BRICK_LAYOUT = """\
format_version: 1
windows:
  - name: main
    title: sample view benchmark
    size: [1100, 900]
    content:
      type: vbox
      children:
        - class: SampleViewBrick
          name: sample_view
connections: []
"""


def brick_figures(seconds: float, rate: float) -> list[tuple[str, float, str, str]]:
    """The sample-view brick with its overlays, in a window of its own."""
    import tempfile

    from mxgui.gui.application import MxguiApplication
    from mxgui.gui.sample_view.drawing import point_at
    from mxgui.gui.sample_view.modes import Mode

    with tempfile.TemporaryDirectory() as directory:
        layout = Path(directory) / "sample_view.yml"
        layout.write_text(BRICK_LAYOUT)
        app = MxguiApplication([SIMULATED], layout)
        window = app.start()
        try:
            brick = app.built.bricks["sample_view"]
            camera = app.repository.get("/sample_camera")
            shapes = app.repository.get("/shapes")
            camera.set_frame_rate(rate)
            run_for(0.5)
            geometry, here = brick.diffractometer.get_image_geometry(), brick.here()
            brick.save_point()
            shapes.add_line(point_at(300, 700, here, geometry), point_at(900, 760, here, geometry))
            shapes.add_grid(here, 1000, 1000, 0.01, 0.01, name="mesh")
            brick.set_mode(Mode.MEASURE)
            brick.modes._drag_start = (200.0, 800.0)
            brick.modes._released(600.0, 900.0)
            run_for(0.5)
            frame_item = brick.view.frame_item
            handover = brick.view.handover
            result = measure(window, camera, handover, lambda: frame_item.shown, seconds, False)
        finally:
            for each in app.windows:
                each.close()
            app.stop()
    return [
        ("frames_shown", result["shown_per_s"], "frames/s", ">= 60"),
        ("latency_p99", result["latency_p99_ms"], "ms", "<= 30"),
        ("dropped_frames", result["dropped"], "frames", ">= 1"),
        ("unaccounted_frames", result["unaccounted"], "frames", "<= 1"),
        ("frames_received", result["received_per_s"], "frames/s", ">= 60"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per measurement")
    parser.add_argument("--rate", type=float, default=400.0, help="camera frames per second")
    parser.add_argument("--compare", action="store_true", help="the two candidate displays")
    args = parser.parse_args()
    if args.compare and importlib.util.find_spec("pyqtgraph") is None:
        parser.exit(2, f"{parser.prog}: --compare needs pyqtgraph: {INSTALL_BENCH}\n")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    platform = app.platformName()

    from mxgui.core.repository import HardwareRepository

    if args.compare:
        repo = HardwareRepository([SIMULATED])
        try:
            repo.get("sample_camera").set_frame_rate(args.rate)
            figures = compare(repo, args.seconds)
        finally:
            repo.shutdown()
    else:
        figures = brick_figures(args.seconds, args.rate)
    for name, value, unit, target in figures:
        print(
            json.dumps(
                {
                    "name": f"sample_view_{name}_1280x1024_{platform}",
                    "value": round(value, 1),
                    "unit": unit,
                    "target": target,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
