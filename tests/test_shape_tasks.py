"""Tasks from what the user selected (issue 15, deliverable 2): points selected in the
sample view and "Data collection" make one collection per point; a line a helical
collection; a grid a mesh scan; the toolbox says what a click adds and where."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import Qt
from shape_task_helpers import MOUNTED, click_shape, drag_box, here, start_shape_app
from test_queue_bricks import click_node, shown
from test_queue_bricks_run import fast_beamline

from mxgui.core.centring import CentredPosition
from mxgui.core.shapes import Grid, Line, Point, ShapesModel
from mxgui.gui.shape_tasks import plan_for


@pytest.fixture
def shape_app(make_app, qtbot):
    return start_shape_app(make_app, qtbot)


def tasks_of(queue, sample: int) -> list:
    return [queue.model.get_node(i) for i in queue.model.children(sample)]


def queued_sample(queue, address: str) -> int:
    (found,) = [
        i
        for i in queue.model.children(0)
        if queue.model.get_node(i).parameters["location"] == address
    ]
    return found


def test_three_points_selected_in_the_view_make_three_data_collections(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    view, toolbox = bricks["sample_view"], bricks["queue_toolbox"]
    points = [shapes.add_point(here(diffractometer, d)) for d in (-0.06, 0.0, 0.06)]
    button = toolbox.buttons["DataCollection"]
    assert not button.isEnabled()  # nothing selected anywhere yet
    # click the first, ctrl-click the others, as a user selects several
    click_shape(qtbot, view, points[0].id)
    for point in points[1:]:
        click_shape(qtbot, view, point.id, Qt.ControlModifier)
    assert shapes.selected() == ("P1", "P2", "P3")
    # nothing selected in the queue: the tasks go to the mounted sample, and it says so
    qtbot.waitUntil(button.isEnabled, timeout=2000)
    words = toolbox.shapes_label.text()
    assert "3 data collections, one per point P1 P2 P3" in words
    assert f"the mounted sample {MOUNTED} (added to the queue)" in words
    assert "3 characterisations, one per point P1 P2 P3" in words
    assert button.toolTip() == (
        f"add 3 data collections, one per point P1 P2 P3 to the mounted sample {MOUNTED} "
        "(added to the queue)"
    )
    qtbot.mouseClick(button, Qt.LeftButton)
    sample = queued_sample(queue, MOUNTED)
    tasks = tasks_of(queue, sample)
    assert [t.type for t in tasks] == ["DataCollection"] * 3
    assert [t.parameters["centred_position"] for t in tasks] == ["P1", "P2", "P3"]
    for task, point in zip(tasks, points):  # each resolves to its point's position
        assert shapes.get(task.parameters["centred_position"]).position == point.position
        assert task.parameters["helical_start"] is None
    assert toolbox.message.text().startswith(
        f"Added 3 data collections, one per point P1 P2 P3 to {MOUNTED} "
    )
    # the mounted sample is queued now: a second click adds there, without a second sample
    qtbot.waitUntil(lambda: "(added to the queue)" not in toolbox.shapes_label.text(), timeout=2000)
    click_shape(qtbot, view, points[1].id, Qt.ControlModifier)  # ctrl-click: out again
    assert shapes.selected() == ("P1", "P3")
    qtbot.waitUntil(lambda: "2 characterisations" in toolbox.shapes_label.text(), timeout=2000)
    qtbot.mouseClick(toolbox.buttons["Characterisation"], Qt.LeftButton)
    assert len(queue.model.children(0)) == 1
    added = tasks_of(queue, sample)[3:]
    assert [(t.type, t.parameters["centred_position"]) for t in added] == [
        ("Characterisation", "P1"),
        ("Characterisation", "P3"),
    ]


def test_a_line_makes_one_helical_collection_on_the_sample_selected(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    view, toolbox, tree = bricks["sample_view"], bricks["queue_toolbox"], bricks["queue_tree"]
    first, other = queue.add_samples_from_changer([MOUNTED, "1:02"])
    line = shapes.add_line(here(diffractometer, -0.05), here(diffractometer, 0.05, 0.01))
    qtbot.waitUntil(lambda: len(shown(tree)) == 2, timeout=2000)
    click_node(qtbot, tree, first)
    qtbot.waitUntil(lambda: toolbox.targets() == [first], timeout=2000)
    click_shape(qtbot, view, line.id)
    qtbot.waitUntil(
        lambda: "a helical collection on L1" in toolbox.shapes_label.text(), timeout=2000
    )
    assert f"for sample {MOUNTED}" in toolbox.shapes_label.text()
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    (task,) = tasks_of(queue, first)
    assert task.type == "DataCollection"
    assert dict(task.parameters["helical_start"]) == line.start.to_dict()
    assert dict(task.parameters["helical_end"]) == line.end.to_dict()
    assert task.parameters["centred_position"] is None
    assert tasks_of(queue, other) == []
    assert "Note:" not in toolbox.shapes_label.text()
    # another sample selected: the toolbox warns that the shapes are the mounted one's
    click_node(qtbot, tree, other)
    qtbot.waitUntil(lambda: "Note: these shapes are on the mounted sample 1:01, not on 1:02"
                    in toolbox.shapes_label.text(), timeout=2000)  # fmt: skip


def test_grids_selected_in_the_shapes_list_make_a_mesh_scan_each(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    toolbox, listing = bricks["queue_toolbox"], bricks["shapes_list"]
    (sample,) = queue.add_samples_from_changer([MOUNTED])
    toolbox.set_selected_nodes([sample])
    small = shapes.add_grid(here(diffractometer), 3, 2, 0.02, 0.02)
    shapes.add_point(here(diffractometer, 0.05))
    large = shapes.add_grid(here(diffractometer, -0.1), 4, 4, 0.02, 0.02)
    qtbot.waitUntil(lambda: listing.table.rowCount() == 3, timeout=2000)
    for row, modifier in ((0, Qt.NoModifier), (2, Qt.ControlModifier)):
        rect = listing.view.visualRect(listing.table.index(row, 0))
        qtbot.mouseClick(listing.view.viewport(), Qt.LeftButton, modifier, rect.center())
    assert shapes.selected() == (small.id, large.id)
    button = toolbox.buttons["MeshScan"]
    qtbot.waitUntil(lambda: "2 mesh scans, one per grid G1 G2" in button.toolTip(), timeout=2000)
    # a data collection takes none of them: it goes where the sample is, as before
    assert "Data collection" not in toolbox.shapes_label.text()
    qtbot.mouseClick(button, Qt.LeftButton)
    tasks = tasks_of(queue, sample)
    assert [(t.type, t.parameters["grid_id"], t.parameters["num_images"]) for t in tasks] == [
        ("MeshScan", small.id, 6),
        ("MeshScan", large.id, 16),
    ]


def test_with_nothing_mounted_and_nothing_selected_the_toolbox_says_where_to_look(
    make_app, qtbot, tmp_path
):
    _app, bricks, queue, shapes, diffractometer = start_shape_app(
        make_app, qtbot, fast_beamline(tmp_path)
    )
    toolbox = bricks["queue_toolbox"]
    queue.sample_changer.unload().result(timeout=30)
    assert queue.sample_changer.get_loaded_sample() is None
    point = shapes.add_point(here(diffractometer))
    shapes.select([point.id])
    button = toolbox.buttons["DataCollection"]
    qtbot.waitUntil(lambda: "a data collection on P1" in toolbox.shapes_label.text(), timeout=2000)
    assert "for no sample" in toolbox.shapes_label.text()
    assert not button.isEnabled()
    assert button.toolTip() == "select the sample in the queue (no sample is mounted)"
    assert toolbox.add_shape_tasks("DataCollection", [point.id]) == []
    assert "select the sample in the queue" in toolbox.message.text()
    assert not queue.model.children(0)


def test_plans_take_the_shapes_that_fit_in_the_order_selected():
    model = ShapesModel()
    centre = CentredPosition(phi=0.0, phiy=0.1, phiz=0.0, sampx=0.0, sampy=0.0)
    p1 = model.add_point(centre)
    grid = model.add_grid(centre, 2, 2, 0.01, 0.01)
    line = model.add_line(centre, centre)
    p2 = model.add_point(centre, name="tip")
    assert isinstance(p1, Point) and isinstance(grid, Grid) and isinstance(line, Line)
    plan = plan_for("DataCollection", [p2, grid, line, p1])
    assert plan is not None
    assert [s.id for s in plan.shapes] == [p2.id, line.id, p1.id]
    assert plan.description == (
        "2 data collections, one per point tip P1 and a helical collection on L1"
    )
    assert plan_for("MeshScan", [p1, line]) is None
    assert plan_for("EnergyScan", [p1]) is None
    xray = plan_for("XrayCentring", [grid, line])
    assert xray is not None and xray.parameters == ({"shape_id": "G1"}, {"shape_id": "L1"})
    assert xray.description == "2 X-ray centrings, one per shape G1 L1"
    assert plan_for("XrayCentring", [line]).description == "an X-ray centring on L1"


def test_a_box_dragged_around_points_selects_them(shape_app, qtbot):
    _app, bricks, _queue, shapes, diffractometer = shape_app
    view, toolbox = bricks["sample_view"], bricks["queue_toolbox"]
    points = [shapes.add_point(here(diffractometer, d)) for d in (-0.04, 0.0, 0.04)]
    far = shapes.add_point(here(diffractometer, 0.0, 0.25))  # above or below: outside the box
    for shape in (*points, far):
        click_shape(qtbot, view, shape.id)  # placed and visible
    where = [view.shape_layer.items[p.id].image_position() for p in points]
    xs, ys = [x for x, _ in where], [y for _, y in where]
    margin = 30.0
    start = (min(xs) - margin, min(ys) - margin)
    end = (max(xs) + margin, max(ys) + margin)
    far_y = view.shape_layer.items[far.id].image_position()[1]
    assert not start[1] <= far_y <= end[1]
    drag_box(qtbot, view, start, end)
    assert set(shapes.selected()) == {p.id for p in points}
    assert view.message_label.text() == "Selected 3 shapes"
    qtbot.waitUntil(lambda: "3 data collections" in toolbox.shapes_label.text(), timeout=2000)
    # ctrl-drag adds: a box around the far point keeps the three
    x, y = view.shape_layer.items[far.id].image_position()
    drag_box(qtbot, view, (x - margin, y - margin), (x + margin, y + margin), Qt.ControlModifier)
    assert set(shapes.selected()) == {p.id for p in points} | {far.id}


def test_xray_centring_goes_on_each_selected_grid_and_line(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    view, toolbox = bricks["sample_view"], bricks["queue_toolbox"]
    assert toolbox.workflow_client() is not None  # the simulated beamline's
    grid = shapes.add_grid(here(diffractometer, 0.1), 3, 3, 0.02, 0.02)
    line = shapes.add_line(here(diffractometer, -0.1), here(diffractometer, -0.05))
    point = shapes.add_point(here(diffractometer))
    click_shape(qtbot, view, grid.id)
    click_shape(qtbot, view, line.id, Qt.ControlModifier)
    click_shape(qtbot, view, point.id, Qt.ControlModifier)
    button = toolbox.buttons["XrayCentring"]
    qtbot.waitUntil(
        lambda: "2 X-ray centrings, one per shape G1 L1" in button.toolTip(), timeout=2000
    )
    qtbot.mouseClick(button, Qt.LeftButton)
    sample = queued_sample(queue, MOUNTED)
    assert [(t.type, t.parameters["shape_id"]) for t in tasks_of(queue, sample)] == [
        ("XrayCentring", grid.id),
        ("XrayCentring", line.id),
    ]


def test_a_long_selection_is_named_in_short():
    model = ShapesModel()
    centre = CentredPosition(phi=0.0, phiy=0.1, phiz=0.0, sampx=0.0, sampy=0.0)
    points = [model.add_point(centre) for _ in range(500)]
    plan = plan_for("DataCollection", points)
    assert plan is not None and len(plan.parameters) == 500
    assert plan.description == (
        "500 data collections, one per point P1 P2 P3 P4 P5 P6 P7 P8 … (492 more)"
    )


def test_the_helical_collection_from_a_line_runs_from_its_start_to_its_end(
    make_app, qtbot, tmp_path
):
    app, bricks, queue, shapes, diffractometer = start_shape_app(
        make_app, qtbot, fast_beamline(tmp_path)
    )
    view, toolbox = bricks["sample_view"], bricks["queue_toolbox"]
    line = shapes.add_line(here(diffractometer, -0.05), here(diffractometer, 0.05))
    click_shape(qtbot, view, line.id)
    qtbot.waitUntil(
        lambda: "a helical collection on L1" in toolbox.shapes_label.text(), timeout=2000
    )
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    (task,) = queue.model.children(queued_sample(queue, MOUNTED))
    queue.model.update_parameters(
        task, {"num_images": 5, "exp_time": 0.001, "osc_range": 1.0, "take_snapshots": 0}
    )
    phiy = diffractometer.get_motor("phiy")
    seen: list[float] = []
    app.repository.get("/collect").connect(
        "collectImageTaken", lambda _n: seen.append(phiy.get_value())
    )
    done = queue.execute_entry(task)
    qtbot.waitUntil(done.done, timeout=60_000)
    assert done.result() == "success", queue.model.get_node(task).message
    # the sample moved along the line, image by image, from its start to its end
    assert seen == pytest.approx(
        [line.start.phiy + (line.end.phiy - line.start.phiy) * i / 4 for i in range(5)], abs=1e-6
    )


def test_the_collections_on_points_run_where_each_point_is(make_app, qtbot, tmp_path):
    app, bricks, queue, shapes, diffractometer = start_shape_app(
        make_app, qtbot, fast_beamline(tmp_path)
    )
    view, toolbox = bricks["sample_view"], bricks["queue_toolbox"]
    points = [shapes.add_point(here(diffractometer, d, -d / 2)) for d in (-0.04, 0.04)]
    click_shape(qtbot, view, points[0].id)
    click_shape(qtbot, view, points[1].id, Qt.ControlModifier)
    qtbot.waitUntil(lambda: "2 data collections" in toolbox.shapes_label.text(), timeout=2000)
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    tasks = queue.model.children(queued_sample(queue, MOUNTED))
    motors = {role: diffractometer.get_motor(role) for role in ("phiy", "sampx")}
    seen: list[dict[str, float]] = []
    app.repository.get("/collect").connect(
        "collectImageTaken", lambda _n: seen.append({r: m.get_value() for r, m in motors.items()})
    )
    for task, point in zip(tasks, points):
        queue.model.update_parameters(
            task, {"num_images": 2, "exp_time": 0.001, "osc_range": 1.0, "take_snapshots": 0}
        )
        seen.clear()
        done = queue.execute_entry(task)
        qtbot.waitUntil(done.done, timeout=60_000)
        assert done.result() == "success", queue.model.get_node(task).message
        assert len(seen) == 2
        for positions in seen:  # every image taken with the point on the beam
            assert positions["phiy"] == pytest.approx(point.position.phiy, abs=1e-6)
            assert positions["sampx"] == pytest.approx(point.position.sampx, abs=1e-6)


def test_with_a_grid_selected_each_line_names_its_button_and_data_collection_says_why_not(
    shape_app, qtbot
):
    _app, bricks, queue, shapes, diffractometer = shape_app
    toolbox = bricks["queue_toolbox"]
    grid = shapes.add_grid(here(diffractometer), 2, 2, 0.02, 0.02)
    shapes.select([grid.id])
    qtbot.waitUntil(lambda: "G1 selected" in toolbox.shapes_label.text(), timeout=2000)
    words = toolbox.shapes_label.text()
    assert "• Mesh scan: a mesh scan on G1" in words
    assert "• X-ray centring: an X-ray centring on G1" in words
    button = toolbox.buttons["DataCollection"]
    assert not button.isEnabled()
    assert button.toolTip() == (
        "a data collection goes on points or lines, not on G1 (or select samples in the queue)"
    )
    assert toolbox.buttons["EnergyScan"].toolTip() == "select samples in the queue first"


def test_shapes_asked_for_that_are_gone_are_named_apart(shape_app, qtbot):
    _app, bricks, queue, shapes, diffractometer = shape_app
    toolbox = bricks["queue_toolbox"]
    grid = shapes.add_grid(here(diffractometer), 2, 2, 0.02, 0.02)
    point = shapes.add_point(here(diffractometer, 0.05))
    assert toolbox.add_shape_tasks("MeshScan", [point.id, "P3"]) == []
    assert toolbox.message.text() == "Mesh scan: none fits P1; P3 no longer on the sample"
    # some fit: their tasks are added, and the one gone is not dropped in silence
    added = toolbox.add_shape_tasks("MeshScan", [grid.id, "G7"])
    assert len(added) == 1
    text = toolbox.message.text()
    assert text.startswith(f"Added a mesh scan on G1 to {MOUNTED} ")
    assert text.endswith("; G7 no longer on the sample")
