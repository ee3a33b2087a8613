"""Issue 15, the queue core on the simulated beamline: Run all does what the confirmation
said (no centring again for a sample centred on this mount, no mount for a sample with no
enabled task), a user stop is "stopped", parents sum up their children, Run selected
runs several nodes, a retry that wrote nothing keeps its run number."""

from __future__ import annotations

import threading

from queue_engine_fixtures import (
    add_sample,
    add_task,
    crystal_centre,
)

from mxgui.core.queue import History, QueueModel, QueueStore, restore
from mxgui.core.queue.status import summary_status
from mxgui.core.queue.summary import describe, summarise


def answer_centrings(bl) -> list[int]:
    """Answer every centring the engine asks for with the crystal's centre; the ids asked."""
    asked: list[int] = []

    def answer(node_id: int, _location: str) -> None:
        asked.append(node_id)
        bl.engine.provide_centring(node_id, crystal_centre(bl))

    bl.engine.connect("centringRequested", answer)
    return asked


def count_loads(bl) -> list[str]:
    """The address of every sample the sample changer puts on the goniometer."""
    loads: list[str] = []
    bl.sample_changer.connect(
        "loadedSampleChanged", lambda sample: loads.append(sample.address) if sample else None
    )
    return loads


def centre_by_three_clicks(bl) -> None:
    """What a user does in the sample view: 3 clicks on the crystal, then Accept."""
    diffractometer = bl.diffractometer
    scene = diffractometer.scene
    diffractometer.start_manual_centring().result(timeout=10)
    for _ in range(3):
        x, y = scene.crystal_centre_image(
            diffractometer.get_positions(), diffractometer.get_image_geometry()
        )
        diffractometer.image_clicked(round(x), round(y)).result(timeout=10)
    diffractometer.accept_centring()


def test_run_all_centres_only_what_needs_it_and_mounts_only_samples_with_tasks(bl):
    assert bl.sample_changer.get_loaded_sample().address == "1:01"  # mounted at start
    centred = add_sample(bl, "1:01", centring="manual")
    other = add_sample(bl, "1:02", centring="manual")
    empty = add_sample(bl, "1:03", centring="manual")
    tasks = [add_task(bl, sample, prefix=f"t{sample}") for sample in (centred, other)]
    disabled = add_task(bl, empty, prefix="off")
    bl.model.set_enabled(disabled, False)
    centre_by_three_clicks(bl)  # the user centred 1:01 before pressing Run all
    assert bl.engine.is_centred("1:01") and not bl.engine.is_centred("1:02")
    asked, loads = answer_centrings(bl), count_loads(bl)
    summary = summarise(
        bl.model, [centred, other, empty], bl.history, alone=False, is_centred=bl.engine.is_centred
    )
    assert [(s["node_id"], s["centring"]) for s in summary["samples"]] == [
        (centred, "kept (centred on this mount)"),
        (other, "3 clicks"),
    ]
    assert [(s["node_id"], s["reason"]) for s in summary["skipped_samples"]] == [
        (empty, "no enabled task")
    ]
    assert "skipped: no enabled task: 1:03 s1-03" in describe(summary)

    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    assert asked == [other]  # 1:01 was not centred again
    assert loads == ["1:02"]  # 1:03 (no enabled task) was never mounted
    kept = "1:01 already mounted, already centred on this mount"
    assert bl.model.get_node(centred).message == kept
    assert bl.model.get_node(empty).status == "not_executed"
    # what ran is what the confirmation said
    started = [args[0] for args in bl.events.args("entryStarted")]
    assert [n for n in started if n in tasks] == summary["task_ids"]
    assert [n for n in started if bl.model.get_node(n).type == "Sample"] == [
        s["node_id"] for s in summary["samples"]
    ]


def test_recentre_asks_even_on_a_centred_sample_and_a_new_mount_forgets_the_centring(bl):
    sample = add_sample(bl, "1:01", centring="recentre")
    add_task(bl, sample)
    centre_by_three_clicks(bl)
    asked = answer_centrings(bl)
    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    assert asked == [sample]
    assert bl.engine.is_centred("1:01")
    bl.sample_changer.load("1:02").result(timeout=30)  # another sample: not centred
    assert not bl.engine.is_centred("1:01") and not bl.engine.is_centred("1:02")


def test_a_stopped_collection_is_stopped_its_sample_too_and_the_rest_not_run(bl):
    sample = add_sample(bl, None)
    long = add_task(bl, sample, num_images=300, exp_time=0.02, prefix="long")
    after = add_task(bl, sample, prefix="after")
    next_sample = add_sample(bl, None, name="next")
    later = add_task(bl, next_sample, prefix="later")
    going = bl.events.when(lambda n, a: n == "progressChanged" and a[0] == long and a[1] > 0.05)
    bl.engine.run_all()
    assert going.wait(30)
    bl.engine.stop()
    assert bl.events.wait_finished() == "stopped"
    node = bl.model.get_node(long)
    assert (node.status, node.message) == ("stopped", "stopped by user")
    assert node.files  # the complete images written are kept
    assert bl.model.get_node(sample).status == "stopped"
    assert [bl.model.get_node(n).status for n in (after, next_sample, later)] == [
        "not_executed"
    ] * 3
    assert bl.history.query(node_id=long)[0].status == "stopped"
    counts = bl.model.children_summary(sample)
    # done: success or warning (the tree's rule); the stopped one is named apart
    assert (counts["total"], counts["done"], counts["stopped"], counts["not_executed"]) == (
        2,
        0,
        1,
        1,
    )


