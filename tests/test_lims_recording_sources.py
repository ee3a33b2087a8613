"""The other recording sources on a real MariaDB: sample-changer robot actions (sample
tracking), energy scans, workflow runs and characterisations, each done on the fast
simulated beamline after a login, the outbox drained, and every row checked with SQL
by value."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace

import pytest
from queue_engine_fixtures import close_beamline, make_beamline
from test_lims_recording import (
    BEAMLINE,
    BEAMLINE_PASSWORD,
    first_present_sample,
    sample_id_at,
    wait_for,
)
from test_lims_recording import lims_xml as recording_lims_xml
from test_workflow_xmlrpc import QUICK, callback_repository
from workflow_fixtures import wait_params

from hardware_objects.abstract.energy_scan import ScanParameters
from hardware_objects.abstract.sample_changer import (
    AbstractSampleChanger,
    Puck,
    Sample,
    SampleChangerError,
    SampleChangerState,
)
from hardware_objects.lims.ispyb_lims import demo_pucks
from mxgui.core.acquisition import PathTemplate
from mxgui.core.lims.demo_data import seed_demo

from lims_fixtures import rows, scalar

pytest_plugins = ("lims_fixtures",)


def lims_xml(url: str, outbox: Path, roles: tuple[str, ...] = ()) -> str:
    """The recording tests' lims object, with the energy scan role too."""
    return recording_lims_xml(url, outbox, ("energy_scan", *roles))


@pytest.fixture
def beamline(tmp_path, ispyb_url, ispyb_engine) -> Iterator[SimpleNamespace]:
    """The fast simulated beamline, its ``lims`` on the test MariaDB holding the demo,
    logged in online as ``demo`` on mx1234."""
    bl = make_beamline(tmp_path)
    (tmp_path / "repo" / "lims.xml").write_text(lims_xml(ispyb_url, tmp_path / "outbox.sqlite"))
    try:
        bl.lims = bl.repo.get("lims")
        bl.ids = seed_demo(ispyb_engine, BEAMLINE, demo_pucks(bl.sample_changer.get_contents()))
        bl.db = ispyb_engine
        login = bl.lims.login("demo", "", "mx1234").result(timeout=30)
        assert login.session_id == bl.ids.session_today
        yield bl
    finally:
        close_beamline(bl)


def drained(bl: SimpleNamespace) -> None:
    """Wait until the recorder has put everything and the outbox has sent it."""
    outbox = bl.lims.recorder.outbox

    def done() -> bool:
        return bl.lims.recorder.flush() and outbox.wait_idle(0.5)

    wait_for(done, what="an empty outbox")
    status = outbox.status()
    assert (status.waiting, status.failed) == (0, 0), status


def unloaded_sample(bl: SimpleNamespace) -> str:
    """A sample in the dewar (the simulated changer starts with one loaded)."""
    contents = bl.sample_changer.get_contents()
    return next(s.address for p in contents for s in p.samples if s.present and not s.loaded)


def test_each_load_and_unload_is_a_robot_action_with_its_sample(beamline) -> None:
    bl = beamline
    address = unloaded_sample(bl)
    wait_for(lambda: bl.lims.recorder.sample_id(address) is not None, what="the samples' ids")
    ended: list[dict] = []
    bl.sample_changer.connect("robotActionEnded", ended.append)
    before = dt.datetime.now().replace(microsecond=0)
    bl.sample_changer.load(address).result(timeout=60)
    bl.sample_changer.unload().result(timeout=60)
    after = dt.datetime.now()
    drained(bl)

    assert [(e["action"], e["address"], e["status"]) for e in ended] == [
        ("load", address, "SUCCESS"),
        ("unload", address, "SUCCESS"),
    ]
    barcode = bl.sample_changer.get_sample(address).barcode
    assert barcode  # the simulated pucks have barcodes: the row must carry it
    puck, pin = (int(n) for n in address.split(":"))
    actions = rows(bl.db, "SELECT * FROM RobotAction ORDER BY robotActionId")
    assert [
        (
            a["blsessionId"],
            a["blsampleId"],
            a["actionType"],
            a["status"],
            a["message"],
            a["dewarLocation"],
            a["containerLocation"],
            a["sampleBarcode"],
        )
        for a in actions
    ] == [
        (
            bl.ids.session_today,
            sample_id_at(bl.db, address),
            kind,
            "SUCCESS",
            None,
            puck,
            pin,
            barcode,
        )
        for kind in ("LOAD", "UNLOAD")
    ]
    load, unload = actions
    assert before <= load["startTimestamp"] <= load["endTimestamp"]
    assert load["endTimestamp"] <= unload["startTimestamp"] <= unload["endTimestamp"] <= after


