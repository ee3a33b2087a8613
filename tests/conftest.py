"""Shared fixtures: headless Qt, private settings, and the app on the simulated beamline."""

from __future__ import annotations

import os
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from helpers import DEFAULT_LAYOUT, SIMULATED, threads_left

# test modules import xmlrpc_fixtures before pytest_plugins loads its fixtures
pytest.register_assert_rewrite("xmlrpc_fixtures")


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
    left = threads_left(threads_before)
    assert not left, f"threads left running after the test: {[t.name for t in left]}"


@pytest.fixture
def repo():
    """The simulated beamline's hardware repository; shut down after the test."""
    from mxgui.core.repository import HardwareRepository

    repository = HardwareRepository([SIMULATED])
    yield repository
    repository.shutdown()
