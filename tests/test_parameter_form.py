"""The parameter form as a beamline user reads and drives it: combos for choices and
for the sample's points, spin boxes bounded by the live limits, a refused value
marked with its reason (and nothing of it in the model), the form back at the top
for another node."""

from __future__ import annotations

import logging

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QComboBox, QDoubleSpinBox, QSpinBox, QTabWidget
from test_queue_bricks import click_node, present_addresses, shown
from test_saved_point_references import mount

from mxgui.core.centring import CentredPosition
from mxgui.gui.queue.parameter_form import ParameterForm

from helpers import TEST_LAYOUTS, type_into

LAYOUT = TEST_LAYOUTS / "queue.yml"
#: the combo's list is a popup, which the offscreen platform does not raise nor grab for
POPUP = pytest.mark.qt_log_ignore("This plugin does not support (raise|grabbing the keyboard)")


@pytest.fixture
def form_app(make_app, qtbot):
    """The queue layout, one sample with two data collections, the first selected:
    (queue, parameters brick, tree brick, the task ids)."""
    app = make_app(LAYOUT)
    assert not app.built.errors, app.built.errors
    queue = app.repository.get("/queue")
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    sample = queue.add_samples_from_changer(present_addresses(queue, 1))[0]
    tasks = [queue.add_task(sample, "DataCollection") for _ in range(2)]
    tree, params = bricks["tree"], bricks["parameters"]
    qtbot.waitUntil(lambda: shown(tree, sample) == tasks, timeout=2000)
    click_node(qtbot, tree, tasks[0])
    qtbot.waitUntil(lambda: params.form is not None and params.node_id == tasks[0], timeout=2000)
    return queue, params, tree, tasks


def pick(qtbot, combo: QComboBox, text: str) -> None:
    """Choose the item ``text`` in the combo's list, as a user does with the mouse."""
    index = combo.findText(text)
    assert index >= 0, [combo.itemText(i) for i in range(combo.count())]
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible, timeout=2000)
    rect = view.visualRect(view.model().index(index, 0))
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: not view.isVisible(), timeout=2000)
    assert combo.currentIndex() == index


def test_fields_are_typed_with_human_labels_units_and_the_name_in_the_tooltip(form_app):
    _queue, params, _tree, _tasks = form_app
    form = params.form
    assert form.labels["osc_start"].text() == "Oscillation start"
    assert form.labels["exp_time"].text() == "Exposure time"
    assert form.labels["num_images"].text() == "Number of images"
    assert "num_images" in form.editors["num_images"].toolTip()
    assert isinstance(form.editors["num_images"], QSpinBox)
    assert isinstance(form.editors["resolution"], QDoubleSpinBox)
    assert form.editors["resolution"].textFromValue(2.0) == "2.00"  # shown with 2 decimals
    for name in ("detector_roi_mode", "suffix", "centred_position", "helical_start"):
        assert isinstance(form.editors[name], QComboBox), name
    assert [form.editors["suffix"].itemData(i) for i in range(2)] == ["cbf", "h5"]
    # the common fields first, the rest folded under a collapsed "More"
    assert form.editors["osc_start"].isVisibleTo(form) and not form.more.isVisibleTo(form)
    assert form.more.isAncestorOf(form.editors["detector_roi_mode"])
    assert not form.more.isAncestorOf(form.editors["run_number"])


@POPUP
def test_a_user_picks_an_roi_mode_from_the_combo_and_the_node_has_it(form_app, qtbot):
    queue, params, _tree, tasks = form_app
    form = params.form
    qtbot.mouseClick(form.more_button, Qt.LeftButton)
    combo = form.editors["detector_roi_mode"]
    assert combo.isVisible()
    detector = queue.get_object_by_role("collect").detector
    offered = [combo.itemData(i) for i in range(combo.count())]
    assert offered == ["", *detector.get_roi_modes()]  # the detector's own, live
    pick(qtbot, combo, "test")
    assert queue.model.get_node(tasks[0]).parameters["detector_roi_mode"] == "test"
    assert params.message.text() == "detector_roi_mode set to test"
    pick(qtbot, combo, "4M")
    assert queue.model.get_node(tasks[0]).parameters["detector_roi_mode"] == "4M"


