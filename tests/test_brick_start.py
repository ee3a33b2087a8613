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
