"""The queue history's LIMS column: each collection stored in the LIMS, waiting in the
outbox (the database away), with the reason in its tooltip. On the simulated beamline
with its embedded LIMS, or a LIMS database that does not answer."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from test_queue_bricks_run import LAYOUT, fast_beamline

from mxgui.core.lims.passwords import make_hash
from mxgui.core.queue.history import History, HistoryEntry
from mxgui.demo_servers.mariadb import free_tcp_port
from mxgui.gui.bridge import GuiBridge
from mxgui.gui.queue.history_model import LIMS, LIMS_RECORD_GRACE, HistoryTableModel

QUICK = {
    "num_images": 3,
    "osc_range": 1.0,
    "exp_time": 0.001,
    "detector_roi_mode": "test",
    "take_snapshots": 0,
    "detector_distance": 150.0,
}


@pytest.fixture
def history_app(make_app, tmp_path, qtbot):
    """The queue layout on a fast beamline, its history brick showing the LIMS column."""

    def make(lims_xml: str | None = None):
        directories = fast_beamline(tmp_path)
        if lims_xml is not None:
            (directories[0] / "lims.xml").write_text(lims_xml)
        app = make_app(LAYOUT, directories)
        history = app.built.bricks["queue_history"]
        assert history.view.isColumnHidden(LIMS)  # this layout names no LIMS
        history.set_property("lims", "/lims")
        assert not history.view.isColumnHidden(LIMS)
        return app, app.repository.get("/queue"), app.repository.get("/lims"), history

    return make


def run_one_collection(qtbot, queue) -> int:
    """A sample from the changer (no centring) with a 3-image collection, run; its node."""
    contents = queue.sample_changer.get_contents()
    address = next(s.address for p in contents for s in p.samples if s.present and s.name)
    (sample,) = queue.add_samples_from_changer([address])
    queue.model.update_parameters(sample, {"centring": "none"})
    task = queue.add_task(sample, "DataCollection", QUICK)
    queue.engine.run_all()
    qtbot.waitUntil(
        lambda: queue.model.get_node(task).status not in ("not_executed", "running"), timeout=60_000
    )
    assert queue.model.get_node(task).status == "success", queue.model.get_node(task).message
    return task


def history_row(qtbot, history, task: int) -> int:
    table = history.table
    qtbot.waitUntil(
        lambda: any(table.entry(r).node_id == task for r in range(table.rowCount())),
        timeout=5000,
    )
    return next(r for r in range(table.rowCount()) if table.entry(r).node_id == task)


def test_a_collection_stored_in_the_embedded_lims_says_stored(history_app, qtbot) -> None:
    app, queue, lims, history = history_app()
    lims.login("demo", "").result(timeout=60)
    task = run_one_collection(qtbot, queue)
    table, row = history.table, history_row(qtbot, history, task)
    entry = table.entry(row)

    def all_stored() -> bool:  # the JPEGs' write comes last, after the images are read
        in_lims = lims.record_status(entry.directory, entry.prefix, entry.run_number)[0]
        return in_lims == "stored" and table.index(row, LIMS).data() == "stored"

    qtbot.waitUntil(all_stored, timeout=60_000)
    assert table.index(row, LIMS).data(0x0009).name() == "#2e7d32"  # ForegroundRole: green
    assert table.index(row, LIMS).data(0x0003) == "stored in the LIMS"  # ToolTipRole


def test_with_the_database_away_the_collection_waits_in_the_outbox(
    history_app, qtbot, tmp_path: Path
) -> None:
    port = free_tcp_port()  # nothing answers there
    app, queue, lims, history = history_app(
        f"""<object class="lims.ispyb_lims.IspybLims">
  <object href="/session" role="session"/>
  <object href="/sample_changer" role="sample_changer"/>
  <object href="/collect" role="collect"/>
  <object href="/beam" role="beam"/>
  <object href="/flux" role="flux"/>
  <url>mysql+pymysql://ispyb@127.0.0.1:{port}/ispyb</url>
  <beamline_name>SIM-MX</beamline_name>
  <connect_timeout>1</connect_timeout>
  <password_check>local</password_check>
  <local_user>opid23</local_user>
  <local_password_hash>{make_hash("secret", iterations=1000)}</local_password_hash>
  <outbox_file>{tmp_path / "outbox.sqlite"}</outbox_file>
</object>"""
    )
    assert lims.login("opid23", "secret", "mx2042").result(timeout=30).offline
    task = run_one_collection(qtbot, queue)
    table, row = history.table, history_row(qtbot, history, task)
    qtbot.waitUntil(lambda: table.index(row, LIMS).data() == "waiting", timeout=30_000)
    assert table.index(row, LIMS).data(0x0009).name() == "#a65b00"  # orange
    tooltip = table.index(row, LIMS).data(0x0003)
    assert tooltip.startswith("kept in the outbox; stored when the LIMS database answers")
    qtbot.waitUntil(lambda: "writes waiting" in app.lims_status.text(), timeout=10_000)


def test_no_record_keeps_a_row_pending_only_just_after_its_entry_ended(qtbot) -> None:
    """An entry with no LIMS record (run before the login, an energy scan) stops the 2 s
    re-reading once it ended LIMS_RECORD_GRACE ago; a recent one or a waiting one keeps
    it (review 14b, finding 4)."""
    now = time.time()
    history = History()
    for node, finished in ((1, now - 10 * LIMS_RECORD_GRACE), (2, now)):
        history.append(
            HistoryEntry(
                node,
                "DataCollection",
                "dc",
                None,
                "",
                "success",
                finished=finished,
                directory="/d",
                prefix="p",
                run_number=node,
            )  # fmt: skip
        )
    answers = {1: ("", ""), 2: ("", "")}
    table = HistoryTableModel(history, GuiBridge(), lims_lookup=lambda _d, _p, run: answers[run])
    old, recent = (table.entry(1), table.entry(0))  # newest first
    table.lims_state(old)
    assert not table.lims_pending()  # long ended, no record: final
    table.lims_state(recent)
    assert table.lims_pending()  # just ended: its last writes may come
    answers[2] = ("stored", "")
    table.lims_changed()
    for entry in (old, recent):
        table.lims_state(entry)
    assert not table.lims_pending()
    answers[1] = ("waiting", "")
    table.lims_changed()
    table.lims_state(old)
    assert table.lims_pending()
    table.close()
