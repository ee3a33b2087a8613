"""HDF5 collections are NXmx as processing programs read it, with the CBF's geometry.

A real simulated collection is written twice, as one HDF5 master file and as CBF
files, with the same parameters at the same crystal position: the DIALS team's
``nxmx`` reader reads the HDF5 file whole, and its geometry, angles and counts equal
what the CBF headers (read by fabio) and images hold.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import fabio
import h5py
import numpy as np
import nxmx
import pytest

from hardware_objects.abstract.energy import HC_KEV_ANGSTROM
from hardware_objects.simulated.image_writer import ImageHeader, NexusWriter
from hardware_objects.simulated.nxmx_writer import (
    DETECTOR_AXIS,
    FAST_PIXEL_VECTOR,
    OMEGA,
    OMEGA_VECTOR,
    SLOW_PIXEL_VECTOR,
)
from mxgui.core.acquisition import AcquisitionParameters, PathTemplate
from mxgui.core.centring import CentredPosition
from mxgui.core.queue.entries.strategy import read_frames
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED, quick_collect_overrides

PARAMETERS = AcquisitionParameters(
    osc_start=12.5,
    osc_range=0.25,
    num_images=6,
    exp_time=0.0,
    energy=12.4,
    transmission=40.0,
    detector_distance=180.0,
    take_snapshots=0,
    detector_roi_mode="test",
)


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> dict[str, list[Path]]:
    """The same collection written as HDF5 (``"h5"``: the master file) and as CBF."""
    base = tmp_path_factory.mktemp("nxmx")
    repo = HardwareRepository([quick_collect_overrides(base), SIMULATED])
    try:
        collect = repo.get("collect")
        diffractometer = repo.get("diffractometer")
        diffractometer.get_motor("phi").set_velocity(3600.0)
        centring = diffractometer.scene.centring_positions()
        centred = CentredPosition(**{"phi": 0.0, **{k: float(v) for k, v in centring.items()}})
        files = {}
        for suffix in ("h5", "cbf"):
            path = collect.get_default_path_template(prefix=f"same_{suffix}")
            path = PathTemplate.from_dict({**path.to_dict(), "suffix": suffix})
            info = collect.collect(PARAMETERS, path, centred).result(timeout=60)
            files[suffix] = [Path(name) for name in info["files"]]
    finally:
        repo.shutdown()
    return files


@pytest.fixture(scope="module")
def cbf_headers(collected) -> list[dict[str, object]]:
    headers = []
    for name in collected["cbf"]:
        image = fabio.open(str(name))
        headers.append(image.pilatus_headers)
        image.close()
    return headers


def test_the_master_file_is_named_as_the_design_says(collected):
    (master,) = collected["h5"]
    assert master.name == "same_h5_1_master.h5"
    assert [p.name for p in collected["cbf"]] == [f"same_cbf_1_{n:05d}.cbf" for n in range(1, 7)]


def test_nxmx_reads_the_collection_whole(collected):
    with h5py.File(collected["h5"][0], "r") as f:
        (entry,) = nxmx.NXmx(f).entries
        assert entry.definition == "NXmx"
        assert entry.start_time <= entry.end_time
        assert entry.end_time - entry.start_time < datetime.timedelta(minutes=5)
        assert entry.source.name

        (instrument,) = entry.instruments
        (beam,) = instrument.beams
        assert beam.incident_wavelength.to("angstrom").magnitude == pytest.approx(
            HC_KEV_ANGSTROM / 12.4, abs=1e-6
        )
        (attenuator,) = instrument.attenuators
        assert attenuator.transmission == pytest.approx(0.40)

        (detector,) = instrument.detectors
        assert detector.sensor_material == "Si"
        assert detector.sensor_thickness.to("mm").magnitude == pytest.approx(0.45)
        assert detector.saturation_value > 0
        assert detector.distance.to("mm").magnitude == pytest.approx(180.0)
        assert detector.depends_on.path == DETECTOR_AXIS
        assert detector.depends_on.transformation_type == "translation"
        assert detector.depends_on[()].to("mm").magnitude == pytest.approx([180.0])

        (module,) = detector.modules
        assert list(module.data_origin) == [0, 0]
        assert list(module.data_size) == [256, 256]
        fast, slow = module.fast_pixel_direction, module.slow_pixel_direction
        assert list(fast.vector) == list(FAST_PIXEL_VECTOR)
        assert list(slow.vector) == list(SLOW_PIXEL_VECTOR)
        for axis in (fast, slow, module.module_offset):
            assert axis.transformation_type == "translation"
            assert axis.units.dimensionality == nxmx.ureg.mm.dimensionality
            assert axis.depends_on is not None
        assert module.module_offset.depends_on.path == DETECTOR_AXIS

        (sample,) = entry.samples
        omega = sample.depends_on
        assert omega.path == OMEGA and omega.depends_on is None
        assert omega.transformation_type == "rotation"
        assert list(omega.vector) == list(OMEGA_VECTOR)
        starts = [PARAMETERS.image_range(i)[0] for i in range(6)]
        assert omega[()].to("deg").magnitude == pytest.approx(starts)
        assert omega.end[:].to("deg").magnitude == pytest.approx([s + 0.25 for s in starts])
        assert omega.increment_set.to("deg").magnitude == pytest.approx(0.25)
        axes = nxmx.get_rotation_axes(nxmx.get_dependency_chain(omega))
        assert list(axes.names) == ["omega"] and list(axes.is_scan_axis) == [True]

        (data,) = entry.data
        images = data[data.signal]
        assert images.shape == (6, 256, 256) and images.dtype == np.int32


def test_the_plain_names_image_viewers_read_are_there(collected, cbf_headers):
    header = cbf_headers[0]
    with h5py.File(collected["h5"][0], "r") as f:
        detector = f["entry/instrument/detector"]
        assert (detector["beam_center_x"][()], detector["beam_center_y"][()]) == pytest.approx(
            header["Beam_xy"], abs=0.005
        )
        assert detector["distance"][()] == pytest.approx(header["Detector_distance"], abs=1e-5)
        assert (detector["x_pixel_size"][()], detector["y_pixel_size"][()]) == pytest.approx(
            header["Pixel_size"]
        )
        assert f["entry/instrument/beam/incident_wavelength"][()] == pytest.approx(
            header["Wavelength"], abs=1e-5
        )
        assert [name for name in f["entry/data"] if name.startswith("data_")] == ["data_000001"]


def test_the_images_hold_the_counts_of_the_cbf_images(collected):
    with h5py.File(collected["h5"][0], "r") as f:
        (entry,) = nxmx.NXmx(f).entries
        data = entry.data[0]
        images = data[data.signal][()]
    for i, name in enumerate(collected["cbf"]):
        image = fabio.open(str(name))
        try:
            assert np.array_equal(images[i], image.data), name.name
        finally:
            image.close()
    assert images.max() > 10 * np.median(images), "the crystal diffracts: spots, not noise"


def beam_on_detector_pixels(f: h5py.File) -> tuple[float, float, float]:
    """Where the beam (the z axis) meets the detector, from the module's depends_on
    chain alone: (fast pixel, slow pixel, distance in mm along the beam)."""
    (detector,) = nxmx.NXmx(f).entries[0].instruments[0].detectors
    module = detector.modules[0]
    chain = nxmx.get_dependency_chain(module.module_offset)
    corner = nxmx.get_cumulative_transformation(chain)[0][:3, 3]
    fast = module.fast_pixel_direction
    slow = module.slow_pixel_direction
    fast_step = fast[()].to("mm").magnitude[0] * np.array(fast.vector)
    slow_step = slow[()].to("mm").magnitude[0] * np.array(slow.vector)
    # corner + i * fast_step + j * slow_step = (0, 0, z): solve the x and y rows
    i, j = np.linalg.solve(np.array([fast_step[:2], slow_step[:2]]).T, -corner[:2])
    z = corner[2] + i * fast_step[2] + j * slow_step[2]
    return float(i), float(j), float(z)


def test_the_geometry_equals_the_cbf_header_of_the_same_collection(collected, cbf_headers):
    with h5py.File(collected["h5"][0], "r") as f:
        (entry,) = nxmx.NXmx(f).entries
        detector = entry.instruments[0].detectors[0]
        wavelength = entry.instruments[0].beams[0].incident_wavelength.to("angstrom").magnitude
        beam_x = detector.beam_center_x.to("pixel").magnitude
        beam_y = detector.beam_center_y.to("pixel").magnitude
        distance = detector.distance.to("mm").magnitude
        fast = detector.modules[0].fast_pixel_direction[()].to("mm").magnitude[0]
        slow = detector.modules[0].slow_pixel_direction[()].to("mm").magnitude[0]
        omega = entry.samples[0].depends_on
        starts = omega[()].to("deg").magnitude
        ends = omega.end[:].to("deg").magnitude
        chain_x, chain_y, chain_distance = beam_on_detector_pixels(f)
    for i, header in enumerate(cbf_headers):
        cbf_beam_x, cbf_beam_y = header["Beam_xy"]
        assert (beam_x, beam_y) == pytest.approx((cbf_beam_x, cbf_beam_y), abs=0.005)
        assert (chain_x, chain_y) == pytest.approx((cbf_beam_x, cbf_beam_y), abs=0.005)
        assert distance == pytest.approx(header["Detector_distance"] * 1e3, abs=0.01)
        assert chain_distance == pytest.approx(header["Detector_distance"] * 1e3, abs=0.01)
        assert wavelength == pytest.approx(header["Wavelength"], abs=1e-5)
        assert (fast, slow) == pytest.approx([v * 1e3 for v in header["Pixel_size"]], rel=1e-6)
        assert starts[i] == pytest.approx(header["Start_angle"], abs=1e-4)
        assert ends[i] - starts[i] == pytest.approx(header["Angle_increment"], abs=1e-4)
    # the beam centre in mm, as XDS and DIALS take it from either file
    assert (chain_x * fast, chain_y * slow) == pytest.approx(
        (cbf_beam_x * header["Pixel_size"][0] * 1e3, cbf_beam_y * header["Pixel_size"][1] * 1e3),
        abs=1e-3,
    )


def test_the_reference_image_reader_sees_the_same_frames_in_both(collected):
    (master,) = collected["h5"]
    from_h5 = read_frames(master)
    assert len(from_h5) == 6
    for frame, name in zip(from_h5, collected["cbf"], strict=True):
        (cbf,) = read_frames(name)
        assert np.array_equal(frame.counts, cbf.counts)
        assert (frame.wavelength, frame.distance, frame.beam_x, frame.beam_y) == pytest.approx(
            (cbf.wavelength, cbf.distance, cbf.beam_x, cbf.beam_y), abs=0.01
        )
        assert (frame.pixel_x, frame.pixel_y) == pytest.approx((cbf.pixel_x, cbf.pixel_y))


def depends_on_targets(f: h5py.File) -> dict[str, str]:
    """Every ``depends_on`` in the file, attribute or field: its owner's path -> target."""
    found: dict[str, str] = {}

    def visit(name: str, node: h5py.Group | h5py.Dataset) -> None:
        if "depends_on" in node.attrs:
            found[node.name] = node.attrs["depends_on"]
        if name.endswith("/depends_on") and isinstance(node, h5py.Dataset):
            found[node.parent.name] = node[()].decode()

    f.visititems(visit)
    return found


