"""``mxgui --check`` and the LIMS: the writes an earlier run left in the outbox are not
sent, the embedded database is not made, the outbox's file stays free for the running
mxgui (review 14b, finding 10)."""

from __future__ import annotations

import io

from mxgui.core.lims.outbox import Outbox, OutboxFault
from mxgui.core.repository import HardwareRepository
from mxgui.gui.check import run_check

from helpers import DEFAULT_LAYOUT, SIMULATED


def never_sent(operation: object) -> dict[str, object]:
    raise AssertionError(f"{operation} was sent")


def test_the_check_sends_nothing_and_makes_no_embedded_database(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path / "data"))
    outbox_file = tmp_path / "data" / ".mxgui" / "lims-outbox.sqlite"
    left = Outbox(outbox_file, never_sent, lambda _e: OutboxFault.RETRY)
    left.put("data_collection_group", {"session_id": 1}, "dcg:/data/earlier_1")
    left.close()  # an earlier run stopped with a write waiting

    checked = HardwareRepository([SIMULATED], check_only=True)
    try:
        lims = checked.get("lims")
        assert lims.check_only and lims.recorder.outbox is None  # not opened
    finally:
        checked.shutdown()
    run_check([SIMULATED], DEFAULT_LAYOUT, out=io.StringIO())  # what `mxgui --check` runs

    assert not (tmp_path / "data" / ".mxgui" / "lims.sqlite").exists()
    again = Outbox(outbox_file, never_sent, lambda _e: OutboxFault.RETRY)  # not locked
    try:
        assert again.status_of("dcg:/data/earlier_1") == ("waiting", "")
    finally:
        again.close()


def test_a_normal_start_opens_the_outbox_an_earlier_run_left(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path / "data"))
    outbox_file = tmp_path / "data" / ".mxgui" / "lims-outbox.sqlite"
    Outbox(outbox_file, never_sent, lambda _e: OutboxFault.RETRY).close()
    repository = HardwareRepository([SIMULATED])
    try:
        lims = repository.get("lims")
        assert not lims.check_only and lims.recorder.outbox is not None
    finally:
        repository.shutdown()
