"""Detector, resolution, transmission, beam, flux and machine: physics-level truth (no Qt)."""

from __future__ import annotations

import math
import threading

import pytest

from hardware_objects.abstract.energy import HC_KEV_ANGSTROM
from hardware_objects.abstract.resolution import (
    distance_from_resolution,
    resolution_from_distance,
)
from hardware_objects.simulated.flux import flux_model
from mxgui.core.errors import HardwareObjectError
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED, copy_simulated

State = HardwareObjectState


class Recorder:
    """Collects the arguments of a signal."""

    def __init__(self) -> None:
        self.values: list = []
        self.event = threading.Event()

    def __call__(self, value) -> None:
        self.values.append(value)
        self.event.set()


@pytest.fixture
def make_repo(tmp_path):
    """A copy of the simulated beamline with some files rewritten: ``make({name: xml})``."""
    repos = []

    def make(files: dict[str, str]) -> HardwareRepository:
        directory = copy_simulated(tmp_path / f"beamline{len(repos)}")
        for name, text in files.items():
            (directory / f"{name}.xml").write_text(text)
        repos.append(HardwareRepository([directory]))
        return repos[-1]

    yield make
    for repository in repos:
        repository.shutdown()


# -- the formula -------------------------------------------------------------------------


def test_formula_against_a_hand_computed_value():
    # D = 200 mm, r = 100 mm: 2 theta = atan(0.5) = 26.565 deg, theta = 13.2825 deg;
    # d = 1 A / (2 sin 13.2825 deg) = 2.176251 A
    assert resolution_from_distance(200.0, 1.0, 100.0) == pytest.approx(2.176251, abs=1e-6)
    assert distance_from_resolution(2.176251, 1.0, 100.0) == pytest.approx(200.0, abs=1e-3)


@pytest.mark.parametrize("distance", [60.0, 100.0, 237.5, 1000.0, 5000.0])
@pytest.mark.parametrize("wavelength", [0.62, 0.9793, 2.48])
def test_formula_and_inverse_round_trip(distance, wavelength):
    d = resolution_from_distance(distance, wavelength, 38.15)
    # Bragg's law at the edge: lambda = 2 d sin(theta), 2 theta = atan(r / D)
    theta = 0.5 * math.atan(38.15 / distance)
    assert wavelength == pytest.approx(2 * d * math.sin(theta), rel=1e-12)
    assert distance_from_resolution(d, wavelength, 38.15) == pytest.approx(distance, rel=1e-12)


def test_formula_refuses_what_no_geometry_can_give():
    with pytest.raises(ValueError, match="90 degrees"):
        distance_from_resolution(0.5, 1.0, 50.0)  # sin(theta) = 1: backscattering
    with pytest.raises(ValueError, match="above 0"):
        resolution_from_distance(0.0, 1.0, 50.0)
    assert resolution_from_distance(math.inf, 1.0, 50.0) == math.inf


# -- detector ----------------------------------------------------------------------------


def test_detector_geometry_in_each_roi_mode(repo):
    detector = repo.get("detector")
    assert detector.get_distance_motor() is repo.get("detector_distance")
    assert detector.get_roi_modes() == ["4M", "1M", "test"]
    assert detector.get_roi_mode() == "1M"
    assert (detector.get_width(), detector.get_height()) == (1030, 1065)
    assert detector.get_pixel_size() == (0.075, 0.075)
    # sensor beam centre (1041.3, 1079.8) minus the 1M offset (520, 551)
    assert detector.get_beam_centre() == pytest.approx((521.3, 528.8))
    # nearest edge: the right one, 1030 - 521.3 = 508.7 px of 75 um
    assert detector.get_radius() == pytest.approx(508.7 * 0.075)
    assert detector.get_exposure_time_limits() == (0.00033, 3600.0)
    assert detector.get_file_suffix() == "cbf"

    modes = Recorder()
    detector.connect("roiModeChanged", modes)
    future = detector.set_roi_mode("4M")
    assert detector.get_state() is State.BUSY
    assert future.result(timeout=2) == "4M"
    assert detector.get_state() is State.READY
    assert modes.values == ["4M"]
    assert (detector.get_width(), detector.get_height()) == (2070, 2167)
    assert detector.get_beam_centre() == pytest.approx((1041.3, 1079.8))
    assert detector.get_radius() == pytest.approx(1028.7 * 0.075)
    assert detector.get_exposure_time_limits() == (0.00133, 3600.0)
    with pytest.raises(ValueError, match="'2M' is not one of 4M, 1M, test"):
        detector.set_roi_mode("2M")


