"""A brick's message line: news that is only true for a moment goes by itself."""

from __future__ import annotations

from mxgui.gui.widgets import MessageLine, ProgressLine


def test_news_with_a_lifetime_goes_and_a_newer_message_stays(qtbot):
    line = MessageLine()
    qtbot.addWidget(line)
    line.show_message("Centring cancelled: moving back", lasts_s=0.05)
    assert line.text() == "Centring cancelled: moving back"
    qtbot.waitUntil(lambda: line.text() == "", timeout=2000)
    line.show_problem("no grid shown", lasts_s=0.05)
    line.show_message("At cell 12")  # newer, and lasting: the old timer must not clear it
    qtbot.wait(150)
    assert line.text() == "At cell 12" and line.styleSheet() == ""
    line.clear_message()
    assert line.text() == "" and line.toolTip() == ""


def test_progress_line_is_absent_when_idle_and_keeps_its_room(qtbot):
    bar = ProgressLine()
    qtbot.addWidget(bar)
    bar.show()
    bar.set_idle()
    assert bar.isHidden() and bar.sizePolicy().retainSizeWhenHidden()
    bar.set_fraction(0.25)
    assert not bar.isHidden() and bar.value() == 250
    bar.set_fraction(7.0)
    assert bar.value() == bar.maximum()
