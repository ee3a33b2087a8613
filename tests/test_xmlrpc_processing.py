"""Online processing's calls replayed in their callers' own forms against the real
XML-RPC server of the simulated beamline: edna-mx's Dozor plugins (a list of structs
with ``index``, ``dozor_score``, ``dozorSpotsNumOf``...), mxcubecore's online processing
(arrays ``(image_num, spots_num, spots_int_aver, spots_resolution, score)``), Dozor's
status, a processing pipeline's status for a collection, and the image number the
collection reached."""

from __future__ import annotations

import base64
import logging
import struct
import xmlrpc.client

import pytest
from test_xmlrpc_token import server_with_token
from xmlrpc_fixtures import QUICK, fault_message

from mxgui.core.centring import CentredPosition

from helpers import wait_for

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures


@pytest.fixture
def scanned_grid(beamline, proxy):
    """A 4 x 3 grid whose mesh scan is collecting from image 1 in the grid's own order
    (image n is cell n), and the shapes object."""
    shapes = beamline.get("shapes")
    grid_id = proxy.shape_history_add_grid({"num_cols": 4, "num_rows": 3})
    shapes.start_scan(grid_id, first_image=1)
    yield grid_id, shapes
    shapes.active_grid_id = None


def edna_item(number: int, score: float, spots: int) -> dict:
    """One image as edna-mx's EDPluginControlDozor sends it to ``dozor_batch_processed``."""
    spot_list = struct.pack("<4d", 512.0, 498.5, 120.0, 3.1)
    return {
        "index": number,
        "imageName": f"/data/visit/mesh_1_{number:05d}.cbf",
        "dozor_score": score,
        "dozorSpotsNumOf": spots,
        "dozorSpotFile": f"/tmp/dozor/{number:05d}.spot",
        "dozorSpotList": base64.b64encode(spot_list).decode(),
        "dozorSpotListShape": [1, 4],
        "dozorSpotsIntAver": 71.4,
        "dozorSpotsResolution": 2.35,
    }


def cell_values(proxy, grid_id) -> dict[str, float]:
    return proxy.shape_history_get_grid_data(grid_id)["values"]


# dozor_batch_processed ------------------------------------------------------------------------
def test_edna_mx_dozor_dicts_colour_the_cells_of_the_scanned_grid(scanned_grid, proxy):
    grid_id, shapes = scanned_grid
    batch = [edna_item(1, 12.5, 40), edna_item(2, 0.0, 0), edna_item(7, 3.25, 9)]
    assert proxy.dozor_batch_processed(batch) == 3
    assert cell_values(proxy, grid_id) == {"1": 12.5, "2": 0.0, "7": 3.25}
    assert shapes.grid_results(grid_id).count == 3


def test_mxcubecore_tuples_colour_the_cells_by_their_score(scanned_grid, proxy):
    grid_id, _shapes = scanned_grid
    # (image_num, spots_num, spots_int_aver, spots_resolution, score): the score is last
    batch = [(3, 25, 80.5, 2.1, 6.5), (4, 2, 10.0, 4.0, 0.5)]
    assert proxy.dozor_batch_processed(batch) == 2
    assert proxy.dozor_batch_processed([12, 30, 60.0, 1.9, 9.0]) == 1  # one, unwrapped
    assert cell_values(proxy, grid_id) == {"3": 6.5, "4": 0.5, "12": 9.0}


def test_one_edna_mx_dict_not_wrapped_in_a_list_is_one_item(scanned_grid, proxy):
    grid_id, _shapes = scanned_grid
    assert proxy.dozor_batch_processed(edna_item(3, 2.0, 1)) == 1
    assert proxy.dozor_batch_processed({"a": edna_item(4, 1.0, 1)}) == 1  # a struct of items
    assert cell_values(proxy, grid_id) == {"3": 2.0, "4": 1.0}


