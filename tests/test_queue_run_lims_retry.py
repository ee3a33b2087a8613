"""Issue 15: a retry of a collection that wrote nothing keeps its run number, and the LIMS
(the test MariaDB) stores it as a collection of its own: the failed attempt stays
"failed", the retry is "successful", both under the same run number."""

from __future__ import annotations

from queue_engine_fixtures import add_sample, add_task
from test_lims_recording import beamline, drained, where  # noqa: F401 (the fixture)

from lims_fixtures import rows

pytest_plugins = ("lims_fixtures",)


def test_a_retry_under_the_same_run_number_is_a_second_collection_in_the_lims(
    beamline,  # noqa: F811
    ispyb_engine,
) -> None:
    bl = beamline
    bl.engine_db = ispyb_engine
    bl.lims.login("demo", "", "mx1234").result(timeout=30)
    sample = add_sample(bl, None)
    node = add_task(bl, sample, num_images=2)
    bl.collect.inject_fault("detector stopped answering", after_images=0)
    bl.engine.run(node)
    assert bl.events.wait_finished(120.0) == "failed"
    first = where(bl, node)
    bl.collect.inject_fault(None)
    bl.model.reset_status([node])
    bl.engine.run(node)
    assert bl.events.wait_finished(120.0) == "success"
    assert where(bl, node) == first  # the run number was kept: nothing had been written
    drained(bl, images=2)  # the retry's first and last images
    collections = rows(
        ispyb_engine,
        "SELECT dataCollectionNumber, runStatus, numberOfImages FROM DataCollection "
        "ORDER BY dataCollectionId",
    )
    assert [(c["dataCollectionNumber"], c["runStatus"]) for c in collections] == [
        (first[2], "Data collection failed"),
        (first[2], "Data collection successful"),
    ]
    assert [c["numberOfImages"] for c in collections] == [0, 2]
    assert bl.lims.record_status(*first) == ("stored", "")
