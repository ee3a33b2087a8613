"""A shift replayed as a user clicks it (issue 15's first Done-when line), on the
default layout and the real simulated beamline (quick shutters, phases and sample
changer): three samples from the sample changer; the mounted one centred by three
clicks on the crystal; points saved, selected in the sample view and turned into data
collections; a line into a helical collection; a characterisation run, its strategy
read and added, and the collection it added run; Run all, which does not centre the
mounted sample again; the status strip following the beamline; a delete undone."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import fabio
import pytest
from PyQt5.QtCore import Qt
from shape_task_helpers import click_shape
from test_parameter_form import POPUP, pick
from test_queue_bricks import add_samples_as_user, click_node, present_addresses, shown
from test_queue_bricks_run import fast_beamline
from test_sample_view import (
    TOLERANCE_MM,
    click_image,
    crystal_error_mm,
    crystal_on_image,
    wait_step,
)

from hardware_objects.abstract.shutter import OPEN
from mxgui.gui.queue.history_model import FILES, STATUS
from mxgui.gui.queue.strategy_view import SWEEP_COLUMNS
from mxgui.gui.queue.tree_model import STATUS as TREE_STATUS
from mxgui.gui.sample_view.centring_workflow import CentringStep
from mxgui.gui.sample_view.modes import Mode

from helpers import DEFAULT_LAYOUT, show_brick, speed_up, type_into

HC = 12.3984  # keV·Å
#: the points saved along the goniometer axis, mm from the crystal centre (apart on screen)
POINT_OFFSETS_MM = (0.0, -0.1, 0.1)
#: images per collection in the replay: enough to see a sweep, quick to write
IMAGES = 3


class ShutterWatch:
    """Where the centring motors were each time the fast shutter opened, and for which
    collection (``prefix_run``): the physics of "taken at its point"."""

    def __init__(self, collect, diffractometer) -> None:
        self.collect, self.diffractometer = collect, diffractometer
        self.opened: dict[str, dict[str, float]] = {}
        self._lock = threading.Lock()

    def __call__(self, value: object) -> None:  # the fast shutter's valueChanged
        if value != OPEN:
            return
        info = self.collect.get_collection_info()
        if info is None or info.get("state") != "running":
            return
        name = f"{info['prefix']}_{info['run_number']}"
        with self._lock:
            self.opened.setdefault(name, dict(self.diffractometer.get_positions()))


def centre_by_three_clicks(qtbot, view, diffractometer) -> str | None:
    """3-click centring in the sample view as a user does it (the mode button unless
    the queue started it), then Accept: returns the point saved (``None`` when the
    centring answered the queue, which goes on)."""
    for_queue = view.queue_centring.pending
    if not for_queue:
        qtbot.mouseClick(view.toolbar.mode_buttons[Mode.CENTRING], Qt.LeftButton)
    assert view.mode is Mode.CENTRING
    wait_step(qtbot, view, CentringStep.WAITING_CLICK)
    for number in range(1, 4):
        click_image(qtbot, view, *crystal_on_image(diffractometer))
        assert len(view.click_marks.points) == number
        wait_step(qtbot, view, CentringStep.WAITING_CLICK, CentringStep.CENTRED)
    assert view.workflow.step is CentringStep.CENTRED
    assert crystal_error_mm(diffractometer) < TOLERANCE_MM  # the crystal is on the beam
    if for_queue:
        qtbot.mouseClick(view.toolbar.accept_button, Qt.LeftButton)
        qtbot.waitUntil(lambda: not view.queue_centring.pending, timeout=5000)
        return None
    with qtbot.waitSignal(view.centringAccepted, timeout=5000) as accepted:
        qtbot.mouseClick(view.toolbar.accept_button, Qt.LeftButton)
    return accepted.args[0]


def select_in_tree(qtbot, tree, nodes: list[int]) -> None:
    """Click the first node, ctrl-click the others."""
    click_node(qtbot, tree, nodes[0])
    for node in nodes[1:]:
        click_node(qtbot, tree, node, Qt.ControlModifier)
    qtbot.waitUntil(lambda: tree.selected_ids() == nodes, timeout=2000)


def edit_in_form(qtbot, tree, params, node: int, values: dict[str, str]) -> None:
    """Select ``node`` in the tree and type ``values`` into its form."""
    click_node(qtbot, tree, node)
    qtbot.waitUntil(lambda: params.node_id == node and params.form is not None, timeout=2000)
    for name, text in values.items():
        type_into(qtbot, params.form.editors[name], text)


def start_angle_and_increment(path: str) -> tuple[float, float]:
    """The ``Start_angle`` and ``Angle_increment`` of a Pilatus CBF, read by fabio."""
    header = str(fabio.open(path).header["_array_data.header_contents"])
    start = re.search(r"Start_angle\s+([-0-9.]+)", header)
    increment = re.search(r"Angle_increment\s+([-0-9.]+)", header)
    assert start is not None and increment is not None, header
    return float(start.group(1)), float(increment.group(1))


def images_of(node) -> list[str]:
    return [f for f in node.files if f.endswith(".cbf")]


def confirm_run(qtbot, control) -> None:
    """Click Run in the run control's confirmation, once it is shown."""
    qtbot.waitUntil(lambda: control.confirm_dialog is not None, timeout=5000)
    dialog = control.confirm_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert dialog.run_button.isEnabled()
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)


