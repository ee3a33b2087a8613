"""The simulated sample camera: frames, streaming without backlog, and what the pixels show."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from hardware_objects.abstract.sample_camera import AbstractSampleCamera
from hardware_objects.simulated.sample_camera import SimulatedSampleCamera
from hardware_objects.simulated.sample_geometry import (
    BACKGROUND,
    CRYSTAL_EDGE,
    FILM,
    NYLON,
    PIN,
    crystal_material,
)
from mxgui.core.clock import ManualClock
from mxgui.core.errors import HardwareObjectError
from mxgui.core.repository import HardwareRepository

from helpers import speed_up, step_until


@pytest.fixture
def diffractometer(repo):
    diffractometer = repo.get("diffractometer")
    speed_up(diffractometer)
    return diffractometer


@pytest.fixture
def camera(repo, diffractometer) -> SimulatedSampleCamera:
    return repo.get("sample_camera")


def bright_lights(diffractometer) -> tuple[float, float]:
    """Front light full, back light low: the crystal is the brightest thing in view."""
    diffractometer.get_motor("frontlight").set_value(100, timeout=5)
    diffractometer.get_motor("backlight").set_value(20, timeout=5)
    crystal = crystal_material(0.0).grey_level(20, 100)  # the dimmest face
    others = max(m.grey_level(20, 100) for m in (BACKGROUND, FILM, NYLON, PIN, CRYSTAL_EDGE))
    assert crystal > others + 30
    return crystal, others


def crystal_blob(frame: np.ndarray, threshold: float) -> tuple[float, float, int]:
    """Centroid ``(x, y)`` (pixel centres at +0.5) and area of the bright pixels."""
    rows, cols = np.nonzero(frame > threshold)
    assert rows.size > 0, "no bright pixels: the crystal is not in the frame"
    return float(cols.mean() + 0.5), float(rows.mean() + 0.5), int(rows.size)


def test_frames_are_read_only_greyscale_uint8_of_the_configured_size(camera):
    assert isinstance(camera, AbstractSampleCamera)
    assert (camera.get_width(), camera.get_height()) == (1280, 1024)
    assert camera.get_size() == (1280, 1024) and not camera.is_colour()
    frame = camera.get_frame()
    assert frame.shape == (1024, 1280) and frame.dtype == np.uint8
    assert frame.flags.c_contiguous and not frame.flags.writeable
    with pytest.raises(ValueError):
        frame[0, 0] = 1
    # not streaming: each call takes a new frame (noise differs, numbers increase)
    number = camera.get_frame_number()
    second = camera.get_frame()
    assert camera.get_frame_number() == number + 1
    assert not np.array_equal(frame, second)


def test_streaming_emits_increasing_frame_numbers_at_the_frame_rate(camera):
    camera.clock = clock = ManualClock()
    camera.set_frame_rate(50.0)
    received: list[tuple[int, float]] = []
    camera.connect("imageReceived", lambda frame, number: received.append((number, clock.now())))
    camera.start_streaming()
    assert camera.is_streaming()
    step_until(clock, lambda: len(received) >= 50)
    camera.stop_streaming()
    assert not camera.is_streaming()
    count = len(received)
    numbers = [n for n, _ in received]
    assert numbers == sorted(numbers) and len(set(numbers)) == count
    # one frame every 1/50 s of the camera's clock (the real rate: benchmarks/)
    times = [t for _, t in received]
    assert np.diff(times) == pytest.approx([0.02] * (count - 1))
    assert camera.get_frame_number() == numbers[-1]
    clock.advance(1.0)
    assert len(received) == count  # stopped means stopped


def test_a_slow_receiver_makes_the_camera_skip_frames_never_queue_them(camera):
    camera.clock = clock = ManualClock()
    camera.set_frame_rate(50.0)
    deliveries: list[float] = []
    slow = threading.Event()
    slow.set()

    def receiver(frame, number):
        deliveries.append(clock.now())
        if slow.is_set():
            clock.advance(0.1)  # a display five frames slow

    camera.connect("imageReceived", receiver)
    camera.start_streaming()
    step_until(clock, lambda: clock.now() >= 1.0)
    slow.clear()  # the frame being received, if any, is still slow
    resumed = clock.now() + 0.1
    step_until(clock, lambda: clock.now() >= resumed + 0.5)
    camera.stop_streaming()
    gaps = list(np.round(np.diff(deliveries), 6))
    slow_gaps = gaps.count(0.1)
    # while slow: one frame per receiver call, 0.1 s apart, not 50 a second; after the
    # receiver speeds up, no burst of queued frames: the normal rate resumes at once
    assert slow_gaps >= 9 and gaps == [0.1] * slow_gaps + [0.02] * (len(gaps) - slow_gaps)
    assert len(gaps) - slow_gaps >= 25


def test_frame_rate_is_checked(camera):
    for bad in (0, -1, 5000, "fast", True):
        with pytest.raises(ValueError, match="frame rate must be above 0"):
            camera.set_frame_rate(bad)
    camera.set_frame_rate(10)
    assert camera.get_frame_rate() == 10.0


def test_empty_view_without_a_sample_is_a_uniform_background(camera, diffractometer):
    diffractometer.set_mounted_sample(None)
    frame = camera.get_frame().astype(float)
    level = BACKGROUND.grey_level(diffractometer.get_motor("backlight").get_value(), 0)
    assert frame.mean() == pytest.approx(level, abs=1.0)
    assert frame.min() >= level - 9 and frame.max() <= level + 9
    # and with a sample the loop and pin are there: dark pixels
    diffractometer.set_mounted_sample("1:01")
    assert np.count_nonzero(camera.get_frame() < level - 30) > 1000


def test_the_crystal_in_the_pixels_is_where_the_scene_projects_it(camera, diffractometer):
    crystal, others = bright_lights(diffractometer)
    for address, phi in (("1:01", 0.0), ("2:09", 75.0), ("3:04", 200.0)):
        diffractometer.set_mounted_sample(address)
        scene = diffractometer.scene
        diffractometer.get_motor("phi").set_value(phi, timeout=5)
        frame = camera.get_frame()
        x, y, area = crystal_blob(frame, (crystal + others) / 2)
        expected = scene.crystal_centre_image(
            diffractometer.get_positions(), diffractometer.get_image_geometry()
        )
        assert (x, y) == pytest.approx(expected, abs=2.0), address
        assert area > 20


def test_zoom_scales_the_rendered_crystal(camera, diffractometer):
    crystal, others = bright_lights(diffractometer)
    diffractometer.move_motors(diffractometer.scene.centring_positions(), timeout=5)
    areas = {}
    for zoom in ("4", "7"):
        diffractometer.set_zoom(zoom, timeout=5)
        x, y, areas[zoom] = crystal_blob(camera.get_frame(), (crystal + others) / 2)
        assert (x, y) == pytest.approx(diffractometer.get_beam_position(), abs=2.0)
    ppm = {z: diffractometer.get_pixels_per_mm(z)[0] for z in areas}
    assert areas["7"] / areas["4"] == pytest.approx((ppm["7"] / ppm["4"]) ** 2, rel=0.15)


def test_clicking_the_crystal_seen_in_the_frames_centres_it(camera, diffractometer):
    """The whole user path: find the crystal in the pixels, click it three times."""
    crystal, others = bright_lights(diffractometer)
    diffractometer.set_mounted_sample("3:12")
    diffractometer.start_manual_centring().result(timeout=5)
    for _ in range(3):
        x, y, _area = crystal_blob(camera.get_frame(), (crystal + others) / 2)
        diffractometer.image_clicked(round(x), round(y)).result(timeout=5)
    here = diffractometer.get_positions()
    errors = [
        np.linalg.norm(diffractometer.scene.crystal_centre_lab(dict(here, phi=w)))
        for w in (0, 45, 90, 180, 300)
    ]
    assert max(errors) < 0.005, errors
    # and the crystal is now seen on the beam
    x, y, _area = crystal_blob(camera.get_frame(), (crystal + others) / 2)
    assert (x, y) == pytest.approx(diffractometer.get_beam_position(), abs=3.0)


def test_bad_camera_configuration_names_the_file_and_line(tmp_path):
    (tmp_path / "camera.xml").write_text(
        '<object class="simulated.sample_camera.SimulatedSampleCamera">\n'
        "  <width>4</width>\n</object>\n"
    )
    repo = HardwareRepository([tmp_path])
    with pytest.raises(HardwareObjectError, match=r"camera\.xml:2: width must be 16\.\.8192"):
        repo.get("camera")