def test_a_second_roi_switch_supersedes_the_first(repo):
    detector = repo.get("detector")
    modes = Recorder()
    detector.connect("roiModeChanged", modes)
    first = detector.set_roi_mode("4M")
    second = detector.set_roi_mode("test")
    assert second.result(timeout=2) == "test"
    assert first.cancelled()
    assert modes.values == ["test"]
    assert (detector.get_width(), detector.get_height()) == (256, 256)


def test_detector_beam_centre_may_drift_with_distance(make_repo):
    text = (SIMULATED / "detector.xml").read_text()
    text = text.replace(
        "<beam_x_per_mm>0.0</beam_x_per_mm>", "<beam_x_per_mm>0.05</beam_x_per_mm>"
    ).replace("<beam_y_per_mm>0.0</beam_y_per_mm>", "<beam_y_per_mm>-0.02</beam_y_per_mm>")
    repository = make_repo({"detector": text})
    detector = repository.get("detector")
    centres = Recorder()
    detector.connect("beamCentreChanged", centres)
    assert detector.get_beam_centre(150.0) == pytest.approx((521.3, 528.8))
    assert detector.get_beam_centre(350.0) == pytest.approx((531.3, 524.8))
    detector.get_distance_motor().set_value(160.0, timeout=5)
    assert centres.values[-1] == pytest.approx((521.8, 528.6))
    # the resolution still inverts exactly: the radius at the final distance is used
    resolution = repository.get("resolution")
    resolution.set_value(4.5, timeout=10)
    assert resolution.get_value() == pytest.approx(4.5, abs=1e-6)
    distance = detector.get_distance()
    wavelength = repository.get("energy").get_wavelength()
    assert resolution_from_distance(
        distance, wavelength, detector.get_radius(distance)
    ) == pytest.approx(4.5, abs=1e-6)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'name="test" x0="907"',
            'name="test" x0="1907"',
            "ROI mode 'test' (1907, 955, 256 x 256) does not fit on the 2070 x 2167 sensor",
        ),
        ("<file_suffix>cbf</file_suffix>", "<file_suffix>tiff</file_suffix>", "file_suffix"),
        (
            "<beam_x>1041.3</beam_x>",
            "<beam_x>2100</beam_x>",
            "(2100.0, 1079.8) px is not inside ROI mode '4M'",
        ),
        (
            "<default_roi_mode>1M</default_roi_mode>",
            "<default_roi_mode>9M</default_roi_mode>",
            "9M",
        ),
    ],
)
def test_bad_detector_configuration_names_file_and_problem(make_repo, old, new, message):
    text = (SIMULATED / "detector.xml").read_text()
    assert old in text
    repository = make_repo({"detector": text.replace(old, new)})
    with pytest.raises(HardwareObjectError, match="detector.xml:[0-9]+: ") as info:
        repository.get("detector")
    assert message in str(info.value)


# -- resolution --------------------------------------------------------------------------


def test_resolution_follows_distance_energy_and_roi_mode(repo):
    resolution, detector = repo.get("resolution"), repo.get("detector")
    energy, distance = repo.get("energy"), repo.get("detector_distance")
    start = resolution.get_value()
    assert start == pytest.approx(
        resolution_from_distance(150.0, HC_KEV_ANGSTROM / 12.7, detector.get_radius())
    )
    assert 3.5 < start < 4.5  # 1M mode at 150 mm and 12.7 keV: about 3.9 A
    values = Recorder()
    resolution.connect("valueChanged", values)

    # at a fixed geometry the resolution is proportional to the wavelength
    energy.set_value(13.7, timeout=5)
    assert resolution.get_value() == pytest.approx(start * 12.7 / 13.7, rel=1e-12)
    assert values.values[-1] == resolution.get_value()
    assert len(values.values) >= 3  # it followed the energy ramp

    # moving the distance moves the resolution
    distance.set_value(200.0, timeout=5)
    wavelength = HC_KEV_ANGSTROM / 13.7
    assert resolution.get_value() == pytest.approx(
        resolution_from_distance(200.0, wavelength, detector.get_radius())
    )
    # a larger ROI reaches further out: a better (smaller) resolution at the same distance
    detector.set_roi_mode("4M", timeout=2)
    assert resolution.get_value() == pytest.approx(
        resolution_from_distance(200.0, wavelength, 1028.7 * 0.075)
    )
    assert values.values[-1] == resolution.get_value()


