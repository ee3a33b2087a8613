"""Resolution, transmission, beam, shutter, detector and machine bricks on the simulated
beamline: what a user types and clicks, and what the bricks then show."""

from __future__ import annotations

import logging

import pytest
from PyQt5.QtCore import Qt

from bricks.beam_brick import format_flux
from bricks.machine_info_brick import CURRENT_COLOURS
from bricks.shutter_brick import POSITION_COLOURS
from hardware_objects.abstract.resolution import (
    distance_from_resolution,
    resolution_from_distance,
)
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui.state_colours import STATE_COLOURS

from helpers import TEST_LAYOUTS, type_into

LAYOUT = TEST_LAYOUTS / "beamline_bricks.yml"
State = HardwareObjectState


@pytest.fixture
def app(make_app):
    app = make_app(LAYOUT)
    failed = {name: b.failure for name, b in app.built.bricks.items() if b.failure}
    assert not failed and not app.built.errors, (failed, app.built.errors)
    return app


def test_typing_a_resolution_moves_the_detector_and_both_displays_follow(app, qtbot):
    brick = app.built.bricks["resolution"]
    detector_brick = app.built.bricks["detector"]
    resolution = app.repository.get("resolution")
    detector = app.repository.get("detector")
    motor = detector.get_distance_motor()
    assert brick.distance_input.text() == "150.00 mm"
    assert brick.resolution_input.value() == pytest.approx(resolution.get_value(), abs=1e-3)
    low, high = resolution.get_limits()
    assert brick.resolution_limits.text() == f"{low:.3f} – {high:.3f} Å"
    assert brick.distance_limits.text() == "100 – 1000 mm"

    type_into(qtbot, brick.resolution_input, "3.5")
    qtbot.waitUntil(lambda: motor.get_state() is State.BUSY, timeout=1000)
    qtbot.waitUntil(
        lambda: STATE_COLOURS[State.BUSY] in brick.resolution_input.styleSheet(), timeout=1000
    )
    qtbot.waitUntil(lambda: motor.get_state() is State.READY, timeout=3000)
    expected = distance_from_resolution(3.5, app.repository.get("energy").get_wavelength(), 38.1525)
    assert motor.get_value() == pytest.approx(expected, abs=1e-9)
    qtbot.waitUntil(lambda: brick.distance_input.text() == f"{expected:.2f} mm", timeout=1000)
    assert brick.resolution_input.text() == "3.500 Å"
    assert detector_brick.distance_input.text() == f"{expected:.2f} mm"
    qtbot.waitUntil(
        lambda: STATE_COLOURS[State.READY] in brick.resolution_input.styleSheet(), timeout=1000
    )


def test_typing_a_distance_updates_the_resolution_by_the_formula(app, qtbot):
    brick = app.built.bricks["resolution"]
    motor = app.repository.get("detector_distance")
    wavelength = app.repository.get("energy").get_wavelength()
    type_into(qtbot, brick.distance_input, "180")
    qtbot.waitUntil(lambda: motor.get_value() == 180.0, timeout=3000)
    expected = resolution_from_distance(180.0, wavelength, 38.1525)
    qtbot.waitUntil(lambda: brick.resolution_input.text() == f"{expected:.3f} Å", timeout=1000)


def test_out_of_limit_resolution_is_refused_with_the_limit_shown(app, qtbot, caplog):
    brick = app.built.bricks["resolution"]
    resolution = app.repository.get("resolution")
    low = resolution.get_limits()[0]
    with caplog.at_level(logging.WARNING):
        type_into(qtbot, brick.resolution_input, "1.2")
    message = f"below the low limit {low:g} Å"
    assert message in brick.resolution_input.toolTip()
    assert any(message in r.getMessage() for r in caplog.records)
    assert app.repository.get("detector_distance").get_value() == 150.0
    # the field shows the real resolution again, not what was refused
    assert brick.resolution_input.value() == pytest.approx(resolution.get_value(), abs=1e-3)


def test_energy_change_moves_the_resolution_and_its_limits(app, qtbot):
    brick = app.built.bricks["resolution"]
    resolution = app.repository.get("resolution")
    before = brick.resolution_limits.text()
    app.repository.get("energy").set_value(13.0)
    qtbot.waitUntil(lambda: app.repository.get("energy").get_value() == 13.0, timeout=3000)
    low, high = resolution.get_limits()
    qtbot.waitUntil(
        lambda: brick.resolution_limits.text() == f"{low:.3f} – {high:.3f} Å", timeout=1000
    )
    assert brick.resolution_limits.text() != before
    assert brick.resolution_input.text() == f"{resolution.get_value():.3f} Å"


def test_choosing_an_aperture_changes_the_beam_size_and_flux_shown(app, qtbot):
    brick = app.built.bricks["beam"]
    beam = app.repository.get("beam")
    flux = app.repository.get("flux")
    assert brick.size_label.text() == "50 × 50 µm"
    assert brick.aperture_box.currentText() == "A50"
    assert brick.flux_label.text() == "2.50 × 10¹² ph/s"
    brick.aperture_box.setFocus()
    qtbot.keyClick(brick.aperture_box, Qt.Key_Up)  # one step up the list: A30
    qtbot.waitUntil(lambda: beam.get_aperture() == "A30", timeout=2000)
    qtbot.waitUntil(lambda: brick.size_label.text() == "30 × 30 µm", timeout=1000)
    assert brick.shape_label.text() == "ellipse"
    qtbot.waitUntil(lambda: brick.flux_label.text() == format_flux(flux.get_value()), timeout=1000)
    assert flux.get_value() == pytest.approx(5e12 * (0.03 * 0.03) / (0.1 * 0.05))
    # a change made elsewhere (a workflow, the queue) shows in the combo too
    beam.set_aperture("A100", timeout=2)
    qtbot.waitUntil(lambda: brick.aperture_box.currentText() == "A100", timeout=1000)
    qtbot.waitUntil(lambda: brick.size_label.text() == "100 × 50 µm", timeout=1000)


