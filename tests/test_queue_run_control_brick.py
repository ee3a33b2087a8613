"""Issue 15, the queue control brick on the real engine and the simulated beamline: "On
failure" says what each choice does, Run selected runs every selected node, and the
confirmation says which samples are not mounted and how the others are centred."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from test_queue_bricks_run import LAYOUT, fast_beamline

from bricks.queue_control_brick import ON_FAILURE_EXPLAINED

QUICK = {
    "num_images": 2,
    "osc_range": 1.0,
    "exp_time": 0.001,
    "detector_roi_mode": "test",
    "detector_distance": 120.0,
    "take_snapshots": 0,
}


def control_app(make_app, tmp_path):
    app = make_app(LAYOUT, fast_beamline(tmp_path))
    queue = app.repository.get("/queue")
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    return queue, bricks


def hand_mounted_sample(queue) -> int:
    sample = queue.add_sample(None)
    queue.model.update_parameters(sample, {"centring": "none"})
    return sample


def test_each_on_failure_choice_says_what_the_engine_does(make_app, tmp_path, qtbot):
    queue, bricks = control_app(make_app, tmp_path)
    control = bricks["control"]
    choice = control.failure_choice
    for index in range(choice.count()):
        assert choice.itemData(index, Qt.ToolTipRole) == ON_FAILURE_EXPLAINED[index]
    assert choice.currentText() == "next sample" and queue.engine.continue_on_failure
    assert "goes on with the next sample" in control.failure_explained.text()
    assert "rest of this sample is skipped" in control.failure_explained.text()
    choice.setCurrentIndex(1)
    assert not queue.engine.continue_on_failure
    assert "queue stops" in control.failure_explained.text()
    assert choice.toolTip() == control.failure_explained.text()


def test_run_selected_runs_every_selected_node(make_app, tmp_path, qtbot):
    queue, bricks = control_app(make_app, tmp_path)
    control, tree = bricks["control"], bricks["tree"]
    sample = hand_mounted_sample(queue)
    first, left, second = (
        queue.add_task(sample, "DataCollection", dict(QUICK, prefix=prefix))
        for prefix in ("first", "left", "second")
    )
    tree.select_nodes([second, first])
    qtbot.waitUntil(lambda: sorted(control.selection) == sorted([first, second]), timeout=3000)
    assert control.run_selected_button.isEnabled()
    qtbot.mouseClick(control.run_selected_button, Qt.LeftButton)
    dialog = control.confirm_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=3000)
    assert dialog.summary["task_ids"] == [first, second]
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not queue.engine.is_running(), timeout=60_000)
    for node_id in (first, second):
        node = queue.model.get_node(node_id)
        assert node.status == "success", node.message
    assert queue.model.get_node(left).status == "not_executed"


def test_the_confirmation_names_the_samples_not_mounted(make_app, tmp_path, qtbot):
    queue, bricks = control_app(make_app, tmp_path)
    control = bricks["control"]
    with_task = hand_mounted_sample(queue)
    queue.add_task(with_task, "DataCollection", dict(QUICK))
    without = queue.add_sample("1:05", name="empty")
    qtbot.waitUntil(control.run_all_button.isEnabled, timeout=3000)
    qtbot.mouseClick(control.run_all_button, Qt.LeftButton)
    dialog = control.confirm_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=3000)
    assert dialog.skipped_label.text() == "1:05 empty: skipped: no enabled task"
    assert dialog.centring_label.text().endswith(": centring none")
    assert [s["node_id"] for s in dialog.summary["skipped_samples"]] == [without]
    qtbot.mouseClick(dialog.cancel_button, Qt.LeftButton)
