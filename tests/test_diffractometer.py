"""The simulated diffractometer: motors, zoom, phases, the centring procedure and its faults."""

from __future__ import annotations

import threading
import zlib
from concurrent.futures import Future

import numpy as np
import pytest

from hardware_objects.abstract.diffractometer import (
    AbstractDiffractometer,
    CentredPosition,
    CentringState,
    Phase,
)
from hardware_objects.simulated.diffractometer import SimulatedDiffractometer
from hardware_objects.simulated.sample_geometry import Scene, make_sample
from mxgui.core.centring import ImageGeometry
from mxgui.core.clock import REAL_CLOCK, ManualClock
from mxgui.core.errors import HardwareObjectError, Refused
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.core.repository import HardwareRepository

from helpers import (
    FAST_MOTORS,
    SIMULATED,
    copy_simulated,
    speed_up,
    step_until,
    threads_left,
    use_clock,
    wait_for,
)

State = HardwareObjectState


class Signals:
    """Records the diffractometer's signals in order: ``(name, args)``."""

    NAMES = (
        "phaseChanged",
        "centringStarted",
        "centringClickAccepted",
        "centringSuccessful",
        "centringFailed",
        "centringAccepted",
        "zoomChanged",
        "pixelsPerMmChanged",
        "positionsChanged",
    )

    def __init__(self, emitter) -> None:
        self.events: list[tuple[str, tuple]] = []
        self.lock = threading.Lock()
        for name in self.NAMES:
            emitter.connect(name, lambda *args, name=name: self._record(name, args))

    def _record(self, name, args) -> None:
        with self.lock:
            self.events.append((name, args))

    def named(self, name: str) -> list[tuple]:
        with self.lock:
            return [args for n, args in self.events if n == name]


@pytest.fixture
def diffractometer(repo) -> SimulatedDiffractometer:
    diffractometer = repo.get("diffractometer")
    speed_up(diffractometer)
    return diffractometer


def crystal_at(diffractometer) -> tuple[int, int]:
    """Where a user clicks on the crystal: its projected centre, to the pixel."""
    x, y = diffractometer.scene.crystal_centre_image(
        diffractometer.get_positions(), diffractometer.get_image_geometry()
    )
    return round(x), round(y)


def close(a: dict, b: dict, tolerance: float = 1e-6) -> bool:
    return set(a) == set(b) and all(abs(a[k] - b[k]) <= tolerance for k in a)


# -- configuration -------------------------------------------------------------------------


def test_the_simulated_diffractometer_has_its_roles_and_calibration(repo, diffractometer):
    assert isinstance(diffractometer, AbstractDiffractometer)
    for role in ("phi", "phiy", "phiz", "sampx", "sampy", "kappa", "kappa_phi"):
        assert diffractometer.get_motor(role) is repo.get(role)
    assert diffractometer.get_motor("zoom") is repo.get("zoom")
    assert diffractometer.get_motor("sample_camera") is repo.get("sample_camera")
    assert diffractometer.get_zoom_levels() == [str(i) for i in range(1, 11)]
    assert diffractometer.get_zoom() == "3"
    assert diffractometer.get_pixels_per_mm() == (581.9, 581.9)
    assert diffractometer.get_pixels_per_mm("10") == (5823.7, 5823.7)
    assert diffractometer.get_image_size() == (1280, 1024)
    assert diffractometer.get_beam_position() == (640.0, 512.0)
    assert diffractometer.get_phase() is Phase.CENTRING
    assert diffractometer.get_state() is State.READY
    assert diffractometer.get_mounted_sample() == "1:01"
    assert set(diffractometer.get_positions()) == set(FAST_MOTORS) | {"kappa", "kappa_phi"}
    assert diffractometer.get_centring_state() is CentringState.IDLE
    with pytest.raises(ValueError, match="no role 'omega'"):
        diffractometer.get_motor("omega")
    # the beamline gives both by role
    beamline = repo.beamline
    assert beamline.diffractometer is diffractometer
    assert beamline.sample_camera is repo.get("sample_camera")


