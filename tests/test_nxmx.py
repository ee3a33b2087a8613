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
import hdf5plugin  # noqa: F401  (registers the bitshuffle-LZ4 filter the images use)
import numpy as np
import nxmx
import pytest

from hardware_objects.abstract.energy import HC_KEV_ANGSTROM
from hardware_objects.simulated.image_writer import (
    ImageHeader,
    NexusWriter,
    NoImageWritten,
    write_cbf,
)
from hardware_objects.simulated.nxmx_writer import (
    DETECTOR_AXIS,
    FAST_PIXEL_VECTOR,
    KAPPA,
    KAPPA_ALPHA,
    OMEGA,
    OMEGA_VECTOR,
    PHI,
    SLOW_PIXEL_VECTOR,
)
from mxgui.core.acquisition import AcquisitionParameters, PathTemplate
from mxgui.core.centring import CentredPosition
from mxgui.core.queue.entries.strategy import read_frames
from mxgui.core.repository import HardwareRepository
from mxscore.scoring import read_counts

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
        phi = sample.depends_on  # phi on kappa on omega (a mini-kappa)
        assert phi.path == PHI and phi.depends_on.path == KAPPA
        omega = phi.depends_on.depends_on
        assert omega.path == OMEGA and omega.depends_on is None
        assert omega.transformation_type == "rotation"
        assert list(omega.vector) == list(OMEGA_VECTOR)
        starts = [PARAMETERS.image_range(i)[0] for i in range(6)]
        assert omega[()].to("deg").magnitude == pytest.approx(starts)
        assert omega.end[:].to("deg").magnitude == pytest.approx([s + 0.25 for s in starts])
        assert omega.increment_set.to("deg").magnitude == pytest.approx(0.25)
        axes = nxmx.get_rotation_axes(nxmx.get_dependency_chain(phi))
        assert list(axes.names) == ["phi", "kappa", "omega"]
        assert list(axes.is_scan_axis) == [False, False, True]

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
        omega = nxmx.get_dependency_chain(entry.samples[0].depends_on)[-1]
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
        # distance, module offset, fast, slow, omega, kappa, phi
        assert len(vectors) == 7, vectors
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
        omega = nxmx.get_dependency_chain(entry.samples[0].depends_on)[-1]
        assert omega.path == OMEGA
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


# -- what XDS's Neggia plugin needs, the size on disk, kappa, no empty file, one time ---


def test_the_fields_neggia_requires_are_there(collected):
    """The neggia README's list: pixel sizes (float), nimages and ntrigger (integers
    > 0), pixel_mask (uint32, the image's shape: Neggia takes the image size from it)
    and ``/entry/data/data_000001`` with one chunk per image."""
    with h5py.File(collected["h5"][0], "r") as f:
        detector = f["entry/instrument/detector"]
        specific = detector["detectorSpecific"]
        for name in ("x_pixel_size", "y_pixel_size"):
            assert detector[name].dtype.kind == "f", name
        for name in ("nimages", "ntrigger"):
            assert specific[name].dtype.kind in "iu" and specific[name][()] > 0, name
        images = f["entry/data/data_000001"]
        mask = specific["pixel_mask"]
        assert mask.dtype == np.uint32 and mask.shape == images.shape[1:] == (256, 256)
        assert not mask[()].any(), "no pixel is masked on the simulated detector"
        assert np.array_equal(detector["pixel_mask"][()], mask[()])  # NXmx's name (DIALS)
        assert images.chunks == (1, *images.shape[1:])
        plist = images.id.get_create_plist()
        assert plist.get_nfilters() == 1
        filter_id, _flags, options, _name = plist.get_filter(0)
        assert filter_id == hdf5plugin.BSHUF_ID and options[4] == 2  # bitshuffle, LZ4


def test_an_hdf5_collection_takes_less_disk_than_the_same_cbf_one(collected):
    """Images are compressed (bitshuffle-LZ4), so the confirmation's disk estimate of
    1.1 bytes per pixel (made for CBF) holds for HDF5 too."""
    h5_bytes = collected["h5"][0].stat().st_size
    cbf_bytes = sum(name.stat().st_size for name in collected["cbf"])
    assert h5_bytes < cbf_bytes
    assert h5_bytes / (6 * 256 * 256) <= 1.1


