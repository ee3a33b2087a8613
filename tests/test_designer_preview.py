"""The layout designer's preview is inert (issue 11, item 15).

The preview used to build its bricks on the live simulated beamline: a click on the
safety shutter's button in it opened the shutter, the user's queue was restored, the
workflow log written and an XML-RPC server started; each rebuild logged IndexErrors from
the sample view's grids. The preview now builds its bricks unconnected.
"""

from __future__ import annotations

import gc
import logging
import os
import threading
from pathlib import Path

from PyQt5.QtCore import Qt
from test_designer import add_motor_to_goniometer, designer  # noqa: F401 - the fixture

from bricks.queue_tree_brick import QueueTreeBrick
from bricks.shutter_brick import ShutterBrick
from hardware_objects.abstract.shutter import CLOSED, AbstractShutter
from mxgui.core.queue.persistence import default_queue_path
from mxgui.core.repository import HardwareRepository

from helpers import DEFAULT_LAYOUT, SIMULATED, events_delivered


def listening_sockets() -> set[int]:
    """The inodes of the TCP sockets this process listens on."""
    own = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            own.add(int(target[len("socket:[") : -1]))
    listening = set()
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                listening.add(int(fields[9]))
    return own & listening


def data_files() -> dict[str, tuple[bytes, int]]:
    """Every file below the user's data directory: its bytes and modification time."""
    root = Path(os.environ["MXGUI_DATA_DIR"])
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def write_users_queue() -> Path:
    """The user's queue file holding one sample, saved by the real queue object."""
    repository = HardwareRepository([SIMULATED])
    try:
        queue = repository.get("/queue")
        queue.model.add(0, "Sample", {"location": "2:05", "name": "users-crystal"})
    finally:
        repository.shutdown()
    path = default_queue_path()
    assert "users-crystal" in path.read_text()
    return path


def open_shutters() -> list[AbstractShutter]:
    """Live shutter objects (of any repository in this process) that are not closed."""
    gc.collect()
    return [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, AbstractShutter) and obj.config is not None
        if obj.get_value() != CLOSED
    ]


def test_a_click_in_the_preview_acts_on_nothing_and_the_preview_touches_nothing(
    designer,  # noqa: F811 - the fixture
    qtbot,
    caplog,
):
    write_users_queue()
    files_before = data_files()
    listening_before = listening_sockets()
    threads_before = set(threading.enumerate())
    shutters_open_before = open_shutters()

    window = designer(DEFAULT_LAYOUT)
    qtbot.waitUntil(lambda: window.preview.built is not None)
    bricks = window.preview.built.bricks
    shutter = bricks["safety_shutter"]
    assert isinstance(shutter, ShutterBrick) and shutter.failure is None
    assert "not connected to the hardware" in window.preview.status.text()

    # the user clicks the shutter's Open button in the preview
    with caplog.at_level(logging.WARNING):
        qtbot.mouseClick(shutter.button, Qt.LeftButton)
        events_delivered(qtbot)  # a (wrongly started) move would have begun
        # ... and rebuilds the preview a few times
        for _ in range(3):
            window.rebuild_action.trigger()
            events_delivered(qtbot)
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not problems, [f"{r.name}: {r.getMessage()}" for r in problems]

    # no hardware object exists, so nothing moved: no shutter opened
    assert window.repository.loaded() == {} and window.repository.failures == {}
    assert shutter.shutter is None
    assert window.preview.built.bricks["safety_shutter"].position_label.text() == "-"
    assert open_shutters() == shutters_open_before
    # the user's queue was not restored into the preview
    queue_tree = window.preview.built.bricks["queue_tree"]
    assert isinstance(queue_tree, QueueTreeBrick) and queue_tree.queue is None
    # no server, no hardware thread
    assert listening_sockets() == listening_before
    assert [t.name for t in threading.enumerate() if t not in threads_before] == []

    window.close()
    window.shutdown()
    # nothing in the user's data directory was written: same files, same bytes, same times
    assert data_files() == files_before


def test_the_preview_still_names_a_bad_hardware_object_file(qtbot, tmp_path):
    """Unconnected is not unchecked: a file the preview's brick names that does not load
    (its class is wrong here) makes the brick red with file:line, as ``mxgui`` would."""
    repository = tmp_path / "repository"
    repository.mkdir()
    (repository / "phi.xml").write_text(
        '<object class="simulated.motor.SimulatedMotor">\n  <velocity>fast</velocity>\n</object>\n'
    )
    layout = tmp_path / "layout.yml"
    layout.write_text(
        "format_version: 1\nwindows:\n  - name: main\n    content:\n      type: vbox\n"
        "      children:\n        - class: MotorBrick\n          name: phi\n"
        "          properties:\n            motor: /phi\n"
    )
    from mxgui.gui.designer.main_window import DesignerWindow

    window = DesignerWindow([repository], layout)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.preview.built is not None)
    brick = window.preview.built.bricks["phi"]
    assert brick.failure == (
        f"motor = /phi: {repository / 'phi.xml'}:2: property <velocity>: expected a number, "
        "got 'fast'"
    )
    assert window.repository.loaded() == {}
    window.close()
    window.shutdown()


def test_a_hardware_object_outside_the_repository_is_a_problem_not_a_crash(designer, qtbot):  # noqa: F811
    window = designer()
    add_motor_to_goniometer(qtbot, window, "/../../etc/x")
    qtbot.waitUntil(lambda: window.preview.built and "motor" in window.preview.built.bricks)
    window.preview.refresh()
    node = window.document.brick("motor")
    messages = [p.message for p in window.problems if p.item is node]
    leaves = "'/../../etc/x' leaves the repository directories (a name is a path inside them)"
    assert f"brick motor: motor = /../../etc/x: {leaves}" in messages
    assert window.preview.built.bricks["motor"].failure == f"motor = /../../etc/x: {leaves}"
    assert window.repository.loaded() == {}
