"""Shared fixtures: headless Qt, private settings, and the app on the simulated beamline."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIMULATED = ROOT / "HardwareRepository" / "simulated"
DEFAULT_LAYOUT = ROOT / "layouts" / "default.yml"


@pytest.fixture(autouse=True)
def private_settings(tmp_path_factory, monkeypatch):
    """Keep QSettings and collected data out of the user's home."""
    monkeypatch.setenv("MXGUI_SETTINGS_DIR", str(tmp_path_factory.mktemp("settings")))
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture
def make_app(qtbot):
    """Build the main window from a layout on a repository; torn down after the test.

    Fails the test if a hardware worker thread is still running afterwards.
    """
    from mxgui.gui.application import MxguiApplication

    apps = []
    threads_before = set(threading.enumerate())

    def make(layout: Path = DEFAULT_LAYOUT, repository_dirs: list[Path] | None = None):
        app = MxguiApplication(list(repository_dirs or [SIMULATED]), Path(layout))
        app.start()
        apps.append(app)
        return app

    yield make
    for app in apps:
        for window in app.windows:
            window.close()
        app.stop()
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        left = [t for t in threading.enumerate() if t not in threads_before and t.is_alive()]
        if not left:
            break
        time.sleep(0.02)
    assert not left, f"threads left running after the test: {[t.name for t in left]}"