def test_a_robot_action_of_a_local_login_is_stored_under_its_session_later(
    tmp_path, ispyb_url, ispyb_engine, mariadb
) -> None:
    bl = make_beamline(tmp_path)
    (tmp_path / "repo" / "lims.xml").write_text(lims_xml(ispyb_url, tmp_path / "outbox.sqlite"))
    try:
        lims = bl.repo.get("lims")
        ids = seed_demo(ispyb_engine, BEAMLINE, demo_pucks(bl.sample_changer.get_contents()))
        mariadb.stop()
        login = lims.login("local", BEAMLINE_PASSWORD, "mx1234").result(timeout=30)
        assert login.offline and login.session_id is None
        address = unloaded_sample(bl)
        bl.sample_changer.load(address).result(timeout=60)
        lims.recorder.flush()
        assert lims.recorder.outbox.status().waiting >= 2  # the session's look-up, the load
        mariadb.start()
        bl.lims = lims
        drained(bl)
        (action,) = rows(
            ispyb_engine, "SELECT blsessionId, blsampleId, actionType, status FROM RobotAction"
        )
        # offline the LIMS gave no sample ids: the row has the session, not the sample
        assert action == {
            "blsessionId": ids.session_today,
            "blsampleId": None,
            "actionType": "LOAD",
            "status": "SUCCESS",
        }
    finally:
        close_beamline(bl)


def test_a_failed_load_is_stored_with_its_error(beamline) -> None:
    bl = beamline
    address = unloaded_sample(bl)
    ended: list[dict] = []
    bl.sample_changer.connect("robotActionEnded", ended.append)
    future = bl.sample_changer.load(address)
    bl.sample_changer.abort()
    with pytest.raises(SampleChangerError):
        future.result(timeout=60)
    drained(bl)
    (event,) = ended
    assert event["status"] == "ERROR" and event["message"]
    (action,) = rows(bl.db, "SELECT actionType, status, message FROM RobotAction")
    assert action == {"actionType": "LOAD", "status": "ERROR", "message": event["message"][:255]}


def test_an_energy_scan_is_stored_with_its_energies_file_and_sample(beamline, tmp_path) -> None:
    bl = beamline
    address = first_present_sample(bl)
    bl.sample_changer.load(address).result(timeout=60)
    wait_for(lambda: bl.lims.recorder.sample_id(address) is not None, what="the samples' ids")
    path = PathTemplate(directory=str(tmp_path / "scan"), prefix="se", run_number=1)
    params = ScanParameters(step_ev=1.0, count_time=0.005, transmission=20.0)
    before = dt.datetime.now().replace(microsecond=0)
    result = bl.energy_scan.start_energy_scan(params, path).result(timeout=60)
    drained(bl)

    (scan,) = rows(bl.db, "SELECT * FROM EnergyScan")
    assert scan["sessionId"] == bl.ids.session_today
    assert scan["blSampleId"] == sample_id_at(bl.db, address)
    assert (scan["element"], scan["edgeEnergy"]) == ("Se", "K")
    # FLOAT columns: MariaDB gives 6 significant digits back (0.1 eV at 12 keV)
    assert float(scan["peakEnergy"]) == pytest.approx(result["peak"], abs=5e-5)
    assert float(scan["inflectionEnergy"]) == pytest.approx(result["inflection"], abs=5e-5)
    assert f"remote {result['remote']:.4f} keV" in scan["comments"]
    assert scan["scanFileFullPath"] == result["file"] and Path(result["file"]).is_file()
    assert scan["filename"] == Path(result["file"]).name
    assert float(scan["exposureTime"]) == pytest.approx(0.005)
    assert float(scan["transmissionFactor"]) == pytest.approx(20.0)
    assert float(scan["startEnergy"]) == pytest.approx(params.start_energy)
    assert scan["beamSizeHorizontal"] is not None and scan["flux"] is not None
    assert before <= scan["startTime"] <= scan["endTime"] <= dt.datetime.now()
    (link,) = rows(bl.db, "SELECT blSampleId, energyScanId FROM BLSample_has_EnergyScan")
    assert link == {"blSampleId": scan["blSampleId"], "energyScanId": scan["energyScanId"]}


