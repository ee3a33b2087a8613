"""The sample-view brick on the simulated beamline, used as a user uses it.

Clicks go where the simulated crystal is seen (known from the scene), mapped from image
to widget pixels through the view's public mapping; the physics is checked in the scene.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QMouseEvent
from PyQt5.QtWidgets import QApplication

from mxgui.core.centring import plane_to_image
from mxgui.core.shapes import Grid, Point
from mxgui.gui.sample_view.centring_workflow import CentringStep
from mxgui.gui.sample_view.modes import Mode

from helpers import TEST_LAYOUTS, events_delivered, speed_up

LAYOUT = TEST_LAYOUTS / "sample_view.yml"
#: issue 3's tolerance: the crystal within 5 um of the beam after centring
TOLERANCE_MM = 0.005
CHECK_OMEGAS = (0.0, 37.0, 90.0, 135.0, 180.0, 271.0)


@pytest.fixture
def sample_view(make_app, qtbot):
    """The brick on the simulated beamline, fast motors, first frame shown."""
    app = make_app(LAYOUT)
    brick = app.built.bricks["sample_view"]
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    qtbot.waitUntil(lambda: brick.view.frame_item.shown > 0, timeout=5000)
    yield brick, diffractometer, app.repository
    if diffractometer.get_centring_state().value != "idle":
        diffractometer.cancel_centring()


def widget_point(brick, x: float, y: float) -> QPoint:
    """The widget pixel a user clicks to hit image point ``(x, y)``."""
    point = brick.view.image_to_widget(x, y)
    return QPoint(round(point.x()), round(point.y()))


def click_image(qtbot, brick, x: float, y: float) -> tuple[float, float]:
    """Click image point ``(x, y)``; returns the image point actually clicked."""
    pos = widget_point(brick, x, y)
    qtbot.mouseClick(brick.view.viewport(), Qt.LeftButton, pos=pos)
    return brick.view.widget_to_image(pos)


def drag_image(
    qtbot, brick, start, end, while_dragging=None
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Press at image point ``start``, move to ``end`` (then call ``while_dragging()``),
    release there; returns the image points pressed and released."""
    viewport = brick.view.viewport()
    p0, p1 = widget_point(brick, *start), widget_point(brick, *end)
    qtbot.mousePress(viewport, Qt.LeftButton, pos=p0)
    for pos in ((p0 + p1) / 2, p1):
        # QTest's mouseMove only moves the cursor: send the move with the button held
        move = QMouseEvent(
            QEvent.MouseMove, QPointF(pos), Qt.NoButton, Qt.LeftButton, Qt.NoModifier
        )
        QApplication.sendEvent(viewport, move)
    if while_dragging is not None:
        while_dragging()
    qtbot.mouseRelease(viewport, Qt.LeftButton, pos=p1)
    return brick.view.widget_to_image(p0), brick.view.widget_to_image(p1)


def crystal_on_image(diffractometer) -> tuple[float, float]:
    return diffractometer.scene.crystal_centre_image(
        diffractometer.get_positions(), diffractometer.get_image_geometry()
    )


def crystal_error_mm(diffractometer) -> float:
    scene, here = diffractometer.scene, diffractometer.get_positions()
    return max(
        float(np.linalg.norm(scene.crystal_centre_lab(dict(here, phi=w)))) for w in CHECK_OMEGAS
    )


def wait_step(qtbot, brick, *steps: CentringStep, timeout: int = 5000) -> None:
    qtbot.waitUntil(lambda: brick.workflow.step in steps, timeout=timeout)


