"""What the tests of tasks made from shapes share: the layout, shapes placed where
the camera sees them, and clicks on them as a user clicks."""

from __future__ import annotations

from PyQt5.QtCore import QEvent, QPoint, QPointF, Qt
from PyQt5.QtGui import QMouseEvent
from PyQt5.QtWidgets import QApplication

from mxgui.core.centring import CentredPosition

from helpers import TEST_LAYOUTS, speed_up

LAYOUT = TEST_LAYOUTS / "shape_tasks.yml"
#: the sample the simulated diffractometer has mounted at start
MOUNTED = "1:01"


def start_shape_app(make_app, qtbot, repository_dirs=None):
    """The layout on the simulated beamline (fast motors, first frame shown, no shapes
    and an empty queue): (app, bricks, queue, shapes, diffractometer)."""
    app = make_app(LAYOUT, repository_dirs)
    bricks = app.built.bricks
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    queue = app.repository.get("/queue")
    shapes = app.repository.get("/shapes")
    shapes.clear()
    view = bricks["sample_view"]
    qtbot.waitUntil(lambda: view.view.frame_item.shown > 0, timeout=5000)
    assert not queue.model.children(0)
    return app, bricks, queue, shapes, diffractometer


def here(diffractometer, dphiy: float = 0.0, dsampx: float = 0.0) -> CentredPosition:
    """The centred position now on the beam, moved ``dphiy`` mm along the axis and
    ``dsampx`` mm across it: a point the camera sees, face-on."""
    p = diffractometer.get_positions()
    return CentredPosition(
        phi=p["phi"], phiy=p["phiy"] + dphiy, phiz=p["phiz"], sampx=p["sampx"] + dsampx,
        sampy=p["sampy"],
    )  # fmt: skip


def shape_point(qtbot, view, shape_id: str) -> QPoint:
    """The widget pixel where shape ``shape_id`` is drawn (a point; a line's middle;
    a grid's centre), once the view has placed it."""
    qtbot.waitUntil(lambda: shape_id in view.shape_layer.items, timeout=2000)
    item = view.shape_layer.items[shape_id]
    qtbot.waitUntil(item.isVisible, timeout=2000)
    centre = item.mapToScene(item.shape().boundingRect().center())
    if hasattr(item, "image_position"):
        centre = item.mapToScene(*item.image_position())
    point = view.view.image_to_widget(centre.x(), centre.y())
    assert view.view.contains_image_point(centre.x(), centre.y()), "the shape is off the image"
    return QPoint(round(point.x()), round(point.y()))


def click_shape(qtbot, view, shape_id: str, modifier=Qt.NoModifier) -> None:
    """Click shape ``shape_id`` on the image (ctrl: add it to the selection)."""
    qtbot.mouseClick(
        view.view.viewport(), Qt.LeftButton, modifier, shape_point(qtbot, view, shape_id)
    )


def at(diffractometer, position: CentredPosition) -> bool:
    """Whether the centring motors are at ``position`` (within 1 um)."""
    now = diffractometer.get_positions()
    return all(abs(now[r] - v) < 1e-3 for r, v in position.motor_positions().items())


def drag_box(qtbot, view, start, end, modifier=Qt.NoModifier) -> None:
    """Drag from image point ``start`` to ``end`` with ``modifier`` held, as a user
    draws a box around shapes."""
    viewport = view.view.viewport()
    p0, p1 = (view.view.image_to_widget(*point).toPoint() for point in (start, end))
    qtbot.mousePress(viewport, Qt.LeftButton, modifier, p0)
    for pos in ((p0 + p1) / 2, p1):  # QTest's mouseMove does not hold the button
        move = QMouseEvent(QEvent.MouseMove, QPointF(pos), Qt.NoButton, Qt.LeftButton, modifier)
        QApplication.sendEvent(viewport, move)
    qtbot.mouseRelease(viewport, Qt.LeftButton, modifier, p1)