def test_vectors_are_unit_vectors_and_every_depends_on_chain_ends_at_dot(collected):
    with h5py.File(collected["h5"][0], "r") as f:
        vectors = {}

        def visit(name: str, node: h5py.Group | h5py.Dataset) -> None:
            if "vector" in node.attrs:
                vectors[name] = node.attrs["vector"]

        f.visititems(visit)
        assert len(vectors) == 5, vectors  # distance, module offset, fast, slow, omega
        for name, vector in vectors.items():
            assert np.linalg.norm(vector) == pytest.approx(1.0), name
        targets = depends_on_targets(f)
        assert {"/entry/sample", "/entry/instrument/detector"} <= set(targets)
        for owner, target in targets.items():
            seen = [owner]
            while target != ".":
                assert target.startswith("/"), f"{owner}: {target} is not an absolute path"
                assert target in f, f"{owner}: {target} does not exist"
                assert target not in seen, f"{owner}: the chain loops at {target}"
                seen.append(target)
                target = f[target].attrs["depends_on"]
            assert len(seen) <= 4, seen


def test_fabio_reads_the_master_file(collected):
    image = fabio.open(str(collected["h5"][0]))
    try:
        assert image.nframes == 6
        cbf = fabio.open(str(collected["cbf"][3]))
        assert np.array_equal(image.getframe(3).data, cbf.data)
        cbf.close()
    finally:
        image.close()