# -- centring ---------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["1:01", "2:05"])
def test_three_clicks_on_the_crystal_centre_it_and_accept_saves_a_point(
    sample_view, qtbot, address
):
    brick, diffractometer, repo = sample_view
    diffractometer.set_mounted_sample(address)
    assert crystal_error_mm(diffractometer) > 0.05  # not centred to begin with
    qtbot.mouseClick(brick.toolbar.mode_buttons[Mode.CENTRING], Qt.LeftButton)
    assert brick.mode is Mode.CENTRING
    assert "3-click centring" in brick.mode_label.text()
    assert brick.view.viewport().cursor().shape() == Qt.CrossCursor
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)
    for number in range(1, 4):
        assert f"({number} of 3)" in brick.mode_label.text()
        x, y = crystal_on_image(diffractometer)
        click_image(qtbot, brick, x, y)
        assert len(brick.click_marks.points) == number
        wait_step(qtbot, brick, CentringStep.WAITING_CLICK, CentringStep.CENTRED)
    assert brick.workflow.step is CentringStep.CENTRED
    assert brick.toolbar.accept_button.isEnabled() and brick.toolbar.reject_button.isEnabled()
    assert crystal_error_mm(diffractometer) < TOLERANCE_MM

    with qtbot.waitSignal(brick.centringAccepted, timeout=3000) as accepted:
        qtbot.mouseClick(brick.toolbar.accept_button, Qt.LeftButton)
    point = repo.get("/shapes").get(accepted.args[0])
    assert isinstance(point, Point)
    assert point.position.motor_positions() == pytest.approx(diffractometer.get_positions())
    assert brick.mode is Mode.IDLE and brick.click_marks.points == []
    # the saved point is drawn on the beam, filled (face-on)
    qtbot.waitUntil(lambda: point.id in brick.shape_layer.items, timeout=3000)
    item = brick.shape_layer.items[point.id]
    # overlays re-project once per burst of motor updates: wait for where it settles
    beam = diffractometer.get_beam_position()
    qtbot.waitUntil(
        lambda: np.hypot(*np.subtract(item.image_position(), beam)) <= 0.5, timeout=3000
    )
    assert item.face_on


def test_reject_moves_back_to_where_the_centring_started(sample_view, qtbot):
    brick, diffractometer, repo = sample_view
    start = diffractometer.get_positions()
    brick.start_centring()
    for _ in range(3):
        wait_step(qtbot, brick, CentringStep.WAITING_CLICK, CentringStep.CENTRED)
        click_image(qtbot, brick, *crystal_on_image(diffractometer))
    wait_step(qtbot, brick, CentringStep.CENTRED)
    qtbot.mouseClick(brick.toolbar.reject_button, Qt.LeftButton)
    assert brick.mode is Mode.IDLE
    qtbot.waitUntil(
        lambda: diffractometer.get_positions() == pytest.approx(start, abs=1e-3), timeout=5000
    )
    assert len(repo.get("/shapes")) == 0


def test_a_click_during_the_turn_is_refused_with_a_message_not_queued(sample_view, qtbot):
    brick, diffractometer, _repo = sample_view
    taken = []
    diffractometer.connect("centringClickAccepted", lambda n, x, y: taken.append((n, x, y)))
    diffractometer.get_motor("phi").set_velocity(60.0)  # 1.5 s per turn
    brick.start_centring()
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)
    first = click_image(qtbot, brick, *crystal_on_image(diffractometer))
    assert brick.workflow.step is CentringStep.TURNING
    click_image(qtbot, brick, 300.0, 300.0)
    assert "turning" in brick.message_label.text()
    assert len(brick.click_marks.points) == 1
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)
    events_delivered(qtbot)
    # the refused click never reached the diffractometer, and is not taken later
    assert taken == [(1, *first)]
    second = click_image(qtbot, brick, *crystal_on_image(diffractometer))
    assert taken == [(1, *first), (2, *second)]


def test_escape_between_clicks_cancels_the_centring_and_moves_back(sample_view, qtbot):
    brick, diffractometer, _repo = sample_view
    start = diffractometer.get_positions()
    brick.start_centring()
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)
    click_image(qtbot, brick, *crystal_on_image(diffractometer))
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)
    qtbot.keyClick(brick.view, Qt.Key_Escape)
    assert brick.mode is Mode.IDLE
    assert brick.workflow.step is CentringStep.IDLE
    assert "cancelled" in brick.message_label.text()
    assert brick.message_label._expiry.isActive()  # true for a moment only: it goes
    assert diffractometer.get_centring_state().value == "idle"
    qtbot.waitUntil(
        lambda: diffractometer.get_positions()["phi"] == pytest.approx(start["phi"]), timeout=5000
    )
    # and the view is usable: a new centring starts
    qtbot.mouseClick(brick.toolbar.mode_buttons[Mode.CENTRING], Qt.LeftButton)
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)


