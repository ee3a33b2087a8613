"""The diffraction image viewer's parts: geometry, reading CBF and HDF5/NXmx frames,
the latest-wins reader, rings and the cursor line (pytest-qt, offscreen)."""

from __future__ import annotations

import logging
import math
import subprocess
import sys
import threading
from dataclasses import astuple, replace
from pathlib import Path

import h5py
import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPointF, QRectF, Qt
from PyQt5.QtGui import QMouseEvent
from PyQt5.QtWidgets import QApplication

from hardware_objects.simulated.image_writer import ImageHeader, NexusWriter, write_cbf
from mxgui.gui.image_viewer.geometry import FrameGeometry, pilatus_geometry, ring_resolutions
from mxgui.gui.image_viewer.loader import LatestLoader
from mxgui.gui.image_viewer.reading import FrameError, read_frame

HEADER = ImageHeader(
    detector="PILATUS3 6M",
    pixel_size_x=0.172,
    pixel_size_y=0.172,
    distance=250.0,
    wavelength=0.9763,
    beam_x=40.5,
    beam_y=30.25,
    exposure_time=0.1,
    exposure_period=0.1,
    start_angle=10.0,
    angle_increment=0.1,
)
SHAPE = (60, 80)  # rows, columns


def counts(seed: int = 0) -> np.ndarray:
    data = np.random.default_rng(seed).poisson(5, size=SHAPE).astype(np.int32)
    data[7, 11] = 5000 + seed  # a spot
    return data


def resolution(x: float, y: float, beam_x: float, beam_y: float, pixel: float) -> float:
    """d = lambda / (2 sin(0.5 atan(r / D))), from the test's own numbers."""
    r = math.hypot((x - beam_x) * pixel, (y - beam_y) * pixel)
    return HEADER.wavelength / (2 * math.sin(0.5 * math.atan(r / HEADER.distance)))


@pytest.fixture
def viewer(qtbot):
    from mxgui.gui.image_viewer.viewer import ImageViewer

    widget = ImageViewer()
    qtbot.addWidget(widget)
    widget.resize(700, 700)
    widget.show()
    yield widget
    widget.dispose()


def show(qtbot, viewer, path, frame: int = 0):
    with qtbot.waitSignal(viewer.frameShown, timeout=10_000) as shown:
        viewer.show_image(str(path), frame)
    return shown.args


# geometry -------------------------------------------------------------------------------------
def test_the_pilatus_header_of_the_projects_writer_gives_its_geometry(tmp_path):
    path = write_cbf(tmp_path / "a_1_00001.cbf", counts(), HEADER)
    frame = read_frame(str(path))
    g = frame.geometry
    assert g is not None, frame.geometry_problem
    assert (g.beam_x, g.beam_y) == pytest.approx((40.5, 30.25))
    assert g.distance == pytest.approx(250.0)
    assert (g.pixel_x, g.pixel_y) == pytest.approx((0.172, 0.172))
    assert g.wavelength == pytest.approx(0.9763)
    assert g.resolution_at(70, 5) == pytest.approx(resolution(70, 5, 40.5, 30.25, 0.172))
    assert g.resolution_at(40.5, 30.25) == math.inf


def test_a_header_without_geometry_says_what_is_missing():
    with pytest.raises(ValueError, match=r"x\.cbf: the Pilatus header has no Beam_xy"):
        pilatus_geometry(
            "# Wavelength 1.0 A\n# Detector_distance 0.2 m\n# Pixel_size 1e-4 m x 1e-4 m", "x.cbf"
        )


def test_rings_are_spread_over_the_image_and_the_radius_inverts_the_resolution():
    g = FrameGeometry(1035.0, 1083.0, 200.0, 0.075, 0.075, 0.98)
    rings = ring_resolutions(g, 2070, 2167, 5)
    assert 3 <= len(rings) <= 5
    assert rings == sorted(rings, reverse=True)
    radii = [g.ring_radius_mm(d) for d in rings]
    assert radii[-1] <= g.corner_radius_mm(2070, 2167)
    for d, r in zip(rings, radii, strict=True):
        assert g.resolution_at_radius(r) == pytest.approx(d)
    with pytest.raises(ValueError, match="out of reach"):
        g.ring_radius_mm(0.3)  # below lambda / 2


