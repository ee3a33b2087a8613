"""The LIMS recorder and the lims object's outbox, without a database: records never
raise (a refusal is logged once per kind and counted), the session of a local login is
a ``session_lookup`` reference, keys are deterministic per collection, the status of a
collection is the worst of its operations, the status signal is throttled with the last
state delivered, and a corrupt outbox file is set aside and said."""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

import pytest

from hardware_objects.lims.outbox_link import Throttle
from mxgui.core.lims.outbox import Operation, Outbox, OutboxFault
from mxgui.core.lims.recorder import LimsRecorder, collection_key, short_key
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED


class Refusing(Exception):
    """The database refused the row."""


def open_outbox(tmp_path: Path, refuse: set[str] = frozenset()) -> tuple[Outbox, list[Operation]]:
    """An outbox whose sender keeps what it is sent and refuses the kinds ``refuse``."""
    sent: list[Operation] = []

    def sender(operation: Operation) -> dict[str, object]:
        if operation.kind in refuse:
            raise Refusing(f"{operation.kind} refused")
        sent.append(operation)
        return {"id": len(sent)}

    outbox = Outbox(tmp_path / "outbox.sqlite", sender, lambda _e: OutboxFault.PERMANENT)
    return outbox, sent


def test_a_local_login_refers_to_a_session_lookup_that_is_sent_first(tmp_path) -> None:
    outbox, sent = open_outbox(tmp_path)
    recorder = LimsRecorder(outbox)
    try:
        assert recorder.session_ref() is None  # nobody logged in: nothing to refer to
        recorder.set_login(None, ("mx", "1234"), "SIM-MX")
        ref = recorder.session_ref()
        assert isinstance(ref, dict) and ref["field"] == "id"
        assert recorder.session_ref() == ref  # the same lookup, put once
        key = recorder.record("data_collection_group", {"session_id": ref, "x": 1}, "dcg:/d/p_1")
        assert key == "dcg:/d/p_1"
        outbox.start()
        assert outbox.wait_idle(10)
        lookup, group = sent
        assert lookup.kind == "session_lookup" and lookup.payload["proposal_code"] == "mx"
        assert lookup.payload["beamline"] == "SIM-MX" and len(str(lookup.payload["day"])) == 10
        # made at the record's time, so that the session running then is chosen
        assert str(lookup.payload["at"]).startswith(str(lookup.payload["day"]))
        assert len(str(lookup.payload["at"])) == 19
        assert group.payload["session_id"] == 1  # the lookup's result, resolved
        recorder.set_login(42, ("mx", "1234"), "SIM-MX")
        assert recorder.session_ref() == 42  # online: the id itself
    finally:
        recorder.close()
        outbox.close()


def test_a_refused_record_never_raises_is_logged_once_per_kind_and_counted(
    tmp_path, caplog
) -> None:
    outbox, _ = open_outbox(tmp_path)
    changes: list[int] = []
    recorder = LimsRecorder(outbox, changed=lambda: changes.append(recorder.refused))
    try:
        assert recorder.record("data_collection", {"a": 1}, "dc:/d/p_1") == "dc:/d/p_1"
        assert recorder.record("data_collection", {"a": 1}, "dc:/d/p_1") == "dc:/d/p_1"
        with caplog.at_level(logging.ERROR):
            for _ in range(3):  # the same key with another payload: refused
                assert recorder.record("data_collection", {"a": 2}, "dc:/d/p_1") is None
            assert recorder.record("grid_info", {"bad": float("nan")}) is None
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 2, errors  # once per kind
        assert "data_collection dc:/d/p_1 not recorded: key: dc:/d/p_1 is already used" in errors[0]
        assert errors[1].startswith("LIMS: grid_info  not recorded: ")
        assert recorder.refused == 4 and changes == [1, 2, 3, 4]
        outbox.close()
        assert recorder.record("data_collection", {"a": 3}, "dc:/d/p_2") is None  # closed
        assert recorder.refused == 5
    finally:
        recorder.close()
        outbox.close()
    without = LimsRecorder(None, "the outbox file cannot be written")
    assert without.record("data_collection", {}) is None and without.refused == 1
    assert without.record_status("/d", "p", 1) == ("", "")


