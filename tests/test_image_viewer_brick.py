"""The image viewer brick on the simulated beamline: it follows a real collection to its
last image, a real mesh scan to its best-scoring frame, and shows what it is asked for
(pytest-qt, offscreen)."""

from __future__ import annotations

import fabio
import h5py
import numpy as np
import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import QTabWidget

from mxgui.core.acquisition import AcquisitionParameters
from mxgui.core.centring import CentredPosition

from helpers import SIMULATED, quick_collect_overrides, show_brick, speed_up

LAYOUT = """\
format_version: 1
windows:
  - name: main
    title: mxgui - images
    size: [900, 900]
    content:
      type: vbox
      children:
        - class: ImageViewerBrick
          name: images
          properties: {collect: /collect, shapes: /shapes, queue: /queue}
connections: []
"""
MESH = {"exp_time": 0.001, "osc_range": 1.0, "take_snapshots": 0, "detector_distance": 150.0}


@pytest.fixture
def setup(make_app, tmp_path, qtbot):
    layout = tmp_path / "images.yml"
    layout.write_text(LAYOUT)
    app = make_app(layout, [quick_collect_overrides(tmp_path), SIMULATED])
    brick = app.built.bricks["images"]
    qtbot.waitUntil(lambda: brick.viewer is not None, timeout=5000)
    collect = app.repository.get("/collect")
    app.repository.get("/phi").set_velocity(3600.0)
    yield app, brick, collect
    collect.stop_collect()


def test_following_a_collection_ends_on_its_last_image(setup, qtbot):
    _app, brick, collect = setup
    assert brick.follow_box.isChecked()
    shown: list[str] = []
    brick.imageShown.connect(shown.append)
    parameters = AcquisitionParameters(
        num_images=12,
        osc_range=1.0,
        exp_time=0.02,
        detector_distance=150.0,
        take_snapshots=0,
        detector_roi_mode="test",
    )
    info = collect.collect(parameters, collect.get_default_path_template(prefix="fol")).result(30)
    last = info["files"][-1]
    qtbot.waitUntil(lambda: brick.viewer.frame is not None and brick.viewer.frame.path == last)
    assert shown and shown[-1] == last
    assert set(shown) <= set(info["files"])
    frame = brick.viewer.frame
    assert np.array_equal(frame.counts, fabio.open(last).data)
    # the header's geometry: rings drawn, the beamline's distance read back
    assert frame.geometry is not None and frame.geometry.distance == pytest.approx(150.0)
    assert "following" in brick.follow_label.text()


def test_an_image_asked_for_stops_following(setup, qtbot):
    _app, brick, collect = setup
    parameters = AcquisitionParameters(
        num_images=3, osc_range=1.0, exp_time=0.0, detector_distance=150.0,
        take_snapshots=0, detector_roi_mode="test",
    )  # fmt: skip
    info = collect.collect(parameters, collect.get_default_path_template(prefix="ask")).result(30)
    first = info["files"][0]
    with qtbot.waitSignal(brick.imageShown, timeout=10_000, check_params_cb=lambda p: p == first):
        brick.show_image(first)
    assert not brick.follow_box.isChecked()
    assert brick.viewer.frame.path == first
    # another collection does not take the image away
    collect.collect(parameters, collect.get_default_path_template(prefix="ask")).result(30)
    qtbot.wait(300)
    assert brick.viewer.frame.path == first


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_following_a_mesh_shows_its_best_frame(setup, qtbot):
    app, brick, _collect = setup
    queue, shapes = app.repository.get("/queue"), app.repository.get("/shapes")
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    diffractometer.move_motors({"phi": 0.0}, timeout=30)
    positions = diffractometer.scene.centring_positions()
    centre = CentredPosition(phi=0.0, **{k: float(v) for k, v in positions.items()})
    grid = shapes.add_grid(centre, 4, 3, 0.03, 0.03)
    sample = queue.add_sample(None, "manual")
    queue.model.update_parameters(sample, {"centring": "none"})
    task = queue.add_task(sample, "MeshScan", dict(MESH, grid_id=grid.id))
    queue.engine.run(task)
    qtbot.waitUntil(lambda: queue.model.get_node(task).status == "success", timeout=60_000)
    results = shapes.grid_results(grid.id)
    qtbot.waitUntil(lambda: results.count == 12 or shapes.grid_results(grid.id).count == 12)
    results = shapes.grid_results(grid.id)
    best = results.best_cells(1)[0]
    best_file = sorted(queue.model.get_node(task).files)[best - 1]
    assert best_file.endswith(f"_{best:05d}.cbf")
    qtbot.waitUntil(
        lambda: brick.viewer.frame is not None and brick.viewer.frame.path == best_file,
        timeout=10_000,
    )
    assert f"cell {best}" in brick.follow_label.text()
    assert np.array_equal(brick.viewer.frame.counts, fabio.open(best_file).data)