def test_a_motor_fault_during_a_centring_turn_ends_it_with_a_message(sample_view, qtbot):
    brick, diffractometer, _repo = sample_view
    phi = diffractometer.get_motor("phi")
    phi.set_velocity(30.0)  # 3 s per turn: time to break it on the way
    brick.start_centring()
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)
    click_image(qtbot, brick, *crystal_on_image(diffractometer))
    assert brick.workflow.step is CentringStep.TURNING
    phi.inject_fault("encoder error")
    try:
        qtbot.waitUntil(lambda: brick.mode is Mode.IDLE, timeout=5000)
        assert "encoder error" in brick.message_label.text()
        assert brick.workflow.step is CentringStep.IDLE
        assert not brick.toolbar.cancel_button.isEnabled()
    finally:
        phi.inject_fault(None)
    # usable again once the fault is cleared
    brick.start_centring()
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)


def test_a_click_outside_the_image_is_refused_with_a_message(sample_view, qtbot, caplog):
    brick, diffractometer, _repo = sample_view
    brick.start_centring()
    wait_step(qtbot, brick, CentringStep.WAITING_CLICK)
    image = brick.view.image_rect_on_widget()
    assert image.left() > 10, "the window should letterbox the image left and right"
    outside = QPoint(round(image.left() / 2), round(image.center().y()))
    with caplog.at_level(logging.INFO):
        qtbot.mouseClick(brick.view.viewport(), Qt.LeftButton, pos=outside)
    assert "outside the image" in brick.message_label.text()
    # a hint, not a problem: INFO in the log, and it goes by itself
    (record,) = [r for r in caplog.records if "outside the image" in r.getMessage()]
    assert record.levelno == logging.INFO
    assert brick.message_label._expiry.isActive()
    assert brick.click_marks.points == [] and brick.workflow.step is CentringStep.WAITING_CLICK
    # the next click on the image is taken
    click_image(qtbot, brick, *crystal_on_image(diffractometer))
    assert len(brick.click_marks.points) == 1


# -- move to beam -----------------------------------------------------------------------------


def test_move_to_beam_brings_the_clicked_crystal_onto_the_beam(sample_view, qtbot):
    brick, diffractometer, _repo = sample_view
    qtbot.mouseClick(brick.toolbar.mode_buttons[Mode.MOVE_TO_BEAM], Qt.LeftButton)
    assert brick.mode is Mode.MOVE_TO_BEAM
    clicked = click_image(qtbot, brick, *crystal_on_image(diffractometer))
    beam = diffractometer.get_beam_position()
    assert np.hypot(*np.subtract(clicked, beam)) > 20  # it had somewhere to go
    qtbot.waitUntil(
        lambda: np.hypot(*np.subtract(crystal_on_image(diffractometer), beam)) < 1.5,
        timeout=5000,
    )
    qtbot.keyClick(brick.view, Qt.Key_Escape)
    assert brick.mode is Mode.IDLE


# -- grids ------------------------------------------------------------------------------------


def test_a_dragged_grid_has_its_cells_where_they_were_drawn(sample_view, qtbot):
    brick, diffractometer, repo = sample_view
    qtbot.mouseClick(brick.toolbar.mode_buttons[Mode.DRAW_GRID], Qt.LeftButton)
    assert brick.grid_panel.isVisible()
    brick.grid_panel.set_values(20.0, 15.0, 0.0, 0.0)
    band = brick.modes.rubber_band
    seen = []
    start, end = drag_image(
        qtbot,
        brick,
        (400.0, 300.0),
        (700.0, 520.0),
        lambda: seen.append((band.isVisible(), band.text)),
    )
    assert not band.isVisible()  # gone once drawn
    shapes = repo.get("/shapes")
    qtbot.waitUntil(lambda: len(shapes) == 1, timeout=3000)
    grid = shapes.shapes()[0]
    assert isinstance(grid, Grid)
    (px, py) = diffractometer.get_pixels_per_mm()
    assert (grid.cell_width_mm, grid.cell_height_mm) == pytest.approx((0.020, 0.015))
    assert grid.num_cols == round((end[0] - start[0]) / px / 0.020)
    assert grid.num_rows == round((end[1] - start[1]) / py / 0.015)
    # while dragging, the rubber band said what the grid would hold
    assert seen == [(True, f"{grid.num_cols} × {grid.num_rows} cells")]
    # the top-left cell's centre, moved to the beam by its motor positions, is where
    # the drag began plus half a cell: within a pixel
    first = diffractometer.centred_position_to_image(grid.cell_position(0, 0))
    expected = (start[0] + 0.010 * px, start[1] + 0.0075 * py)
    assert first == pytest.approx(expected, abs=1.0)
    # the far corner cell is within half a cell of where the drag ended
    last = diffractometer.centred_position_to_image(
        grid.cell_position(grid.num_cols - 1, grid.num_rows - 1)
    )
    assert abs(last[0] + 0.010 * px - end[0]) <= 0.010 * px + 1.0
    assert abs(last[1] + 0.0075 * py - end[1]) <= 0.0075 * py + 1.0
    # and the grid's motor positions really bring that cell onto the beam
    diffractometer.move_to_centred_position(grid.cell_position(0, 0), timeout=5)
    assert diffractometer.centred_position_to_image(grid.cell_position(0, 0)) == pytest.approx(
        diffractometer.get_beam_position(), abs=1e-6
    )
    # drawn as one item
    qtbot.waitUntil(lambda: grid.id in brick.shape_layer.items, timeout=3000)


