"""Run numbers that collide with nothing (queue, history, disk, restarts) and the summary
shown before a run."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from mxgui.core.queue import (
    History,
    QueueModel,
    QueueStore,
    next_run_number,
    restore,
    summarise,
    with_free_run_number,
)
from mxgui.core.queue.run_index import QueueRuns
from mxgui.core.queue.runs import DiskRuns
from mxgui.core.queue.summary import describe
from mxgui.core.queue.tasks import CollectDefaults, TaskFactory


@pytest.fixture
def raw():
    """An image directory inside the session's data root (issue 11: task directories
    must lead inside the data roots)."""
    directory = Path(os.environ["MXGUI_DATA_DIR"]) / "RAW_DATA"
    directory.mkdir()
    return directory


def dc(directory, **overrides) -> dict:
    values = {"directory": str(directory), "prefix": "lyso", "num_images": 100, "exp_time": 0.01}
    values.update(overrides)
    return values


def test_the_next_run_skips_the_queue_the_history_and_the_disk(raw):
    model, history = QueueModel(), History()
    sample = model.add(0, "Sample")
    first = model.add(sample, "DataCollection", dc(raw, run_number=1))
    model.add(sample, "DataCollection", dc(raw, run_number=2))
    model.add(sample, "DataCollection", dc(raw, prefix="other", run_number=3))
    assert next_run_number(str(raw), "lyso", model, history) == 3
    model.set_status(first, "success", files=[str(raw / "lyso_1_00001.cbf")])
    history.record(model.get_node(first), model.get_node(sample))
    model.remove([first])  # gone from the queue, but the history remembers run 1
    assert next_run_number(str(raw), "lyso", model, history) == 3
    done = model.add(sample, "DataCollection", dc(raw, run_number=3))
    model.set_status(done, "success", files=[str(raw / "lyso_3_00001.cbf")])
    history.record(model.get_node(done))
    model.remove([done])
    (raw / "lyso_4_00001.cbf").touch()  # a file of run 4 on disk
    (raw / "lyso_5.log").touch()  # not a run file
    (raw / "lyso-x_5_00001.cbf").touch()  # another prefix
    assert next_run_number(str(raw), "lyso", model, history) == 5
    assert next_run_number(str(raw) + "/", "lyso", model, history, proposed=1) == 5
    assert next_run_number(str(raw), "lyso", model, history, proposed=9) == 9
    assert next_run_number(str(raw), "lyso", model, history, check_disk=False) == 4
    # the task being edited does not collide with itself
    second = model.children(sample)[0]
    assert next_run_number(str(raw), "lyso", model, history, proposed=2, exclude=[second]) == 2


def test_a_history_entry_that_wrote_nothing_leaves_its_run_free_for_a_retry(raw):
    model, history = QueueModel(), History()
    sample = model.add(0, "Sample")
    task = model.add(sample, "DataCollection", dc(raw, run_number=1))
    model.set_status(task, "failed", "detector error")  # before its first image
    history.record(model.get_node(task), model.get_node(sample))
    assert next_run_number(str(raw), "lyso", None, history) == 1
    model.reset_status([task])
    model.set_status(task, "success", files=[str(raw / "lyso_1_00001.cbf")])
    history.record(model.get_node(task), model.get_node(sample))
    assert next_run_number(str(raw), "lyso", None, history) == 2


def test_two_tasks_created_one_after_the_other_get_two_runs(raw):
    model, history = QueueModel(), History()
    sample = model.add(0, "Sample")
    runs = []
    for _ in range(3):
        params = with_free_run_number(dc(raw, run_number=1), model, history)
        runs.append(model.get_node(model.add(sample, "DataCollection", params)).parameters)
    assert [p["run_number"] for p in runs] == [1, 2, 3]


def test_run_numbers_survive_a_restart(raw, tmp_path):
    model, history = QueueModel(), History()
    store = QueueStore(tmp_path / "queue.json", model, history)
    store.start()
    sample = model.add(0, "Sample")
    ran = model.add(sample, "DataCollection", dc(raw, run_number=1))
    model.add(sample, "DataCollection", dc(raw, run_number=2))  # queued, not run
    model.set_status(ran, "running")
    # it wrote an image before the beam was lost (the file is gone): its record counts
    model.set_status(ran, "failed", "beam lost", files=[str(raw / "lyso_1_00001.cbf")])
    history.record(model.get_node(ran), model.get_node(sample))
    model.remove([ran])
    store.stop()
    restarted, restarted_history = QueueModel(), History()
    restore(tmp_path / "queue.json", restarted, restarted_history)
    assert next_run_number(str(raw), "lyso", restarted, restarted_history) == 3
    assert next_run_number(str(raw), "lyso") == 1  # what a restart without them would give


def test_the_session_floor_keeps_run_numbers_moving_on(repo, raw):
    session = repo.get("session")
    assert session.reserve_run_number(str(raw), "lyso") == 1
    assert session.reserve_run_number(str(raw), "lyso") == 2
    model = QueueModel()
    model.add(model.add(0, "Sample"), "DataCollection", dc(raw, run_number=3))
    assert next_run_number(str(raw), "lyso", model, History(), session) == 4


def test_the_disk_is_listed_once_per_directory_whatever_the_number_of_images(raw, monkeypatch):
    for number in range(1, 2001):
        (raw / f"lyso_1_{number:05d}.cbf").touch()
    listed: list[str] = []
    real_listdir = os.listdir

    def listdir(path):
        listed.append(path)
        return real_listdir(path)

    def no_stat(*_args, **_kwargs):
        raise AssertionError("a file was checked one by one")

    monkeypatch.setattr(os, "listdir", listdir)
    monkeypatch.setattr(os.path, "exists", no_stat)
    model, history = QueueModel(), History()
    sample = model.add(0, "Sample")
    for run in range(1, 21):
        model.add(sample, "DataCollection", dc(raw, run_number=run, num_images=100_000 // 20))
    summary = summarise(model, [sample], history)
    assert listed == [str(raw)]
    assert summary["images"] == 100_000
    assert [c["kind"] for c in summary["collisions"]] == ["disk"]
    assert summary["collisions"][0]["run_number"] == 1


def test_the_summary_counts_what_will_run_and_every_collision(raw, repo):
    factory = TaskFactory(CollectDefaults(repo.get("collect")))
    model, history = QueueModel(validator=factory.validate), History()
    s1 = model.add(0, "Sample", {"location": "1:01"})
    s2 = model.add(0, "Sample", {"location": "1:02"})
    a = model.add(s1, "DataCollection", factory.create("DataCollection", dc(raw, run_number=1)))
    b = model.add(s1, "DataCollection", factory.create("DataCollection", dc(raw, run_number=1)))
    reference = {"directory": str(raw), "prefix": "lyso", "run_number": 2, "exp_time": 0.01}
    c = model.add(s2, "Characterisation", factory.create("Characterisation", reference))
    d = model.add(s2, "Workflow", factory.create("Workflow", {"workflow_name": "MXPressA"}))
    off = model.add(s2, "DataCollection", factory.create("DataCollection", dc(raw, run_number=9)))
    model.set_enabled(off, False)
    old = model.add(s2, "DataCollection", factory.create("DataCollection", dc(raw, run_number=7)))
    model.set_status(old, "success", files=[str(raw / "lyso_7_00001.cbf")])
    history.record(model.get_node(old), model.get_node(s2))
    (raw / "lyso_2_snapshot_1.png").touch()  # run 2 has a file on disk
    summary = summarise(model, [s1, s2, a], history, bytes_per_image=1e6, overhead_s=5.0)
    assert summary["tasks"] == 4  # a, b, c, d: a once, the disabled and the finished ones not
    assert summary["images"] == 100 + 100 + 4
    assert summary["estimated_time_s"] == pytest.approx(204 * 0.01 + 3 * 5.0)
    assert summary["disk_bytes"] == pytest.approx(204e6)
    assert summary["unknown_time"] == [d] and summary["already_run"] == [old]
    kinds = {(x["node_id"], x["kind"]) for x in summary["collisions"]}
    assert kinds == {(a, "queue"), (b, "queue"), (c, "disk")}
    message = next(x["message"] for x in summary["collisions"] if x["node_id"] == a)
    assert f"DataCollection {a} 'lyso_1' writes lyso_1_* in {raw}: so do nodes {b}" == message
    model.reset_status([old])  # to run again: its run is in the history
    again = summarise(model, [old], history)
    assert [(x["kind"], x["others"]) for x in again["collisions"]] == [("history", [old])]
    assert "4 tasks, 204 images" in describe(summary)


def test_disk_runs_read_only_the_files_of_the_prefix(raw):
    for name in ("p_1_00001.cbf", "p_2_master.h5", "p_3_snapshot_1.png", "p_x_1.cbf", "p_4"):
        (raw / name).touch()
    (raw / "p_10_00001.cbf").touch()
    (raw / "pp_5_00001.cbf").touch()
    disk = DiskRuns()
    assert disk.runs(str(raw), "p") == {1, 2, 3, 10}
    assert disk.runs(str(raw / "missing"), "p") == frozenset()


def test_asking_for_one_run_agrees_with_listing_every_run(raw):
    for name in ("p_1_00001.cbf", "p_2_master.h5", "p_3_snapshot_1.png", "p_x_1.cbf", "p_4"):
        (raw / name).touch()
    (raw / "p_10_00001.cbf").touch()
    expected = {1, 2, 3, 10}
    disk = DiskRuns()
    answers = [disk.has_run(str(raw), "p", run) for run in range(0, 20)]  # past the switch
    assert answers == [run in expected for run in range(0, 20)]


def test_a_following_run_index_stays_equal_to_a_fresh_one(raw):
    model = QueueModel()
    live = QueueRuns(model, follow=True)

    def same() -> bool:
        fresh = QueueRuns(model)
        keys = {(str(raw), p, r) for p in ("a", "b") for r in range(1, 12)}
        return all(
            live.nodes((str(raw), p, r)) == fresh.nodes((str(raw), p, r)) for _, p, r in keys
        ) and all(live.runs(str(raw), p) == fresh.runs(str(raw), p) for p in ("a", "b"))

    rng = random.Random(5)
    samples = [model.add(0, "Sample") for _ in range(3)]
    groups = [model.add(s, "TaskGroup") for s in samples]
    tasks = []
    for i in range(200):
        action = rng.random()
        if action < 0.4 or not tasks:
            parent = rng.choice(samples + groups)
            params = dc(raw, prefix=rng.choice("ab"), run_number=rng.randint(1, 10))
            tasks.append(model.add(parent, "DataCollection", params))
        elif action < 0.6:
            model.update_parameters(rng.choice(tasks), {"run_number": rng.randint(1, 10)})
        elif action < 0.8:
            model.move(rng.choice(tasks), rng.choice(samples + groups))
        else:
            model.remove([tasks.pop(rng.randrange(len(tasks)))])
        assert same(), f"differs after step {i}"
    model.remove([samples[0]])  # a whole subtree, with its group
    assert same()
    nodes, next_id, _ = model.snapshot()
    model.clear()
    assert live.runs(str(raw), "a") == set()
    model.load(nodes.values(), next_id)
    assert same() and live.runs(str(raw), "a")
    live.close()
    model.add(samples[1], "DataCollection", dc(raw, prefix="a", run_number=11))
    assert 11 not in live.runs(str(raw), "a")  # closed: no longer following


def test_closing_a_following_index_disconnects_every_handler_it_connected():
    model = QueueModel()
    before = {signal: model.receivers(signal) for signal in QueueModel.SIGNALS}
    live = QueueRuns(model, follow=True)
    followed = {s for s in QueueModel.SIGNALS if model.receivers(s) > before[s]}
    assert followed == {"nodeAdded", "nodeRemoved", "nodeMoved", "nodeChanged", "modelReset"}
    live.close()
    assert {signal: model.receivers(signal) for signal in QueueModel.SIGNALS} == before