def test_transmission_typed_changes_the_flux(app, qtbot):
    brick = app.built.bricks["transmission"]
    beam_brick = app.built.bricks["beam"]
    transmission = app.repository.get("transmission")
    assert brick.value_input.text() == "100.00 %"
    type_into(qtbot, brick.value_input, "25")
    qtbot.waitUntil(lambda: transmission.get_value() == 25.0, timeout=2000)
    qtbot.waitUntil(lambda: brick.value_input.text() == "25.00 %", timeout=1000)
    qtbot.waitUntil(lambda: beam_brick.flux_label.text() == "6.25 × 10¹¹ ph/s", timeout=1000)
    type_into(qtbot, brick.value_input, "120")
    assert "above the high limit 100 %" in brick.value_input.toolTip()
    assert transmission.get_value() == 25.0


def test_shutter_button_opens_and_closes_with_the_colour_shown(app, qtbot):
    brick = app.built.bricks["safety_shutter"]
    shutter = app.repository.get("safety_shutter")
    assert brick.label.text() == "Safety shutter"
    assert brick.position_label.text() == "CLOSED"
    assert POSITION_COLOURS["CLOSED"] in brick.position_label.styleSheet()
    assert brick.button.text() == "Open"

    qtbot.mouseClick(brick.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.position_label.text() == "MOVING", timeout=1000)
    assert STATE_COLOURS[State.BUSY] in brick.position_label.styleSheet()
    assert not brick.button.isEnabled()
    qtbot.waitUntil(lambda: brick.position_label.text() == "OPEN", timeout=2000)
    assert shutter.is_open()
    assert POSITION_COLOURS["OPEN"] in brick.position_label.styleSheet()
    assert brick.button.text() == "Close" and brick.button.isEnabled()

    qtbot.mouseClick(brick.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.position_label.text() == "CLOSED", timeout=2000)
    assert shutter.get_value() == "CLOSED"
    assert POSITION_COLOURS["CLOSED"] in brick.position_label.styleSheet()


def test_shutter_fault_is_shown_with_its_reason(app, qtbot):
    brick = app.built.bricks["fast_shutter"]
    shutter = app.repository.get("fast_shutter")
    shutter.inject_fault("no compressed air")
    qtbot.mouseClick(brick.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.position_label.text() == "FAULT", timeout=1000)
    assert STATE_COLOURS[State.FAULT] in brick.position_label.styleSheet()
    qtbot.waitUntil(lambda: "no compressed air" in brick.position_label.toolTip(), timeout=1000)
    shutter.inject_fault(None)
    qtbot.mouseClick(brick.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.position_label.text() == "OPEN", timeout=1000)


def test_detector_brick_roi_mode_changes_size_centre_and_resolution(app, qtbot):
    brick = app.built.bricks["detector"]
    resolution_brick = app.built.bricks["resolution"]
    detector = app.repository.get("detector")
    assert brick.model_label.text() == "EIGER X 4M (simulated)"
    assert brick.size_label.text() == "1030 × 1065 px (77.2 × 79.9 mm)"
    assert brick.pixel_label.text() == "75 × 75 µm"
    assert brick.beam_centre_label.text() == "521.3, 528.8 px"
    assert brick.format_label.text() == "CBF"
    before = resolution_brick.resolution_input.value()

    brick.roi_box.setFocus()
    qtbot.keyClick(brick.roi_box, Qt.Key_Up)  # 1M -> 4M
    qtbot.waitUntil(lambda: detector.get_roi_mode() == "4M", timeout=2000)
    qtbot.waitUntil(lambda: brick.size_label.text().startswith("2070 × 2167 px"), timeout=1000)
    assert brick.beam_centre_label.text() == "1041.3, 1079.8 px"
    expected = resolution_from_distance(
        150.0, app.repository.get("energy").get_wavelength(), detector.get_radius()
    )
    qtbot.waitUntil(
        lambda: resolution_brick.resolution_input.text() == f"{expected:.3f} Å", timeout=1000
    )
    assert expected < before


def test_machine_info_shows_current_and_beam_loss(app, qtbot):
    brick = app.built.bricks["machine_info"]
    machine = app.repository.get("machine_info")
    assert brick.current_label.text() == "200.0 mA"
    assert CURRENT_COLOURS["ok"] in brick.current_label.styleSheet()
    assert brick.lifetime_label.text() == "40.0 h"
    assert brick.fill_mode_label.text() == "uniform"
    assert brick.message_label.text() == "User service: uniform 200 mA, top-up"
    machine.inject_beam_loss("Beam lost: RF trip")
    qtbot.waitUntil(lambda: brick.current_label.text() == "0.0 mA", timeout=1000)
    assert CURRENT_COLOURS["lost"] in brick.current_label.styleSheet()
    assert brick.message_label.text() == "Beam lost: RF trip"
    machine.restore_beam()
    qtbot.waitUntil(lambda: brick.current_label.text() == "200.0 mA", timeout=1000)
    # below the brick's low_current threshold: yellow
    brick.set_property("low_current", 250.0)
    assert CURRENT_COLOURS["low"] in brick.current_label.styleSheet()