def test_edna_mx_as_it_calls_no_token_header_no_allow_none_base64_spots(tmp_path, beamline):
    """edna-mx's ``ServerProxy(uri)`` sends no Token header: the default server refuses
    it (401), one with ``<token>none</token>`` takes its batch, ``dozorSpotList`` as
    ``<base64>`` bytes (v1_0) included."""
    plain = xmlrpc.client.ServerProxy(beamline.beamline.role("xmlrpc_server").url)
    with pytest.raises(xmlrpc.client.ProtocolError) as refused:
        plain.dozor_batch_processed([edna_item(1, 1.0, 1)])
    assert refused.value.errcode == 401
    (tmp_path / "open").mkdir()
    repository = server_with_token(tmp_path / "open", "none")
    try:
        shapes = repository.get("shapes")
        grid = shapes.add_grid(CentredPosition(phi=0, phiy=0, phiz=0, sampx=0, sampy=0),
                               3, 2, 0.01, 0.01)  # fmt: skip
        shapes.start_scan(grid.id, first_image=1)
        edna = xmlrpc.client.ServerProxy(repository.beamline.role("xmlrpc_server").url)
        item = edna_item(2, 6.5, 12)
        item["dozorSpotList"] = base64.b64encode(struct.pack("<4d", 1, 2, 3, 4))  # bytes
        assert edna.dozor_batch_processed([item]) == 1
        assert shapes.grid_results(grid.id).as_mapping() == {2: 6.5}
        assert shapes.grid_results(grid.id).spot_counts() == {2: 12}
        edna("close")()
    finally:
        repository.shutdown()


def test_a_key_sent_as_none_falls_through_and_edna2_names_are_read(scanned_grid, proxy):
    grid_id, shapes = scanned_grid
    unset = {"index": 5, "imageName": "/data/x_00005.cbf", "dozor_score": None,
             "dozorSpotsNumOf": 7}  # fmt: skip
    assert proxy.dozor_batch_processed([unset, {"number": 6, "dozorScore": 2.5}]) == 2
    assert cell_values(proxy, grid_id) == {"5": 7.0, "6": 2.5}
    assert shapes.grid_results(grid_id).spot_counts() == {5: 7}


def test_mxguis_own_form_still_works_beside_the_others(scanned_grid, proxy):
    grid_id, _shapes = scanned_grid
    batch = [{"image_num": 5, "score": 1.5}, edna_item(6, 2.5, 3), [8, 1, 1.0, 3.0, 4.5]]
    assert proxy.dozor_batch_processed(batch) == 3
    assert cell_values(proxy, grid_id) == {"5": 1.5, "6": 2.5, "8": 4.5}


def test_image_numbers_map_from_first_image_in_the_scans_order(beamline, proxy):
    """A raster grid scanned in zigzag from image 10: image 10 + k is the scan's cell
    k + 1, stored at the grid's own (raster) index; images outside are refused."""
    shapes = beamline.get("shapes")
    grid_id = proxy.shape_history_add_grid({"num_cols": 4, "num_rows": 3, "scan_order": "raster"})
    shapes.start_scan(grid_id, first_image=10, scan_order="zigzag")
    try:
        # zigzag row 1 runs right to left: images 14..17 are raster cells 8, 7, 6, 5
        batch = [edna_item(10, 1.0, 1), (13, 1, 1.0, 2.0, 4.0), edna_item(14, 8.0, 1),
                 edna_item(17, 5.0, 1), {"image_num": 21, "score": 12.0}]  # fmt: skip
        assert proxy.dozor_batch_processed(batch) == 5
        assert cell_values(proxy, grid_id) == {"1": 1.0, "4": 4.0, "8": 8.0, "5": 5.0, "12": 12.0}
        for image in (9, 22):
            message = fault_message(proxy.dozor_batch_processed, [edna_item(image, 1.0, 1)])
            assert f"image {image} is outside the mesh scan's images 10..21" in message
        assert shapes.grid_results(grid_id).count == 5
    finally:
        shapes.active_grid_id = None


