"""The strategy table of a characterisation and its "Add this collection" button, on
the simulated beamline: a user runs a characterisation of a real simulated crystal,
reads the proposal, adds it, and runs the collection it added."""

from __future__ import annotations

import re
from pathlib import Path

import fabio
import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QApplication
from queue_engine_fixtures import (
    add_sample,
    add_task,
    crystal_centre,
)

from mxgui.gui.queue.strategy_view import SWEEP_COLUMNS, StrategyView
from mxgui.gui.queue.undo import QueueEdits


@pytest.fixture
def view(qtbot, bl):
    widget = StrategyView(bl, None)  # the beamline namespace has the queue's model and engine
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.cleanup()


def cell(view: StrategyView, row: int, key: str, role: int = Qt.DisplayRole) -> object:
    column = [k for k, _t, _f in SWEEP_COLUMNS].index(key)
    return view.sweeps.data(view.sweeps.index(row, column), role)


def start_angle(path: str) -> float:
    header = str(fabio.open(path).header["_array_data.header_contents"])
    match = re.search(r"Start_angle\s+([-0-9.]+)", header)
    assert match is not None
    return float(match.group(1))


def test_the_strategy_is_shown_added_once_and_the_collection_runs(qtbot, bl, view):
    bl.collect.detector.set_roi_mode("4M", timeout=None)  # room for the crystal's spots
    bl.diffractometer.move_to_centred_position(crystal_centre(bl), timeout=None)
    sample = add_sample(bl, "1:01")
    char = add_task(
        bl, sample, "Characterisation", exp_time=0.01, resolution=1.7, space_group="P432"
    )
    after = add_task(bl, sample, prefix="after")

    view.show_node(char)
    assert view.sweeps.rowCount() == 0
    assert not view.add_button.isEnabled()
    assert view.reason.text() == "The characterisation has not run yet."

    bl.engine.run(char)
    assert bl.events.wait_finished() == "success"
    node = bl.model.get_node(char)
    strategy = node.results["strategy"]
    # the view follows the node: its results arrive at the end of the run
    qtbot.waitUntil(lambda: view.sweeps.rowCount() == 1, timeout=5000)
    for key, _title, _form in SWEEP_COLUMNS:
        assert cell(view, 0, key, Qt.UserRole) == strategy[key]
    assert cell(view, 0, "num_images") == str(strategy["num_images"])
    assert cell(view, 0, "resolution") == f"{strategy['resolution']:.2f}"
    assert "sweep: 90 deg, native data in P432 (Laue class m-3m, cubic)" in view.notes.text()
    assert view.add_button.isEnabled() and view.reason.text() == ""

    with qtbot.waitSignal(view.collectionAdded, timeout=10000) as added:
        qtbot.mouseClick(view.add_button, Qt.LeftButton)
    (new,) = added.args
    assert bl.model.get_node(sample).children == (char, new, after)  # right after it
    dc = bl.model.get_node(new)
    assert dc.type == "DataCollection" and dc.status == "not_executed"
    for key in ("osc_start", "osc_range", "num_images", "exp_time", "transmission", "resolution"):
        assert dc.parameters[key] == strategy[key]
    qtbot.waitUntil(lambda: not view.add_button.isEnabled(), timeout=5000)
    assert f"node {new}" in view.reason.text()  # added already: not twice

    # the collection it added runs and writes its images: the sweep is the strategy's;
    # the detector's small region, a distance it reaches and a 1 ms exposure keep it
    # quick (900 4M images would take minutes and gigabytes)
    quick = {"detector_roi_mode": "test", "detector_distance": 120.0, "exp_time": 0.001}
    bl.model.update_parameters(new, quick)
    bl.engine.run(new)
    status = bl.events.wait_finished()
    done = bl.model.get_node(new)
    assert status == "success", done.message
    images = [f for f in done.files if f.endswith(".cbf")]
    n, osc, start = strategy["num_images"], strategy["osc_range"], strategy["osc_start"]
    assert len(images) == n and all(Path(f).is_file() for f in images)
    prefix, run = done.parameters["prefix"], done.parameters["run_number"]
    assert Path(images[-1]).name == f"{prefix}_{run}_{n:05d}.cbf"
    assert start_angle(images[0]) == pytest.approx(start)
    assert start_angle(images[-1]) == pytest.approx(start + (n - 1) * osc, abs=1e-3)

    bl.model.remove([new])  # the added collection deleted: it may be added again
    qtbot.waitUntil(view.add_button.isEnabled, timeout=5000)


def test_the_button_says_why_it_is_disabled(qtbot, bl, view):
    sample = add_sample(bl, None)
    collection = add_task(bl, sample)
    assert view.reason.text() == "Select a characterisation that has run."
    view.show_node(collection)
    assert not view.add_button.isEnabled()
    assert view.reason.text() == "Only a characterisation proposes a collection."
    bl.diffractometer.move_motors({"phiy": 1.5}, timeout=None)  # far from the crystal
    char = add_task(bl, sample, "Characterisation", exp_time=0.01, num_images=2)
    view.show_node(char)
    bl.engine.run(char)
    assert bl.events.wait_finished() == "success"
    qtbot.waitUntil(lambda: "no diffraction" in view.reason.text(), timeout=5000)
    assert not view.add_button.isEnabled() and view.sweeps.rowCount() == 0
    assert "is the crystal in the beam?" in view.notes.text()


