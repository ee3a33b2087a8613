"""The queue engine on the simulated beamline: run, fail, pause, stop, skip, run again,
run numbers, and a crash in the middle of a collection. Qt-free."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import fabio
from queue_engine_fixtures import add_sample, add_task

from hardware_objects.abstract.sample_changer import BUSY_STATES
from mxgui.core.queue import History, QueueModel, QueueStore, restore
from mxgui.core.queue.persistence import INTERRUPTED


def statuses(bl) -> dict[int, str]:
    return {n.id: n.status for n in bl.model.iter_nodes()}


def image_files(node) -> list[Path]:
    return [Path(f) for f in node.files if f.endswith(".cbf")]


def three_samples(bl, **given) -> list[tuple[int, int]]:
    """Samples 1:02, 1:03 and 1:04, each with one collection; ``[(sample, task)]``."""
    pairs = []
    for location in ("1:02", "1:03", "1:04"):
        sample = add_sample(bl, location)
        pairs.append((sample, add_task(bl, sample, **given)))
    return pairs


def test_three_samples_run_mount_collect_and_record_history(bl):
    pairs = three_samples(bl, take_snapshots=1)
    caller = threading.current_thread()
    threads = []
    bl.engine.connect("entryStarted", lambda _id: threads.append(threading.current_thread()))
    bl.engine.run_all()
    assert bl.engine.is_running()
    assert bl.events.wait_finished() == "success"
    assert not bl.engine.is_running() and bl.engine.current_node() is None
    assert threads and all(t is not caller for t in threads)  # its own worker thread
    assert set(statuses(bl).values()) == {"success"}
    for (sample, task), location in zip(pairs, ("1:02", "1:03", "1:04")):
        node = bl.model.get_node(task)
        images = image_files(node)
        assert len(images) == 3 and all(f.is_file() for f in images)
        assert fabio.open(str(images[0])).data.shape == (256, 256)
        assert any(f.endswith("_snapshot_1.png") for f in node.files)
        assert images[0].name == f"{node.parameters['prefix']}_1_00001.cbf"
        assert bl.model.get_node(sample).message == f"mounted {location}"
    assert bl.sample_changer.get_loaded_sample().address == "1:04"
    entries = bl.history.entries()
    assert [(e.node_id, e.status) for e in entries] == [
        (pairs[0][1], "success"),
        (pairs[0][0], "success"),
        (pairs[1][1], "success"),
        (pairs[1][0], "success"),
        (pairs[2][1], "success"),
        (pairs[2][0], "success"),
    ]
    assert entries[0].files == bl.model.get_node(pairs[0][1]).files
    assert entries[0].sample == "1:02 s1-02" and entries[0].run_number == 1
    names = bl.events.names()
    assert names[0] == "executionStarted" and names[-1] == "executionFinished"
    assert names[1:5] == ["entryStarted", "entryStarted", "entryFinished", "entryFinished"]
    progress = [a for a in bl.events.args("progressChanged") if a[0] == pairs[0][1]]
    assert progress and progress[-1][1] == 1.0


def test_a_detector_fault_fails_its_entry_and_the_queue_goes_on(bl):
    pairs = three_samples(bl, num_images=4)
    bl.engine.set_continue_on_failure(True)
    bl.engine.connect(
        "entryStarted",
        lambda node_id: (
            bl.collect.inject_fault("simulated readout error", after_images=2)
            if node_id == pairs[1][1]
            else bl.collect.inject_fault(None)
        ),
    )
    bl.engine.run_all()
    assert bl.events.wait_finished() == "failed"
    failed = bl.model.get_node(pairs[1][1])
    assert failed.status == "failed"
    assert "detector error: simulated readout error" in failed.message
    assert len(image_files(failed)) == 2  # the two complete images are kept
    assert bl.model.get_node(pairs[1][0]).status == "failed"
    assert "simulated readout error" in bl.model.get_node(pairs[1][0]).message
    assert bl.model.get_node(pairs[2][1]).status == "success"  # went on
    assert bl.history.query(node_id=pairs[1][1])[0].message == failed.message


def test_a_motor_fault_stops_the_queue_when_the_user_chose_to_stop(bl):
    pairs = three_samples(bl, osc_start=10.0)
    bl.engine.set_continue_on_failure(False)
    omega = bl.diffractometer.get_motor("phi")
    bl.engine.connect(
        "entryStarted",
        lambda node_id: omega.inject_fault("encoder error") if node_id == pairs[1][1] else None,
    )
    try:
        bl.engine.run_all()
        assert bl.events.wait_finished() == "failed"
    finally:
        omega.inject_fault(None)
    node = bl.model.get_node(pairs[1][1])
    assert node.status == "failed" and "encoder error" in node.message
    assert statuses(bl)[pairs[0][1]] == "success"
    assert statuses(bl)[pairs[2][0]] == statuses(bl)[pairs[2][1]] == "not_executed"


def test_pause_waits_for_the_running_entry_then_resume_goes_on(bl):
    sample = add_sample(bl, None)
    first = add_task(bl, sample, num_images=10, exp_time=0.03)
    second = add_task(bl, sample)
    started = bl.events.when(lambda n, a: n == "entryStarted" and a == (first,))
    paused = bl.events.when(lambda n, a: n == "executionPaused")
    bl.engine.run_all()
    assert started.wait(10)
    bl.engine.pause()
    assert bl.engine.is_paused()
    assert paused.wait(10)
    assert bl.model.get_node(first).status == "success"  # the running entry finished
    assert len(image_files(bl.model.get_node(first))) == 10
    time.sleep(0.2)
    assert bl.model.get_node(second).status == "not_executed"  # nothing started since
    assert bl.engine.is_running() and bl.engine.current_node() is None
    bl.engine.resume()
    assert bl.events.wait_finished() == "success"
    assert bl.model.get_node(second).status == "success"
    names = bl.events.names()
    assert names.index("executionPaused") < names.index("executionResumed")
    assert names.index("executionResumed") < names.index("executionFinished")


def test_stop_mid_collection_keeps_complete_files_then_running_again_works(bl):
    pairs = three_samples(bl)
    long = add_task(bl, pairs[0][0], num_images=200, exp_time=0.02, prefix="long")
    bl.model.move(long, pairs[0][0], 0)  # the long one runs first
    halfway = bl.events.when(lambda n, a: n == "progressChanged" and a[0] == long and a[1] > 0.1)
    bl.engine.run_all()
    assert halfway.wait(20)
    started = time.monotonic()
    bl.engine.stop()
    assert time.monotonic() - started < 0.05  # the caller never waits for the hardware
    assert bl.events.wait_finished() == "stopped"
    stopped = bl.model.get_node(long)
    assert (stopped.status, stopped.message) == ("stopped", "stopped by user")
    images = image_files(stopped)
    assert 10 < len(images) < 200
    directory = images[0].parent
    assert sorted(directory.glob(f"{stopped.parameters['prefix']}_1_*")) == sorted(images)
    for image in images:  # complete files only
        assert fabio.open(str(image)).data.shape == (256, 256)
    assert bl.model.get_node(pairs[0][0]).message == "stopped by user"
    assert [statuses(bl)[t] for _, t in pairs] == ["not_executed"] * 3
    assert bl.history.query(node_id=long)[0].message == "stopped by user"
    sizes = {f: f.stat().st_size for f in images}

    bl.engine.run_all()  # the mxcubeqt bug: this did nothing
    assert bl.events.wait_finished() == "success"
    assert [statuses(bl)[t] for _, t in pairs] == ["success"] * 3
    assert statuses(bl)[long] == "stopped"  # what has run is left as it is

    bl.model.reset_status([long])
    bl.model.update_parameters(long, {"num_images": 5})
    bl.engine.run(long)
    assert bl.events.wait_finished() == "success"
    again = bl.model.get_node(long)
    assert again.parameters["run_number"] == 2  # run 1 has files: never overwritten
    assert "run 1 was already used: collected as run 2" in again.message
    assert {f: f.stat().st_size for f in images} == sizes
    assert len(image_files(again)) == 5


def test_skip_ends_the_running_entry_as_skipped_and_goes_on(bl):
    sample = add_sample(bl, None)
    long = add_task(bl, sample, num_images=300, exp_time=0.02)
    after = add_task(bl, sample)
    going = bl.events.when(lambda n, a: n == "progressChanged" and a[0] == long and a[1] > 0.02)
    assert bl.engine.skip() is False  # nothing runs
    bl.engine.run_all()
    assert going.wait(20)
    assert bl.engine.current_node() == long
    assert bl.engine.skip() is True
    assert bl.events.wait_finished() == "success"
    node = bl.model.get_node(long)
    assert (node.status, node.message) == ("skipped", "skipped by user")
    assert 0 < len(image_files(node)) < 300
    assert statuses(bl)[after] == "success"
    sample_node = bl.model.get_node(sample)
    assert sample_node.status == "warning" and "1 skipped" in sample_node.message


def test_run_numbers_never_collide_across_two_runs_of_the_same_prefix(bl):
    sample = add_sample(bl, None)
    first = add_task(bl, sample, prefix="lyso", run_number=1)
    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    # a second task made with the same prefix and run (a copy, an old queue file)
    second = add_task(bl, sample, prefix="lyso", run_number=1)
    # and a third whose run appeared on disk meanwhile (another program wrote it)
    third = add_task(bl, sample, prefix="lyso", run_number=3)
    directory = Path(bl.model.get_node(first).parameters["directory"])
    (directory / "lyso_3_00001.cbf").write_bytes(b"someone else's data")
    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    runs = [bl.model.get_node(n).parameters["run_number"] for n in (first, second, third)]
    assert runs == [1, 2, 4]
    assert (directory / "lyso_3_00001.cbf").read_bytes() == b"someone else's data"
    files = [f for n in (first, second, third) for f in bl.model.get_node(n).files]
    assert len(files) == len(set(files)) == 9
    assert [e.run_number for e in bl.history.entries() if e.type == "DataCollection"] == [1, 2, 4]


def test_a_collection_interrupted_by_a_crash_lists_the_images_on_disk(bl, tmp_path):
    """Issue 11, item 11: the interrupted node lists the files of its run on disk
    (images in order, then its snapshot), not none; other runs' files are not its."""
    store = QueueStore(tmp_path / "queue.json", bl.model, bl.history, quiet=0.01)
    store.start()
    try:
        sample = add_sample(bl, "1:02")
        long = add_task(bl, sample, num_images=200, exp_time=0.02, take_snapshots=1)
        going = bl.events.when(lambda n, a: n == "progressChanged" and a[0] == long and a[1] > 0.1)
        bl.engine.run_all()
        assert going.wait(30)
        assert store.flush()
        shutil.copy(tmp_path / "queue.json", tmp_path / "crashed.json")  # the crash
    finally:
        bl.engine.stop()
        bl.events.wait_finished()
        store.stop()
    node = bl.model.get_node(long)
    directory, prefix, run = (node.parameters[k] for k in ("directory", "prefix", "run_number"))
    (Path(directory) / f"{prefix}_{run + 1}_00001.cbf").write_bytes(b"another run")
    images = sorted(map(str, Path(directory).glob(f"{prefix}_{run}_*.cbf")))
    snapshots = sorted(map(str, Path(directory).glob(f"{prefix}_{run}_snapshot_*.png")))
    assert len(images) >= 20 and len(snapshots) == 1
    model = QueueModel()
    result = restore(tmp_path / "crashed.json", model, History(), read_only=True)
    assert result.interrupted == 2 and result.directories == (directory,)
    restored = model.get_node(long)
    assert (restored.status, restored.message) == ("failed", INTERRUPTED)
    assert list(restored.files) == images + snapshots


