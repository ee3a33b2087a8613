"""Everything the queue collects, stored in ISPyB through the outbox, on a real MariaDB:
a data collection and a mesh scan run by the real queue engine on the simulated
beamline and checked row by row with SQL; MariaDB stopped in the middle of a queue run
(the queue finishes, the writes wait, then every row is there once); and a local login
with the database unreachable, stored under the right session when it is back."""

from __future__ import annotations

import dataclasses
import math
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import sqlalchemy as sa
from PyQt5.QtCore import QRectF
from PyQt5.QtGui import QColor, QImage, QPainter
from PyQt5.QtWidgets import QStyleOptionGraphicsItem
from queue_engine_fixtures import (
    add_sample,
    add_task,
    close_beamline,
    crystal_centre,
    make_beamline,
)

from hardware_objects.lims.ispyb_lims import demo_pucks
from mxgui.core.centring import offset_centred_position, plane_to_image
from mxgui.core.lims.demo_data import seed_demo
from mxgui.core.lims.outbox import Outbox, OutboxFault
from mxgui.core.lims.passwords import make_hash
from mxgui.core.lims.recorder import collection_key
from mxgui.core.lims.records import wavelength
from mxgui.core.repository import HardwareRepository
from mxgui.gui.sample_view.grid_item import GridItem
from mxgui.gui.sample_view.style import OverlayStyle
from mxscore.scoring import assess_image, score_image

from helpers import SIMULATED
from lims_fixtures import rows, scalar

pytest_plugins = ("lims_fixtures",)

BEAMLINE = "SIM-MX"
BEAMLINE_PASSWORD = "beamline-secret"
PASSWORD_HASH = make_hash(BEAMLINE_PASSWORD, iterations=1000)
MESH = {"exp_time": 0.001, "osc_range": 1.0, "take_snapshots": 0, "detector_distance": 150.0}