OPENING_LAYOUT = """\
format_version: 1
windows:
  - name: main
    title: mxgui - opening images
    size: [1200, 900]
    content:
      type: hsplitter
      children:
        - class: QueueHistoryBrick
          name: queue_history
          properties: {queue: /queue}
        - type: tab
          children:
            - type: vbox
              label: Mesh results
              children:
                - class: MeshResultsBrick
                  name: mesh_results
                  properties: {shapes: /shapes, diffractometer: /diffractometer, queue: /queue}
            - type: vbox
              label: Images
              children:
                - class: ImageViewerBrick
                  name: images
                  properties: {collect: /collect, shapes: /shapes, queue: /queue}
connections:
  - {sender: queue_history, signal: imageRequested, receiver: images, slot: show_image}
  - {sender: mesh_results, signal: imageRequested, receiver: images, slot: show_image}
"""


@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_the_history_and_the_mesh_results_open_images_in_the_viewer(make_app, tmp_path, qtbot):
    layout = tmp_path / "opening.yml"
    layout.write_text(OPENING_LAYOUT)
    app = make_app(layout, [quick_collect_overrides(tmp_path), SIMULATED])
    history, mesh = app.built.bricks["queue_history"], app.built.bricks["mesh_results"]
    images = app.built.bricks["images"]
    queue, shapes = app.repository.get("/queue"), app.repository.get("/shapes")
    diffractometer = app.repository.get("/diffractometer")
    speed_up(diffractometer)
    diffractometer.move_motors({"phi": 0.0}, timeout=30)
    positions = diffractometer.scene.centring_positions()
    centre = CentredPosition(phi=0.0, **{k: float(v) for k, v in positions.items()})
    grid = shapes.add_grid(centre, 3, 2, 0.03, 0.03)
    sample = queue.add_sample(None, "manual")
    queue.model.update_parameters(sample, {"centring": "none"})
    task = queue.add_task(sample, "MeshScan", dict(MESH, grid_id=grid.id))
    queue.engine.run(task)
    qtbot.waitUntil(lambda: queue.model.get_node(task).status == "success", timeout=60_000)
    files = sorted(queue.model.get_node(task).files)
    tabs = tab_widget_of(images)
    assert tabs.currentWidget() is not page_of(images, tabs)  # "Mesh results" in front
    assert images.viewer is None or images.viewer.frame is None  # hidden: nothing read

    # the history: a double-click on the mesh's row asks for its first image
    qtbot.waitUntil(lambda: history.table is not None and history.table.rowCount() >= 1)
    index = history.table.index(0, 0)
    history.view.selectRow(0)
    assert history.open_action.isEnabled()
    with qtbot.waitSignal(history.imageRequested, timeout=3000) as asked:
        history.view.doubleClicked.emit(index)
    assert asked.args == [files[0]]
    assert not images.follow_box.isChecked()  # asked for: the image stays
    # the Images tab comes to the front by itself, and the image is read
    assert tabs.currentWidget() is page_of(images, tabs) and images.isVisible()
    qtbot.waitUntil(lambda: images.viewer is not None and images.viewer.frame is not None)
    assert images.viewer.frame.path == files[0]

    # the mesh results: pick cell 5, "Open in image viewer"
    show_brick(mesh)
    qtbot.waitUntil(lambda: mesh.plot is not None, timeout=5000)
    mesh.pick_cell(5)
    assert mesh.open_button.isEnabled()
    with qtbot.waitSignal(mesh.imageRequested, timeout=3000) as asked:
        qtbot.mouseClick(mesh.open_button, Qt.LeftButton)
    assert asked.args == [files[4]]
    assert tabs.currentWidget() is page_of(images, tabs)
    qtbot.waitUntil(lambda: images.viewer.frame.path == files[4], timeout=10_000)


def tab_widget_of(widget):
    tabs = widget.parentWidget()
    while not isinstance(tabs, QTabWidget):
        tabs = tabs.parentWidget()
    return tabs


def page_of(widget, tabs):
    while widget.parentWidget() is not None and tabs.indexOf(widget) < 0:
        widget = widget.parentWidget()
    return widget