def test_a_zoom_level_without_calibration_is_a_clear_error(tmp_path):
    directory = copy_simulated(tmp_path / "beamline")
    zoom = directory / "zoom.xml"
    zoom.write_text(
        zoom.read_text().replace('  <zoom_level name="7" pixels_per_mm="2169.6"/>\n', "")
    )
    repo = HardwareRepository([directory])
    with pytest.raises(
        HardwareObjectError, match=r"diffractometer\.xml:\d+: no calibration for zoom level\(s\) 7"
    ):
        repo.get("diffractometer")
    repo.shutdown()


def test_a_bad_calibration_names_its_line(tmp_path):
    directory = copy_simulated(tmp_path / "beamline")
    zoom = directory / "zoom.xml"
    text = zoom.read_text().replace('pixels_per_mm="1561.0"', 'pixels_per_mm="big"')
    zoom.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "big" in t)
    repo = HardwareRepository([directory])
    with pytest.raises(
        HardwareObjectError, match=rf"zoom\.xml:{line}: <zoom_level>: expected name="
    ):
        repo.get("diffractometer")
    repo.shutdown()


def test_a_role_of_the_wrong_kind_is_refused(tmp_path):
    directory = copy_simulated(tmp_path / "beamline")
    path = directory / "diffractometer.xml"
    path.write_text(
        path.read_text().replace('href="/zoom" role="zoom"', 'href="/phiy" role="zoom"')
    )
    repo = HardwareRepository([directory])
    with pytest.raises(
        HardwareObjectError,
        match='role "zoom": /phiy is a SimulatedMotor, expected an AbstractNState',
    ):
        repo.get("diffractometer")
    repo.shutdown()


# -- motors --------------------------------------------------------------------------------


def test_move_motors_moves_them_together(diffractometer):
    clock = ManualClock()
    use_clock(clock, diffractometer)
    phiy, sampx = diffractometer.get_motor("phiy"), diffractometer.get_motor("sampx")
    for motor in (phiy, sampx):
        motor.set_velocity(1.0)
    assert (phiy.get_value(), sampx.get_value()) == (0.0, 0.0)
    future = diffractometer.move_motors({"phiy": 0.4, "sampx": -0.4})
    assert diffractometer.get_state() is State.BUSY
    clock.wait_for_waiters(2)  # both motors wait for their first readback
    clock.advance(0.2)
    clock.wait_for_waiters(2)  # both have moved and wait for the next readback
    # half the time gone, both half-way: in parallel, not one after the other
    assert (phiy.get_value(), sampx.get_value()) == pytest.approx((0.2, -0.2))
    assert not future.done() and diffractometer.get_state() is State.BUSY
    clock.advance(0.2)
    final = future.result(timeout=5)
    assert final["phiy"] == 0.4 and final["sampx"] == -0.4
    assert diffractometer.get_state() is State.READY


def test_move_motors_checks_every_target_before_moving_any(diffractometer):
    before = diffractometer.get_positions()
    with pytest.raises(ValueError, match="Centring X: 3 is above the high limit 2 mm"):
        diffractometer.move_motors({"phiy": 0.5, "sampx": 3.0})
    with pytest.raises(ValueError, match="no motor 'chi'"):
        diffractometer.move_motors({"chi": 1.0})
    # no move began (a move is BUSY from the moment it is asked for)
    assert all(
        diffractometer.get_motor(role).get_state() is State.READY for role in ("phiy", "sampx")
    )
    assert diffractometer.get_positions() == before


def test_a_motor_failing_in_a_move_fails_the_move_with_its_reason_and_stops_the_others(
    diffractometer,
):
    clock = ManualClock()
    use_clock(clock, diffractometer)
    phiy, sampx = diffractometer.get_motor("phiy"), diffractometer.get_motor("sampx")
    phiy.set_velocity(1.0)
    sampx.set_velocity(1.0)
    future = diffractometer.move_motors({"phiy": 1.0, "sampx": 1.0})
    clock.wait_for_waiters(2)
    clock.advance(0.15)
    clock.wait_for_waiters(2)  # both moved 0.15 and wait for their next readback
    sampx.inject_fault("encoder error")
    clock.advance(0.02)
    with pytest.raises(RuntimeError, match="Centring X: encoder error"):
        future.result(timeout=5)
    phiy.wait_ready(timeout=5)
    assert phiy.get_value() < 0.5  # stopped, not arrived
    assert diffractometer.get_state() is State.FAULT
    sampx.inject_fault(None)
    assert diffractometer.get_state() is State.READY


