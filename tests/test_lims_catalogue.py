"""The catalogue of LIMS samples, Qt-free, on the simulated beamline's embedded LIMS: filled
in the LIMS thread after a login, emptied at logout (also a logout and login in quick
succession), and every kind of disagreement with the sample changer named."""

from __future__ import annotations

import threading
from dataclasses import replace

import sqlalchemy as sa

from hardware_objects.abstract.sample_changer import Sample
from hardware_objects.lims.ispyb_lims import EMBEDDED_FILE
from mxgui.core.lims.catalogue import MAX_LISTED, catalogue_of, mismatch, mismatch_list
from mxgui.core.lims.database import make_engine
from mxgui.core.lims.queries import LimsSample
from mxgui.core.user_dirs import data_dir

from helpers import wait_for


def execute(lims, sql: str, **params: object) -> None:
    """``sql`` on the embedded demo database of this test's data directory."""
    engine = make_engine(f"sqlite:///{data_dir() / EMBEDDED_FILE}")
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def test_filled_in_the_lims_thread_and_emptied_at_logout(repo):
    lims, changer = repo.get("/lims"), repo.get("/sample_changer")
    catalogue = catalogue_of(lims)
    assert catalogue_of(lims) is catalogue and len(catalogue) == 0
    threads: list[str] = []
    catalogue.connect("catalogueChanged", lambda: threads.append(threading.current_thread().name))
    lims.login("demo", "").result(timeout=60)
    wait_for(lambda: len(catalogue) > 0, "the samples")
    assert threads and all("LIMS" in name for name in threads)  # never the caller's thread
    placed = {s.address for p in changer.get_contents() for s in p.samples if s.present}
    assert set(catalogue.by_address()) == placed
    sample = catalogue.get("1:03")
    assert sample is not None and sample.name == changer.get_sample("1:03").name
    assert catalogue.mismatches(changer.get_contents()) == {}
    lims.logout().result(timeout=10)
    wait_for(lambda: len(catalogue) == 0, "the logout")
    assert catalogue.get("1:03") is None and catalogue.by_address() == {}
    # logged out and in again at once: the read asked before the logout does not count
    lims.logout().result(timeout=10)
    lims.login("demo", "")
    lims.logout()
    lims.login("demo", "").result(timeout=60)
    wait_for(lambda: len(catalogue) == len(placed), "the samples after a quick re-login")


def test_every_disagreement_is_named(repo):
    lims, changer = repo.get("/lims"), repo.get("/sample_changer")
    catalogue = catalogue_of(lims)
    lims.login("demo", "").result(timeout=60)
    wait_for(lambda: len(catalogue) > 0, "the samples")
    # samples where the sample changer disagrees: a second one at 1:03, one with no pin,
    # one at a pin puck 1 does not have; puck 2 with another barcode
    container = "(SELECT containerId FROM Container WHERE sampleChangerLocation = '1')"
    for name, pin in (("Twin", "'3'"), ("Loose", "NULL"), ("Far", "'17'")):
        execute(
            lims,
            f"INSERT INTO BLSample (containerId, name, location) VALUES ({container}, :n, {pin})",
            n=name,
        )
    execute(lims, "UPDATE Container SET barcode = 'UP00000' WHERE sampleChangerLocation = '2'")
    before = len(catalogue)
    catalogue.refresh().result(timeout=30)
    assert len(catalogue) == before + 3
    found = catalogue.mismatches(changer.get_contents())
    twins = catalogue.conflicts()["1:03"]
    assert [s.name for s in twins] == [changer.get_sample("1:03").name, "Twin"]
    assert found["1:03"].startswith("the LIMS puts 2 samples at 1:03: ")
    assert found["1:17"] == "the LIMS puts Far at 1:17, a place the sample changer does not have"
    assert [s.name for s in catalogue.unplaced()] == ["Loose"]
    puck_two = changer.get_contents()[1]
    assert puck_two.barcode != "UP00000"
    for pin in puck_two.samples:
        if pin.present:
            assert found[pin.address] == (
                f"puck barcode: the LIMS has UP00000, the sample changer read {puck_two.barcode}"
            )
    assert not any(a.startswith(("3:", "4:")) for a in found)


def test_mismatch_in_words():
    lims = LimsSample(7, "HEWL-01", "HEWL", barcode="DM1", container_location="2", location="4")
    pin = Sample(2, 4, barcode="DM1", present=True)
    assert mismatch(lims, pin) == ""
    assert mismatch(lims, replace(pin, barcode="DM2")) == (
        "barcode: the LIMS has DM1, the sample changer read DM2"
    )
    assert mismatch(lims, replace(pin, present=False, barcode="")) == (
        "the LIMS puts HEWL-01 at 2:04, the sample changer found it empty"
    )
    assert mismatch(lims, pin, puck_barcode="UP2") == ""  # the LIMS has no puck barcode
    assert mismatch(None, replace(pin, present=False)) == ""


def test_a_long_list_of_mismatches_is_cut_and_counted():
    many = {f"1:{pin:02d}": "the LIMS puts <A&B> here" for pin in range(1, MAX_LISTED + 6)}
    lines = mismatch_list(many).split("<br>")
    assert len(lines) == MAX_LISTED + 1 and lines[-1] == "... and 5 more"
    assert lines[0] == "1:01: the LIMS puts &lt;A&amp;B&gt; here"  # names are not markup


def test_the_records_take_their_sample_ids_from_the_catalogue_and_not_a_doubtful_one(
    tmp_path, monkeypatch
) -> None:
    """The recorder's blSampleIds are the catalogue's (the queue's and the view's): it
    follows its refreshes, and an address the LIMS gives two samples gets none rather
    than the other one (review 14b, finding 5)."""
    import sqlalchemy as sa

    from mxgui.core.lims.catalogue import catalogue_of
    from mxgui.core.lims.database import make_engine
    from mxgui.core.repository import HardwareRepository

    from helpers import SIMULATED, wait_for

    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path / "data"))
    repo = HardwareRepository([SIMULATED])
    try:
        lims = repo.get("lims")
        lims.login("demo", "").result(timeout=60)
        catalogue = catalogue_of(lims)
        wait_for(lambda: len(catalogue.by_address()) > 1, "the catalogue read")
        wait_for(lambda: lims.recorder.sample_id(next(iter(catalogue.by_address()))), "the ids")
        first, second = list(catalogue.by_address())[:2]
        assert lims.recorder.sample_id(second) == catalogue.get(second).sample_id
        engine = make_engine(f"sqlite:///{lims._embedded_path()}")
        try:  # a second sample at the first address
            with engine.begin() as c:
                c.execute(
                    sa.text(
                        "INSERT INTO BLSample (crystalId, containerId, name, location)"
                        " SELECT crystalId, containerId, 'twin', location FROM BLSample"
                        " WHERE blSampleId = :s"
                    ),
                    {"s": catalogue.get(first).sample_id},
                )
        finally:
            engine.dispose()
        lims.emit("samplesChanged")  # the catalogue reads again
        wait_for(lambda: first in catalogue.conflicts(), "the conflict seen")
        wait_for(lambda: lims.recorder.sample_id(first) is None, "no id at a doubtful address")
        assert lims.recorder.sample_id(second) == catalogue.get(second).sample_id
    finally:
        repo.shutdown()