def test_image_numbers_of_an_ended_scan_map_as_during_it_then_not_at_all(beamline, proxy):
    """The mapping is the scan's until the scan takes no more results; never the
    identity (which would store a late batch shifted by first_image - 1)."""
    shapes = beamline.get("shapes")
    grid_id = proxy.shape_history_add_grid({"num_cols": 4, "num_rows": 3, "scan_order": "raster"})
    shapes.start_scan(grid_id, first_image=10, scan_order="zigzag")
    assert shapes.scan_cells(grid_id, {17: 1.0}) == {5: 1.0}
    shapes.end_scan(grid_id)
    assert shapes.scan_cells(grid_id, {17: 1.0}) == {5: 1.0}  # late results: the same cell
    assert proxy.dozor_batch_processed([edna_item(17, 2.0, 1)]) == 1
    assert cell_values(proxy, grid_id) == {"5": 2.0}
    assert proxy.dozor_status_changed("Success") is True
    with pytest.raises(ValueError, match=f"grid {grid_id}: no mesh scan collects it"):
        shapes.scan_cells(grid_id, {17: 1.0})
    assert "no mesh scan" in fault_message(proxy.dozor_batch_processed, [edna_item(17, 3.0, 1)])
    assert cell_values(proxy, grid_id) == {"5": 2.0}


@pytest.mark.parametrize(
    ("batch", "names"),
    [
        ([edna_item(1, 1.0, 1), {**edna_item(2, 1.0, 1), "dozor_score": "high"}],
         ["dozor_batch_dict[1].dozor_score", "expected a number", "'high'"]),
        ([{"imageName": "/data/x_00001.cbf", "dozor_score": 1.0}],
         ["dozor_batch_dict[0]", "no image_num (or index"]),
        ([{"index": 1, "imageName": "/data/x_00001.cbf"}],
         ["dozor_batch_dict[0]", "no score", "dozor_score"]),
        ([{**edna_item(1, 1.0, 1), "index": "first"}], ["dozor_batch_dict[0].index"]),
        ([(1, 2, 3.0, 2.0, 1.0), (2, 5, 1.0)],
         ["dozor_batch_dict[1]", "3 values, expected 5", "spots_resolution, score"]),
        ([(1, 2, 3.0, 2.0, "good")], ["dozor_batch_dict[0][4] (score)", "'good'"]),
        ([(0, 2, 3.0, 2.0, 1.0)], ["dozor_batch_dict[0][0] (image_num)", "below 1",
          "image number 0", "numbered from the collection's first_image"]),
        (["image 1"], ["dozor_batch_dict[0]", "expected a struct", "'image 1'"]),
    ],
    ids=["score text", "no number", "no score", "index text", "short tuple", "tuple score",
         "tuple image 0", "text item"],
)  # fmt: skip
def test_a_malformed_item_is_refused_naming_the_item_and_the_key(scanned_grid, proxy, batch, names):
    grid_id, shapes = scanned_grid
    message = fault_message(proxy.dozor_batch_processed, batch)
    for name in names:
        assert name in message
    assert shapes.grid_results(grid_id) is None or shapes.grid_results(grid_id).count == 0


def test_one_impossible_score_skips_its_item_only_and_is_named(scanned_grid, proxy, caplog):
    """A NaN, inf or negative score of one frame loses that frame, not the chunk; the
    log names the caller's item and its image, not a grid cell."""
    caplog.set_level(logging.WARNING, logger="mxgui.workflow")
    grid_id, _shapes = scanned_grid
    batch = [edna_item(2, 1.0, 1), edna_item(3, float("nan"), 1), edna_item(4, 2.0, 1),
             (5, 1, 1.0, 2.0, float("inf")), {"image_num": 6, "score": -1.0}]  # fmt: skip
    assert proxy.dozor_batch_processed(batch) == 2
    assert cell_values(proxy, grid_id) == {"2": 1.0, "4": 2.0}
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "3 item(s) skipped, the other 2 kept" in logged
    assert (
        "dozor_batch_dict[1].dozor_score (image 3): expected a finite number >= 0, got nan"
        in logged
    )
    assert "dozor_batch_dict[3][4] (score) (image 5)" in logged and "got inf" in logged
    assert "dozor_batch_dict[4].score (image 6)" in logged and "got -1.0" in logged
    message = fault_message(
        proxy.dozor_batch_processed, [edna_item(4, 1.0, 1), edna_item(13, 1.0, 1)]
    )
    assert "image 13 is outside the mesh scan's images 1..12 (dozor_batch_dict[1])" in message


def test_dozors_spot_counts_are_kept_with_its_scores(scanned_grid, proxy):
    grid_id, shapes = scanned_grid
    batch = [edna_item(1, 5.0, 40), (2, 17, 3.0, 2.0, 6.0), {"image_num": 3, "score": 1.0},
             {**edna_item(4, 2.0, 0), "dozorSpotsNumOf": None, "spots_num": 8}]  # fmt: skip
    assert proxy.dozor_batch_processed(batch) == 4
    assert shapes.grid_results(grid_id).spot_counts() == {1: 40, 2: 17, 4: 8}


