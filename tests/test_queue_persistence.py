"""The queue file: round trip, coalesced atomic writes, bad files kept aside, migration."""

from __future__ import annotations

import json
import os
import re
import stat
import threading
import time

import pytest

from mxgui.core.queue import History, QueueModel, QueueStore, queue_file, restore, settle
from mxgui.core.queue.persistence import INTERRUPTED
from mxgui.core.queue.queue_file import pack_files, unpack_files

from helpers import threads_left, wait_for


def dc(**overrides) -> dict:
    values = {"directory": "/data/mx1234/RAW_DATA", "prefix": "lyso", "num_images": 1800}
    values.update(overrides)
    return values


def a_queue() -> tuple[QueueModel, History]:
    """Two samples, a group, statuses, files, results, history: everything a file holds."""
    model, history = QueueModel(), History()
    s1 = model.add(0, "Sample", {"location": "2:05", "name": "x1", "protein_acronym": "lyso"})
    done = model.add(s1, "DataCollection", dc(run_number=1))
    group = model.add(s1, "TaskGroup", name="wedges")
    model.add(group, "DataCollection", dc(run_number=2, osc_start=90.0))
    model.add(group, "Characterisation", dc(prefix="ref-lyso", num_images=4))
    s2 = model.add(0, "Sample", {"name": "manual"})
    model.add(s2, "EnergyScan", {"directory": "/d", "prefix": "se"})
    model.set_enabled(s2, False)
    model.set_status(done, "running")
    files = [f"/data/mx1234/RAW_DATA/lyso_1_{n:05d}.cbf" for n in range(1, 1801)]
    model.set_status(done, "success", "1800 images", [*files, "/d/lyso_1_snapshot_1.png"])
    model.update_results(done, {"lims_id": 42})
    history.record(model.get_node(done), model.get_node(s1))
    return model, history


def test_a_saved_queue_comes_back_the_same(tmp_path):
    model, history = a_queue()
    store = QueueStore(tmp_path / "queue.json", model, history)
    store.start()
    model.remove([model.add(1, "DataCollection", dc(run_number=9))])  # ids used up: 9
    assert store.flush() and store.writes == 1
    store.stop()
    text = (tmp_path / "queue.json").read_text()
    assert '"pattern":"/data/mx1234/RAW_DATA/lyso_1_%05d.cbf","first":1,"last":1800' in text
    again, again_history = QueueModel(), History()
    result = restore(tmp_path / "queue.json", again, again_history)
    assert result.restored and result.nodes == 7 and result.bad_file is None
    assert "Restored 7 queue nodes and 1 history entries" in result.message
    assert [n.to_dict() for n in again.iter_nodes()] == [n.to_dict() for n in model.iter_nodes()]
    assert again_history.entries() == history.entries()
    assert again.next_id == model.next_id == 9
    assert again.add(1, "DataCollection", dc(run_number=3)) == 9  # ids are not reused
    assert again.get_node(4).name == "lyso_2" and again.get_node(3).name == "wedges"


def test_a_burst_of_changes_writes_a_few_files_not_one_per_change(tmp_path):
    model, history = QueueModel(), History()
    store = QueueStore(tmp_path / "queue.json", model, history, quiet=0.2, max_delay=5.0)
    store.start()
    sample = model.add(0, "Sample")
    for run in range(1, 1001):
        model.add(sample, "DataCollection", dc(run_number=run))
    wait_for(lambda: not store.dirty)
    assert 1 <= store.writes <= 3, store.writes
    written = store.writes
    model.set_status(sample, "running")  # one more change, after a pause: one more write
    wait_for(lambda: store.writes == written + 1)
    time.sleep(0.3)
    assert store.writes == written + 1
    store.stop()
    data = json.loads((tmp_path / "queue.json").read_text())
    assert len(data["nodes"]) == 1002 and data["nodes"][1]["status"] == "running"


def test_a_long_burst_is_still_saved_every_max_delay(tmp_path):
    model, history = QueueModel(), History()
    store = QueueStore(tmp_path / "queue.json", model, history, quiet=0.2, max_delay=0.3)
    store.start()
    sample = model.add(0, "Sample")
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:  # never quiet for 0.2 s
        model.rename(sample, f"s{time.monotonic()}")
        time.sleep(0.01)
    assert store.writes >= 2
    store.stop()


