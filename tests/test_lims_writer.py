"""Experiments stored as ISPyB stores them, on a real MariaDB (and once on SQLite): each
kind of write checked row by row with SQL, exactly once on a retry, and its faults told
apart (a schema too old or a bad payload: permanent; a stopped server: retry)."""

from __future__ import annotations

import datetime as dt
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from mxgui.core.acquisition import AcquisitionParameters
from mxgui.core.centring import CentredPosition
from mxgui.core.lims import records
from mxgui.core.lims.database import create_schema, ispyb_models, make_engine
from mxgui.core.lims.ispyb_writer import PERMANENT, RETRY, IspybWriter, PayloadError, SchemaError
from mxgui.core.lims.jpegs import JpegMaker
from mxgui.core.queue.entries.strategy import ImageAnalysis, propose_strategy
from mxgui.core.repository import HardwareRepository
from mxgui.core.shapes import Grid

from helpers import SIMULATED, quick_collect_overrides
from lims_fixtures import rows, scalar
from lims_seed import Seeded, seed

pytest_plugins = ("lims_fixtures",)

STARTED = time.mktime((2026, 12, 7, 9, 30, 0, 0, 0, -1))  # 09:30:00 local


@dataclass(frozen=True)
class Op:
    """An outbox operation as the sender gets it."""

    kind: str
    payload: dict[str, object]
    attempts: int = 0
    key: str = "k"
    created: float = field(default=0.0)


@pytest.fixture(scope="module")
def collections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict]]:
    """The ``info`` of two real collections on the simulated beamline: 5 images at
    12.7 keV with a snapshot, and 10 images whose detector fails after 3."""
    tmp_path = tmp_path_factory.mktemp("beamline")
    repo = HardwareRepository([quick_collect_overrides(tmp_path), SIMULATED])
    try:
        collect, diffractometer = repo.get("collect"), repo.get("diffractometer")
        diffractometer.get_motor("phi").set_velocity(3600.0)
        centring = diffractometer.scene.centring_positions()
        centred = CentredPosition(**{"phi": 0.0, **{k: float(v) for k, v in centring.items()}})
        params = AcquisitionParameters(
            osc_start=10.0,
            osc_range=0.5,
            num_images=5,
            exp_time=0.0,
            energy=12.7,
            transmission=50.0,
            resolution=2.0,
            detector_distance=150.0,
            take_snapshots=1,
            detector_roi_mode="test",
        )
        path = collect.get_default_path_template(prefix="lyso")
        good = collect.collect(params, path, centred).result(timeout=60)
        collect.inject_fault("detector stopped answering", after_images=3)
        bad_params = AcquisitionParameters(**{**params.to_dict(), "num_images": 10})
        with pytest.raises(RuntimeError):
            collect.collect(bad_params, path.with_run_number(2), centred).result(timeout=60)
        bad = collect.get_collection_info()
        collect.inject_fault(None)
        yield {"good": good, "bad": bad}
    finally:
        repo.shutdown()


@pytest.fixture
def seeded(ispyb_engine: sa.Engine) -> Seeded:
    return seed(ispyb_engine)


@pytest.fixture
def writer(ispyb_engine: sa.Engine) -> IspybWriter:
    return IspybWriter(ispyb_engine)


def send(writer: IspybWriter, kind: str, payload: dict[str, object], attempts: int = 0) -> dict:
    return writer.send(Op(kind, payload, attempts))


def store_collection(writer: IspybWriter, ids: Seeded, info: dict, experiment=records.OSC):
    """Group, collection, end of both: what the LIMS object sends for one collection."""
    group = send(
        writer,
        "data_collection_group",
        records.group_started(ids.session_id, ids.sample_id, experiment, info["started"]),
    )["id"]
    collection = send(
        writer,
        "data_collection",
        records.collection_started(
            info,
            session_id=ids.session_id,
            sample_id=ids.sample_id,
            group=group,
            beam_size=(0.05, 0.02),
            flux=2.5e12,
        ),
    )["id"]
    return group, collection


def end_collection(writer: IspybWriter, group: int, collection: int, info: dict) -> None:
    send(writer, "data_collection_end", records.collection_ended(collection, info))
    ended = info["started"] + info["elapsed"]
    send(writer, "data_collection_group_end", records.group_ended(group, ended))


