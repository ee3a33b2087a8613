"""The payloads of ISPyB writes built from what mxgui has (pure functions, no database)."""

from __future__ import annotations

import json
import math
import time

import pytest

from mxgui.core.centring import CentredPosition
from mxgui.core.lims import records
from mxgui.core.shapes import Grid

STARTED = time.mktime((2026, 12, 7, 9, 30, 0, 0, 0, -1))


def info(**changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "parameters": {
            "osc_start": 5.0,
            "osc_range": 0.2,
            "num_images": 100,
            "exp_time": 0.02,
            "energy": 12.7,
            "transmission": 25.0,
            "resolution": 1.8,
            "detector_distance": None,
            "overlap": 0.0,
            "first_image": 1,
            "num_passes": 1,
        },
        "path": {"directory": "/data/mx1234", "prefix": "ins", "run_number": 3, "suffix": "h5"},
        "directory": "/data/mx1234",
        "prefix": "ins",
        "run_number": 3,
        "num_images": 100,
        "first_image": 1,
        "images_taken": 40,
        "snapshots": [f"/data/mx1234/ins_3_snapshot_{k}.png" for k in range(1, 6)],
        "started": STARTED,
        "elapsed": 61.4,
        "state": "stopped",
        "reason": "stopped by user",
    }
    values.update(changes)
    return values


def test_times_are_local_whole_seconds_and_energies_become_wavelengths() -> None:
    assert records.lims_time(STARTED + 0.9) == "2026-12-07 09:30:00"
    assert records.wavelength(12.7) == pytest.approx(0.9763, abs=1e-4)
    assert records.wavelength(12.3984) == pytest.approx(1.0)


def test_file_templates_take_ispyb_form() -> None:
    assert records.file_template({"prefix": "lyso", "run_number": 1}) == "lyso_1_#####.cbf"
    assert (
        records.file_template({"prefix": "x", "run_number": 12, "suffix": "cbf", "precision": 4})
        == "x_12_####.cbf"
    )
    assert records.file_template({"prefix": "ins", "run_number": 3, "suffix": "h5"}) == (
        "ins_3_master.h5"
    )


def test_a_collection_payload_uses_the_beamline_distance_and_four_snapshots_at_most() -> None:
    payload = records.collection_started(
        info(),
        session_id=7,
        sample_id=None,
        group={"$ref": "g-1", "field": "id"},
        detector_distance=245.0,
    )
    assert payload["group_id"] == {"$ref": "g-1", "field": "id"}
    assert "sample_id" not in payload and "beam_size_x" not in payload and "flux" not in payload
    assert payload["detector_distance"] == 245.0
    assert payload["axis_end"] == pytest.approx(25.0)
    assert payload["file_template"] == "ins_3_master.h5" and payload["image_suffix"] == "h5"
    assert [payload.get(f"snapshot_{k}") for k in range(1, 6)] == [
        f"/data/mx1234/ins_3_snapshot_{k}.png" for k in (1, 2, 3, 4)
    ] + [None]
    assert payload["start_time"] == "2026-12-07 09:30:00"
    json.dumps(payload)  # plain JSON for the outbox


def test_a_stopped_collection_ends_stopped_with_the_reason_and_its_end_time() -> None:
    assert records.collection_ended(42, info()) == {
        "collection_id": 42,
        "run_status": "Data collection stopped",
        "end_time": "2026-12-07 09:31:01",
        "images_written": 40,
        "number_of_images": 100,  # asked for: a retry need not read it back
        "comments": "stopped by user",
        **{f"snapshot_{k}": f"/data/mx1234/ins_3_snapshot_{k}.png" for k in (1, 2, 3, 4)},
    }
    done = records.collection_ended(42, info(state="finished", reason="", images_taken=100))
    assert done["run_status"] == "Data collection successful" and "comments" not in done
    failed = records.collection_ended(42, info(state="failed", reason="detector error"))
    assert failed["run_status"] == "Data collection failed"
    assert failed["comments"] == "detector error"


def test_experiment_types_follow_the_collection() -> None:
    assert records.experiment_type(info()) == "OSC"
    assert records.experiment_type(info(helical=True)) == "Helical"
    assert records.experiment_type(info(mesh=True, helical=False)) == "Mesh"


def test_a_raster_grid_is_not_snaked_and_cells_include_their_spacing() -> None:
    grid = Grid(
        id="G2",
        name="g",
        centre=CentredPosition(90.0, 0.0, 0.0, 0.0, 0.0),
        num_cols=10,
        num_rows=5,
        cell_width_mm=0.01,
        cell_height_mm=0.02,
        spacing_y_mm=0.005,
        scan_order="raster",
    )
    payload = records.mesh_grid(grid.to_dict(), collection=5)
    assert payload == {
        "collection_id": 5,
        "steps_x": 10,
        "steps_y": 5,
        "dx_mm": 0.01,
        "dy_mm": pytest.approx(0.025),
        "orientation": "horizontal",
        "snaked": False,
        "mesh_angle": 90.0,
    }


def test_quality_indicators_skip_scores_that_are_not_numbers() -> None:
    payload = records.quality_indicators(9, {2: 1.5, 1: math.nan}, {1: 0})
    assert payload == {
        "collection_id": 9,
        "images": [{"image_number": 1, "spots": 0}, {"image_number": 2, "score": 1.5}],
    }


def test_robot_actions_name_puck_and_pin_and_their_status() -> None:
    load = records.robot_action(
        session_id=1,
        sample_id=2,
        action="load",
        started=STARTED,
        ended=STARTED + 30,
        address="3:05",
    )
    assert (load["action_type"], load["status"]) == ("LOAD", "SUCCESS")
    assert (load["dewar_location"], load["container_location"]) == (3, 5)
    manual = records.robot_action(
        session_id=1, sample_id=None, action="unload", started=STARTED, ended=STARTED, error="x"
    )
    assert (manual["status"], manual["message"]) == ("ERROR", "x")
    assert "dewar_location" not in manual and "sample_id" not in manual


def test_workflow_parameters_are_stored_as_text() -> None:
    payload = records.workflow_started(
        name="EDNA", started=STARTED, parameters={"grid": {"steps": [3, 4]}, "name": "a"}
    )
    assert payload["parameters"] == {"grid": '{"steps": [3, 4]}', "name": "a"}
    end = records.workflow_ended({"$ref": "w", "field": "auto_proc_program_id"}, ended=STARTED)
    assert end == {
        "program_id": {"$ref": "w", "field": "auto_proc_program_id"},
        "success": True,
        "end_time": "2026-12-07 09:30:00",
    }


def test_a_bad_info_is_named() -> None:
    with pytest.raises(ValueError, match="energy: expected a number, got .high."):
        records.collection_started(
            info(parameters={"energy": "high"}), session_id=1, sample_id=None, group=1
        )