def test_a_spin_box_refuses_a_value_outside_the_live_limit_and_shows_why(form_app, qtbot, caplog):
    queue, params, _tree, tasks = form_app
    caplog.set_level(logging.WARNING)
    form = params.form
    energy = form.editors["energy"]
    low, high = queue.get_object_by_role("collect").energy.get_limits()
    assert (energy.minimum(), energy.maximum()) == pytest.approx((low, high))
    old = queue.model.get_node(tasks[0]).parameters["energy"]
    type_into(qtbot, energy, f"{high + 5:g}")
    energy.clearFocus()  # Enter, then leaving the field: one refusal, logged once
    assert queue.model.get_node(tasks[0]).parameters["energy"] == old
    assert energy.value() == pytest.approx(old)  # the spin box shows what the model holds
    reason = form.reasons["energy"]
    assert reason.isVisible() and "above the energy's maximum" in reason.text()
    assert "above the energy's maximum" in energy.toolTip()
    assert energy.styleSheet() != ""
    refusals = [r for r in caplog.records if "energy not changed" in r.getMessage()]
    assert len(refusals) == 1, [r.getMessage() for r in refusals]
    # another field of the same node still applies; the refused one stays marked
    type_into(qtbot, form.editors["num_images"], "90")
    assert queue.model.get_node(tasks[0]).parameters["num_images"] == 90
    assert reason.isVisible() and energy.styleSheet() != ""
    # a good value clears the mark
    type_into(qtbot, energy, f"{(low + high) / 2:.4f}")
    assert queue.model.get_node(tasks[0]).parameters["energy"] == pytest.approx((low + high) / 2)
    assert not reason.isVisible() and energy.styleSheet() == ""


def test_the_ranges_follow_the_beamlines_limits_when_they_change(form_app, qtbot):
    queue, params, _tree, _tasks = form_app
    transmission = queue.get_object_by_role("collect").transmission
    spin = params.form.editors["transmission"]
    assert spin.maximum() == pytest.approx(transmission.get_limits()[1])
    transmission.set_limits((0.0, 80.0))
    qtbot.waitUntil(lambda: spin.maximum() == pytest.approx(100.0), timeout=2000)
    # the node's 100 % is outside the new limit: shown as it is, not clamped...
    assert spin.value() == pytest.approx(100.0)
    type_into(qtbot, spin, "50")
    # ...until it is in
    qtbot.waitUntil(lambda: spin.maximum() == pytest.approx(80.0), timeout=2000)
    # the oscillation start is bounded by omega's range
    queue.diffractometer.get_motor("phi").set_limits((-100.0, 200.0))
    start = params.form.editors["osc_start"]
    qtbot.waitUntil(lambda: start.maximum() == pytest.approx(200.0), timeout=2000)
    assert start.minimum() == pytest.approx(-100.0)


def test_selecting_another_node_scrolls_to_the_top_and_shows_its_values(form_app, qtbot):
    queue, params, tree, tasks = form_app
    queue.model.update_parameters(tasks[1], {"num_images": 42})
    qtbot.mouseClick(params.form.more_button, Qt.LeftButton)  # a long form
    bar = params.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=2000)
    bar.setValue(bar.maximum())
    click_node(qtbot, tree, tasks[1])
    qtbot.waitUntil(lambda: params.node_id == tasks[1], timeout=2000)
    assert bar.value() == 0
    assert params.form.editors["num_images"].value() == 42