def test_a_stopped_collection_is_read_whole_with_the_images_taken(tmp_path):
    header = ImageHeader("test", 0.172, 0.172, 250.0, 1.2, 20.5, 18.0, 0.1, 0.1, -5.0, 0.1)
    writer = NexusWriter(tmp_path / "stop_1_master.h5", header, (40, 30), num_images=100)
    for i in range(3):
        writer.add(np.full((40, 30), i, np.int32), -5.0 + 0.1 * i)
    path = writer.close()
    with h5py.File(path, "r") as f:
        (entry,) = nxmx.NXmx(f).entries
        assert entry.end_time is not None
        omega = entry.samples[0].depends_on
        assert omega[()].to("deg").magnitude == pytest.approx([-5.0, -4.9, -4.8])
        data = entry.data[0]
        assert data[data.signal].shape == (3, 40, 30)
        assert f["entry/instrument/detector/detectorSpecific/nimages"][()] == 3
        (module,) = entry.instruments[0].detectors[0].modules
        assert list(module.data_size) == [40, 30]
        assert beam_on_detector_pixels(f) == pytest.approx((20.5, 18.0, 250.0))


def test_an_image_of_another_size_is_refused_naming_the_file(tmp_path):
    header = ImageHeader("test", 0.172, 0.172, 250.0, 1.2, 20.5, 18.0, 0.1, 0.1, 0.0, 0.1)
    writer = NexusWriter(tmp_path / "size_1_master.h5", header, (40, 30), num_images=5)
    writer.add(np.ones((40, 30), np.int32), 0.0)
    with pytest.raises(ValueError, match=r"size_1_master\.h5: an image of \(30, 40\) pixels"):
        writer.add(np.ones((30, 40), np.int32), 0.1)
    writer.add(np.full((40, 30), 7, np.int64), 0.1)  # converted, as the counts are int32
    with h5py.File(writer.close(), "r") as f:
        assert f["entry/data/data_000001"][()].tolist() == [[[1] * 30] * 40, [[7] * 30] * 40]