def test_grid_cell_size_defaults_to_the_beam_size(sample_view, qtbot):
    brick, _diffractometer, repo = sample_view
    width, height = repo.get("/beam").get_beam_size()
    assert brick.grid_panel.values_mm()[:2] == pytest.approx((width, height), abs=1e-4)
    brick.set_mode("draw_grid")
    drag_image(qtbot, brick, (500.0, 400.0), (640.0, 480.0))
    shapes = repo.get("/shapes")
    qtbot.waitUntil(lambda: len(shapes) == 1, timeout=3000)
    grid = shapes.shapes()[0]
    assert (grid.cell_width_mm, grid.cell_height_mm) == pytest.approx((width, height), abs=1e-4)
    assert (grid.spacing_x_mm, grid.spacing_y_mm) == (0.0, 0.0)


def test_a_grid_drawn_with_no_size_gives_a_message_and_no_grid(sample_view, qtbot):
    brick, _diffractometer, repo = sample_view
    brick.set_mode("draw_grid")
    click_image(qtbot, brick, 500.0, 400.0)
    assert "no size" in brick.message_label.text()
    assert len(repo.get("/shapes")) == 0
    assert brick.mode is Mode.DRAW_GRID  # still drawing: the next drag works
    drag_image(qtbot, brick, (500.0, 400.0), (600.0, 450.0))
    qtbot.waitUntil(lambda: len(repo.get("/shapes")) == 1, timeout=3000)


def test_apply_redraws_the_last_grid_with_new_cells(sample_view, qtbot):
    brick, _diffractometer, repo = sample_view
    shapes = repo.get("/shapes")
    brick.set_mode("draw_grid")
    brick.grid_panel.set_values(20.0, 20.0)
    drag_image(qtbot, brick, (400.0, 300.0), (640.0, 480.0))
    qtbot.waitUntil(lambda: len(shapes) == 1, timeout=3000)
    first = shapes.shapes()[0]
    brick.grid_panel.set_values(40.0, 40.0, 5.0, 5.0)
    qtbot.mouseClick(brick.grid_panel.apply_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: shapes.shapes()[0].id != first.id, timeout=3000)
    (grid,) = shapes.shapes()
    assert grid.name == first.name
    assert (grid.cell_width_mm, grid.spacing_x_mm) == pytest.approx((0.040, 0.005))
    assert grid.num_cols < first.num_cols
    # same corner: the top-left cell's top-left corner did not move
    corner = grid.cell_offset(0, 0)
    old_corner = first.cell_offset(0, 0)
    assert grid.centre.phiy - corner[0] + 0.020 == pytest.approx(
        first.centre.phiy - old_corner[0] + 0.010, abs=1e-9
    )


def test_apply_with_cells_too_small_for_a_grid_keeps_the_old_grid(sample_view, qtbot):
    """0.1 um cells over the drawn area would be millions of cells (issue 11: a grid of
    20000 x 20000 reached 3.2 GB): refused with a message, the grid drawn before kept."""
    brick, _diffractometer, repo = sample_view
    shapes = repo.get("/shapes")
    brick.set_mode("draw_grid")
    brick.grid_panel.set_values(20.0, 20.0)
    drag_image(qtbot, brick, (400.0, 300.0), (640.0, 480.0))
    qtbot.waitUntil(lambda: len(shapes) == 1, timeout=3000)
    (first,) = shapes.shapes()
    brick.grid_panel.set_values(0.1, 0.1)
    qtbot.mouseClick(brick.grid_panel.apply_button, Qt.LeftButton)
    assert "a grid has at most 1,000,000 cells" in brick.message_label.text()
    assert shapes.shapes() == [first]