def test_the_default_layout_has_one_images_tab_connected_to_history_and_mesh_results(
    make_app, tmp_path, qtbot
):
    from mxgui.gui.layout import load_layout
    from mxgui.gui.layout_check import check_layout

    from helpers import DEFAULT_LAYOUT

    layout = load_layout(DEFAULT_LAYOUT)
    check_layout(layout)
    assert layout.all_errors() == []
    app = make_app(DEFAULT_LAYOUT, [quick_collect_overrides(tmp_path), SIMULATED])
    viewers = [b for b in app.built.bricks.values() if type(b).__name__ == "ImageViewerBrick"]
    assert [b.name for b in viewers] == ["image_viewer"]
    images = viewers[0]
    assert images.failure is None
    tabs = tab_widget_of(images)
    labels = [tabs.tabText(k) for k in range(tabs.count())]
    assert labels.count("Images") == 1
    assert labels.index("Images") == labels.index("Mesh results") + 1
    collect = app.repository.get("/collect")
    parameters = AcquisitionParameters(
        num_images=2, osc_range=1.0, exp_time=0.0, detector_distance=150.0,
        take_snapshots=0, detector_roi_mode="test",
    )  # fmt: skip
    info = collect.collect(parameters, collect.get_default_path_template(prefix="dl")).result(30)
    for sender, path in (("queue_history", info["files"][0]), ("mesh_results", info["files"][1])):
        app.built.bricks[sender].imageRequested.emit(path)  # the layout's two connections
        assert tabs.tabText(tabs.currentIndex()) == "Images"
        qtbot.waitUntil(
            lambda path=path: (
                images.viewer is not None
                and images.viewer.frame is not None
                and images.viewer.frame.path == path
            ),
            timeout=10_000,
        )


def test_following_an_hdf5_collection_shows_the_last_frame_of_its_master_file(
    make_app, tmp_path, qtbot
):
    layout = tmp_path / "images.yml"
    layout.write_text(LAYOUT)
    overrides = quick_collect_overrides(tmp_path)
    detector = (SIMULATED / "detector.xml").read_text()
    assert "<file_suffix>cbf</file_suffix>" in detector
    (overrides / "detector.xml").write_text(
        detector.replace("<file_suffix>cbf</file_suffix>", "<file_suffix>h5</file_suffix>")
    )
    app = make_app(layout, [overrides, SIMULATED])
    brick = app.built.bricks["images"]
    qtbot.waitUntil(lambda: brick.viewer is not None, timeout=5000)
    collect = app.repository.get("/collect")
    app.repository.get("/phi").set_velocity(3600.0)
    parameters = AcquisitionParameters(
        num_images=4, osc_range=1.0, exp_time=0.0, detector_distance=180.0,
        take_snapshots=0, detector_roi_mode="test",
    )  # fmt: skip
    info = collect.collect(parameters, collect.get_default_path_template(prefix="h")).result(30)
    master = info["files"][-1]
    assert master.endswith("_master.h5")
    qtbot.waitUntil(lambda: brick.viewer.frame is not None, timeout=10_000)
    frame = brick.viewer.frame
    assert (frame.path, frame.index, frame.count) == (master, 3, 4)
    with h5py.File(master, "r") as f:
        assert np.array_equal(frame.counts, f["entry/data/data_000001"][3])
    assert frame.geometry is not None and frame.geometry.distance == pytest.approx(180.0)
    assert brick.viewer.frame_spin.isEnabled() and brick.viewer.frame_spin.value() == 4
    assert "HDF5" in brick.follow_label.text() and "master file" in brick.follow_label.text()
    # the user steps back twice with the frame box's arrow: following stops
    brick.viewer.frame_spin.stepDown()
    brick.viewer.frame_spin.stepDown()
    qtbot.waitUntil(lambda: brick.viewer.frame.index == 1, timeout=10_000)
    assert "frame 2 / 4" in brick.viewer.file_label.text()
    assert not brick.follow_box.isChecked()


def test_the_viewer_is_built_at_idle_before_its_tab_is_first_shown(make_app, tmp_path, qtbot):
    layout = tmp_path / "hidden.yml"
    layout.write_text(OPENING_LAYOUT)
    app = make_app(layout, [quick_collect_overrides(tmp_path), SIMULATED])
    images = app.built.bricks["images"]
    assert not images.isVisible()  # "Mesh results" is in front
    qtbot.waitUntil(lambda: images.viewer is not None, timeout=30_000)
    assert not images.isVisible()
    assert images.viewer.frame is None  # built, nothing read while hidden
