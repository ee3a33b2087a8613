"""The XML-RPC methods on the simulated beamline, driven by a real client over HTTP:
diffractometer, snapshots, beam, setup, shapes and grid results, log, workflow, dozor."""

from __future__ import annotations

import http.client
import json
import logging
import threading
import xmlrpc.client
from concurrent.futures import Future
from typing import ClassVar

import pytest
from xmlrpc_fixtures import client, fault_of, png_header, quick_repository

from mxgui.core.hardware_object import HardwareObject

from helpers import wait_for

#: every method of docs/contracts.md (mxcubecore's names and mxgui's grid methods)
DESIGN_METHODS = {
    "start_queue",
    "is_queue_executing",
    "queue_add_child",
    "queue_get_node",
    "queue_execute_entry_with_id",
    "queue_set_workflow_lims_id",
    "log_message",
    "get_diffractometer_positions",
    "move_diffractometer",
    "save_snapshot",
    "save_multiple_snapshots",
    "get_cp",
    "save_current_pos",
    "get_zoom_level",
    "set_zoom_level",
    "get_available_zoom_levels",
    "get_front_light_level",
    "set_front_light_level",
    "get_back_light_level",
    "set_back_light_level",
    "flux",
    "check_for_beam",
    "get_beam_size",
    "set_beam_size",
    "get_aperture",
    "set_aperture",
    "get_aperture_list",
    "get_default_path_template",
    "get_default_acquisition_parameters",
    "get_resolution_limits",
    "shape_history_get_grid",
    "shape_history_set_grid_data",
    "shape_history_add_grid",
    "shape_history_get_cell_positions",
    "shape_history_get_grid_data",
    "open_dialog",
    "workflow_end",
    "dozor_batch_processed",
}

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures


@pytest.fixture
def server(beamline):
    return beamline.beamline.role("xmlrpc_server")


def test_the_server_listens_on_the_loopback_and_serves_every_method(server, proxy, caplog):
    assert server.url.startswith("http://127.0.0.1:")
    assert int(server.url.rsplit(":", 1)[1]) > 0
    served = set(proxy.system.listMethods())
    assert DESIGN_METHODS <= served
    assert "Show a form to the user" in proxy.system.methodHelp("open_dialog")


def test_the_port_from_the_command_line_wins(tmp_path, monkeypatch, caplog):
    with socket_port() as port:
        pass
    monkeypatch.setenv("MXGUI_XMLRPC_PORT", str(port))
    caplog.set_level(logging.INFO)
    repo = quick_repository(tmp_path)
    try:
        server = repo.beamline.role("xmlrpc_server")
        assert server.url == f"http://127.0.0.1:{port}"
        assert f"XML-RPC server listening on http://127.0.0.1:{port}" in caplog.text
        with client(server.url) as proxy:
            assert proxy.get_zoom_level()
    finally:
        repo.shutdown()


def socket_port():
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]

    class Closing:
        def __enter__(self):
            return port

        def __exit__(self, *exc):
            sock.close()

    return Closing()


# diffractometer -------------------------------------------------------------------------------
def test_move_diffractometer_returns_once_the_motors_are_there(beamline, proxy):
    diffractometer = beamline.get("diffractometer")
    assert proxy.move_diffractometer({"phiy": 0.2, "sampx": -0.1, "phi": 30}) is True
    positions = diffractometer.get_positions()
    assert positions["phiy"] == pytest.approx(0.2, abs=1e-3)
    assert positions["sampx"] == pytest.approx(-0.1, abs=1e-3)
    assert positions["phi"] == pytest.approx(30.0, abs=1e-2)
    assert proxy.get_diffractometer_positions()["phiy"] == pytest.approx(0.2, abs=1e-3)


def test_bad_moves_are_faults_naming_the_motor(beamline, proxy):
    fault = fault_of(proxy.move_diffractometer, {"phiy": 1e6})
    assert fault.faultCode == -32602
    assert "move_diffractometer" in fault.faultString and "limit" in fault.faultString
    assert "no motor 'nope'" in fault_of(proxy.move_diffractometer, {"nope": 1}).faultString
    assert "phiy" in fault_of(proxy.move_diffractometer, {"phiy": "far"}).faultString
    assert "expected a struct" in fault_of(proxy.move_diffractometer, [1, 2]).faultString
    assert beamline.get("diffractometer").get_positions()["phiy"] == pytest.approx(0.0)