def write_first_layout(path: Path, images: np.ndarray) -> None:
    """An HDF5 file as mxgui wrote them before NXmx was complete (no module, no
    depends_on chain for the detector, no source, no end time)."""
    with h5py.File(path, "w") as f:
        entry = f.create_group("entry")
        entry.attrs["NX_class"] = "NXentry"
        entry["definition"] = "NXmx"
        detector = entry.create_group("instrument/detector")
        detector.attrs["NX_class"] = "NXdetector"
        for name, value, units in (
            ("distance", 0.15, "m"),
            ("x_pixel_size", 75e-6, "m"),
            ("y_pixel_size", 75e-6, "m"),
            ("beam_center_x", 128.5, "pixel"),
            ("beam_center_y", 127.25, "pixel"),
        ):
            detector[name] = value
            detector[name].attrs["units"] = units
        entry["instrument/beam/incident_wavelength"] = 0.9763
        goniometer = entry.create_group("sample/goniometer")
        goniometer["omega"] = np.arange(len(images)) * 0.5
        goniometer["omega_increment"] = np.full(len(images), 0.5)
        data = entry.create_group("data")
        data.attrs["NX_class"] = "NXdata"
        data["data_000001"] = images


def test_a_file_of_the_first_layout_is_still_read(tmp_path):
    images = np.arange(3 * 8 * 9, dtype=np.int32).reshape(3, 8, 9)
    path = tmp_path / "old_1_master.h5"
    write_first_layout(path, images)
    frames = read_frames(path)
    assert [f.counts.tolist() for f in frames] == images.tolist()
    assert (frames[0].distance, frames[0].beam_x, frames[0].beam_y) == (150.0, 128.5, 127.25)
    assert frames[0].pixel_x == pytest.approx(0.075) and frames[0].wavelength == 0.9763
    image = fabio.open(str(path))
    try:
        assert image.nframes == 3 and np.array_equal(image.getframe(2).data, images[2])
    finally:
        image.close()