def test_setting_a_resolution_moves_the_detector_to_the_formula_distance(repo):
    resolution, detector = repo.get("resolution"), repo.get("detector")
    wavelength = repo.get("energy").get_wavelength()
    expected = distance_from_resolution(3.0, wavelength, detector.get_radius())
    future = resolution.set_value(3.0)
    assert resolution.get_state() is State.BUSY
    assert future.result(timeout=5) == pytest.approx(3.0, abs=1e-6)
    assert resolution.get_state() is State.READY
    assert detector.get_distance() == pytest.approx(expected, abs=1e-9)
    assert 110.0 < detector.get_distance() < 115.0
    assert resolution.get_value() == pytest.approx(3.0, abs=1e-6)
    # and back out to a low resolution (quicker than the real carriage)
    detector.get_distance_motor().set_velocity(2000.0)
    resolution.set_value(12.0, timeout=10)
    assert resolution.get_value() == pytest.approx(12.0, abs=1e-6)


def test_resolution_limits_follow_the_energy_and_out_of_limit_is_refused(repo):
    resolution, energy = repo.get("resolution"), repo.get("energy")
    distance, detector = repo.get("detector_distance"), repo.get("detector")
    wavelength, radius = energy.get_wavelength(), detector.get_radius()
    low, high = resolution.get_limits()
    assert low == pytest.approx(resolution_from_distance(100.0, wavelength, radius))
    assert high == pytest.approx(resolution_from_distance(1000.0, wavelength, radius))

    with pytest.raises(ValueError, match=f"below the low limit {low:g} Å"):
        resolution.set_value(low - 0.1)
    with pytest.raises(ValueError, match=f"above the high limit {high:g} Å"):
        resolution.set_value(high + 1.0)
    assert distance.get_value() == 150.0 and distance.get_state() is State.READY

    limits = Recorder()
    resolution.connect("limitsChanged", limits)
    energy.set_value(13.2, timeout=5)
    assert resolution.get_limits() == pytest.approx((low * 12.7 / 13.2, high * 12.7 / 13.2))
    assert limits.values[-1] == resolution.get_limits()
    # the old low limit is reachable now; just below the new one is not
    resolution.set_value(low, timeout=5)
    with pytest.raises(ValueError, match="below the low limit"):
        resolution.set_value(resolution.get_limits()[0] * 0.999)
    # the extreme limit itself is reachable (rounding never pushes the motor out)
    distance.set_velocity(5000.0)
    resolution.set_value(resolution.get_limits()[1], timeout=10)
    assert distance.get_value() == pytest.approx(1000.0)


def test_resolution_limits_cannot_be_configured_or_set(make_repo):
    text = (SIMULATED / "resolution.xml").read_text()
    text = text.replace("<decimals>3</decimals>", "<low_limit>1.0</low_limit>")
    with pytest.raises(HardwareObjectError, match="resolution.xml:4: .*detector distance limits"):
        make_repo({"resolution": text}).get("resolution")


def test_failed_distance_move_fails_the_resolution_future(repo):
    resolution, distance = repo.get("resolution"), repo.get("detector_distance")
    distance.inject_fault("detector carriage collision switch")
    future = resolution.set_value(5.0)
    with pytest.raises(RuntimeError, match="collision switch"):
        future.result(timeout=5)
    assert resolution.get_state() is State.FAULT
    distance.inject_fault(None)
    assert resolution.get_state() is State.READY


# -- transmission ------------------------------------------------------------------------


def test_transmission_moves_quickly_within_0_and_100(repo):
    transmission = repo.get("transmission")
    assert transmission.get_value() == 100.0
    assert transmission.get_limits() == (0.0, 100.0)
    assert transmission.set_value(12.5).result(timeout=2) == 12.5
    with pytest.raises(ValueError, match="above the high limit 100 %"):
        transmission.set_value(150)
    with pytest.raises(ValueError, match="below the low limit 0 %"):
        transmission.set_value(-1)
    assert transmission.get_value() == 12.5