# reading --------------------------------------------------------------------------------------
def test_an_hdf5_master_of_the_projects_writer_opens_at_any_frame(tmp_path):
    writer = NexusWriter(tmp_path / "lyso_1_master.h5", HEADER, SHAPE, num_images=3)
    for k in range(3):
        writer.add(counts(k), 10.0 + 0.1 * k)
    path = writer.close()
    frame = read_frame(str(path), 2)
    assert (frame.index, frame.count) == (2, 3)
    assert np.array_equal(frame.counts, counts(2))
    assert frame.geometry == read_frame(str(path), 0).geometry
    g = frame.geometry
    assert (g.beam_x, g.beam_y, g.distance, g.wavelength) == pytest.approx(
        (40.5, 30.25, 250.0, 0.9763)
    )
    assert frame.name == "lyso_1_master.h5 frame 3 / 3"
    with pytest.raises(FrameError, match=r"lyso_1_master\.h5: no frame 4, the file holds 3"):
        read_frame(str(path), 3)


def test_an_nxmx_master_with_external_data_files_and_other_units_opens(tmp_path):
    """NXmx as DIALS-style writers lay it out: ``detector_distance``, lengths in mm,
    beam centre in metres, wavelength in nm, images in two linked data files."""
    for number, seeds in ((1, (0, 1)), (2, (2,))):
        with h5py.File(tmp_path / f"x_data_00000{number}.h5", "w") as f:
            f["data"] = np.stack([counts(s) for s in seeds])
    with h5py.File(tmp_path / "x_master.h5", "w") as f:
        detector = f.create_group("entry/instrument/detector")
        for name, value, units in (
            ("detector_distance", 250.0, "mm"),
            ("x_pixel_size", 0.172, "mm"),
            ("y_pixel_size", 0.172, "mm"),
            ("beam_center_x", 40.5 * 0.172e-3, "m"),
            ("beam_center_y", 30.25 * 0.172e-3, "m"),
        ):
            detector[name] = value
            detector[name].attrs["units"] = units
        detector["pixel_mask"] = np.zeros(SHAPE, dtype=np.uint32)
        detector["pixel_mask"][0, :5] = 1
        f["entry/instrument/beam/incident_wavelength"] = 0.09763
        f["entry/instrument/beam/incident_wavelength"].attrs["units"] = "nm"
        data = f.create_group("entry/data")
        data["data_000001"] = h5py.ExternalLink("x_data_000001.h5", "/data")
        data["data_000002"] = h5py.ExternalLink("x_data_000002.h5", "/data")
    frame = read_frame(str(tmp_path / "x_master.h5"), 2)  # the first of the second file
    assert frame.count == 3
    assert np.array_equal(frame.counts, counts(2))
    assert astuple(frame.geometry) == pytest.approx((40.5, 30.25, 250.0, 0.172, 0.172, 0.9763))
    assert frame.masked == 5 and np.isnan(frame.shown_part(0, 1, 0, 5)).all()
    (tmp_path / "x_data_000002.h5").unlink()
    with pytest.raises(FrameError, match=r"x_master\.h5: /entry/data/data_000002 links to a file"):
        read_frame(str(tmp_path / "x_master.h5"), 0)


def test_masked_pixels_and_default_contrast(tmp_path):
    data = counts()
    data[20:22, :] = -1  # a gap between modules
    data[5, 5] = -2  # a bad pixel
    frame = read_frame(str(write_cbf(tmp_path / "g_1_00001.cbf", data, HEADER)))
    assert frame.masked == 2 * SHAPE[1] + 1
    assert np.isnan(frame.shown_part(20, 22, 0, SHAPE[1])).all() and frame.is_masked(5, 5)
    assert frame.counts[5, 5] == -2  # the values as read are kept
    low, high = frame.levels
    assert low == 0 and 5 <= high < 5000  # the spot saturates, the background is seen


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, r"nothing\.cbf: no such file"),
        (b"###CBF: VERSION 1.5\r\nnot really", r"broken\.cbf: not an image fabio reads"),
        (b"\x89HDF\r\n\x1a\ntruncated", r"broken\.h5: cannot read it as HDF5"),
    ],
)
def test_a_missing_or_corrupt_file_is_named(tmp_path, content, expected):
    name = "nothing.cbf" if content is None else "broken." + ("h5" if b"HDF" in content else "cbf")
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(FrameError, match=expected):
        read_frame(str(tmp_path / name))