def test_the_write_is_atomic_and_keeps_the_file_mode(tmp_path, monkeypatch):
    # written through mxgui.core.atomic_write (issue 12: one atomic write), with the
    # queue's choices: the replaced file's mode, synced to the disk
    path = tmp_path / "queue.json"
    path.write_text("the old queue")
    os.chmod(path, 0o640)
    model, history = a_queue()
    store = QueueStore(tmp_path / "other.json", model, history)
    store.export(path)
    assert [n.id for n in queue_file.read(path).nodes] == sorted(model.snapshot()[0])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    saved = path.read_text()

    def broken(*_args):
        raise OSError(28, "No space left on device")

    model.add(0, "Sample")
    for name in ("fsync", "replace"):
        with monkeypatch.context() as patch:
            patch.setattr(os, name, broken)
            with pytest.raises(OSError, match="No space left"):
                store.export(path)
        assert path.read_text() == saved
        assert os.listdir(tmp_path) == ["queue.json"]  # no temporary file left


def test_a_failed_write_is_reported_and_retried(tmp_path, monkeypatch):
    model, history = QueueModel(), History()
    store = QueueStore(tmp_path / "queue.json", model, history, quiet=0.05)
    real_replace = os.replace
    failing = threading.Event()
    failing.set()

    def replace(src, dst):
        if failing.is_set():
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    store.start()
    model.add(0, "Sample")
    wait_for(lambda: "No space left" in store.last_error)
    assert store.dirty and store.writes == 0
    failing.clear()  # space freed: the next attempt succeeds by itself
    wait_for(lambda: store.writes == 1 and not store.dirty)
    assert store.last_error == ""
    store.stop()


@pytest.mark.parametrize(
    "text, expected",
    [
        ('{"format_version": 1,\n"nodes": [\n{"id": 0,}', "queue.json:3:10: not valid JSON"),
        ("\xff\xfa", "not UTF-8 text"),
        ('{"format_version": 1, "next_id": 2, "nodes": [{"id": 0, "type": "Root", '
         '"status": "done"}]}', r"nodes\[0\] \(id 0\): status 'done' is not one of"),
        ('{"format_version": 1, "next_id": 3, "nodes": [{"id": 0, "type": "Root", "status": '
         '"not_executed", "parent": null, "children": [1]}, {"id": 1, "type": "DataCollection",'
         ' "status": "not_executed", "parent": 0}]}',
         "node 1: a DataCollection cannot go under a Root"),
        ('{"format_version": "one"}', "format_version: expected an integer"),
        ('{"format_version": 1, "next_id": 1, "nodes": [{"id": 0, "type": "Root", '
         '"status": "not_executed", "started": "yesterday"}]}',
         r"nodes\[0\] \(id 0\): started must be a time in seconds or null"),
        ('{"format_version": 1, "next_id": 1, "nodes": [{"id": 0, "type": "Root", '
         '"status": "not_executed"}], "history": [{"node_id": 3, "type": "DataCollection", '
         '"status": "success", "run_number": "3"}]}',
         r"history\[0\]: run_number: '3' has the wrong type"),
    ],
)  # fmt: skip
def test_a_corrupt_file_is_kept_aside_and_the_queue_starts_empty(tmp_path, text, expected):
    path = tmp_path / "queue.json"
    original = text.encode("latin-1") if text.startswith("\xff") else text.encode()
    path.write_bytes(original)
    model, history = a_queue()
    result = restore(path, model, history)
    assert not result.restored
    assert str(path) in result.message and "Starting with an empty queue" in result.message
    assert len(model) == 0 and len(history) == 0
    assert result.bad_file is not None and result.bad_file.name.startswith("queue.json.bad-")
    assert result.bad_file.read_bytes() == original
    assert not path.exists()
    assert re.search(expected, result.message), result.message


def test_a_file_from_a_newer_mxgui_is_refused_and_kept(tmp_path):
    path = tmp_path / "queue.json"
    path.write_text('{"format_version": 99, "next_id": 1, "nodes": [], "future": true}')
    model, history = QueueModel(), History()
    model.add(0, "Sample")
    result = restore(path, model, history)
    assert not result.restored and len(model) == 0
    assert "written by a newer mxgui" in result.message
    assert "format_version 99" in result.message and "formats up to 2" in result.message
    assert result.bad_file.read_text().startswith('{"format_version": 99')