# -- data collections -----------------------------------------------------------------------------
def test_a_collection_on_the_simulated_beamline_is_stored_as_ispyb_stores_it(
    writer, seeded, ispyb_engine, collections
) -> None:
    info = collections["good"]
    group, collection = store_collection(writer, seeded, info)
    started = rows(
        ispyb_engine,
        "SELECT runStatus, endTime, numberOfImages FROM DataCollection WHERE dataCollectionId = :i",
        i=collection,
    )
    assert started == [
        {"runStatus": "Data collection started", "endTime": None, "numberOfImages": 5}
    ]
    end_collection(writer, group, collection, info)

    (dc,) = rows(
        ispyb_engine,
        "SELECT * FROM DataCollection WHERE dataCollectionId = :i AND dataCollectionGroupId = :g",
        i=collection,
        g=group,
    )
    assert dc["wavelength"] == pytest.approx(0.9763, abs=1e-4)  # 12.7 keV
    assert dc["fileTemplate"] == "lyso_1_#####.cbf"
    assert dc["imageDirectory"] == info["directory"] and dc["imagePrefix"] == "lyso"
    assert (dc["dataCollectionNumber"], dc["startImageNumber"], dc["imageSuffix"]) == (1, 1, "cbf")
    assert (dc["axisStart"], dc["axisRange"], dc["axisEnd"]) == (10.0, 0.5, 12.5)
    assert (dc["numberOfImages"], dc["exposureTime"], dc["transmission"]) == (5, 0.0, 50.0)
    assert (dc["resolution"], dc["detectorDistance"]) == (2.0, 150.0)
    assert dc["beamSizeAtSampleX"] == pytest.approx(0.05)
    assert dc["beamSizeAtSampleY"] == pytest.approx(0.02)
    assert float(dc["flux"]) == pytest.approx(2.5e12)
    assert dc["xtalSnapshotFullPath1"] == info["snapshots"][0]
    assert dc["xtalSnapshotFullPath1"].endswith("lyso_1_snapshot_1.png")
    assert dc["xtalSnapshotFullPath2"] is None
    assert (dc["SESSIONID"], dc["BLSAMPLEID"]) == (seeded.session_id, seeded.sample_id)
    assert dc["runStatus"] == "Data collection successful" and dc["comments"] is None
    assert dc["startTime"].strftime("%F %T") == records.lims_time(info["started"])
    assert dc["endTime"] >= dc["startTime"]
    (dcg,) = rows(ispyb_engine, "SELECT * FROM DataCollectionGroup")
    assert dcg["dataCollectionGroupId"] == group
    assert (dcg["sessionId"], dcg["blSampleId"]) == (seeded.session_id, seeded.sample_id)
    assert dcg["experimentType"] == "OSC"
    assert dcg["startTime"] == dc["startTime"] and dcg["endTime"] == dc["endTime"]


def test_a_failed_collection_is_stored_with_its_reason_and_the_images_written(
    writer, seeded, ispyb_engine, collections
) -> None:
    info = collections["bad"]
    assert info["state"] == "failed" and info["images_taken"] == 3
    group, collection = store_collection(writer, seeded, info)
    end_collection(writer, group, collection, info)
    (dc,) = rows(ispyb_engine, "SELECT runStatus, numberOfImages, comments FROM DataCollection")
    assert dc["runStatus"] == "Data collection failed"
    assert dc["numberOfImages"] == 3
    assert "detector stopped answering" in dc["comments"]
    assert dc["comments"].endswith("(3 of 10 images written)")
    assert scalar(ispyb_engine, "SELECT fileTemplate FROM DataCollection") == "lyso_2_#####.cbf"


def test_a_retried_collection_end_stores_the_same_comments_as_the_first_try(
    writer, seeded, ispyb_engine, collections
) -> None:
    info = collections["bad"]
    _, collection = store_collection(writer, seeded, info)
    ended = records.collection_ended(collection, info)
    send(writer, "data_collection_end", ended)
    first = scalar(ispyb_engine, "SELECT comments FROM DataCollection")
    send(writer, "data_collection_end", ended, attempts=1)  # its answer was lost: again
    (dc,) = rows(ispyb_engine, "SELECT numberOfImages, comments FROM DataCollection")
    assert dc == {"numberOfImages": 3, "comments": first}
    assert first.endswith("(3 of 10 images written)")
    with pytest.raises(PayloadError, match="run_status: expected 'Data collection successful'"):
        send(writer, "data_collection_end", {**ended, "run_status": records.RUN_STARTED})


