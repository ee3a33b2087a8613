"""A characterisation in ISPyB: its reference images are one run of one wedge per image,
stored as one ``Characterization`` collection whose angles say where each image is, and
its strategy as one sub-wedge per proposed sweep, in order.

A real characterisation is run by the queue on the simulated beamline with the LIMS
recording on, on the private MariaDB and on the embedded SQLite file (made by the
``lims`` object as ``mxgui`` makes it), and every row is checked with SQL; the angles
are checked against the image headers the beamline wrote.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_lims_recording import lims_xml
from test_lims_recording_sources import drained
from test_lims_writer import STARTED, Op, store_collection

from hardware_objects.lims.ispyb_lims import demo_pucks
from mxgui.core.lims import records
from mxgui.core.lims.database import create_schema, make_engine
from mxgui.core.lims.demo_data import seed_demo
from mxgui.core.lims.ispyb_writer import IspybWriter, PayloadError
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED, quick_collect_overrides
from lims_fixtures import rows, scalar
from lims_seed import seed

pytest_plugins = ("lims_fixtures",)

BEAMLINE = "SIM-MX"
#: the characterisation run: 4 reference images of 0.5 deg, 90 deg apart from 10 deg
OSC_START, OSC_RANGE, ANGLE_STEP, IMAGES = 10.0, 0.5, 90.0, 4


@pytest.fixture(params=["mariadb", "sqlite"])
def beamline(request, tmp_path) -> Iterator[SimpleNamespace]:
    """The simulated beamline (quick collections) whose ``lims`` (role ``queue`` too)
    writes to the private MariaDB holding the demo, or to the embedded SQLite file it
    makes itself; logged in as ``demo`` on mx1234."""
    overrides = quick_collect_overrides(tmp_path)
    if request.param == "mariadb":
        url = request.getfixturevalue("ispyb_url")
    else:
        url = f"sqlite:///{tmp_path / 'lims.sqlite'}"
    (overrides / "lims.xml").write_text(lims_xml(url, tmp_path / "outbox.sqlite", ("queue",)))
    repository = HardwareRepository([overrides, SIMULATED])
    engine = None
    try:
        lims = repository.get("lims")
        engine = make_engine(url)
        if request.param == "mariadb":
            changer = repository.get("sample_changer")
            seed_demo(engine, BEAMLINE, demo_pucks(changer.get_contents()))
        assert lims.login("demo", "", "mx1234").result(timeout=30).session_id is not None
        yield SimpleNamespace(repo=repository, lims=lims, db=engine, queue=repository.get("queue"))
    finally:
        repository.shutdown()
        if engine is not None:
            engine.dispose()


def run_characterisation(bl: SimpleNamespace, **parameters: object) -> SimpleNamespace:
    """A characterisation of the crystal on the beam, run by the queue; its node."""
    repo, queue = bl.repo, bl.queue
    repo.get("collect").detector.set_roi_mode("4M", timeout=None)  # room for the spots
    diffractometer = repo.get("diffractometer")
    centre = {k: float(v) for k, v in diffractometer.scene.centring_positions().items()}
    diffractometer.move_motors(centre, timeout=None)  # the crystal on the beam
    sample = queue.add_sample(None)
    queue.model.update_parameters(sample, {"centring": "none"})
    values = {
        "exp_time": 0.01,
        "osc_start": OSC_START,
        "osc_range": OSC_RANGE,
        "angle_step": ANGLE_STEP,
        "num_images": IMAGES,
        **parameters,
    }
    char = queue.add_task(sample, "Characterisation", values)
    assert queue.execute_entry(sample).result(timeout=180) == "success"
    node = queue.model.get_node(char)
    assert node.results["strategy"], node.message  # the crystal diffracts
    drained(bl)
    return node


def header_start_angle(path: str) -> float:
    """The ``Start_angle`` of a CBF file's Pilatus header."""
    text = Path(path).read_bytes()[:8192].decode("ascii", "replace")
    found = re.search(r"Start_angle\s+([-+0-9.eE]+)", text)
    assert found, f"{path}: no Start_angle in its header"
    return float(found.group(1))