# -- lines and measurements ---------------------------------------------------------------------


def test_two_clicks_draw_a_line_and_a_drag_measures(sample_view, qtbot):
    brick, diffractometer, repo = sample_view
    (px, _py) = diffractometer.get_pixels_per_mm()
    brick.set_mode("draw_line")
    a = click_image(qtbot, brick, 500.0, 400.0)
    assert brick.modes.line_preview.isVisible()
    b = click_image(qtbot, brick, 700.0, 400.0)
    shapes = repo.get("/shapes")
    qtbot.waitUntil(lambda: len(shapes) == 1, timeout=3000)
    line = shapes.shapes()[0]
    assert line.length_mm == pytest.approx((b[0] - a[0]) / px, abs=1e-9)
    assert diffractometer.centred_position_to_image(line.start) == pytest.approx(a, abs=1e-6)
    brick.set_mode("measure")
    start, end = drag_image(qtbot, brick, (300.0, 300.0), (600.0, 700.0))
    expected = np.hypot(end[0] - start[0], end[1] - start[1]) / px * 1000.0
    assert brick.last_measurement_um == pytest.approx(expected)
    assert brick.modes.measure.isVisible()
    assert f"{expected:.1f} µm" in brick.modes.measure.text


# -- zoom ----------------------------------------------------------------------------------------


def test_after_a_zoom_change_the_overlays_are_where_the_new_zoom_projects_them(sample_view, qtbot):
    brick, diffractometer, repo = sample_view
    shapes = repo.get("/shapes")
    brick.save_point()  # the point on the beam now
    diffractometer.move_motors({"phiy": diffractometer.get_positions()["phiy"] + 0.1}, timeout=5)
    brick.set_mode("draw_grid")
    drag_image(qtbot, brick, (500.0, 400.0), (620.0, 470.0))
    qtbot.waitUntil(lambda: len(shapes) == 2 and len(brick.shape_layer.items) == 2, timeout=3000)
    point, grid = shapes.shapes()
    point_item, grid_item = brick.shape_layer.items[point.id], brick.shape_layer.items[grid.id]
    before = (point_item.image_position(), grid_item.image_corners(), brick.beam_item.rect())

    brick.controls.zoom_box.setCurrentText("6")
    brick.controls.zoom_box.activated[str].emit("6")
    qtbot.waitUntil(lambda: brick.scale_bar.length_um != 0 and diffractometer.get_zoom() == "6")
    qtbot.waitUntil(lambda: brick.beam_item.rect() != before[2], timeout=3000)

    geometry, positions = diffractometer.get_image_geometry(), diffractometer.get_positions()
    (px, py), beam = geometry.pixels_per_mm, geometry.beam_position
    width, height = repo.get("/beam").get_beam_size()
    rect = brick.beam_item.rect()
    assert (rect.center().x(), rect.center().y()) == pytest.approx(beam)
    assert (rect.width(), rect.height()) == pytest.approx((width * px, height * py))
    assert point_item.image_position() == pytest.approx(
        diffractometer.centred_position_to_image(point.position), abs=1e-6
    )
    assert point_item.image_position() != pytest.approx(before[0], abs=5.0)
    origin, ex, ey = plane_to_image(grid.centre, positions, geometry)
    w, h = grid.width_mm, grid.height_mm
    expected_top_left = (
        origin[0] - w / 2 * ex[0] + h / 2 * ey[0],
        origin[1] - w / 2 * ex[1] + h / 2 * ey[1],
    )
    assert grid_item.image_corners()[0] == pytest.approx(expected_top_left, abs=1e-6)
    assert grid_item.image_corners()[0] != pytest.approx(before[1][0], abs=5.0)
    assert brick.controls.zoom_box.currentText() == "6"


def test_turning_away_draws_shapes_outlined(sample_view, qtbot):
    brick, diffractometer, repo = sample_view
    brick.save_point()
    shapes = repo.get("/shapes")
    qtbot.waitUntil(lambda: len(brick.shape_layer.items) == 1, timeout=3000)
    item = brick.shape_layer.items[shapes.shapes()[0].id]
    assert item.face_on
    diffractometer.get_motor("phi").set_value(45.0, timeout=5)
    qtbot.waitUntil(lambda: not item.face_on, timeout=3000)