# -- mesh ---------------------------------------------------------------------------------------
def test_a_mesh_stores_its_grid_and_a_score_per_image(writer, seeded, ispyb_engine) -> None:
    grid = Grid(
        id="G1",
        name="mesh 1",
        centre=CentredPosition(30.0, 0.0, 0.0, 0.0, 0.0),
        num_cols=4,
        num_rows=3,
        cell_width_mm=0.02,
        cell_height_mm=0.015,
        spacing_x_mm=0.005,
    )
    info = _info(num_images=12, mesh=True)
    group, collection = store_collection(writer, seeded, info, records.MESH)
    grid_id = send(
        writer,
        "grid_info",
        records.mesh_grid(
            grid.to_dict(),
            collection=collection,
            group=group,
            snapshot_offset_px=(312.5, 200.0),
            pixels_per_mm=(500.0, 400.0),
        ),
    )["id"]
    (row,) = rows(ispyb_engine, "SELECT * FROM GridInfo")
    assert row["gridInfoId"] == grid_id
    assert (row["dataCollectionId"], row["dataCollectionGroupId"]) == (collection, group)
    assert (row["steps_x"], row["steps_y"]) == (4, 3)
    assert float(row["dx_mm"]) == pytest.approx(0.025) and float(row["dy_mm"]) == pytest.approx(
        0.015
    )
    assert (row["orientation"], row["snaked"], float(row["meshAngle"])) == ("horizontal", 1, 30.0)
    assert (row["snapshot_offsetXPixel"], row["snapshot_offsetYPixel"]) == (312.5, 200.0)
    assert (row["micronsPerPixelX"], row["micronsPerPixelY"]) == (2.0, 2.5)
    assert scalar(ispyb_engine, "SELECT experimentType FROM DataCollectionGroup") == "Mesh"

    send(
        writer,
        "image_quality_indicators",
        records.quality_indicators(collection, {1: 0.5, 2: 12.25, 3: 0.0}, {2: 40}),
    )
    send(
        writer, "image_quality_indicators", records.quality_indicators(collection, {3: 7.0, 4: 1.5})
    )
    scores = rows(
        ispyb_engine,
        "SELECT imageNumber, dozor_score, spotTotal FROM ImageQualityIndicators "
        "WHERE dataCollectionId = :i ORDER BY imageNumber",
        i=collection,
    )
    assert [(r["imageNumber"], float(r["dozor_score"]), r["spotTotal"]) for r in scores] == [
        (1, 0.5, None),
        (2, 12.25, 40),
        (3, 7.0, None),  # a later batch updates an image sent before
        (4, 1.5, None),
    ]


# -- energy scan --------------------------------------------------------------------------------
def test_an_energy_scan_is_stored_with_its_energies_and_linked_to_the_sample(
    writer, seeded, ispyb_engine
) -> None:
    result = _scan_result()
    scan_id = send(
        writer,
        "energy_scan",
        records.energy_scan(
            result,
            session_id=seeded.session_id,
            sample_id=seeded.sample_id,
            started=STARTED,
            ended=STARTED + 95,
            beam_size=(0.05, 0.02),
            chooch_jpeg="/data/se_1_chooch.jpg",
        ),
    )["id"]
    (es,) = rows(ispyb_engine, "SELECT * FROM EnergyScan")
    assert es["energyScanId"] == scan_id
    assert (es["sessionId"], es["blSampleId"]) == (seeded.session_id, seeded.sample_id)
    assert (es["element"], es["edgeEnergy"]) == ("Se", "K")
    assert es["peakEnergy"] == pytest.approx(12.6605, abs=1e-4)
    assert es["inflectionEnergy"] == pytest.approx(12.6578, abs=1e-4)
    assert es["peakFPrime"] == pytest.approx(-5.5) and es["peakFDoublePrime"] == pytest.approx(4.9)
    assert (es["startEnergy"], es["endEnergy"]) == pytest.approx((12.608, 12.708))
    assert (es["exposureTime"], es["transmissionFactor"]) == (1.0, 10.0)
    assert (es["beamSizeHorizontal"], es["beamSizeVertical"]) == pytest.approx((0.05, 0.02))
    assert es["scanFileFullPath"] == "/data/se_1_energy_scan.txt"
    assert es["filename"] == "se_1_energy_scan.txt"
    assert es["jpegChoochFileFullPath"] == "/data/se_1_chooch.jpg"
    assert es["comments"] == "remote 12.7578 keV; Se K edge 12.6580 keV"
    assert (
        es["startTime"].strftime("%T") == "09:30:00" and es["endTime"].strftime("%T") == "09:31:35"
    )
    assert rows(ispyb_engine, "SELECT blSampleId, energyScanId FROM BLSample_has_EnergyScan") == [
        {"blSampleId": seeded.sample_id, "energyScanId": scan_id}
    ]


# -- robot actions -----------------------------------------------------------------------------
def test_robot_actions_keep_their_times_status_and_location(writer, seeded, ispyb_engine) -> None:
    common = dict(session_id=seeded.session_id, sample_id=seeded.sample_id, barcode="P0001-01")
    send(
        writer,
        "robot_action",
        records.robot_action(
            action="load", started=STARTED, ended=STARTED + 42, address="3:05", **common
        ),
    )
    send(
        writer,
        "robot_action",
        records.robot_action(
            action="unload",
            started=STARTED + 600,
            ended=STARTED + 610,
            address="3:05",
            error="gripper lost the pin",
            **common,
        ),
    )
    actions = rows(ispyb_engine, "SELECT * FROM RobotAction ORDER BY robotActionId")
    assert [
        (
            a["actionType"],
            a["status"],
            a["message"],
            a["startTimestamp"].strftime("%T"),
            a["endTimestamp"].strftime("%T"),
            a["dewarLocation"],
            a["containerLocation"],
            a["sampleBarcode"],
            a["blsampleId"],
        )
        for a in actions
    ] == [
        ("LOAD", "SUCCESS", None, "09:30:00", "09:30:42", 3, 5, "P0001-01", seeded.sample_id),
        (
            "UNLOAD",
            "ERROR",
            "gripper lost the pin",
            "09:40:00",
            "09:40:10",
            3,
            5,
            "P0001-01",
            seeded.sample_id,
        ),
    ]


