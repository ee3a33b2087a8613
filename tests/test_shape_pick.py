"""A click on the sample view picks the shape a user means: a saved point that a line
crosses is picked by a click on it, the line by a click anywhere else along it."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import QPoint, Qt
from shape_task_helpers import click_shape, here, start_shape_app


@pytest.fixture
def shape_app(make_app, qtbot):
    return start_shape_app(make_app, qtbot)


def test_a_point_under_a_line_is_picked_by_a_click_on_it(shape_app, qtbot):
    _app, bricks, _queue, shapes, diffractometer = shape_app
    view = bricks["sample_view"]
    point = shapes.add_point(here(diffractometer))
    # drawn after the point, through it: the line's item comes later in the scene
    line = shapes.add_line(here(diffractometer, -0.05), here(diffractometer, 0.05))
    click_shape(qtbot, view, point.id)
    assert shapes.selected() == (point.id,)
    # the line, clicked a quarter of the way along, away from the point
    qtbot.waitUntil(lambda: line.id in view.shape_layer.items, timeout=2000)
    x0, y0 = diffractometer.centred_position_to_image(line.start)
    x1, y1 = diffractometer.centred_position_to_image(line.end)
    at = view.view.image_to_widget(x0 + 0.25 * (x1 - x0), y0 + 0.25 * (y1 - y0))
    qtbot.mouseClick(view.view.viewport(), Qt.LeftButton, pos=QPoint(round(at.x()), round(at.y())))
    assert shapes.selected() == (line.id,)
    # ctrl-click on the point adds the point, not the line again
    click_shape(qtbot, view, point.id, Qt.ControlModifier)
    assert shapes.selected() == (line.id, point.id)