# -- lights, camera, snapshot ---------------------------------------------------------------------


def test_light_sliders_set_the_lights(sample_view, qtbot):
    brick, diffractometer, _repo = sample_view
    front = diffractometer.get_motor("frontlight")
    slider = brick.controls.sliders["frontlight"]
    assert slider.value() == round(front.get_value())
    slider.setValue(80)
    qtbot.waitUntil(lambda: front.get_value() == pytest.approx(80.0), timeout=3000)
    front.set_value(10, timeout=5)
    qtbot.waitUntil(lambda: slider.value() == 10, timeout=3000)


def test_a_camera_that_stops_is_reported_and_the_view_recovers(sample_view, qtbot):
    brick, _diffractometer, repo = sample_view
    brick.set_property("camera_timeout", 0.3)
    camera = repo.get("/sample_camera")
    assert not brick.camera_label.isVisible()
    camera.stop_streaming()
    qtbot.waitUntil(brick.camera_label.isVisible, timeout=3000)
    assert brick.camera_label.text().startswith("No camera frames since ")
    shown = brick.view.frame_item.shown
    # the view stays usable meanwhile
    brick.set_mode("measure")
    assert brick.mode is Mode.MEASURE
    camera.start_streaming()
    qtbot.waitUntil(lambda: not brick.camera_label.isVisible(), timeout=3000)
    qtbot.waitUntil(lambda: brick.view.frame_item.shown > shown + 2, timeout=3000)


def test_snapshot_with_and_without_overlays(sample_view, qtbot, tmp_path):
    from PyQt5.QtGui import QImage

    brick, diffractometer, _repo = sample_view
    with_overlays = brick.save_snapshot(tmp_path / "with.png")
    plain = brick.save_snapshot(tmp_path / "plain.png", with_overlays=False)
    images = [QImage(str(path)) for path in (with_overlays, plain)]
    assert all((i.width(), i.height()) == (1280, 1024) for i in images)
    # the beam mark is red: only in the one with overlays
    beam = brick.beam_item.rect()
    x, y = round(beam.left()), round(beam.center().y())
    reds = []
    for image in images:
        colours = [image.pixelColor(x + dx, y) for dx in range(-2, 3)]
        reds.append(any(c.red() > 200 and c.green() < 120 for c in colours))
    assert reds == [True, False]
    with pytest.raises(OSError, match="not a directory"):
        brick.save_snapshot(tmp_path / "missing" / "x.png")


def test_a_fast_camera_makes_the_view_drop_frames_never_queue_them(sample_view, qtbot):
    brick, _diffractometer, repo = sample_view
    camera = repo.get("/sample_camera")
    camera.set_frame_rate(400.0)
    handover = brick.view.handover
    handover.reset_counters()
    shown = brick.view.frame_item.shown
    qtbot.waitUntil(lambda: handover.counts()["received"] > 50, timeout=10000)
    counts = handover.counts()
    # each frame was shown, replaced by a newer one (dropped) or is the one waiting;
    # one repaint was asked for per frame shown (plus the waiting one): no backlog
    assert counts["received"] == counts["dropped"] + counts["taken"] + counts["waiting"]
    assert counts["posted"] == counts["taken"] + counts["waiting"]
    assert brick.view.frame_item.shown - shown == counts["taken"]


def test_the_beam_mark_is_an_outline_over_the_live_image(sample_view, qtbot):
    """What the user sees on the screen: the beam shows the sample inside its ring, even
    after a line (whose ends are filled discs) was painted before it."""
    brick, _diffractometer, _repo = sample_view
    brick.set_mode("draw_line")
    click_image(qtbot, brick, 300.0, 300.0)
    click_image(qtbot, brick, 500.0, 350.0)
    qtbot.waitUntil(lambda: len(brick.shape_layer.items) == 1, timeout=3000)
    shown = brick.view.frame_item.shown
    qtbot.waitUntil(lambda: brick.view.frame_item.shown > shown, timeout=3000)  # a live frame
    rect = brick.beam_item.rect()
    inside = brick.view.image_to_widget(
        rect.center().x() + rect.width() / 5, rect.center().y() + rect.height() / 5
    )
    colour = brick.view.viewport().grab().toImage().pixelColor(inside.toPoint())
    assert abs(colour.red() - colour.blue()) < 30 and abs(colour.red() - colour.green()) < 30, (
        colour.getRgb()
    )
