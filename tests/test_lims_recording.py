"""Everything the queue collects, stored in ISPyB through the outbox, on a real MariaDB:
a data collection and a mesh scan run by the real queue engine on the simulated
beamline and checked row by row with SQL; MariaDB stopped in the middle of a queue run
(the queue finishes, the writes wait, then every row is there once); and a local login
with the database unreachable, stored under the right session when it is back."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from queue_engine_fixtures import (
    add_sample,
    add_task,
    close_beamline,
    crystal_centre,
    make_beamline,
)

from hardware_objects.lims.ispyb_lims import demo_pucks
from mxgui.core.centring import offset_centred_position
from mxgui.core.lims.demo_data import seed_demo
from mxgui.core.lims.outbox import Outbox, OutboxFault
from mxgui.core.lims.passwords import make_hash
from mxgui.core.lims.recorder import collection_key
from mxgui.core.lims.records import wavelength
from mxgui.core.repository import HardwareRepository
from mxscore.scoring import score_image

from helpers import SIMULATED
from lims_fixtures import rows, scalar

pytest_plugins = ("lims_fixtures",)

BEAMLINE = "SIM-MX"
BEAMLINE_PASSWORD = "beamline-secret"
PASSWORD_HASH = make_hash(BEAMLINE_PASSWORD, iterations=1000)
MESH = {"exp_time": 0.001, "osc_range": 1.0, "take_snapshots": 0, "detector_distance": 150.0}


def lims_xml(url: str, outbox: Path) -> str:
    return f"""<object class="lims.ispyb_lims.IspybLims">
  <object href="/session" role="session"/>
  <object href="/sample_changer" role="sample_changer"/>
  <object href="/collect" role="collect"/>
  <object href="/beam" role="beam"/>
  <object href="/flux" role="flux"/>
  <object href="/shapes" role="shapes"/>
  <url>{url}</url>
  <beamline_name>{BEAMLINE}</beamline_name>
  <password_check>none</password_check>
  <connect_timeout>2</connect_timeout>
  <io_timeout>5</io_timeout>
  <local_user>local</local_user>
  <local_password_hash>{PASSWORD_HASH}</local_password_hash>
  <outbox_file>{outbox}</outbox_file>
