"""The shapes list: rows follow the shapes model; select, move to, rename, delete, join."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QAbstractItemView, QApplication, QLineEdit

from mxgui.core.centring import CentredPosition
from mxgui.gui.shapes_table import DETAILS, ID, KIND, NAME, OMEGA

from helpers import TEST_LAYOUTS, speed_up

LAYOUT = TEST_LAYOUTS / "shapes_list.yml"
#: positions inside every motor's limits, away from where the motors start (all 0)
HERE = CentredPosition(phi=30.0, phiy=0.25, phiz=0.05, sampx=-0.1, sampy=0.15)
THERE = CentredPosition(phi=30.0, phiy=0.55, phiz=0.05, sampx=-0.1, sampy=0.15)


@pytest.fixture
def setup(make_app, qtbot):
    """The brick, the shapes object and the diffractometer (fast motors)."""
    app = make_app(LAYOUT)
    brick = app.built.bricks["shapes_list"]
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    return app, brick, app.repository.get("/shapes"), diffractometer


def text(brick, row: int, column: int) -> str:
    """What the table shows in a cell."""
    return brick.table.index(row, column).data()


def rows(brick) -> list[str]:
    return [text(brick, row, ID) for row in range(brick.table.rowCount())]


def cell_pos(brick, row: int, column: int = ID):
    return brick.view.visualRect(brick.table.index(row, column)).center()


def click_row(qtbot, brick, row: int, modifier=Qt.NoModifier) -> None:
    qtbot.mouseClick(brick.view.viewport(), Qt.LeftButton, modifier, cell_pos(brick, row))


def open_name_editor(qtbot, brick, row: int) -> QLineEdit:
    """Double-click the name of ``row``, as a user does; the editor that opens."""
    pos = cell_pos(brick, row, NAME)
    qtbot.mouseClick(brick.view.viewport(), Qt.LeftButton, pos=pos)
    qtbot.mouseDClick(brick.view.viewport(), Qt.LeftButton, pos=pos)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=1000)
    return QApplication.focusWidget()


def type_name(qtbot, brick, editor: QLineEdit, name: str) -> None:
    """Replace the editor's text, press Enter; wait until the editor has closed (the
    delegate commits on a queued call)."""
    editor.selectAll()
    qtbot.keyClicks(editor, name)
    qtbot.keyClick(editor, Qt.Key_Return)
    qtbot.waitUntil(lambda: brick.view.state() != QAbstractItemView.EditingState, timeout=1000)


def at(diffractometer, position: CentredPosition) -> bool:
    now = diffractometer.get_positions()
    wanted = position.motor_positions()
    return all(abs(now[role] - value) < 1e-3 for role, value in wanted.items())


def test_shapes_show_as_rows_with_what_they_are(setup, qtbot):
    _app, brick, shapes, _diffractometer = setup
    assert rows(brick) == [] and brick.count_label.text() == "0 shapes"
    first = shapes.add_point(HERE)
    shapes.add_point(THERE, name="tip")
    shapes.add_line_between(first.id, "P2")
    shapes.add_grid(HERE, 40, 25, 0.02, 0.01, spacing_x_mm=0.005)
    qtbot.waitUntil(lambda: brick.table.rowCount() == 4, timeout=2000)
    assert rows(brick) == ["P1", "P2", "L1", "G1"]
    assert [text(brick, r, NAME) for r in range(4)] == ["P1", "tip", "L1", "G1"]
    assert [text(brick, r, KIND) for r in range(4)] == ["point", "point", "line", "grid"]
    assert text(brick, 0, DETAILS) == "phiy 0.250, phiz 0.050, sampx -0.100, sampy 0.150"
    assert text(brick, 2, DETAILS) == "length 300 µm"
    grid_text = "40 × 25 = 1,000 cells of 20 × 10 µm, spacing 5 × 0 µm"
    assert text(brick, 3, DETAILS) == grid_text
    assert text(brick, 0, OMEGA) == "30.00°"
    tooltip = brick.table.index(3, DETAILS).data(Qt.ToolTipRole)
    assert "995 × 250 µm, zigzag scan" in tooltip and "centre: phi 30.000, phiy 0.250" in tooltip
    qtbot.waitUntil(lambda: brick.count_label.text() == "4 shapes", timeout=1000)


def test_click_a_row_and_move_to_it(setup, qtbot):
    app, brick, shapes, diffractometer = setup
    shapes.add_point(HERE)
    line = shapes.add_line(THERE, HERE)
    grid = shapes.add_grid(HERE, 3, 3, 0.05, 0.05)
    qtbot.waitUntil(lambda: brick.table.rowCount() == 3, timeout=2000)
    assert not brick.move_button.isEnabled()
    assert brick.move_button.toolTip() == "select one shape to move to"

    with qtbot.waitSignal(brick.shapeSelected) as selected:
        click_row(qtbot, brick, 0)
    assert selected.args == ["P1"] and shapes.selected() == ("P1",)
    assert brick.move_button.isEnabled()
    qtbot.mouseClick(brick.move_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: at(diffractometer, HERE), timeout=5000)
    qtbot.waitUntil(lambda: brick.message.text() == "At P1 (P1)", timeout=2000)
    motor_brick = app.built.bricks["phiy"]  # the user sees the motor there too
    qtbot.waitUntil(lambda: abs(motor_brick.position.value() - HERE.phiy) < 1e-3, timeout=2000)

    # a line: its start; a grid: its centre
    click_row(qtbot, brick, 1)
    qtbot.mouseClick(brick.move_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: at(diffractometer, line.start), timeout=5000)
    click_row(qtbot, brick, 0)
    qtbot.mouseClick(brick.move_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: at(diffractometer, HERE), timeout=5000)
    click_row(qtbot, brick, 2)
    qtbot.mouseClick(brick.move_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.message.text() == "At G1 (G1)", timeout=5000)
    assert at(diffractometer, grid.centre)

    # two rows selected: nowhere to go
    click_row(qtbot, brick, 0, Qt.ControlModifier)
    assert brick.selected_ids() == ["P1", "G1"]
    assert not brick.move_button.isEnabled()


def test_a_refused_move_shows_the_reason(setup, qtbot):
    _app, brick, shapes, diffractometer = setup
    far = CentredPosition(phi=0.0, phiy=7.0, phiz=0.0, sampx=0.0, sampy=0.0)
    shapes.add_point(far)
    qtbot.waitUntil(lambda: brick.table.rowCount() == 1, timeout=2000)
    click_row(qtbot, brick, 0)
    qtbot.mouseClick(brick.move_button, Qt.LeftButton)
    assert brick.message.text().startswith("cannot move to P1: ")
    assert "limit" in brick.message.text()
    assert diffractometer.get_positions()["phiy"] == 0.0


def test_rename_by_double_click_and_a_refused_name_says_why(setup, qtbot):
    _app, brick, shapes, _diffractometer = setup
    shapes.add_point(HERE)
    shapes.add_point(THERE)
    qtbot.waitUntil(lambda: brick.table.rowCount() == 2, timeout=2000)
    editor = open_name_editor(qtbot, brick, 1)
    assert editor.text() == "P2"
    type_name(qtbot, brick, editor, "crystal tip")
    assert shapes.get("P2").name == "crystal tip"
    assert text(brick, 1, NAME) == "crystal tip"

    editor = open_name_editor(qtbot, brick, 1)
    type_name(qtbot, brick, editor, "   ")
    assert shapes.get("P2").name == "crystal tip"
    assert text(brick, 1, NAME) == "crystal tip"
    assert brick.message.text() == "P2 not renamed: a shape name cannot be empty"

    # the Rename button opens the same editor
    click_row(qtbot, brick, 0)
    qtbot.mouseClick(brick.rename_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit), timeout=1000)
    type_name(qtbot, brick, QApplication.focusWidget(), "base")
    assert shapes.get("P1").name == "base"


def test_delete_two_selected_rows(setup, qtbot):
    _app, brick, shapes, _diffractometer = setup
    for _ in range(3):
        shapes.add_point(HERE)
    shapes.add_grid(HERE, 10, 10, 0.01, 0.01)
    qtbot.waitUntil(lambda: brick.table.rowCount() == 4, timeout=2000)
    click_row(qtbot, brick, 1)
    click_row(qtbot, brick, 3, Qt.ControlModifier)
    assert shapes.selected() == ("P2", "G1")
    assert brick.count_label.text() == "4 shapes, 2 selected"
    qtbot.mouseClick(brick.delete_button, Qt.LeftButton)
    assert [s.id for s in shapes] == ["P1", "P3"] and shapes.selected() == ()
    qtbot.waitUntil(lambda: rows(brick) == ["P1", "P3"], timeout=2000)
    assert brick.selected_ids() == [] and not brick.delete_button.isEnabled()
    qtbot.waitUntil(lambda: brick.count_label.text() == "2 shapes", timeout=1000)

    # a shape removed elsewhere (the sample view) leaves the list too
    shapes.remove("P1")
    qtbot.waitUntil(lambda: rows(brick) == ["P3"], timeout=2000)
    # and the Delete key deletes the selection
    click_row(qtbot, brick, 0)
    qtbot.keyClick(brick.view, Qt.Key_Delete)
    assert len(shapes) == 0
    qtbot.waitUntil(lambda: rows(brick) == [], timeout=2000)


def test_selection_in_the_model_shows_in_the_view_and_joins_two_points(setup, qtbot):
    _app, brick, shapes, _diffractometer = setup
    shapes.add_point(HERE)
    shapes.add_grid(HERE, 2, 2, 0.01, 0.01)
    shapes.add_point(THERE)
    qtbot.waitUntil(lambda: brick.table.rowCount() == 3, timeout=2000)
    assert not brick.line_button.isEnabled()

    shapes.select(["P1", "P2"])  # as the sample view does
    qtbot.waitUntil(lambda: brick.selected_ids() == ["P1", "P2"], timeout=2000)
    assert brick.line_button.isEnabled()
    assert brick.line_button.toolTip() == "a line from P1 to P2"
    with qtbot.waitSignal(brick.shapeSelected) as selected:
        qtbot.mouseClick(brick.line_button, Qt.LeftButton)
    assert selected.args == ["L1"]
    line = shapes.get("L1")
    assert line.start == HERE and line.end == THERE
    qtbot.waitUntil(lambda: brick.selected_ids() == ["L1"], timeout=2000)
    assert text(brick, 3, DETAILS) == "length 300 µm"

    # a point and a grid are not two points
    shapes.select(["P1", "G1"])
    qtbot.waitUntil(lambda: brick.selected_ids() == ["P1", "G1"], timeout=2000)
    assert not brick.line_button.isEnabled()
    assert brick.line_button.toolTip() == "select exactly two points"

    # the select_shape slot, and an unknown id refused with the reason
    brick.select_shape("P2")
    qtbot.waitUntil(lambda: brick.selected_ids() == ["P2"], timeout=2000)
    brick.select_shape("P99")
    assert "no shape 'P99'" in brick.message.text()
    assert brick.selected_ids() == ["P2"]


def test_points_at_different_omegas_make_no_line_and_the_list_says_why(setup, qtbot):
    _app, brick, shapes, _diffractometer = setup
    shapes.add_point(HERE)
    shapes.add_point(CentredPosition(phi=120.0, phiy=0.1, phiz=0.0, sampx=0.0, sampy=0.0))
    qtbot.waitUntil(lambda: brick.table.rowCount() == 2, timeout=2000)
    click_row(qtbot, brick, 0)
    click_row(qtbot, brick, 1, Qt.ShiftModifier)
    qtbot.mouseClick(brick.line_button, Qt.LeftButton)
    assert brick.message.text() == (
        "no line from P1 to P2: a line's ends must be at the same omega; got 30 and 120 deg"
    )
    assert len(shapes) == 2


def test_loading_another_sample_clears_the_list(setup, qtbot):
    app, brick, shapes, _diffractometer = setup
    changer = app.repository.get("/sample_changer")
    changer.speed_factor = 0.001
    shapes.add_point(HERE)
    shapes.add_grid(HERE, 5, 5, 0.01, 0.01)
    qtbot.waitUntil(lambda: brick.table.rowCount() == 2, timeout=2000)
    click_row(qtbot, brick, 1)
    changer.load("2:03")
    qtbot.waitUntil(lambda: brick.table.rowCount() == 0, timeout=10000)
    assert len(shapes) == 0 and brick.selected_ids() == []
    qtbot.waitUntil(lambda: brick.count_label.text() == "0 shapes", timeout=1000)
    assert not brick.delete_button.isEnabled() and not brick.move_button.isEnabled()
    # ids are not reused: a new point on the new sample is P2
    shapes.add_point(HERE)
    qtbot.waitUntil(lambda: rows(brick) == ["P2"], timeout=2000)


def test_thousands_of_shapes_update_row_by_row(setup, qtbot):
    _app, brick, shapes, _diffractometer = setup
    for i in range(5000):
        shapes.add_point(CentredPosition(phi=0.0, phiy=i * 1e-4, phiz=0.0, sampx=0.0, sampy=0.0))
    qtbot.waitUntil(lambda: brick.table.rowCount() == 5000, timeout=10000)
    assert text(brick, 4999, ID) == "P5000"

    resets, inserts = [], []
    brick.table.modelReset.connect(lambda: resets.append(True))
    brick.table.rowsInserted.connect(lambda _parent, first, last: inserts.append((first, last)))
    shapes.add_grid(HERE, 1000, 1000, 0.001, 0.001)
    qtbot.waitUntil(lambda: brick.table.rowCount() == 5001, timeout=2000)
    assert inserts == [(5000, 5000)] and resets == []
    assert text(brick, 5000, DETAILS).startswith("1000 × 1000 = 1,000,000 cells")

    # selecting from the model selects the rows; a deletion removes rows, not the table
    removed = []
    brick.table.rowsRemoved.connect(lambda _parent, first, last: removed.append((first, last)))
    shapes.select(["P2", "P3", "P4999"])
    qtbot.waitUntil(lambda: brick.selected_ids() == ["P2", "P3", "P4999"], timeout=2000)
    qtbot.mouseClick(brick.delete_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: brick.table.rowCount() == 4998, timeout=2000)
    assert sorted(removed) == [(1, 1), (1, 1), (4996, 4996)] and resets == []
    assert rows(brick)[:3] == ["P1", "P4", "P5"] and rows(brick)[-2:] == ["P5000", "G1"]


def test_table_model_is_consistent_and_its_events_idempotent(qtmodeltester):
    """The Qt model alone: Qt's model tester, and events that repeat a snapshot."""
    from mxgui.core.shapes import ShapesModel
    from mxgui.gui.shapes_table import ShapesTableModel

    source = ShapesModel()
    point = source.add_point(HERE)
    grid = source.add_grid(HERE, 3, 2, 0.01, 0.01)
    table = ShapesTableModel()
    table.set_source(source)  # the snapshot holds both shapes
    table.add(point)  # a late event for a shape already shown changes nothing
    assert table.rowCount() == 2 and table.row_of(grid.id) == 1
    qtmodeltester.check(table, force_py=True)
    table.remove(source.remove(point.id))
    table.remove(point)  # twice: no error, nothing else goes
    assert [table.shape(r).id for r in range(table.rowCount())] == [grid.id]
    assert table.row_of(grid.id) == 0 and table.row_of(point.id) is None
    assert not table.setData(table.index(0, 1), "  ")  # refused: the name stays
    assert table.index(0, 1).data() == grid.id
    assert table.setData(table.index(0, 1), "mesh") and source.get(grid.id).name == "mesh"
    qtmodeltester.check(table, force_py=True)