@POPUP
def test_the_position_combo_lists_the_samples_points_and_sets_the_field(make_app, qtbot):
    app = make_app(LAYOUT)
    queue = app.repository.get("/queue")
    bricks = {name.removeprefix("queue_"): b for name, b in app.built.bricks.items()}
    tree, params = bricks["tree"], bricks["parameters"]
    shapes = app.repository.get("/shapes")
    address = present_addresses(queue, 1)[0]
    mount(queue.sample_changer, address)
    qtbot.waitUntil(lambda: shapes.holds(address), timeout=5000)
    here = CentredPosition.from_dict(queue.diffractometer.get_positions())
    p1 = shapes.add_point(here)
    sample = queue.add_samples_from_changer([address])[0]
    task = queue.add_task(sample, "DataCollection")
    qtbot.waitUntil(lambda: shown(tree, sample) == [task], timeout=2000)
    click_node(qtbot, tree, task)
    qtbot.waitUntil(lambda: params.node_id == task, timeout=2000)
    combo = params.form.editors["centred_position"]
    assert [combo.itemData(i) for i in range(combo.count())] == [None, p1.id]
    assert combo.currentText() == "current position"
    p2 = shapes.add_point(here)  # a point saved while the form is shown is offered
    qtbot.waitUntil(lambda: combo.count() == 3, timeout=2000)
    pick(qtbot, combo, p2.id)
    assert queue.model.get_node(task).parameters["centred_position"] == p2.id
    pick(qtbot, combo, "current position")
    assert queue.model.get_node(task).parameters["centred_position"] is None
    start, end = params.form.editors["helical_start"], params.form.editors["helical_end"]
    assert [start.itemData(i) for i in range(start.count())] == [None, p1.id, p2.id]
    # one end alone is refused for want of the other, and kept: the other end applies both
    pick(qtbot, start, p1.id)
    assert queue.model.get_node(task).parameters["helical_start"] is None
    assert "helical_end: missing" in params.form.reasons["helical_start"].text()
    pick(qtbot, end, p2.id)
    node = queue.model.get_node(task)
    assert (node.parameters["helical_start"], node.parameters["helical_end"]) == ("P1", "P2")
    assert params.message.text() == "helical_end set to P2 (with helical_start)"
    assert not params.form.reasons["helical_start"].isVisible()


def test_the_data_collection_form_fits_the_default_layout_at_1920x1200(make_app, qtbot):
    app = make_app()  # the default layout
    window = app.windows[0]
    window.showNormal()
    window.resize(1920, 1200)
    queue = app.repository.get("/queue")
    params = app.built.bricks["queue_parameters"]
    sample = queue.add_sample(name="lyso")
    task = queue.add_task(sample, "DataCollection")
    for tabs in window.findChildren(QTabWidget):  # the tab that holds the form, shown
        for index in range(tabs.count()):
            if tabs.widget(index).isAncestorOf(params):
                tabs.setCurrentIndex(index)
    params.show_node(task)
    qtbot.waitUntil(params.form.isVisible, timeout=2000)
    qtbot.wait(50)  # the layout settles
    assert params.form.node_type == "DataCollection"
    scroll = params.scroll_area
    where = (scroll.viewport().size(), params.form.minimumSizeHint())
    assert scroll.verticalScrollBar().maximum() == 0, where
    assert scroll.horizontalScrollBar().maximum() == 0, where


@pytest.mark.parametrize("node_type", ["DataCollection", "Characterisation", "EnergyScan"])
def test_the_columns_come_from_the_real_widths_so_nothing_is_cut(qtbot, node_type):
    form = ParameterForm(node_type)
    qtbot.addWidget(form)
    font = form.font()
    font.setPointSize(font.pointSize() + 4)  # a larger font (a site's, a screen's): wider
    form.setFont(font)
    form.more_button.setChecked(True)  # the folded fields too
    form.show()
    qtbot.waitExposed(form)
    for width in range(400, 1300, 20):
        form.fit_width(width)
        needed = form.minimumSizeHint().width()
        groups = [(g.columns, g.minimumSizeHint().width()) for g in form.groups]
        # a group takes more than one column only where they fit; the form is wider
        # than ``width`` only when a group does not fit even in one column
        assert all(columns == 1 or wide <= width for columns, wide in groups), (width, groups)
        narrowest = max([wide for columns, wide in groups if columns == 1], default=0)
        assert needed <= max(width, narrowest), (width, needed, groups)
    assert any(group.columns > 1 for group in form.groups)  # wide: more than one column


