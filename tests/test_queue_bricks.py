"""The queue bricks, as a user drives them: samples from the sample changer, tasks from
the toolbox, parameters edited (and refused), enable boxes, reorder, multi-select
delete; a tree of 10,000 tasks grows by one row insert."""

from __future__ import annotations

from dataclasses import replace

import pytest
from PyQt5.QtCore import QModelIndex, Qt
from PyQt5.QtWidgets import QApplication

from mxgui.core.queue.nodes import ROOT_ID, QueueNode, freeze
from mxgui.gui.queue.tree_model import DETAILS, NAME, STATUS

from helpers import TEST_LAYOUTS, type_into

LAYOUT = TEST_LAYOUTS / "queue.yml"


@pytest.fixture
def queue_app(make_app):
    """The queue layout on the simulated beamline: (app, queue, bricks by short name)."""
    app = make_app(LAYOUT)
    assert not app.built.errors, app.built.errors
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    return app, app.repository.get("/queue"), bricks


def present_addresses(queue, count: int) -> list[str]:
    """The first ``count`` sample-changer addresses that hold a named sample."""
    samples = [s for puck in queue.sample_changer.get_contents() for s in puck.samples]
    return [s.address for s in samples if s.name and s.present is not False][:count]


def row_rect(tree, node_id: int, column: int = STATUS):
    brick = tree
    return brick.view.visualRect(brick.tree.index_of(node_id, column))


def click_node(qtbot, tree, node_id: int, modifier=Qt.NoModifier, column: int = STATUS) -> None:
    """Click a node's row (on its status, away from the enable box), as a user does."""
    tree.view.scrollTo(tree.tree.index_of(node_id))
    pos = row_rect(tree, node_id, column).center()
    qtbot.mouseClick(tree.view.viewport(), Qt.LeftButton, modifier, pos)


def shown(tree, parent: int = ROOT_ID) -> list[int]:
    """The node ids the tree view shows under ``parent``, read through the Qt model."""
    model = tree.tree
    parent_index = model.index_of(parent)
    return [
        model.index(r, 0, parent_index).data(Qt.UserRole)
        for r in range(model.rowCount(parent_index))
    ]


def add_samples_as_user(qtbot, queue, tree, addresses: list[str]) -> list[int]:
    """Add samples through "Add samples > From the sample changer…"."""
    tree.changer_action.trigger()
    dialog = tree.samples_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    dialog.tick(addresses)
    qtbot.mouseClick(dialog.add_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(shown(tree)) >= len(addresses), timeout=2000)
    return [i for i in shown(tree) if queue.model.get_node(i).parameters["location"] in addresses]


def test_tasks_for_three_samples_through_the_toolbox(queue_app, qtbot):
    app, queue, bricks = queue_app
    tree, toolbox = bricks["tree"], bricks["toolbox"]
    assert not toolbox.buttons["DataCollection"].isEnabled()
    assert toolbox.buttons["DataCollection"].toolTip() == "select samples in the queue first"
    assert toolbox.buttons["MeshScan"].toolTip() == "draw a grid in the sample view first"
    addresses = present_addresses(queue, 3)
    samples = add_samples_as_user(qtbot, queue, tree, addresses)
    assert [queue.model.get_node(s).parameters["location"] for s in samples] == addresses
    # the new samples are selected: the toolbox works on them
    qtbot.waitUntil(lambda: toolbox.targets() == samples, timeout=2000)
    assert toolbox.target_label.text().startswith("For 3 samples: " + addresses[0])
    # select them again by hand: click, then ctrl-click
    click_node(qtbot, tree, samples[0])
    for sample in samples[1:]:
        click_node(qtbot, tree, sample, Qt.ControlModifier)
    qtbot.waitUntil(lambda: toolbox.targets() == samples, timeout=2000)
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    qtbot.waitUntil(lambda: all(len(shown(tree, s)) == 1 for s in samples), timeout=3000)
    assert toolbox.message.text().startswith("Added 3 × Data collection")
    for sample in samples:
        node = queue.model.get_node(sample)
        task = queue.model.get_node(shown(tree, sample)[0])
        index = tree.tree.index_of(task.id)
        assert task.type == "DataCollection" and not task.has_run
        # the beamline's defaults: the collect's XML and the session's directories
        assert task.parameters["num_images"] == 1800 and task.parameters["exp_time"] == 0.01
        assert node.parameters["name"] in task.parameters["directory"]
        assert index.data() == f"{task.parameters['prefix']}_{task.parameters['run_number']}"
        assert tree.tree.index_of(task.id, STATUS).data() == "not run"
        assert tree.tree.index_of(task.id, DETAILS).data().startswith("1800 x 0.1 deg from")
    qtbot.waitUntil(lambda: tree.count_label.text() == "3 samples, 3 tasks", timeout=1000)
    # a second collection of the same sample gets the next run number, not the same
    click_node(qtbot, tree, samples[0])
    qtbot.waitUntil(lambda: toolbox.targets() == [samples[0]], timeout=1000)
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    qtbot.waitUntil(lambda: len(shown(tree, samples[0])) == 2, timeout=2000)
    runs = [queue.model.get_node(t).parameters["run_number"] for t in shown(tree, samples[0])]
    assert runs == [runs[0], runs[0] + 1]


