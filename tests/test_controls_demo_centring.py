"""3-click centring on controls-demo's Tango goniometer, in the GUI as a user does it:
the clicks go where the simulated crystal is seen, the centring motors move through
the Tango demo devices (counted on the server's side), and the crystal ends on the beam.

In this process (pytest-qt) because the clicks need the crystal's place on the image;
``tests/test_e2e_controls_demo.py`` runs the real ``mxgui`` with both servers.
"""

from __future__ import annotations

import pytest
from demo_servers_helpers import tango_only
from PyQt5.QtCore import Qt
from test_sample_view import (
    LAYOUT,
    TOLERANCE_MM,
    click_image,
    crystal_error_mm,
    crystal_on_image,
    wait_step,
)

from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui.sample_view.centring_workflow import CentringStep
from mxgui.gui.sample_view.modes import Mode

MOTORS = ("phi", "phiy", "phiz", "sampx", "sampy")


@pytest.fixture
def tango_demo(tmp_path):
    yield from tango_only(tmp_path)


def test_three_clicks_centre_the_crystal_through_the_tango_goniometer(tango_demo, make_app, qtbot):
    server, directories = tango_demo
    app = make_app(LAYOUT, directories)
    brick = app.built.bricks["sample_view"]
    diffractometer = app.repository.get("/diffractometer")
    for motor in MOTORS:
        obj = app.repository.get(f"/{motor}")
        assert type(obj).__name__ == "TangoMotor"
        qtbot.waitUntil(
            lambda o=obj: o.get_state() is HardwareObjectState.READY and o.get_value() is not None,
            timeout=10_000,
        )
    qtbot.waitUntil(lambda: brick.view.frame_item.shown > 0, timeout=5000)
    devices = {motor: server.device(f"demo/md/{motor}") for motor in MOTORS}
    assert all(d.read_attribute("Moves").value == 0 for d in devices.values())
    diffractometer.set_mounted_sample("2:05")
    assert crystal_error_mm(diffractometer) > 0.05  # not centred to begin with

    qtbot.mouseClick(brick.toolbar.mode_buttons[Mode.CENTRING], Qt.LeftButton)
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)
    for _ in range(3):
        click_image(qtbot, brick, *crystal_on_image(diffractometer))
        wait_step(qtbot, brick, CentringStep.WAITING_CLICK, CentringStep.CENTRED, timeout=20_000)
    assert brick.workflow.step is CentringStep.CENTRED
    assert crystal_error_mm(diffractometer) < TOLERANCE_MM

    # every move went through the Tango devices: omega turned twice, and the centring
    # motors are where the servers put them
    assert devices["phi"].read_attribute("Moves").value >= 2
    positions = diffractometer.get_positions()
    for motor in ("phiy", "phiz", "sampx", "sampy"):
        device = devices[motor]
        if device.read_attribute("Moves").value:
            assert device.read_attribute("LastTarget").value == pytest.approx(positions[motor])
        assert device.read_attribute("Position").value == pytest.approx(positions[motor])
    assert sum(devices[m].read_attribute("Moves").value for m in ("sampx", "sampy")) >= 1

    with qtbot.waitSignal(brick.centringAccepted, timeout=3000):
        qtbot.mouseClick(brick.toolbar.accept_button, Qt.LeftButton)
    server.kill()  # its output thread ends before the app's thread check