def test_positions_changed_follows_a_move_and_ends_with_the_final_positions(diffractometer):
    signals = Signals(diffractometer)
    diffractometer.get_motor("phiy").set_velocity(2.0)
    diffractometer.move_motors({"phiy": 0.5}, timeout=5)  # the last signal came before
    emitted = signals.named("positionsChanged")
    assert len(emitted) >= 3
    values = [args[0]["phiy"] for args in emitted]
    assert values == sorted(values)
    assert emitted[-1][0] == diffractometer.get_positions()
    # throttled: not one signal per motor reading (every 20 ms here)
    assert len(emitted) <= 0.25 / 0.05 + 4


# -- zoom and phases -----------------------------------------------------------------------


def test_zoom_change_gives_the_new_calibration(diffractometer):
    signals = Signals(diffractometer)
    diffractometer.set_zoom("6", timeout=5)
    assert diffractometer.get_pixels_per_mm() == (1561.0, 1561.0)
    assert signals.named("zoomChanged") == [("6",)]
    assert signals.named("pixelsPerMmChanged") == [((1561.0, 1561.0),)]
    with pytest.raises(ValueError, match="'11' is not one of"):
        diffractometer.set_zoom("11")


def test_phase_change_takes_time_and_is_signalled(diffractometer):
    signals = Signals(diffractometer)
    future = diffractometer.set_phase("Transfer")
    assert diffractometer.get_state() is State.BUSY
    assert future.result(timeout=5) is Phase.TRANSFER
    assert diffractometer.get_phase() == "Transfer"
    assert diffractometer.get_state() is State.READY
    assert signals.named("phaseChanged") == [(Phase.TRANSFER,)]
    with pytest.raises(
        ValueError, match="unknown phase 'Collect'; phases: Centring, DataCollection"
    ):
        diffractometer.set_phase("Collect")


def test_centring_from_another_phase_goes_to_centring_first(diffractometer):
    diffractometer.set_phase(Phase.DATA_COLLECTION, timeout=5)
    future = diffractometer.start_manual_centring()
    assert diffractometer.get_centring_state() is CentringState.STARTING
    with pytest.raises(Refused, match="not waiting for a click"):
        diffractometer.image_clicked(10, 10)
    future.result(timeout=5)
    assert diffractometer.get_phase() is Phase.CENTRING
    assert diffractometer.get_centring_state() is CentringState.WAITING_CLICK


# -- the centring procedure ----------------------------------------------------------------


def test_a_centring_step_by_step_with_its_signals(diffractometer):
    signals = Signals(diffractometer)
    start = diffractometer.get_positions()
    diffractometer.start_manual_centring().result(timeout=5)
    assert signals.named("centringStarted") == [("manual", 3)]
    for number, omega in ((1, 90.0), (2, 180.0)):
        x, y = crystal_at(diffractometer)
        assert diffractometer.image_clicked(x, y).result(timeout=5) == number
        assert signals.named("centringClickAccepted")[-1] == (number, float(x), float(y))
        assert diffractometer.get_motor("phi").get_value() == pytest.approx(start["phi"] + omega)
        assert diffractometer.get_centring_state() is CentringState.WAITING_CLICK
    result = diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=5)
    assert diffractometer.get_centring_state() is CentringState.CENTRED
    assert signals.named("centringSuccessful") == [(result,)]
    with pytest.raises(Refused, match="not waiting for a click"):
        diffractometer.image_clicked(1, 1)
    with pytest.raises(Refused, match="during a centring"):
        diffractometer.move_to_beam(1, 1)
    assert diffractometer.accept_centring() is result
    assert signals.named("centringAccepted") == [(result,)]
    assert diffractometer.get_centred_position() is result
    assert diffractometer.get_centring_state() is CentringState.IDLE
    assert signals.named("centringFailed") == []