def test_transmission_limits_beyond_100_are_a_configuration_error(make_repo):
    text = (SIMULATED / "transmission.xml").read_text()
    text = text.replace("<high_limit>100</high_limit>", "<high_limit>120</high_limit>")
    with pytest.raises(HardwareObjectError, match="transmission.xml:6: .*within 0 and 100"):
        make_repo({"transmission": text}).get("transmission")


# -- beam and aperture -------------------------------------------------------------------


def test_aperture_list_and_beam_size(repo):
    beam = repo.get("beam")
    assert beam.get_aperture_list() == ["A10", "A20", "A30", "A50", "A75", "A100"]
    assert beam.get_aperture() == "A50"
    assert beam.get_focus_size() == (0.1, 0.05)
    assert beam.get_beam_size() == (0.05, 0.05)
    sizes, apertures = Recorder(), Recorder()
    beam.connect("beamSizeChanged", sizes)
    beam.connect("apertureChanged", apertures)

    beam.set_aperture("A10", timeout=2)
    assert beam.get_beam_size() == (0.01, 0.01)
    assert beam.get_beam_shape() == "ellipse"
    # the 100 um aperture is wider than the 100 x 50 um focus is high: the focus shows
    beam.set_aperture("A100", timeout=2)
    assert beam.get_beam_size() == (0.1, 0.05)
    assert apertures.values == ["A10", "A100"]
    assert sizes.values == [(0.01, 0.01), (0.1, 0.05)]
    with pytest.raises(ValueError, match="'A15' is not one of A10, A20"):
        beam.set_aperture("A15")


def test_set_beam_size_chooses_the_largest_aperture_that_fits(repo):
    beam = repo.get("beam")
    assert beam.aperture_for_size(0.025) == "A20"
    assert beam.aperture_for_size(0.03) == "A30"
    assert beam.aperture_for_size((0.08, 0.2)) == "A75"
    beam.set_beam_size(0.035, timeout=2)
    assert beam.get_aperture() == "A30"
    assert beam.get_beam_size() == (0.03, 0.03)
    with pytest.raises(ValueError, match=r"no aperture .* 5 x 5 um; the smallest is A10"):
        beam.set_beam_size(0.005)
    with pytest.raises(ValueError, match="must be above 0"):
        beam.set_beam_size(0)
    with pytest.raises(ValueError, match=r"diameter or \(width, height\) in mm, got 'big'"):
        beam.set_beam_size("big")
    with pytest.raises(ValueError, match="got \\(1, 2, 3\\)"):
        beam.set_beam_size((1, 2, 3))
    assert beam.get_aperture() == "A30"


# -- flux --------------------------------------------------------------------------------


def test_flux_follows_transmission_aperture_energy_and_current(repo):
    flux, beam = repo.get("flux"), repo.get("beam")
    transmission, energy = repo.get("transmission"), repo.get("energy")
    machine = repo.get("machine_info")
    # 5e12 ph/s through the whole 100 x 50 um focus; A50 passes 50 x 50 um: half
    assert flux.get_value() == pytest.approx(2.5e12)
    assert flux.check_for_beam()
    values = Recorder()
    flux.connect("valueChanged", values)

    transmission.set_value(20.0, timeout=2)
    assert flux.get_value() == pytest.approx(0.5e12)
    beam.set_aperture("A10", timeout=2)
    assert flux.get_value() == pytest.approx(0.5e12 * (0.01 * 0.01) / (0.05 * 0.05))
    assert values.values[-1] == flux.get_value()

    # the documented energy dependence: 1 / (1 + ((E - 12.7) / 8) ** 2)
    before = flux.get_value()
    energy.set_value(13.7, timeout=5)
    assert flux.get_value() == pytest.approx(before / (1 + (1 / 8) ** 2))

    machine.inject_beam_loss("RF trip")
    assert flux.get_value() == 0.0
    assert not flux.check_for_beam()
    assert values.values[-1] == 0.0
    machine.restore_beam()
    assert flux.get_value() == pytest.approx(before / (1 + (1 / 8) ** 2))


