"""What many test modules share: where things are, beamline copies, what a user types."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from PyQt5.QtCore import QEvent, QObject, Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QApplication, QWidget

from mxgui.core.clock import Clock, ManualClock
from mxgui.core.hardware_object import HardwareObject

ROOT = Path(__file__).resolve().parents[1]
SIMULATED = ROOT / "HardwareRepository" / "simulated"
DEFAULT_LAYOUT = ROOT / "layouts" / "default.yml"
#: layouts written for the tests (``motors.yml`` is the first default, kept fixed)
TEST_LAYOUTS = Path(__file__).parent / "data" / "layouts"
MOTORS_LAYOUT = TEST_LAYOUTS / "motors.yml"
#: speeds of the centring motors that keep the tests' moves short
FAST_MOTORS = {"phi": 7200.0, "phiy": 50.0, "phiz": 50.0, "sampx": 50.0, "sampy": 50.0}


def line_of(path: Path, text: str) -> int:
    """The number (from 1) of the first line of ``path`` that contains ``text``."""
    lines = path.read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def copy_simulated(directory: Path, edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """Copy the simulated beamline to ``directory``, changing some of its files.

    ``edits`` maps a file name (``"phiy"``) to ``(old, new)``: ``old``, which must be
    in the file, is replaced by ``new``.
    """
    shutil.copytree(SIMULATED, directory)
    for name, (old, new) in (edits or {}).items():
        path = directory / f"{name}.xml"
        text = path.read_text()
        assert old in text, f"{path} has no {old!r}"
        path.write_text(text.replace(old, new))
    return directory


def copy_with_broken_phiy(directory: Path) -> Path:
    """A copy of the simulated beamline whose /phiy has a velocity that is not a number
    (line 6 of ``phiy.xml``)."""
    copy_simulated(directory, {"phiy": ("<velocity>1.0</velocity>", "<velocity>fast</velocity>")})
    assert line_of(directory / "phiy.xml", "<velocity>fast</velocity>") == 6
    return directory


def quick_collect_overrides(tmp_path: Path) -> Path:
    """A directory to put before the simulated beamline: the session writes below
    ``tmp_path/data``, and the shutters and phase changes are quick."""
    overrides = tmp_path / "repo"
    overrides.mkdir()
    (overrides / "session.xml").write_text(
        '<object class="simulated.session.SimulatedSession">'
        f"<base_directory>{tmp_path / 'data'}</base_directory></object>"
    )
    for name, tag in (("safety_shutter", "delay"), ("diffractometer", "phase_change_time")):
        text = (SIMULATED / f"{name}.xml").read_text()
        (overrides / f"{name}.xml").write_text(
            re.sub(rf"<{tag}>[^<]*</{tag}>", f"<{tag}>0.02</{tag}>", text)
        )
    return overrides


def speed_up(diffractometer) -> None:
    """Give the centring motors of ``diffractometer`` the :data:`FAST_MOTORS` speeds."""
    for role, velocity in FAST_MOTORS.items():
        diffractometer.get_motor(role).set_velocity(velocity)


def type_into(qtbot, field: QWidget, text: str) -> None:
    """Focus a number or text field, replace what it holds by ``text``, press Enter."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClicks(field, text)
    qtbot.keyClick(field, Qt.Key_Return)


def threads_left(before: set[threading.Thread], timeout: float = 3.0) -> list[threading.Thread]:
    """The threads started since ``before`` that are still running after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if thread not in before and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
    return [t for t in threading.enumerate() if t not in before and t.is_alive()]


def running_timers(roots: Iterable[QObject], known: Iterable[QTimer] = ()) -> list[str]:
    """The active QTimers below ``roots`` and on the application (but not ``known``),
    described."""
    owners = [*roots, QApplication.instance()]
    skip = set(known)
    return [
        f"{describe(timer.parent())}: {timer.objectName() or 'timer'} every {timer.interval()} ms"
        for owner in owners
        if owner is not None
        for timer in owner.findChildren(QTimer)
        if timer.isActive() and timer not in skip
    ]


class _Marker(QObject):
    """Posts itself to the GUI thread behind the events already posted there."""

    reached = pyqtSignal()


def events_delivered(qtbot, timeout: int = 5000) -> None:
    """Wait until the GUI thread has handled every event posted to it so far (hardware
    signals re-delivered by the bridge, queued slots, layout requests): a marker posted
    after them has arrived. What has not happened by then was not on its way."""
    marker = _Marker()
    arrived: list[bool] = []
    marker.reached.connect(lambda: arrived.append(True), Qt.QueuedConnection)
    marker.reached.emit()
    qtbot.waitUntil(lambda: bool(arrived), timeout=timeout)


def delete_later_now() -> None:
    """Run the deletions asked with ``deleteLater`` now (they wait for the event loop)."""
    QApplication.sendPostedEvents(None, QEvent.DeferredDelete)
    QApplication.processEvents()


def describe(obj: QObject | None) -> str:
    """``Class 'objectName'`` (or ``Class 'window title'``) of a Qt object, for messages."""
    if obj is None:
        return "None"
    name = obj.objectName()
    if not name and isinstance(obj, QWidget):
        name = obj.windowTitle()
    return f"{type(obj).__name__} {name!r}"


def wait_for(condition: Callable[[], object], what: str = "the condition", timeout: float = 30.0):
    """Return as soon as ``condition()`` holds (it is looked at every 10 ms); fail the
    test naming ``what`` after ``timeout`` real seconds, a deadline, not a measurement.

    For what Qt does not signal (processes, files, servers, worker threads); GUI tests
    use ``qtbot.waitUntil`` and ``qtbot.waitSignal``.
    """
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:g} s"
        time.sleep(0.01)


def use_clock(clock: Clock, *objects: HardwareObject) -> None:
    """Give ``objects``, and every object they reach through their roles, ``clock``
    (the simulated objects that take time have a ``clock`` attribute)."""
    seen: set[int] = set()
    stack = list(objects)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if hasattr(obj, "clock"):
            obj.clock = clock
        stack.extend(obj.roles.values())


def step_until(
    clock: ManualClock, done: Callable[[], bool], waiters: int = 1, timeout: float = 10.0
) -> None:
    """Run the simulation on ``clock`` until ``done()``, in lock-step: whenever
    ``waiters`` threads wait on the clock, move it to the earliest of their deadlines.

    So the clock shows the simulated time the work took, exactly, however loaded the
    machine is. Fails after ``timeout`` real seconds.
    """
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not done():
        assert time.monotonic() < deadline, (
            f"not done after {timeout:g} s (clock at {clock.now():g})"
        )
        if clock.waiters() >= waiters:
            clock.advance_to_next_deadline()
        else:
            pause.wait(0.0005)  # the simulation's threads are working


def show_brick(brick: QWidget) -> None:
    """Bring the tabs holding ``brick`` to the front, as a user clicks them."""
    from PyQt5.QtWidgets import QTabWidget

    widget = brick
    while widget is not None:
        stack = widget.parentWidget()
        tabs = stack.parentWidget() if stack is not None else None
        if isinstance(tabs, QTabWidget) and tabs.indexOf(widget) >= 0:
            tabs.setCurrentWidget(widget)
        widget = stack
