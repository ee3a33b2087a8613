"""The queue tree a user scans in a second: an icon per node type, what each task did,
a parent's tally of its tasks, a user's stop shown as stopped, delete (and move) with
undo and redo, the main actions shown at 1280 px."""

from __future__ import annotations

import itertools

import pytest
from PyQt5.QtCore import QModelIndex, Qt
from PyQt5.QtWidgets import QApplication, QTabWidget
from test_queue_bricks import LAYOUT, click_node, present_addresses, shown
from test_queue_bricks_run import fast_beamline

from mxgui.core.queue.nodes import NODE_TYPES, ROOT_ID, SAMPLE, TASK_GROUP, QueueNode
from mxgui.core.queue.nodes import freeze as frozen
from mxgui.gui.queue.tree_model import DETAILS, NAME, STATUS

from helpers import DEFAULT_LAYOUT


@pytest.fixture
def queue_app(make_app):
    """The queue layout on the simulated beamline: (app, queue, bricks by short name)."""
    app = make_app(LAYOUT)
    assert not app.built.errors, app.built.errors
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    return app, app.repository.get("/queue"), bricks


def details(tree, node_id: int) -> str:
    return tree.tree.index_of(node_id, DETAILS).data()


def test_each_node_type_has_its_own_icon(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree = bricks["tree"]
    # one node of every type, loaded as a restore does (no beamline needed for them)
    sample = QueueNode(1, SAMPLE, "s", frozen({"location": None}), children=(2,))
    group_children = tuple(range(3, 3 + len(NODE_TYPES) - 2))
    nodes = [
        QueueNode(ROOT_ID, "Root", "queue", frozen({}), parent=None, children=(1,)),
        sample,
        QueueNode(2, TASK_GROUP, "g", frozen({}), parent=1, children=group_children),
    ]
    tasks = [t for t in NODE_TYPES if t not in (SAMPLE, TASK_GROUP)]
    nodes += [QueueNode(i, t, t, frozen({}), parent=2) for i, t in zip(group_children, tasks)]
    queue.model.load(nodes, 100)
    qtbot.waitUntil(lambda: tree.tree.shown(group_children[-1]), timeout=2000)
    images = {}
    for node in nodes[1:]:
        icon = tree.tree.index_of(node.id, NAME).data(Qt.DecorationRole)
        assert not icon.isNull(), node.type
        images[node.type] = icon.pixmap(16, 16).toImage()
        assert not images[node.type].isNull()
    assert set(images) == set(NODE_TYPES)
    for a, b in itertools.combinations(images, 2):
        assert images[a] != images[b], f"{a} and {b} look the same"
    # the status keeps its own icon in its own column
    status_icon = tree.tree.index_of(2, STATUS).data(Qt.DecorationRole)
    assert status_icon.pixmap(16, 16).toImage() != images[TASK_GROUP]


def test_a_parent_sums_up_its_tasks_as_they_run_fail_move_and_go(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree, model = bricks["tree"], queue.model
    samples = queue.add_samples_from_changer(present_addresses(queue, 2))
    tasks = [queue.add_task(samples[0], "DataCollection") for _ in range(3)]
    qtbot.waitUntil(lambda: shown(tree, samples[0]) == tasks, timeout=2000)
    where = model.get_node(samples[0]).parameters["location"]
    assert details(tree, samples[0]).startswith(f"3 tasks · {where}")
    assert "task" not in details(tree, samples[1])  # no tasks: nothing to sum up
    model.set_status(tasks[0], "running")
    qtbot.waitUntil(lambda: details(tree, samples[0]).startswith("0 of 3 done, 1 running · "))
    model.set_status(
        tasks[0], "success", "3 images of run 1 in /d", [f"/d/x_{n}.cbf" for n in "123"]
    )
    model.set_status(tasks[1], "running")
    model.set_status(tasks[1], "failed", "detector not armed")
    qtbot.waitUntil(
        lambda: details(tree, samples[0]).startswith("1 of 3 done, 1 failed · "), timeout=2000
    )
    assert details(tree, tasks[0]) == "3 images written"
    assert details(tree, tasks[1]) == "detector not armed"  # no image: the reason alone
    assert details(tree, tasks[2]).startswith("1800 x 0.1 deg")  # not run: what it will do
    assert tree.tree.tally(ROOT_ID) == {"success": 1, "failed": 1, "not_executed": 1}
    # the failed task moved to the other sample: both parents follow
    tree.tree.move_nodes([tasks[1]], samples[1])
    qtbot.waitUntil(lambda: details(tree, samples[1]).startswith("0 of 1 done, 1 failed · "))
    assert details(tree, samples[0]).startswith("1 of 2 done · ")
    # a task deleted: its parent's tally drops it
    model.remove([tasks[0]])
    qtbot.waitUntil(lambda: details(tree, samples[0]).startswith("1 task · "), timeout=2000)
    # a group counts the tasks below it; the sample counts those in its groups too
    group = model.add(samples[0], TASK_GROUP)
    model.move(tasks[2], group)
    qtbot.waitUntil(lambda: details(tree, group) == "1 task", timeout=2000)
    assert details(tree, samples[0]).startswith("1 task · ")


def test_a_parents_status_sums_up_its_tasks_run_without_it(queue_app, qtbot):
    """Run selected or a single task runs tasks without their sample: the sample's and
    group's Status then says what the engine's rule makes of them, not "not run"."""
    _app, queue, bricks = queue_app
    tree, model = bricks["tree"], queue.model
    sample = queue.add_samples_from_changer(present_addresses(queue, 1))[0]
    group = model.add(sample, TASK_GROUP)
    char = queue.add_task(group, "Characterisation", {})
    collection = queue.add_task(group, "DataCollection", {})

    def status(node_id: int) -> str:
        return tree.tree.index_of(node_id, STATUS).data()

    qtbot.waitUntil(lambda: tree.tree.shown(collection), timeout=2000)
    assert status(sample) == status(group) == "not run"
    model.set_status(char, "running")
    qtbot.waitUntil(lambda: status(sample) == "running", timeout=2000)
    assert status(group) == "running"
    model.set_status(char, "success")
    qtbot.waitUntil(lambda: status(sample) == "success", timeout=2000)
    assert details(tree, sample).startswith("1 of 2 done · ")
    model.set_status(collection, "running")
    model.set_status(collection, "failed", "detector not armed")
    qtbot.waitUntil(lambda: status(sample) == "failed", timeout=2000)
    assert status(group) == "failed"
    failed = tree.tree.index_of(collection, STATUS)
    assert tree.tree.index_of(sample, STATUS).data(Qt.ForegroundRole) == failed.data(
        Qt.ForegroundRole
    )
    assert "status: failed" in tree.tree.index_of(sample, NAME).data(Qt.ToolTipRole)
    # the sample's own status, once the engine set it, is what it shows
    model.set_status(sample, "warning", "1 failed")
    qtbot.waitUntil(lambda: status(sample) == "warning", timeout=2000)
    model.reset_status([sample])
    qtbot.waitUntil(lambda: status(sample) == "not run", timeout=2000)
    assert status(group) == "not run"


def test_a_user_stop_is_shown_as_stopped_not_failed(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree, model = bricks["tree"], queue.model
    sample = queue.add_samples_from_changer(present_addresses(queue, 1))[0]
    task = queue.add_task(sample, "DataCollection", {"num_images": 100})
    files = [f"/d/x_1_{n:05d}.cbf" for n in range(1, 41)] + ["/d/x_1_snapshot_1.png"]
    model.set_status(task, "running")
    model.set_status(task, "stopped", "stopped by user", files)
    qtbot.waitUntil(lambda: tree.tree.index_of(task, STATUS).data() == "stopped", timeout=2000)
    assert details(tree, task) == "stopped after 40 of 100 images"
    colour = tree.tree.index_of(task, STATUS).data(Qt.ForegroundRole).name()
    assert colour not in ("#c62828", "#757575")  # neither failed's red nor not run's grey
    assert details(tree, sample).startswith("0 of 1 done, 1 stopped · ")


def test_a_collection_run_on_the_simulated_beamline_says_how_many_images_it_wrote(
    make_app, tmp_path, qtbot
):
    app = make_app(LAYOUT, fast_beamline(tmp_path))
    queue = app.repository.get("/queue")
    tree = app.built.bricks["queue_tree"]
    sample = queue.add_samples_from_changer(present_addresses(queue, 1))[0]
    queue.model.update_parameters(sample, {"centring": "none"})
    task = queue.add_task(sample, "DataCollection", {"num_images": 5})
    qtbot.waitUntil(lambda: tree.tree.shown(task), timeout=2000)
    queue.engine.run(sample)
    qtbot.waitUntil(lambda: queue.model.get_node(task).has_run, timeout=60_000)
    qtbot.waitUntil(lambda: not queue.engine.is_running(), timeout=30_000)
    node = queue.model.get_node(task)
    assert node.status == "success", node.message
    assert len([f for f in node.files if f.endswith(".cbf")]) == 5
    qtbot.waitUntil(lambda: details(tree, task) == "5 images written", timeout=2000)
    assert details(tree, sample).startswith("1 of 1 done · ")


def test_delete_with_undo_and_redo(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree, model = bricks["tree"], queue.model
    sample = queue.add_samples_from_changer(present_addresses(queue, 1))[0]
    first = queue.add_task(sample, "DataCollection", {"num_images": 7})
    group = model.add(sample, TASK_GROUP, name="wedges")
    inner = [queue.add_task(group, "DataCollection", {"num_images": n}) for n in (11, 12)]
    model.set_enabled(inner[1], False)
    model.set_status(inner[0], "running")
    model.set_status(inner[0], "success", "11 images", ["/d/a_1_00001.cbf"])
    last = queue.add_task(sample, "DataCollection", {"num_images": 9})
    qtbot.waitUntil(lambda: shown(tree, sample) == [first, group, last], timeout=2000)
    before = {n: model.get_node(n) for n in inner}
    assert not tree.undo_action.isEnabled()
    # the group deleted with what is below it, by the Delete key
    click_node(qtbot, tree, group)
    qtbot.waitUntil(lambda: tree.selected_ids() == [group], timeout=1000)
    tree.view.setFocus()
    qtbot.keyClick(tree.view, Qt.Key_Delete)
    qtbot.waitUntil(lambda: shown(tree, sample) == [first, last], timeout=2000)
    assert group not in model and tree.undo_action.isEnabled()
    assert details(tree, sample).startswith("2 tasks · ")
    # Ctrl+Z: back at its place, with its name, its tasks and their parameters
    qtbot.keyClick(tree.view, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: len(shown(tree, sample)) == 3, timeout=2000)
    children = shown(tree, sample)
    assert children[0] == first and children[2] == last
    restored = model.get_node(children[1])
    assert restored.type == TASK_GROUP and restored.name == "wedges"
    assert restored.id != group  # ids are never reused: the group has a new one
    back = [model.get_node(c) for c in restored.children]
    assert [n.parameters for n in back] == [before[n].parameters for n in inner]
    assert [n.enabled for n in back] == [True, False]
    assert (back[0].status, back[0].files) == ("success", ("/d/a_1_00001.cbf",))
    assert back[1].status == "not_executed"
    assert tree.selected_ids() == [restored.id]
    assert details(tree, sample).startswith("1 of 4 done · ")
    # Ctrl+Shift+Z: deleted again; undone again, still at its place
    assert tree.redo_action.isEnabled()
    qtbot.keyClick(tree.view, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    qtbot.waitUntil(lambda: shown(tree, sample) == [first, last], timeout=2000)
    tree.undo_action.trigger()  # the Undo button's action
    qtbot.waitUntil(lambda: len(shown(tree, sample)) == 3, timeout=2000)
    assert model.get_node(shown(tree, sample)[1]).name == "wedges"


def test_undo_follows_nodes_put_back_and_says_when_it_cannot(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree, model, edits = bricks["tree"], queue.model, bricks["tree"].tree.edits
    samples = queue.add_samples_from_changer(present_addresses(queue, 2))
    tasks = [queue.add_task(samples[0], "DataCollection", {"num_images": n}) for n in (3, 4)]
    qtbot.waitUntil(lambda: shown(tree, samples[0]) == tasks, timeout=2000)
    # a task deleted, then its sample: two undos bring back both, the task in the
    # sample as it now is (with its new id)
    edits.delete([tasks[1]])
    edits.delete([samples[0]])
    qtbot.waitUntil(lambda: shown(tree) == [samples[1]], timeout=2000)
    edits.stack.undo()
    edits.stack.undo()
    qtbot.waitUntil(lambda: len(shown(tree)) == 2, timeout=2000)
    sample = shown(tree)[0]
    nums = [model.get_node(t).parameters["num_images"] for t in model.children(sample)]
    assert nums == [3, 4]
    # a move undone and redone (Move down, then Ctrl+Z)
    click_node(qtbot, tree, sample)
    qtbot.waitUntil(lambda: tree.selected_ids() == [sample], timeout=1000)
    tree.down_action.trigger()
    qtbot.waitUntil(lambda: shown(tree) == [samples[1], sample], timeout=2000)
    tree.undo()
    qtbot.waitUntil(lambda: shown(tree) == [sample, samples[1]], timeout=2000)
    tree.redo()
    qtbot.waitUntil(lambda: shown(tree) == [samples[1], sample], timeout=2000)
    # a task dragged to the other sample, then Ctrl+Z: back under its own
    moved = model.children(sample)[0]
    data = tree.tree.mimeData([tree.tree.index_of(moved)])
    tree.tree.dropMimeData(data, Qt.MoveAction, -1, 0, tree.tree.index_of(samples[1]))
    qtbot.waitUntil(lambda: shown(tree, samples[1]) == [moved], timeout=2000)
    tree.view.setFocus()
    qtbot.keyClick(tree.view, Qt.Key_Z, Qt.ControlModifier)
    qtbot.waitUntil(lambda: shown(tree, sample)[0] == moved, timeout=2000)
    assert shown(tree, samples[1]) == []
    # the node removed by someone else: the undo says why and leaves the stack
    edits.delete([model.children(sample)[0]])
    model.remove([sample])
    tree.undo()
    assert "cannot undo delete 1 node" in tree.message.text()
    assert "there is no queue node" in tree.message.text()
    # a new queue (restore, clear) forgets what could be undone
    model.clear()
    qtbot.waitUntil(lambda: not tree.undo_action.isEnabled(), timeout=2000)
    assert edits.stack.count() == 0


def test_the_main_actions_are_all_shown_at_1280_px(make_app, qtbot):
    app = make_app(DEFAULT_LAYOUT)
    window = app.windows[0]
    window.resize(1280, 800)
    window.show()
    tree = app.built.bricks["queue_tree"]
    widget = tree  # the tree is on the Queue tab: bring that tab up, as a user does
    while widget.parentWidget() is not None:
        holder = widget.parentWidget()
        if isinstance(holder.parentWidget(), QTabWidget):
            holder.parentWidget().setCurrentWidget(widget)
        widget = holder
    qtbot.waitUntil(tree.isVisible, timeout=2000)
    QApplication.processEvents()
    right = tree.width()
    for button in tree.tool_buttons:
        assert button.isVisible(), button.text()
        corner = button.mapTo(tree, button.rect().topRight())
        assert 0 <= corner.x() <= right, f"{button.text()} is cut off at {right} px"
    texts = [b.text() for b in tree.tool_buttons]
    assert texts[:4] == ["Add samples", "Delete", "Undo", "Redo"]
    assert texts[-1] == "More"


def show_queue_tab(brick) -> None:
    """Bring up the tab that holds ``brick``, as a user does."""
    widget = brick
    while widget.parentWidget() is not None:
        holder = widget.parentWidget()
        if isinstance(holder.parentWidget(), QTabWidget):
            holder.parentWidget().setCurrentWidget(widget)
        widget = holder


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1200)])
def test_the_status_column_is_in_view_at_each_size(make_app, qtbot, size):
    app = make_app(DEFAULT_LAYOUT)
    window = app.windows[0]
    window.resize(*size)
    window.show()
    tree = app.built.bricks["queue_tree"]
    queue = app.repository.get("/queue")
    (sample,) = queue.add_samples_from_changer(["1:01"])
    queue.add_task(sample, "DataCollection", {})
    show_queue_tab(tree)
    qtbot.waitUntil(tree.view.isVisible, timeout=2000)
    QApplication.processEvents()
    header, width = tree.view.header(), tree.view.viewport().width()
    right = header.sectionPosition(STATUS) + header.sectionSize(STATUS)
    assert right <= width, f"Status ends at {right} px, the tree shows {width} px"
    assert header.sectionSize(NAME) >= tree.view.fontMetrics().horizontalAdvance("s1-01")
    assert tree.view.horizontalScrollBar().value() == 0


def test_run_acts_on_every_selected_node(make_app, qtbot):
    """The tree's Run and the control brick's Run selected do the same on a selection
    of several (the default layout connects them)."""
    app = make_app(DEFAULT_LAYOUT)
    queue = app.repository.get("/queue")
    tree, control = app.built.bricks["queue_tree"], app.built.bricks["queue_control"]
    (sample,) = queue.add_samples_from_changer(["1:01"])
    first, left, second = (queue.add_task(sample, "DataCollection", {}) for _ in range(3))
    tree.select_nodes([second, first])
    qtbot.waitUntil(lambda: sorted(tree.selected_ids()) == [first, second], timeout=2000)
    assert tree.run_action.isEnabled()
    with qtbot.waitSignal(tree.runSelectedRequested):
        tree.run_action.trigger()
    dialog = control.confirm_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.summary["task_ids"] == [first, second]
    dialog.reject()
    assert queue.model.get_node(left).status == "not_executed"
    tree.select_nodes([])
    qtbot.waitUntil(lambda: not tree.run_action.isEnabled(), timeout=2000)


def test_what_a_row_allows(queue_app, qtbot):
    _app, queue, bricks = queue_app
    tree, model = bricks["tree"], queue.model
    sample = queue.add_samples_from_changer(present_addresses(queue, 1))[0]
    task = queue.add_task(sample, "DataCollection")
    qtbot.waitUntil(lambda: tree.tree.shown(task), timeout=2000)
    flags = tree.tree.flags
    assert int(flags(QModelIndex())) == int(Qt.ItemIsDropEnabled)
    basic = Qt.ItemIsEnabled | Qt.ItemIsSelectable
    name = basic | Qt.ItemIsUserCheckable | Qt.ItemIsEditable
    expected = {
        (sample, NAME): name | Qt.ItemIsDragEnabled | Qt.ItemIsDropEnabled,
        (sample, STATUS): basic | Qt.ItemIsDragEnabled | Qt.ItemIsDropEnabled,
        (task, NAME): name | Qt.ItemIsDragEnabled,
        (task, DETAILS): basic | Qt.ItemIsDragEnabled,
    }
    for (node_id, column), wanted in expected.items():
        assert int(flags(tree.tree.index_of(node_id, column))) == int(wanted), (node_id, column)
    model.set_status(task, "running")  # a running task stays where it is
    qtbot.waitUntil(
        lambda: not flags(tree.tree.index_of(task, NAME)) & Qt.ItemIsDragEnabled, timeout=2000
    )
    assert int(flags(tree.tree.index_of(task, NAME))) == int(name)
    assert tree.tree.hasChildren(tree.tree.index_of(sample))
    assert not tree.tree.hasChildren(tree.tree.index_of(sample, STATUS))
    assert not tree.tree.hasChildren(tree.tree.index_of(task))
    assert tree.tree.hasChildren()