def test_a_move_that_fails_is_a_fault_with_the_reason(beamline, proxy):
    motor = beamline.get("phiy")

    def broken(_value):
        from mxgui.core.futures import failed

        return failed(RuntimeError("amplifier fault on phiy"))

    motor._set_value = broken
    fault = fault_of(proxy.move_diffractometer, {"phiy": 0.3})
    assert fault.faultCode == -32500
    assert "amplifier fault on phiy" in fault.faultString
    assert proxy.get_zoom_level()  # still serving


def test_zoom_and_lights(beamline, proxy):
    levels = proxy.get_available_zoom_levels()
    assert len(levels) > 1
    assert proxy.set_zoom_level(levels[-1]) is True
    assert proxy.get_zoom_level() == levels[-1]
    assert beamline.get("diffractometer").get_zoom() == levels[-1]
    assert "no zoom level 'x99'" in fault_of(proxy.set_zoom_level, "x99").faultString
    assert proxy.set_front_light_level(35) is True
    assert proxy.get_front_light_level() == pytest.approx(35.0)
    assert proxy.set_back_light_level(70.5) is True
    assert proxy.get_back_light_level() == pytest.approx(70.5)
    assert fault_of(proxy.set_back_light_level, 500).faultCode == -32602


def test_save_current_pos_and_get_cp(beamline, proxy):
    proxy.move_diffractometer({"phiy": 0.15})
    point_id = proxy.save_current_pos()
    point = beamline.get("shapes").get(point_id)
    assert point.position.phiy == pytest.approx(0.15, abs=1e-3)
    saved = json.loads(proxy.get_cp())
    assert [p["label"] for p in saved] == [point_id]
    assert saved[0]["phiy"] == pytest.approx(0.15, abs=1e-3)


def test_save_snapshot_writes_the_camera_frame_as_rgb_png(tmp_path, proxy):
    path = tmp_path / "data" / "shots" / "deeper" / "snap.png"  # inside the data root
    assert proxy.save_snapshot(str(path)) is True
    assert png_header(path) == {
        "width": 1280,
        "height": 1024,
        "bit_depth": 8,
        "colour_type": 2,
    }
    fault = fault_of(proxy.save_snapshot, str(path))
    assert "exists; snapshots never overwrite" in fault.faultString
    assert "not an absolute path" in fault_of(proxy.save_snapshot, "rel.png").faultString
    wrong = fault_of(proxy.save_snapshot, str(tmp_path / "data" / "a.gif")).faultString
    assert "must end in .png, .jpg, .jpeg" in wrong


def test_save_multiple_snapshots_turns_omega_for_each(beamline, tmp_path, proxy):
    paths = [tmp_path / "data" / f"s_{angle}.png" for angle in (0, 90)]
    assert proxy.save_multiple_snapshots([[0, str(paths[0])], [90, str(paths[1])]]) is True
    assert all(png_header(p)["colour_type"] == 2 for p in paths)
    assert beamline.get("diffractometer").get_positions()["phi"] == pytest.approx(90, abs=0.01)
    # one bad path: nothing moves, nothing is written
    fresh = tmp_path / "data" / "new.png"
    fault = fault_of(proxy.save_multiple_snapshots, [[45, str(fresh)], [50, str(paths[0])]])
    assert "path_list[1][1]" in fault.faultString
    assert not fresh.exists()
    assert beamline.get("diffractometer").get_positions()["phi"] == pytest.approx(90, abs=0.01)


# beam and setup --------------------------------------------------------------------------------
def test_beam_size_and_aperture(beamline, proxy):
    apertures = proxy.get_aperture_list()
    assert apertures == beamline.get("beam").get_aperture_list()
    assert proxy.set_aperture("A20") is True
    assert proxy.get_aperture() == "A20"
    width, height, shape, label = proxy.get_beam_size()
    assert (width, height, label) == (pytest.approx(0.02), pytest.approx(0.02), "A20")
    assert shape in ("ellipse", "rectangle")
    assert proxy.set_beam_size([0.03, 0.03]) is True
    assert beamline.get("beam").get_aperture() == "A30"
    assert proxy.set_beam_size(0.05) is True
    assert proxy.get_beam_size()[0] == pytest.approx(0.05)
    assert proxy.set_beam_size("A10") is True
    assert proxy.get_aperture() == "A10"
    assert "no aperture 'A7'" in fault_of(proxy.set_aperture, "A7").faultString
    assert "no aperture gives" in fault_of(proxy.set_beam_size, [0.001, 0.001]).faultString


def test_flux_and_beam_check(beamline, proxy):
    assert proxy.flux() == pytest.approx(beamline.get("flux").get_value())
    assert proxy.flux() > 0
    assert proxy.check_for_beam() is True