@pytest.fixture
def shift(make_app, qtbot, tmp_path):
    """The default layout on the quick simulated beamline, first camera frame shown."""
    app = make_app(DEFAULT_LAYOUT, fast_beamline(tmp_path))
    failed = {name: b.failure for name, b in app.built.bricks.items() if b.failure}
    assert not failed and not app.built.errors, (failed, app.built.errors)
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    view = app.built.bricks["sample_view"]
    qtbot.waitUntil(lambda: view.view.frame_item.shown > 0, timeout=5000)
    return app, tmp_path / "data"


@POPUP  # the offscreen platform's words about the combo boxes' popups
def test_a_shift_from_three_samples_to_data_as_a_user_clicks_it(shift, qtbot):
    app, data = shift
    bricks, repository = app.built.bricks, app.repository
    view, tree, toolbox = bricks["sample_view"], bricks["queue_tree"], bricks["queue_toolbox"]
    params, control, history = (
        bricks["queue_parameters"],
        bricks["queue_control"],
        bricks["queue_history"],
    )
    strip = bricks["beamline_status"]
    queue, shapes = repository.get("/queue"), repository.get("/shapes")
    diffractometer, changer = repository.get("/diffractometer"), repository.get("/sample_changer")
    collect = repository.get("/collect")
    assert len(shapes) == 0 and not queue.model.children(0)
    show_brick(tree)

    # -- three samples from the sample changer; the first is the one mounted -------------------
    addresses = present_addresses(queue, 3)
    samples = add_samples_as_user(qtbot, queue, tree, addresses)
    assert [queue.model.get_node(s).parameters["location"] for s in samples] == addresses
    assert changer.get_loaded_sample().address == addresses[0]
    mounted = changer.get_sample(addresses[0]).describe()
    sample_item = strip.items["sample_changer"]
    qtbot.waitUntil(lambda: sample_item.full_text() == f"Sample: {mounted}", timeout=5000)

    # the other two get a data collection each, from the toolbox
    select_in_tree(qtbot, tree, samples[1:])
    qtbot.waitUntil(lambda: toolbox.targets() == samples[1:], timeout=2000)
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    qtbot.waitUntil(lambda: all(len(shown(tree, s)) == 1 for s in samples[1:]), timeout=3000)
    others = [shown(tree, s)[0] for s in samples[1:]]

    # -- the mounted sample centred by three clicks on the crystal; points saved along it ------
    centred_before = []

    def centring_started(*_args: object) -> None:
        centred_before.append(1)

    diffractometer.connect("centringStarted", centring_started)
    first_point = centre_by_three_clicks(qtbot, view, diffractometer)
    assert first_point is not None
    assert centred_before == [1]
    centre = diffractometer.get_positions()
    point_ids = [first_point]
    for offset in POINT_OFFSETS_MM[1:]:
        # the user steps the goniometer along the crystal and saves the point on the beam
        target = centre["phiy"] + offset
        diffractometer.move_motors({"phiy": target}, timeout=10)
        # the view shows the new position before the user clicks
        qtbot.waitUntil(lambda t=target: abs(view.positions["phiy"] - t) < 1e-6, timeout=3000)
        count = len(shapes)
        qtbot.mouseClick(view.toolbar.button(view.toolbar.save_point_action), Qt.LeftButton)
        qtbot.waitUntil(lambda n=count: len(shapes) == n + 1, timeout=3000)
        point_ids.append(shapes.shapes()[-1].id)
    positions = {pid: shapes.get(pid).position.motor_positions() for pid in point_ids}
    assert [positions[p]["phiy"] - centre["phiy"] for p in point_ids] == pytest.approx(
        list(POINT_OFFSETS_MM), abs=1e-4
    )

    # three points selected in the view (click, ctrl-click) and "Data collection"
    click_node(qtbot, tree, samples[0])
    qtbot.waitUntil(lambda: toolbox.targets() == [samples[0]], timeout=2000)
    click_shape(qtbot, view, point_ids[0])
    for point in point_ids[1:]:
        click_shape(qtbot, view, point, Qt.ControlModifier)
    assert list(shapes.selected()) == point_ids
    words = f"3 data collections, one per point {' '.join(point_ids)}"
    qtbot.waitUntil(lambda: words in toolbox.shapes_label.text(), timeout=2000)
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    qtbot.waitUntil(lambda: len(shown(tree, samples[0])) == 3, timeout=3000)
    point_tasks = shown(tree, samples[0])
    assert [queue.model.get_node(t).parameters["centred_position"] for t in point_tasks] == (
        point_ids
    )

    # a line drawn along the crystal (two clicks) and "Data collection": a helical one
    qtbot.mouseClick(view.toolbar.mode_buttons[Mode.DRAW_LINE], Qt.LeftButton)
    # along the crystal, through the first point, its ends between the points (the first
    # point stays a click away: the characterisation below is made on it)
    (x1, y1), (x2, y2), (x3, y3) = (view.shape_layer.items[p].image_position() for p in point_ids)
    count = len(shapes)
    for fraction in (0.25, 0.75):
        click_image(qtbot, view, x2 + fraction * (x3 - x2), y2 + fraction * (y3 - y2))
    qtbot.waitUntil(lambda: len(shapes) == count + 1, timeout=3000)
    line = shapes.shapes()[-1]
    qtbot.keyClick(view, Qt.Key_Escape)  # the drawing ends
    qtbot.waitUntil(lambda: view.mode is Mode.IDLE, timeout=2000)
    # the line clicked between its start and the first point (on the point: the point)
    qtbot.waitUntil(lambda: line.id in view.shape_layer.items, timeout=2000)
    start = diffractometer.centred_position_to_image(line.start)
    on_line = [a + 0.1 * (b - a) for a, b in zip(start, (x1, y1))]
    click_image(qtbot, view, *on_line)
    assert list(shapes.selected()) == [line.id]
    qtbot.waitUntil(
        lambda: f"a helical collection on {line.id}" in toolbox.shapes_label.text(), timeout=2000
    )
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    qtbot.waitUntil(lambda: len(shown(tree, samples[0])) == 4, timeout=3000)
    helical = shown(tree, samples[0])[3]
    helical_params = queue.model.get_node(helical).parameters
    assert dict(helical_params["helical_start"]) == line.start.to_dict()
    assert dict(helical_params["helical_end"]) == line.end.to_dict()

    # each collection made short in its form, as a user types it
    for task in [*others, *point_tasks, helical]:
        edit_in_form(qtbot, tree, params, task, {"num_images": str(IMAGES)})
        assert queue.model.get_node(task).parameters["num_images"] == IMAGES

    # -- a characterisation on the first point: run, strategy read, added, run -----------------
    click_node(qtbot, tree, samples[0])
    qtbot.waitUntil(lambda: toolbox.targets() == [samples[0]], timeout=2000)
    click_shape(qtbot, view, point_ids[0])
    qtbot.waitUntil(
        lambda: f"a characterisation on {point_ids[0]}" in toolbox.shapes_label.text(),
        timeout=2000,
    )
    qtbot.mouseClick(toolbox.buttons["Characterisation"], Qt.LeftButton)
    qtbot.waitUntil(lambda: len(shown(tree, samples[0])) == 5, timeout=3000)
    char = shown(tree, samples[0])[4]
    assert queue.model.get_node(char).parameters["centred_position"] == point_ids[0]
    click_node(qtbot, tree, char)
    qtbot.waitUntil(lambda: params.node_id == char and params.form is not None, timeout=2000)
    qtbot.mouseClick(params.form.more_button, Qt.LeftButton)
    pick(qtbot, params.form.editors["detector_roi_mode"], "4M")  # room for the spots
    type_into(qtbot, params.form.editors["exp_time"], "0.01")
    strategy_view = params.strategy
    assert strategy_view is not None and strategy_view.isVisible()
    assert not strategy_view.add_button.isEnabled()  # not run yet
    tree.run_action.trigger()  # "Run this"
    confirm_run(qtbot, control)
    qtbot.waitUntil(lambda: queue.model.get_node(char).status == "success", timeout=60_000)
    qtbot.waitUntil(lambda: strategy_view.sweeps.rowCount() == 1, timeout=5000)
    strategy = queue.model.get_node(char).results["strategy"]
    table = strategy_view.sweeps
    keys = [key for key, _title, _form in SWEEP_COLUMNS]
    assert [table.index(0, c).data(Qt.UserRole) for c in range(table.columnCount())] == [
        strategy[key] for key in keys
    ]
    assert table.index(0, keys.index("num_images")).data() == str(strategy["num_images"])
    assert strategy_view.add_button.isEnabled()
    with qtbot.waitSignal(strategy_view.collectionAdded, timeout=10_000) as added:
        qtbot.mouseClick(strategy_view.add_button, Qt.LeftButton)
    (proposed,) = added.args
    assert shown(tree, samples[0])[5] == proposed  # right after the characterisation
    qtbot.waitUntil(lambda: tree.selected_ids() == [proposed], timeout=2000)
    qtbot.waitUntil(lambda: params.node_id == proposed and params.form is not None, timeout=2000)
    for key in ("osc_start", "osc_range", "num_images", "exp_time", "transmission"):
        assert queue.model.get_node(proposed).parameters[key] == strategy[key], key
    # quick on the simulated detector: its small region, a near distance, 1 ms images
    pick(qtbot, params.form.editors["detector_roi_mode"], "test")
    type_into(qtbot, params.form.editors["detector_distance"], "120")
    type_into(qtbot, params.form.editors["exp_time"], "0.001")
    tree.run_action.trigger()
    confirm_run(qtbot, control)
    qtbot.waitUntil(lambda: queue.model.get_node(proposed).status == "success", timeout=60_000)
    done = queue.model.get_node(proposed)
    images = images_of(done)
    n, osc, start = strategy["num_images"], strategy["osc_range"], strategy["osc_start"]
    assert len(images) == n and all(Path(f).is_file() for f in images)
    for index in (0, n - 1):
        first_angle, increment = start_angle_and_increment(images[index])
        assert increment == pytest.approx(osc, abs=1e-4)
        assert first_angle == pytest.approx(start + index * osc, abs=1e-3)

    # the detector back in its usual mode (the Beamline tab's detector brick): the tasks
    # made earlier take "the mode it is in", and the small test region limits resolution
    detector_brick = bricks["detector"]
    show_brick(detector_brick)
    pick(qtbot, detector_brick.roi_box, "1M")
    detector = repository.get("/detector")
    qtbot.waitUntil(lambda: detector.get_roi_mode() == "1M", timeout=10_000)

    # -- Run all, confirmed; the mounted, centred sample is not centred again --------------------
    asked: list[str | None] = []
    engine = queue.engine

    def requested(_node: int, location: str | None) -> None:
        asked.append(location)

    engine.connect("centringRequested", requested)
    watch = ShutterWatch(collect, diffractometer)
    fast_shutter = repository.get("/fast_shutter")
    fast_shutter.connect("valueChanged", watch)
    starts_before = len(centred_before)
    show_brick(control)
    qtbot.mouseClick(control.run_all_button, Qt.LeftButton)
    dialog = control.confirm_dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible(), timeout=5000)
    assert dialog.summary["tasks"] == 6  # 3 points, the helical, one per other sample
    # the confirmation says the first sample's centring is kept, the others get 3 clicks
    names = [f"{a} {queue.model.get_node(s).name}" for a, s in zip(addresses, samples)]
    assert dialog.centring_label.text().splitlines() == [
        f"{names[0]}: centring kept (centred on this mount)",
        f"{names[1]}: centring 3 clicks",
        f"{names[2]}: centring 3 clicks",
    ]
    qtbot.mouseClick(dialog.run_button, Qt.LeftButton)
    run_tasks = [*point_tasks, helical, *others]

    def finished() -> bool:
        return all(queue.model.get_node(t).status == "success" for t in run_tasks)

    centred_for_queue = []
    while not finished():
        # a sample the queue mounted: it asks for a centring in the sample view
        qtbot.waitUntil(lambda: view.queue_centring.pending or finished(), timeout=60_000)
        if view.queue_centring.pending:
            centred_for_queue.append(view.queue_centring.location)
            centre_by_three_clicks(qtbot, view, diffractometer)
    engine.disconnect("centringRequested", requested)
    fast_shutter.disconnect("valueChanged", watch)
    diffractometer.disconnect("centringStarted", centring_started)
    qtbot.waitUntil(lambda: not control.is_running(), timeout=10_000)
    # the first sample, mounted and centred by the user, was not centred again: the queue
    # asked for the other two only, mounted in turn, and the diffractometer centred twice
    assert asked == centred_for_queue == addresses[1:]
    assert len(centred_before) - starts_before == 2
    assert changer.get_loaded_sample().address == addresses[2]

    # what a user checks: statuses in the tree, files on disk, the history
    for task in run_tasks:
        qtbot.waitUntil(lambda t=task: tree.tree.index_of(t, TREE_STATUS).data() == "success")
        node = queue.model.get_node(task)
        p = node.parameters
        expected = [
            str(Path(p["directory"]) / f"{p['prefix']}_{p['run_number']}_{i:05d}.cbf")
            for i in range(1, IMAGES + 1)
        ]
        assert images_of(node) == expected and all(Path(f).is_file() for f in expected)
        assert Path(p["directory"]).is_relative_to(data)
    for sample in samples:  # a sample's status sums up its tasks'
        qtbot.waitUntil(lambda s=sample: tree.tree.index_of(s, TREE_STATUS).data() == "success")
    # each point's collection was taken with its point on the beam
    for task, point in zip(point_tasks, point_ids, strict=True):
        p = queue.model.get_node(task).parameters
        where = watch.opened[f"{p['prefix']}_{p['run_number']}"]
        for motor, value in positions[point].items():
            assert where[motor] == pytest.approx(value, abs=1e-3), (point, motor)
    p = queue.model.get_node(helical).parameters
    where = watch.opened[f"{p['prefix']}_{p['run_number']}"]
    for motor, value in line.start.motor_positions().items():  # a helical starts at its start
        assert where[motor] == pytest.approx(value, abs=1e-3), ("helical", motor)
    show_brick(history)
    table = history.table
    everything = [*run_tasks, char, proposed]

    def rows() -> dict[int, int]:
        return {table.entry(r).node_id: r for r in range(table.rowCount())}

    qtbot.waitUntil(lambda: set(everything) <= set(rows()), timeout=5000)
    for task in everything:
        row = rows()[task]
        assert table.index(row, STATUS).data() == "success"
        assert table.index(row, FILES).data().startswith(f"{len(table.entry(row).files)} files")

    # -- the status strip: the sample mounted now, and an energy change --------------------------
    mounted = changer.get_sample(addresses[2]).describe()
    qtbot.waitUntil(lambda: sample_item.full_text() == f"Sample: {mounted}", timeout=5000)
    energy_brick = bricks["energy"]
    show_brick(energy_brick)
    target = 13.5 if abs(repository.get("/energy").get_value() - 13.5) > 0.2 else 12.0
    type_into(qtbot, energy_brick.energy_input, f"{target}")
    energy_item = strip.items["energy"]
    expected = f"{target:.3f} keV · {HC / target:.5f} Å"
    qtbot.waitUntil(lambda: energy_item.full_text() == expected, timeout=30_000)

    # -- a task deleted in the tree and brought back by Ctrl+Z ------------------------------------
    show_brick(tree)
    victim = point_tasks[1]
    before = queue.model.get_node(victim)
    order = shown(tree, samples[0])
    click_node(qtbot, tree, victim)
    qtbot.waitUntil(lambda: tree.selected_ids() == [victim], timeout=2000)
    window = tree.window()
    window.activateWindow()  # as the user's click in it does (the last popup had the keys)
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    tree.view.setFocus()
    qtbot.keyClick(tree.view, Qt.Key_Delete)
    qtbot.waitUntil(lambda: victim not in shown(tree, samples[0]), timeout=2000)
    qtbot.keyClick(tree.view, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: len(shown(tree, samples[0])) == len(order), timeout=2000)
    back = queue.model.get_node(shown(tree, samples[0])[order.index(victim)])
    assert back.type == before.type and back.parameters == before.parameters
    assert (back.status, back.files) == (before.status, before.files)