def test_a_manually_mounted_sample_is_added_and_renamed_in_place(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree = bricks["tree"]
    tree.manual_action.trigger()
    qtbot.waitUntil(lambda: len(shown(tree)) == 1, timeout=2000)
    sample = shown(tree)[0]
    assert queue.model.get_node(sample).parameters["location"] is None
    assert tree.tree.index_of(sample, DETAILS).data() == "mounted by hand"
    assert tree.tree.setData(tree.tree.index_of(sample, NAME), "crystal in loop", Qt.EditRole)
    qtbot.waitUntil(lambda: tree.tree.index_of(sample).data() == "crystal in loop", timeout=2000)
    assert queue.model.get_node(sample).name == "crystal in loop"


@pytest.fixture
def one_task(queue_app, qtbot):
    """One sample with one data collection, the task selected in the tree."""
    app, queue, bricks = queue_app
    sample = queue.add_samples_from_changer(present_addresses(queue, 1))[0]
    task = queue.add_task(sample, "DataCollection")
    tree = bricks["tree"]
    qtbot.waitUntil(lambda: tree.tree.shown(task), timeout=2000)
    click_node(qtbot, tree, task)
    params = bricks["parameters"]
    qtbot.waitUntil(lambda: params.form is not None and params.node_id == task, timeout=2000)
    return queue, bricks, task


def test_a_parameter_is_edited_and_a_bad_value_refused_with_the_reason(one_task, qtbot):
    queue, bricks, task = one_task
    params = bricks["parameters"]
    form = params.form
    assert form.editors["num_images"].text() == "1800"
    assert not form.editors["num_images"].isReadOnly()
    type_into(qtbot, form.editors["num_images"], "100")
    assert queue.model.get_node(task).parameters["num_images"] == 100
    assert params.message.text() == "num_images set to 100"
    qtbot.waitUntil(
        lambda: bricks["tree"].tree.index_of(task, DETAILS).data().startswith("100 x"),
        timeout=2000,
    )
    # out of the transmission's range: refused by the queue's validator, with the limit
    type_into(qtbot, form.editors["transmission"], "150")
    reason = "transmission: 150 % is above the transmission's maximum 100 %"
    assert reason in params.message.text() and "not changed" in params.message.text()
    assert form.editors["transmission"].styleSheet() != ""
    assert reason in form.editors["transmission"].toolTip()
    assert queue.model.get_node(task).parameters["transmission"] == 100.0
    # below the detector's shortest exposure (the live limit, named)
    type_into(qtbot, form.editors["exp_time"], "0.0001")
    assert "exp_time: 0.0001 s is below the detector's minimum" in params.message.text()
    assert queue.model.get_node(task).parameters["exp_time"] == 0.01
    # not a number: a number field does not take the letters; nothing is asked
    type_into(qtbot, form.editors["osc_range"], "wide")
    assert form.editors["osc_range"].value() == 0.1
    assert queue.model.get_node(task).parameters["osc_range"] == 0.1
    # a good value clears the mark
    type_into(qtbot, form.editors["transmission"], "50")
    assert queue.model.get_node(task).parameters["transmission"] == 50.0
    assert form.editors["transmission"].styleSheet() == ""


def test_parameters_are_read_only_once_the_task_has_run(one_task, qtbot):
    queue, bricks, task = one_task
    params = bricks["parameters"]
    queue.model.set_status(task, "running")
    queue.model.set_status(task, "success", "", ["/data/x_1_00001.cbf"])
    qtbot.waitUntil(lambda: params.form.editors["num_images"].isReadOnly(), timeout=2000)
    assert "read-only" in params.state_label.text()
    assert params.state_label.text().startswith("success")
    tree = bricks["tree"]
    qtbot.waitUntil(lambda: tree.tree.index_of(task, STATUS).data() == "success", timeout=2000)
    assert tree.tree.index_of(task, STATUS).data(Qt.ForegroundRole).name() == "#2e7d32"


def test_the_enable_box_disables_a_node_and_greys_what_is_below(one_task, qtbot):
    queue, bricks, task = one_task
    tree = bricks["tree"]
    sample = queue.model.sample_of(task)
    rect = row_rect(tree, sample, NAME)
    box = rect.topLeft() + (rect.bottomLeft() - rect.topLeft()) / 2
    box.setX(box.x() + 10)  # the check box is at the left of the name
    qtbot.mouseClick(tree.view.viewport(), Qt.LeftButton, pos=box)
    qtbot.waitUntil(lambda: not queue.model.get_node(sample).enabled, timeout=2000)
    qtbot.waitUntil(lambda: tree.tree.index_of(sample).data(Qt.CheckStateRole) == Qt.Unchecked)
    assert tree.tree.index_of(task).data(Qt.ForegroundRole).name() == "#9e9e9e"
    assert queue.model.get_node(task).enabled  # the task itself is unchanged


def test_multi_select_delete(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree = bricks["tree"]
    sample = queue.add_samples_from_changer(present_addresses(queue, 1))[0]
    tasks = [queue.add_task(sample, "DataCollection") for _ in range(4)]
    qtbot.waitUntil(lambda: shown(tree, sample) == tasks, timeout=2000)
    click_node(qtbot, tree, tasks[0])
    click_node(qtbot, tree, tasks[2], Qt.ControlModifier)
    click_node(qtbot, tree, tasks[3], Qt.ControlModifier)
    qtbot.waitUntil(lambda: tree.selected_ids() == [tasks[0], tasks[2], tasks[3]], timeout=1000)
    tree.view.setFocus()
    qtbot.keyClick(tree.view, Qt.Key_Delete)
    qtbot.waitUntil(lambda: shown(tree, sample) == [tasks[1]], timeout=2000)
    assert queue.model.children(sample) == (tasks[1],)
    assert tree.message.text() == "Deleted 3 nodes"
    # a running node is not deleted: the reason is shown, nothing goes
    queue.model.set_status(tasks[1], "running")
    click_node(qtbot, tree, sample)
    qtbot.keyClick(tree.view, Qt.Key_Delete)
    assert "it is running; stop the queue first" in tree.message.text()
    assert queue.model.children(ROOT_ID) == (sample,)


def test_reorder_by_dragging_and_by_moving_up(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree = bricks["tree"]
    samples = queue.add_samples_from_changer(present_addresses(queue, 3))
    task = queue.add_task(samples[0], "DataCollection")
    qtbot.waitUntil(lambda: shown(tree) == samples and tree.tree.shown(task), timeout=2000)
    # drop the last sample before the first (what a drag of its row does)
    model = tree.tree
    data = model.mimeData([model.index_of(samples[2])])
    assert model.canDropMimeData(data, Qt.MoveAction, 0, 0, QModelIndex())
    model.dropMimeData(data, Qt.MoveAction, 0, 0, QModelIndex())
    order = [samples[2], samples[0], samples[1]]
    qtbot.waitUntil(lambda: shown(tree) == order, timeout=2000)
    assert queue.model.children(ROOT_ID) == tuple(order)
    # a task may be dropped on another sample, not on the queue root
    task_data = model.mimeData([model.index_of(task)])
    assert not model.canDropMimeData(task_data, Qt.MoveAction, 0, 0, QModelIndex())
    target = model.index_of(samples[1])
    assert model.canDropMimeData(task_data, Qt.MoveAction, -1, 0, target)
    model.dropMimeData(task_data, Qt.MoveAction, -1, 0, target)
    qtbot.waitUntil(lambda: shown(tree, samples[1]) == [task], timeout=2000)
    with qtbot.waitSignal(model.editRefused) as refused:
        model.move_nodes([samples[0]], samples[1])
    assert "a Sample goes under the queue root (0)" in refused.args[0]
    # Ctrl+Up moves the selected sample up
    click_node(qtbot, tree, samples[1])
    qtbot.keyClick(tree.view, Qt.Key_Up, Qt.ControlModifier)
    order = [samples[2], samples[1], samples[0]]
    qtbot.waitUntil(lambda: shown(tree) == order, timeout=2000)
    assert tree.selected_ids() == [samples[1]]


def test_a_tree_of_10000_tasks_grows_by_one_row_insert(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree, toolbox = bricks["tree"], bricks["toolbox"]
    sample = queue.add_samples_from_changer(present_addresses(queue, 1))[0]
    template = queue.model.get_node(queue.add_task(sample, "DataCollection"))
    # 100 samples x 100 tasks, loaded at once (as a restore does)
    nodes, next_id, _ = queue.model.snapshot()
    nodes = dict(nodes)
    samples = []
    for s in range(100):
        sample_id = next_id
        next_id += 1
        tasks = tuple(range(next_id, next_id + 100))
        next_id += 100
        params = {"location": None, "name": f"s{s}", "centring": "none"}
        nodes[sample_id] = QueueNode(sample_id, "Sample", f"s{s}", freeze(params), children=tasks)
        for t in tasks:
            parameters = freeze({**template.parameters, "run_number": t})
            nodes[t] = replace(template, id=t, parent=sample_id, parameters=parameters)
        samples.append(sample_id)
    nodes[ROOT_ID] = replace(nodes[ROOT_ID], children=nodes[ROOT_ID].children + tuple(samples))
    queue.model.load(nodes.values(), next_id)
    qtbot.waitUntil(lambda: tree.tree.rowCount() == 101, timeout=5000)
    assert tree.tree.rowCount(tree.tree.index_of(samples[-1])) == 100
    inserted, resets = [], []
    tree.tree.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    tree.tree.modelReset.connect(lambda: resets.append(True))
    click_node(qtbot, tree, samples[-1])
    qtbot.waitUntil(lambda: toolbox.targets() == [samples[-1]], timeout=2000)
    batches = tree.tree._follower.batches
    qtbot.mouseClick(toolbox.buttons["DataCollection"], Qt.LeftButton)
    qtbot.waitUntil(
        lambda: tree.tree.rowCount(tree.tree.index_of(samples[-1])) == 101, timeout=2000
    )
    assert inserted == [(100, 100)] and resets == []
    assert tree.tree._follower.batches == batches + 1
    new = shown(tree, samples[-1])[-1]
    assert queue.model.get_node(new).parameters["prefix"].endswith("s99")
    QApplication.processEvents()
    assert tree.count_label.text() == "101 samples, 10,002 tasks"


def test_the_context_menu_actions(one_task, qtbot):
    queue, bricks, task = one_task
    tree = bricks["tree"]
    sample = queue.model.sample_of(task)
    assert tree.duplicate_action.isEnabled() and not tree.reset_action.isEnabled()
    tree.duplicate_action.trigger()
    qtbot.waitUntil(lambda: len(shown(tree, sample)) == 2, timeout=2000)
    copy = shown(tree, sample)[1]
    original = queue.model.get_node(task).parameters
    duplicated = queue.model.get_node(copy).parameters
    assert duplicated["run_number"] == original["run_number"] + 1
    assert {**duplicated, "run_number": 0} == {**original, "run_number": 0}
    assert tree.selected_ids() == [copy] and tree.message.text() == "Duplicated 1 task"
    tree.disable_action.trigger()
    qtbot.waitUntil(lambda: not queue.model.get_node(copy).enabled, timeout=2000)
    qtbot.waitUntil(tree.enable_action.isEnabled, timeout=1000)
    assert not tree.disable_action.isEnabled()
    tree.enable_action.trigger()
    qtbot.waitUntil(lambda: queue.model.get_node(copy).enabled, timeout=2000)
    queue.model.set_status(copy, "running")
    queue.model.set_status(copy, "failed", "detector not armed")
    qtbot.waitUntil(lambda: tree.tree.index_of(copy, STATUS).data() == "failed", timeout=2000)
    assert "detector not armed" in tree.tree.index_of(copy).data(Qt.ToolTipRole)
    qtbot.waitUntil(tree.reset_action.isEnabled, timeout=1000)
    tree.reset_action.trigger()
    qtbot.waitUntil(lambda: tree.tree.index_of(copy, STATUS).data() == "not run", timeout=2000)
    with qtbot.waitSignal(tree.runRequested) as run:
        tree.run_action.trigger()
    assert run.args == [copy]