@pytest.mark.parametrize(
    "text",
    ['{"format_version": 1, "next_id": 3, "nodes": [oops]}', '{"format_version": 0, "queue": []}'],
)
def test_a_read_only_restore_changes_nothing_until_settled(tmp_path, text):
    """A corrupt file (set aside) and an old format (converted) wait for ``settle``."""
    path = tmp_path / "queue.json"
    path.write_text(text)
    model, history = QueueModel(), History()
    result = restore(path, model, history, read_only=True)
    assert result.pending and result.bad_file is None
    assert [p.name for p in tmp_path.iterdir()] == ["queue.json"] and path.read_text() == text
    settled = settle(path, model, history, result)
    assert not settled.pending
    if result.problem:
        assert not path.exists() and settled.bad_file.read_text() == text
        assert f"it was kept as {settled.bad_file}" in settled.message
    else:
        assert json.loads(path.read_text())["format_version"] == queue_file.FORMAT_VERSION
        assert next(tmp_path.glob("queue.json.format0-*")).read_text() == text
        assert "was converted to format" in settled.message


def test_an_older_file_is_migrated_with_a_message_and_the_original_kept(tmp_path):
    path = tmp_path / "queue.json"
    old = {
        "format_version": 0,
        "queue": [
            {
                "type": "Sample",
                "parameters": {"location": "1:3", "name": "x7"},
                "children": [
                    {"type": "DataCollection", "parameters": dc(run_number=4)},
                    {"type": "TaskGroup", "name": "later", "children": []},
                ],
            }
        ],
    }
    path.write_text(json.dumps(old))
    model, history = QueueModel(), History()
    result = restore(path, model, history)
    assert result.restored and result.nodes == 3
    assert "was in format 0 and was converted to format 2" in result.message
    kept = next(tmp_path.glob("queue.json.format0-*"))
    assert json.loads(kept.read_text()) == old
    assert json.loads(path.read_text())["format_version"] == 2
    assert [(n.id, n.type, n.name) for n in model.iter_nodes()] == [
        (1, "Sample", "x7"),
        (2, "DataCollection", "lyso_4"),
        (3, "TaskGroup", "later"),
    ]
    assert model.get_node(1).parameters["location"] == "1:03"
    assert model.get_node(2).parameters["osc_range"] == 0.1  # a default filled in
    assert model.next_id == 4


def test_a_node_running_at_the_crash_comes_back_failed(tmp_path):
    model, history = a_queue()
    model.set_status(4, "running", "image 120 of 1800")
    store = QueueStore(tmp_path / "queue.json", model, history)
    store.start()
    store.flush()
    # the process dies here: no stop()
    again = QueueModel()
    result = restore(tmp_path / "queue.json", again, History())
    assert result.interrupted == 1 and "1 of them were running" in result.message
    node = again.get_node(4)
    assert (node.status, node.message) == ("failed", INTERRUPTED)
    store.stop()


def test_no_file_is_an_empty_queue_without_a_message(tmp_path):
    result = restore(tmp_path / "queue.json", QueueModel(), History())
    assert (result.restored, result.message, result.bad_file) == (False, "", None)


def test_stop_writes_what_is_unsaved_and_ends_the_writer_thread(tmp_path):
    before = set(threading.enumerate())
    model, history = QueueModel(), History()
    store = QueueStore(tmp_path / "queue.json", model, history, quiet=60.0, max_delay=60.0)
    store.start()
    model.add(0, "Sample", {"name": "last"})
    store.stop()
    assert not threads_left(before)
    assert '"name":"last"' in (tmp_path / "queue.json").read_text()
    model.add(0, "Sample")  # no longer listening, and no writer thread left to write it
    assert (tmp_path / "queue.json").read_text().count('"type":"Sample"') == 1


def test_file_lists_pack_consecutive_numbers_and_come_back_unchanged():
    files = [f"/d/p_1_{n:05d}.cbf" for n in range(1, 101)]
    files += ["/d/p_1_snapshot_1.png", "/d/p_1_snapshot_2.png", "/d/odd 100%.cbf", "/d/notes"]
    files += [f"/d/p_2_{n:05d}.cbf" for n in (7, 8, 10)]
    packed = pack_files(files)
    assert packed[0] == {"pattern": "/d/p_1_%05d.cbf", "first": 1, "last": 100}
    assert unpack_files(packed) == tuple(files)
    assert queue_file.unpack_files(json.loads(json.dumps(packed))) == tuple(files)
