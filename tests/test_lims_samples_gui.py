"""The proposal's LIMS samples in the GUI and in the queue: the sample changer brick names
the pins as the LIMS does (with their blSampleId), "Add samples" adds nodes carrying the
blSampleId, a LIMS that disagrees with the sample changer is shown, a logout empties the
catalogue, and a queue file saved before samples had a blSampleId still loads.

On the embedded default (SQLite in the test's data directory, ``demo`` on mx1234) and on
a private MariaDB seeded with a sample where the sample changer found an empty pin. The
rows are checked with SQL, not through the client.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from PyQt5.QtCore import Qt

from hardware_objects.lims.ispyb_lims import EMBEDDED_FILE
from mxgui.core.lims.database import make_engine
from mxgui.core.lims.demo_data import DemoPin, DemoPuck, seed_demo
from mxgui.core.queue.nodes import ROOT_ID
from mxgui.core.queue.persistence import default_queue_path
from mxgui.core.user_dirs import data_dir

from helpers import SIMULATED, wait_for
from lims_fixtures import rows

pytest_plugins = ("lims_fixtures",)

#: a LIMS sample, its container's sample-changer location and its protein, by id
SAMPLE_SQL = """
SELECT s.blSampleId AS id, s.name AS name, s.location AS pin, s.code AS barcode,
       c.sampleChangerLocation AS puck, c.code AS container, p.acronym AS acronym
FROM BLSample s
JOIN Container c ON c.containerId = s.containerId
LEFT JOIN Crystal x ON x.crystalId = s.crystalId
LEFT JOIN Protein p ON p.proteinId = x.proteinId
"""


def log_in(app, qtbot) -> None:
    """``demo`` logs in (in the LIMS thread); wait for the brick to show the samples."""
    lims = app.repository.get("/lims")
    login = lims.login("demo", "").result(timeout=60)
    assert login.proposal == "mx1234" and not login.offline
    brick = app.built.bricks["sample_changer"]
    qtbot.waitUntil(lambda: not brick.lims_label.isHidden(), timeout=30000)


def present(changer) -> list:
    return [s for puck in changer.get_contents() for s in puck.samples if s.present]


def embedded_url() -> str:
    """The embedded demo database of this test's data directory."""
    return f"sqlite:///{data_dir() / EMBEDDED_FILE}"


def sample_rows(url: str, where: str = "", **params: object) -> list[dict[str, object]]:
    engine = make_engine(url)
    try:
        return rows(engine, SAMPLE_SQL + where + " ORDER BY s.blSampleId", **params)
    finally:
        engine.dispose()


