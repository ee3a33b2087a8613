"""The toolbox's mesh scan, X-ray centring and Workflow buttons: what they add, on
which shape, and why they are disabled when they cannot."""

from __future__ import annotations

import pytest
from PyQt5.QtCore import Qt

from mxgui.core.centring import CentredPosition

from helpers import TEST_LAYOUTS

CENTRE = CentredPosition(phi=0.0, phiy=0.1, phiz=0.02, sampx=0.05, sampy=-0.03)
WORKFLOWS = [
    {"name": "XrayCentring", "title": "X-ray centring", "requires": "sample", "engine": "local"},
    {"name": "GridScan", "title": "Scan a grid", "requires": "grid", "engine": "local"},
    {"name": "PointCollect", "title": "Collect on a point", "requires": "point", "engine": "bes"},
]


class FakeWorkflowClient:
    """Lists workflows as the workflow client does."""

    def __init__(self, workflows=WORKFLOWS) -> None:
        self.workflows = list(workflows)

    def get_available_workflows(self) -> list[dict]:
        return self.workflows


@pytest.fixture
def toolbox_app(make_app, qtbot):
    """The queue layout with one sample selected: (queue, shapes, toolbox, sample id)."""
    app = make_app(TEST_LAYOUTS / "queue.yml")
    queue = app.repository.get("/queue")
    toolbox = app.built.bricks["queue_toolbox"]
    address = next(
        s.address
        for puck in queue.sample_changer.get_contents()
        for s in puck.samples
        if s.name and s.present is not False
    )
    sample = queue.add_samples_from_changer([address])[0]
    toolbox.set_selected_nodes([sample])
    shapes = queue.get_object_by_role("shapes")
    shapes.clear()
    return queue, shapes, toolbox, sample


def with_client(toolbox, client) -> None:
    toolbox.workflow_client = lambda: client
    toolbox.set_selected_nodes(toolbox.selection)  # as a new selection would


def tasks_of(queue, sample) -> list:
    return [queue.model.get_node(i) for i in queue.model.get_node(sample).children]


def test_mesh_scan_needs_a_grid_and_goes_on_the_selected_one(toolbox_app, qtbot):
    queue, shapes, toolbox, sample = toolbox_app
    button = toolbox.buttons["MeshScan"]
    assert not button.isEnabled()
    assert button.toolTip() == "draw a grid in the sample view first"
    first = shapes.add_grid(CENTRE, 3, 2, 0.02, 0.02)
    second = shapes.add_grid(CENTRE, 4, 4, 0.02, 0.02)
    qtbot.waitUntil(button.isEnabled)
    assert second.id in button.toolTip()  # none selected: the last drawn
    shapes.select([first.id])
    qtbot.waitUntil(lambda: first.id in button.toolTip())
    qtbot.mouseClick(button, Qt.LeftButton)
    (task,) = tasks_of(queue, sample)
    assert task.type == "MeshScan"
    assert task.parameters["grid_id"] == first.id and task.parameters["num_images"] == 6


def test_xray_centring_takes_the_selected_grid_or_line_else_automatic(toolbox_app, qtbot):
    queue, shapes, toolbox, sample = toolbox_app
    with_client(toolbox, FakeWorkflowClient())
    button = toolbox.buttons["XrayCentring"]
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.LeftButton)
    grid = shapes.add_grid(CENTRE, 3, 3, 0.02, 0.02)
    shapes.select([grid.id])
    qtbot.waitUntil(lambda: grid.id in button.toolTip())
    qtbot.mouseClick(button, Qt.LeftButton)
    automatic, on_grid = tasks_of(queue, sample)
    assert automatic.type == on_grid.type == "XrayCentring"
    assert automatic.parameters["shape_id"] is None
    assert on_grid.parameters["shape_id"] == grid.id


def test_without_a_workflow_client_the_buttons_say_why(toolbox_app):
    _queue, _shapes, toolbox, _sample = toolbox_app
    with_client(toolbox, None)
    for task_type in ("XrayCentring", "Workflow"):
        button = toolbox.buttons[task_type]
        assert not button.isEnabled()
        assert button.toolTip() == "this beamline has no workflow client (role workflow)"
    with_client(toolbox, FakeWorkflowClient([]))
    assert not toolbox.buttons["Workflow"].isEnabled()
    assert "lists no workflows" in toolbox.buttons["Workflow"].toolTip()


def test_workflow_menu_offers_the_clients_workflows(toolbox_app, qtbot):
    queue, shapes, toolbox, sample = toolbox_app
    with_client(toolbox, FakeWorkflowClient())
    assert toolbox.buttons["Workflow"].isEnabled()
    actions = toolbox.workflow_actions()
    assert list(actions) == ["XrayCentring", "GridScan", "PointCollect"]
    assert actions["XrayCentring"].isEnabled()
    # a workflow needing a grid or a point says so while the sample has none
    assert not actions["GridScan"].isEnabled()
    assert actions["GridScan"].text() == "Scan a grid (needs a grid: draw one in the sample view)"
    assert not actions["PointCollect"].isEnabled()
    actions["XrayCentring"].trigger()
    (task,) = tasks_of(queue, sample)
    assert task.type == "Workflow"
    assert task.parameters["workflow_name"] == "XrayCentring"
    assert dict(task.parameters["workflow_parameters"]) == {}
    assert toolbox.message.text().startswith("Added 1 × Workflow")


def test_a_workflow_needing_a_grid_gets_the_selected_grid(toolbox_app, qtbot):
    queue, shapes, toolbox, sample = toolbox_app
    with_client(toolbox, FakeWorkflowClient())
    grid = shapes.add_grid(CENTRE, 2, 2, 0.02, 0.02)
    shapes.add_grid(CENTRE, 5, 5, 0.02, 0.02)
    shapes.select([grid.id])
    qtbot.waitUntil(lambda: toolbox.workflow_actions()["GridScan"].isEnabled())
    assert grid.id in toolbox.workflow_actions()["GridScan"].toolTip()
    toolbox.workflow_actions()["GridScan"].trigger()
    (task,) = tasks_of(queue, sample)
    assert task.parameters["workflow_name"] == "GridScan"
    assert dict(task.parameters["workflow_parameters"]) == {"shape_id": grid.id}


def test_an_unknown_workflow_is_refused_with_a_message(toolbox_app):
    queue, _shapes, toolbox, sample = toolbox_app
    with_client(toolbox, FakeWorkflowClient())
    assert toolbox.add_workflow("Nonesuch") == []
    assert "no workflow 'Nonesuch'" in toolbox.message.text()
    assert tasks_of(queue, sample) == []
