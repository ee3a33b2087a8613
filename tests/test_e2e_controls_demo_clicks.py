"""3-click centring in the real ``mxgui`` on controls-demo, clicked with X events, then
a collection on the centred crystal.

``mxgui-demo-servers`` up, the real ``mxgui`` under Xvfb with ``QT_USE_NATIVE_WINDOWS=1``
(every widget an X window, found from this process with python-xlib:
``tests/x_display.py``). This process computes the crystal's place on the image with a
diffractometer of its own on the same repository directories: its Tango motors read the
same devices as the GUI's, and both mount the sample the diffractometer's file names
(``1:01``, generated the same in every process). The image point is mapped to the
viewport as the view fits the image (scale ``min(vw/W, vh/H)``, centred) and clicked
with XTest once the screen shows the crystal there (which checks the mapping, the
sample and a fresh frame). The moves are checked on the servers' side, the centred
crystal in this process's scene and on the screen, the accepted point over XML-RPC.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from demo_servers_helpers import controls_demo_copy, read_pv, repository_args, tango_device
from PIL import Image
from tango import DevState
from test_e2e import mxgui_shown, sigterm_mxgui
from test_e2e_controls_demo import DISTANCE, collection
from test_e2e_crash import gui_of, python_of
from test_sample_view import TOLERANCE_MM, crystal_error_mm, crystal_on_image
from x_display import (
    Placed,
    click,
    click_centre,
    sample_view_viewport,
    screenshot,
    toolbar_buttons,
    viewable_windows,
    x_display,
)

from mxgui.core.channels import stop_control_loop
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED, TEST_LAYOUTS, wait_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        shutil.which("xvfb-run") is None, reason="needs xvfb-run (scripts/setup.sh installs it)"
    ),
]

CENTRING_MOTORS = ("phiy", "phiz", "sampx", "sampy")
MOTORS = ("phi", *CENTRING_MOTORS)
#: a click is taken (the GUI sends a move) within this many seconds, or it was refused:
#: sent while the GUI was not yet waiting for one (the centring starting, a turn's end
#: not yet delivered to the GUI thread); a refused click is never queued
CLICK_TAKEN_S = 5.0
#: the crystal's centre as seen on the screen (the centroid of its faces' grey) is
#: within this many screen pixels of where this process computes it (about 1.3 image
#: pixels each, 2.3 um at zoom 3): the faces are shaded unequally, and a stale frame is
#: 30 pixels off
SEEN_WITHIN_PX = 6
#: the grey of the crystal's faces on the simulated camera (background and loop are
#: lighter, the loop's rim and the pin darker)
CRYSTAL_GREY = (78, 112)


@pytest.fixture
def own_diffractometer():
    """A diffractometer in this process on the directories given (its Tango motors
    connected and read); shut down afterwards."""
    repositories: list[HardwareRepository] = []

    def make(directories):
        repository = HardwareRepository(directories)
        repositories.append(repository)
        diffractometer = repository.get("/diffractometer")
        wait_for(
            lambda: all(diffractometer.get_positions().get(m) is not None for m in MOTORS),
            "this process's Tango motors",
            timeout=30,
        )
        return diffractometer

    yield make
    for repository in repositories:
        repository.shutdown()
    stop_control_loop()


def image_to_viewport(
    x: float, y: float, image_size: tuple[int, int], viewport: Placed
) -> tuple[int, int]:
    """The root-window pixel showing image point ``(x, y)``: the view's fit (scale
    ``min(vw/W, vh/H)``, the image centred in the viewport), rounded to a whole pixel."""
    width, height = image_size
    scale = min(viewport.width / width, viewport.height / height)
    left = (viewport.width - width * scale) / 2
    top = (viewport.height - height * scale) / 2
    return viewport.x + round(left + x * scale), viewport.y + round(top + y * scale)


def crystal_seen(image: Image.Image, near: tuple[int, int], radius: int = 110) -> tuple[int, int]:
    """The screen pixel at the centre of the crystal's faces seen within ``radius`` of
    ``near`` (the centroid of the pixels of the crystal's grey, the overlays' colours
    left out)."""
    x, y = near
    pixels = np.asarray(image.crop((x - radius, y - radius, x + radius, y + radius)), dtype=int)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    low, high = CRYSTAL_GREY
    grey = (abs(red - green) < 20) & (abs(blue - green) < 20)
    ys, xs = np.nonzero(grey & (green >= low) & (green <= high))
    assert len(xs), f"no crystal seen near {near}"
    return x - radius + round(xs.mean()), y - radius + round(ys.mean())


def settled(devices, diffractometer, gui) -> bool:
    """No motor moving, and this process and the GUI both see where the devices are."""
    if any(devices[m].state() == DevState.MOVING for m in MOTORS):
        return False
    mine, theirs = diffractometer.get_positions(), gui.get_diffractometer_positions()
    for motor in MOTORS:
        there = float(devices[motor].read_attribute("Position").value)
        if abs(mine[motor] - there) > 1e-6 or abs(theirs[motor] - there) > 1e-6:
            return False
    return True


def moves(devices, *motors: str) -> int:
    return sum(int(devices[m].read_attribute("Moves").value) for m in motors)


def click_until_taken(click_once: Callable[[], None], taken: Callable[[], bool]) -> int:
    """Click; if the GUI has not taken it (``taken()``) within CLICK_TAKEN_S, click again,
    as a user does (3 times at most). Returns the number of clicks sent."""
    for sent in range(1, 4):
        click_once()
        try:
            wait_for(taken, "the click taken", timeout=CLICK_TAKEN_S)
        except AssertionError:
            continue
        return sent
    raise AssertionError(f"{sent} clicks in a row were not taken")


def without_login_at_start(directory: Path) -> None:
    """The simulated LIMS in ``directory`` with no login dialog at start: the dialog
    would sit over the sample view and take the clicks (a beamline can set this too)."""
    text = (SIMULATED / "lims.xml").read_text()
    head, tail = text.rsplit("</object>", 1)
    (directory / "lims.xml").write_text(
        f"{head}  <login_at_start>false</login_at_start>\n</object>{tail}"
    )


def test_three_x_clicks_centre_the_crystal_in_the_real_mxgui_through_tango(
    demo, tmp_path, own_diffractometer
):
    directories = controls_demo_copy(tmp_path / "controls-demo", demo.tango_port)
    without_login_at_start(directories[0])
    env = {
        **demo.epics_env,
        "MXGUI_DATA_DIR": str(tmp_path / "data"),
        "QT_USE_NATIVE_WINDOWS": "1",
    }
    layout = TEST_LAYOUTS / "sample_view.yml"
    args = ("--xmlrpc-port", "0", "--layout", str(layout), *repository_args(directories))
    devices = {m: tango_device(demo.tango_port, f"demo/md/{m}") for m in MOTORS}
    with mxgui_shown(tmp_path, args, env) as (process, log_path):
        gui = gui_of(log_path.read_text())
        diffractometer = own_diffractometer(directories)
        assert diffractometer.get_mounted_sample() == "1:01"  # the file's, as the GUI's
        image_size = diffractometer.get_image_size()
        wait_for(lambda: settled(devices, diffractometer, gui), "the GUI's motors", timeout=30)
        assert moves(devices, *MOTORS) == 0
        assert crystal_error_mm(diffractometer) > 0.05  # not centred to begin with

        with x_display(python_of(process)) as connection:
            windows = viewable_windows(connection)
            viewport = sample_view_viewport(windows)
            centring_button, accept_button = toolbar_buttons(windows, viewport)[:2]

            def crystal_on_screen() -> tuple[int, int]:
                return image_to_viewport(*crystal_on_image(diffractometer), image_size, viewport)

            def seen_there() -> bool:
                """Whether the screen shows the crystal where this process computes it
                (the GUI shows the same sample, and a fresh frame)."""
                image = screenshot(connection)
                seen, there = crystal_seen(image, crystal_on_screen()), crystal_on_screen()
                return max(abs(seen[0] - there[0]), abs(seen[1] - there[1])) <= SEEN_WITHIN_PX

            def click_crystal() -> None:
                wait_for(seen_there, "the crystal seen where computed", timeout=15)
                click(connection, *crystal_on_screen())

            click_centre(connection, centring_button)
            sent = []
            for turn in (1, 2):  # each click turns omega by 90 degrees, through Tango
                sent.append(
                    click_until_taken(click_crystal, lambda t=turn: moves(devices, "phi") == t)
                )
                wait_for(lambda: settled(devices, diffractometer, gui), "the turn", timeout=30)
            # the last click moves the crystal to the beam
            sent.append(
                click_until_taken(click_crystal, lambda: moves(devices, *CENTRING_MOTORS) > 0)
            )
            wait_for(
                lambda: (
                    settled(devices, diffractometer, gui)
                    and crystal_error_mm(diffractometer) < TOLERANCE_MM
                ),
                "the crystal on the beam",
                timeout=30,
            )
            # what the user sees: the crystal on the beam
            beam = image_to_viewport(*diffractometer.get_beam_position(), image_size, viewport)
            assert max(abs(a - b) for a, b in zip(crystal_on_screen(), beam)) <= 1
            wait_for(seen_there, "the centred crystal seen on the beam", timeout=15)
            screenshot(connection, tmp_path / "centred.png")
            print(f"clicks sent per step: {sent}")

            # on the servers' side: omega turned twice, the centring motors went where
            # both processes now see them
            assert moves(devices, "phi") == 2
            assert int(devices["phi"].read_attribute("LastTarget").value) == 180
            positions = diffractometer.get_positions()
            for motor in CENTRING_MOTORS:
                device = devices[motor]
                if device.read_attribute("Moves").value:
                    assert device.read_attribute("LastTarget").value == pytest.approx(
                        positions[motor]
                    )
            assert moves(devices, "sampx", "sampy") >= 1

            assert gui.get_cp() == "[]"
            click_centre(connection, accept_button)
            wait_for(lambda: gui.get_cp() != "[]", "the accepted point", timeout=10)
            (point,) = json.loads(gui.get_cp())
            for motor in MOTORS:
                assert point[motor] == pytest.approx(positions[motor], abs=1e-6)

        # a collection on the centred crystal: omega through Tango, the detector
        # distance through EPICS; the centring motors stay where the clicks put them
        distance_moves = read_pv("DEMO:DET:DIST:MOVES", demo.epics_env)
        centred_moves = moves(devices, *CENTRING_MOTORS)
        sample = gui.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
        task = gui.queue_add_child(sample, collection())
        assert gui.start_queue() is True
        wait_for(lambda: not gui.is_queue_executing(), "the end of the collection", timeout=120)
        node = gui.queue_get_node(task)
        assert node["status"] == "success", node["message"]
        assert len([f for f in node["files"] if f.endswith(".cbf")]) == 20
        assert moves(devices, "phi") >= 2 + 2  # to the start, then the sweep
        assert devices["phi"].read_attribute("LastTarget").value == pytest.approx(20.0)
        assert read_pv("DEMO:DET:DIST:MOVES", demo.epics_env) == distance_moves + 1
        assert read_pv("DEMO:DET:DIST.RBV", demo.epics_env) == pytest.approx(DISTANCE)
        assert moves(devices, *CENTRING_MOTORS) == centred_moves
        assert crystal_error_mm(diffractometer) < TOLERANCE_MM
        sigterm_mxgui(process)
    output = log_path.read_text()
    assert "mxgui stopped" in output and "Traceback" not in output