def test_defaults_and_limits(beamline, proxy):
    template = proxy.get_default_path_template()
    assert template["directory"].startswith("/") and template["prefix"]
    parameters = proxy.get_default_acquisition_parameters()
    assert {"osc_start", "osc_range", "num_images", "exp_time", "energy"} <= set(parameters)
    low, high = proxy.get_resolution_limits()
    assert (low, high) == pytest.approx(beamline.get("resolution").get_limits())


# shapes ----------------------------------------------------------------------------------------
def test_add_a_grid_read_it_and_its_cells(beamline, proxy):
    proxy.move_diffractometer({"phiy": 0.1})
    grid_id = proxy.shape_history_add_grid(
        {"num_cols": 4, "num_rows": 3, "cell_width_mm": 0.02, "cell_height_mm": 0.01}
    )
    grid = beamline.get("shapes").get(grid_id)
    assert (grid.num_cols, grid.num_rows, grid.scan_order) == (4, 3, "zigzag")
    assert grid.centre.phiy == pytest.approx(0.1, abs=1e-3)
    data = proxy.shape_history_get_grid(grid_id)
    assert (data["steps_x"], data["steps_y"]) == (4, 3)
    assert (data["dx_mm"], data["dy_mm"]) == (pytest.approx(0.02), pytest.approx(0.01))
    assert (data["x1"], data["y1"]) == (pytest.approx(-0.03), pytest.approx(-0.01))
    assert data["motor_positions"]["phiy"] == pytest.approx(0.1, abs=1e-3)
    assert data["beam_width"] > 0 and data["angle"] == pytest.approx(0.0, abs=0.01)
    first, last = proxy.shape_history_get_cell_positions(grid_id, [1, "12"])
    expected = grid.cell_position(*grid.cell_of_index(1)).motor_positions()
    assert first == pytest.approx(expected)
    assert last == pytest.approx(grid.cell_position(*grid.cell_of_index(12)).motor_positions())
    assert (
        "outside grid"
        in fault_of(proxy.shape_history_get_cell_positions, grid_id, [13]).faultString
    )


def test_a_grid_at_given_motor_positions_with_the_beam_as_cells(beamline, proxy):
    centre = {"phi": 0, "phiy": -0.2, "phiz": 0, "sampx": 0.05, "sampy": 0}
    grid_id = proxy.shape_history_add_grid(
        {"num_cols": 2, "num_rows": 1, "centre": centre, "scan_order": "raster", "name": "x"}
    )
    grid = beamline.get("shapes").get(grid_id)
    assert grid.centre.phiy == pytest.approx(-0.2) and grid.name == "x"
    assert (grid.cell_width_mm, grid.cell_height_mm) == beamline.get("beam").get_beam_size()


def test_bad_grids_and_unknown_shapes_are_faults(proxy):
    assert "num_cols missing" in fault_of(proxy.shape_history_add_grid, {"num_rows": 2}).faultString
    assert (
        "unknown key(s) colour"
        in fault_of(
            proxy.shape_history_add_grid, {"num_cols": 1, "num_rows": 1, "colour": 1}
        ).faultString
    )
    assert (
        "num_cols must be"
        in fault_of(proxy.shape_history_add_grid, {"num_cols": 0, "num_rows": 1}).faultString
    )
    fault = fault_of(proxy.shape_history_get_grid, "G99")
    assert fault.faultCode == -32602 and "no shape 'G99'" in fault.faultString
    point = proxy.save_current_pos()
    assert "is a point, not a grid" in fault_of(proxy.shape_history_get_grid, point).faultString


def test_grid_results_in_and_out(beamline, proxy, tmp_path):
    grid_id = proxy.shape_history_add_grid({"num_cols": 3, "num_rows": 2})
    first_image = str(tmp_path / "data" / "x.h5")  # inside the session's data root
    assert proxy.shape_history_set_grid_data(grid_id, {"1": 0.5, "6": 2.0}, first_image) is True
    stored = proxy.shape_history_get_grid_data(grid_id)
    assert stored["values"]["1"] == pytest.approx(0.5)
    assert stored["values"]["6"] == pytest.approx(2.0)
    assert stored["data_file_path"] == first_image
    assert proxy.shape_history_set_grid_data(grid_id, {"2": [255, 0, 0, 128]})
    assert proxy.shape_history_get_grid_data(grid_id)["values"]["2"] == [255, 0, 0, 128]
    bad_cell = fault_of(proxy.shape_history_set_grid_data, grid_id, {"7": 1.0})
    assert bad_cell.faultCode == -32602 and "7" in bad_cell.faultString
    assert "below 1" in fault_of(proxy.shape_history_set_grid_data, grid_id, {"0": 1}).faultString
    assert fault_of(proxy.shape_history_set_grid_data, grid_id, {"1": -1.0}).faultCode == -32602
    assert "G9" in fault_of(proxy.shape_history_set_grid_data, "G9", {"1": 1.0}).faultString
    assert (
        "[r, g, b, a]"
        in fault_of(proxy.shape_history_set_grid_data, grid_id, {"1": [1, 2]}).faultString
    )