def test_a_minicbf_is_read_as_fabio_reads_it_and_a_truncated_one_is_named(tmp_path):
    import fabio.cbfimage

    path = write_cbf(tmp_path / "a_1_00001.cbf", counts(4), HEADER)
    frame = read_frame(str(path))  # the quick path: signed 32-bit, byte offsets
    expected = fabio.cbfimage.CbfImage().read(str(path)).data
    assert frame.counts.dtype == np.int32 and np.array_equal(frame.counts, expected)
    assert frame.geometry is not None and frame.geometry.beam_x == pytest.approx(40.5)
    other = fabio.cbfimage.CbfImage(data=counts(5).astype(np.int16))  # fabio reads it
    other.write(str(tmp_path / "b_1_00001.cbf"))
    assert np.array_equal(read_frame(str(tmp_path / "b_1_00001.cbf")).counts, counts(5))
    whole = path.read_bytes()
    (tmp_path / "cut_00001.cbf").write_bytes(whole[: len(whole) - 100])
    with pytest.raises(FrameError, match=r"cut_00001\.cbf: truncated"):
        read_frame(str(tmp_path / "cut_00001.cbf"))


def test_an_empty_image_file_is_named_as_empty(tmp_path):
    (tmp_path / "empty_0001.cbf").write_bytes(b"")
    with pytest.raises(FrameError, match=r"empty_0001\.cbf: empty file"):
        read_frame(str(tmp_path / "empty_0001.cbf"))


def test_an_eiger_master_compressed_with_bitshuffle_lz4_opens(tmp_path):
    """The way Dectris' file writer stores images. Written and read each in a fresh
    process, so that the reader has to register the filter itself (here fabio, which
    imports hdf5plugin, may be loaded already)."""
    master = tmp_path / "eiger_1_master.h5"
    images = np.stack([counts(1), counts(2)]).astype(np.uint32)
    np.save(tmp_path / "images.npy", images)
    write = (
        "import sys, h5py, hdf5plugin, numpy as np\n"
        "images = np.load(sys.argv[2])\n"
        "with h5py.File(sys.argv[1], 'w') as f:\n"
        "    f.create_dataset('entry/data/data_000001', data=images,"
        " chunks=(1, *images.shape[1:]), **hdf5plugin.Bitshuffle(cname='lz4'))\n"
    )
    subprocess.run(
        [sys.executable, "-c", write, str(master), str(tmp_path / "images.npy")], check=True
    )
    with h5py.File(master, "r") as f:  # stored with the bitshuffle filter (32008)
        assert "32008" in f["entry/data/data_000001"]._filters
    read = (
        "import sys, numpy as np\n"
        "from mxgui.gui.image_viewer.reading import read_frame\n"
        "frame = read_frame(sys.argv[1], 1)\n"
        "np.save(sys.argv[2], frame.counts)\n"
        "print(frame.index, frame.count)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", read, str(master), str(tmp_path / "read.npy")],
        capture_output=True, text=True, timeout=120, cwd=Path(__file__).parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "2"]
    assert np.array_equal(np.load(tmp_path / "read.npy"), images[1])


# the reader thread -------------------------------------------------------------------------------
def test_the_newest_request_wins_and_stale_results_are_dropped():
    gate = threading.Event()
    reads: list[int] = []
    ready = threading.Event()

    def read(n: int) -> int:
        gate.wait(5)
        reads.append(n)
        return n * 10

    loader: LatestLoader[int, int] = LatestLoader(read, ready.set)
    try:
        for n in range(20):
            loader.request(n)
        gate.set()
        assert ready.wait(5)
        # the first request may have started before the others came: at most it and the last
        deadline = threading.Event()
        while loader.busy() and not deadline.wait(0.01):
            pass
        taken = loader.take()
        assert taken == (19, 190, "")
        assert reads[-1] == 19 and len(reads) <= 2
        assert loader.counts.skipped >= 18
        assert loader.take() is None
    finally:
        loader.close()


def test_a_failing_read_is_the_problem_of_its_request():
    ready = threading.Event()

    def read(path: str) -> str:
        raise FrameError(f"{path}: no such file")

    loader: LatestLoader[str, str] = LatestLoader(read, ready.set)
    try:
        loader.request("a.cbf")
        assert ready.wait(5)
        assert loader.take() == ("a.cbf", None, "a.cbf: no such file")
    finally:
        loader.close()