# -- workflows ---------------------------------------------------------------------------------
def test_a_workflow_run_is_a_processing_job_with_its_status_and_log(
    writer, seeded, ispyb_engine, collections
) -> None:
    _group, collection = store_collection(writer, seeded, collections["good"])
    run = send(
        writer,
        "workflow_run",
        records.workflow_started(
            name="MeshAndCollect",
            started=STARTED,
            parameters={"grid": "G1", "steps": 12},
            collection=collection,
            log_file="/data/process/wf_1/workflow.log",
            engine="local",
        ),
    )
    (job,) = rows(ispyb_engine, "SELECT * FROM ProcessingJob")
    assert job["processingJobId"] == run["id"]
    assert (job["dataCollectionId"], job["displayName"], job["recipe"]) == (
        collection,
        "MeshAndCollect",
        "local",
    )
    assert rows(
        ispyb_engine,
        "SELECT parameterKey, parameterValue FROM ProcessingJobParameter "
        "WHERE processingJobId = :j ORDER BY parameterKey",
        j=run["id"],
    ) == [
        {"parameterKey": "grid", "parameterValue": "G1"},
        {"parameterKey": "steps", "parameterValue": "12"},
    ]
    program = rows(ispyb_engine, "SELECT * FROM AutoProcProgram")
    assert [
        (p["autoProcProgramId"], p["processingStatus"], p["processingJobId"]) for p in program
    ] == [(run["auto_proc_program_id"], None, run["id"])]
    ref = {"$ref": "wf", "field": "auto_proc_program_id"}
    payload = records.workflow_ended(ref, ended=STARTED + 300, error="step 3 (Dozor) failed")
    payload["program_id"] = run["auto_proc_program_id"]  # the outbox resolves the reference
    send(writer, "workflow_run_end", payload)
    (p,) = rows(ispyb_engine, "SELECT * FROM AutoProcProgram")
    assert (p["processingStatus"], p["processingMessage"]) == (0, "step 3 (Dozor) failed")
    assert p["processingPrograms"] == "MeshAndCollect"
    assert p["processingEndTime"] - p["processingStartTime"] == dt.timedelta(seconds=300)
    assert rows(
        ispyb_engine,
        "SELECT autoProcProgramId, fileType, fileName, filePath FROM AutoProcProgramAttachment",
    ) == [
        {
            "autoProcProgramId": run["auto_proc_program_id"],
            "fileType": "Log",
            "fileName": "workflow.log",
            "filePath": "/data/process/wf_1",
        }
    ]


# -- characterisation --------------------------------------------------------------------------
def test_a_characterisation_is_stored_as_screening_output_and_strategy(
    writer, seeded, ispyb_engine, collections
) -> None:
    group, collection = store_collection(
        writer, seeded, collections["good"], records.CHARACTERIZATION
    )
    analyses = [
        ImageAnalysis("/data/ref-lyso_1_00001.cbf", 120, 1.8, 900.0),
        ImageAnalysis("/data/ref-lyso_2_00001.cbf", 140, 1.7, 1100.0),
    ]
    parameters = {
        "osc_start": 0.0,
        "osc_range": 0.5,
        "exp_time": 0.1,
        "transmission": 20.0,
        "energy": 12.7,
        "num_images": 2,
    }
    strategy = propose_strategy(analyses, parameters)
    assert strategy is not None
    results = {"reference": [a.to_dict() for a in analyses], "strategy": strategy, "rule": "r"}
    sent = send(
        writer,
        "screening",
        records.screening(results, parameters, collection=collection, group=group, message="ok"),
    )
    (screening,) = rows(ispyb_engine, "SELECT * FROM Screening")
    assert (screening["dataCollectionId"], screening["dataCollectionGroupId"]) == (
        collection,
        group,
    )
    assert screening["programVersion"] == "mxgui strategy"
    (output,) = rows(ispyb_engine, "SELECT * FROM ScreeningOutput")
    assert output["screeningId"] == sent["id"]
    assert (output["numSpotsFound"], output["totalNumberOfImages"]) == (260, 2)
    assert output["resolutionObtained"] == pytest.approx(1.7)
    assert (output["strategySuccess"], output["indexingSuccess"]) == (1, 0)
    (s,) = rows(ispyb_engine, "SELECT * FROM ScreeningStrategy")
    assert s["screeningOutputId"] == output["screeningOutputId"]
    span = strategy["osc_range"] * strategy["num_images"]
    assert (s["phiStart"], s["phiEnd"]) == pytest.approx((0.0, span))
    assert s["rotation"] == pytest.approx(strategy["osc_range"])
    assert s["resolution"] == pytest.approx(strategy["resolution"])
    assert s["transmission"] == pytest.approx(strategy["transmission"])
    (sub,) = rows(
        ispyb_engine,
        "SELECT sw.* FROM ScreeningStrategySubWedge sw JOIN ScreeningStrategyWedge w "
        "USING (screeningStrategyWedgeId) WHERE w.screeningStrategyId = :s",
        s=s["screeningStrategyId"],
    )
    assert (sub["numberOfImages"], sub["rotationAxis"]) == (strategy["num_images"], "Omega")
    assert sub["exposureTime"] == pytest.approx(strategy["exp_time"])
    assert float(
        scalar(ispyb_engine, "SELECT wavelength FROM ScreeningStrategyWedge")
    ) == pytest.approx(0.97625, abs=1e-5)