def test_scores_without_a_collecting_mesh_are_refused(proxy):
    message = fault_message(proxy.dozor_batch_processed, [edna_item(1, 3.0, 2)])
    assert "no mesh scan is collecting" in message


def run_mesh(proxy, grid_id: str, first_image: int = 1) -> int:
    """Run a mesh scan on ``grid_id`` to its end; its queue node id."""
    sample = manual_sample(proxy)
    parameters = {**QUICK, "grid_id": grid_id, "first_image": first_image}
    parameters.pop("num_images")
    mesh = proxy.queue_add_child(sample, {"type": "MeshScan", "parameters": parameters})
    assert proxy.queue_execute_entry_with_id(mesh) == "success"
    return mesh


def test_dozor_results_after_the_mesh_ended_still_reach_its_grid(beamline, proxy):
    """edna-mx sends after the images are written: the last chunk (v1_1) or all of it
    (v1_0) comes after the mesh entry ended; Dozor's Success closes the scan."""
    shapes = beamline.get("shapes")
    grid_id = proxy.shape_history_add_grid({"num_cols": 4, "num_rows": 3})
    run_mesh(proxy, grid_id)
    assert shapes.active_grid_id is None  # the scan ended
    assert proxy.dozor_batch_processed([edna_item(1, 55.0, 10), edna_item(12, 44.0, 3)]) == 2
    assert shapes.grid_results(grid_id).scores[0] == 55.0
    assert shapes.grid_results(grid_id).scores[11] == 44.0
    assert proxy.dozor_status_changed("Success") is True  # Dozor is done: no more
    message = fault_message(proxy.dozor_batch_processed, [edna_item(2, 1.0, 1)])
    assert "no mesh scan is collecting" in message
    assert shapes.grid_results(grid_id).scores[0] == 55.0


def test_late_results_stop_at_the_next_scan_or_after_the_grace(beamline, proxy):
    shapes = beamline.get("shapes")
    first = proxy.shape_history_add_grid({"num_cols": 2, "num_rows": 2})
    second = proxy.shape_history_add_grid({"num_cols": 3, "num_rows": 1})
    run_mesh(proxy, first)
    shapes.start_scan(second, first_image=1)  # the next scan: the first takes no more
    shapes.end_scan(second)
    assert proxy.dozor_batch_processed([(3, 1, 1.0, 2.0, 9.0)]) == 1
    assert shapes.grid_results(second).scores[2] == 9.0
    assert 9.0 not in shapes.grid_results(first).scores
    shapes._results.late_results_grace = 0.0  # the grace passed
    assert "no mesh scan" in fault_message(proxy.dozor_batch_processed, [(1, 1, 1.0, 2.0, 1.0)])


def test_dozor_scores_during_a_mesh_are_its_only_scores(beamline, proxy):
    """One source of scores per scan: once Dozor scores the running mesh, mxgui's own
    scores (another scale) leave the grid and are not written again; the entry's best
    cell is Dozor's."""
    shapes = beamline.get("shapes")
    grid_id = proxy.shape_history_add_grid({"num_cols": 8, "num_rows": 8})
    parameters = {**QUICK, "grid_id": grid_id, "exp_time": 0.05, "first_image": 10}
    parameters.pop("num_images")
    mesh = proxy.queue_add_child(
        manual_sample(proxy), {"type": "MeshScan", "parameters": parameters}
    )
    assert proxy.queue_execute_entry_with_id(mesh, True) is True
    wait_for(
        lambda: shapes.active_grid_id == grid_id and shapes.grid_results(grid_id) is not None,
        "mxgui's own first scores",
    )
    assert proxy.dozor_batch_processed([]) == 0  # nothing: mxgui's scores stay
    assert not shapes.scan_is_external(grid_id)
    sent = {10: 99.0, 40: 98.0, 41: 97.0}
    assert proxy.dozor_batch_processed([edna_item(i, v, 5) for i, v in sent.items()]) == 3
    assert shapes.active_grid_id == grid_id  # still collecting
    wait_for(lambda: not proxy.is_queue_executing(), "the end of the mesh", 60)
    cells = shapes.scan_cells(grid_id, sent)  # the scan just ended: still mapped
    assert shapes.grid_results(grid_id).as_mapping() == cells
    node = proxy.queue_get_node(mesh)
    assert node["status"] == "success"
    assert node["results"]["best_cell"] == max(cells, key=cells.__getitem__)
    assert node["results"]["best_score"] == 99.0
    assert node["results"]["scored_by"] == "online processing"