# the widget ------------------------------------------------------------------------------------
def test_the_cursor_line_reports_the_pixel_value_and_resolution(qtbot, viewer, tmp_path):
    path = write_cbf(tmp_path / "c_1_00001.cbf", counts(), HEADER)
    show(qtbot, viewer, path)
    view = viewer.view
    qtbot.waitUntil(lambda: view.image.width() == SHAPE[1], timeout=3000)
    viewport = view.graphics.viewport()
    point = view.graphics.mapFromScene(view.scene_point_of(11.5, 7.5))  # pixel (11, 7)
    # a move without buttons, as the pointer sends (QTest.mouseMove moves a cursor the
    # offscreen platform does not have)
    move = QMouseEvent(QEvent.MouseMove, QPointF(point), Qt.NoButton, Qt.NoButton, Qt.NoModifier)
    QApplication.sendEvent(viewport, move)
    expected_d = resolution(11.5, 7.5, 40.5, 30.25, 0.172)  # the pixel's centre
    qtbot.waitUntil(lambda: viewer.cursor_label.text().startswith("x 11, y 7"), timeout=3000)
    assert viewer.cursor_label.text() == f"x 11, y 7: 5000, resolution {expected_d:.2f} \u00c5"
    assert "250.0 mm" in viewer.geometry_label.text()
    assert "c_1_00001.cbf" in viewer.file_label.text()


def test_rings_are_drawn_at_the_radii_the_formula_gives(qtbot, viewer, tmp_path):
    path = write_cbf(tmp_path / "r_1_00001.cbf", counts(), HEADER)
    show(qtbot, viewer, path)
    view = viewer.view
    assert view.ring_resolutions and len(view.rings) == len(view.ring_resolutions)
    for d, ring, label in zip(view.ring_resolutions, view.rings, view.ring_labels, strict=True):
        radius_px = HEADER.distance * math.tan(2 * math.asin(HEADER.wavelength / (2 * d))) / 0.172
        rect = ring.rect()
        assert rect.width() / 2 == pytest.approx(radius_px)
        assert rect.height() / 2 == pytest.approx(radius_px)
        # Beam_xy counted from the first pixel's outer corner (DIALS), as the plot counts
        assert rect.center().x() == pytest.approx(40.5)
        assert rect.center().y() == pytest.approx(30.25)
        assert label.textItem.toPlainText() == f"{d:g} \u00c5"


def test_a_bad_file_gives_a_message_and_the_image_shown_stays(qtbot, viewer, tmp_path):
    good = write_cbf(tmp_path / "ok_1_00001.cbf", counts(), HEADER)
    show(qtbot, viewer, good)
    broken = tmp_path / "bad_1_00001.cbf"
    broken.write_bytes(b"###CBF: VERSION 1.5\r\ngarbage")
    with qtbot.waitSignal(viewer.problemShown, timeout=10_000) as problem:
        viewer.show_image(str(broken))
    assert str(broken) in problem.args[0]
    assert str(broken) in viewer.message.text()
    assert viewer.frame.path == str(good)
    show(qtbot, viewer, good)  # and it goes on
    assert viewer.message.text().startswith("contrast 0")


def test_twenty_quick_requests_show_the_last_without_reading_all(qtbot, viewer, tmp_path):
    paths = [write_cbf(tmp_path / f"q_1_{k:05d}.cbf", counts(k), HEADER) for k in range(1, 21)]
    shown: list[str] = []
    viewer.frameShown.connect(lambda path, _frame: shown.append(path))
    for path in paths:
        viewer.show_image(str(path))
    qtbot.waitUntil(lambda: viewer.frame is not None and viewer.frame.path == str(paths[-1]))
    qtbot.wait(100)  # nothing stale arrives after it
    assert shown == [str(paths[-1])]  # what was read before the last request: dropped
    assert viewer.loader.counts.read < 20
    assert np.array_equal(viewer.frame.counts, counts(20))


def test_a_followed_stream_moves_on_in_order_and_ends_on_the_newest(qtbot, viewer, tmp_path):
    paths = [write_cbf(tmp_path / f"s_1_{k:05d}.cbf", counts(k), HEADER) for k in range(1, 81)]
    shown: list[str] = []
    viewer.frameShown.connect(lambda path, _frame: shown.append(path))
    for path in paths:  # 80 images over 2 s: faster than it shows them (every 250 ms)
        viewer.follow_image(str(path))
        qtbot.wait(25)
    qtbot.waitUntil(lambda: shown and shown[-1] == str(paths[-1]), timeout=10_000)
    order = [paths.index(Path(path)) for path in shown]
    assert order == sorted(set(order))  # never an older image after a newer one
    assert 2 <= len(shown) < 40  # it moved on while the stream ran, without a backlog