def write_both(directory: Path, header: ImageHeader) -> tuple[h5py.File, dict[str, object]]:
    """The same two-image collection as an open HDF5 master file and its first CBF
    file's Pilatus header (fabio), with ``header``."""
    images = [np.full((40, 30), i, np.int32) for i in range(2)]
    writer = NexusWriter(directory / "both_1_master.h5", header, (40, 30), num_images=2)
    for i, image in enumerate(images):
        start = header.start_angle + i * header.angle_increment
        writer.add(image, start)
        write_cbf(directory / f"both_1_{i + 1:05d}.cbf", image, header.for_image(start))
    cbf = fabio.open(str(directory / "both_1_00001.cbf"))
    try:
        pilatus = cbf.pilatus_headers
        cbf_header = {key: pilatus[key] for key in ("Alpha", "Kappa", "Phi", "Omega")}
        cbf_header["text"] = cbf.header["_array_data.header_contents"]
    finally:
        cbf.close()
    return h5py.File(writer.close(), "r"), cbf_header


def test_kappa_and_phi_are_on_the_goniometer_chain_with_the_cbf_values(tmp_path):
    header = ImageHeader(
        "test", 0.172, 0.172, 250.0, 1.2, 20.5, 18.0, 0.1, 0.1, -5.0, 0.1, kappa=30.0, phi=45.0
    )
    f, cbf = write_both(tmp_path, header)
    with f:
        (entry,) = nxmx.NXmx(f).entries
        chain = nxmx.get_dependency_chain(entry.samples[0].depends_on)
        assert [t.path for t in chain] == [PHI, KAPPA, OMEGA]
        axes = nxmx.get_rotation_axes(chain)
        angles = dict(zip(axes.names, axes.angles, strict=True))
        assert angles["kappa"] == pytest.approx(cbf["Kappa"]) == pytest.approx(30.0)
        assert angles["phi"] == pytest.approx(cbf["Phi"]) == pytest.approx(45.0)
        assert angles["omega"] == pytest.approx(cbf["Omega"]) == pytest.approx(-5.0)
        phi_axis, kappa_axis, omega_axis = axes.axes
        # the kappa axis is inclined by the CBF's Alpha from omega; phi is omega's at kappa 0
        tilt = np.degrees(np.arccos(np.dot(kappa_axis, omega_axis)))
        assert tilt == pytest.approx(KAPPA_ALPHA) == pytest.approx(cbf["Alpha"])
        assert list(phi_axis) == list(omega_axis) == list(OMEGA_VECTOR)


def test_a_writer_closed_before_its_first_image_publishes_nothing(tmp_path):
    header = ImageHeader("test", 0.172, 0.172, 250.0, 1.2, 20.5, 18.0, 0.1, 0.1, -5.0, 0.1)
    path = tmp_path / "empty_1_master.h5"
    writer = NexusWriter(path, header, (40, 30), num_images=100)
    with pytest.raises(NoImageWritten, match=r"empty_1_master\.h5: no image was taken"):
        writer.close()
    assert list(tmp_path.iterdir()) == [], "no file, no staging directory left"
    writer = NexusWriter(path, header, (40, 30), num_images=1)  # the name is still free
    writer.add(np.ones((40, 30), np.int32), -5.0)
    assert writer.close() == path


def test_both_files_of_a_collection_carry_one_utc_time(tmp_path, monkeypatch):
    """One time per collection, in UTC, in both files, whatever the local zone."""
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9, no summer time: local is not UTC
    time.tzset()
    try:
        before = datetime.datetime.now(datetime.timezone.utc)
        header = ImageHeader("test", 0.172, 0.172, 250.0, 1.2, 20.5, 18.0, 0.1, 0.1, 0.0, 0.1)
        f, cbf = write_both(tmp_path, header)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    with f:
        start = f["entry/start_time"][()].decode()
    cbf_date = str(cbf["text"]).splitlines()[1].removeprefix("# ").strip()
    assert start == header.date and start.endswith("Z")
    assert cbf_date + "Z" == start, "the CBF carries the same time, without a zone"
    taken = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
    assert before - datetime.timedelta(seconds=1) <= taken <= before + datetime.timedelta(minutes=1)


def test_the_scorer_reads_the_compressed_first_image(collected):
    """mxscore (the mesh's and the workflows' reader, through fabio) decodes the
    bitshuffle-LZ4 images: the master file's first image is the first CBF's."""
    first = fabio.open(str(collected["cbf"][0]))
    try:
        assert np.array_equal(read_counts(collected["h5"][0]), first.data)
    finally:
        first.close()
