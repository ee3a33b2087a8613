"""An energy scan follows its element and edge: picking another element (in the form,
through the queue model, or in ``queue_add_child``'s task_json) moves the scan's
window onto the new edge, an element with one known edge takes it, and a window the
user typed is not moved behind their back."""

from __future__ import annotations

import pytest
from test_parameter_form import POPUP, pick
from test_queue_bricks import click_node, shown

from mxgui.core.acquisition import ParameterError
from mxgui.core.queue import QueueModel, TaskFactory, task_from_json
from mxgui.core.queue.schemas import EDGES, SCHEMAS, Limits, problems
from mxgui.core.queue.tasks import CollectDefaults

from helpers import TEST_LAYOUTS, type_into

HG_L3 = EDGES[("Hg", "L3")]
SE_K = EDGES[("Se", "K")]


@pytest.fixture
def scan(repo):
    """(queue model with the live validator, the id of a new Se K energy scan)."""
    factory = TaskFactory(CollectDefaults(repo.get("collect")))
    model = QueueModel(validator=factory.validate)
    sample = model.add(0, "Sample", {"location": "1:01", "name": "x1"})
    return model, model.add(sample, "EnergyScan", factory.create("EnergyScan"))


def window(model: QueueModel, node_id: int) -> tuple[str, str, float, float]:
    p = model.get_node(node_id).parameters
    return p["element"], p["edge"], p["start_energy"], p["end_energy"]


def test_another_element_alone_takes_its_edge_and_moves_the_window(scan):
    model, task = scan
    assert window(model, task) == (
        "Se",
        "K",
        pytest.approx(SE_K - 0.05),
        pytest.approx(SE_K + 0.05),
    )
    model.update_parameters(task, {"element": "Hg"})
    element, edge, start, end = window(model, task)
    assert (element, edge) == ("Hg", "L3")
    assert (start, end) == (pytest.approx(HG_L3 - 0.05), pytest.approx(HG_L3 + 0.05))
    # a widened window keeps its width on the next element
    model.update_parameters(task, {"start_energy": HG_L3 - 0.1, "end_energy": HG_L3 + 0.1})
    model.update_parameters(task, {"element": "Se"})
    assert window(model, task) == ("Se", "K", pytest.approx(SE_K - 0.1), pytest.approx(SE_K + 0.1))


def test_a_window_given_with_the_element_is_kept_and_a_typed_one_is_not_moved(scan):
    model, task = scan
    model.update_parameters(task, {"element": "Hg", "start_energy": 12.2, "end_energy": 12.4})
    assert window(model, task) == ("Hg", "L3", 12.2, 12.4)
    # a window typed away from the edge is refused, naming the edge, not moved
    with pytest.raises(ParameterError, match="must contain the Hg L3 edge at 12.284 keV"):
        model.update_parameters(task, {"start_energy": 12.5, "end_energy": 12.6})
    assert window(model, task) == ("Hg", "L3", 12.2, 12.4)


def test_an_edge_the_element_does_not_have_is_refused_naming_the_edge(scan):
    model, task = scan
    # Se has one known edge: an edge alone that it does not have goes back to it
    model.update_parameters(task, {"edge": "L3"})
    assert window(model, task)[:2] == ("Se", "K")
    # the check itself names the edge and the element's own edges
    values = {**model.get_node(task).parameters, "edge": "L3"}
    found = problems(SCHEMAS["EnergyScan"], values, Limits())
    assert "edge: Se has no known L3 edge; known: K (12.658 keV)" in found


def test_queue_add_child_task_json_with_only_an_element_scans_its_edge(repo):
    factory = TaskFactory(CollectDefaults(repo.get("collect")))
    spec = task_from_json({"type": "EnergyScan", "parameters": {"element": "Hg"}})
    assert (spec.parameters["edge"], spec.parameters["start_energy"]) == ("L3", HG_L3 - 0.05)
    values = factory.create("EnergyScan", spec.parameters)
    assert values["start_energy"] < HG_L3 < values["end_energy"]


@POPUP
def test_a_user_picks_another_element_in_the_form_and_the_scan_follows(make_app, qtbot):
    app = make_app(TEST_LAYOUTS / "queue.yml")
    queue = app.repository.get("/queue")
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    tree, params = bricks["tree"], bricks["parameters"]
    sample = queue.add_sample(name="x1")
    task = queue.add_task(sample, "EnergyScan")
    qtbot.waitUntil(lambda: shown(tree, sample) == [task], timeout=2000)
    click_node(qtbot, tree, task)
    qtbot.waitUntil(lambda: params.form is not None and params.node_id == task, timeout=2000)
    combo = params.form.editors["element"]
    assert combo.itemText(combo.findData("Hg")) == "Hg L3 12.284 keV"
    pick(qtbot, combo, "Hg L3 12.284 keV")
    assert window(queue.model, task) == (
        "Hg",
        "L3",
        pytest.approx(HG_L3 - 0.05),
        pytest.approx(HG_L3 + 0.05),
    )
    editors = params.form.editors
    assert editors["edge"].currentText() == "L3"
    assert editors["start_energy"].value() == pytest.approx(HG_L3 - 0.05)
    assert not params.form.refused
    # a start above the edge: refused, the reason without the field names in front,
    # and kept pending (the problem names end_energy too); an end alone still applies
    type_into(qtbot, editors["start_energy"], "12.3")
    reason = params.form.reasons["start_energy"].text()
    assert (
        reason == f"refused: 12.3..{HG_L3 + 0.05:g} keV must contain the Hg L3 edge at 12.284 keV"
    )
    assert params._pending == {"start_energy": 12.3}
    type_into(qtbot, editors["end_energy"], "12.4")
    assert window(queue.model, task)[2:] == (pytest.approx(HG_L3 - 0.05), 12.4)
    assert "start_energy" in params.form.refused
