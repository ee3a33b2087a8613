"""Synthetic diffraction images and the files they are written to (CBF, HDF5, PNG)."""

from __future__ import annotations

import math
import os

import fabio
import numpy as np
import pytest
from PIL import Image

from hardware_objects.simulated.diffraction import DetectorGeometry, DiffractionSimulator
from hardware_objects.simulated.image_writer import (
    ImageHeader,
    NexusWriter,
    OverwriteRefused,
    staged,
    write_cbf,
)
from mxgui.core.png import encode_png, write_png

GEOMETRY = DetectorGeometry(
    width=320,
    height=300,
    pixel_size_x=0.172,
    pixel_size_y=0.172,
    distance=120.0,
    beam_x=161.3,
    beam_y=148.7,
    wavelength=0.9763,
)
HEADER = ImageHeader(
    detector="Simulated PILATUS 6M",
    pixel_size_x=0.172,
    pixel_size_y=0.172,
    distance=120.0,
    wavelength=0.9763,
    beam_x=161.3,
    beam_y=148.7,
    exposure_time=0.04,
    exposure_period=0.05,
    start_angle=12.25,
    angle_increment=0.15,
    transmission=50.0,
)


@pytest.fixture(scope="module")
def simulator():
    return DiffractionSimulator(GEOMETRY, seed=11)


def leftovers(directory) -> list[str]:
    return [name for name in os.listdir(directory) if name.startswith(".")]


# -- the simulated crystal ------------------------------------------------------------------


def test_images_are_deterministic_per_seed_and_image(simulator):
    a = simulator.image(3, 10.0, 11.0, 0.8)
    b = simulator.image(3, 10.0, 11.0, 0.8)
    assert a.dtype == np.int32 and a.shape == (300, 320)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, simulator.image(4, 10.0, 11.0, 0.8)), "noise differs per image"
    other_crystal = DiffractionSimulator(GEOMETRY, seed=12).image(3, 10.0, 11.0, 0.8)
    assert not np.array_equal(a, other_crystal)
    assert a.min() >= 0


def test_background_level_and_noise(simulator):
    expected = simulator.expected_background
    image = simulator.image(0, 0.0, 0.1, 0.0).astype(float)
    assert image.mean() == pytest.approx(expected.mean(), rel=0.05)
    # Poisson: the variance about the mean is the mean
    lit = expected > 2.0  # outside the beam-stop shadow
    residual = image[lit] - expected[lit]
    assert residual.var() == pytest.approx(expected[lit].mean(), rel=0.1)
    # the water ring (3.7 A) is brighter than the air scatter around it
    g = GEOMETRY
    y, x = np.indices(expected.shape)
    r = np.hypot((x - g.beam_x) * g.pixel_size_x, (y - g.beam_y) * g.pixel_size_y)
    d = g.wavelength / (2 * np.sin(0.5 * np.arctan(r / g.distance)))
    assert expected[abs(d - 3.7) < 0.05].mean() > 1.5 * expected[(d > 6) & (d < 8)].mean()


def test_strength_scales_the_number_and_brightness_of_spots(simulator):
    wedge = (0.0, 20.0)
    counts = {s: len(simulator.reflections_in(*wedge)) for s in (1.0,)}
    assert counts[1.0] > 20, "a 20 degree wedge must cross some reflections"
    background = simulator.image(1, *wedge, 0.0).astype(np.int64)
    excess = [
        int((simulator.image(1, *wedge, s).astype(np.int64) - background).sum())
        for s in (0.0, 0.25, 0.5, 1.0)
    ]
    assert excess[0] == 0
    assert excess[0] < excess[1] < excess[2] < excess[3]
    bright = [int((simulator.image(1, *wedge, s) > 200).sum()) for s in (0.25, 1.0)]
    assert bright[0] < bright[1]


