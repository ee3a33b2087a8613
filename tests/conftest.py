"""Shared fixtures: headless Qt, private settings, and the app on the simulated beamline."""

from __future__ import annotations

import os
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PyQt5.QtCore import QTimer  # noqa: E402
from PyQt5.QtWidgets import QApplication  # noqa: E402

from helpers import (  # noqa: E402
    DEFAULT_LAYOUT,
    SIMULATED,
    delete_later_now,
    describe,
    running_timers,
    threads_left,
)

# test modules import xmlrpc_fixtures before pytest_plugins loads its fixtures
pytest.register_assert_rewrite("xmlrpc_fixtures")
pytest.register_assert_rewrite("lims_fixtures")
pytest.register_assert_rewrite("celery_servers")


@pytest.fixture(autouse=True)
def private_settings(tmp_path_factory, monkeypatch):
    """Keep QSettings and collected data out of the user's home."""
    monkeypatch.setenv("MXGUI_SETTINGS_DIR", str(tmp_path_factory.mktemp("settings")))
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture
def make_app(qtbot):
    """Build the main window from a layout on a repository; torn down after the test.

    Fails the test if, once the windows are closed and deleted and the app stopped, a
    worker thread is still running, a QTimer of the app's still runs or a top-level
    widget it made is left.
    """
    from mxgui.gui.application import MxguiApplication

    apps = []
    threads_before = set(threading.enumerate())
    widgets_before = set(QApplication.topLevelWidgets())
    qapp = QApplication.instance()
    timers_before = qapp.findChildren(QTimer) if qapp is not None else []

    def make(
        layout: Path = DEFAULT_LAYOUT,
        repository_dirs: list[Path] | None = None,
        login_dialog: bool = False,
    ):
        app = MxguiApplication(list(repository_dirs or [SIMULATED]), Path(layout))
        app.start()
        apps.append(app)
        if not login_dialog and app.lims_status is not None and app.lims_status.dialog:
            app.lims_status.dialog.reject()  # "Not now"
            app.windows[0].activateWindow()  # its shortcuts work again
        return app

    yield make
    timers: list[str] = []
    for app in apps:
        for window in app.windows:
            window.close()
        app.stop()
        timers += running_timers(app.windows, timers_before)
        for window in app.windows:
            window.deleteLater()
    delete_later_now()
    left = threads_left(threads_before)
    assert not left, f"threads left running after the test: {[t.name for t in left]}"
    assert not timers, f"QTimers still running after the app stopped: {timers}"
    widgets = [describe(w) for w in QApplication.topLevelWidgets() if w not in widgets_before]
    assert not widgets, f"top-level widgets left after the test: {widgets}"


@pytest.fixture
def repo():
    """The simulated beamline's hardware repository; shut down after the test."""
    from mxgui.core.repository import HardwareRepository

    repository = HardwareRepository([SIMULATED])
    yield repository
    repository.shutdown()


@pytest.fixture
def demo(tmp_path):
    """``mxgui-demo-servers`` (the Tango devices and the demo IOC) on free loopback
    ports for the test; stopped as Ctrl-C stops it, and its exit code checked."""
    from demo_servers_helpers import Launcher

    launcher = Launcher(tmp_path / "demo-servers.log")
    launcher.start()
    yield launcher
    assert launcher.stop() == 0, launcher.output()
    launcher.kill()


@pytest.fixture
def bl(tmp_path):
    """The simulated beamline with a queue engine (``queue_engine_fixtures``), closed
    after the test; a test module may define its own ``bl``."""
    from queue_engine_fixtures import close_beamline, make_beamline

    beamline = make_beamline(tmp_path)
    yield beamline
    close_beamline(beamline)


@pytest.fixture
def lims_daytime(monkeypatch):
    """The LIMS's clock in the day: tests that assert what a login in the day sees (the
    demo's sessions run 08:00 to 08:00, the tests' own start at 09:00) shift the LIMS's
    clock (``mxgui.core.lims.clock``, subprocesses included) to 12:00 of the same date
    when they run before 10:00; the real clock otherwise."""
    import datetime as dt

    from mxgui.core.lims import clock

    real = dt.datetime.now()
    if real.time() < dt.time(10):
        noon = dt.datetime.combine(real.date(), dt.time(12))
        monkeypatch.setenv(clock.SHIFT_VARIABLE, str((noon - real).total_seconds()))