def test_a_crash_mid_collection_is_restored_with_the_running_entry_interrupted(bl, tmp_path):
    store = QueueStore(tmp_path / "queue.json", bl.model, bl.history, quiet=0.01)
    store.start()
    try:
        pairs = three_samples(bl)
        long = add_task(bl, pairs[1][0], num_images=200, exp_time=0.02)
        going = bl.events.when(lambda n, a: n == "progressChanged" and a[0] == long and a[1] > 0.1)
        bl.engine.run_all()
        assert going.wait(30)
        assert store.flush()
        # the crash: the process dies now; what is left is the queue file as saved
        shutil.copy(tmp_path / "queue.json", tmp_path / "crashed.json")
    finally:
        bl.engine.stop()
        bl.events.wait_finished()
        store.stop()
    model, history = QueueModel(), History()
    result = restore(tmp_path / "crashed.json", model, history)
    assert result.restored and result.interrupted == 2  # the collection and its sample
    for node_id in (long, pairs[1][0]):
        node = model.get_node(node_id)
        assert (node.status, node.message) == ("failed", INTERRUPTED)
    done = model.get_node(pairs[0][1])
    assert done.status == "success" and done.files == bl.model.get_node(pairs[0][1]).files
    assert model.get_node(pairs[1][1]).status == "success"  # ran before the long one
    assert model.get_node(pairs[2][1]).status == "not_executed"
    assert model.get_node(pairs[2][1]).parameters == bl.model.get_node(pairs[2][1]).parameters
    assert [e.node_id for e in history.entries()] == [pairs[0][1], pairs[0][0], pairs[1][1]]
    assert len(model) == len(bl.model)


def test_stop_while_mounting_aborts_the_sample_changer(bl):
    bl.sample_changer.speed_factor = 0.05  # a load of about 2 s
    sample = add_sample(bl, "1:02")
    task = add_task(bl, sample)
    loading = threading.Event()
    bl.sample_changer.connect(
        "progressChanged", lambda fraction, _step: loading.set() if fraction > 0.1 else None
    )
    bl.engine.run_all()
    assert loading.wait(10)
    assert bl.engine.current_node() == sample
    bl.engine.stop()
    assert bl.events.wait_finished() == "stopped"
    node = bl.model.get_node(sample)
    assert (node.status, node.message) == ("stopped", "stopped by user")
    assert bl.sample_changer.get_sc_state() not in BUSY_STATES
    assert "aborted" in bl.sample_changer.get_status_message()
    assert statuses(bl)[task] == "not_executed"