def test_a_screening_without_diffraction_has_no_strategy(writer, seeded, ispyb_engine) -> None:
    _group, collection = store_collection(writer, seeded, _info())
    results = {"reference": [{"spots": 0, "resolution": None}], "strategy": None}
    send(writer, "screening", records.screening(results, {}, collection=collection))
    (output,) = rows(ispyb_engine, "SELECT strategySuccess, numSpotsFound FROM ScreeningOutput")
    assert output == {"strategySuccess": 0, "numSpotsFound": 0}
    assert scalar(ispyb_engine, "SELECT COUNT(*) FROM ScreeningStrategy") == 0


# -- image JPEGs -------------------------------------------------------------------------------
def test_image_jpegs_go_on_the_image_rows(writer, seeded, ispyb_engine) -> None:
    _group, collection = store_collection(writer, seeded, _info(num_images=100))
    images = [
        {
            "number": n,
            "file": f"/data/lyso_1_{n:05d}.cbf",
            "jpeg": f"/data/jpegs/lyso_1_{n:05d}.jpeg",
            "thumbnail": f"/data/jpegs/lyso_1_{n:05d}.thumb.jpeg",
        }
        for n in (1, 100)
    ]
    send(writer, "image_jpegs", records.image_jpegs(collection, images))
    found = rows(
        ispyb_engine,
        "SELECT imageNumber, fileName, fileLocation, jpegFileFullPath, jpegThumbnailFileFullPath "
        "FROM Image WHERE dataCollectionId = :c ORDER BY imageNumber",
        c=collection,
    )
    assert found == [
        {
            "imageNumber": n,
            "fileName": f"lyso_1_{n:05d}.cbf",
            "fileLocation": "/data",
            "jpegFileFullPath": f"/data/jpegs/lyso_1_{n:05d}.jpeg",
            "jpegThumbnailFileFullPath": f"/data/jpegs/lyso_1_{n:05d}.thumb.jpeg",
        }
        for n in (1, 100)
    ]


def test_the_jpegs_of_a_real_collection_are_made_in_the_background_and_stored(
    writer, seeded, ispyb_engine, collections, tmp_path
) -> None:
    info = collections["good"]
    _group, collection = store_collection(writer, seeded, info)
    maker = JpegMaker()
    try:
        made = maker.submit(info, tmp_path / "jpegs").result(timeout=60)
    finally:
        maker.shutdown()
    send(writer, "image_jpegs", records.image_jpegs(collection, made))
    found = rows(
        ispyb_engine,
        "SELECT imageNumber, fileName, fileLocation, jpegFileFullPath, jpegThumbnailFileFullPath "
        "FROM Image WHERE dataCollectionId = :c ORDER BY imageNumber",
        c=collection,
    )
    assert [(r["imageNumber"], r["fileName"]) for r in found] == [
        (1, "lyso_1_00001.cbf"),
        (5, "lyso_1_00005.cbf"),
    ]
    assert {r["fileLocation"] for r in found} == {info["directory"]}
    for row in found:
        with (
            Image.open(row["jpegFileFullPath"]) as full,
            Image.open(row["jpegThumbnailFileFullPath"]) as thumb,
        ):
            assert full.size == (256, 256) and thumb.size == (256, 256)  # the test ROI


# -- exactly once ------------------------------------------------------------------------------
def test_an_operation_sent_again_after_a_lost_answer_writes_nothing_twice(
    writer, seeded, ispyb_engine
) -> None:
    info = _info()
    sequence = _every_kind(seeded, info)
    first: dict[str, dict] = {}
    for kind, build in sequence:
        payload = build(first)
        first[kind] = send(writer, kind, payload)
        again = send(writer, kind, payload, attempts=1)
        assert again == first[kind], kind
    counts = {
        table: scalar(ispyb_engine, f"SELECT COUNT(*) FROM {table}")
        for table in (
            "DataCollectionGroup",
            "DataCollection",
            "GridInfo",
            "ImageQualityIndicators",
            "EnergyScan",
            "BLSample_has_EnergyScan",
            "RobotAction",
            "ProcessingJob",
            "ProcessingJobParameter",
            "AutoProcProgram",
            "AutoProcProgramAttachment",
            "Screening",
            "ScreeningOutput",
            "ScreeningStrategy",
            "Image",
        )
    }
    assert counts == {
        "DataCollectionGroup": 1,
        "DataCollection": 1,
        "GridInfo": 1,
        "ImageQualityIndicators": 2,
        "EnergyScan": 1,
        "BLSample_has_EnergyScan": 1,
        "RobotAction": 1,
        "ProcessingJob": 1,
        "ProcessingJobParameter": 1,
        "AutoProcProgram": 1,
        "AutoProcProgramAttachment": 1,
        "Screening": 1,
        "ScreeningOutput": 1,
        "ScreeningStrategy": 1,
        "Image": 1,
    }


