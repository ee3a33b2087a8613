"""The XML-RPC server against the running GUI (default layout): a workflow's client
saves a snapshot with the sample view's overlays and asks the user through a dialog."""

from __future__ import annotations

import xmlrpc.client
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from PyQt5.QtWidgets import QApplication
from xmlrpc_fixtures import png_header

from helpers import wait_for

DIALOG = {
    "title": "Strategy check",
    "message": "Check the exposure",
    "fields": [
        {"name": "exposure", "label": "Exposure (s)", "type": "float", "default": 0.1},
        {"name": "images", "label": "Images", "type": "integer", "default": 900, "max": 3600},
    ],
}


@pytest.fixture
def gui(make_app):
    return make_app()


@pytest.fixture
def server(gui):
    return gui.repository.beamline.role("xmlrpc_server")


@pytest.fixture
def call(server):
    """``call(method, *args)``: a Future of the call made by a client in another thread
    (the GUI thread must stay free to answer it)."""
    pool = ThreadPoolExecutor(1)

    def run(method: str, *args) -> Future:
        def in_client():
            proxy = xmlrpc.client.ServerProxy(
                server.url, allow_none=True, headers=[("Token", server.token)]
            )
            try:
                return getattr(proxy, method)(*args)
            finally:
                proxy("close")()

        return pool.submit(in_client)

    yield run
    pool.shutdown(wait=True)


def result(qtbot, future: Future, timeout: int = 20000):
    qtbot.waitUntil(future.done, timeout=timeout)
    return future.result()


def test_save_snapshot_draws_the_sample_views_overlays(qtbot, gui, server, call, tmp_path):
    brick = gui.built.bricks["sample_view"]
    qtbot.waitUntil(lambda: brick.view.frame_item.qimage() is not None, timeout=10000)
    data_root = Path(gui.repository.get("session").get_base_directory())
    path = data_root / "workflow" / "snap.png"
    assert result(qtbot, call("save_snapshot", str(path), True)) is True
    header = png_header(path)
    assert (header["width"], header["height"]) == brick.view.image_size()
    assert header["bit_depth"] == 8 and header["colour_type"] in (2, 6)
    # the same image as the sample view's own snapshot with overlays (not the bare frame)
    from PyQt5.QtGui import QImage

    shot = QImage(str(path))
    bare = tmp_path / "bare.png"
    brick.save_snapshot(bare, with_overlays=False)
    beam_x, beam_y = (int(v) for v in gui.repository.get("diffractometer").get_beam_position())
    assert shot.pixel(beam_x, beam_y) != QImage(str(bare)).pixel(beam_x, beam_y)
    again = call("save_snapshot", str(path))
    qtbot.waitUntil(again.done, timeout=10000)
    with pytest.raises(xmlrpc.client.Fault, match="exists"):
        again.result()


def dialog_window(title: str):
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and widget.windowTitle() == title and hasattr(widget, "accept"):
            return widget
    return None


class FakeDialogs:
    """Stands for the GUI's dialog handler: keeps the requests, answered by the test."""

    def __init__(self) -> None:
        self.requests: list[tuple[object, Future]] = []

    def __call__(self, spec) -> Future:
        future: Future = Future()
        self.requests.append((spec, future))
        return future


def test_open_dialog_shows_the_gui_form_and_returns_what_the_user_typed(qtbot, server, call):
    """The running GUI installs its own dialog handler: the workflow's call waits while
    the user types into the form, then gets the values; Cancel gives the cancel marker."""
    from PyQt5.QtCore import Qt
    from PyQt5.QtWidgets import QDialogButtonBox, QSpinBox

    assert server.service.context.handler("open_dialog") is not None
    asked = call("open_dialog", DIALOG)
    qtbot.waitUntil(lambda: dialog_window("Strategy check") is not None, timeout=10000)
    dialog = dialog_window("Strategy check")
    images = dialog.findChild(QSpinBox, "images")
    assert images.maximum() == 3600  # the limit of the dict is the editor's
    images.setValue(1800)
    ok = dialog.buttons.button(QDialogButtonBox.Ok)
    qtbot.mouseClick(ok, Qt.LeftButton)
    assert result(qtbot, asked) == {"exposure": 0.1, "images": 1800}
    cancelled = call("open_dialog", DIALOG)
    qtbot.waitUntil(lambda: dialog_window("Strategy check") is not None, timeout=10000)
    qtbot.mouseClick(
        dialog_window("Strategy check").buttons.button(QDialogButtonBox.Cancel), Qt.LeftButton
    )
    assert result(qtbot, cancelled) == {"__cancelled__": True}
    qtbot.waitUntil(lambda: dialog_window("Strategy check") is None, timeout=5000)


def test_open_dialog_passes_the_spec_to_the_handler_and_converts_its_answer(qtbot, server, call):
    fake = FakeDialogs()
    server.set_handler("open_dialog", fake)
    asked = call("open_dialog", DIALOG)
    qtbot.waitUntil(lambda: len(fake.requests) == 1, timeout=10000)
    spec, answer = fake.requests[0]
    assert spec.title == "Strategy check" and [f.name for f in spec.fields] == [
        "exposure",
        "images",
    ]
    answer.set_result({"exposure": "0.5", "images": 1800})
    assert result(qtbot, asked) == {"exposure": 0.5, "images": 1800}
    cancelled = call("open_dialog", DIALOG)
    qtbot.waitUntil(lambda: len(fake.requests) == 2, timeout=10000)
    fake.requests[1][1].set_result(None)
    assert result(qtbot, cancelled) == {"__cancelled__": True}


