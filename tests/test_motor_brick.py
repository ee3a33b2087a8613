"""The motor brick moves the simulated motor and shows its position and state."""

from __future__ import annotations

from PyQt5.QtCore import Qt

from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui.state_colours import STATE_COLOURS

from helpers import type_into


def test_typing_a_position_moves_the_motor_and_shows_progress(make_app, qtbot):
    app = make_app()
    brick = app.built.bricks["sampx"]
    motor = app.repository.get("/sampx")
    assert brick.position.value() == 0.0
    assert brick.label.text() == "Centring X"

    type_into(qtbot, brick.position, "0.3")
    # while moving: BUSY colour, stop enabled, an intermediate position shown
    qtbot.waitUntil(lambda: motor.get_state() is HardwareObjectState.BUSY, timeout=1000)
    qtbot.waitUntil(
        lambda: STATE_COLOURS[HardwareObjectState.BUSY] in brick.position.styleSheet(), timeout=1000
    )
    assert brick.stop_button.isEnabled()
    qtbot.waitUntil(lambda: 0.0 < brick.position.value() < 0.3, timeout=1000)
    # at the end: the motor is at 0.3, the brick shows it, READY colour
    qtbot.waitUntil(lambda: motor.get_state() is HardwareObjectState.READY, timeout=3000)
    qtbot.waitUntil(lambda: abs(brick.position.value() - 0.3) < 1e-9, timeout=1000)
    assert abs(motor.get_value() - 0.3) < 1e-9
    qtbot.waitUntil(
        lambda: STATE_COLOURS[HardwareObjectState.READY] in brick.position.styleSheet(),
        timeout=1000,
    )
    assert not brick.stop_button.isEnabled()


def test_step_buttons_and_stop(make_app, qtbot):
    app = make_app()
    brick = app.built.bricks["phi"]
    motor = app.repository.get("/phi")
    assert brick.step_box.value() == 90.0
    qtbot.mouseClick(brick.plus, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.stop_button.isEnabled(), timeout=1000)
    qtbot.waitUntil(lambda: brick.position.value() > 5.0, timeout=1000)
    qtbot.mouseClick(brick.stop_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: motor.get_state() is HardwareObjectState.READY, timeout=2000)
    stopped_at = motor.get_value()
    assert 0.0 < stopped_at < 90.0, "stop should leave the motor between start and target"
    qtbot.waitUntil(lambda: abs(brick.position.value() - stopped_at) < 1e-3, timeout=1000)


def test_out_of_limit_position_is_refused_with_the_limit(make_app, qtbot, caplog):
    app = make_app()
    brick = app.built.bricks["phiz"]
    motor = app.repository.get("/phiz")
    brick.move_to(5.0)
    assert motor.get_value() == 0.0
    assert motor.get_state() is HardwareObjectState.READY
    assert "above the high limit 2" in brick.position.toolTip()
    assert any("above the high limit 2" in r.getMessage() for r in caplog.records)


def test_motor_fault_turns_the_brick_red_and_says_why(make_app, qtbot):
    app = make_app()
    brick = app.built.bricks["sampy"]
    motor = app.repository.get("/sampy")
    motor.inject_fault("amplifier tripped")
    brick.move_to(0.5)
    qtbot.waitUntil(lambda: "amplifier tripped" in brick.position.toolTip(), timeout=2000)
    motor.inject_fault(None)
    brick.move_to(0.1)
    qtbot.waitUntil(lambda: abs(motor.get_value() - 0.1) < 1e-9, timeout=3000)
