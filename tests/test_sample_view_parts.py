"""The sample view's parts on their own: frame hand-over, drawing maths, the grid item,
the modes, the watchdog."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from PyQt5.QtCore import QRectF
from PyQt5.QtGui import QColor, QImage, QPainter, QTransform
from PyQt5.QtWidgets import QGraphicsScene, QGraphicsView, QStyleOptionGraphicsItem

from mxgui.core.centring import (
    CentredPosition,
    ImageGeometry,
    centred_point_to_image,
    plane_to_image,
)
from mxgui.core.shapes import Grid
from mxgui.gui.sample_view.drawing import GridDrag, cells_across, grid_parameters, point_at
from mxgui.gui.sample_view.frame_handover import FrameHandover
from mxgui.gui.sample_view.frame_item import frame_to_qimage
from mxgui.gui.sample_view.grid_item import GridItem
from mxgui.gui.sample_view.modes import Mode, ModeController
from mxgui.gui.sample_view.overlays import length_um, nice_length_um
from mxgui.gui.sample_view.style import OverlayStyle
from mxgui.gui.sample_view.view import SampleGraphicsView
from mxgui.gui.sample_view.watchdog import FrameWatchdog

GEOMETRY = ImageGeometry((500.0, 500.0), (640.0, 512.0))


@pytest.fixture(autouse=True)
def _application(qapp):
    """Painting text needs the Qt application."""


HERE = CentredPosition(phi=30.0, phiy=0.1, phiz=-0.02, sampx=0.05, sampy=-0.03)


def positions(**changes) -> dict[str, float]:
    return dict(HERE.motor_positions(), **changes)


# -- frame hand-over -------------------------------------------------------------------------


def frame(value: int = 0) -> np.ndarray:
    return np.full((4, 6), value, dtype=np.uint8)


def test_the_latest_frame_wins_and_replaced_frames_count_as_dropped():
    posts = []
    handover = FrameHandover(lambda: posts.append(1))
    for number in range(1, 6):
        handover.offer(frame(number), number)
    assert len(posts) == 1  # one repaint asked for, whatever the number of frames
    taken = handover.take()
    assert taken.number == 5 and taken.pixels[0, 0] == 5
    assert handover.take() is None
    assert handover.counts() == {
        "received": 5,
        "dropped": 4,
        "taken": 1,
        "posted": 1,
        "waiting": 0,
    }
    handover.offer(frame(), 6)
    assert len(posts) == 2  # the slot was empty: the next frame asks again


def test_the_hand_over_never_builds_a_backlog_under_a_fast_producer():
    posts = []
    handover = FrameHandover(lambda: posts.append(1))
    stop = threading.Event()

    def produce() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            handover.offer(frame(), number)

    producer = threading.Thread(target=produce)
    producer.start()
    numbers = []
    try:
        for _ in range(200):
            taken = handover.take()
            if taken is not None:
                numbers.append(taken.number)
            time.sleep(0.0005)
    finally:
        stop.set()
        producer.join()
    counts = handover.counts()
    assert counts["received"] == counts["dropped"] + counts["taken"] + counts["waiting"]
    assert counts["posted"] == counts["taken"] + counts["waiting"] == len(posts)
    assert counts["dropped"] > counts["taken"]  # the producer was faster
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_frames_are_wrapped_without_a_copy():
    pixels = np.arange(24, dtype=np.uint8).reshape(4, 6)
    image = frame_to_qimage(pixels)
    assert (image.width(), image.height(), image.format()) == (6, 4, QImage.Format_Grayscale8)
    assert int(image.constBits()) == pixels.ctypes.data
    assert QColor(image.pixel(5, 3)).red() == 23
    colour = np.zeros((4, 6, 3), dtype=np.uint8)
    assert frame_to_qimage(colour).format() == QImage.Format_RGB888
    with pytest.raises(ValueError, match="uint8"):
        frame_to_qimage(pixels.astype(np.uint16))
    with pytest.raises(ValueError, match="shape"):
        frame_to_qimage(np.zeros((4, 6, 2), dtype=np.uint8))


# -- drawing maths ----------------------------------------------------------------------------


def test_point_at_is_where_the_point_is_seen():
    centred = point_at(400.0, 300.0, HERE, GEOMETRY)
    assert centred_point_to_image(centred.motor_positions(), positions(), GEOMETRY) == (
        pytest.approx((400.0, 300.0))
    )


@pytest.mark.parametrize("direction", [(1, 1), (-1, 1), (1, -1), (-1, -1)])
def test_a_grid_starts_at_the_corner_where_the_drag_began(direction):
    start = (600.0, 400.0)
    end = (start[0] + direction[0] * 103.0, start[1] + direction[1] * 61.0)
    drag = GridDrag.from_image(start, end, HERE, GEOMETRY)
    params = grid_parameters(drag, 0.02, 0.015, 0.005, 0.0)
    grid = Grid("G1", "G1", **params)
    # 103 px = 0.206 mm = 8.2 steps of 25 um (+ one gap): 8 columns; 61 px: 8 rows
    assert (grid.num_cols, grid.num_rows) == (8, 8)
    col = 0 if direction[0] > 0 else grid.num_cols - 1
    row = 0 if direction[1] > 0 else grid.num_rows - 1
    seen = centred_point_to_image(
        grid.cell_position(col, row).motor_positions(), positions(), GEOMETRY
    )
    half = (0.010 * 500.0 * direction[0], 0.0075 * 500.0 * direction[1])
    assert seen == pytest.approx((start[0] + half[0], start[1] + half[1]))


def test_cells_across_rounds_to_whole_cells_and_gives_at_least_one():
    assert cells_across(0.1, 0.02, 0.0) == 5
    assert cells_across(-0.1, 0.02, 0.0) == 5
    assert cells_across(0.109, 0.02, 0.0) == 5
    assert cells_across(0.111, 0.02, 0.0) == 6
    assert cells_across(0.0, 0.02, 0.0) == 1
    assert cells_across(0.095, 0.02, 0.005) == 4  # 4 cells and 3 gaps


def test_lengths_and_scale_bar():
    assert length_um((0.0, 0.0), (300.0, 400.0), (500.0, 500.0)) == pytest.approx(1000.0)
    assert nice_length_um(581.9, 256.0) == 200.0
    assert nice_length_um(5823.7, 256.0) == 20.0
    assert nice_length_um(1.0, 1.0) == 1000.0
    assert nice_length_um(1.0, 0.0005) == 1.0  # nothing fits: the shortest


# -- the grid item -----------------------------------------------------------------------------


def paint(item: GridItem, scale: float = 1.0, size=(1280, 1024)) -> np.ndarray:
    """Paint ``item`` alone on black at ``scale`` screen pixels per image pixel."""
    image = QImage(round(size[0] * scale), round(size[1] * scale), QImage.Format_RGB32)
    image.fill(QColor(0, 0, 0))
    painter = QPainter(image)
    painter.setTransform(QTransform.fromScale(scale, scale))
    option = QStyleOptionGraphicsItem()
    option.exposedRect = QRectF(0, 0, *size)
    item.paint(painter, option)
    painter.end()
    bits = image.constBits()
    bits.setsize(image.byteCount())
    return np.frombuffer(bits, np.uint8).reshape(image.height(), image.width(), 4).copy()


def grid_item(cols: int, rows: int, cell_mm: float, here=HERE) -> GridItem:
    grid = Grid("G1", "G1", here, cols, rows, cell_mm, cell_mm)
    item = GridItem(grid, OverlayStyle())
    item.set_projection(*plane_to_image(grid.centre, here.motor_positions(), GEOMETRY))
    return item


def test_a_million_cells_are_one_item_drawn_from_its_corners():
    item = grid_item(1000, 1000, 0.002)  # 2 mm square of 1 um cells: 1 px each
    corners = item.image_corners()
    assert corners[0] == pytest.approx((640.0 - 500.0, 512.0 - 500.0))
    assert corners[2] == pytest.approx((640.0 + 500.0, 512.0 + 500.0))
    started = time.perf_counter()
    pixels = paint(item)
    assert time.perf_counter() - started < 1.0  # no per-cell work
    blue = pixels[..., 0]
    # cells of one pixel: outline only, no cell lines (the inside is only the fill)
    inside = blue[300:700, 300:900]
    assert inside.min() == inside.max()
    assert blue[12, 640] > 150  # the top edge


def test_cell_lines_appear_when_cells_are_big_enough_on_the_screen():
    item = grid_item(10, 10, 0.02)  # 10 image px per cell
    lines = [int((paint(item, scale)[..., 0] > 100).sum()) for scale in (1.0, 0.3)]
    outline_only = int(4 * 100 * 0.3 * 2)  # perimeter at 0.3, about two pixels wide
    assert lines[0] > 9 * 2 * 100  # 9 inner lines each way, 100 px long
    assert lines[1] < 2 * outline_only


def test_seen_edge_on_the_grid_is_a_line_and_painting_works():
    item = grid_item(20, 10, 0.02)
    item.set_projection(*plane_to_image(HERE, positions(phi=HERE.phi + 90.0), GEOMETRY))
    (x0, y0), _, (x2, y2), _ = item.image_corners()
    assert y0 == pytest.approx(y2)  # collapsed onto a line
    assert (paint(item)[..., 0] > 100).sum() > 0


def test_a_grid_shown_before_the_view_knows_where_it_is_paints_nothing_until_then(qtbot):
    """Issue 11 item 15: a grid item added to a scene before its projection (the view had
    no camera geometry yet) raised IndexError in paint() at every repaint."""
    grid = Grid("G1", "G1", HERE, 4, 3, 0.02, 0.02)
    item = GridItem(grid, OverlayStyle())
    scene = QGraphicsScene(0, 0, 1280, 1024)
    scene.addItem(item)
    view = QGraphicsView(scene)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    view.viewport().repaint()  # pytest-qt fails the test on an exception in paint()
    assert not paint(item)[..., :3].any()
    assert item.boundingRect().isEmpty() and item.image_corners() == []
    item.set_projection(*plane_to_image(grid.centre, HERE.motor_positions(), GEOMETRY))
    view.viewport().repaint()
    assert (paint(item)[..., 0] > 100).sum() > 0


def test_cell_colours_take_one_rgba_pixel_per_cell():
    item = grid_item(4, 2, 0.05)  # 25 px cells
    colours = np.zeros((2, 4, 4), dtype=np.uint8)
    colours[1, 3] = (255, 0, 0, 255)  # bottom right cell red
    item.set_cell_image(colours)
    pixels = paint(item)
    (left, top), _, (right, bottom), _ = item.image_corners()
    x, y = round(right - 12.5), round(bottom - 12.5)
    assert pixels[y, x, 2] > 200 and pixels[y, x, 1] < 50  # BGRA: red
    with pytest.raises(ValueError, match=r"\(2, 4, 4\) uint8"):
        item.set_cell_image(np.zeros((4, 2, 4), dtype=np.uint8))
    item.set_cell_image(None)


# -- modes --------------------------------------------------------------------------------------


def test_one_mode_at_a_time_with_its_cursor(qtbot):
    view = SampleGraphicsView()
    qtbot.addWidget(view)
    modes = ModeController(view, OverlayStyle())
    changes = []
    modes.modeChanged.connect(changes.append)
    for mode in Mode:
        modes.set_mode(mode)
        assert modes.mode is mode
        assert view.viewport().cursor().shape() == mode.cursor
    modes.set_mode(Mode.MEASURE)  # already: no signal
    assert changes == [m for m in Mode if m is not Mode.IDLE]
    with pytest.raises(ValueError):
        modes.set_mode("flying")
    assert all(mode.title and mode.hint for mode in Mode)


def test_mapping_between_widget_and_image_is_exact_and_letterboxed(qtbot):
    view = SampleGraphicsView(1280, 1024)
    qtbot.addWidget(view)
    view.resize(1000, 500)
    view.show()
    qtbot.waitExposed(view)
    rect = view.image_rect_on_widget()
    assert rect.height() == pytest.approx(500.0)
    assert rect.width() == pytest.approx(1280 * 500 / 1024)
    assert rect.left() == pytest.approx((1000 - rect.width()) / 2, abs=1.0)
    for x, y in ((0.0, 0.0), (640.0, 512.0), (1279.5, 1023.5)):
        back = view.widget_to_image(view.image_to_widget(x, y))
        assert back == pytest.approx((x, y))
    assert not view.contains_image_point(*view.widget_to_image(rect.topLeft() - rect.center()))


# -- watchdog -----------------------------------------------------------------------------------


def test_the_watchdog_says_when_frames_stop_and_when_they_return(qtbot):
    handover = FrameHandover(lambda: None)
    watchdog = FrameWatchdog(handover, timeout=0.05)
    stalled, recovered = [], []
    watchdog.framesStalled.connect(stalled.append)
    watchdog.framesRecovered.connect(lambda: recovered.append(1))
    watchdog.expect_frames()
    handover.offer(frame(), 1)
    watchdog.check()
    assert stalled == []
    time.sleep(0.1)
    watchdog.check()
    watchdog.check()  # said once
    expected = time.strftime("%H:%M:%S", time.localtime(handover.last_received_wall))
    assert stalled == [f"no camera frames since {expected}"]
    handover.offer(frame(), 2)
    watchdog.check()
    assert recovered == [1]
    watchdog.stop()
    time.sleep(0.1)
    watchdog.check()
    assert len(stalled) == 1  # not watching: no report