def test_open_dialog_gives_the_defaults_after_its_timeout(qtbot, server, call):
    fake = FakeDialogs()
    server.set_handler("open_dialog", fake)
    asked = call("open_dialog", {**DIALOG, "timeout": 0.3})
    assert result(qtbot, asked) == {"exposure": 0.1, "images": 900}
    assert fake.requests[0][1].cancelled()  # the GUI closes its dialog
    bad = call("open_dialog", {**DIALOG, "fields": [{"name": "x", "type": "colour"}]})
    qtbot.waitUntil(bad.done, timeout=10000)
    with pytest.raises(xmlrpc.client.Fault, match="open_dialog: .*colour"):
        bad.result()


def test_a_workflow_script_drives_every_method_against_the_gui(qtbot, make_app, tmp_path):
    """One client calls each method of docs/contracts.md on the running GUI, as a workflow does."""
    from test_xmlrpc_methods import DESIGN_METHODS
    from xmlrpc_fixtures import QUICK

    from helpers import SIMULATED, quick_collect_overrides, speed_up

    app = make_app(repository_dirs=[quick_collect_overrides(tmp_path), SIMULATED])
    beamline = app.repository.beamline
    speed_up(beamline.role("diffractometer"))
    server = beamline.role("xmlrpc_server")
    server.set_handler("open_dialog", lambda spec: _answered(spec.defaults()))
    server.add_role("workflow", _EndRecorder())
    called: set[str] = set()

    def script() -> dict:
        proxy = xmlrpc.client.ServerProxy(
            server.url, allow_none=True, headers=[("Token", server.token)]
        )

        def c(method: str, *args):
            called.add(method)
            return getattr(proxy, method)(*args)

        out: dict = {}
        try:
            c("log_message", "workflow started")
            out["positions"] = c("get_diffractometer_positions")
            c("move_diffractometer", {"phiy": 0.05})
            out["moved"] = c("get_diffractometer_positions")["phiy"]
            levels = c("get_available_zoom_levels")
            c("set_zoom_level", levels[1])
            out["zoom"] = (c("get_zoom_level"), levels[1])
            c("set_front_light_level", 40)
            c("set_back_light_level", 60)
            out["lights"] = (c("get_front_light_level"), c("get_back_light_level"))
            out["point"] = c("save_current_pos")
            out["cp"] = c("get_cp")
            c("save_snapshot", str(tmp_path / "data" / "gui" / "a.png"))
            c("save_multiple_snapshots", [[10, str(tmp_path / "data" / "gui" / "b.png")]])
            out["flux"], out["beam"] = c("flux"), c("check_for_beam")
            c("set_aperture", c("get_aperture_list")[0])
            c("set_beam_size", [0.05, 0.05])
            out["aperture"], out["beam_size"] = c("get_aperture"), c("get_beam_size")
            out["template"] = c("get_default_path_template")
            out["defaults"] = c("get_default_acquisition_parameters")
            out["limits"] = c("get_resolution_limits")
            grid = c("shape_history_add_grid", {"num_cols": 3, "num_rows": 2})
            out["grid"] = c("shape_history_get_grid", grid)
            out["cells"] = c("shape_history_get_cell_positions", grid, [1, 6])
            c("shape_history_set_grid_data", grid, {"1": 1.0, "2": 5.0})
            out["grid_data"] = c("shape_history_get_grid_data", grid)
            app_shapes = beamline.role("shapes")
            app_shapes.active_grid_id = grid
            out["dozor"] = c("dozor_batch_processed", [{"image_num": 3, "score": 9.0}])
            app_shapes.active_grid_id = None
            out["dialog"] = c("open_dialog", DIALOG)
            sample = c("queue_add_child", 0, {"type": "Sample", "parameters": {"centring": "none"}})
            first = c("queue_add_child", sample, {"type": "DataCollection", "parameters": QUICK})
            second = c("queue_add_child", sample, {"type": "DataCollection", "parameters": QUICK})
            c("queue_set_workflow_lims_id", first, 77)
            out["first"] = c("queue_execute_entry_with_id", first)
            c("start_queue")
            wait_for(lambda: not c("is_queue_executing"), "the end of the queue")
            out["second"] = c("queue_get_node", second)
            c("workflow_end")
        finally:
            proxy("close")()
        return out

    pool = ThreadPoolExecutor(1)
    try:
        out = result(qtbot, pool.submit(script), timeout=60000)
    finally:
        pool.shutdown(wait=True)
    assert called == DESIGN_METHODS
    assert out["moved"] == pytest.approx(0.05, abs=1e-3)
    assert out["zoom"][0] == out["zoom"][1]
    assert out["lights"] == (pytest.approx(40.0), pytest.approx(60.0))
    assert out["point"] in out["cp"]
    assert png_header(tmp_path / "data" / "gui" / "a.png")["bit_depth"] == 8
    assert png_header(tmp_path / "data" / "gui" / "b.png")["bit_depth"] == 8
    assert out["flux"] > 0 and out["beam"] is True
    assert out["beam_size"][0] == pytest.approx(0.05)
    assert out["grid"]["steps_x"] == 3 and len(out["cells"]) == 2
    assert out["grid_data"]["values"]["2"] == pytest.approx(5.0)
    assert beamline.role("shapes").grid_results(out["grid"]["id"]).as_mapping()[3] == 9.0
    assert out["dialog"] == {"exposure": 0.1, "images": 900}
    assert out["first"] == "success"
    assert out["second"]["status"] == "success" and len(out["second"]["files"]) == 3
    assert server.get_object_by_role("workflow").ended == 1


def _answered(values: dict) -> Future:
    future: Future = Future()
    future.set_result(values)
    return future


class _EndRecorder:
    """Stands for the workflow client: counts ``workflow_end``."""

    def __init__(self) -> None:
        self.ended = 0

    def workflow_end(self) -> None:
        self.ended += 1