def test_the_users_contrast_is_kept_from_image_to_image_until_auto_contrast(
    qtbot, viewer, tmp_path
):
    first = write_cbf(tmp_path / "k_1_00001.cbf", counts(1), HEADER)
    second = write_cbf(tmp_path / "k_1_00002.cbf", counts(2), HEADER)
    show(qtbot, viewer, first)
    default = viewer.frame.levels
    viewer.view.histogram.setLevels(0, 100)  # what dragging the histogram's region does
    assert viewer.view.image.levels == pytest.approx([0, 100])
    with qtbot.waitSignal(viewer.frameShown, timeout=10_000):
        viewer.follow_image(str(second))
    assert viewer.view.image.levels == pytest.approx([0, 100])
    assert viewer.view.histogram.getLevels() == pytest.approx((0, 100))
    assert "your contrast 0 .. 100" in viewer.message.text()
    qtbot.mouseClick(viewer.auto_contrast_button, Qt.LeftButton)
    assert viewer.view.image.levels == pytest.approx(list(viewer.frame.levels))
    show(qtbot, viewer, first)  # and each image has its own default again
    assert viewer.view.image.levels == pytest.approx(list(default))


def test_the_frame_box_arrows_and_keys_step_through_a_files_frames(qtbot, viewer, tmp_path):
    writer = NexusWriter(tmp_path / "m_1_master.h5", HEADER, SHAPE, num_images=4)
    for k in range(4):
        writer.add(counts(k), 10.0 + 0.1 * k)
    writer.close()
    show(qtbot, viewer, tmp_path / "m_1_master.h5")
    chosen: list[tuple[str, int]] = []
    viewer.frameChosen.connect(lambda path, frame: chosen.append((path, frame)))
    viewer.frame_spin.stepUp()  # the up arrow, twice
    viewer.frame_spin.stepUp()
    qtbot.waitUntil(lambda: viewer.frame.index == 2, timeout=10_000)
    assert np.array_equal(viewer.frame.counts, counts(2))
    assert "frame 3 / 4" in viewer.file_label.text()
    assert chosen[-1] == (str(tmp_path / "m_1_master.h5"), 2)
    viewer.frame_spin.setFocus()
    qtbot.keyClick(viewer.frame_spin, Qt.Key_Up)
    qtbot.waitUntil(lambda: viewer.frame.index == 3, timeout=10_000)
    assert viewer.frame_spin.value() == 4


def test_a_followed_image_not_written_yet_is_asked_for_again_without_a_warning(
    qtbot, viewer, tmp_path, caplog
):
    first = write_cbf(tmp_path / "w_1_00001.cbf", counts(1), HEADER)
    show(qtbot, viewer, first)
    problems: list[str] = []
    viewer.problemShown.connect(problems.append)
    late = tmp_path / "w_1_00002.cbf"
    with caplog.at_level(logging.DEBUG, logger="mxgui.gui.image_viewer.viewer"):
        viewer.follow_image(str(late))  # counted, not on disk yet
        qtbot.waitUntil(lambda: viewer.loader.counts.read >= 3, timeout=10_000)
        assert viewer.frame.path == str(first)  # the previous frame stays
        write_cbf(late, counts(2), HEADER)
        qtbot.waitUntil(lambda: viewer.frame.path == str(late), timeout=10_000)
        missing = tmp_path / "gone_00001.cbf"
        for _ in range(3):  # asked for: shown each time, logged as a WARNING once
            with qtbot.waitSignal(viewer.problemShown, timeout=10_000):
                viewer.show_image(str(missing))
    assert problems == [f"{missing}: no such file"] * 3
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == [f"image viewer: {missing}: no such file"]
    assert any("not written yet" in r.getMessage() for r in caplog.records)