def test_small_values_are_shown_as_the_task_holds_them(form_app, qtbot):
    queue, params, _tree, tasks = form_app
    values = {"transmission": 0.02, "osc_range": 0.0125, "osc_start": 0.005}
    values |= {"detector_distance": 123.45}
    queue.model.update_parameters(tasks[0], values)  # as a workflow sets them
    editors = params.form.editors
    qtbot.waitUntil(lambda: editors["transmission"].text() == "0.02", timeout=2000)
    shown = {name: editors[name].text() for name in values}
    assert shown == {
        "transmission": "0.02",
        "osc_range": "0.0125",
        "osc_start": "0.005",
        "detector_distance": "123.45",
    }
    assert editors["exp_time"].text() == f"{editors['exp_time'].value():.5f}"  # its decimals
    # a value that its decimals show closely enough keeps them (the 2 decimals)
    queue.model.update_parameters(tasks[0], {"resolution": 3.929761})
    qtbot.waitUntil(lambda: editors["resolution"].text() == "3.93", timeout=2000)
    type_into(qtbot, editors["transmission"], "0.05")
    assert queue.model.get_node(tasks[0]).parameters["transmission"] == pytest.approx(0.05)
    assert editors["transmission"].text() == "0.05"


def test_the_arrows_stop_at_the_live_limit_not_a_rounded_one(form_app, qtbot):
    queue, params, _tree, tasks = form_app
    spin = params.form.editors["resolution"]
    low = spin.limits[0]
    assert spin.minimum() >= low  # rounded up, never below the limit
    spin.setFocus()
    for _ in range(1000):  # arrow down to the end
        if spin.value() <= spin.minimum():
            break
        qtbot.keyClick(spin, Qt.Key_Down)
    spin.clearFocus()
    resolution = queue.model.get_node(tasks[0]).parameters["resolution"]
    assert resolution == pytest.approx(spin.minimum())
    assert resolution >= low and not params.form.reasons["resolution"].isVisible()


def test_a_distance_just_below_the_limit_is_refused_not_made_auto(form_app, qtbot):
    queue, params, _tree, tasks = form_app
    spin = params.form.editors["detector_distance"]
    low = spin.limits[0]
    type_into(qtbot, spin, f"{low + 100:g}")
    assert queue.model.get_node(tasks[0]).parameters["detector_distance"] == pytest.approx(
        low + 100
    )
    type_into(qtbot, spin, f"{low - 0.1:g}")
    assert queue.model.get_node(tasks[0]).parameters["detector_distance"] == pytest.approx(
        low + 100
    )
    assert "below" in params.form.reasons["detector_distance"].text()
    spin.lineEdit().clear()  # an empty field is auto, and the message says so
    qtbot.keyClick(spin, Qt.Key_Return)
    assert queue.model.get_node(tasks[0]).parameters["detector_distance"] is None
    assert params.message.text() == "detector_distance set to auto"


def test_a_refused_field_shows_the_models_value_once_it_changes(form_app, qtbot):
    queue, params, _tree, tasks = form_app
    form = params.form
    energy = form.editors["energy"]
    low, high = queue.get_object_by_role("collect").energy.get_limits()
    type_into(qtbot, energy, f"{high + 5:g}")
    assert "energy" in form.refused
    type_into(qtbot, form.editors["num_images"], "12")  # another field: the mark stays
    assert "energy" in form.refused
    new = round((low + high) / 2, 3)
    queue.model.update_parameters(tasks[0], {"energy": new})  # a workflow sets it
    qtbot.waitUntil(lambda: "energy" not in form.refused, timeout=2000)
    assert energy.value() == pytest.approx(new)
    assert not form.reasons["energy"].isVisible() and energy.styleSheet() == ""
    assert "energy" not in params._pending
