"""The right-click menu on shapes (issue 15, deliverable 2), in the sample view and on
the shapes list's rows: add each task that fits, move to, rename, delete."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import QPoint, Qt
from PyQt5.QtGui import QContextMenuEvent
from PyQt5.QtWidgets import QAbstractItemView, QApplication, QLineEdit, QMessageBox
from shape_task_helpers import MOUNTED, at, click_shape, here, shape_point, start_shape_app

from mxgui.gui.shape_menu import menu_actions

from helpers import TEST_LAYOUTS, speed_up

#: the offscreen platform cannot raise a popup menu nor grab the keyboard for it
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing)")


@pytest.fixture
def shape_app(make_app, qtbot):
    return start_shape_app(make_app, qtbot)


def right_click(widget, pos: QPoint) -> None:
    """A right click at ``pos`` as the window system reports it: a context menu event."""
    event = QContextMenuEvent(QContextMenuEvent.Mouse, pos, widget.mapToGlobal(pos))
    QApplication.sendEvent(widget, event)


def open_view_menu(qtbot, view, shape_id: str) -> dict:
    """Right-click shape ``shape_id`` in the sample view; the menu's actions by name."""
    right_click(view.view.viewport(), shape_point(qtbot, view, shape_id))
    qtbot.waitUntil(
        lambda: view.shape_menu is not None and view.shape_menu.isVisible(), timeout=2000
    )
    return menu_actions(view.shape_menu)


def close_menu(menu) -> None:
    menu.hide()
    QApplication.processEvents()


def choose(menu, action) -> None:
    """Click ``action`` of the open ``menu``: the menu closes, then the action runs."""
    close_menu(menu)
    action.trigger()


