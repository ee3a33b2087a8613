"""Brick.start: a refusal is shown at once, a failure later on the GUI thread, never
after the brick has been cleaned up."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future

import pytest
from PyQt5.QtWidgets import QLabel

from mxgui.core.repository import HardwareRepository
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.bridge import GuiBridge

from helpers import events_delivered


@pytest.fixture
def brick(qtbot, tmp_path):
    brick = Brick(BrickContext(HardwareRepository([tmp_path]), GuiBridge()), "test")
    brick.field = QLabel(brick)
    brick.restored = []
    qtbot.addWidget(brick)
    return brick


def start(brick: Brick, action, **kwargs) -> Future | None:
    return brick.start(
        action, "move failed", brick.field, restore=lambda: brick.restored.append(1), **kwargs
    )


def refuse() -> Future:
    raise ValueError("above the high limit 2")


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_a_refusal_is_shown_at_once_logged_and_the_value_restored(brick, caplog):
    assert start(brick, refuse) is None
    assert brick.field.toolTip() == "above the high limit 2"
    assert warnings(caplog) == ["above the high limit 2"]
    assert brick.restored == [1]


def test_an_action_impossible_in_the_present_state_is_shown_like_a_refusal(brick, caplog):
    def not_yet() -> Future:
        raise RuntimeError("zoom: no value read yet")

    assert start(brick, not_yet) is None  # not an uncaught exception in a Qt slot
    assert brick.field.toolTip() == "zoom: no value read yet"
    assert warnings(caplog) == ["zoom: no value read yet"]


def test_a_refusal_message_gets_the_prefix_asked_for(brick):
    start(brick, lambda: float("abc"), refused="wavelength 'abc'")
    assert brick.field.toolTip().startswith("wavelength 'abc': could not convert")


def test_a_failure_is_reported_later_on_the_gui_thread(brick, qtbot, caplog):
    future: Future = Future()
    assert start(brick, lambda: future) is future
    seen_on = []
    brick.field.setToolTip = lambda text: seen_on.append((text, threading.current_thread()))
    worker = threading.Thread(target=future.set_exception, args=(RuntimeError("tripped"),))
    worker.start()
    worker.join()
    assert seen_on == [], "the report is queued, not made in the worker thread"
    qtbot.waitUntil(lambda: seen_on != [], timeout=1000)
    assert seen_on == [("move failed: tripped", threading.main_thread())]
    assert warnings(caplog) == ["move failed: tripped"]
    assert brick.restored == [1]


def test_success_and_cancellation_are_not_reported(brick, qtbot, caplog):
    done, cancelled = Future(), Future()
    start(brick, lambda: done)
    start(brick, lambda: cancelled)
    done.set_result(None)
    cancelled.cancel()
    events_delivered(qtbot)
    assert brick.field.toolTip() == ""
    assert warnings(caplog) == [] and brick.restored == []


@pytest.mark.parametrize("posted", [False, True], ids=["failed-after", "queued-before"])
def test_no_report_reaches_a_brick_that_was_cleaned_up(brick, qtbot, caplog, posted):
    future: Future = Future()
    start(brick, lambda: future)
    if posted:  # the failure is already queued for the GUI thread when the brick goes
        future.set_exception(RuntimeError("tripped"))
    brick.cleanup()
    if not posted:
        future.set_exception(RuntimeError("tripped"))
    events_delivered(qtbot)
    assert brick.field.toolTip() == ""
    assert warnings(caplog) == [] and brick.restored == []


def test_on_done_runs_on_the_gui_thread_after_the_failure_report(brick, qtbot):
    future: Future = Future()
    seen = []
    brick.field.setToolTip = lambda text: seen.append(("report", text))
    brick.restored = seen  # restore() appends 1 between the report and on_done
    start(brick, lambda: future, on_done=lambda ended: seen.append(("done", ended)))

    def fail() -> None:
        future.set_exception(RuntimeError("tripped"))

    worker = threading.Thread(target=fail)
    worker.start()
    worker.join()
    assert seen == [], "nothing runs in the worker thread"
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=1000)
    assert seen == [("report", "move failed: tripped"), 1, ("done", future)]


def test_on_done_gets_a_success_and_a_cancellation_and_nothing_is_reported(brick, qtbot, caplog):
    done, cancelled = Future(), Future()
    ended = []
    start(brick, lambda: done, on_done=lambda f: ended.append((f, threading.current_thread())))
    start(brick, lambda: cancelled, on_done=lambda f: ended.append((f, threading.current_thread())))
    threading.Thread(target=done.set_result, args=(7,)).start()
    cancelled.cancel()
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=1000)
    assert {f for f, _thread in ended} == {done, cancelled}
    assert {thread for _f, thread in ended} == {threading.main_thread()}
    assert brick.field.toolTip() == "" and warnings(caplog) == []


def test_on_done_is_not_called_for_a_refusal_nor_after_cleanup(brick, qtbot):
    ended = []
    assert start(brick, refuse, on_done=ended.append) is None
    future: Future = Future()
    start(brick, lambda: future, on_done=ended.append)
    future.set_result(None)  # queued for the GUI thread...
    brick.cleanup()  # ...which the brick leaves before it is delivered
    events_delivered(qtbot)
    assert ended == []


def test_a_report_goes_to_a_function_that_shows_it_instead_of_a_tooltip(brick, qtbot, caplog):
    shown = []
    assert brick.start(refuse, "move failed", shown.append, refused="cannot move") is None
    future: Future = Future()
    brick.start(lambda: future, "move failed", shown.append)
    future.set_exception(RuntimeError("tripped"))
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=1000)
    assert shown == ["cannot move: above the high limit 2", "move failed: tripped"]
    assert brick.field.toolTip() == ""
    assert warnings(caplog) == [], "the function shows and logs the message itself"