def test_a_parents_status_sums_up_its_children():
    assert summary_status({"success": 2, "failed": 1}) == "failed"
    assert summary_status({"success": 2, "stopped": 1, "skipped": 1}) == "stopped"
    assert summary_status({"success": 2, "skipped": 1}) == "warning"
    assert summary_status({"success": 2, "warning": 1}) == "warning"
    assert summary_status({"success": 3}) == "success"


def test_children_summary_counts_a_samples_tasks_by_status(bl):
    sample = add_sample(bl, None)
    group = bl.model.add(sample, "TaskGroup", {})
    ok = add_task(bl, group)
    bad = add_task(bl, sample, prefix="bad")
    off = add_task(bl, sample, prefix="off")
    bl.model.set_enabled(off, False)
    bl.model.set_status(ok, "success")
    bl.model.set_status(bad, "failed", "detector error")
    counts = bl.model.children_summary(sample)
    assert (counts["total"], counts["done"], counts["success"], counts["failed"]) == (2, 1, 1, 1)
    assert bl.model.children_summary(group)["total"] == 1


def test_run_selected_runs_several_nodes_in_queue_order(bl):
    first = add_sample(bl, None, name="first")
    second = add_sample(bl, None, name="second")
    a = add_task(bl, first, prefix="a")
    skipped = add_task(bl, first, prefix="skipped")
    b = add_task(bl, second, prefix="b")
    bl.engine.run_nodes([b, a])  # the order of the selection does not matter
    assert bl.events.wait_finished() == "success"
    started = [args[0] for args in bl.events.args("entryStarted")]
    assert started == [a, b]
    assert bl.model.get_node(skipped).status == "not_executed"
    assert all(bl.model.get_node(n).status == "success" for n in (a, b))


def test_a_retry_of_a_collection_that_wrote_nothing_keeps_its_run_number(bl):
    sample = add_sample(bl, None)
    task = add_task(bl, sample, prefix="retry", num_images=4)
    run = bl.model.get_node(task).parameters["run_number"]
    bl.collect.inject_fault("detector stopped answering", after_images=0)
    bl.engine.run(task)
    assert bl.events.wait_finished() == "failed"
    failed = bl.model.get_node(task)
    assert failed.status == "failed" and not [f for f in failed.files if f.endswith(".cbf")]
    bl.collect.inject_fault(None)  # the detector answers again
    bl.model.reset_status([task])
    bl.engine.run(task)
    assert bl.events.wait_finished() == "success"
    assert bl.model.get_node(task).parameters["run_number"] == run  # nothing to keep apart
    # one that wrote files moves on: nothing is ever overwritten
    bl.model.reset_status([task])
    bl.engine.run(task)
    assert bl.events.wait_finished() == "success"
    assert bl.model.get_node(task).parameters["run_number"] == run + 1


def test_a_run_number_used_by_a_stopped_collection_that_wrote_images_moves_on(bl):
    sample = add_sample(bl, None)
    task = add_task(bl, sample, prefix="stop", num_images=300, exp_time=0.02)
    run = bl.model.get_node(task).parameters["run_number"]
    going = bl.events.when(lambda n, a: n == "progressChanged" and a[0] == task and a[1] > 0.02)
    bl.engine.run(task)
    assert going.wait(30)
    bl.engine.stop()
    assert bl.events.wait_finished() == "stopped"
    assert bl.model.get_node(task).files
    bl.model.reset_status([task])
    bl.model.update_parameters(task, {"num_images": 2})
    done = threading.Event()
    bl.engine.connect("executionFinished", lambda _status: done.set())
    bl.engine.run(task)
    assert done.wait(60)
    assert bl.model.get_node(task).parameters["run_number"] == run + 1


def test_a_workflows_nested_tasks_and_a_stopped_status_survive_a_restart(bl, tmp_path):
    sample = add_sample(bl, None)
    workflow = bl.model.add(
        sample, "Workflow", bl.factory.create("Workflow", {"workflow_name": "MXPressA"})
    )
    nested = add_task(bl, workflow, prefix="nested")
    bl.model.set_status(nested, "running")
    bl.model.set_status(nested, "stopped", "stopped by user")
    store = QueueStore(tmp_path / "queue.json", bl.model, bl.history)
    store.start()
    store.stop()
    model, history = QueueModel(), History()
    restore(tmp_path / "queue.json", model, history)
    assert model.children(workflow) == (nested,) and model.sample_of(nested) == sample
    assert (model.get_node(nested).status, model.get_node(nested).message) == (
        "stopped",
        "stopped by user",
    )