def test_a_retried_group_is_not_mistaken_for_an_earlier_one_of_the_same_second(
    writer, seeded, ispyb_engine
) -> None:
    info = _info()
    first, _collection = store_collection(writer, seeded, info)
    payload = records.group_started(
        seeded.session_id, seeded.sample_id, records.OSC, info["started"]
    )
    second = send(writer, "data_collection_group", payload, attempts=1)["id"]
    assert second != first  # the earlier group has its collection: this one is new
    assert send(writer, "data_collection_group", payload, attempts=2)["id"] == second
    assert scalar(ispyb_engine, "SELECT COUNT(*) FROM DataCollectionGroup") == 2


# -- faults ------------------------------------------------------------------------------------
def test_a_schema_too_old_is_a_permanent_error_naming_the_column(
    writer, seeded, ispyb_engine
) -> None:
    with ispyb_engine.begin() as c:
        c.execute(sa.text("ALTER TABLE DataCollection DROP COLUMN xtalSnapshotFullPath4"))
    try:
        info = _info(snapshots=["/d/s1.png", "/d/s2.png", "/d/s3.png", "/d/s4.png"])
        with pytest.raises(SchemaError) as caught:
            store_collection(writer, seeded, info)
        assert str(caught.value) == (
            "data_collection: table DataCollection has no column xtalSnapshotFullPath4 "
            "(schema too old?)"
        )
        assert writer.classify(caught.value) == PERMANENT
        assert scalar(ispyb_engine, "SELECT COUNT(*) FROM DataCollection") == 0
    finally:
        with ispyb_engine.begin() as c:
            c.execute(
                sa.text(
                    "ALTER TABLE DataCollection ADD COLUMN xtalSnapshotFullPath4 VARCHAR(255) "
                    "AFTER xtalSnapshotFullPath3"
                )
            )


def test_a_stopped_server_is_an_error_to_retry_and_the_write_goes_through_after(
    mariadb, ispyb_url, seeded
) -> None:
    engine = make_engine(ispyb_url, connect_timeout=1, io_timeout=2)
    writer = IspybWriter(engine)
    payload = records.group_started(seeded.session_id, None, records.OSC, STARTED)
    try:
        mariadb.stop(signal.SIGKILL)
        with pytest.raises(sa.exc.OperationalError) as caught:
            writer.send(Op("data_collection_group", payload))
        assert writer.classify(caught.value) == RETRY
        mariadb.start()
        group = writer.send(Op("data_collection_group", payload, attempts=1))["id"]
        assert (
            scalar(
                engine,
                "SELECT startTime FROM DataCollectionGroup WHERE dataCollectionGroupId = :g",
                g=group,
            ).strftime("%T")
            == "09:30:00"
        )
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("kind", "change", "message"),
    [
        ("data_collection_group", {"session_id": None}, "session_id: expected a whole number"),
        ("data_collection_group", {"experiment_type": "Tomography"}, "'Tomography' is not one of"),
        ("data_collection_group", {"start_time": "yesterday"}, "start_time: expected a time"),
        ("data_collection_group", {"session_id": 987654}, "refused it: (1452, 'Cannot add"),
        ("data_collection_group_end", {"group_id": 987654}, "no DataCollectionGroup 987654"),
        ("no_such_kind", {}, "unknown LIMS operation 'no_such_kind'"),
    ],
)
def test_a_payload_that_cannot_be_written_is_a_permanent_error_naming_the_field(
    writer, seeded, ispyb_engine, kind, change, message
) -> None:
    payload = records.group_started(seeded.session_id, None, records.OSC, STARTED)
    if kind == "data_collection_group_end":
        payload = records.group_ended(1, STARTED)
    payload.update(change)
    with pytest.raises(Exception) as caught:
        send(writer, kind, payload)
    assert message in str(caught.value)
    assert writer.classify(caught.value) == PERMANENT
    assert scalar(ispyb_engine, "SELECT COUNT(*) FROM DataCollectionGroup") == 0


def test_a_too_long_value_is_refused_and_a_too_long_comment_cut(writer, seeded, ispyb_engine):
    info = _info(prefix="p" * 50)
    with pytest.raises(
        PayloadError, match=r"DataCollection.imagePrefix: 50 characters, the column holds 45"
    ):
        store_collection(writer, seeded, info)
    info = _info(comments="x" * 2000)
    _group, collection = store_collection(writer, seeded, info)
    comments = scalar(
        ispyb_engine,
        "SELECT comments FROM DataCollection WHERE dataCollectionId = :c",
        c=collection,
    )
    assert len(comments) == 1024 and comments.endswith("...")