def lims_xml(url: str, outbox: Path, roles: tuple[str, ...] = ()) -> str:
    """The lims object on ``url`` with the roles collections need, and ``roles``."""
    more = "".join(f'  <object href="/{role}" role="{role}"/>\n' for role in roles)
    return f"""<object class="lims.ispyb_lims.IspybLims">
{more}  <object href="/session" role="session"/>
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
    # a score and a spot count per image, the ones the scorer gives that image's file
    indicators = rows(
        ispyb_engine,
        "SELECT imageNumber, dozor_score, spotTotal FROM ImageQualityIndicators"
        " WHERE dataCollectionId = :dc",
        dc=mesh["dataCollectionId"],
    )
    stored = {r["imageNumber"]: float(r["dozor_score"]) for r in indicators}
    spots = {r["imageNumber"]: r["spotTotal"] for r in indicators}
    files = sorted(bl.model.get_node(mesh_node).files)
    assert sorted(stored) == list(range(1, 13)) and len(files) == 12
    for number, file in enumerate(files, start=1):
        assert stored[number] == pytest.approx(score_image(file), rel=1e-6, abs=1e-9), number
        assert spots[number] == assess_image(file).spots, number
    assert max(spots.values()) > 0  # the grid is on the crystal: some images show spots
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


def test_a_mesh_grid_info_places_the_grid_on_its_crystal_snapshot(
    beamline, ispyb_engine, qapp
) -> None:
    bl = beamline
    bl.engine_db = ispyb_engine
    bl.lims.login("demo", "", "mx1234").result(timeout=30)
    address = first_present_sample(bl)
    bl.sample_changer.load(address).result(timeout=60)
    # the crystal on the beam at omega 30; the grid drawn there, its centre right of and
    # below the beam, the crystal inside it
    here = crystal_centre(bl, 30.0)
    bl.diffractometer.move_to_centred_position(here).result(timeout=60)
    centre = offset_centred_position(here, 0.015, -0.01)
    grid = bl.shapes.add_grid(centre, 5, 4, 0.01, 0.008, scan_order="zigzag")
    sample = add_sample(bl, address)
    add_task(bl, sample, "MeshScan", grid_id=grid.id, **dict(MESH, take_snapshots=1))
    bl.engine.run_all()
    assert bl.events.wait_finished(120.0) == "success"
    drained(bl, images=2)

    (mesh,) = rows(ispyb_engine, "SELECT * FROM DataCollection")
    (row,) = rows(ispyb_engine, "SELECT * FROM GridInfo")
    assert row["dataCollectionId"] == mesh["dataCollectionId"]
    offset = (float(row["snapshot_offsetXPixel"]), float(row["snapshot_offsetYPixel"]))
    um_per_px = (float(row["micronsPerPixelX"]), float(row["micronsPerPixelY"]))
    # the scale of the camera at the zoom of the snapshot
    px, py = bl.diffractometer.get_pixels_per_mm()
    assert um_per_px == pytest.approx((1000.0 / px, 1000.0 / py))
    # the snapshot ISPyB shows: the camera's frame, the grid's corner on it
    snapshot = QImage(str(mesh["xtalSnapshotFullPath1"]))
    assert (snapshot.width(), snapshot.height()) == bl.diffractometer.get_image_size()
    # from the motors alone (they did not move since the snapshot): the grid's centre
    # is h mm along the axis and d mm up from the beam, its corner half a grid left, up
    at = bl.diffractometer.get_positions()
    w = math.radians(at["phi"])
    h = at["phiy"] - centre.phiy
    d = (at["sampx"] - centre.sampx) * math.cos(w) - (at["sampy"] - centre.sampy) * math.sin(w)
    bx, by = bl.diffractometer.get_beam_position()
    corner = (bx + (h - grid.width_mm / 2) * px, by - (d + grid.height_mm / 2) * py)
    assert offset == pytest.approx(corner, abs=1e-3)
    # the first cell, drawn from the row alone, covers what the sample view draws as
    # the grid's first cell: its outline painted over the snapshot's frame
    item = GridItem(grid, OverlayStyle())
    item.set_projection(*plane_to_image(centre, at, bl.diffractometer.get_image_geometry()))
    painted = painted_outline(item, snapshot.width(), snapshot.height())
    cell_w, cell_h = (
        float(row["dx_mm"]) * 1000 / um_per_px[0],
        float(row["dy_mm"]) * 1000 / um_per_px[1],
    )
    assert item.image_corners()[0] == pytest.approx(offset, abs=1e-3)
    left, top = round(offset[0]), round(offset[1])
    assert painted[top : top + int(cell_h), left : left + int(cell_w)].all()  # fill, lines
    below = top + round(grid.num_rows * cell_h) + 3
    assert not painted[top + int(cell_h) // 2, left - 3] and not painted[below, left + 2]
    # the crystal at the beam is in the cell the row puts there, as in the grid's own terms
    col = int((bx - offset[0]) / cell_w)
    row_ = int((by - offset[1]) / cell_h)
    assert (col, row_) == grid.cell_at(-h, -d)


def test_a_mesh_seen_turned_or_without_its_snapshot_has_a_grid_info_with_no_place(
    beamline, ispyb_engine
) -> None:
    bl = beamline
    bl.engine_db = ispyb_engine
    bl.lims.login("demo", "", "mx1234").result(timeout=30)
    address = first_present_sample(bl)
    bl.sample_changer.load(address).result(timeout=60)
    # drawn at omega 30, the snapshot taken at omega 120: the grid is not the rectangle
    # ISPyB would draw on it
    here = crystal_centre(bl, 30.0)
    bl.diffractometer.move_to_centred_position(dataclasses.replace(here, phi=120.0)).result(
        timeout=60
    )
    grid = bl.shapes.add_grid(here, 3, 2, 0.01, 0.01)
    sample = add_sample(bl, address)
    first = add_task(bl, sample, "MeshScan", grid_id=grid.id, **dict(MESH, take_snapshots=1))
    bl.engine.run_all()
    assert bl.events.wait_finished(120.0) == "success"
    # a mesh that fails before its snapshot (its directory is a file): the grid that
    # waited for the snapshot is written at the end
    directory = Path(bl.model.get_node(first).parameters["directory"]) / "blocked"
    directory.write_bytes(b"")
    failing = add_task(
        bl,
        sample,
        "MeshScan",
        grid_id=grid.id,
        directory=str(directory),
        **dict(MESH, take_snapshots=1),
    )
    bl.engine.run_all()
    bl.events.wait_finished(120.0)
    assert bl.model.get_node(failing).status == "failed"
    wait_for(lambda: scalar(ispyb_engine, "SELECT COUNT(*) FROM GridInfo") == 2, what="2 grids")
    drained(bl, images=2)  # the first mesh's JPEGs; the failed one wrote no image

    collections = rows(ispyb_engine, "SELECT * FROM DataCollection ORDER BY dataCollectionId")
    assert [c["runStatus"] for c in collections] == [
        "Data collection successful",
        "Data collection failed",
    ]
    assert collections[0]["xtalSnapshotFullPath1"] and not collections[1]["xtalSnapshotFullPath1"]
    grids = rows(ispyb_engine, "SELECT * FROM GridInfo ORDER BY gridInfoId")
    assert [g["dataCollectionId"] for g in grids] == [c["dataCollectionId"] for c in collections]
    for g in grids:
        assert (g["steps_x"], g["steps_y"]) == (3, 2)
        placed = ("snapshot_offsetXPixel", "snapshot_offsetYPixel", "micronsPerPixelX")
        assert [g[name] for name in (*placed, "micronsPerPixelY")] == [None] * 4


def painted_outline(item: GridItem, width: int, height: int) -> np.ndarray:
    """Where ``item`` paints on a ``width`` x ``height`` frame (True: a pixel drawn)."""
    image = QImage(width, height, QImage.Format_ARGB32)
    image.fill(QColor(0, 0, 0, 0))
    painter = QPainter(image)
    option = QStyleOptionGraphicsItem()
    option.exposedRect = QRectF(0, 0, width, height)
    item.paint(painter, option)
    painter.end()
    bits = image.constBits()
    bits.setsize(image.byteCount())
    return np.frombuffer(bits, np.uint8).reshape(height, width, 4)[..., 3] > 0


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