def test_flux_model_is_what_the_docstring_says():
    base = flux_model(4e12, 100.0, (0.1, 0.05), (0.1, 0.05))
    assert base == 4e12
    assert flux_model(4e12, 100.0, (0.1, 0.05), (0.1, 0.05), energy=20.7) == 2e12
    assert flux_model(4e12, 100.0, (0.1, 0.05), (0.1, 0.05), current=100.0) == 2e12
    assert flux_model(4e12, 1.0, (0.01, 0.01), (0.1, 0.05)) == pytest.approx(4e12 * 0.01 * 0.02)


# -- machine -----------------------------------------------------------------------------


def test_uniform_fill_is_steady_and_beam_loss_shows(repo):
    machine = repo.get("machine_info")
    values = machine.get_value()
    assert values["current"] == 200.0
    assert values["fill_mode"] == "uniform"
    assert values["lifetime"] == 40.0
    assert values["beam_available"] and machine.get_state() is State.READY
    machine.advance(30.0)
    assert machine.get_current() == 200.0  # topped up

    seen = Recorder()
    machine.connect("valueChanged", seen)
    machine.inject_beam_loss("Beam lost: RF trip")
    assert seen.values[-1]["current"] == 0.0
    assert seen.values[-1]["message"] == "Beam lost: RF trip"
    assert not machine.is_beam_available()
    assert machine.get_state() is State.WARNING
    machine.restore_beam()
    assert machine.get_current() == 200.0
    assert machine.get_message() == "User service: uniform 200 mA, top-up"
    assert machine.get_state() is State.READY


def decaying_machine(make_repo, **changes: str):
    text = (SIMULATED / "machine_info.xml").read_text()
    replacements = {
        "<top_up>true</top_up>": "<top_up>false</top_up>",
        "<lifetime>40</lifetime>": "<lifetime>10</lifetime>",
        "<fill_mode>uniform</fill_mode>": "<fill_mode>16-bunch</fill_mode>",
        **changes,
    }
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    return make_repo({"machine_info": text}).get("machine_info")


def test_decaying_fill_decays_with_the_lifetime_and_is_refilled(make_repo):
    machine = decaying_machine(make_repo)
    assert machine.get_fill_mode() == "16-bunch"
    assert machine.get_current() == pytest.approx(200.0, rel=1e-4)
    machine.advance(10.0)  # one lifetime
    assert machine.get_current() == pytest.approx(200.0 / math.e, rel=1e-4)
    machine.advance(3.0)  # refilled at 12 h, 1 h ago
    assert machine.get_current() == pytest.approx(200.0 * math.exp(-0.1), rel=1e-4)


def test_machine_info_updates_periodically_in_its_thread(make_repo):
    # one simulated hour per real second: the decay is seen within a few updates
    machine = decaying_machine(
        make_repo,
        **{
            "<update_period>2</update_period>": "<update_period>0.05</update_period>",
            "<message>": "<time_scale>3600</time_scale><message>",
        },
    )
    seen = Recorder()
    machine.connect("valueChanged", seen)
    deadline = threading.Event()
    for _ in range(100):
        if len(seen.values) >= 3:
            break
        deadline.wait(0.05)
    currents = [values["current"] for values in seen.values]
    assert len(currents) >= 3, currents
    assert all(b < a for a, b in zip(currents, currents[1:])), currents
    assert any(t.name == "/machine_info updates" for t in threading.enumerate())
    machine.shutdown()
    assert not any(t.name == "/machine_info updates" for t in threading.enumerate())


# -- shutters ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["safety_shutter", "fast_shutter"])
def test_shutters_open_and_close(repo, name):
    shutter = repo.get(name)
    assert shutter.get_value() == "CLOSED" and not shutter.is_open()
    shutter.open(timeout=2)
    assert shutter.is_open() and shutter.get_state() is State.READY
    shutter.close(timeout=2)
    assert shutter.get_value() == "CLOSED"


def test_beamline_has_the_roles(repo):
    beamline = repo.beamline
    for role in (
        "detector",
        "resolution",
        "transmission",
        "beam",
        "flux",
        "machine_info",
        "safety_shutter",
        "fast_shutter",
    ):
        assert beamline.role(role) is repo.get(role), role
    assert beamline.detector.get_distance_motor() is beamline.role("detector_distance")
    assert beamline.resolution.get_detector() is beamline.detector