def test_closing_does_not_wait_for_a_read_in_progress():
    started, release, ready = threading.Event(), threading.Event(), threading.Event()

    def read(name: str) -> str:
        started.set()
        release.wait(10)
        return name

    loader: LatestLoader[str, str] = LatestLoader(read, ready.set)
    loader.request("16M.cbf")
    assert started.wait(5)
    thread = loader._thread
    loader.close(wait=False)  # returns while the read goes on
    assert thread is not None and thread.is_alive()
    release.set()
    thread.join(5)
    assert not thread.is_alive()
    assert not ready.is_set() and loader.take() is None  # nothing handed over after close


def test_the_follow_interval_stretches_with_what_a_frame_costs_the_gui_thread(
    qtbot, viewer, tmp_path
):
    from mxgui.gui.image_viewer.viewer import FOLLOW_INTERVAL_MS, follow_interval

    assert follow_interval(10.0) == FOLLOW_INTERVAL_MS == 250  # a 4M frame: as before
    assert follow_interval(100.0) == 400  # a 16M frame: 3/4 of the GUI thread left idle
    assert follow_interval(5000.0) == 1000  # at least once a second
    assert viewer.follow_interval_ms == FOLLOW_INTERVAL_MS
    path = write_cbf(tmp_path / "f_1_00001.cbf", counts(), HEADER)
    viewer.follow_image(str(path))
    qtbot.waitUntil(lambda: viewer.busy_ms > 0, timeout=10_000)  # set, rendered and painted
    assert viewer.follow_interval_ms == follow_interval(viewer.busy_ms)


def test_forget_drops_a_read_in_progress():
    started, release, ready = threading.Event(), threading.Event(), threading.Event()

    def read(name: str) -> str:
        if name == "a":
            started.set()
            release.wait(10)
        return name.upper()

    loader: LatestLoader[str, str] = LatestLoader(read, ready.set)
    try:
        loader.request("a")
        assert started.wait(5)
        loader.forget()  # while "a" is read
        release.set()
        loader.request("b")
        assert ready.wait(5)
        assert loader.take() == ("b", "B", "")
        assert loader.counts.dropped == 1 and loader.counts.delivered == 1
    finally:
        loader.close()


def test_the_mesh_frames_loader_answers_each_slot_with_its_latest_request(tmp_path):
    """The mesh results' FrameLoader: a LatestLoader per slot."""
    from mxgui.gui.mesh_results.frames import FrameLoader

    delivered: list[tuple[str, str, bool, str]] = []
    both = threading.Event()

    def deliver(slot: str, path: str, data: np.ndarray | None, problem: str) -> None:
        delivered.append((slot, path, data is not None, problem))
        if {d[0] for d in delivered} == {"picked", "best"}:
            both.set()

    image = write_cbf(tmp_path / "m_1_00001.cbf", counts(), HEADER)
    loader = FrameLoader(deliver)
    try:
        loader.request("best", str(image))
        loader.request("picked", str(tmp_path / "gone_1_00002.cbf"))
        assert both.wait(10)
    finally:
        loader.close()
    assert sorted(delivered) == [
        ("best", str(image), True, ""),
        (
            "picked",
            str(tmp_path / "gone_1_00002.cbf"),
            False,
            f"no image file {tmp_path}/gone_1_00002.cbf",
        ),
    ]


# reduced display ------------------------------------------------------------------------------
def test_max_pooling_keeps_single_pixel_spots_and_masks_only_whole_masked_blocks():
    from mxgui.gui.image_viewer.reading import display_bin, max_pooled

    shown = np.zeros((7, 8), dtype=np.float32)
    shown[4, 5] = 900.0  # a single-pixel spot
    shown[6, 7] = 7.0  # in the last, partial block
    shown[0:3, 0:3] = np.nan  # a whole block masked
    shown[3, 3] = np.nan  # one masked pixel in a block with valid ones
    pooled = max_pooled(shown, 3)
    assert pooled.shape == (3, 3)
    assert np.isnan(pooled[0, 0])
    assert pooled[1, 1] == 900.0 and pooled[2, 2] == 7.0 and pooled[1, 0] == 0.0
    assert display_bin((4371, 4150)) == 3 and display_bin((2167, 2070)) == 2
    assert display_bin((60, 80)) == 1 and max_pooled(shown, 1) is shown


