"""The queue survives: saved on every change, restored when mxgui starts again (the user
is asked after a crash), a corrupt file set aside with a message, export and import."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QFileDialog, QMessageBox
from test_queue_bricks import present_addresses, shown

from mxgui.core.queue.nodes import ROOT_ID
from mxgui.gui.application import MxguiApplication
from mxgui.gui.queue.tree_model import STATUS

from helpers import SIMULATED, TEST_LAYOUTS

LAYOUT = TEST_LAYOUTS / "queue.yml"


def bricks_of(app) -> dict:
    return {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}


def queue_file() -> Path:
    return Path(os.environ["MXGUI_DATA_DIR"]) / ".mxgui" / "queue.json"


def build(qtbot, app) -> tuple[list[int], list[int]]:
    """Two samples with a collection each (made as the toolbox makes them); the second
    collection has run."""
    queue = app.repository.get("/queue")
    tree, toolbox = bricks_of(app)["tree"], bricks_of(app)["toolbox"]
    samples = queue.add_samples_from_changer(present_addresses(queue, 2))
    tree.select_nodes(samples)
    qtbot.waitUntil(lambda: toolbox.targets() == samples, timeout=2000)
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    tasks = [queue.model.children(s)[0] for s in samples]
    queue.model.set_status(tasks[1], "running")
    queue.model.set_status(tasks[1], "success", "", ["/data/a_1_00001.cbf"])
    queue.history.record(queue.model.get_node(tasks[1]), queue.model.get_node(samples[1]))
    queue.model.set_enabled(samples[0], False)
    return samples, tasks


def test_the_queue_is_saved_and_restored_when_mxgui_starts_again(make_app, qtbot):
    first = MxguiApplication([SIMULATED], LAYOUT)
    try:
        first.start()
        samples, tasks = build(qtbot, first)
        queue = first.repository.get("/queue")
        qtbot.waitUntil(lambda: queue_file().exists() and not queue.store.dirty, timeout=5000)
        assert queue.marker_path.exists()  # an mxgui uses the file
        saved = {n.id: n for n in queue.model.iter_nodes()}
    finally:
        for window in first.windows:
            window.close()
        first.stop()
        for window in first.windows:
            window.deleteLater()
    assert not queue.marker_path.exists()  # a clean stop
    app = make_app(LAYOUT)
    again = app.repository.get("/queue")
    assert app.queue_prompt.dialog is None  # nothing to ask after a clean stop
    tree = bricks_of(app)["tree"]
    assert shown(tree) == samples and [shown(tree, s) for s in samples] == [[t] for t in tasks]
    for node_id, node in saved.items():
        restored = again.model.get_node(node_id)
        assert (restored.parameters, restored.status, restored.enabled, restored.files) == (
            node.parameters,
            node.status,
            node.enabled,
            node.files,
        )
    assert tree.tree.index_of(tasks[1], STATUS).data() == "success"
    assert tree.tree.index_of(samples[0]).data(Qt.CheckStateRole) == Qt.Unchecked
    assert tree.message.text().startswith("Restored 4 queue nodes and 1 history entries")
    assert bricks_of(app)["history"].table.rowCount() == 1
    # run numbers are not given again: the next collection of that sample moves on
    used = again.model.get_node(tasks[1]).parameters["run_number"]
    added = again.add_task(samples[1], "DataCollection")
    assert again.model.get_node(added).parameters["run_number"] == used + 1


def crashed_queue(qtbot, make_app, tmp_path, monkeypatch) -> Path:
    """A data directory holding the queue file of an mxgui that crashed (its marker
    left), built by a first app in another data directory."""
    app = make_app(LAYOUT)
    build(qtbot, app)
    queue = app.repository.get("/queue")
    assert queue.store.flush()
    crashed = tmp_path / "crashed"
    (crashed / ".mxgui").mkdir(parents=True)
    shutil.copy(queue.path, crashed / ".mxgui" / "queue.json")
    shutil.copy(queue.marker_path, crashed / ".mxgui" / "queue.json.running")
    monkeypatch.setenv("MXGUI_DATA_DIR", str(crashed))
    return crashed / ".mxgui" / "queue.json"


def test_after_a_crash_the_user_keeps_the_restored_queue(make_app, qtbot, tmp_path, monkeypatch):
    path = crashed_queue(qtbot, make_app, tmp_path, monkeypatch)
    app = make_app(LAYOUT)
    queue = app.repository.get("/queue")
    assert queue.path == path and queue.crashed
    dialog = app.queue_prompt.dialog
    assert dialog is not None and dialog.isVisible()
    assert "did not stop cleanly" in dialog.text() and "(4 entries)" in dialog.text()
    keep = next(b for b in dialog.buttons() if b.text() == "Keep the queue")
    qtbot.mouseClick(keep, Qt.LeftButton)
    assert app.queue_prompt.answer == "restore"
    assert len(queue.model) == 4 and len(shown(bricks_of(app)["tree"])) == 2


def test_after_a_crash_the_user_starts_empty_and_the_file_is_kept(
    make_app, qtbot, tmp_path, monkeypatch
):
    path = crashed_queue(qtbot, make_app, tmp_path, monkeypatch)
    text = path.read_text()
    app = make_app(LAYOUT)
    queue, tree = app.repository.get("/queue"), bricks_of(app)["tree"]
    dialog = app.queue_prompt.dialog
    empty = next(b for b in dialog.buttons() if b.text() == "Start empty")
    qtbot.mouseClick(empty, Qt.LeftButton)
    assert app.queue_prompt.answer == "discard"
    assert len(queue.model) == 0
    qtbot.waitUntil(lambda: shown(tree) == [], timeout=2000)
    kept = list(path.parent.glob("queue.json.discarded-*"))
    assert len(kept) == 1 and kept[0].read_text() == text
    assert str(kept[0]) in app.queue_prompt.message
    assert len(queue.history) == 1  # the history (its run numbers) stays


def test_a_corrupt_queue_file_is_set_aside_and_the_app_starts_empty(make_app, qtbot):
    path = queue_file()
    path.parent.mkdir(parents=True)
    path.write_text('{"format_version": 1, "next_id": 3, "nodes": [\n{"id": 0, oops}\n]}\n')
    app = make_app(LAYOUT)
    queue, tree = app.repository.get("/queue"), bricks_of(app)["tree"]
    assert len(queue.model) == 0 and shown(tree) == []
    bad = list(path.parent.glob("queue.json.bad-*"))
    assert len(bad) == 1 and "oops" in bad[0].read_text()
    dialog = app.queue_prompt.dialog
    assert dialog.isVisible() and dialog.icon() == QMessageBox.Warning
    assert f"{path}:2:" in dialog.text() and "not valid JSON" in dialog.text()
    assert f"it was kept as {bad[0]}" in dialog.text()
    assert tree.message.text() == dialog.text()
    assert "b71c1c" in tree.message.styleSheet()
    # the queue works: a sample added now is saved in a new file
    queue.add_sample(None, "fresh")
    qtbot.waitUntil(lambda: path.exists() and "fresh" in path.read_text(), timeout=5000)


def test_a_newer_queue_file_is_refused_with_a_clear_message(make_app):
    path = queue_file()
    path.parent.mkdir(parents=True)
    path.write_text('{"format_version": 99, "next_id": 1, "nodes": [], "history": []}')
    app = make_app(LAYOUT)
    assert "was written by a newer mxgui" in app.queue_prompt.dialog.text()
    assert len(app.repository.get("/queue").model) == 0


@pytest.fixture
def file_dialogs(monkeypatch):
    """Answers for the file dialogs: set ``answers["save"]`` / ``answers["open"]``."""
    answers = {"save": "", "open": ""}
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (answers["save"], ""))
    )
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (answers["open"], ""))
    )
    return answers


def test_export_then_import_as_json(make_app, qtbot, tmp_path, file_dialogs):
    app = make_app(LAYOUT)
    samples, tasks = build(qtbot, app)
    queue, tree = app.repository.get("/queue"), bricks_of(app)["tree"]
    exported = tmp_path / "my queue.json"
    file_dialogs["save"] = str(exported)
    tree.export_action.trigger()
    assert tree.message.text() == f"Exported 4 nodes to {exported}"
    queue.model.remove(samples)
    qtbot.waitUntil(lambda: shown(tree) == [], timeout=2000)
    file_dialogs["open"] = str(exported)
    tree.import_action.trigger()
    qtbot.waitUntil(lambda: len(shown(tree)) == 2, timeout=2000)
    assert tree.message.text() == f"Imported 2 samples from {exported}"
    new_samples = shown(tree)
    assert set(new_samples).isdisjoint(samples)  # new ids: ids are never reused
    new_tasks = [queue.model.children(s)[0] for s in new_samples]
    old = [queue.history.entries()[0].parameters]
    for task in new_tasks:  # imported as a plan: not run
        assert queue.model.get_node(task).status == "not_executed"
    assert not queue.model.get_node(new_samples[0]).enabled
    # the run number the history used is not given again
    reimported = queue.model.get_node(new_tasks[1]).parameters
    assert reimported["prefix"] == old[0]["prefix"]
    assert reimported["run_number"] != old[0]["run_number"]
    assert tree.selected_ids() == new_samples


def test_importing_a_bad_file_says_why_and_changes_nothing(make_app, qtbot, tmp_path, file_dialogs):
    app = make_app(LAYOUT)
    queue, tree = app.repository.get("/queue"), bricks_of(app)["tree"]
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    file_dialogs["open"] = str(bad)
    tree.import_action.trigger()
    assert tree.message.text().startswith(f"Nothing imported from {bad}: {bad}:1:")
    assert "not valid JSON" in tree.message.text()
    refused = tmp_path / "refused.json"
    refused.write_text(
        '{"format_version": 0, "queue": [{"type": "Sample", "parameters": {"location": "1:01"},'
        ' "children": [{"type": "DataCollection", "parameters": {"transmission": 300,'
        ' "directory": "/tmp/x", "prefix": "p"}}]}]}'
    )
    file_dialogs["open"] = str(refused)
    tree.import_action.trigger()
    assert "transmission: 300 % is above" in tree.message.text()
    assert queue.model.children(ROOT_ID) == ()
    file_dialogs["open"] = ""  # cancelled: nothing happens
    tree.import_action.trigger()
    assert "transmission" in tree.message.text()


def test_check_leaves_a_corrupt_queue_file_for_the_next_start_to_report(make_app, tmp_path):
    """``mxgui --check`` names the bad queue file but changes nothing on disk; the next
    real start still sets it aside and says so."""
    from test_check_command import mxgui

    path = queue_file()
    path.parent.mkdir(parents=True)
    original = b'{"format_version": 1, "next_id": 3, "nodes": [\n{"id": 0, oops}\n]}\n'
    path.write_bytes(original)
    before = sorted(p.name for p in path.parent.iterdir())
    result = mxgui("--check", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and failed[0].startswith("FAILED  /queue (QueueHardwareObject): ")
    assert f"{path}:2:" in failed[0] and "will move the file aside" in failed[0]
    assert result.stdout.splitlines()[-1] == "check failed"
    assert sorted(p.name for p in path.parent.iterdir()) == before == ["queue.json"]
    assert path.read_bytes() == original
    app = make_app(LAYOUT)
    bad = list(path.parent.glob("queue.json.bad-*"))
    assert len(bad) == 1 and bad[0].read_bytes() == original
    assert f"it was kept as {bad[0]}" in app.queue_prompt.dialog.text()
    assert bricks_of(app)["tree"].message.text() == app.queue_prompt.dialog.text()