def test_centring_refuses_what_cannot_work(diffractometer):
    with pytest.raises(Refused, match="no centring in progress"):
        diffractometer.image_clicked(100, 100)
    with pytest.raises(ValueError, match="at least 3 clicks"):
        diffractometer.start_manual_centring(n_clicks=2)
    with pytest.raises(ValueError, match="do not determine the position"):
        diffractometer.start_manual_centring(angle_step=180.0)
    with pytest.raises(Refused, match="no centring result to accept"):
        diffractometer.accept_centring()
    diffractometer.start_manual_centring().result(timeout=5)
    with pytest.raises(Refused, match="already in progress"):
        diffractometer.start_manual_centring()
    for bad in ((float("nan"), 1), ("left", 2)):
        with pytest.raises(ValueError, match="image point"):
            diffractometer.image_clicked(*bad)
    diffractometer.cancel_centring().result(timeout=5)


def test_more_clicks_at_other_angles(diffractometer):
    diffractometer.start_manual_centring(n_clicks=5, angle_step=45.0).result(timeout=5)
    for _ in range(5):
        result = diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=5)
    assert isinstance(result, CentredPosition)
    here = diffractometer.get_positions()
    error = max(
        np.linalg.norm(diffractometer.scene.crystal_centre_lab(dict(here, phi=w)))
        for w in (0, 90, 200)
    )
    assert error < 0.005


def test_cancel_between_clicks_restores_the_start(diffractometer):
    signals = Signals(diffractometer)
    diffractometer.move_motors({"phiy": 0.1, "sampx": -0.05, "phi": 12.0}, timeout=5)
    start = diffractometer.get_positions()
    diffractometer.start_manual_centring().result(timeout=5)
    diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=5)
    diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=5)
    assert not close(diffractometer.get_positions(), start)
    diffractometer.cancel_centring().result(timeout=5)
    assert close(diffractometer.get_positions(), start)
    assert signals.named("centringFailed") == [("cancelled",)]
    assert diffractometer.get_centring_state() is CentringState.IDLE
    with pytest.raises(Refused, match="no centring in progress"):
        diffractometer.image_clicked(100, 100)
    assert diffractometer.cancel_centring().done()  # nothing to cancel


def test_cancel_during_the_rotation_stops_it_and_restores(diffractometer):
    phi = diffractometer.get_motor("phi")
    phi.set_velocity(90.0)  # a 90 degree turn takes 1 s
    start = diffractometer.get_positions()
    diffractometer.start_manual_centring().result(timeout=5)
    phi.clock = clock = ManualClock()  # the rotation cannot end before the test says
    rotation = diffractometer.image_clicked(*crystal_at(diffractometer))
    clock.wait_for_waiters(1)
    assert phi.get_state() is State.BUSY
    restore = diffractometer.cancel_centring()
    with pytest.raises(RuntimeError, match="cancelled"):
        rotation.result(timeout=2)
    step_until(clock, restore.done)
    restore.result()
    phi.clock = REAL_CLOCK
    assert close(diffractometer.get_positions(), start)
    # a new centring can start at once and works
    diffractometer.start_manual_centring().result(timeout=5)
    assert diffractometer.get_centring_state() is CentringState.WAITING_CLICK
    diffractometer.cancel_centring().result(timeout=5)


def test_reject_moves_back_to_where_the_centring_started(diffractometer):
    signals = Signals(diffractometer)
    start = diffractometer.get_positions()
    diffractometer.start_manual_centring().result(timeout=5)
    for _ in range(3):
        diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=5)
    diffractometer.reject_centring().result(timeout=5)
    assert close(diffractometer.get_positions(), start)
    assert signals.named("centringFailed") == [("rejected",)]
    assert diffractometer.get_centred_position() is None