@pytest.mark.parametrize("dtype", ["int32", "uint32"])
def test_the_display_made_band_by_band_equals_the_whole_frame_pooled(monkeypatch, dtype):
    from mxgui.gui.image_viewer import reading

    rng = np.random.default_rng(5)
    counts = rng.poisson(4, size=(101, 37)).astype(dtype)
    flagged = -1 if dtype == "int32" else np.iinfo(np.uint32).max
    counts[30:33, :] = flagged  # a gap: whole blocks masked
    counts[70, 7] = flagged
    mask = np.zeros(counts.shape, bool)
    mask[90:93, 0:3] = True  # the file's pixel mask: one whole block
    mask[50, 20] = True
    whole, masked = reading.shown_values(counts, mask)
    monkeypatch.setattr(reading, "BAND_PIXELS", 37 * 7)  # bands of 6 rows: 17 bands
    monkeypatch.setattr(reading, "PERCENTILE_SAMPLE", 101 * 37 // 4)  # every 2nd row, column
    display, counted, levels = reading.display_of(counts, mask, 3)
    assert counted == masked == 3 * 37 + 1 + 9 + 1
    np.testing.assert_array_equal(display, reading.max_pooled(whole, 3))
    assert levels == reading.default_levels(whole[::2, ::2])
    assert np.isnan(display[10]).all() and np.isnan(display[30, 0])
    assert not np.isnan(display[23, 2])  # a block with one masked pixel shows the others


def test_a_16m_frame_reaches_the_gui_reduced_and_the_cursor_reads_full_resolution(
    qtbot, viewer, tmp_path
):
    data = np.random.default_rng(3).poisson(2, size=(4371, 4150)).astype(np.int32)
    data[2001, 3001] = 77777  # one pixel: visible in the reduced image, read by the cursor
    header = replace(HEADER, beam_x=2075.0, beam_y=2185.0)
    path = write_cbf(tmp_path / "big_1_00001.cbf", data, header)
    handed: list[tuple[int, ...]] = []
    set_frame = viewer.view.set_frame
    viewer.view.set_frame = lambda frame: (handed.append(frame.drawn.shape), set_frame(frame))
    show(qtbot, viewer, path)
    assert handed == [(1457, 1384)]  # 4371 x 4150 max-pooled 3 x 3 in the reader thread
    assert viewer.view.image.image.shape == (1457, 1384)
    assert viewer.view.image.image[2001 // 3, 3001 // 3] == 77777
    bounds = viewer.view.image.mapRectToParent(viewer.view.image.boundingRect())
    assert (bounds.width(), bounds.height()) == (1384 * 3, 1457 * 3)  # the frame's extent
    text = []
    viewer.view.cursorMoved.connect(text.append)
    viewer.view._mouse_moved(viewer.view.scene_point_of(3001.5, 2001.5))
    assert text and text[-1].startswith("x 3001, y 2001: 77777")
    # zoomed in: the region in view (and a margin) drawn at full resolution
    viewer.view.plot.setRange(QRectF(2950, 1950, 100, 100), padding=0)
    qtbot.waitUntil(lambda: viewer.view.drawn_region is not None, timeout=5_000)
    r0, r1, c0, c1 = viewer.view.drawn_region
    assert r0 <= 1950 and 2050 <= r1 and c0 <= 2950 and 3050 <= c1 and r1 - r0 <= 2048
    assert viewer.view.image.image.shape == (r1 - r0, c1 - c0)
    assert viewer.view.image.image[2001 - r0, 3001 - c0] == 77777
    assert viewer.view.image.image[2001 - r0, 3002 - c0] == data[2001, 3002]
    viewer.view.plot.setRange(QRectF(0, 0, 4150, 4371), padding=0)  # out again: reduced
    qtbot.waitUntil(lambda: viewer.view.drawn_region is None, timeout=5_000)
    assert viewer.view.image.image.shape == (1457, 1384)


def test_the_full_resolution_region_follows_the_zoom_within_its_budget():
    from mxgui.gui.image_viewer.view import full_resolution_region

    shape = (4371, 4150)
    assert full_resolution_region((0, 0), (4150, 4371), shape, None) is None  # whole: reduced
    region = full_resolution_region((1000.5, 2000.2), (1100.0, 2080.0), shape, None)
    assert region == (1960, 2120, 950, 1150)  # rows, columns: the view and half again
    assert full_resolution_region((1010, 2010), (1090, 2070), shape, region) == region
    assert full_resolution_region((4100, 4300), (4200, 4400), shape, None) == (
        4265,
        4371,
        4075,
        4150,
    )
