"""The collection progress brick follows a collection live, and its Stop button stops it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PyQt5.QtCore import Qt

from bricks.collection_progress_brick import FAILURE_STYLE, format_duration
from hardware_objects.abstract.collect import CollectionError, CollectionStopped
from mxgui.core.acquisition import AcquisitionParameters, PathTemplate

from helpers import SIMULATED, TEST_LAYOUTS, quick_collect_overrides

LAYOUT = TEST_LAYOUTS / "collection_progress.yml"


@pytest.fixture
def setup(make_app, qtbot, tmp_path):
    """The brick on the simulated collect, writing below ``tmp_path/data``, with quick
    shutters and phase changes."""
    overrides = quick_collect_overrides(tmp_path)
    app = make_app(LAYOUT, [overrides, SIMULATED])
    brick = app.built.bricks["collection_progress"]
    collect = app.repository.get("/collect")
    app.repository.get("/phi").set_velocity(3600.0)
    yield app, brick, collect
    collect.stop_collect()


def parameters(**changes) -> AcquisitionParameters:
    values = dict(
        num_images=5,
        osc_range=1.0,
        exp_time=0.0,
        detector_distance=150.0,
        take_snapshots=0,
        detector_roi_mode="test",
    )
    values.update(changes)
    return AcquisitionParameters(**values)


def test_format_duration():
    assert format_duration(0) == "0:00"
    assert format_duration(75.4) == "1:15"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == "-"
    assert format_duration(float("nan")) == "-"


def test_idle_at_start(setup):
    _app, brick, _collect = setup
    assert brick.state_label.text() == "Idle"
    assert not brick.stop_button.isEnabled()
    assert brick.reason_label.isHidden()
    # no empty bar that looks like a field to type in
    assert brick.progress.isHidden()


def test_a_running_collection_is_shown_live_and_stop_stops_it(setup, qtbot):
    _app, brick, collect = setup
    path = collect.get_default_path_template(prefix="lyso")
    future = collect.collect(parameters(num_images=300, exp_time=0.02), path)
    qtbot.waitUntil(lambda: brick.state_label.text() == "Running", timeout=3000)
    assert brick.template_label.text() == path.get_image_path()
    assert brick.stop_button.isEnabled()
    # the display moves on while images are written
    qtbot.waitUntil(lambda: 5 <= brick.progress.value() / 1000 * 300, timeout=5000)
    assert not brick.progress.isHidden()
    shown = int(brick.images_label.text().split(" / ")[0])
    assert brick.images_label.text().endswith(" / 300") and shown >= 5
    qtbot.waitUntil(lambda: int(brick.images_label.text().split(" / ")[0]) > shown, timeout=3000)
    last = brick.last_file_label.text()
    assert re.fullmatch(re.escape(path.directory) + r"/lyso_1_\d{5}\.cbf", last), last
    assert Path(last).exists()
    assert brick.remaining_label.text() != "-"
    assert brick.elapsed_label.text() != "-"

    with qtbot.waitSignal(brick.collectionEnded, timeout=3000) as ended:
        qtbot.mouseClick(brick.stop_button, Qt.LeftButton)
    assert ended.args == [False]
    with pytest.raises(CollectionStopped):
        future.result(timeout=3)
    assert brick.state_label.text() == "Stopped"
    assert brick.reason_label.text() == "stopped by user" and brick.reason_label.isVisible()
    assert not brick.stop_button.isEnabled()
    taken = collect.get_collection_info()["images_taken"]
    assert brick.images_label.text() == f"{taken} / 300" and taken < 300


def test_a_finished_collection(setup, qtbot):
    _app, brick, collect = setup
    path = collect.get_default_path_template(prefix="done")
    with qtbot.waitSignal(brick.collectionEnded, timeout=10000) as ended:
        info = collect.collect(parameters(num_images=5), path).result(timeout=10)
    assert ended.args == [True]
    assert brick.state_label.text() == "Finished"
    assert brick.images_label.text() == "5 / 5"
    assert brick.progress.value() == 1000
    assert brick.last_file_label.text() == info["files"][-1]
    assert brick.remaining_label.text() == "0:00"
    assert brick.reason_label.isHidden()


def test_a_failure_shows_the_reason_in_red(setup, qtbot, tmp_path):
    _app, brick, collect = setup
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    path = PathTemplate(directory=str(blocker / "RAW_DATA"), prefix="lyso")
    with qtbot.waitSignal(brick.collectionEnded, timeout=10000):
        with pytest.raises(CollectionError):
            collect.collect(parameters(), path).result(timeout=10)
    assert brick.state_label.text() == "Failed"
    assert str(blocker / "RAW_DATA") in brick.reason_label.text()
    assert brick.reason_label.isVisible()
    assert brick.reason_label.styleSheet() == FAILURE_STYLE
    assert not brick.stop_button.isEnabled()