def test_dozor_frames_of_a_rotation_collection_go_to_its_entry(beamline, proxy):
    """mxcubecore runs online processing for any collection of more than 4 images:
    Dozor's per-frame scores of a rotation, during it and just after, are kept on the
    collection's node; an image outside the collection is named."""
    model = beamline.beamline.role("queue").model
    slow = {**QUICK, "num_images": 200, "exp_time": 0.01, "first_image": 5}
    task = proxy.queue_add_child(
        manual_sample(proxy), {"type": "DataCollection", "parameters": slow}
    )
    assert proxy.queue_execute_entry_with_id(task, True) is True
    wait_for(lambda: model.get_node(task).status == "running", "the collection to run")
    assert proxy.dozor_batch_processed([(5, 3, 1.0, 2.0, 7.5), (6, 0, 0.0, 0.0, 0.0)]) == 2
    message = fault_message(proxy.dozor_batch_processed, [(205, 3, 1.0, 2.0, 1.0)])
    assert "dozor_batch_dict: image 205 is outside the collection's images 5..204" in message
    wait_for(lambda: not proxy.is_queue_executing(), "the end of the collection", 60)
    assert proxy.dozor_batch_processed([edna_item(204, 4.25, 2)]) == 1  # just after
    scores = proxy.queue_get_node(task)["results"]["dozor_scores"]
    assert scores == {"5": 7.5, "6": 0.0, "204": 4.25}


# statuses and the image number ------------------------------------------------------------
def manual_sample(proxy) -> int:
    return proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})


def test_dozor_status_shows_in_the_log_and_as_the_running_entrys_message(beamline, proxy, caplog):
    caplog.set_level(logging.INFO, logger="mxgui.workflow")
    model = beamline.beamline.role("queue").model
    slow = {**QUICK, "num_images": 400, "exp_time": 0.02}
    task = proxy.queue_add_child(
        manual_sample(proxy), {"type": "DataCollection", "parameters": slow}
    )
    assert proxy.dozor_status_changed("Idle") is True  # nothing runs: the log only
    assert proxy.queue_execute_entry_with_id(task, True) is True
    try:
        wait_for(lambda: model.get_node(task).status == "running", "the collection to run")
        assert proxy.dozor_status_changed("Running") is True
        assert model.get_node(task).message == "Dozor: Running"
        assert proxy.queue_get_node(task)["message"] == "Dozor: Running"
    finally:
        beamline.beamline.role("queue").engine.stop()
        wait_for(lambda: not proxy.is_queue_executing(), "the end of the queue", 60)
    assert proxy.dozor_status_changed("Failed") is True
    assert model.get_node(task).message != "Dozor: Failed"  # no entry runs now
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "mxgui.workflow"]
    assert (logging.INFO, "Dozor: Idle") in logged
    assert (logging.INFO, "Dozor: Running") in logged
    assert (logging.ERROR, "Dozor: Failed") in logged
    assert "status: expected text" in fault_message(proxy.dozor_status_changed, 3)


def test_dozor_status_leaves_an_entry_dozor_does_not_process_alone(beamline, proxy):
    model = beamline.beamline.role("queue").model
    scan = proxy.queue_add_child(
        manual_sample(proxy),
        {"type": "EnergyScan", "parameters": {"step_ev": 0.5, "count_time": 0.05}},
    )
    assert proxy.queue_execute_entry_with_id(scan, True) is True
    try:
        wait_for(lambda: model.get_node(scan).status == "running", "the energy scan to run")
        assert proxy.dozor_status_changed("Running") is True
        assert model.get_node(scan).message != "Dozor: Running"
    finally:
        beamline.beamline.role("queue").engine.stop()
        wait_for(lambda: not proxy.is_queue_executing(), "the end of the queue", 60)


