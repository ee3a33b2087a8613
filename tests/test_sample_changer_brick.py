"""The sample changer brick: pick a pin, load it, see it highlighted; alarm and reset."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QColor, QHelpEvent
from PyQt5.QtWidgets import QApplication, QToolTip

from bricks.sample_changer_brick import COLOURS
from hardware_objects.abstract.sample_changer import SampleChangerState
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui.state_colours import STATE_COLOURS

from helpers import SIMULATED, TEST_LAYOUTS

LAYOUT = TEST_LAYOUTS / "sample_changer.yml"


@pytest.fixture
def setup(make_app, qtbot, tmp_path):
    """The brick on the simulated sample changer, with a fast robot (a load takes ~0.3 s)
    and no diffractometer (so it starts with nothing mounted)."""
    (tmp_path / "sample_changer.xml").write_text(
        '<object class="simulated.sample_changer.SimulatedSampleChanger">\n'
        "  <speed_factor>0.01</speed_factor>\n</object>\n"
    )
    app = make_app(LAYOUT, [tmp_path, SIMULATED])
    brick = app.built.bricks["sample_changer"]
    changer = app.repository.get("/sample_changer")
    assert changer.speed_factor == 0.01
    qtbot.waitUntil(lambda: brick.view.pin_radius() > 6, timeout=2000)
    return app, brick, changer


def addresses(changer, present=True):
    return [s.address for p in changer.get_contents() for s in p.samples if s.present is present]


def click_pin(qtbot, view, address: str) -> None:
    qtbot.mouseClick(view, Qt.LeftButton, pos=view.pin_center(address).toPoint())


def pixel(view, address: str) -> QColor:
    """The colour drawn inside the pin, below its number."""
    centre = view.pin_center(address)
    point = QPoint(round(centre.x()), round(centre.y() + 0.65 * view.pin_radius()))
    return view.grab().toImage().pixelColor(point)


def test_click_a_pin_load_it_and_see_it_highlighted(setup, qtbot):
    app, brick, changer = setup
    view = brick.view
    target, other = addresses(changer)[4], addresses(changer)[10]
    hole = addresses(changer, present=False)[0]
    assert brick.state_label.text() == "Ready"
    assert pixel(view, target) == COLOURS["sample"]
    assert pixel(view, hole) == COLOURS["empty"]
    assert not brick.load_button.isEnabled()
    assert brick.load_button.toolTip() == "no sample selected"

    with qtbot.waitSignal(brick.sampleSelected) as selected:
        click_pin(qtbot, view, target)
    assert selected.args == [target]
    assert brick.selected == target and view.selected == target
    sample = changer.get_sample(target)
    assert sample.name in brick.info_label.text() and sample.barcode in brick.info_label.text()
    assert brick.load_button.isEnabled() and brick.load_button.text() == f"Load {target}"
    assert not brick.unload_button.isEnabled() and not brick.abort_button.isEnabled()

    changer.speed_factor = 0.03  # a load of 1 s: time to look at it while it runs
    with qtbot.waitSignal(brick.sampleLoaded, timeout=5000) as loaded:
        qtbot.mouseClick(brick.load_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: brick.state_label.text() == f"Loading {target}", timeout=1000)
        assert brick.abort_button.isEnabled() and not brick.load_button.isEnabled()
        assert pixel(view, target) == COLOURS["in transfer"]
    assert loaded.args == [target]
    qtbot.waitUntil(lambda: brick.state_label.text().startswith("Loaded"), timeout=3000)
    assert brick.state_label.text() == f"Loaded {sample.describe()}"
    assert STATE_COLOURS[HardwareObjectState.READY] in brick.state_label.styleSheet()
    assert view.pin_colour(target) == COLOURS["loaded"]
    assert pixel(view, target) == COLOURS["loaded"]
    assert pixel(view, other) == COLOURS["sample"]
    assert brick.progress.value() == 1000 and "done" in brick.progress.text()
    assert brick.unload_button.isEnabled() and brick.unload_button.text() == f"Unload {target}"
    assert brick.load_button.toolTip() == f"{target} is already loaded"

    # the empty pin cannot be loaded, and the brick says why
    click_pin(qtbot, view, hole)
    assert brick.selected == hole and "empty pin" in brick.info_label.text()
    assert not brick.load_button.isEnabled()
    assert brick.load_button.toolTip() == f"no sample in {hole} (the pin is empty)"

    # unload: the pin is back to "mounted before"
    changer.speed_factor = 0.01
    qtbot.mouseClick(brick.unload_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.state_label.text() == f"Ready: {target} unloaded", timeout=3000)
    assert pixel(view, target) == COLOURS["mounted before"]


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # offscreen tooltips
def test_pin_tooltip_names_the_sample(setup, qtbot):
    _app, brick, changer = setup
    view = brick.view
    target = addresses(changer)[0]
    sample = changer.get_sample(target)
    pos = view.pin_center(target).toPoint()
    QApplication.sendEvent(view, QHelpEvent(QEvent.ToolTip, pos, view.mapToGlobal(pos)))
    text = QToolTip.text()
    QToolTip.hideText()
    for part in (target, sample.name, sample.protein_acronym, sample.barcode):
        assert part in text
    assert "puck 1" in view.puck_tooltip(1) and "unipuck" in view.puck_tooltip(1)
    assert view.pin_at(view.pin_center(target)) == target
    assert view.pin_at(QPointF(1, 1)) is None  # the corner, outside the dewar


def test_gripper_alarm_shows_the_reason_and_reset_recovers(setup, qtbot):
    _app, brick, changer = setup
    view = brick.view
    first, second = addresses(changer)[0], addresses(changer)[20]
    click_pin(qtbot, view, first)
    qtbot.mouseClick(brick.load_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.state_label.text().startswith("Loaded"), timeout=3000)

    changer.inject_fault("gripper_alarm")
    click_pin(qtbot, view, second)
    qtbot.mouseClick(brick.load_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.state_label.text().startswith("Alarm"), timeout=3000)
    reason = f"gripper alarm: collision detected during pick of {first}"
    assert brick.state_label.text() == f"Alarm: {reason}"
    # the failed load is said where the user looks (Brick.start), not only in the log
    qtbot.waitUntil(lambda: f"load of {second} failed" in brick.info_label.text(), timeout=3000)
    assert "b71c1c" in brick.info_label.styleSheet()
    assert STATE_COLOURS[HardwareObjectState.FAULT] in brick.state_label.styleSheet()
    for button in (brick.load_button, brick.unload_button, brick.scan_button):
        assert not button.isEnabled()
        assert button.toolTip() == f"sample changer in Alarm: {reason}; reset first"
    assert brick.reset_button.isEnabled()
    # the sample was not picked: it is still on the goniometer, drawn as loaded
    assert pixel(view, first) == COLOURS["loaded"]

    qtbot.mouseClick(brick.reset_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.state_label.text() == "Loaded: reset done", timeout=3000)
    assert STATE_COLOURS[HardwareObjectState.READY] in brick.state_label.styleSheet()
    assert changer.get_sc_state() is SampleChangerState.Loaded
    assert brick.load_button.isEnabled() and brick.load_button.text() == f"Load {second}"
    qtbot.mouseClick(brick.load_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: pixel(view, second) == COLOURS["loaded"], timeout=3000)
    assert pixel(view, first) == COLOURS["mounted before"]


def test_abort_button_stops_a_load(setup, qtbot):
    _app, brick, changer = setup
    changer.speed_factor = 0.05  # a load of 1.6 s: time to press Abort
    target = addresses(changer)[3]
    brick.select_sample(target)
    qtbot.mouseClick(brick.load_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.abort_button.isEnabled(), timeout=1000)
    qtbot.waitUntil(lambda: brick.progress.value() > 0, timeout=1000)
    qtbot.mouseClick(brick.abort_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "aborted" in brick.state_label.text(), timeout=2000)
    assert changer.get_sc_state() in (SampleChangerState.Ready, SampleChangerState.Fault)
    assert "aborted" in brick.progress.text()
    assert not brick.abort_button.isEnabled()


def test_refusals_are_shown_not_raised(setup, qtbot, caplog):
    _app, brick, _changer = setup
    brick.load_sample("9:01")
    assert "no puck 9" in brick.info_label.text()
    assert any("no puck 9" in r.getMessage() for r in caplog.records)
    brick.select_sample("nonsense")
    assert "not of the form puck:pin" in brick.info_label.text()
    assert brick.selected is None