def execute_sql(url: str, sql: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


def test_the_sample_changer_brick_names_the_pins_with_their_lims_ids(make_app, qtbot):
    app = make_app()
    brick = app.built.bricks["sample_changer"]
    assert brick.lims_label.isHidden()  # nobody logged in: the changer's names only
    assert "blSampleId" not in brick.view.pin_tooltip(present(brick.sample_changer)[0].address)
    log_in(app, qtbot)
    url = embedded_url()
    in_lims = sample_rows(url)
    changer_samples = present(brick.sample_changer)
    assert len(in_lims) == len(changer_samples) > 40
    for row in in_lims[:: max(1, len(in_lims) // 10)] + in_lims[-1:]:
        address = f"{int(row['puck'])}:{int(row['pin']):02d}"
        tip = brick.view.pin_tooltip(address)
        assert f"blSampleId {row['id']}" in tip, tip
        assert f"LIMS: <b>{row['name']} ({row['acronym']})</b>" in tip
        assert f"container {row['container']}" in tip
    assert brick.lims_label.text() == (
        f"LIMS mx1234: {len(in_lims)} samples, {len(in_lims)} in the sample changer"
    )
    assert brick.view.mismatches == {}  # the demo was made from this sample changer
    first = in_lims[0]
    address = f"{int(first['puck'])}:{int(first['pin']):02d}"
    qtbot.mouseClick(brick.view, Qt.LeftButton, pos=brick.view.pin_center(address).toPoint())
    assert f"(LIMS {first['id']})" in brick.info_label.text()
    assert first["name"] in brick.info_label.text()


def test_add_samples_gives_each_node_its_blsampleid(make_app, qtbot):
    app = make_app()
    log_in(app, qtbot)
    queue, tree = app.repository.get("/queue"), app.built.bricks["queue_tree"]
    qtbot.waitUntil(lambda: len(queue.lims_samples) > 0, timeout=10000)
    wanted = [s.address for s in present(queue.sample_changer)][3:6]
    tree.changer_action.trigger()
    dialog = tree.samples_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    texts = {item.data(Qt.UserRole): item.text() for item in dialog.items()}
    for address in wanted:
        lims = queue.lims_samples.get(address)
        assert f"[LIMS {lims.sample_id}]" in texts[address], texts[address]
    dialog.tick(wanted)
    qtbot.mouseClick(dialog.add_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(queue.model.children(ROOT_ID)) == 3, timeout=5000)
    url = embedded_url()
    session = app.repository.get("/session")
    for node_id in queue.model.children(ROOT_ID):
        parameters = queue.model.get_node(node_id).parameters
        (row,) = sample_rows(url, "WHERE s.blSampleId = :id", id=parameters["lims_sample_id"])
        assert parameters["location"] == f"{int(row['puck'])}:{int(row['pin']):02d}"
        assert parameters["location"] in wanted
        assert parameters["name"] == row["name"]
        assert parameters["protein_acronym"] == row["acronym"]
        assert parameters["barcode"] == row["barcode"]
        task = queue.model.get_node(queue.add_task(node_id, "DataCollection"))
        expected = session.get_default_prefix(row["name"], row["acronym"])  # <acronym>-<name>
        assert task.parameters["prefix"] == expected


def test_logout_empties_the_catalogue(make_app, qtbot):
    app = make_app()
    log_in(app, qtbot)
    brick, queue = app.built.bricks["sample_changer"], app.repository.get("/queue")
    address = present(brick.sample_changer)[0].address
    assert "blSampleId" in brick.view.pin_tooltip(address)
    assert queue.lims_samples is brick.catalogue  # one catalogue, read once
    app.repository.get("/lims").logout().result(timeout=10)
    qtbot.waitUntil(lambda: brick.lims_label.isHidden(), timeout=10000)
    assert len(queue.lims_samples) == 0 and queue.lims_samples.get(address) is None
    assert "blSampleId" not in brick.view.pin_tooltip(address)
    (new_id,) = queue.add_samples_from_changer([address])
    assert queue.model.get_node(new_id).parameters["lims_sample_id"] is None


def test_a_queue_file_saved_before_lims_ids_still_loads(make_app, qtbot):
    """A sample node without ``lims_sample_id`` (as saved before): restored, runs its
    prefix from its name, and takes the field's default when it is edited."""
    old = {
        "format_version": 1,
        "saved": 1764000000.0,
        "next_id": 2,
        "nodes": [
            {"id": 0, "type": "Root", "status": "not_executed", "children": [1]},
            {
                "id": 1,
                "type": "Sample",
                "status": "not_executed",
                "parent": 0,
                "name": "HEWL-A01",
                "parameters": {
                    "location": "1:01",
                    "name": "HEWL-A01",
                    "protein_acronym": "HEWL",
                    "barcode": "DM0000001",
                    "centring": "manual",
                    "point_id": None,
                },
                "children": [],
            },
        ],
        "history": [],
    }
    path = default_queue_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(old))
    app = make_app()
    queue = app.repository.get("/queue")
    assert queue.restore_result.restored, queue.restore_result.message
    assert list(queue.model.children(ROOT_ID)) == [1]
    assert "lims_sample_id" not in queue.model.get_node(1).parameters
    task = queue.model.get_node(queue.add_task(1, "DataCollection"))
    assert task.parameters["prefix"] == "HEWL-A01"  # the name starts with the acronym
    queue.model.update_parameters(1, {"barcode": "DM0000002"})
    assert queue.model.get_node(1).parameters["lims_sample_id"] is None
    with pytest.raises(ValueError, match="lims_sample_id: 0 is not a blSampleId"):
        queue.model.update_parameters(1, {"lims_sample_id": 0})


# on a MariaDB whose LIMS disagrees with the sample changer ------------------------------------
def mariadb_lims(tmp_path: Path, url: str) -> Path:
    overrides = tmp_path / "repo"
    overrides.mkdir()
    (overrides / "lims.xml").write_text(
        f"""<object class="lims.ispyb_lims.IspybLims">
  <object href="/session" role="session"/>
  <object href="/sample_changer" role="sample_changer"/>
  <object href="/queue" role="queue"/>
  <url>{url}</url>
  <beamline_name>SIM-MX</beamline_name>
  <connect_timeout>2</connect_timeout>
  <password_check>none</password_check>
</object>"""
    )
    return overrides


def shipped(changer) -> list[DemoPuck]:
    """The sample changer's contents as a shipment (every filled pin a sample)."""
    return [
        DemoPuck(
            index=puck.index,
            code=puck.name,
            barcode=puck.barcode,
            capacity=len(puck.samples),
            pins=tuple(
                DemoPin(s.pin, s.name, s.barcode, s.protein_acronym)
                for s in puck.samples
                if s.present
            ),
        )
        for puck in changer.get_contents()
    ]


def test_on_mariadb_a_sample_placed_in_an_empty_pin_is_shown(make_app, qtbot, tmp_path, ispyb_url):
    app = make_app(repository_dirs=[mariadb_lims(tmp_path, ispyb_url), SIMULATED])
    brick, queue = app.built.bricks["sample_changer"], app.repository.get("/queue")
    changer = brick.sample_changer
    empty = next(s for p in changer.get_contents()[:-1] for s in p.samples if s.present is False)
    relabelled = present(changer)[7]
    pucks = shipped(changer)
    puck = pucks[empty.puck - 1]
    pins = [DemoPin(empty.pin, "Stray-01", "DM7777777", "HEWL"), *puck.pins]
    pucks[empty.puck - 1] = replace(puck, pins=tuple(pins))
    puck = pucks[relabelled.puck - 1]
    pins = [
        replace(pin, barcode="DM0000000") if pin.pin == relabelled.pin else pin for pin in puck.pins
    ]
    pucks[relabelled.puck - 1] = replace(puck, pins=tuple(pins))
    unshipped = present(changer)[20]  # on the changer, not in the LIMS
    puck = pucks[unshipped.puck - 1]
    pins = [pin for pin in puck.pins if pin.pin != unshipped.pin]
    pucks[unshipped.puck - 1] = replace(puck, pins=tuple(pins))
    engine = make_engine(ispyb_url)
    try:
        seed_demo(engine, "SIM-MX", pucks)
    finally:
        engine.dispose()
    log_in(app, qtbot)
    (stray,) = sample_rows(ispyb_url, "WHERE s.name = 'Stray-01'")
    assert f"{int(stray['puck'])}:{int(stray['pin']):02d}" == empty.address

    assert set(brick.view.mismatches) == {empty.address, relabelled.address}
    assert "2 mismatches" in brick.lims_label.text()
    assert "b71c1c" in brick.lims_label.styleSheet()  # red
    tip = brick.view.pin_tooltip(empty.address)
    assert f"blSampleId {stray['id']}" in tip and "Stray-01" in tip
    assert f"the LIMS puts Stray-01 at {empty.address}, the sample changer found it empty" in tip
    tip = brick.view.pin_tooltip(relabelled.address)
    assert f"barcode: the LIMS has DM0000000, the sample changer read {relabelled.barcode}" in tip
    tip = brick.view.pin_tooltip(unshipped.address)
    assert "not in the LIMS" in tip and "blSampleId" not in tip
    assert unshipped.name in tip  # the sample changer's own name
    qtbot.mouseClick(brick.view, Qt.LeftButton, pos=brick.view.pin_center(empty.address).toPoint())
    assert "found it empty" in brick.info_label.text()
    assert "b71c1c" in brick.info_label.styleSheet()

    tree = app.built.bricks["queue_tree"]
    dialog = tree.add_samples_from_changer()
    items = {item.data(Qt.UserRole): item for item in dialog.items()}
    assert "Stray-01" in items[empty.address].text()
    assert items[empty.address].flags() == Qt.NoItemFlags  # listed, not to be added
    assert items[relabelled.address].toolTip().startswith("barcode: the LIMS has DM0000000")
    dialog.tick([empty.address, relabelled.address])
    assert dialog.ticked() == [relabelled.address]
    qtbot.mouseClick(dialog.add_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: len(queue.model.children(ROOT_ID)) == 1, timeout=5000)
    (node_id,) = queue.model.children(ROOT_ID)
    parameters = queue.model.get_node(node_id).parameters
    (row,) = sample_rows(ispyb_url, "WHERE s.blSampleId = :id", id=parameters["lims_sample_id"])
    assert parameters["location"] == f"{int(row['puck'])}:{int(row['pin']):02d}"
    assert row["barcode"] == "DM0000000" and parameters["name"] == row["name"]


def test_the_samples_known_stay_while_the_database_is_away(tmp_path, mariadb, ispyb_url):
    """Qt-free: a read that fails while MariaDB is down keeps the catalogue as it was
    (nothing the user saw is lost); once it is back, a read fills it again."""
    from mxgui.core.lims.catalogue import catalogue_of
    from mxgui.core.repository import HardwareRepository

    repository = HardwareRepository([mariadb_lims(tmp_path, ispyb_url), SIMULATED])
    try:
        lims, changer = repository.get("/lims"), repository.get("/sample_changer")
        engine = make_engine(ispyb_url)
        try:
            seed_demo(engine, "SIM-MX", shipped(changer))
        finally:
            engine.dispose()
        catalogue = catalogue_of(lims)
        lims.login("demo", "").result(timeout=60)
        wait_for(lambda: len(catalogue) == len(present(changer)), "the samples")
        known = catalogue.by_address()
        mariadb.stop()
        catalogue.refresh().result(timeout=30)
        assert lims.get_status()["online"] is False  # the read failed
        assert catalogue.by_address() == known and len(catalogue) == len(known)
        mariadb.start()
        execute_sql(ispyb_url, "UPDATE BLSample SET name = 'Renamed' WHERE location = '3'")
        catalogue.refresh().result(timeout=30)
        assert catalogue.get("1:03").name == "Renamed"
    finally:
        repository.shutdown()