# -- the embedded default ------------------------------------------------------------------------
def test_every_kind_is_stored_on_the_embedded_sqlite_database_too(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'lims.sqlite'}")
    try:
        create_schema(engine)
        ids = seed(engine)
        writer = IspybWriter(engine)
        info = _info()
        results: dict[str, dict] = {}
        for kind, build in _every_kind(ids, info):
            payload = build(results)
            results[kind] = writer.send(Op(kind, payload))
            assert writer.send(Op(kind, payload, attempts=1)) == results[kind], kind
        (dc,) = rows(engine, "SELECT * FROM DataCollection")
        assert dc["wavelength"] == pytest.approx(0.9763, abs=1e-4)
        assert dc["fileTemplate"] == "lyso_1_#####.cbf"
        assert dc["runStatus"] == "Data collection successful"
        assert scalar(engine, "SELECT steps_y FROM GridInfo") == 2
        assert rows(engine, "SELECT imageNumber, dozor_score FROM ImageQualityIndicators") == [
            {"imageNumber": 1, "dozor_score": 3.5},
            {"imageNumber": 2, "dozor_score": 0.25},
        ]
        assert scalar(engine, "SELECT peakEnergy FROM EnergyScan") == pytest.approx(12.6605)
        assert rows(engine, "SELECT actionType, status, endTimestamp FROM RobotAction") == [
            {  # SQLAlchemy keeps SQLite's DATETIME as text, with microseconds
                "actionType": "LOAD",
                "status": "SUCCESS",
                "endTimestamp": _local(STARTED + 42).strftime("%Y-%m-%d %H:%M:%S.000000"),
            }
        ]
        assert scalar(engine, "SELECT processingStatus FROM AutoProcProgram") == 1
        assert scalar(engine, "SELECT strategySuccess FROM ScreeningOutput") == 1
        assert scalar(engine, "SELECT jpegThumbnailFileFullPath FROM Image") == "/d/1.thumb.jpeg"
        with pytest.raises(PayloadError, match="'Tomography' is not one of"):
            payload = records.group_started(ids.session_id, None, "Tomography", STARTED)
            writer.send(Op("data_collection_group", payload))
        with engine.begin() as c:  # an older schema, as SQLite says it
            c.execute(sa.text("ALTER TABLE Image DROP COLUMN jpegThumbnailFileFullPath"))
        image = {"number": 5, "file": "/d/5.cbf", "jpeg": "/d/5.jpeg", "thumbnail": "/d/5.t.jpeg"}
        payload = records.image_jpegs(results["data_collection"]["id"], [image])
        with pytest.raises(
            SchemaError, match="table Image has no column jpegThumbnailFileFullPath"
        ):
            writer.send(Op("image_jpegs", payload))
    finally:
        engine.dispose()


# -- helpers -----------------------------------------------------------------------------------
def _local(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch)


def _info(num_images: int = 5, mesh: bool = False, snapshots=(), prefix="lyso", comments=""):
    """A collection ``info`` as the collect object gives it (for the tests that need
    no beamline)."""
    params = AcquisitionParameters(
        osc_start=0.0, osc_range=0.1, num_images=num_images, exp_time=0.01, comments=comments
    )
    return {
        "parameters": params.to_dict(),
        "path": {
            "directory": "/data",
            "prefix": prefix,
            "run_number": 1,
            "suffix": "cbf",
            "precision": 5,
        },
        "directory": "/data",
        "prefix": prefix,
        "run_number": 1,
        "num_images": num_images,
        "first_image": 1,
        "images_taken": num_images,
        "snapshots": list(snapshots),
        "started": STARTED,
        "elapsed": 12.0,
        "state": "finished",
        "reason": "",
        "mesh": mesh,
    }


def _scan_result() -> dict:
    return {
        "element": "Se",
        "edge": "K",
        "start_energy": 12.608,
        "end_energy": 12.708,
        "step_ev": 1.0,
        "count_time": 1.0,
        "transmission": 10.0,
        "peak": 12.6605,
        "inflection": 12.6578,
        "remote": 12.7578,
        "edge_energy": 12.658,
        "peak_f_prime": -5.5,
        "peak_f_double_prime": 4.9,
        "file": "/data/se_1_energy_scan.txt",
    }