def test_the_status_of_a_collection_is_the_worst_of_its_operations(tmp_path) -> None:
    outbox, _ = open_outbox(tmp_path, refuse={"data_collection_end"})
    recorder = LimsRecorder(outbox)
    try:
        for tag, kind in (("dcg", "data_collection_group"), ("dc", "data_collection")):
            recorder.record(kind, {"n": 1}, collection_key(tag, "/d", "p", 1))
            recorder.record(kind, {"n": 2}, collection_key(tag, "/d", "p", 2))
        assert recorder.record_status("/d", "p", 1) == ("waiting", "")
        assert recorder.record_status("/d", "p", 3) == ("", "")
        recorder.record("data_collection_end", {"n": 2}, collection_key("dc-end", "/d", "p", 2))
        outbox.start()
        assert outbox.wait_idle(10)
        assert recorder.record_status("/d/", "p", 1) == ("stored", "")
        state, reason = recorder.record_status("/d", "p", 2)
        assert (state, reason) == ("failed", "Refusing: data_collection_end refused")
    finally:
        recorder.close()
        outbox.close()


def test_keys_are_per_collection_and_bounded() -> None:
    assert collection_key("dc", "/data/visit/", "lyso", 3) == "dc:/data/visit/lyso_3"
    long = collection_key("dc", "/d" * 150, "lyso", 3)
    assert len(long) == 200 and long != collection_key("dc", "/d" * 150, "lyso", 4)


def test_deferred_work_runs_in_order_in_one_thread_and_a_failure_is_logged(caplog) -> None:
    recorder = LimsRecorder(None)
    done: list[tuple[int, str]] = []

    def fail() -> None:
        raise RuntimeError("boom")

    for n in range(5):
        recorder.defer(lambda n=n: done.append((n, threading.current_thread().name)))
        if n == 2:
            recorder.defer(fail)
    assert recorder.flush(10)
    assert [n for n, _ in done] == [0, 1, 2, 3, 4]
    assert {name for _, name in done} == {"LIMS recording"}
    assert "LIMS: recording failed" in caplog.text and "boom" in caplog.text
    recorder.close()
    assert recorder.flush(1) is False  # closed: nothing runs any more


def test_the_status_is_throttled_and_the_last_state_always_delivered() -> None:
    delivered: list[int] = []
    arrived = threading.Event()

    def deliver(value: int) -> None:
        delivered.append(value)
        if value == 99:
            arrived.set()

    throttle: Throttle[int] = Throttle(deliver, interval=0.2)
    for value in range(100):
        throttle.push(value)
    assert delivered[0] == 0  # the first at once
    assert arrived.wait(10)  # the last one later, by the timer
    assert delivered[-1] == 99 and len(delivered) < 100
    throttle.close()
    slow: list[int] = []
    closing: Throttle[int] = Throttle(slow.append, interval=60)
    closing.push(1)
    closing.push(2)  # waits for the interval...
    closing.close()  # ...and is dropped at close, its timer gone
    time.sleep(0.05)
    assert slow == [1]


def test_a_corrupt_outbox_file_is_set_aside_and_said_in_the_status(tmp_path, caplog) -> None:
    outbox = tmp_path / "outbox.sqlite"
    outbox.write_bytes(b"this is no SQLite file" * 100)
    overrides = tmp_path / "repo"
    overrides.mkdir()
    text = (SIMULATED / "lims.xml").read_text()
    (overrides / "lims.xml").write_text(
        text.replace("<outbox_file></outbox_file>", f"<outbox_file>{outbox}</outbox_file>")
    )
    repo = HardwareRepository([overrides, SIMULATED])
    try:
        with caplog.at_level(logging.ERROR):
            lims = repo.get("lims")
        problem = lims.get_status()["problem"]
        assert str(outbox) in problem and problem in caplog.text
        assert [p for p in tmp_path.iterdir() if p.name.startswith("outbox.sqlite.corrupt-")]
        assert lims.recorder.record("session_lookup", {"x": 1}) is not None  # a new one works
    finally:
        repo.shutdown()