def test_menu_on_a_point_adds_tasks_and_moves_the_goniometer_there(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    view, toolbox = bricks["sample_view"], bricks["queue_toolbox"]
    point = shapes.add_point(here(diffractometer, 0.08, 0.02))
    other = shapes.add_point(here(diffractometer, -0.08))
    actions = open_view_menu(qtbot, view, point.id)
    assert shapes.selected() == (point.id,)  # the shape right-clicked is the selection
    assert list(actions) == [
        "add_DataCollection",
        "add_Characterisation",
        "move_to",
        "rename",
        "delete",
    ]
    assert actions["add_DataCollection"].text() == "Data collection: a data collection on P1"
    choose(view.shape_menu, actions["add_DataCollection"])
    (sample,) = queue.model.children(0)
    assert queue.model.get_node(sample).parameters["location"] == MOUNTED
    (task,) = queue.model.children(sample)
    assert queue.model.get_node(task).parameters["centred_position"] == point.id
    assert toolbox.message.text().startswith(f"Added a data collection on P1 to {MOUNTED}")

    # move to: the goniometer's motors reach the point's centred position
    assert not at(diffractometer, point.position)
    actions = open_view_menu(qtbot, view, point.id)
    assert actions["move_to"].text() == "Move to P1"
    choose(view.shape_menu, actions["move_to"])
    qtbot.waitUntil(lambda: at(diffractometer, point.position), timeout=10_000)
    qtbot.waitUntil(lambda: view.message_label.text() == "At P1", timeout=2000)
    assert not at(diffractometer, other.position)


def test_menu_on_several_selected_shapes_adds_one_task_each(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    view = bricks["sample_view"]
    points = [shapes.add_point(here(diffractometer, d)) for d in (-0.06, 0.06)]
    line = shapes.add_line(here(diffractometer, -0.03, 0.03), here(diffractometer, 0.03, 0.03))
    click_shape(qtbot, view, points[0].id)
    click_shape(qtbot, view, points[1].id, Qt.ShiftModifier)
    click_shape(qtbot, view, line.id, Qt.ControlModifier)
    assert shapes.selected() == (points[0].id, points[1].id, line.id)
    actions = open_view_menu(qtbot, view, points[1].id)  # in the selection: it stays
    assert shapes.selected() == (points[0].id, points[1].id, line.id)
    assert "move_to" not in actions and "rename" not in actions  # one shape only
    assert actions["add_DataCollection"].text() == (
        "Data collection: 2 data collections, one per point P1 P2 and a helical collection on L1"
    )
    assert actions["delete"].text() == "Delete 3 shapes"
    choose(view.shape_menu, actions["add_DataCollection"])
    (sample,) = queue.model.children(0)
    tasks = [queue.model.get_node(i).parameters for i in queue.model.children(sample)]
    assert [t["centred_position"] for t in tasks] == ["P1", "P2", None]
    assert dict(tasks[2]["helical_start"]) == line.start.to_dict()


def test_rename_from_the_menu_shows_at_once_and_tasks_still_resolve(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    view, listing = bricks["sample_view"], bricks["shapes_list"]
    point = shapes.add_point(here(diffractometer, 0.05))
    shapes.add_point(here(diffractometer, -0.05))
    action = open_view_menu(qtbot, view, point.id)["add_DataCollection"]
    choose(view.shape_menu, action)
    (sample,) = queue.model.children(0)
    (task,) = queue.model.children(sample)

    action = open_view_menu(qtbot, view, point.id)["rename"]
    choose(view.shape_menu, action)
    dialog = view.rename_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert dialog.name_edit.text() == "P1"
    # another shape's name is refused, in the dialog, which stays open
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, "P2")
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert dialog.isVisible()
    assert dialog.problem.text() == "P2 is already named 'P2'; choose another name"
    assert shapes.get(point.id).name == "P1"
    dialog.name_edit.selectAll()
    qtbot.keyClicks(dialog.name_edit, "crystal tip")
    qtbot.mouseClick(dialog.ok_button, Qt.LeftButton)
    assert not dialog.isVisible()
    assert shapes.get(point.id).name == "crystal tip"
    assert view.message_label.text() == "P1 renamed crystal tip"
    # shown at once in the view and in the list
    item = view.shape_layer.items[point.id]
    qtbot.waitUntil(lambda: item.shape_value.name == "crystal tip", timeout=2000)
    qtbot.waitUntil(lambda: listing.table.index(0, 1).data() == "crystal tip", timeout=2000)
    # the task refers to the point by its id: it still resolves, to the renamed point
    node, owner = queue.model.get_node(task), queue.model.get_node(sample).parameters
    assert shapes.get(node.parameters["centred_position"]).name == "crystal tip"
    assert queue.factory.problems(node.type, node.parameters, owner) == []
    shapes.remove(point.id)  # the same check finds a reference that no longer resolves
    assert queue.factory.problems(node.type, node.parameters, owner) == [
        "DataCollection: centred_position: there is no shape P1 on the sample"
    ]


def test_delete_from_the_menu_removes_the_shape(shape_app, qtbot):
    _app, bricks, _queue, shapes, diffractometer = shape_app
    view, listing = bricks["sample_view"], bricks["shapes_list"]
    grid = shapes.add_grid(here(diffractometer), 3, 3, 0.02, 0.02)
    point = shapes.add_point(here(diffractometer, 0.1))
    qtbot.waitUntil(lambda: listing.table.rowCount() == 2, timeout=2000)
    actions = open_view_menu(qtbot, view, grid.id)
    assert list(actions) == ["add_MeshScan", "add_XrayCentring", "move_to", "rename", "delete"]
    assert actions["move_to"].text() == "Move to G1's centre"
    choose(view.shape_menu, actions["delete"])
    assert [s.id for s in shapes.shapes()] == [point.id]
    qtbot.waitUntil(lambda: grid.id not in view.shape_layer.items, timeout=2000)
    qtbot.waitUntil(lambda: listing.table.rowCount() == 1, timeout=2000)


def test_the_shapes_list_rows_have_the_same_menu(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    listing = bricks["shapes_list"]
    shapes.add_point(here(diffractometer, 0.05))
    grid = shapes.add_grid(here(diffractometer), 2, 3, 0.02, 0.02)
    qtbot.waitUntil(lambda: listing.table.rowCount() == 2, timeout=2000)
    rect = listing.view.visualRect(listing.table.index(1, 0))
    right_click(listing.view.viewport(), rect.center())
    qtbot.waitUntil(
        lambda: listing.shape_menu is not None and listing.shape_menu.isVisible(), timeout=2000
    )
    assert shapes.selected() == (grid.id,)
    actions = menu_actions(listing.shape_menu)
    assert list(actions) == ["add_MeshScan", "add_XrayCentring", "move_to", "rename", "delete"]
    choose(listing.shape_menu, actions["add_MeshScan"])
    (sample,) = queue.model.children(0)
    (task,) = queue.model.children(sample)
    node = queue.model.get_node(task)
    assert node.type == "MeshScan" and node.parameters["grid_id"] == grid.id
    assert node.parameters["num_images"] == 6


def test_without_a_toolbox_the_task_entries_say_why(make_app, qtbot):
    app = make_app(TEST_LAYOUTS / "sample_view.yml")
    view = app.built.bricks["sample_view"]
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    shapes = app.repository.get("/shapes")
    shapes.clear()
    qtbot.waitUntil(lambda: view.view.frame_item.shown > 0, timeout=5000)
    point = shapes.add_point(here(diffractometer))
    actions = open_view_menu(qtbot, view, point.id)
    assert not actions["add_DataCollection"].isEnabled()
    assert actions["add_DataCollection"].toolTip() == "no task toolbox is connected in this layout"
    assert actions["move_to"].isEnabled() and actions["delete"].isEnabled()
    close_menu(view.shape_menu)


def test_rename_from_the_list_menu_opens_the_name_in_place(shape_app, qtbot):
    _app, bricks, _queue, shapes, diffractometer = shape_app
    listing = bricks["shapes_list"]
    shapes.add_point(here(diffractometer, 0.05))
    line = shapes.add_line(here(diffractometer, -0.05), here(diffractometer, 0.0))
    qtbot.waitUntil(lambda: listing.table.rowCount() == 2, timeout=2000)
    right_click(
        listing.view.viewport(), listing.view.visualRect(listing.table.index(1, 0)).center()
    )
    qtbot.waitUntil(
        lambda: listing.shape_menu is not None and listing.shape_menu.isVisible(), timeout=2000
    )
    actions = menu_actions(listing.shape_menu)
    assert actions["move_to"].text() == "Move to L1's start"
    choose(listing.shape_menu, actions["rename"])
    qtbot.waitUntil(lambda: listing.view.state() == QAbstractItemView.EditingState, timeout=2000)
    (editor,) = listing.view.viewport().findChildren(QLineEdit)
    assert editor.text() == "L1"
    editor.selectAll()
    qtbot.keyClicks(editor, "helix")
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: shapes.get(line.id).name == "helix", timeout=2000)


def answer(qtbot, owner, button) -> str:
    """Click ``button`` of the deletion question ``owner`` opened; its text."""
    actions = owner.shape_actions
    qtbot.waitUntil(lambda: actions.question is not None and actions.question.isVisible())
    text = actions.question.text()
    qtbot.mouseClick(actions.question.button(button), Qt.LeftButton)
    return text


def test_deleting_a_point_a_queued_task_uses_asks_first_naming_the_task(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    view = bricks["sample_view"]
    point = shapes.add_point(here(diffractometer, 0.05))
    free = shapes.add_point(here(diffractometer, -0.05))
    actions = open_view_menu(qtbot, view, point.id)
    choose(view.shape_menu, actions["add_DataCollection"])
    (sample,) = queue.model.children(0)
    (task,) = queue.model.children(sample)
    task_name = queue.model.get_node(task).name

    # "No" keeps the point and says so
    actions = open_view_menu(qtbot, view, point.id)
    choose(view.shape_menu, actions["delete"])
    text = answer(qtbot, view, QMessageBox.No)
    assert text.startswith(f"P1 is used by 1 task in the queue: {task_name}")
    assert [s.id for s in shapes.shapes()] == [point.id, free.id]
    assert view.message_label.text() == "Kept P1"

    # "Yes" deletes it, and says the task is left without its shape
    actions = open_view_menu(qtbot, view, point.id)
    choose(view.shape_menu, actions["delete"])
    answer(qtbot, view, QMessageBox.Yes)
    assert [s.id for s in shapes.shapes()] == [free.id]
    assert view.message_label.text() == "Deleted P1; 1 queued task left without its shape"

    # a shape no task names goes at once
    actions = open_view_menu(qtbot, view, free.id)
    choose(view.shape_menu, actions["delete"])
    assert shapes.shapes() == [] and not view.shape_actions.question.isVisible()


def test_the_shapes_list_delete_asks_too_and_a_task_that_ran_does_not_count(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    listing, toolbox = bricks["shapes_list"], bricks["queue_toolbox"]
    grid = shapes.add_grid(here(diffractometer), 2, 2, 0.02, 0.02)
    qtbot.waitUntil(lambda: listing.table.rowCount() == 1, timeout=2000)
    (mesh,) = toolbox.add_shape_tasks("MeshScan", [grid.id])
    (centring,) = toolbox.add_shape_tasks("XrayCentring", [grid.id])
    names = [queue.model.get_node(i).name for i in (mesh, centring)]
    listing.select_shape(grid.id)
    qtbot.waitUntil(lambda: listing.selected_ids() == [grid.id], timeout=2000)
    qtbot.mouseClick(listing.delete_button, Qt.LeftButton)  # the Delete button
    text = answer(qtbot, listing, QMessageBox.No)
    assert text.startswith(f"G1 is used by 2 tasks in the queue: {names[0]}, {names[1]}")
    assert [s.id for s in shapes.shapes()] == [grid.id]

    for node_id in (mesh, centring):  # tasks that have run keep their record: no question
        queue.model.set_status(node_id, "success")
    qtbot.mouseClick(listing.delete_button, Qt.LeftButton)
    assert shapes.shapes() == [] and not listing.shape_actions.question.isVisible()
    qtbot.waitUntil(lambda: listing.table.rowCount() == 0, timeout=2000)
