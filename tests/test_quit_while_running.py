"""Issue 11, item 13: Ctrl+Q or closing the window during a collection used to quit at
once and abort it. Now mxgui asks first: on No nothing happens and the collection goes
on; on Yes the queue stops at a safe point (after the image being taken), the queue
file is saved with the final statuses and files, then mxgui quits."""

from __future__ import annotations

import threading
from pathlib import Path

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QMessageBox
from test_queue_bricks import present_addresses
from test_queue_bricks_run import fast_beamline

from mxgui.core.queue.queue_file import read as read_queue_file

from helpers import TEST_LAYOUTS

LAYOUT = TEST_LAYOUTS / "queue.yml"
#: far more images than the test lets it take: the collection runs until stopped
IMAGES = 5000


class ImageCounter:
    """Counts the images the collect takes (signals come from its thread)."""

    def __init__(self, collect) -> None:
        self.count = 0
        self._lock = threading.Lock()
        collect.connect("collectImageTaken", self._taken)

    def _taken(self, *_args) -> None:
        with self._lock:
            self.count += 1


def start_a_long_collection(qtbot, app) -> tuple[int, ImageCounter]:
    """One sample with a long collection, run from the control brick; returns the
    task's id once images are being taken."""
    queue = app.repository.get("/queue")
    control = app.built.bricks["queue_control"]
    (sample,) = queue.add_samples_from_changer(present_addresses(queue, 1))
    queue.model.update_parameters(sample, {"centring": "none"})
    task = queue.add_task(sample, "DataCollection", {"num_images": IMAGES})
    images = ImageCounter(app.repository.get("/collect"))
    qtbot.mouseClick(control.run_all_button, Qt.LeftButton)
    qtbot.mouseClick(control.confirm_dialog.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: images.count >= 3, timeout=30_000)
    assert queue.model.get_node(task).status == "running"
    return task, images


def ctrl_q(qtbot, main) -> None:
    """Ctrl+Q in the main window, as the user presses it."""
    main.activateWindow()
    qtbot.waitUntil(main.isActiveWindow, timeout=2000)
    qtbot.keyClick(main, Qt.Key_Q, Qt.ControlModifier)


def press_ctrl_q(qtbot, app) -> QMessageBox:
    """Ctrl+Q in the main window; the question it opens."""
    guard = app.quit_guard
    ctrl_q(qtbot, app.windows[0])
    qtbot.waitUntil(lambda: guard.dialog is not None and guard.dialog.isVisible(), timeout=2000)
    return guard.dialog


def test_quit_during_a_collection_asks_and_stops_at_a_safe_point_then_saves(
    make_app, qtbot, tmp_path
):
    app = make_app(LAYOUT, fast_beamline(tmp_path))
    main, queue = app.windows[0], app.repository.get("/queue")
    task, images = start_a_long_collection(qtbot, app)

    # Ctrl+Q: asked first; No: nothing happens, the collection goes on
    question = press_ctrl_q(qtbot, app)
    assert question.windowTitle() == "Quit while the queue runs?"
    assert f"DataCollection {task}" in question.text()
    assert main.isVisible()
    qtbot.mouseClick(question.button(QMessageBox.No), Qt.LeftButton)
    assert not question.isVisible() and main.isVisible() and queue.engine.is_running()
    taken = images.count
    qtbot.waitUntil(lambda: images.count >= taken + 5, timeout=30_000)
    assert queue.model.get_node(task).status == "running"

    # the window's close button: asked again; Yes: stop, save, quit
    main.close()
    guard = app.quit_guard
    qtbot.waitUntil(lambda: guard.dialog.isVisible(), timeout=2000)
    assert main.isVisible()
    qtbot.mouseClick(guard.dialog.button(QMessageBox.Yes), Qt.LeftButton)
    qtbot.waitUntil(lambda: not main.isVisible(), timeout=60_000)
    assert not any(window.isVisible() for window in app.windows)
    assert not queue.engine.is_running()

    node = queue.model.get_node(task)
    assert node.status == "stopped" and node.message.startswith("stopped by user")
    written = [f for f in node.files if f.endswith(".cbf")]
    assert 0 < len(written) < IMAGES
    on_disk = sorted(str(p) for p in Path(node.parameters["directory"]).glob("*.cbf"))
    assert sorted(written) == on_disk  # every image written is complete and recorded
    # the queue file already holds the final state: status, message and files
    saved = {n.id: n for n in read_queue_file(queue.path).nodes}
    assert saved[task].status == "stopped" and saved[task].files == node.files


def test_closing_when_the_queue_is_idle_quits_without_a_question(make_app, qtbot):
    app = make_app(LAYOUT)
    main = app.windows[0]
    qtbot.waitUntil(main.isVisible, timeout=2000)
    ctrl_q(qtbot, main)
    qtbot.waitUntil(lambda: not main.isVisible(), timeout=2000)
    assert app.quit_guard.dialog is None


def test_when_the_queue_cannot_be_saved_mxgui_stays_open_and_says_why(make_app, qtbot, tmp_path):
    app = make_app(LAYOUT, fast_beamline(tmp_path))
    main, queue = app.windows[0], app.repository.get("/queue")
    task, _images = start_a_long_collection(qtbot, app)
    qtbot.waitUntil(queue.path.exists, timeout=10_000)
    queue.path.unlink()
    queue.path.mkdir()  # the queue file cannot be written any more
    qtbot.mouseClick(press_ctrl_q(qtbot, app).button(QMessageBox.Yes), Qt.LeftButton)
    guard = app.quit_guard
    qtbot.waitUntil(
        lambda: guard.dialog.objectName() == "queue_not_saved" and guard.dialog.isVisible(),
        timeout=60_000,
    )
    assert str(queue.path) in guard.dialog.text() and main.isVisible()
    assert queue.model.get_node(task).status == "stopped"
    qtbot.mouseClick(guard.dialog.button(QMessageBox.Ok), Qt.LeftButton)
    ctrl_q(qtbot, main)  # quit again: leave without saving it
    qtbot.waitUntil(lambda: not main.isVisible(), timeout=2000)