@pytest.fixture
def workflow_beamline(tmp_path, ispyb_url, ispyb_engine) -> Iterator[SimpleNamespace]:
    """The simulated beamline whose workflow client runs the test workflows (``CallBack``
    calls the real XML-RPC server back), its queue, and its ``lims`` (roles
    ``workflow`` and ``queue`` too) on the test MariaDB, logged in as ``demo``."""
    repository = callback_repository(tmp_path)
    (tmp_path / "repo" / "lims.xml").write_text(
        lims_xml(ispyb_url, tmp_path / "outbox.sqlite", ("workflow", "queue"))
    )
    try:
        bl = SimpleNamespace(repo=repository, db=ispyb_engine)
        bl.lims = repository.get("lims")
        bl.queue, bl.workflow = repository.get("queue"), repository.get("workflow")
        assert repository.get("xmlrpc_server").token  # it attaches itself: the callback
        changer = repository.get("sample_changer")
        bl.ids = seed_demo(ispyb_engine, BEAMLINE, demo_pucks(changer.get_contents()))
        assert bl.lims.login("demo", "", "mx1234").result(timeout=30).session_id is not None
        yield bl
    finally:
        repository.shutdown()


def test_a_workflow_run_is_stored_with_its_collection_and_the_lims_id_it_gave(
    workflow_beamline, tmp_path
) -> None:
    bl = workflow_beamline
    queue = bl.queue
    sample = queue.add_sample(None)
    queue.model.update_parameters(sample, {"centring": "none"})
    marker = tmp_path / "m"
    marker.mkdir()
    params = {"marker_dir": str(marker), "collection": QUICK, "lims_id": 4711}
    task = queue.add_task(
        sample, "Workflow", {"workflow_name": "CallBack", "workflow_parameters": params}
    )
    before = dt.datetime.now().replace(microsecond=0)
    assert queue.execute_entry(sample).result(timeout=120) == "success"
    drained(bl)

    # the node's result carries the id the workflow gave over XML-RPC ...
    assert queue.model.get_node(task).results["lims_id"] == 4711
    (dc,) = rows(bl.db, "SELECT dataCollectionId, imagePrefix, runStatus FROM DataCollection")
    assert dc["runStatus"] == "Data collection successful"
    (job,) = rows(bl.db, "SELECT * FROM ProcessingJob")
    # ... the run is tied to the collection it made, and holds that id
    assert (job["displayName"], job["dataCollectionId"]) == ("CallBack", dc["dataCollectionId"])
    assert before <= job["recordTimestamp"] <= dt.datetime.now()
    stored = {
        r["parameterKey"]: r["parameterValue"]
        for r in rows(
            bl.db,
            "SELECT parameterKey, parameterValue FROM ProcessingJobParameter"
            " WHERE processingJobId = :job",
            job=job["processingJobId"],
        )
    }
    assert stored["lims_id"] == "4711" and stored["lims_id_node"] == str(task)
    assert stored["workflow_node_id"] == str(task) and stored["sample_node_id"] == str(sample)
    assert json.loads(stored["workflow_parameters"])["lims_id"] == 4711
    (program,) = rows(
        bl.db,
        "SELECT * FROM AutoProcProgram WHERE processingJobId = :job",
        job=job["processingJobId"],
    )
    assert (program["processingStatus"], program["processingPrograms"]) == (1, "CallBack")
    assert program["processingStartTime"] <= program["processingEndTime"]
    (attachment,) = rows(
        bl.db,
        "SELECT fileType, fileName, filePath FROM AutoProcProgramAttachment"
        " WHERE autoProcProgramId = :program",
        program=program["autoProcProgramId"],
    )
    log_file = bl.workflow.log.path
    assert attachment == {
        "fileType": "Log",
        "fileName": log_file.name,
        "filePath": str(log_file.parent),
    }


def test_a_failed_workflow_run_is_stored_failed_with_its_reason(
    workflow_beamline, tmp_path
) -> None:
    bl = workflow_beamline
    params = wait_params(tmp_path / "m", seconds=0, reason="no diffraction spots")
    status, message = bl.workflow.start("Fail", {"workflow_parameters": params}).result(60)
    assert status == "failed"
    drained(bl)
    (program,) = rows(
        bl.db, "SELECT processingStatus, processingMessage, processingPrograms FROM AutoProcProgram"
    )
    assert (program["processingStatus"], program["processingPrograms"]) == (0, "Fail")
    assert program["processingMessage"] == f"failed: {message}"[:255]
    assert "no diffraction spots" in program["processingMessage"]
    assert scalar(bl.db, "SELECT dataCollectionId FROM ProcessingJob") is None


