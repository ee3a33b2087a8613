"""Issue 15, the queue control brick on the real engine and the simulated beamline: "On
failure" says what each choice does, Run selected runs every selected node, and the
confirmation says which samples are not mounted and how the others are centred."""

from __future__ import annotations

from PyQt5.QtCore import Qt
from test_queue_bricks_run import LAYOUT, fast_beamline

from bricks.queue_control_brick import ON_FAILURE_EXPLAINED
from mxgui.core.queue.summary import NOT_MOUNTED_HERE

QUICK = {
    "num_images": 2,
    "osc_range": 1.0,
    "exp_time": 0.001,
    "detector_roi_mode": "test",
    "detector_distance": 120.0,
    "take_snapshots": 0,
}


def control_app(make_app, tmp_path):
    queue, bricks, _ = app_parts(make_app, tmp_path)
    return queue, bricks


def app_parts(make_app, tmp_path):
    """The queue, the bricks by name and the application, on a fast beamline."""
    app = make_app(LAYOUT, fast_beamline(tmp_path))
    queue = app.repository.get("/queue")
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    return queue, bricks, app


def hand_mounted_sample(queue) -> int:
    sample = queue.add_sample(None)
    queue.model.update_parameters(sample, {"centring": "none"})
    return sample


def test_each_on_failure_choice_says_what_the_engine_does(make_app, tmp_path, qtbot):
    """Each choice's words, then what the engine does with it: two samples, the first
    one's first task fails (review 15b, finding 18)."""
    queue, bricks, app = app_parts(make_app, tmp_path)
    control = bricks["control"]
    choice = control.failure_choice
    for index in range(choice.count()):
        assert choice.itemData(index, Qt.ToolTipRole) == ON_FAILURE_EXPLAINED[index]
    assert choice.currentText() == "next sample" and queue.engine.continue_on_failure
    assert "rest of this sample is skipped" in control.failure_explained.text()
    for index, next_sample_runs in ((0, True), (1, False)):
        choice.setCurrentIndex(index)
        assert choice.toolTip() == control.failure_explained.text()
        queue.model.clear()
        first, second = hand_mounted_sample(queue), hand_mounted_sample(queue)
        failing, rest = (
            queue.add_task(first, "DataCollection", dict(QUICK, prefix=p)) for p in ("f", "r")
        )
        other = queue.add_task(second, "DataCollection", dict(QUICK, prefix="other"))
        fail_once(app.repository.get("/collect"), queue)
        run_confirmed(qtbot, control, control.run_all_button)
        assert queue.model.get_node(failing).status == "failed"
        assert queue.model.get_node(rest).status == "not_executed"  # the rest of the sample
        expected = "success" if next_sample_runs else "not_executed"
        assert queue.model.get_node(other).status == expected, choice.currentText()
        words = control.failure_explained.text()
        assert ("goes on with the next sample" in words) == next_sample_runs
        # the label follows the engine's signals, delivered on the GUI thread after the run
        qtbot.waitUntil(
            lambda: control.current_label.text() == "Idle: the last run failed", timeout=5000
        )


def fail_once(collect, queue) -> None:
    """The detector fails the next collection; the ones after it work again."""
    collect.inject_fault("detector stopped answering", after_images=0)
    queue.engine.connect("entryFinished", lambda *_: collect.inject_fault(None))


def run_confirmed(qtbot, control, button) -> None:
    """Click ``button``, accept the confirmation, wait for the run to end."""
    qtbot.mouseClick(button, Qt.LeftButton)
    dialog = control.confirm_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=3000)
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not control.engine.is_running(), timeout=60_000)


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


def test_run_selected_with_a_changer_sample_mounts_it_and_leaves_a_failed_samples_rest(
    make_app, tmp_path, qtbot
):
    """Review 15b, findings 1, 3 and 18: tasks of the mounted 1:01 and the whole of
    1:02 selected; 1:01's first task fails: its other selected task is left not run,
    1:02 is mounted and runs. A task of a sample not mounted is refused, saying why."""
    queue, bricks, app = app_parts(make_app, tmp_path)
    control, tree = bricks["control"], bricks["tree"]
    changer = app.repository.get("/sample_changer")
    assert changer.get_loaded_sample().address == "1:01"
    mounted, other = queue.add_sample("1:01"), queue.add_sample("1:02")
    for sample in (mounted, other):
        queue.model.update_parameters(sample, {"centring": "none"})
    m1, m2, m3 = (
        queue.add_task(mounted, "DataCollection", dict(QUICK, prefix=p)) for p in ("m1", "m2", "m3")
    )
    n1, n2 = (queue.add_task(other, "DataCollection", dict(QUICK, prefix=p)) for p in ("n1", "n2"))
    loads: list[str] = []
    changer.connect("loadedSampleChanged", lambda s: loads.append(s.address) if s else None)
    at_start: dict[int, str] = {}  # the crystal on the goniometer as each entry starts
    queue.engine.connect(
        "entryStarted", lambda n: at_start.setdefault(n, changer.get_loaded_sample().address)
    )

    tree.select_nodes([n1, m1])  # 1:02 is not mounted and not selected: refused
    qtbot.waitUntil(lambda: sorted(control.selection) == sorted([n1, m1]), timeout=3000)
    run_confirmed(qtbot, control, control.run_selected_button)
    assert "n1_1' belongs to 1:02, which is not mounted" in control.message.text()
    assert queue.model.get_node(m1).status == "not_executed" and loads == []

    tree.select_nodes([m3, other, m1])
    qtbot.waitUntil(lambda: sorted(control.selection) == sorted([m1, m3, other]), timeout=3000)
    fail_once(app.repository.get("/collect"), queue)
    qtbot.mouseClick(control.run_selected_button, Qt.LeftButton)
    dialog = control.confirm_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=3000)
    assert [(s["node_id"], s["centring"]) for s in dialog.summary["samples"]] == [
        (mounted, NOT_MOUNTED_HERE),
        (other, "none"),
    ]
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not control.engine.is_running(), timeout=60_000)
    statuses = {n: queue.model.get_node(n).status for n in (m1, m2, m3, n1, n2)}
    assert statuses == {
        m1: "failed",
        m2: "not_executed",  # not selected
        m3: "not_executed",  # the rest of the failed sample (On failure: next sample)
        n1: "success",
        n2: "success",
    }
    assert loads == ["1:02"]
    assert (at_start[m1], at_start[n1], at_start[n2]) == ("1:01", "1:02", "1:02")