def test_consecutive_wedges_split_the_reflections_exactly(simulator):
    whole = set(simulator.reflections_in(30.0, 32.0).tolist())
    halves = set(simulator.reflections_in(30.0, 31.0).tolist()) | set(
        simulator.reflections_in(31.0, 32.0).tolist()
    )
    assert whole == halves
    assert not set(simulator.reflections_in(30.0, 31.0).tolist()) & set(
        simulator.reflections_in(31.0, 32.0).tolist()
    )
    # through 360 degrees and beyond
    wrapped = set(simulator.reflections_in(359.0, 361.0).tolist())
    assert wrapped == set(simulator.reflections_in(359.0, 360.0).tolist()) | set(
        simulator.reflections_in(0.0, 1.0).tolist()
    )
    assert set(simulator.reflections_in(-1.0, 0.0).tolist()) == set(
        simulator.reflections_in(359.0, 360.0).tolist()
    )
    # a full turn crosses every reflection
    assert len(simulator.reflections_in(0.0, 360.0)) == simulator.reflection_count


def test_spots_lie_within_the_crystal_resolution(simulator):
    """Bragg's law: no spot beyond the resolution the crystal diffracts to."""
    g = GEOMETRY
    x = (simulator._x - g.beam_x) * g.pixel_size_x
    y = (simulator._y - g.beam_y) * g.pixel_size_y
    two_theta = np.arctan(np.hypot(x, y) / g.distance)
    d = g.wavelength / (2 * np.sin(two_theta / 2))
    # one pixel of rounding at the outermost spot
    margin = g.wavelength / (2 * math.sin(0.5 * math.atan(0.3 / g.distance))) * 1e-3
    assert d.min() >= simulator.crystal_resolution * 0.98 - margin


@pytest.mark.parametrize("field", ["width", "distance", "wavelength"])
def test_bad_geometry_is_refused(field):
    values = {**GEOMETRY.__dict__, field: 0}
    with pytest.raises(ValueError, match=f"{field} must be above 0"):
        DetectorGeometry(**values)


# -- CBF ------------------------------------------------------------------------------------


def test_cbf_header_is_read_back_by_fabio(tmp_path, simulator):
    data = simulator.image(0, 12.25, 12.4, 1.0)
    path = write_cbf(tmp_path / "lyso_1_00001.cbf", data, HEADER)
    image = fabio.open(str(path))
    assert np.array_equal(image.data, data)
    assert image.header["_array_data.header_convention"] == "PILATUS_1.2"
    assert "# Start_angle 12.2500 deg." in image.header["_array_data.header_contents"]
    pilatus = image.pilatus_headers
    assert pilatus["Start_angle"] == pytest.approx(12.25)
    assert pilatus["Angle_increment"] == pytest.approx(0.15)
    assert pilatus["Exposure_time"] == pytest.approx(0.04)
    assert pilatus["Exposure_period"] == pytest.approx(0.05)
    assert pilatus["Wavelength"] == pytest.approx(0.9763)
    assert pilatus["Detector_distance"] == pytest.approx(0.120)  # metres
    assert pilatus["Beam_xy"] == pytest.approx((161.3, 148.7))
    assert pilatus["Pixel_size"] == pytest.approx((172e-6, 172e-6))
    assert pilatus["Filter_transmission"] == pytest.approx(0.5)
    assert "Simulated PILATUS 6M" in pilatus["Detector"]
    assert leftovers(tmp_path) == []


def test_cbf_is_never_overwritten(tmp_path):
    path = tmp_path / "lyso_1_00001.cbf"
    write_cbf(path, np.ones((4, 5), np.int32), HEADER)
    before = path.read_bytes()
    with pytest.raises(OverwriteRefused) as info:
        write_cbf(path, np.zeros((4, 5), np.int32), HEADER)
    assert str(info.value) == f"refusing to overwrite existing file {path}"
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_a_failed_write_leaves_nothing(tmp_path):
    path = tmp_path / "lyso_1_00002.cbf"
    with pytest.raises(RuntimeError, match="detector error"), staged(path) as temporary:
        temporary.write_bytes(b"half an image")
        raise RuntimeError("detector error")
    assert os.listdir(tmp_path) == []


def test_a_file_appearing_meanwhile_is_not_overwritten(tmp_path):
    path = tmp_path / "lyso_1_00003.cbf"
    with pytest.raises(OverwriteRefused), staged(path) as temporary:
        temporary.write_bytes(b"ours")
        path.write_bytes(b"theirs")  # someone else was faster
    assert path.read_bytes() == b"theirs"
    assert leftovers(tmp_path) == []


