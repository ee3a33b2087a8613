"""The parameters brick shows a characterisation's strategy below its form; a click on
"Add this collection" adds the collection a real characterisation proposed, and the
tree selects it (the default layout's connection)."""

from __future__ import annotations

from types import SimpleNamespace

from PyQt5.QtCore import Qt
from queue_engine_fixtures import crystal_centre
from test_queue_bricks_run import fast_beamline

from helpers import DEFAULT_LAYOUT


def test_the_strategy_shows_for_a_characterisation_only_and_its_collection_is_selected(
    make_app, tmp_path, qtbot
):
    app = make_app(DEFAULT_LAYOUT, fast_beamline(tmp_path))
    queue = app.repository.get("/queue")
    collect, diffractometer = app.repository.get("/collect"), app.repository.get("/diffractometer")
    tree = app.built.bricks["queue_tree"]
    brick = app.built.bricks["queue_parameters"]
    # the characterisation will run on the simulated crystal (room for its spots, on the beam)
    collect.detector.set_roi_mode("4M", timeout=None)
    centre = crystal_centre(SimpleNamespace(diffractometer=diffractometer))
    diffractometer.move_to_centred_position(centre, timeout=None)
    (sample,) = queue.add_samples_from_changer(["1:01"])
    queue.model.update_parameters(sample, {"centring": "none"})
    char = queue.add_task(sample, "Characterisation", {"exp_time": 0.01, "resolution": 1.7})
    collection = queue.add_task(sample, "DataCollection", {})
    tree.select_node(char)
    qtbot.waitUntil(lambda: brick.node_id == char, timeout=2000)
    view = brick.strategy
    assert view is not None and view.isVisible()
    assert view.node_id() == char
    assert not view.add_button.isEnabled()  # not run yet: nothing to add
    tree.select_node(collection)
    qtbot.waitUntil(lambda: brick.node_id == collection, timeout=2000)
    assert not view.isVisible()

    queue.engine.run(char)
    qtbot.waitUntil(lambda: queue.model.get_node(char).has_run, timeout=120_000)
    qtbot.waitUntil(lambda: not queue.engine.is_running(), timeout=30_000)
    node = queue.model.get_node(char)
    assert node.status == "success", node.message
    tree.select_node(char)
    qtbot.waitUntil(lambda: brick.node_id == char and view.isVisible(), timeout=2000)
    qtbot.waitUntil(view.add_button.isEnabled, timeout=5000)
    assert view.sweeps.rowCount() == 1

    qtbot.mouseClick(view.add_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(queue.model.children(sample)) == 3, timeout=10_000)
    added = queue.model.children(sample)[1]  # right after the characterisation
    assert list(queue.model.get_node(char).results["accepted"]) == [added]
    qtbot.waitUntil(lambda: tree.selected_ids() == [added], timeout=5000)
    qtbot.waitUntil(lambda: brick.node_id == added, timeout=2000)
    strategy = node.results["strategy"]
    params = queue.model.get_node(added).parameters
    assert (params["num_images"], params["osc_range"]) == (
        strategy["num_images"],
        strategy["osc_range"],
    )
