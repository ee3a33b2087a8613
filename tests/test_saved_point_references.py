"""Issue 11, item 12: a task that names a saved point of its sample (P1 on 1:01) stays
editable and runnable while another sample is mounted. The reference is checked when
its own sample is mounted (and again at run time, after the mount), as in MXCuBE; the
collection then runs at that sample's P1, never at another sample's P1."""

from __future__ import annotations

import dataclasses
import re

import pytest
from PyQt5.QtCore import Qt
from queue_engine_fixtures import (
    add_sample,
    add_task,
    crystal_centre,
)
from test_queue_bricks import click_node, present_addresses, shown
from test_queue_bricks_run import fast_beamline

from mxgui.core.acquisition import ParameterError
from mxgui.core.centring import CentredPosition
from mxgui.core.shapes import Point
from mxgui.core.shapes_file import dumps

from helpers import TEST_LAYOUTS, type_into

LAYOUT = TEST_LAYOUTS / "queue.yml"
#: P1 is this far (mm, along phiy) from the crystal's centre: a position only P1 has
P1_OFFSET_MM = 0.03


def mount(changer, address: str) -> None:
    """Mount ``address`` with the sample changer and wait for it."""
    changer.load(address).result(timeout=30)
    assert changer.get_loaded_sample().address == address


def save_p1(shapes, centre: CentredPosition) -> CentredPosition:
    """Save P1 near the mounted crystal's ``centre``; its position."""
    position = dataclasses.replace(centre, phiy=centre.phiy + P1_OFFSET_MM)
    point = shapes.add_point(position)
    assert point.id == "P1"
    return position


def phiy_at_each_image(collect, diffractometer) -> list[float]:
    """A list that fills with phiy at each image the collect takes."""
    phiy = diffractometer.get_motor("phiy")
    seen: list[float] = []
    collect.connect("collectImageTaken", lambda _n: seen.append(phiy.get_value()))
    return seen


def test_a_collection_on_p1_of_sample_1_is_edited_and_run_while_sample_2_is_mounted(bl):
    first, second = present_addresses(bl, 2)
    mount(bl.sample_changer, first)
    p1 = save_p1(bl.shapes, crystal_centre(bl))
    sample_1 = add_sample(bl, first)
    sample_2 = add_sample(bl, second)
    task = add_task(bl, sample_1, centred_position="P1")
    # while its own sample is mounted, a point that does not exist is refused
    with pytest.raises(ParameterError, match="there is no shape P7 on the sample"):
        bl.model.update_parameters(task, {"centred_position": "P7"})

    mount(bl.sample_changer, second)
    assert bl.shapes.shapes() == []  # the shapes shown are sample 2's: no P1
    # any field can be edited: P1 is sample 1's, checked when sample 1 is mounted
    edited = bl.model.update_parameters(task, {"num_images": 4})
    assert edited.parameters["num_images"] == 4
    assert edited.parameters["centred_position"] == "P1"
    # a collection added now to sample 1 may name P1 too (by the factory, as XML-RPC does)
    second_task = add_task(bl, sample_1, centred_position="P1", num_images=2)

    seen = phiy_at_each_image(bl.collect, bl.diffractometer)
    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    for node_id in (task, second_task):
        node = bl.model.get_node(node_id)
        assert node.status == "success", node.message
        assert len([f for f in node.files if f.endswith(".cbf")]) == node.parameters["num_images"]
    # sample 2 has no task: it is not mounted (issue 15: Run all mounts what has work)
    assert bl.model.get_node(sample_2).status == "not_executed"
    # sample 1 was mounted again, and every image was taken at its P1
    mounted = [a[0] for a in bl.events.args("entryStarted")]
    assert mounted.index(sample_1) < mounted.index(task) and sample_2 not in mounted
    assert len(seen) == 6 and all(v == pytest.approx(p1.phiy, abs=1e-3) for v in seen)


def test_run_alone_while_another_sample_is_mounted_it_never_uses_that_samples_p1(bl):
    first, second = present_addresses(bl, 2)
    mount(bl.sample_changer, first)
    save_p1(bl.shapes, crystal_centre(bl))
    sample_1 = add_sample(bl, first)
    task = add_task(bl, sample_1, centred_position="P1")
    # sample 2 has a P1 of its own (saved in an earlier session): another point
    elsewhere = dataclasses.replace(crystal_centre(bl), phiy=0.5)
    bl.shapes.file_of(second).parent.mkdir(parents=True, exist_ok=True)
    bl.shapes.file_of(second).write_text(dumps(second, [Point("P1", "", elsewhere)], {}))
    mount(bl.sample_changer, second)
    assert bl.shapes.get("P1").position == elsewhere
    seen = phiy_at_each_image(bl.collect, bl.diffractometer)
    bl.engine.run(task)  # a task run on its own runs on the mounted sample
    assert bl.events.wait_finished() == "failed"
    node = bl.model.get_node(task)
    assert node.status == "failed" and seen == [] and node.files == ()
    assert re.search(rf"those of sample {first}, which is not mounted", node.message)


def test_p1_of_sample_1_is_edited_in_the_form_and_the_queue_runs_from_the_buttons(
    make_app, qtbot, tmp_path
):
    app = make_app(LAYOUT, fast_beamline(tmp_path))
    queue = app.repository.get("/queue")
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    tree, params, control = bricks["tree"], bricks["parameters"], bricks["control"]
    changer, shapes = queue.sample_changer, app.repository.get("/shapes")
    first, second = present_addresses(queue, 2)
    mount(changer, first)
    qtbot.waitUntil(lambda: shapes.holds(first), timeout=5000)
    p1 = shapes.add_point(CentredPosition.from_dict(queue.diffractometer.get_positions()))
    sample_1, sample_2 = queue.add_samples_from_changer([first, second])
    for sample in (sample_1, sample_2):
        queue.model.update_parameters(sample, {"centring": "none"})
    task = queue.add_task(sample_1, "DataCollection", {"centred_position": p1.id})
    mount(changer, second)

    qtbot.waitUntil(lambda: shown(tree, sample_1) == [task], timeout=2000)
    click_node(qtbot, tree, task)
    qtbot.waitUntil(lambda: params.node_id == task, timeout=2000)
    type_into(qtbot, params.form.editors["num_images"], "3")
    node = queue.model.get_node(task)
    assert node.parameters["num_images"] == 3 and node.parameters["centred_position"] == "P1"
    assert params.message.text() == "num_images set to 3"
    assert params.form.editors["centred_position"].currentData() == "P1"  # a combo now

    qtbot.mouseClick(control.run_all_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: control.confirm_dialog is not None, timeout=5000)
    qtbot.mouseClick(control.confirm_dialog.run_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: not queue.engine.is_running(), timeout=60_000)
    node = queue.model.get_node(task)
    assert node.status == "success", node.message
    assert len([f for f in node.files if f.endswith(".cbf")]) == 3
    assert queue.model.get_node(sample_2).status == "not_executed"  # no task: not mounted
