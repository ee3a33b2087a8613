"""The parameters brick shows a characterisation's strategy below its form, and the
collection it adds becomes the tree's selection (the default layout's connection)."""

from __future__ import annotations


def test_the_strategy_shows_for_a_characterisation_only_and_its_collection_is_selected(
    make_app, qtbot
):
    app = make_app()
    queue = app.repository.get("/queue")
    tree = app.built.bricks["queue_tree"]
    brick = app.built.bricks["queue_parameters"]
    (sample,) = queue.add_samples_from_changer(["1:01"])
    char = queue.add_task(sample, "Characterisation", {})
    collection = queue.add_task(sample, "DataCollection", {})
    tree.select_node(char)
    qtbot.waitUntil(lambda: brick.node_id == char, timeout=2000)
    assert brick.strategy is not None and brick.strategy.isVisible()
    assert brick.strategy.node_id() == char
    assert not brick.strategy.add_button.isEnabled()  # not run yet: nothing to add
    tree.select_node(collection)
    qtbot.waitUntil(lambda: brick.node_id == collection, timeout=2000)
    assert not brick.strategy.isVisible()
    # "Add this collection" reports the node it added: the tree selects it
    tree.select_node(char)
    brick.strategy.collectionAdded.emit(collection)
    qtbot.waitUntil(lambda: tree.selected_ids() == [collection], timeout=2000)
