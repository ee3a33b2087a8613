"""Issue 11, item 14: selecting any queue node shows its parameters, and later status
changes of that node (from the engine's thread) update the view, with no exception and
no error logged. Selecting a Workflow node (MXPressA) used to raise ``TypeError: Object
of type mappingproxy is not JSON serializable`` in the parameter form, at every
selection and at every status change of the node after it."""

from __future__ import annotations

import json
import logging
import threading

from PyQt5.QtCore import Qt
from test_queue_bricks import click_node, present_addresses, shown

from mxgui.core.centring import CentredPosition
from mxgui.core.queue.nodes import TASK_TYPES, thaw
from mxgui.gui.shape_tasks import TASK_TITLES

from helpers import TEST_LAYOUTS

LAYOUT = TEST_LAYOUTS / "queue.yml"


def change_status_from_a_worker(model, node_id: int) -> None:
    """What the engine does to a node, from its own thread: running, then success."""

    def run() -> None:
        model.set_status(node_id, "running")
        model.set_status(node_id, "success", "done by the test")

    worker = threading.Thread(target=run, name="status changes")
    worker.start()
    worker.join(10)


def build_every_node_type(qtbot, app) -> dict[str, int]:
    """A sample with every task type added from the toolbox (MXPressA from the Workflow
    menu), and a task group holding a collection at a centred position; ids by type."""
    queue = app.repository.get("/queue")
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    tree, toolbox = bricks["tree"], bricks["toolbox"]
    shapes = app.repository.get("/shapes")
    address = present_addresses(queue, 1)[0]
    queue.sample_changer.load(address).result(timeout=30)
    qtbot.waitUntil(lambda: shapes.holds(address), timeout=5000)
    here = CentredPosition.from_dict(queue.diffractometer.get_positions())
    shapes.add_grid(here, 3, 2, 0.02, 0.02)
    (sample,) = queue.add_samples_from_changer([address])
    tree.select_nodes([sample])
    qtbot.waitUntil(lambda: toolbox.targets() == [sample], timeout=2000)
    for task_type in TASK_TYPES:
        if task_type == "Workflow":
            qtbot.waitUntil(lambda: "MXPressA" in toolbox.workflow_actions(), timeout=2000)
            toolbox.workflow_actions()["MXPressA"].trigger()
        else:
            qtbot.waitUntil(toolbox.buttons[task_type].isEnabled, timeout=2000)
            qtbot.mouseClick(toolbox.buttons[task_type], Qt.LeftButton)
    group = queue.model.add(sample, "TaskGroup")
    in_group = queue.add_task(group, "DataCollection", {"centred_position": here.to_dict()})
    ids = {"Sample": sample, "TaskGroup": group, "DataCollection in a group": in_group}
    for node_id in queue.model.children(sample):
        node = queue.model.get_node(node_id)
        if node.is_task:
            ids[node.type] = node_id
    assert set(ids) >= {"Sample", "TaskGroup", *TASK_TYPES}, ids
    assert queue.model.get_node(ids["Workflow"]).parameters["workflow_name"] == "MXPressA"
    qtbot.waitUntil(lambda: in_group in shown(tree, group), timeout=2000)
    return ids


def test_selecting_every_node_type_and_its_status_changes_show_without_errors(
    make_app, qtbot, caplog
):
    caplog.set_level(logging.WARNING)
    app = make_app(LAYOUT)
    queue = app.repository.get("/queue")
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    tree, params = bricks["tree"], bricks["parameters"]
    ids = build_every_node_type(qtbot, app)
    for what, node_id in ids.items():
        node = queue.model.get_node(node_id)
        click_node(qtbot, tree, node_id)
        qtbot.waitUntil(lambda n=node_id: params.node_id == n, timeout=2000)
        assert TASK_TITLES.get(node.type, node.type) in params.title.text(), what
        if node.type == "TaskGroup":
            assert params.form is None
        else:
            assert params.form is not None and params.form.node_type == node.type
            assert params.form.isVisible()
            for name, value in node.parameters.items():  # every field shows its value
                editor = params.form.editors[name]
                if hasattr(editor, "isChecked"):
                    assert editor.isChecked() == bool(value), (what, name)
                elif hasattr(editor, "currentData"):  # a choice, or a shape of the sample
                    assert thaw(editor.currentData()) == thaw(value), (what, name)
                elif isinstance(value, (dict, type(node.parameters))) and value is not None:
                    assert json.loads(editor.text()) == thaw(value), (what, name)
            assert params.state_label.text().startswith("not run"), what
        change_status_from_a_worker(queue.model, node_id)
        if node.type != "TaskGroup":
            qtbot.waitUntil(lambda: "read-only" in params.state_label.text(), timeout=2000)
            assert "done by the test" in params.state_label.text(), what
            assert all(
                e.isReadOnly() for e in params.form.editors.values() if hasattr(e, "isReadOnly")
            ), what
    workflow = params.forms["Workflow"].editors["workflow_parameters"]
    assert json.loads(workflow.text()) == {}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