def test_a_characterisation_is_one_collection_of_wedges_and_a_screening_with_every_sweep(
    beamline,
) -> None:
    bl = beamline
    node = run_characterisation(bl, strategy_complexity="few sweeps", anomalous=True)
    sweeps = node.results["strategy_sweeps"]
    assert len(sweeps) == 2  # few sweeps: the sweep, then the low-resolution pass

    (group,) = rows(bl.db, "SELECT * FROM DataCollectionGroup")
    assert group["experimentType"] == "Characterization"
    (dc,) = rows(bl.db, "SELECT * FROM DataCollection")  # one run: one collection
    assert dc["dataCollectionGroupId"] == group["dataCollectionGroupId"]
    assert [dc["dataCollectionNumber"]] == list(node.results["reference_runs"])
    assert (dc["numberOfImages"], dc["startImageNumber"]) == (IMAGES, 1)
    assert dc["runStatus"] == "Data collection successful"
    assert float(dc["axisRange"]) == pytest.approx(OSC_RANGE)
    # what the first image covers, and the gap to the next one as a negative overlap
    assert float(dc["axisStart"]) == pytest.approx(OSC_START)
    assert float(dc["axisEnd"]) == pytest.approx(OSC_START + OSC_RANGE)
    assert float(dc["overlap"]) == pytest.approx(OSC_RANGE - ANGLE_STEP)
    images = sorted(f for f in node.files if f.endswith(".cbf"))
    assert len(images) == IMAGES
    step = float(dc["axisRange"]) - float(dc["overlap"])
    assert [header_start_angle(f) for f in images] == pytest.approx(
        [float(dc["axisStart"]) + i * step for i in range(IMAGES)], abs=1e-3
    )
    assert dc["comments"] is None  # evenly spaced: the overlap says it all

    (screening,) = rows(bl.db, "SELECT * FROM Screening")
    assert screening["dataCollectionId"] == dc["dataCollectionId"]
    assert screening["dataCollectionGroupId"] == group["dataCollectionGroupId"]
    (output,) = rows(bl.db, "SELECT * FROM ScreeningOutput")
    assert output["totalNumberOfImages"] == IMAGES
    assert output["numSpotsFound"] == sum(r["spots"] for r in node.results["reference"])
    (strategy,) = rows(bl.db, "SELECT * FROM ScreeningStrategy")
    assert strategy["screeningOutputId"] == output["screeningOutputId"]
    assert strategy["anomalous"] == 1  # the user's choice
    main = sweeps[0]
    assert float(strategy["resolution"]) == pytest.approx(main["resolution"], abs=1e-3)
    assert float(strategy["rotation"]) == pytest.approx(main["osc_range"])
    (wedge,) = rows(bl.db, "SELECT * FROM ScreeningStrategyWedge")
    assert wedge["screeningStrategyId"] == strategy["screeningStrategyId"]
    assert wedge["numberOfImages"] == sum(s["num_images"] for s in sweeps)
    subs = rows(
        bl.db,
        "SELECT * FROM ScreeningStrategySubWedge WHERE screeningStrategyWedgeId = :w"
        " ORDER BY subWedgeNumber",
        w=wedge["screeningStrategyWedgeId"],
    )
    assert [s["subWedgeNumber"] for s in subs] == [1, 2]
    for sub, sweep in zip(subs, sweeps, strict=True):
        assert sub["numberOfImages"] == sweep["num_images"]
        assert float(sub["oscillationRange"]) == pytest.approx(sweep["osc_range"])
        assert float(sub["RESOLUTION"]) == pytest.approx(sweep["resolution"], abs=1e-3)
        assert float(sub["transmission"]) == pytest.approx(sweep["transmission"], abs=1e-3)
        assert float(sub["exposureTime"]) == pytest.approx(sweep["exp_time"], abs=1e-6)
        assert float(sub["axisStart"]) == pytest.approx(sweep["osc_start"])
        assert float(sub["axisEnd"]) == pytest.approx(
            sweep["osc_start"] + sweep["osc_range"] * sweep["num_images"], abs=1e-3
        )
    # the low-resolution pass comes second: lower resolution, coarser slicing
    assert float(subs[1]["RESOLUTION"]) > float(subs[0]["RESOLUTION"])
    assert float(subs[1]["oscillationRange"]) > float(subs[0]["oscillationRange"])


# -- the payloads and the writer, without the beamline ---------------------------------------
def wedge_info(starts: list[float]) -> dict[str, object]:
    """A collection ``info`` of one wedge per image from ``starts``."""
    parameters = {
        "osc_start": starts[0],
        "osc_range": 1.0,
        "num_images": len(starts),
        "exp_time": 0.1,
        "energy": 12.7,
        "transmission": 10.0,
        "resolution": 2.0,
    }
    path = {"directory": "/data/x", "prefix": "ref-lyso", "run_number": 3, "suffix": "cbf"}
    return {
        "parameters": parameters,
        "path": path,
        "directory": "/data/x",
        "prefix": "ref-lyso",
        "run_number": 3,
        "num_images": len(starts),
        "first_image": 1,
        "image_starts": starts,
        "started": STARTED,
    }