def _every_kind(ids: Seeded, info: dict):
    """(kind, payload builder from earlier results) for every kind, in a valid order."""
    grid = Grid(
        id="G1",
        name="mesh 1",
        centre=CentredPosition(0.0, 0.0, 0.0, 0.0, 0.0),
        num_cols=3,
        num_rows=2,
        cell_width_mm=0.01,
        cell_height_mm=0.01,
    )
    strategy = {
        "osc_start": 0.0,
        "osc_range": 0.1,
        "num_images": 1800,
        "exp_time": 0.02,
        "transmission": 30.0,
        "resolution": 1.6,
    }
    return [
        (
            "data_collection_group",
            lambda r: records.group_started(
                ids.session_id, ids.sample_id, records.MESH, info["started"]
            ),
        ),
        (
            "data_collection",
            lambda r: records.collection_started(
                info,
                session_id=ids.session_id,
                sample_id=ids.sample_id,
                group=r["data_collection_group"]["id"],
            ),
        ),
        (
            "grid_info",
            lambda r: records.mesh_grid(
                grid.to_dict(),
                collection=r["data_collection"]["id"],
                group=r["data_collection_group"]["id"],
            ),
        ),
        (
            "image_quality_indicators",
            lambda r: records.quality_indicators(r["data_collection"]["id"], {1: 3.5, 2: 0.25}),
        ),
        (
            "data_collection_end",
            lambda r: records.collection_ended(r["data_collection"]["id"], info),
        ),
        (
            "data_collection_group_end",
            lambda r: records.group_ended(r["data_collection_group"]["id"], STARTED + 20),
        ),
        (
            "energy_scan",
            lambda r: records.energy_scan(
                _scan_result(),
                session_id=ids.session_id,
                sample_id=ids.sample_id,
                started=STARTED,
                ended=STARTED + 60,
            ),
        ),
        (
            "robot_action",
            lambda r: records.robot_action(
                session_id=ids.session_id,
                sample_id=ids.sample_id,
                action="load",
                started=STARTED,
                ended=STARTED + 42,
            ),
        ),
        (
            "workflow_run",
            lambda r: records.workflow_started(
                name="wf",
                started=STARTED,
                parameters={"a": 1},
                collection=r["data_collection"]["id"],
                log_file="/d/wf.log",
            ),
        ),
        (
            "workflow_run_end",
            lambda r: records.workflow_ended(
                r["workflow_run"]["auto_proc_program_id"], ended=STARTED + 30, log_file="/d/wf.log"
            ),
        ),
        (
            "screening",
            lambda r: records.screening(
                {"reference": [{"spots": 50, "resolution": 1.9}], "strategy": strategy},
                {"energy": 12.7},
                collection=r["data_collection"]["id"],
            ),
        ),
        (
            "image_jpegs",
            lambda r: records.image_jpegs(
                r["data_collection"]["id"],
                [
                    {
                        "number": 1,
                        "file": "/d/1.cbf",
                        "jpeg": "/d/1.jpeg",
                        "thumbnail": "/d/1.thumb.jpeg",
                    }
                ],
            ),
        ),
    ]


def test_a_session_lookup_finds_the_session_running_that_day_or_names_what_has_none(
    writer, seeded, ispyb_engine
) -> None:
    today = dt.date.today().isoformat()
    found = send(writer, "session_lookup", records.session_lookup("mx", "1234", "SIM-1", today))
    assert found == {"id": seeded.session_id}
    assert scalar(ispyb_engine, "SELECT COUNT(*) FROM BLSession") == 1  # nothing written
    # a collection of a local login refers to it: stored under that session
    group = records.group_started({"$ref": "s", "field": "id"}, None, records.OSC, STARTED)
    group["session_id"] = found["id"]  # the outbox resolves the reference so
    group_id = send(writer, "data_collection_group", group)["id"]
    assert scalar(
        ispyb_engine, "SELECT sessionId FROM DataCollectionGroup WHERE dataCollectionGroupId = :g",
        g=group_id,
    ) == seeded.session_id  # fmt: skip
    tomorrow = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    for payload, message in (
        (records.session_lookup("mx", "1234", "SIM-1", tomorrow), "has no session on SIM-1 on"),
        (records.session_lookup("mx", "1234", "SIM-2", today), "has no session on SIM-2"),
        (records.session_lookup("mx", "9999", "SIM-1", today), "the LIMS has no proposal mx9999"),
        (records.session_lookup("mx", "1234", "SIM-1", "7 Dec"), "day: expected YYYY-MM-DD"),
    ):
        with pytest.raises(PayloadError, match=message) as refusal:
            send(writer, "session_lookup", payload)
        assert writer.classify(refusal.value) == PERMANENT


def test_a_session_lookup_takes_the_session_running_at_the_records_time(
    writer, seeded, ispyb_engine
) -> None:
    """Back-to-back 08:00-08:00 sessions: a record of 18:04 goes to the session that began
    at 08:00 that day, not to the one that ended then (review 14b, finding 2)."""
    tables = ispyb_models().Base.metadata.tables
    with ispyb_engine.begin() as c:
        ids = [
            c.execute(
                sa.insert(tables["BLSession"]).values(
                    proposalId=seeded.proposal_id,
                    beamLineName="SIM-2",
                    visit_number=10 + number,
                    startDate=dt.datetime(2026, 1, 9 + number, 8),
                    endDate=dt.datetime(2026, 1, 10 + number, 8),
                )
            ).inserted_primary_key[0]
            for number in (0, 1)
        ]
    ended_this_morning, running = ids

    def lookup(at: str | None) -> object:
        payload = records.session_lookup("mx", "1234", "SIM-2", "2026-01-10", at=at)
        return send(writer, "session_lookup", payload)["id"]

    assert lookup("2026-01-10 18:04:00") == running
    assert lookup("2026-01-10 07:59:59") == ended_this_morning
    assert lookup("2026-01-10 08:00:00") == running  # the end is not part of a session
    assert lookup(None) == ended_this_morning  # an operation put before "at" existed
    with pytest.raises(PayloadError, match="at: expected"):
        lookup("at six")
