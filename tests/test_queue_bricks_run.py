"""Running the queue from the bricks: confirm, watch the statuses, find the files and
the history rows; pause, stop, skip; a centring request answered from the control brick.

Each run test runs twice: on a small fake engine (it writes empty files), and on the
real ``QueueEngine`` with the simulated beamline (real CBF files, samples mounted by
the simulated sample changer, centring answered with "Use current position").
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from PyQt5.QtCore import Qt
from test_queue_bricks import click_node, present_addresses, shown

from mxgui.core.errors import Refused
from mxgui.core.queue.engine import QueueEngine
from mxgui.core.queue.nodes import ROOT_ID, walk
from mxgui.core.signals import SignalEmitter
from mxgui.gui.queue.history_model import FILES, SAMPLE, STATUS, TASK
from mxgui.gui.queue.tree_model import STATUS as TREE_STATUS

from helpers import SIMULATED, TEST_LAYOUTS, quick_collect_overrides, type_into

LAYOUT = TEST_LAYOUTS / "queue.yml"


class FakeEngine(SignalEmitter):
    """The engine's interface, running tasks in a thread: each writes ``num_images``
    empty files named as the collect names them, then succeeds."""

    SIGNALS = QueueEngine.SIGNALS  # the fake emits exactly what the real one declares

    def __init__(self, model, history, seconds_per_task: float = 0.0) -> None:
        super().__init__()
        self.model, self.history = model, history
        self.seconds_per_task = seconds_per_task
        self.continue_on_failure = True
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._paused = False

    def run_all(self) -> None:
        self._start(ROOT_ID)

    def run(self, node_id: int) -> None:
        self._start(node_id)

    def run_nodes(self, node_ids) -> None:
        self._start(node_ids[0])  # the brick tests here run one node at a time

    def is_centred(self, location, node_id=None) -> bool:
        return False  # the fake has no goniometer: nothing is ever centred

    def _start(self, scope: int) -> None:
        if self.is_running():
            raise Refused("the queue is already running")
        self._stop.clear()
        self._thread = threading.Thread(target=self._main, args=(scope,), name="fake engine")
        self._thread.start()

    def _main(self, scope: int) -> None:
        self.emit("executionStarted")
        nodes, _, _ = self.model.snapshot()
        for node in walk(nodes, scope, enabled_only=True):
            if not node.is_task or node.has_run:
                continue
            if self._stop.is_set():
                self.emit("executionFinished", "stopped")
                return
            self.emit("entryStarted", node.id)
            self.model.set_status(node.id, "running")
            p = node.parameters
            directory = Path(p["directory"])
            directory.mkdir(parents=True, exist_ok=True)
            files = []
            for number in range(1, p["num_images"] + 1):
                path = directory / f"{p['prefix']}_{p['run_number']}_{number:05d}.cbf"
                path.write_bytes(b"")
                files.append(str(path))
                self.emit("progressChanged", node.id, number / p["num_images"])
            time.sleep(self.seconds_per_task)
            done = self.model.set_status(node.id, "success", "", files)
            sample = self.model.get_node(self.model.sample_of(node.id))
            self.history.record(done, sample)
            self.emit("entryFinished", node.id, "success", "")
        self.emit("executionFinished", "success")

    def pause(self) -> None:
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def stop(self) -> None:
        self._stop.set()

    def skip(self) -> bool:
        return False

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def is_paused(self) -> bool:
        return self._paused

    def current_node(self) -> int | None:
        return None

    def set_continue_on_failure(self, go_on: bool) -> None:
        self.continue_on_failure = go_on

    def provide_centring(self, node_id: int, position) -> bool:
        return False

    def shutdown(self) -> None:
        self.stop()
        if self._thread is not None:
            self._thread.join(5)


def fast_beamline(tmp_path: Path) -> list[Path]:
    """Repository directories: quick shutters, phases and sample changer; data in
    ``tmp_path/data``."""
    overrides = quick_collect_overrides(tmp_path)
    text = (SIMULATED / "sample_changer.xml").read_text()
    (overrides / "sample_changer.xml").write_text(
        re.sub(r"<speed_factor>[^<]*</speed_factor>", "<speed_factor>0.001</speed_factor>", text)
    )
    return [overrides, SIMULATED]


@pytest.fixture(params=["fake", "real"])
def running_app(request, make_app, tmp_path, qtbot):
    """The queue layout on a fast beamline, with the fake or the real engine."""
    app = make_app(LAYOUT, fast_beamline(tmp_path))
    queue = app.repository.get("/queue")
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    if request.param == "fake":
        queue.set_engine(FakeEngine(queue.model, queue.history))
        qtbot.waitUntil(lambda: isinstance(bricks["control"].engine, FakeEngine), timeout=2000)
    else:
        assert bricks["control"].engine is queue.engine is not None
    return request.param, app, queue, bricks, tmp_path / "data"


def click_when_shown(qtbot, button) -> None:
    """Click ``button`` once it is shown and laid out (a user cannot click it before)."""
    qtbot.waitUntil(lambda: button.isVisible() and not button.rect().isEmpty(), timeout=10_000)
    qtbot.mouseClick(button, Qt.LeftButton)


def build_three_collections(qtbot, queue, bricks) -> list[int]:
    """Three samples, a 3-image collection each, made and edited through the bricks."""
    tree, toolbox, params = bricks["tree"], bricks["toolbox"], bricks["parameters"]
    samples = queue.add_samples_from_changer(present_addresses(queue, 3))
    tree.select_nodes(samples)
    qtbot.waitUntil(lambda: toolbox.targets() == samples, timeout=2000)
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    qtbot.waitUntil(lambda: all(len(shown(tree, s)) == 1 for s in samples), timeout=3000)
    tasks = [shown(tree, s)[0] for s in samples]
    for task in tasks:
        click_node(qtbot, tree, task)
        qtbot.waitUntil(lambda t=task: params.node_id == t, timeout=2000)
        type_into(qtbot, params.form.editors["num_images"], "3")
        assert queue.model.get_node(task).parameters["num_images"] == 3
    return tasks


def test_run_all_confirmed_writes_the_files_and_the_history(running_app, qtbot):
    kind, _app, queue, bricks, data = running_app
    control, history, tree = bricks["control"], bricks["history"], bricks["tree"]
    tasks = build_three_collections(qtbot, queue, bricks)
    qtbot.waitUntil(control.run_all_button.isEnabled, timeout=2000)
    qtbot.mouseClick(control.run_all_button, Qt.LeftButton)
    dialog = control.confirm_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=2000)
    assert dialog.summary["tasks"] == 3 and dialog.images_label.text() == "9"
    assert dialog.time_label.text() == "about 30 s"  # 9 x 0.01 s + 10 s per task
    assert "MB of" in dialog.disk_label.text() and dialog.summary["collisions"] == []
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)

    def finished() -> bool:
        if control.centring_box.isVisible():  # the real engine asks, as it mounts each
            click_when_shown(qtbot, control.use_position_button)
        return all(queue.model.get_node(t).status == "success" for t in tasks)

    qtbot.waitUntil(finished, timeout=60_000)
    idle = "Idle: the last run ended with success"
    qtbot.waitUntil(lambda: control.current_label.text() == idle, timeout=10_000)
    assert control.run_all_button.isEnabled() and not control.stop_button.isEnabled()
    for task in tasks:
        node = queue.model.get_node(task)
        p = node.parameters
        expected = [
            str(Path(p["directory"]) / f"{p['prefix']}_{p['run_number']}_{n:05d}.cbf")
            for n in (1, 2, 3)
        ]
        assert [f for f in node.files if f.endswith(".cbf")] == expected
        assert all(Path(f).is_file() for f in expected)
        assert Path(p["directory"]).is_relative_to(data)
        if kind == "real":
            assert Path(expected[0]).read_bytes().startswith(b"###CBF")
        qtbot.waitUntil(lambda t=task: tree.tree.index_of(t, TREE_STATUS).data() == "success")
    table = history.table
    qtbot.waitUntil(
        lambda: sum(table.entry(r).type == "DataCollection" for r in range(table.rowCount())) == 3,
        timeout=2000,
    )
    rows = [r for r in range(table.rowCount()) if table.entry(r).type == "DataCollection"]
    # newest first: the last collection on top
    assert [table.entry(r).node_id for r in rows] == tasks[::-1]
    for row in rows:
        entry = table.entry(row)
        assert table.index(row, STATUS).data() == "success"
        assert table.index(row, SAMPLE).data() == entry.sample != ""
        assert table.index(row, TASK).data() == f"DataCollection {entry.name}"
        assert table.index(row, FILES).data().startswith(f"{len(entry.files)} files: ")
        assert len([f for f in entry.files if f.endswith(".cbf")]) == 3
        assert entry.files[0] in table.index(row, FILES).data(Qt.ToolTipRole)
    # nothing left to run: the dialog says so and cannot start
    qtbot.mouseClick(control.run_all_button, Qt.LeftButton)
    dialog = control.confirm_dialog
    assert dialog.summary["tasks"] == 0 and not dialog.run_button.isEnabled()
    dialog.reject()


def test_collisions_are_shown_and_renumbered_before_the_run(running_app, qtbot):
    kind, _app, queue, bricks, _data = running_app
    control = bricks["control"]
    tasks = build_three_collections(qtbot, queue, bricks)
    first = queue.model.get_node(tasks[0]).parameters
    # a file of the first task's run is already on disk
    Path(first["directory"]).mkdir(parents=True, exist_ok=True)
    existing = Path(first["directory"]) / f"{first['prefix']}_{first['run_number']}_00001.cbf"
    existing.write_bytes(b"keep me")
    dialog = control.run_node(tasks[0])
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert len(dialog.summary["collisions"]) == 1
    assert "files of that run are already on disk" in dialog.collisions.item(0).text()
    assert dialog.renumber_box.isChecked()
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)

    def finished() -> bool:
        if control.centring_box.isVisible():
            click_when_shown(qtbot, control.use_position_button)
        return queue.model.get_node(tasks[0]).status == "success"

    qtbot.waitUntil(finished, timeout=60_000)
    assert queue.model.get_node(tasks[0]).parameters["run_number"] == first["run_number"] + 1
    assert existing.read_bytes() == b"keep me"
    assert all(queue.model.get_node(t).status == "not_executed" for t in tasks[1:])
    qtbot.waitUntil(lambda: not control.is_running(), timeout=10_000)


@pytest.fixture
def real_app(make_app, tmp_path, qtbot):
    """The queue layout on a fast beamline with the real engine."""
    app = make_app(LAYOUT, fast_beamline(tmp_path))
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    return app.repository.get("/queue"), bricks


def test_pause_resume_stop_and_run_again_from_the_control_brick(real_app, qtbot):
    queue, bricks = real_app
    control = bricks["control"]
    tasks = build_three_collections(qtbot, queue, bricks)
    for task in tasks:  # long enough to press the buttons: 2 s each
        queue.model.update_parameters(task, {"num_images": 200})
    qtbot.mouseClick(control.run_all_button, Qt.LeftButton)
    qtbot.mouseClick(control.confirm_dialog.run_button, Qt.LeftButton)
    click_when_shown(qtbot, control.use_position_button)
    assert "Waiting for centring of " in control.centring_label.text()
    qtbot.waitUntil(lambda: queue.model.get_node(tasks[0]).status == "running", timeout=10_000)
    qtbot.waitUntil(lambda: control.current_label.text().startswith("Running DataCollection"))
    assert not control.run_all_button.isEnabled()
    assert control.stop_button.isEnabled() and control.skip_button.isEnabled()
    qtbot.mouseClick(control.pause_button, Qt.LeftButton)
    assert control.pause_button.text() == "Resume" and not control.skip_button.isEnabled()
    qtbot.mouseClick(control.pause_button, Qt.LeftButton)
    assert control.pause_button.text() == "Pause"
    qtbot.mouseClick(control.stop_button, Qt.LeftButton)
    idle = "Idle: the last run was stopped"
    qtbot.waitUntil(lambda: control.current_label.text() == idle, timeout=10_000)
    assert control.run_all_button.isEnabled()
    stopped = queue.model.get_node(tasks[0])
    assert stopped.status == "stopped" and "stopped" in stopped.message
    # run again after the stop: the second sample, whose centring the user cancels
    second = queue.model.sample_of(tasks[1])
    dialog = control.run_node(second)
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)
    click_when_shown(qtbot, control.cancel_centring_button)
    qtbot.waitUntil(lambda: queue.model.get_node(second).status == "failed", timeout=10_000)
    assert queue.model.get_node(second).message == "centring cancelled"
    qtbot.waitUntil(lambda: control.run_all_button.isEnabled(), timeout=10_000)
    assert not control.centring_box.isVisible()


def test_the_control_brick_follows_each_signal_of_the_engine_and_lets_go(running_app):
    _kind, _app, _queue, bricks, _data = running_app
    engine = bricks["control"].engine
    with_control = {s: engine.receivers(s) for s in QueueEngine.SIGNALS}
    bricks["control"].cleanup()
    without = {s: engine.receivers(s) for s in QueueEngine.SIGNALS}
    assert {s: with_control[s] - without[s] for s in QueueEngine.SIGNALS} == dict.fromkeys(
        QueueEngine.SIGNALS, 1
    )