@pytest.mark.parametrize("where", ["relative/outbox.sqlite", ""])
def test_the_outbox_is_in_the_data_directory_unless_moved_and_opened_at_the_first_login(
    tmp_path, monkeypatch, where
) -> None:
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path / "data"))
    overrides = tmp_path / "repo"
    overrides.mkdir()
    text = (SIMULATED / "lims.xml").read_text()
    (overrides / "lims.xml").write_text(
        text.replace("<outbox_file></outbox_file>", f"<outbox_file>{where}</outbox_file>")
    )
    repo = HardwareRepository([overrides, SIMULATED])
    try:
        lims = repo.get("lims")
        expected = tmp_path / "data" / (where or ".mxgui/lims-outbox.sqlite")
        # nothing is written at start: the outbox is opened at the first login
        assert lims.recorder.outbox is None and not expected.exists()
        lims.login("demo", "").result(timeout=60)  # the embedded default's demo
        assert lims.recorder.outbox.path == expected and expected.is_file()
    finally:
        repo.shutdown()
    repo = HardwareRepository([overrides, SIMULATED])  # a restart: opened at once
    try:
        assert repo.get("lims").recorder.outbox.path == expected
    finally:
        repo.shutdown()


def test_the_outboxs_connects_while_the_database_hangs_do_not_hold_up_the_lims_worker(
    tmp_path,
) -> None:
    """A database that accepts and never answers: the outbox's connect attempt hangs for
    its timeouts in the outbox's own thread, and a call of the LIMS object (its
    worker) runs meanwhile (review 14b, finding 9: it queued behind the connects)."""
    hang = socket.create_server(("127.0.0.1", 0))
    hang.listen(8)
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(hang.accept()[0])
            except OSError:  # closed at the end
                return

    threading.Thread(target=accept, daemon=True).start()
    outbox_file = tmp_path / "outbox.sqlite"
    left, _sent = open_outbox(tmp_path)
    left.put("session_lookup", {"x": 1}, "session:left")
    left.close()  # an earlier run stopped with a write waiting: sent at start
    overrides = tmp_path / "repo"
    overrides.mkdir()
    text = (SIMULATED / "lims.xml").read_text()
    url = f"mysql+pymysql://ispyb@127.0.0.1:{hang.getsockname()[1]}/ispyb"
    for old, new in (
        ("<url></url>", f"<url>{url}</url>"),
        ("<password_check></password_check>", "<password_check>none</password_check>"),
        ("<connect_timeout>5</connect_timeout>", "<connect_timeout>60</connect_timeout>"),
        ("<io_timeout>10</io_timeout>", "<io_timeout>60</io_timeout>"),  # the handshake's
        ("<outbox_file></outbox_file>", f"<outbox_file>{outbox_file}</outbox_file>"),
    ):
        text = text.replace(old, new)
    (overrides / "lims.xml").write_text(text)
    repo = HardwareRepository([overrides, SIMULATED])
    try:
        lims = repo.get("lims")
        deadline = time.monotonic() + 30
        while not accepted:  # the outbox's connect is under way, and hangs
            assert time.monotonic() < deadline, "the outbox never tried to connect"
            time.sleep(0.05)
        assert lims.logout().result(timeout=20) is None  # not behind a 60 s connect
    finally:
        for connection in accepted:
            connection.close()
        hang.close()
        repo.shutdown()


def test_energy_scan_and_workflow_keys_are_shortened_with_room_for_their_suffixes() -> None:
    """A site path with ISPyB-length names passes the outbox's 200 characters: the key
    ends in a hash instead, and a workflow run's "/update-N" and "/end" still fit
    (review 14b, finding 8)."""
    from hardware_objects.lims.recording.workflows import SUFFIX_ROOM

    name = "a-very-long-protein-acronym-and-sample-name-45"
    base = f"/data/visitor/mx1234/id30a1/20261207/RAW_DATA/{name}/{name}"
    escan = f"escan:{base}/{name}_1_energy_scan.txt"
    assert len(escan) > 200 and len(short_key(escan)) == 200
    assert short_key(escan) == short_key(escan) != short_key(escan.replace("_1_", "_2_"))
    assert short_key("escan:/d/short.txt") == "escan:/d/short.txt"  # short: itself
    run = short_key(f"workflow:{base}/workflow.log#12@1765123456.123456", SUFFIX_ROOM)
    for suffix in ("/update-999999", "/end"):
        assert len(run + suffix) <= 200
    assert len(collection_key("dc", f"{base}/{name}", name, 7)) == 200  # the same rule
