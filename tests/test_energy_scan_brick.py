"""The energy scan brick plots a scan live, marks peak / inflection / remote when it
ends, and makes MAD collections from a queue energy scan."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hardware_objects.abstract.energy_scan import ScanParameters
from mxgui.core.acquisition import PathTemplate

from helpers import ROOT, SIMULATED, TEST_LAYOUTS, events_delivered, quick_collect_overrides

LAYOUT = TEST_LAYOUTS / "energy_scan.yml"
#: a quick Se K scan: 101 points of 1 eV, 5 ms each
QUICK_SCAN = ScanParameters(step_ev=1.0, count_time=0.005)


@pytest.fixture
def setup(make_app, tmp_path):
    app = make_app(LAYOUT, [quick_collect_overrides(tmp_path), SIMULATED])
    brick = app.built.bricks["energy_scan"]
    scanner = app.repository.get("/energy_scan")
    yield app, brick, scanner
    scanner.stop_energy_scan()


def curve_points(brick) -> int:
    curve = brick.plot.getCurve("scan")
    return 0 if curve is None else len(curve.getXData(copy=False))


def test_a_scan_is_plotted_live_and_its_energies_marked(setup, qtbot, tmp_path):
    _app, brick, scanner = setup
    assert brick.state_label.text() == "No scan"
    assert not brick.mad_button.isEnabled()  # no queue scan yet
    path = PathTemplate(directory=str(tmp_path / "scan"), prefix="se", run_number=1)
    with qtbot.waitSignal(brick.scanEnded, timeout=10000) as ended:
        future = scanner.start_energy_scan(ScanParameters(step_ev=1.0, count_time=0.02), path)
        # live: part of the points drawn before the end, in one curve
        qtbot.waitUntil(lambda: 5 <= curve_points(brick) < 101, timeout=5000)
        assert brick.state_label.text() == "Scanning"
        assert len(brick.plot.getItems()) == 1
    assert ended.args == [True]
    result = future.result(timeout=5)
    assert curve_points(brick) == 101 == len(result["energies"])
    curve = brick.plot.getCurve("scan")
    assert list(curve.getXData()) == result["energies"]
    assert list(curve.getYData()) == result["counts"]
    markers = {m.getName(): m.getXPosition() for m in brick.plot.getItems() if m is not curve}
    low, high = brick.plot.getXAxis().getLimits()
    assert low < min(markers.values()) and max(markers.values()) < high  # all three shown
    assert markers == {k: result[k] for k in ("peak", "inflection", "remote")}
    truth = scanner.true_energies("Se", "K")
    assert abs(markers["inflection"] - truth["inflection"]) < 0.002  # 2 eV
    assert abs(markers["inflection"] - 12.658) < 0.002  # the Se K edge, shifted 1.3 eV
    assert markers["remote"] == pytest.approx(markers["inflection"] + 0.1)
    text = brick.energies_label.text()
    for key in ("peak", "inflection", "remote"):
        assert f"{key}: {result[key]:.4f} keV" in text
    assert brick.state_label.text() == "Finished"
    assert not brick.mad_button.isEnabled()  # a scan outside the queue: no entry to follow
    shot = os.environ.get("MXGUI_SCREENSHOT")
    if shot:
        events_delivered(qtbot)  # the plot redraws on the event loop
        brick.window().grab().save(shot)


def test_a_stopped_scan_shows_why(setup, qtbot, tmp_path):
    _app, brick, scanner = setup
    path = PathTemplate(directory=str(tmp_path / "scan"), prefix="se", run_number=1)
    scanner.start_energy_scan(ScanParameters(step_ev=0.5, count_time=0.02), path)
    qtbot.waitUntil(lambda: curve_points(brick) >= 3, timeout=5000)
    with qtbot.waitSignal(brick.scanEnded, timeout=5000) as ended:
        scanner.stop_energy_scan()
    assert ended.args == [False]
    assert brick.state_label.text() == "Failed"
    assert "stopped" in brick.energies_label.text()
    assert curve_points(brick) >= 3
    assert not [m for m in brick.plot.getItems() if m.getName() != "scan"]  # no markers


def test_mad_collections_from_a_queue_energy_scan(setup, qtbot):
    app, brick, _scanner = setup
    queue = app.repository.get("/queue")
    model = queue.model
    sample = model.add(
        0, "Sample", queue.factory.create("Sample", {"location": None, "centring": "none"})
    )
    values = queue.factory.create(
        "EnergyScan",
        {"step_ev": 1.0, "count_time": 0.005},
        sample=model.get_node(sample).parameters,
    )
    scan = model.add(sample, "EnergyScan", values)
    queue.engine.run_all()
    qtbot.waitUntil(brick.mad_button.isEnabled, timeout=15000)
    assert brick.scan_node == scan
    qtbot.waitUntil(lambda: not queue.engine.is_running(), timeout=5000)
    results = model.get_node(scan).results
    assert brick.result == {k: results[k] for k in ("peak", "inflection", "remote")}
    added = brick.create_mad_collections()
    assert len(added) == 3
    assert model.get_node(sample).children == (scan, *added)
    energies = [model.get_node(n).parameters["energy"] for n in added]
    assert energies == [results[k] for k in ("peak", "inflection", "remote")]


def test_silx_is_not_imported_at_start_up_without_the_brick():
    code = (
        "import sys, bricks.energy_scan_brick, mxgui.gui.application;"
        "print('silx.gui.plot' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_in_the_default_layout_the_plot_is_made_when_its_tab_is_first_opened(make_app, qtbot):
    import sys

    from helpers import show_brick

    app = make_app()
    brick = app.built.bricks["energy_scan"]
    assert not brick.isVisible(), "its tab is not the current one at start"
    assert brick.plot is None
    show_brick(brick)
    qtbot.waitUntil(lambda: brick.plot is not None, timeout=5000)
    assert "silx.gui.plot" in sys.modules
    assert brick.plot.isVisible()