def test_a_motor_fault_in_the_centring_move_fails_the_centring_with_its_reason(diffractometer):
    signals = Signals(diffractometer)
    sampx = diffractometer.get_motor("sampx")
    sampx.set_velocity(0.5)
    diffractometer.start_manual_centring().result(timeout=5)
    for _ in range(2):
        diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=5)
    final = diffractometer.image_clicked(*crystal_at(diffractometer))
    wait_for(lambda: sampx.get_state() is State.BUSY, "the centring move", timeout=5)
    sampx.inject_fault("amplifier overheated")
    with pytest.raises(RuntimeError, match="Centring X: amplifier overheated"):
        final.result(timeout=2)
    assert signals.named("centringFailed") == [("Centring X: amplifier overheated",)]
    assert signals.named("centringSuccessful") == []
    assert diffractometer.get_centring_state() is CentringState.IDLE
    # usable again once the fault is cleared: a full centring succeeds
    sampx.inject_fault(None)
    sampx.set_velocity(50.0)
    diffractometer.start_manual_centring().result(timeout=5)
    for _ in range(3):
        result = diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=5)
    assert isinstance(result, CentredPosition)


def test_a_fault_on_omega_between_clicks_fails_the_centring(diffractometer):
    signals = Signals(diffractometer)
    diffractometer.start_manual_centring().result(timeout=5)
    diffractometer.get_motor("phi").inject_fault("brake engaged")
    with pytest.raises(RuntimeError, match="Omega: brake engaged"):
        diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=2)
    assert signals.named("centringFailed") == [("Omega: brake engaged",)]
    assert diffractometer.get_centring_state() is CentringState.IDLE
    diffractometer.get_motor("phi").inject_fault(None)


def test_a_centred_position_out_of_the_limits_fails_the_centring(diffractometer):
    sampx = diffractometer.get_motor("sampx")
    sampx.set_limits((-0.01, 0.01))
    diffractometer.start_manual_centring().result(timeout=5)
    for _ in range(2):
        diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=5)
    with pytest.raises(ValueError, match="Centring X: .* limit"):
        diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=2)
    assert diffractometer.get_centring_state() is CentringState.IDLE


# -- centred positions and move to beam ----------------------------------------------------


def test_move_to_centred_position_brings_the_crystal_back(diffractometer):
    diffractometer.start_manual_centring().result(timeout=5)
    for _ in range(3):
        diffractometer.image_clicked(*crystal_at(diffractometer)).result(timeout=5)
    centred = diffractometer.accept_centring()
    diffractometer.move_motors({"phiy": 0.3, "sampy": 0.2, "phi": 33.0}, timeout=5)
    # the centred point is drawn where the crystal is seen now
    seen = diffractometer.scene.crystal_centre_image(
        diffractometer.get_positions(), diffractometer.get_image_geometry()
    )
    assert diffractometer.centred_position_to_image(centred) == pytest.approx(seen, abs=3.0)
    diffractometer.move_to_centred_position(centred.to_dict()).result(timeout=5)
    assert (
        np.linalg.norm(diffractometer.scene.crystal_centre_lab(diffractometer.get_positions()))
        < 0.005
    )


@pytest.mark.parametrize("phi", [0.0, 60.0, 150.0])
def test_move_to_beam_brings_the_clicked_point_onto_the_beam(diffractometer, phi):
    diffractometer.get_motor("phi").set_value(phi, timeout=5)
    scene = diffractometer.scene
    before = scene.crystal_centre_lab(diffractometer.get_positions())
    x, y = crystal_at(diffractometer)
    delta = diffractometer.image_to_motor_delta(x, y)
    assert set(delta) == {"phiy", "sampx", "sampy"}
    diffractometer.move_to_beam(x, y).result(timeout=5)
    after = scene.crystal_centre_lab(diffractometer.get_positions())
    half_pixel = 0.5 / diffractometer.get_pixels_per_mm()[0]
    assert abs(after[0]) <= half_pixel * 1.01 and abs(after[1]) <= half_pixel * 1.01
    assert after[2] == pytest.approx(before[2])  # nothing moved along the beam
    assert crystal_at(diffractometer) == (640, 512)


# -- the scene -----------------------------------------------------------------------------


def test_mounted_sample_can_change_and_be_removed(diffractometer):
    first = diffractometer.scene.crystal_centre_lab(diffractometer.get_positions())
    diffractometer.set_mounted_sample("2:03")
    assert diffractometer.get_mounted_sample() == "2:03"
    other = diffractometer.scene.crystal_centre_lab(diffractometer.get_positions())
    assert not np.allclose(first, other)
    diffractometer.set_mounted_sample(None)
    assert diffractometer.get_mounted_sample() is None and diffractometer.get_sample() is None
    assert diffractometer.illuminated_fraction((0.05, 0.05)) == 0.0
    with pytest.raises(ValueError, match="a sample address"):
        diffractometer.set_mounted_sample("  ")