def test_dozor_scores_go_to_the_grid_being_scanned(beamline, proxy):
    shapes = beamline.get("shapes")
    grid_id = proxy.shape_history_add_grid({"num_cols": 2, "num_rows": 2})
    fault = fault_of(proxy.dozor_batch_processed, [{"image_num": 1, "score": 1.0}])
    assert fault.faultCode == -32500 and "no mesh scan" in fault.faultString
    shapes.active_grid_id = grid_id
    try:
        batch = [
            {"image_num": 1, "spots_num_of": 12, "spots_int_aver": 3.0},
            {"image_num": 2, "score": 4.5, "spots_resolution": 2.1},
            {"image_num": "4", "spots_num": 7},
        ]
        assert proxy.dozor_batch_processed(batch) == 3
        values = proxy.shape_history_get_grid_data(grid_id)["values"]
        assert values["1"] == pytest.approx(12.0)
        assert values["2"] == pytest.approx(4.5)
        assert values["4"] == pytest.approx(7.0)
        assert "no score" in fault_of(proxy.dozor_batch_processed, [{"image_num": 3}]).faultString
        assert "no image_num" in fault_of(proxy.dozor_batch_processed, [{"score": 3}]).faultString
    finally:
        shapes.active_grid_id = None


# log and workflow ------------------------------------------------------------------------------
def test_log_message_reaches_the_log(proxy, caplog):
    caplog.set_level(logging.INFO)
    assert proxy.log_message("centring done", "warning") is True
    assert proxy.log_message("collecting") is True
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "mxgui.workflow"]
    assert ("WARNING", "centring done") in records and ("INFO", "collecting") in records
    assert "not one of" in fault_of(proxy.log_message, "x", "loud").faultString


class FakeWorkflow(HardwareObject):
    """A workflow client that records ``workflow_end``."""

    SIGNALS: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        super().__init__("/fake_workflow")
        self.ended = 0

    def workflow_end(self) -> None:
        self.ended += 1


def test_workflow_end_tells_the_workflow_client(server, proxy):
    had = server.get_object_by_role("workflow")
    if had is None:
        fault = fault_of(proxy.workflow_end)
        assert fault.faultCode == -32500 and "no workflow" in fault.faultString
    fake = FakeWorkflow()
    server.add_role("workflow", fake)
    try:
        assert proxy.workflow_end() is True
        assert fake.ended == 1
    finally:
        if had is not None:
            server.add_role("workflow", had)


def test_open_dialog_without_a_gui_is_a_fault(proxy):
    dialog = {"title": "Go?", "fields": [{"name": "n", "type": "integer", "default": 3}]}
    fault = fault_of(proxy.open_dialog, dialog)
    assert fault.faultCode == -32500 and "no GUI" in fault.faultString
    assert fault_of(proxy.open_dialog, {"title": "no fields"}).faultCode == -32602


def test_a_call_waiting_for_the_user_blocks_no_one_and_ends_when_the_server_stops(server):
    asked: list[Future] = []

    def never_answered(spec):
        asked.append(Future())
        return asked[-1]

    server.set_handler("open_dialog", never_answered)
    dialog = {"title": "Go?", "fields": [{"name": "n", "type": "integer", "default": 3}]}
    outcome: list = []

    def ask() -> None:
        with client(server.url) as waiting:
            try:
                outcome.append(waiting.open_dialog(dialog))
            except (xmlrpc.client.Fault, OSError, http.client.HTTPException) as exc:
                outcome.append(exc)

    asking = threading.Thread(target=ask, name="waits for the user")
    asking.start()
    with client(server.url) as other:
        wait_for(lambda: asked, "the dialog asked for")
        # another workflow's calls are served while the first waits for the user
        assert set(other.get_diffractometer_positions()) >= {"phi", "phiy", "phiz"}
        assert other.log_message("still here") is True
    server.shutdown()  # the GUI quits while the dialog is open
    asking.join(30)
    assert not asking.is_alive(), "the call waiting for the dialog outlived the server"
    assert asked[0].cancelled(), "the GUI was not told to close the dialog"
    if isinstance(outcome[0], xmlrpc.client.Fault):  # unless the connection closed first
        assert "shutting down" in outcome[0].faultString
    else:
        assert not isinstance(outcome[0], dict), f"the stopped server answered {outcome[0]}"