def test_reference_images_make_a_characterization_group_with_the_first_image_s_angles() -> None:
    info = wedge_info([0.0, 90.0, 180.0, 270.0])
    assert records.experiment_type(info) == records.CHARACTERIZATION
    assert records.experiment_type({**info, "image_starts": None}) == records.OSC
    payload = records.collection_started(info, session_id=1, sample_id=None, group=2)
    assert (payload["axis_start"], payload["axis_end"], payload["axis_range"]) == (0.0, 1.0, 1.0)
    assert (payload["overlap"], payload["number_of_images"]) == (-89.0, 4)
    assert "comments" not in payload


def test_unevenly_spaced_reference_images_are_named_in_the_comments() -> None:
    info = wedge_info([5.0, 50.0, 185.0])
    info["parameters"] = {**info["parameters"], "comments": "loop 2"}  # type: ignore[dict-item]
    payload = records.collection_started(info, session_id=1, sample_id=None, group=2)
    assert payload["overlap"] == pytest.approx(1.0 - 90.0)  # the mean spacing
    assert payload["comments"] == "loop 2; reference images at 5, 50, 185 deg"
    with pytest.raises(ValueError, match="image_starts"):
        records.collection_started(
            {**info, "image_starts": [0.0, "x"]}, session_id=1, sample_id=None, group=2
        )


def test_a_screening_written_before_the_sweeps_still_stores_its_one_sweep(tmp_path) -> None:
    """An outbox may hold a ``screening`` payload of before ``sweeps``: one sub-wedge."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lims.sqlite'}")
    try:
        create_schema(engine)
        ids = seed(engine)
        writer = IspybWriter(engine)
        _group, collection = store_collection(writer, ids, wedge_info([0.0, 90.0]))
        old = {
            "collection_id": collection,
            "program": records.STRATEGY_PROGRAM,
            "output": {"spots_found": 40, "images": 2},
            "strategy": {
                "axis_start": 0.0,
                "axis_end": 180.0,
                "osc_range": 0.2,
                "number_of_images": 900,
                "exposure_time": 0.05,
                "transmission": 12.0,
                "resolution": 1.9,
                "anomalous": False,
            },
        }
        writer.send(Op("screening", old))
        assert rows(
            engine,
            "SELECT subWedgeNumber, numberOfImages, axisEnd FROM ScreeningStrategySubWedge",
        ) == [{"subWedgeNumber": 1, "numberOfImages": 900, "axisEnd": 180.0}]
        assert scalar(engine, "SELECT numberOfImages FROM ScreeningStrategyWedge") == 900
        empty = {**old, "strategy": {**old["strategy"], "sweeps": []}}  # type: ignore[dict-item]
        with pytest.raises(PayloadError, match="sweeps: expected at least one sweep"):
            writer.send(Op("screening", {**empty, "program": "other"}))
        assert scalar(engine, "SELECT COUNT(*) FROM Screening") == 1  # nothing half-written
    finally:
        engine.dispose()


def test_a_screening_payload_holds_every_sweep_in_order() -> None:
    def sweep(resolution: float, osc: float, n: int) -> dict[str, object]:
        return {
            "osc_start": 30.0,
            "osc_range": osc,
            "num_images": n,
            "exp_time": 0.02,
            "transmission": 5.0,
            "resolution": resolution,
        }

    sweeps = [sweep(1.6, 0.1, 1800), sweep(4.0, 0.2, 900)]
    results = {"reference": [], "strategy": sweeps[0], "strategy_sweeps": sweeps, "rule": "r"}
    payload = records.screening(results, {"energy": 12.7, "anomalous": False}, collection=7)
    strategy = payload["strategy"]
    assert isinstance(strategy, dict)
    assert [s["resolution"] for s in strategy["sweeps"]] == [1.6, 4.0]
    assert [s["axis_end"] for s in strategy["sweeps"]] == pytest.approx([210.0, 210.0])
    assert strategy["resolution"] == 1.6 and strategy["anomalous"] is False
    # parameters without the user's choice (a node of before it): a 360 deg sweep is anomalous
    long = {**results, "strategy_sweeps": [sweep(2.0, 0.2, 1800)]}
    assert records.screening(long, {}, collection=7)["strategy"]["anomalous"] is True  # type: ignore[index]


def test_a_sweep_of_overlapping_images_ends_where_its_last_image_ends() -> None:
    info = wedge_info([0.0])
    info.update(image_starts=None, num_images=10)
    info["parameters"] = {**info["parameters"], "num_images": 10, "overlap": 0.25}  # type: ignore[dict-item]
    payload = records.collection_started(info, session_id=1, sample_id=None, group=2)
    # 10 images of 1 deg, each starting 0.75 deg after the one before: 9 x 0.75 + 1
    assert (payload["axis_start"], payload["axis_end"]) == (0.0, pytest.approx(7.75))
    assert payload["overlap"] == 0.25