def test_a_characterisation_run_by_the_queue_is_stored_as_screening_rows(
    workflow_beamline,
) -> None:
    bl = workflow_beamline
    queue, repo = bl.queue, bl.repo
    repo.get("collect").detector.set_roi_mode("4M", timeout=None)  # room for the spots
    diffractometer = repo.get("diffractometer")
    centre = {k: float(v) for k, v in diffractometer.scene.centring_positions().items()}
    diffractometer.move_motors(centre, timeout=None)  # the crystal on the beam
    sample = queue.add_sample(None)
    queue.model.update_parameters(sample, {"centring": "none"})
    char = queue.add_task(sample, "Characterisation", {"exp_time": 0.01, "num_images": 2})
    assert queue.execute_entry(sample).result(timeout=120) == "success"
    node = queue.model.get_node(char)
    strategy, reference = node.results["strategy"], node.results["reference"]
    assert strategy  # the crystal diffracts: a strategy to store
    queue.engine.accept_strategy(char)  # the results change again: stored once all the same
    drained(bl)

    first = rows(
        bl.db,
        "SELECT dataCollectionId, dataCollectionGroupId, dataCollectionNumber"
        " FROM DataCollection ORDER BY dataCollectionId",
    )
    assert [c["dataCollectionNumber"] for c in first] == list(node.results["reference_runs"])
    (screening,) = rows(bl.db, "SELECT * FROM Screening")
    assert screening["dataCollectionId"] == first[0]["dataCollectionId"]
    assert screening["dataCollectionGroupId"] == first[0]["dataCollectionGroupId"]
    assert screening["programVersion"] == "mxgui strategy"
    assert screening["comments"] == node.results["rule"][:255]
    (output,) = rows(bl.db, "SELECT * FROM ScreeningOutput")
    assert output["screeningId"] == screening["screeningId"]
    assert output["numSpotsFound"] == sum(r["spots"] for r in reference) > 100
    assert output["totalNumberOfImages"] == 2
    assert float(output["resolutionObtained"]) == pytest.approx(
        min(r["resolution"] for r in reference), abs=1e-3
    )
    assert (output["strategySuccess"], output["indexingSuccess"]) == (1, 0)
    (stored,) = rows(bl.db, "SELECT * FROM ScreeningStrategy")
    assert stored["screeningOutputId"] == output["screeningOutputId"]
    assert float(stored["exposureTime"]) == pytest.approx(strategy["exp_time"])
    assert float(stored["resolution"]) == pytest.approx(strategy["resolution"], abs=1e-3)
    assert float(stored["rotation"]) == pytest.approx(strategy["osc_range"])
    (sub,) = rows(bl.db, "SELECT * FROM ScreeningStrategySubWedge")
    assert sub["numberOfImages"] == strategy["num_images"]
    assert float(sub["axisEnd"]) - float(sub["axisStart"]) == pytest.approx(
        strategy["num_images"] * strategy["osc_range"]
    )


class _HandChanger(AbstractSampleChanger):
    """A sample changer that is not the simulated one: its operations end by hand."""

    def __init__(self) -> None:
        super().__init__("hand")
        self.pending: list[Future] = []
        samples = tuple(Sample(1, pin, barcode=f"B{pin}", present=True) for pin in (1, 2))
        self._set_contents([Puck(1, samples=samples)])
        self._set_sc_state(SampleChangerState.Ready)

    def _operation(self, state: SampleChangerState, sample: Sample) -> Future:
        self._set_sc_state(state, target=sample.address)
        future: Future = Future()
        self.pending.append(future)
        return future

    def _load(self, sample: Sample) -> Future:
        return self._operation(SampleChangerState.Loading, sample)

    def _unload(self, sample: Sample) -> Future:
        return self._operation(SampleChangerState.Unloading, sample)

    def _abort(self) -> None:
        pass

    def _reset(self) -> Future:
        raise NotImplementedError

    def _scan(self, puck: int | None) -> Future:
        raise NotImplementedError


def test_every_sample_changer_tells_the_end_of_its_loads_and_unloads() -> None:
    changer = _HandChanger()
    ended: list[dict] = []
    changer.connect("robotActionEnded", ended.append)
    load = changer.load("1:02")
    assert ended == []  # at the end only
    changer._set_loaded("1:02")
    changer._set_sc_state(SampleChangerState.Loaded)
    load.set_result(changer.get_sample("1:02"))
    unload = changer.unload()
    changer._set_sc_state(SampleChangerState.Ready)
    unload.set_exception(SampleChangerError("gripper lost the pin"))
    assert [
        {k: e[k] for k in ("action", "address", "barcode", "status", "message")} for e in ended
    ] == [
        {"action": "load", "address": "1:02", "barcode": "B2", "status": "SUCCESS", "message": ""},
        {
            "action": "unload",
            "address": "1:02",
            "barcode": "B2",
            "status": "ERROR",
            "message": "gripper lost the pin",
        },
    ]
    assert ended[0]["started"] <= ended[0]["ended"] <= ended[1]["started"] <= ended[1]["ended"]
    assert changer.load("1:02").done()  # already loaded: no robot action
    assert len(ended) == 2
