"""What a workflow's flood costs the GUI: one huge log message, then dialogs by the dozen.

The default layout on the simulated beamline (the log brick and the status bar on
screen) with its XML-RPC server on a free port; a client in another thread calls, as
issue 11 (items 4 and 5) attacked it:

- ``log_20mb_gui_stall``: the longest the GUI thread did not serve a 5 ms timer while
  one 20 MB ``log_message`` arrived and was shown (the unbounded log view froze 39 s);
- ``log_after_20mb_gui_stall_per_line``: the same, worst of 20 short lines logged after
  it while its row stays in the log (1.3-3.4 s each before);
- ``dialog_flood_rss_growth``: resident memory added while 26 clients ask the largest
  dialog allowed at once (+5.2 GB before: a window each);
- ``dialog_flood_windows``: dialog windows open at once during it (one at a time).

Prints one JSON object per figure (see docs/contracts.md). Runs offscreen unless a display is
set (``xvfb-run -a`` for a real X server).
"""

from __future__ import annotations

import sys
from pathlib import Path

# this directory holds a file named xmlrpc.py: it must not hide the standard library's
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import xmlrpc.client  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIMULATED = ROOT / "HardwareRepository" / "simulated"
LAYOUT = ROOT / "layouts" / "default.yml"
#: the workflow that logs 20 MB, in its own process as workflows are
BIG_LOG_CLIENT = (
    "import sys, xmlrpc.client\n"
    "xmlrpc.client.ServerProxy(sys.argv[1], headers=[('Token', sys.argv[2])])"
    ".log_message('dump: ' + 'Z' * 20_000_000, 'warning')"
)


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 2), "unit": unit, "target": target}))


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Heartbeat:
    """A 5 ms timer on the GUI thread; the longest gap between its ticks."""

    def __init__(self) -> None:
        from PyQt5.QtCore import QTimer

        self.ticks: list[float] = []
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def run_until(self, app, done) -> float:
        """Serve events until ``done()``; the worst stall in ms (the gap beyond 5 ms)."""
        self.ticks = [time.perf_counter()]
        self.timer.start()
        while not done():
            app.processEvents()
            time.sleep(0.001)
        end = time.perf_counter() + 0.2  # what the GUI does once the call has returned
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.001)
        self.timer.stop()
        gaps = [b - a for a, b in zip(self.ticks, self.ticks[1:])]
        return max(max(gaps, default=0.0) * 1000 - 5, 0.0)


def main() -> None:
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    scratch = tempfile.mkdtemp(prefix="mxgui-bench-")
    os.environ.setdefault("MXGUI_DATA_DIR", scratch)
    os.environ["MXGUI_SETTINGS_DIR"] = scratch
    os.environ.pop("MXGUI_XMLRPC_PORT", None)
    logging.getLogger().setLevel(logging.INFO)

    from PyQt5.QtWidgets import QApplication

    qt = QApplication([])
    from mxgui.core.dialog_spec import MAX_FIELDS, TEXT_LIMITS
    from mxgui.gui.application import MxguiApplication
    from mxgui.gui.log_file import install_log_file
    from mxgui.gui.workflow_dialog import WorkflowDialog

    install_log_file(Path(scratch) / "mxgui.log")
    app = MxguiApplication([SIMULATED], LAYOUT)
    app.start()
    server = app.repository.beamline.role("xmlrpc_server")
    url, token = server.url, server.token
    heartbeat = Heartbeat()
    pool = ThreadPoolExecutor(32)

    def call(method: str, *args):
        def in_client():
            proxy = xmlrpc.client.ServerProxy(url, allow_none=True, headers=[("Token", token)])
            try:
                return getattr(proxy, method)(*args)
            except xmlrpc.client.Fault as fault:
                return fault
            finally:
                proxy("close")()

        return pool.submit(in_client)

    try:
        settled = time.monotonic() + 1.0  # start-up work done
        heartbeat.run_until(qt, lambda: time.monotonic() > settled)
        sent = subprocess.Popen([sys.executable, "-c", BIG_LOG_CLIENT, url, token])  # a workflow
        emit(
            "log_20mb_gui_stall",
            heartbeat.run_until(qt, lambda: sent.poll() is not None),
            "ms",
            "<= 100",
        )
        worst = 0.0
        for n in range(20):
            line = call("log_message", f"line {n}")
            worst = max(worst, heartbeat.run_until(qt, line.done))
        emit("log_after_20mb_gui_stall_per_line", worst, "ms", "<= 50")

        largest = {
            "title": "flood",
            "message": "M" * TEXT_LIMITS["message"],
            "fields": [
                {"name": f"f{i}", "label": "L" * TEXT_LIMITS["label"]} for i in range(MAX_FIELDS)
            ],
        }
        before = rss_mb()
        most_windows = 0
        calls = [call("open_dialog", {**largest, "title": f"flood {n}"}) for n in range(26)]
        deadline = time.monotonic() + 60
        peak = before
        while sum(c.done() for c in calls) < 25 and time.monotonic() < deadline:
            qt.processEvents()
            windows = [w for w in qt.topLevelWidgets() if isinstance(w, WorkflowDialog)]
            most_windows = max(most_windows, sum(w.isVisible() for w in windows))
            peak = max(peak, rss_mb())
            time.sleep(0.01)
        emit("dialog_flood_rss_growth", peak - before, "MB", "<= 100")
        emit("dialog_flood_windows", most_windows, "windows", "<= 1")
    finally:
        app.dialog_handler.close_all()
        for window in app.windows:
            window.close()
        app.stop()
        pool.shutdown(wait=True)


if __name__ == "__main__":
    main()
