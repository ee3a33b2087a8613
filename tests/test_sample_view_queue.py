"""Issue 5: a queued sample with manual centring is centred with 3 clicks in the sample
view, which answers the real queue engine; the run control's buttons do not answer too.
"""

from __future__ import annotations

import pytest
from PyQt5.QtCore import Qt
from test_queue_bricks_run import fast_beamline
from test_sample_view import (
    TOLERANCE_MM,
    click_image,
    crystal_error_mm,
    crystal_on_image,
    wait_step,
)

from mxgui.gui.sample_view.centring_workflow import CentringStep
from mxgui.gui.sample_view.modes import Mode

from helpers import TEST_LAYOUTS, speed_up

LAYOUT = TEST_LAYOUTS / "sample_view_queue.yml"
QUICK = {
    "num_images": 20,
    "osc_range": 1.0,
    "exp_time": 0.001,
    "detector_roi_mode": "test",
    "detector_distance": 120.0,
    "take_snapshots": 0,
}


@pytest.fixture
def queue_app(make_app, tmp_path, qtbot):
    """The layout on a fast beamline with the real engine; a sample (1:01, manual
    centring) with a short collection."""
    app = make_app(LAYOUT, fast_beamline(tmp_path))
    bricks = app.built.bricks
    view, control = bricks["sample_view"], bricks["queue_control"]
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    queue = app.repository.get("/queue")
    assert control.engine is queue.engine is not None and queue.has_centring_handler
    qtbot.waitUntil(lambda: view.view.frame_item.shown > 0, timeout=5000)
    (sample,) = queue.add_samples_from_changer(["1:01"])
    queue.model.update_parameters(sample, {"centring": "manual"})
    task = queue.add_task(sample, "DataCollection", QUICK)
    yield view, control, queue, diffractometer, sample, task
    if diffractometer.get_centring_state().value != "idle":
        diffractometer.cancel_centring()


def run_until_centring(qtbot, view, control, sample) -> None:
    """Run the sample from the run control; wait for the sample view's centring."""
    dialog = control.run_node(sample)
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.mode is Mode.CENTRING, timeout=20_000)
    assert "Centre sample 1:01 for the queue" in view.mode_label.text()
    # the run control says where to centre, without buttons that would answer too
    qtbot.waitUntil(control.centring_box.isVisible, timeout=2000)
    assert "sample view" in control.centring_label.text()
    assert not control.use_position_button.isVisible()
    assert not control.cancel_centring_button.isVisible()
    assert control.centring_node is None


def test_three_clicks_and_accept_centre_the_sample_and_the_queue_goes_on(queue_app, qtbot):
    view, control, queue, diffractometer, sample, task = queue_app
    errors: list[float] = []

    def during_collection(node_id: int, _fraction: float) -> None:  # engine thread
        if node_id == task:
            errors.append(crystal_error_mm(diffractometer))

    queue.engine.connect("progressChanged", during_collection)
    run_until_centring(qtbot, view, control, sample)
    for number in range(1, 4):
        wait_step(qtbot, view, CentringStep.WAITING_CLICK)
        assert f"({number} of 3)" in view.mode_label.text()
        click_image(qtbot, view, *crystal_on_image(diffractometer))
    wait_step(qtbot, view, CentringStep.CENTRED)
    qtbot.mouseClick(view.toolbar.accept_button, Qt.LeftButton)
    assert view.mode is Mode.IDLE and not view.queue_centring.pending
    qtbot.waitUntil(lambda: queue.model.get_node(task).status == "success", timeout=30_000)
    node = queue.model.get_node(sample)
    assert node.status == "success" and "centred by hand" in node.message
    assert node.results["centred_position"]["phiy"] == pytest.approx(
        diffractometer.get_positions()["phiy"], abs=1e-4
    )
    assert errors and max(errors) < TOLERANCE_MM
    qtbot.waitUntil(lambda: not control.is_running(), timeout=10_000)
    qtbot.waitUntil(lambda: not control.centring_box.isVisible(), timeout=5000)
    assert "for the queue" not in view.mode_label.text()


def test_cancel_in_the_sample_view_fails_the_sample(queue_app, qtbot):
    view, control, queue, diffractometer, sample, task = queue_app
    run_until_centring(qtbot, view, control, sample)
    wait_step(qtbot, view, CentringStep.WAITING_CLICK)
    click_image(qtbot, view, *crystal_on_image(diffractometer))
    qtbot.mouseClick(view.toolbar.cancel_button, Qt.LeftButton)
    assert view.mode is Mode.IDLE
    qtbot.waitUntil(lambda: queue.model.get_node(sample).status == "failed", timeout=10_000)
    assert queue.model.get_node(sample).message == "centring cancelled"
    assert queue.model.get_node(task).status == "not_executed"
    qtbot.waitUntil(lambda: not control.is_running(), timeout=10_000)
    qtbot.waitUntil(lambda: not control.centring_box.isVisible(), timeout=5000)