def test_writing_into_a_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        write_cbf(tmp_path / "missing" / "a_1_00001.cbf", np.ones((2, 2), np.int32), HEADER)
    assert str(tmp_path / "missing") in str(info.value)


# -- HDF5 -----------------------------------------------------------------------------------


def test_nexus_master_file(tmp_path, simulator):
    h5py = pytest.importorskip("h5py")
    pytest.importorskip("hdf5plugin")  # registers the images' bitshuffle-LZ4 filter
    path = tmp_path / "lyso_2_master.h5"
    writer = NexusWriter(path, HEADER, (300, 320), num_images=4)
    images = []
    for i in range(4):
        images.append(simulator.image(i, 12.25 + 0.15 * i, 12.4 + 0.15 * i, 1.0))
        writer.add(images[-1], 12.25 + 0.15 * i)
        assert not path.exists(), "the file appears whole, at the end"
    assert writer.close() == path
    with h5py.File(path, "r") as f:
        assert f["entry"].attrs["NX_class"] == "NXentry"
        assert f["entry/definition"][()] == b"NXmx"
        omega = f["entry/sample/goniometer/omega"]
        assert omega[()] == pytest.approx([12.25, 12.4, 12.55, 12.7])
        assert omega.attrs["transformation_type"] == "rotation"
        assert f["entry/sample/goniometer/omega_increment"][()] == pytest.approx([0.15] * 4)
        detector = f["entry/instrument/detector"]
        assert detector["distance"][()] == pytest.approx(0.120)
        assert detector["distance"].attrs["units"] == "m"
        assert detector["count_time"][()] == pytest.approx(0.04)
        assert detector["beam_center_x"][()] == pytest.approx(161.3)
        assert f["entry/instrument/beam/incident_wavelength"][()] == pytest.approx(0.9763)
        data = f["entry/data/data_000001"]
        assert data.shape == (4, 300, 320)
        assert np.array_equal(data[2], images[2])
    image = fabio.open(str(path))
    try:
        assert image.nframes == 4
        assert np.array_equal(image.getframe(3).data, images[3])
    finally:
        image.close()
    assert leftovers(tmp_path) == []


def test_nexus_abort_leaves_nothing_and_a_stopped_file_holds_what_was_taken(tmp_path):
    h5py = pytest.importorskip("h5py")
    writer = NexusWriter(tmp_path / "a_1_master.h5", HEADER, (4, 5), num_images=10)
    writer.add(np.ones((4, 5), np.int32), 0.0)
    writer.abort()
    assert os.listdir(tmp_path) == []
    writer = NexusWriter(tmp_path / "a_2_master.h5", HEADER, (4, 5), num_images=10)
    for i in range(3):
        writer.add(np.full((4, 5), i, np.int32), 0.15 * i)
    writer.close()
    with h5py.File(tmp_path / "a_2_master.h5", "r") as f:
        assert f["entry/data/data_000001"].shape == (3, 4, 5)
        assert len(f["entry/sample/goniometer/omega"]) == 3
        assert f["entry/instrument/detector/detectorSpecific/nimages"][()] == 3


def test_nexus_refuses_to_overwrite(tmp_path):
    (tmp_path / "a_1_master.h5").write_bytes(b"precious")
    with pytest.raises(OverwriteRefused, match="a_1_master.h5"):
        NexusWriter(tmp_path / "a_1_master.h5", HEADER, (4, 5), num_images=1)
    assert (tmp_path / "a_1_master.h5").read_bytes() == b"precious"
    assert leftovers(tmp_path) == []


# -- PNG ------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7, 9), (7, 9, 3), (7, 9, 4)])
def test_png_round_trip(tmp_path, shape):
    data = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    path = write_png(tmp_path / "s.png", data)
    with Image.open(path) as image:
        assert np.array_equal(np.asarray(image), data)


def test_png_scales_other_types_and_refuses_bad_shapes():
    data = np.array([[0.0, 0.5], [1.0, 1.0]])
    assert encode_png(data).startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="expected a height x width"):
        encode_png(np.zeros((2, 2, 5), np.uint8))