def test_illuminated_fraction_follows_the_crystal(diffractometer):
    diffractometer.move_motors(diffractometer.scene.centring_positions(), timeout=5)
    small = min(diffractometer.get_sample().crystal_size) / 4
    assert diffractometer.illuminated_fraction((small, small)) == 1.0
    assert diffractometer.illuminated_fraction((small, small), "rectangle") == 1.0
    big = diffractometer.illuminated_fraction((1.0, 1.0))
    assert 0.0 < big < 0.1
    diffractometer.move_motors({"phiy": diffractometer.get_positions()["phiy"] + 0.5}, timeout=5)
    assert diffractometer.illuminated_fraction((small, small)) == 0.0


def test_shutdown_leaves_no_thread_behind():
    before = set(threading.enumerate())
    repo = HardwareRepository([SIMULATED])
    diffractometer = repo.get("diffractometer")
    phase = diffractometer.set_phase("Transfer")
    repo.get("sample_camera").start_streaming()
    future: Future = diffractometer.get_motor("phi").set_value(1000)
    repo.shutdown()
    with pytest.raises(RuntimeError, match="phase change stopped by shutdown"):
        phase.result(timeout=1)
    left = threads_left(before)
    assert not left, left
    assert future.done()


def test_each_pin_holds_the_same_crystal_in_every_run():
    first, again, other = make_sample("1:05"), make_sample(" 1:05 "), make_sample("1:06")
    assert first.seed == again.seed == zlib.crc32(b"1:05")  # not hash(): stable across runs
    assert np.array_equal(first.crystal_centre, again.crystal_centre)
    assert np.array_equal(first.crystal_axes, again.crystal_axes)
    assert not np.allclose(first.crystal_centre, other.crystal_centre)


def test_samples_are_realistic_loops_and_crystals():
    for puck in range(1, 6):
        for pin in range(1, 17):
            sample = make_sample(f"{puck}:{pin:02d}")
            a, b = sample.loop_semi_axes
            assert 0.2 <= 2 * a <= 0.6 and b <= a
            assert np.all((sample.crystal_size >= 0.02) & (sample.crystal_size <= 0.15))
            # a rotation: orthonormal, right-handed
            axes = sample.crystal_axes
            assert axes.T @ axes == pytest.approx(np.eye(3)) and np.linalg.det(axes) > 0
            # the crystal sits inside the loop
            offset = sample.crystal_centre - sample.loop_centre
            t = np.radians(sample.loop_angle)
            along, across = offset[0], offset[1] * np.cos(t) + offset[2] * np.sin(t)
            assert (along / a) ** 2 + (across / b) ** 2 < 1.0


def test_illuminated_fraction_is_the_crystal_area_over_the_beam_area():
    scene = Scene(make_sample("2:11"))
    motors = dict(scene.centring_positions(), phi=30.0)
    hull = scene.crystal_outline_image(motors, ImageGeometry((1.0, 1.0), (0.0, 0.0)))  # in mm
    x, y = hull[:, 0], hull[:, 1]
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    beam = (0.4, 0.4)
    fraction = scene.illuminated_fraction(motors, beam, "rectangle")
    assert fraction * beam[0] * beam[1] == pytest.approx(area, rel=0.03)
    ellipse = scene.illuminated_fraction(motors, beam, "ellipse")
    assert ellipse * np.pi * 0.2 * 0.2 == pytest.approx(area, rel=0.03)
    for size, shape, message in (
        ((0, 0.1), "ellipse", "beam size"),
        ((0.1, float("nan")), "ellipse", "beam size"),
        ((0.1, 0.1), "circle", "beam shape"),
    ):
        with pytest.raises(ValueError, match=message):
            scene.illuminated_fraction(motors, size, shape)
    assert Scene(None).illuminated_fraction(motors, beam) == 0.0
