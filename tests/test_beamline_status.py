"""The beamline status strip on the simulated beamline: each field follows its object
live, as a user sees it while working in any tab."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import Qt

from bricks.beamline_status_brick import ITEM_MIN_WIDTH, LIMS_COLOURS, UNAVAILABLE_COLOUR
from bricks.shutter_brick import POSITION_COLOURS
from hardware_objects.abstract.shutter import CLOSED, OPEN
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.gui.lims.status_button import LimsLevel, status_text
from mxgui.gui.state_colours import STATE_COLOURS

from helpers import DEFAULT_LAYOUT, TEST_LAYOUTS, copy_simulated, events_delivered, line_of

LAYOUT = TEST_LAYOUTS / "beamline_status.yml"
HC = 12.3984  # keV·Å


@pytest.fixture
def app(make_app):
    app = make_app(LAYOUT)
    failed = {name: b.failure for name, b in app.built.bricks.items() if b.failure}
    assert not failed and not app.built.errors, (failed, app.built.errors)
    return app


def strip_of(app):
    return app.built.bricks["beamline_status"]


def test_energy_and_wavelength_follow_a_move_by_lambda_equals_hc_over_e(app, qtbot):
    strip, energy = strip_of(app), app.repository.get("energy")
    item = strip.items["energy"]
    start = energy.get_value()
    assert item.isVisible()
    # the wavelength with 5 decimals, as image headers give it (0.97625 Å)
    assert item.full_text() == f"{start:.3f} keV · {energy.get_wavelength():.5f} Å"
    assert energy.get_wavelength() == pytest.approx(HC / start, rel=1e-4)
    target = 13.5 if abs(start - 13.5) > 0.2 else 12.0
    energy.set_value(target).result(timeout=30)
    expected = f"{target:.3f} keV · {energy.get_wavelength():.5f} Å"
    qtbot.waitUntil(lambda: item.full_text() == expected, timeout=5000)
    assert energy.get_wavelength() == pytest.approx(HC / target, rel=1e-4)
    assert item.background() == ""  # READY: no colour


def test_every_field_shows_its_value_at_start(app):
    items = strip_of(app).items
    resolution = app.repository.get("resolution").get_value()
    assert items["resolution"].full_text() == f"Res {resolution:.2f} Å"
    transmission = app.repository.get("transmission").get_value()
    assert items["transmission"].full_text() == f"Trans {transmission:.1f} %"
    beam = app.repository.get("beam")
    width, height = beam.get_beam_size()
    assert items["beam"].full_text().startswith(f"Beam {width * 1000:.3g} × {height * 1000:.3g} µm")
    assert str(beam.get_aperture()) in items["beam"].full_text()
    distance = app.repository.get("detector").get_distance_motor().get_value()
    assert items["detector"].full_text() == f"Det {distance:.1f} mm"
    current = app.repository.get("machine_info").get_value()["current"]
    assert items["machine_info"].full_text() == f"Ring {current:.1f} mA"
    assert items["lims"].full_text() == "LIMS: not logged in"
    assert all(item.isVisible() for item in items.values())


def test_a_shutter_turns_green_when_opened_and_red_when_closed(app, qtbot):
    """The fast shutter is closed whenever no image is taken: closed, it stays plain
    (a red all day would teach users to ignore red); the safety shutter's closed is red."""
    strip = strip_of(app)
    for name, title, closed in (
        ("fast_shutter", "Fast", ""),
        ("safety_shutter", "Safety", POSITION_COLOURS[CLOSED]),
    ):
        shutter, item = app.repository.get(name), strip.items[name]
        shutter.set_value(CLOSED).result(timeout=30)
        qtbot.waitUntil(lambda i=item, t=title: i.full_text() == f"{t}: {CLOSED}", timeout=5000)
        assert item.background() == closed
        shutter.set_value(OPEN).result(timeout=30)
        qtbot.waitUntil(lambda i=item, t=title: i.full_text() == f"{t}: {OPEN}", timeout=5000)
        assert item.background() == POSITION_COLOURS[OPEN]


def test_the_mounted_sample_appears_after_a_mount_and_goes_after_the_unmount(app, qtbot):
    item = strip_of(app).items["sample_changer"]
    changer = app.repository.get("sample_changer")
    changer.speed_factor = 0.01
    if changer.get_loaded_sample() is not None:
        changer.unload().result(timeout=60)
    qtbot.waitUntil(lambda: item.full_text() == "Sample: none", timeout=5000)
    address = next(
        s.address for puck in changer.get_contents() for s in puck.samples if s.present is not False
    )
    changer.load(address).result(timeout=60)
    described = changer.get_sample(address).describe()
    qtbot.waitUntil(lambda: item.full_text() == f"Sample: {described}", timeout=5000)
    assert described.startswith(address)
    changer.unload().result(timeout=60)
    qtbot.waitUntil(lambda: item.full_text() == "Sample: none", timeout=5000)


def test_a_fault_is_said_in_words_and_colour_and_cleared_when_ready(app, qtbot):
    item = strip_of(app).items["transmission"]
    transmission = app.repository.get("transmission")
    transmission.set_state(HardwareObjectState.FAULT)
    qtbot.waitUntil(lambda: item.full_text().endswith("(FAULT)"), timeout=5000)
    assert item.background() == STATE_COLOURS[HardwareObjectState.FAULT]
    transmission.set_state(HardwareObjectState.READY)
    qtbot.waitUntil(lambda: not item.full_text().endswith("(FAULT)"), timeout=5000)
    assert item.background() == ""