def test_processing_status_goes_to_the_log_and_the_collections_results(beamline, proxy, caplog):
    caplog.set_level(logging.INFO, logger="mxgui.workflow")
    task = proxy.queue_add_child(
        manual_sample(proxy), {"type": "DataCollection", "parameters": QUICK}
    )
    assert proxy.processing_status_changed(task, "EDNAproc", "started") is True
    assert proxy.processing_status_changed(task, "EDNAproc", "failed", "no indexing") is True
    assert proxy.processing_status_changed(task, "autoPROC", "success", "P212121 1.8 A")
    processing = proxy.queue_get_node(task)["results"]["processing"]
    assert [(p["method"], p["status"], p["message"]) for p in processing] == [
        ("EDNAproc", "started", ""),
        ("EDNAproc", "failed", "no indexing"),
        ("autoPROC", "success", "P212121 1.8 A"),
    ]
    logged = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "mxgui.workflow"]
    errors = [m for level, m in logged if level == logging.ERROR]
    assert len(errors) == 1 and "EDNAproc" in errors[0] and "failed: no indexing" in errors[0]
    assert any("autoPROC" in m and "success: P212121 1.8 A" in m for _, m in logged)
    assert proxy.processing_status_changed(9999, "EDNAproc", "started") is True  # ignored
    assert proxy.processing_status_changed(0, "x", "started") is True  # the root: no task
    assert len(proxy.queue_get_node(task)["results"]["processing"]) == 3
    message = fault_message(proxy.processing_status_changed, "x", "EDNAproc", "started")
    assert "collection_id" in message


def test_processing_status_finds_the_collection_by_its_lims_id(beamline, proxy, caplog):
    """mxcubecore's pipelines know the ISPyB DataCollection id (``dc.id``), not the
    queue's; an id of no collection here is logged and ignored, as mxcubecore does."""
    caplog.set_level(logging.INFO, logger="mxgui.workflow")
    lims = beamline.get("lims")
    lims.login("demo", "", "mx1234").result(timeout=30)
    task = proxy.queue_add_child(
        manual_sample(proxy), {"type": "DataCollection", "parameters": QUICK}
    )
    assert proxy.queue_execute_entry_with_id(task) == "success"
    p = proxy.queue_get_node(task)["parameters"]
    where = (p["directory"], p["prefix"], p["run_number"])

    def stored() -> list[int]:
        lims.recorder.flush()
        return lims.collection_ids(*where)

    wait_for(stored, "the collection's LIMS id", 60)
    (lims_id,) = stored()
    assert lims_id != task
    assert proxy.processing_status_changed(lims_id, "EDNAproc", "started") is True
    processing = proxy.queue_get_node(task)["results"]["processing"]
    assert [(e["method"], e["status"]) for e in processing] == [("EDNAproc", "started")]
    unknown = lims_id + task + 1000
    assert proxy.processing_status_changed(unknown, "autoPROC", "failed", "x") is True
    assert len(proxy.queue_get_node(task)["results"]["processing"]) == 1
    assert any(f"collection {unknown}, which is not in the queue" in r.getMessage()
               for r in caplog.records)  # fmt: skip


def test_get_image_num_follows_the_collection(beamline, proxy):
    assert proxy.get_image_num() == 0  # nothing collected yet
    sample = manual_sample(proxy)
    first = proxy.queue_add_child(sample, {"type": "DataCollection", "parameters": QUICK})
    assert proxy.queue_execute_entry_with_id(first) == "success"
    assert proxy.get_image_num() == 3
    later = {**QUICK, "first_image": 10}
    second = proxy.queue_add_child(sample, {"type": "DataCollection", "parameters": later})
    assert proxy.queue_execute_entry_with_id(second) == "success"
    assert proxy.get_image_num() == 12


def test_the_processing_methods_are_served_and_described(proxy):
    served = set(proxy.system.listMethods())
    names = {
        "dozor_batch_processed",
        "dozor_status_changed",
        "processing_status_changed",
        "get_image_num",
    }
    assert names <= served
    assert "edna-mx" in proxy.system.methodHelp("dozor_batch_processed")
    assert "collection_id" in proxy.system.methodSignature("processing_status_changed")