def test_few_sweeps_shows_both_and_adds_both_in_order(qtbot, bl, view):
    bl.collect.detector.set_roi_mode("4M", timeout=None)
    bl.diffractometer.move_to_centred_position(crystal_centre(bl), timeout=None)
    sample = add_sample(bl, "1:01")
    char = add_task(bl, sample, "Characterisation", exp_time=0.01, strategy_complexity="few sweeps")
    view.show_node(char)
    bl.engine.run(char)
    assert bl.events.wait_finished() == "success"
    sweeps = bl.model.get_node(char).results["strategy_sweeps"]
    qtbot.waitUntil(lambda: view.sweeps.rowCount() == 2, timeout=5000)
    assert view.add_button.text() == "Add these 2 collections"
    for row, sweep in enumerate(sweeps):
        assert cell(view, row, "resolution", Qt.UserRole) == sweep["resolution"]
        assert cell(view, row, "osc_range", Qt.UserRole) == sweep["osc_range"]
    assert "few sweeps: then a low-resolution pass" in view.notes.text()
    with qtbot.waitSignals([view.collectionAdded, view.collectionAdded], timeout=10000):
        qtbot.mouseClick(view.add_button, Qt.LeftButton)
    children = bl.model.get_node(sample).children
    assert len(children) == 3 and children[0] == char
    first, second = (bl.model.get_node(n).parameters for n in children[1:])
    for params, sweep in zip((first, second), sweeps, strict=True):
        for key in ("osc_range", "num_images", "transmission", "resolution"):
            assert params[key] == sweep[key]
    assert first["run_number"] != second["run_number"]  # each its own run
    assert (
        view.reason.text()
        == f"Added as nodes {children[1]}, {children[2]}, right after the characterisation."
    )


STRATEGY = {
    "osc_start": 0.0,
    "osc_range": 0.1,
    "num_images": 1800,
    "exp_time": 0.02,
    "transmission": 50.0,
    "resolution": 3.0,
}


def ran_characterisation(bl, strategy: object) -> tuple[int, int]:
    """A sample and a characterisation that ended with ``strategy`` (as read back from
    a queue file: no run needed)."""
    sample = add_sample(bl, None)
    char = add_task(bl, sample, "Characterisation")
    bl.model.set_status(char, "running")
    bl.model.set_status(char, "success", "strategy proposed")
    bl.model.update_results(char, {"strategy": strategy})
    return sample, char


def test_an_added_collection_deleted_and_undone_is_still_added_once(qtbot, bl, view):
    sample, char = ran_characterisation(bl, STRATEGY)
    view.show_node(char)
    with qtbot.waitSignal(view.collectionAdded, timeout=10000) as added:
        qtbot.mouseClick(view.add_button, Qt.LeftButton)
    (first,) = added.args
    edits = QueueEdits(bl.model)
    edits.delete([first])
    qtbot.waitUntil(view.add_button.isEnabled, timeout=5000)  # deleted: may be added again
    edits.stack.undo()
    (back,) = (n for n in bl.model.children(sample) if n != char)
    assert back != first  # put back with a new id
    assert list(bl.model.get_node(char).results["accepted"]) == [back]
    qtbot.waitUntil(lambda: not view.add_button.isEnabled(), timeout=5000)
    assert view.reason.text().startswith(f"Added already: node {back} ")
    edits.stack.redo()  # deleted again, and undone again: still followed
    qtbot.waitUntil(view.add_button.isEnabled, timeout=5000)
    edits.stack.undo()
    qtbot.waitUntil(lambda: not view.add_button.isEnabled(), timeout=5000)
    assert len(bl.model.children(sample)) == 2


def test_an_unexpected_error_while_adding_is_said_and_the_button_comes_back(qtbot, bl, view):
    _sample, char = ran_characterisation(bl, [1, 2])  # an edited queue file: not a mapping
    view.show_node(char)
    assert view.add_button.isEnabled()
    qtbot.mouseClick(view.add_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: view.reason.text().startswith("Not added: TypeError"), timeout=5000)
    assert view.add_button.isEnabled()  # not stuck on "Adding the collection…"


def test_the_row_is_not_hidden_under_the_scroll_bar_when_the_view_is_narrow(qtbot, bl, view):
    _sample, char = ran_characterisation(bl, STRATEGY)
    view.show_node(char)
    for width in (400, 614, 1200):
        view.resize(width, 400)
        QApplication.processEvents()
        assert view.width() == max(width, view.minimumSizeHint().width())
        table = view.table
        bottom = table.rowViewportPosition(0) + table.rowHeight(0)
        assert bottom <= table.viewport().height(), f"the row is cut at {width} px"
        assert view.notes.width() <= view.width()