</object>
"""


@pytest.fixture
def beamline(tmp_path, ispyb_url, ispyb_engine) -> Iterator[SimpleNamespace]:
    """The fast simulated beamline with its queue engine, and its ``lims`` object on the
    test MariaDB holding the demo (the sample changer's samples)."""
    bl = make_beamline(tmp_path)
    (tmp_path / "repo" / "lims.xml").write_text(lims_xml(ispyb_url, tmp_path / "outbox.sqlite"))
    try:
        bl.lims = bl.repo.get("lims")
        bl.ids = seed_demo(ispyb_engine, BEAMLINE, demo_pucks(bl.sample_changer.get_contents()))
        yield bl
    finally:
        close_beamline(bl)


def wait_for(condition: Callable[[], object], timeout: float = 90.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not in {timeout} s: {what or condition}"
        time.sleep(0.05)


def drained(bl: SimpleNamespace, images: int) -> None:
    """Wait until the recorder has put everything and the outbox has sent it (the JPEGs,
    made in the background, last: ``images`` Image rows)."""
    outbox = bl.lims.recorder.outbox

    def done() -> bool:
        bl.lims.recorder.flush()
        count = scalar(bl.engine_db, "SELECT COUNT(*) FROM Image")
        return count == images and outbox.wait_idle(0.5)

    wait_for(done, what=f"{images} Image rows and an empty outbox")


def first_present_sample(bl: SimpleNamespace) -> str:
    return next(s.address for p in bl.sample_changer.get_contents() for s in p.samples if s.present)


def sample_id_at(engine: sa.Engine, address: str) -> int:
    puck, pin = address.split(":")
    return int(
        scalar(
            engine,
            "SELECT s.blSampleId FROM BLSample s JOIN Container c ON s.containerId = c.containerId"
            " WHERE c.sampleChangerLocation = :puck AND s.location = :pin",
            puck=puck,
            pin=str(int(pin)),
        )
    )


def test_a_collection_and_a_mesh_run_by_the_queue_are_stored_row_by_row(
    beamline, ispyb_engine
) -> None:
    bl = beamline
    bl.engine_db = ispyb_engine
    login = bl.lims.login("demo", "", "mx1234").result(timeout=30)
    assert login.session_id == bl.ids.session_today
    address = first_present_sample(bl)
    bl.sample_changer.load(address).result(timeout=60)  # the grid is on this sample
    centre = offset_centred_position(crystal_centre(bl, 0.0), 0.07, -0.05)
    grid = bl.shapes.add_grid(centre, 4, 3, 0.03, 0.03, scan_order="zigzag")
    sample = add_sample(bl, address)
    dc_node = add_task(bl, sample, energy=12.4, transmission=40.0)
    mesh_node = add_task(bl, sample, "MeshScan", grid_id=grid.id, **MESH)
    # the sample's id, read from the LIMS after the login, goes on the rows
    wait_for(lambda: bl.lims.recorder.sample_id(address) is not None, what="the samples' ids")

    bl.engine.run_all()
    assert bl.events.wait_finished(120.0) == "success"
    drained(bl, images=4)  # the first and last image of each collection

    sample_id = sample_id_at(ispyb_engine, address)
    groups = rows(
        ispyb_engine,
        "SELECT dataCollectionGroupId, sessionId, blSampleId, experimentType, endTime"
        " FROM DataCollectionGroup ORDER BY dataCollectionGroupId",
    )
    assert [(g["sessionId"], g["blSampleId"], g["experimentType"]) for g in groups] == [
        (bl.ids.session_today, sample_id, "OSC"),
        (bl.ids.session_today, sample_id, "Mesh"),
    ]
    assert all(g["endTime"] is not None for g in groups)
    collections = rows(
        ispyb_engine,
        "SELECT * FROM DataCollection ORDER BY dataCollectionId",
    )
    assert len(collections) == 2
    dc, mesh = collections
    p = bl.model.get_node(dc_node).parameters
    assert dc["dataCollectionGroupId"] == groups[0]["dataCollectionGroupId"]
    assert float(dc["wavelength"]) == pytest.approx(wavelength(12.4), abs=1e-4)
    assert dc["fileTemplate"] == f"{p['prefix']}_{p['run_number']}_#####.cbf"
    assert dc["imageDirectory"] == p["directory"] and dc["imagePrefix"] == p["prefix"]
    assert (dc["numberOfImages"], dc["runStatus"]) == (3, "Data collection successful")
    assert float(dc["transmission"]) == pytest.approx(40.0)
    assert dc["beamSizeAtSampleX"] is not None and dc["flux"] is not None
    assert dc["endTime"] is not None and dc["BLSAMPLEID"] == sample_id
    m = bl.model.get_node(mesh_node).parameters
    assert mesh["fileTemplate"] == f"{m['prefix']}_{m['run_number']}_#####.cbf"
    assert (mesh["numberOfImages"], mesh["runStatus"]) == (12, "Data collection successful")
    assert mesh["dataCollectionGroupId"] == groups[1]["dataCollectionGroupId"]
    (grid_row,) = rows(ispyb_engine, "SELECT * FROM GridInfo")
    assert (grid_row["dataCollectionId"], grid_row["steps_x"], grid_row["steps_y"]) == (
        mesh["dataCollectionId"],
        4,
        3,
    )
    assert float(grid_row["dx_mm"]) == pytest.approx(0.03)
    assert grid_row["snaked"] == 1
    # a score per image, the one the scorer gives that image's file
    stored = {
        r["imageNumber"]: float(r["dozor_score"])
        for r in rows(
            ispyb_engine,
            "SELECT imageNumber, dozor_score FROM ImageQualityIndicators"
            " WHERE dataCollectionId = :dc",
            dc=mesh["dataCollectionId"],
        )
    }
    files = sorted(bl.model.get_node(mesh_node).files)
    assert sorted(stored) == list(range(1, 13)) and len(files) == 12
    for number, file in enumerate(files, start=1):
        assert stored[number] == pytest.approx(score_image(file), rel=1e-6, abs=1e-9), number
    # the JPEGs of the first and last images, on ISPyB's Image rows
    images = rows(ispyb_engine, "SELECT * FROM Image ORDER BY dataCollectionId, imageNumber")
    assert [(i["dataCollectionId"], i["imageNumber"]) for i in images] == [
        (dc["dataCollectionId"], 1),
        (dc["dataCollectionId"], 3),
        (mesh["dataCollectionId"], 1),
        (mesh["dataCollectionId"], 12),
    ]
    assert all(Path(i["jpegThumbnailFileFullPath"]).is_file() for i in images)
    assert bl.lims.record_status(p["directory"], p["prefix"], p["run_number"]) == ("stored", "")
    assert bl.lims.record_status(p["directory"], p["prefix"], 999) == ("", "")
    status = bl.lims.get_status()
    assert (status["waiting"], status["failed"], status["online"]) == (0, 0, True)


def test_mariadb_stopped_in_the_middle_of_a_queue_run_loses_nothing(
    beamline, ispyb_engine, mariadb
) -> None:
    bl = beamline
    bl.engine_db = ispyb_engine
    bl.lims.login("demo", "", "mx1234").result(timeout=30)
    sample = add_sample(bl, None)
    nodes = [add_task(bl, sample) for _ in range(3)]
    started: list[str] = []
    bl.collect.connect("collectStarted", lambda info: started.append(info["prefix"]))
    seen: list[dict] = []
    bl.lims.connect("limsStatusChanged", seen.append)
    bl.engine.run_all()
    wait_for(lambda: started, what="the first collection's start")
    mariadb.stop(signal.SIGKILL)
    assert bl.events.wait_finished(120.0) == "success"  # the queue never waits on the LIMS
    outbox = bl.lims.recorder.outbox
    bl.lims.recorder.flush()
    assert outbox.status().waiting > 0
    # the status says it (the JPEGs, made in the background, may add to the writes)
    wait_for(
        lambda: (
            seen
            and seen[-1]["online"] is False
            and seen[-1]["waiting"] == outbox.status().waiting >= 3 * 2
        ),  # 3 ends at least
        what="the status saying offline with the writes waiting",
    )
    statuses = {bl.lims.record_status(*where(bl, n))[0] for n in nodes}
    assert "waiting" in statuses and "failed" not in statuses

    mariadb.start()
    drained(bl, images=6)
    assert scalar(ispyb_engine, "SELECT COUNT(*) FROM DataCollectionGroup") == 3
    collected = rows(
        ispyb_engine,
        "SELECT imageDirectory, imagePrefix, dataCollectionNumber, runStatus, numberOfImages"
        " FROM DataCollection ORDER BY dataCollectionId",
    )
    assert collected == [
        {
            "imageDirectory": where(bl, n)[0],
            "imagePrefix": where(bl, n)[1],
            "dataCollectionNumber": where(bl, n)[2],
            "runStatus": "Data collection successful",
            "numberOfImages": 3,
        }
        for n in nodes
    ]
    assert all(bl.lims.record_status(*where(bl, n)) == ("stored", "") for n in nodes)
    wait_for(lambda: seen[-1]["waiting"] == 0 and seen[-1]["online"] is True, what="online")


def test_a_local_login_with_the_database_away_is_stored_under_its_session_later(
    beamline, ispyb_engine, mariadb
) -> None:
    bl = beamline
    bl.engine_db = ispyb_engine
    mariadb.stop()
    login = bl.lims.login("local", BEAMLINE_PASSWORD, "mx1234").result(timeout=30)
    assert login.offline and login.session_id is None
    sample = add_sample(bl, None)
    node = add_task(bl, sample)
    bl.engine.run_all()
    assert bl.events.wait_finished(120.0) == "success"
    bl.lims.recorder.flush()
    assert bl.lims.record_status(*where(bl, node))[0] == "waiting"

    mariadb.start()
    drained(bl, images=2)
    (group,) = rows(ispyb_engine, "SELECT sessionId, blSampleId FROM DataCollectionGroup")
    assert group == {"sessionId": bl.ids.session_today, "blSampleId": None}
    (dc,) = rows(ispyb_engine, "SELECT SESSIONID, imagePrefix, runStatus FROM DataCollection")
    assert dc == {
        "SESSIONID": bl.ids.session_today,
        "imagePrefix": where(bl, node)[1],
        "runStatus": "Data collection successful",
    }
    assert bl.lims.record_status(*where(bl, node)) == ("stored", "")


def test_writes_failed_for_want_of_a_session_are_sent_again_at_the_next_online_login(
    beamline, ispyb_engine, mariadb
) -> None:
    """A local login on a day the user office has not given a session yet: the lookup
    and what refers to it fail; once the session exists, an online login sends them
    again (review 14b, finding 3)."""
    bl = beamline
    bl.engine_db = ispyb_engine
    moved = "UPDATE BLSession SET startDate = startDate + INTERVAL :d DAY,"
    moved += " endDate = endDate + INTERVAL :d DAY WHERE sessionId = :s"
    with ispyb_engine.begin() as c:  # no session today
        c.execute(sa.text(moved), {"d": 30, "s": bl.ids.session_today})
    mariadb.stop()
    login = bl.lims.login("local", BEAMLINE_PASSWORD, "mx1234").result(timeout=30)
    assert login.offline
    node = add_task(bl, add_sample(bl, None))
    bl.engine.run_all()
    assert bl.events.wait_finished(120.0) == "success"
    bl.lims.recorder.flush()
    mariadb.start()
    bl.lims.recorder.outbox.retry_now()
    wait_for(
        lambda: bl.lims.record_status(*where(bl, node))[0] == "failed",
        what="the collection failed for want of a session",
    )
    assert "session" in bl.lims.record_status(*where(bl, node))[1]
    assert scalar(ispyb_engine, "SELECT COUNT(*) FROM DataCollection") == 0

    with ispyb_engine.begin() as c:  # the user office creates the session
        c.execute(sa.text(moved), {"d": -30, "s": bl.ids.session_today})
    online = bl.lims.login("demo", "", "mx1234").result(timeout=30)
    assert not online.offline
    drained(bl, images=2)
    (dc,) = rows(ispyb_engine, "SELECT SESSIONID, runStatus FROM DataCollection")
    assert dc == {"SESSIONID": bl.ids.session_today, "runStatus": "Data collection successful"}
    assert bl.lims.record_status(*where(bl, node)) == ("stored", "")
    wait_for(lambda: bl.lims.get_status()["failed"] == 0, what="no failed write said")


def test_the_jpegs_of_the_last_collection_are_recorded_at_shutdown(
    beamline, ispyb_engine, tmp_path
) -> None:
    """mxgui quits right after a collection: its JPEGs are made and their record put in
    the outbox before it closes, not dropped (review 14b, finding 6)."""
    bl = beamline
    bl.lims.login("demo", "", "mx1234").result(timeout=30)
    node = add_task(bl, add_sample(bl, None))
    bl.engine.run_all()
    assert bl.events.wait_finished(120.0) == "success"
    directory, prefix, run = where(bl, node)
    bl.repo.shutdown()  # at once: the JPEGs may not be made yet

    left = Outbox(tmp_path / "outbox.sqlite", lambda _op: {}, lambda _e: OutboxFault.RETRY)
    try:
        state, _reason = left.status_of(collection_key("jpegs", directory, prefix, run))
        assert state in ("waiting", "stored")
        assert left.status_of(collection_key("dc-end", directory, prefix, run))[0] in (
            "waiting",
            "stored",
        )
    finally:
        left.close()


def where(bl: SimpleNamespace, node: int) -> tuple[str, str, int]:
    """(directory, prefix, run number) of a collection node."""
    p = bl.model.get_node(node).parameters
    return p["directory"], p["prefix"], p["run_number"]


def test_a_failed_collection_is_stored_failed_with_its_reason_and_the_images_written(
    beamline, ispyb_engine
) -> None:
    bl = beamline
    bl.engine_db = ispyb_engine
    bl.lims.login("demo", "", "mx1234").result(timeout=30)
    sample = add_sample(bl, None)
    node = add_task(bl, sample, num_images=5)
    bl.collect.inject_fault("detector stopped answering", after_images=2)
    bl.engine.run_all()
    assert bl.events.wait_finished(120.0) in ("failed", "warning")
    assert bl.model.get_node(node).status == "failed"
    drained(bl, images=2)  # the first and last of the 2 written
    (dc,) = rows(
        ispyb_engine, "SELECT runStatus, numberOfImages, comments, endTime FROM DataCollection"
    )
    assert dc["runStatus"] == "Data collection failed" and dc["numberOfImages"] == 2
    assert dc["comments"] == "detector error: detector stopped answering (2 of 5 images written)"
    assert dc["endTime"] is not None
    assert scalar(ispyb_engine, "SELECT endTime FROM DataCollectionGroup") is not None
    assert bl.lims.record_status(*where(bl, node)) == ("stored", "")


def test_writes_waiting_at_shutdown_are_sent_by_the_next_start_without_a_login(
    beamline, ispyb_engine, mariadb, tmp_path
) -> None:
    bl = beamline
    bl.lims.login("demo", "", "mx1234").result(timeout=30)
    mariadb.stop()
    sample = add_sample(bl, None)
    node = add_task(bl, sample)
    bl.engine.run_all()
    assert bl.events.wait_finished(120.0) == "success"
    bl.lims.recorder.flush()
    assert bl.lims.record_status(*where(bl, node))[0] == "waiting"
    directory, prefix, run = where(bl, node)
    bl.repo.shutdown()  # mxgui stops with the writes waiting in the outbox file

    mariadb.start()
    again = HardwareRepository([tmp_path / "repo", SIMULATED])
    try:
        lims = again.get("lims")  # the outbox's file holds writes: opened and sent at once
        wait_for(
            lambda: lims.record_status(directory, prefix, run) == ("stored", ""),
            what="the writes of the earlier run stored",
        )
        (dc,) = rows(ispyb_engine, "SELECT SESSIONID, imagePrefix, runStatus FROM DataCollection")
        assert dc == {
            "SESSIONID": bl.ids.session_today,
            "imagePrefix": prefix,
            "runStatus": "Data collection successful",
        }
        assert scalar(ispyb_engine, "SELECT COUNT(*) FROM DataCollectionGroup") == 1
        assert lims.get_login() is None  # nobody logged in: sent all the same
    finally:
        again.shutdown()