def test_a_device_not_answering_turns_only_its_own_field_red(app, qtbot):
    strip = strip_of(app)
    energy = app.repository.get("energy")
    energy.emit("availabilityChanged", "sim:energy: connection lost")
    item = strip.items["energy"]
    qtbot.waitUntil(lambda: item.full_text() == "energy: not answering", timeout=5000)
    assert item.background() == UNAVAILABLE_COLOUR
    assert "connection lost" in item.toolTip()
    assert strip.isEnabled() and strip.items["resolution"].background() == ""
    energy.emit("availabilityChanged", "")
    qtbot.waitUntil(lambda: item.full_text().endswith("Å"), timeout=5000)


def test_an_empty_property_hides_its_field(app):
    strip = strip_of(app)
    strip.set_property("fast_shutter", "")
    assert not strip.items["fast_shutter"].isVisible()
    assert strip.items["safety_shutter"].isVisible()
    strip.set_property("fast_shutter", "/fast_shutter")
    assert strip.items["fast_shutter"].isVisible()


def test_a_narrow_strip_elides_and_keeps_the_whole_text_in_the_tooltip(app, qtbot):
    strip, window = strip_of(app), app.windows[0]
    window.resize(500, 300)
    qtbot.waitUntil(lambda: strip.width() <= 500, timeout=5000)
    lims = strip.items["lims"]
    qtbot.waitUntil(lambda: lims.text() != lims.full_text(), timeout=5000)
    assert lims.text().endswith("…")
    assert lims.full_text() in lims.toolTip()


def test_the_lims_user_appears_after_the_demo_login(make_app, qtbot):
    app = make_app(DEFAULT_LAYOUT, login_dialog=True)
    item = strip_of(app).items["lims"]
    assert item.full_text() == "LIMS: not logged in"
    assert item.background() == STATE_COLOURS[HardwareObjectState.WARNING]
    dialog = app.lims_status.dialog
    dialog.user_edit.setText("demo")
    qtbot.mouseClick(dialog.login_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: item.full_text().startswith("LIMS: demo on mx1234"), timeout=60000)
    assert item.full_text().endswith("online") and item.background() == ""
    # the same words as the status bar's LIMS field
    qtbot.waitUntil(lambda: app.lims_status.text() == item.full_text(), timeout=5000)


def test_an_object_that_failed_to_load_turns_only_its_field_red(make_app, tmp_path):
    broken = copy_simulated(
        tmp_path / "repo", {"fast_shutter": ("<delay>0.01</delay>", "<delay>soon</delay>")}
    )
    app = make_app(LAYOUT, repository_dirs=[broken])
    strip = strip_of(app)
    item = strip.items["fast_shutter"]
    assert item.isVisible() and item.full_text() == "fast_shutter: failed"
    assert item.background() == UNAVAILABLE_COLOUR
    assert "fast_shutter" in item.toolTip() and "delay" in item.toolTip()
    # the rest of the strip works, and the failure is reported with the layout's line
    assert strip.isEnabled() and strip.items["safety_shutter"].full_text().startswith("Safety: ")
    assert strip.items["energy"].full_text().endswith("Å")
    line = line_of(LAYOUT, "fast_shutter: /fast_shutter")
    assert any(e.line == line and "fast_shutter" in str(e) for e in app.built.errors)


def test_at_1280_the_names_keep_room_and_the_numbers_drop_their_words(make_app, qtbot):
    """The mounted sample and the LIMS state are read as text: at 1280 px they keep at
    least ITEM_MIN_WIDTH; the numbers give up their word ("Res", "Trans"...) first,
    their value whole."""
    app = make_app(DEFAULT_LAYOUT)
    strip, window = strip_of(app), app.windows[0]
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: strip.width() <= 1280, timeout=5000)
    events_delivered(qtbot)
    for name in ("sample_changer", "lims"):
        item = strip.items[name]
        assert item.width() >= min(ITEM_MIN_WIDTH, item.sizeHint().width()), name
    numbers = (
        ("resolution", "Res "),
        ("transmission", "Trans "),
        ("detector", "Det "),
        ("machine_info", "Ring "),
        ("beam", "Beam "),
    )
    words = sum(strip.items[name].full_width() for name in strip.items)
    assert words > strip.width()  # the whole texts do not fit at 1280 px
    for name, word in numbers:
        item = strip.items[name]
        assert item.text() == item.full_text().removeprefix(word), name
    # with room for all, the words come back
    window.resize(2400, 800)
    qtbot.waitUntil(lambda: strip.width() >= words, timeout=5000)
    events_delivered(qtbot)
    for name, _word in numbers:
        assert strip.items[name].text() == strip.items[name].full_text(), name
    assert strip.items["lims"].text() == "LIMS: not logged in"


def test_the_lims_status_gives_its_level_not_a_colour_to_search_for():
    assert status_text(None, {}) == ("LIMS: not logged in", LimsLevel.WARNING)
    login = {"user": "demo", "proposal": "mx1234", "session_id": 7}
    assert status_text(login, {"online": True})[1] is LimsLevel.OK
    assert status_text(login, {"online": False})[1] is LimsLevel.WARNING
    assert status_text(login, {"online": True, "failed": 2}) == (
        "LIMS: demo on mx1234 (session 7) · online · 2 failed",
        LimsLevel.ERROR,
    )
    assert LIMS_COLOURS[LimsLevel.ERROR] == STATE_COLOURS[HardwareObjectState.FAULT]
