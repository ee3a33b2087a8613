"""The helpers the tests wait and check leaks with do what they say."""

from __future__ import annotations

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QWidget

from mxgui.gui.bridge import GuiBridge

from helpers import describe, events_delivered, running_timers


def test_running_timers_names_an_active_timer_below_a_window(qtbot):
    window = QWidget()
    window.setObjectName("main")
    qtbot.addWidget(window)
    timer = QTimer(window)
    timer.setObjectName("poll")
    assert running_timers([window]) == []
    timer.start(1000)
    try:
        assert running_timers([window]) == ["QWidget 'main': poll every 1000 ms"]
        assert running_timers([window], known=[timer]) == []
    finally:
        timer.stop()


def test_describe_uses_the_object_name_or_the_window_title():
    widget = QWidget()
    widget.setWindowTitle("Mask")
    assert describe(widget) == "QWidget 'Mask'"
    widget.setObjectName("mask_dock")
    assert describe(widget) == "QWidget 'mask_dock'"
    assert describe(None) == "None"


def test_events_delivered_returns_once_what_was_posted_before_has_run(qtbot):
    bridge = GuiBridge()
    received: list[int] = []
    for n in range(3):
        bridge.post(received.append, n)
    assert received == []  # queued for the GUI thread
    events_delivered(qtbot)
    assert received == [0, 1, 2]
