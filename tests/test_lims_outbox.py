"""The LIMS outbox (issue 14, item 3): every write stored locally first, then sent in
order and exactly once, through outages, permanent refusals, restarts, crashes and
corrupt files.

The "database" is a second SQLite file written by :class:`Server`, a sender of the
tests' own (the outbox's own interface, not a library mock): it can be switched down
(an exception the classifier calls RETRY) or refuse a kind of row (PERMANENT).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from test_read_only_data_dir import unprivileged

from mxgui.core.lims.outbox import Operation, Outbox, OutboxFault, OutboxStatus

from helpers import ROOT, wait_for

#: backoff short enough that a test's outage costs milliseconds
FAST = {"min_backoff": 0.01, "max_backoff": 0.05}


class ServerDown(ConnectionError):
    """The database cannot be reached."""


class Refused(ValueError):
    """The database refuses this row."""


def classify(exc: BaseException) -> OutboxFault:
    return OutboxFault.PERMANENT if isinstance(exc, Refused) else OutboxFault.RETRY


class Server:
    """A database in an SQLite file: each operation is a row with an id; the calls it
    got are recorded as (key, attempts)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS rows "
            "(id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT, kind TEXT, payload TEXT)"
        )
        self.down = False
        self.down_after: int | None = None  # goes down after this many rows written
        self.refused_kinds: set[str] = set()
        self.calls: list[tuple[str, int]] = []

    def send(self, operation: Operation) -> dict[str, object]:
        self.calls.append((operation.key, operation.attempts))
        if self.down:
            raise ServerDown("connection refused (2003)")
        if operation.kind in self.refused_kinds:
            raise Refused(f"unknown column in {operation.kind}")
        if operation.attempts:  # an earlier attempt may have committed: look first
            row = self.db.execute("SELECT id FROM rows WHERE key = ?", (operation.key,)).fetchone()
            if row is not None:
                return {"id": row[0]}
        cursor = self.db.execute(
            "INSERT INTO rows (key, kind, payload) VALUES (?, ?, ?)",
            (operation.key, operation.kind, json.dumps(operation.payload)),
        )
        if self.down_after is not None and len(self.rows()) >= self.down_after:
            self.down = True
        return {"id": cursor.lastrowid}

    def rows(self) -> list[tuple[int, str, str, dict[str, object]]]:
        rows = self.db.execute("SELECT id, key, kind, payload FROM rows ORDER BY id").fetchall()
        return [(i, key, kind, json.loads(payload)) for i, key, kind, payload in rows]

    def keys(self) -> list[str]:
        return [key for _, key, _, _ in self.rows()]

    def id_of(self, key: str) -> int:
        (found,) = [i for i, k, _, _ in self.rows() if k == key]
        return found


def ref(key: str) -> dict[str, object]:
    return {"$ref": key, "field": "id"}


@pytest.fixture
def server(tmp_path):
    server = Server(tmp_path / "ispyb.sqlite")
    yield server
    server.db.close()


@pytest.fixture
def open_outbox(tmp_path, server):
    """Make outboxes on ``tmp_path/data/outbox.sqlite`` sending to ``server``; closed
    at the end."""
    made: list[Outbox] = []

    def make(path: Path | None = None, **options: float) -> Outbox:
        settings = {**FAST, **options}
        outbox = Outbox(
            path or tmp_path / "data" / "outbox.sqlite", server.send, classify, **settings
        )
        made.append(outbox)
        return outbox

    yield make
    for outbox in made:
        outbox.close()


def put_collection(outbox: Outbox, name: str) -> list[str]:
    """A group, its collection (referring to it) and the collection's end; their keys."""
    group = outbox.put(
        "data_collection_group", {"experiment": "OSC", "name": name}, key=f"{name}-g"
    )
    collection = outbox.put(
        "data_collection",
        {"group": ref(group), "wavelength": 0.9793, "images": [1, 100]},
        key=f"{name}-c",
    )
    end = outbox.put("data_collection_end", {"collection": ref(collection)}, key=f"{name}-e")
    return [group, collection, end]


def test_operations_are_sent_in_order_with_their_references_resolved(open_outbox, server):
    outbox = open_outbox()
    keys = put_collection(outbox, "a") + put_collection(outbox, "b")
    assert outbox.status().waiting == 6
    assert outbox.status_of(keys[0]) == ("waiting", "")
    outbox.start()
    assert outbox.wait_idle(30)

    assert server.keys() == keys
    rows = {key: payload for _, key, _, payload in server.rows()}
    assert rows["a-c"] == {"group": server.id_of("a-g"), "wavelength": 0.9793, "images": [1, 100]}
    assert rows["b-e"] == {"collection": server.id_of("b-c")}
    assert outbox.result_of("b-c") == {"id": server.id_of("b-c")}
    assert outbox.status_of("b-e") == ("stored", "")
    status = outbox.status()
    assert (status.waiting, status.sent, status.failed, status.online) == (0, 6, 0, True)


def test_a_database_down_for_a_while_gets_every_operation_once_and_in_order(
    open_outbox, server, caplog
):
    server.down = True
    outbox = open_outbox()
    outbox.start()
    keys = put_collection(outbox, "a") + put_collection(outbox, "b")
    wait_for(lambda: len(server.calls) >= 4, "four attempts while the database is down")

    status = outbox.status()
    assert status.online is False
    assert status.waiting == 6
    assert "connection refused" in status.reason and "a-g" in status.reason
    assert status.next_retry is not None
    assert outbox.status_of("a-g") == ("waiting", status.reason)
    assert outbox.status_of("a-c") == ("waiting", "")
    assert {key for key, _ in server.calls} == {"a-g"}  # the line stops at the first
    assert [attempts for _, attempts in server.calls[:4]] == [0, 1, 2, 3]
    retry_warnings = [r for r in caplog.records if "trying again" in r.getMessage()]
    assert len(retry_warnings) == 1 and retry_warnings[0].levelno == logging.WARNING

    server.down = False
    outbox.retry_now()
    assert outbox.wait_idle(30)
    assert server.keys() == keys
    assert [payload for _, key, _, payload in server.rows() if key == "b-e"] == [
        {"collection": server.id_of("b-c")}
    ]
    assert outbox.status() == OutboxStatus(0, 0, 6, True, "", None)


def test_a_refused_operation_fails_with_its_dependents_and_the_rest_go_through(
    open_outbox, server, caplog
):
    server.refused_kinds = {"mesh_group"}
    outbox = open_outbox()
    first = put_collection(outbox, "a")
    mesh = outbox.put("mesh_group", {"steps": [10, 20]}, key="m-g")
    grid = outbox.put("mesh_collection", {"group": ref(mesh)}, key="m-c")
    scores = outbox.put("quality_indicators", {"collection": ref(grid)}, key="m-q")
    last = put_collection(outbox, "b")
    outbox.start()
    assert outbox.wait_idle(30)

    assert server.keys() == first + last
    assert outbox.status_of(mesh) == ("failed", "Refused: unknown column in mesh_group")
    assert outbox.status_of(grid) == (
        "failed",
        "depends on mesh_group m-g, which failed: Refused: unknown column in mesh_group",
    )
    state, reason = outbox.status_of(scores)
    assert state == "failed"
    assert reason.startswith("depends on mesh_collection m-c, which failed: depends on mesh_group")
    assert outbox.result_of(mesh) is None
    status = outbox.status()
    assert (status.waiting, status.failed, status.sent, status.online) == (0, 3, 6, True)
    # the sender was asked once for the refused one, never for its dependents
    assert [key for key, _ in server.calls].count(mesh) == 1
    assert grid not in [key for key, _ in server.calls]
    failures = [r.getMessage() for r in caplog.records if "will not be sent" in r.getMessage()]
    assert len(failures) == 3
    assert "mesh_group m-g" in failures[0] and "unknown column" in failures[0]


def test_a_restart_midway_sends_the_rest_and_resolves_references_to_the_first_run(
    open_outbox, server
):
    server.down_after = 2
    outbox = open_outbox()
    keys = put_collection(outbox, "a")
    outbox.put("data_collection", {"group": ref("a-g"), "run": 2}, key="a-c2")
    outbox.start()
    wait_for(lambda: outbox.status().online is False, "the database going down")
    outbox.close()
    assert server.keys() == keys[:2]

    server.down, server.down_after = False, None
    again = open_outbox()
    assert again.status().waiting == 2
    assert again.result_of("a-g") == {"id": server.id_of("a-g")}  # kept across the restart
    again.start()
    assert again.wait_idle(30)
    assert server.keys() == [*keys, "a-c2"]
    payloads = {key: payload for _, key, _, payload in server.rows()}
    assert payloads["a-e"] == {"collection": server.id_of("a-c")}
    assert payloads["a-c2"] == {"group": server.id_of("a-g"), "run": 2}


_CRASHING_RUN = """
import json, os, sqlite3, sys
from pathlib import Path
from mxgui.core.lims.outbox import Outbox, OutboxFault

server = sqlite3.connect(sys.argv[2], isolation_level=None, check_same_thread=False)

def send(operation):
    cursor = server.execute(
        "INSERT INTO rows (key, kind, payload) VALUES (?, ?, ?)",
        (operation.key, operation.kind, json.dumps(operation.payload)),
    )
    if operation.kind == "data_collection":
        os._exit(3)  # the database committed the row; mxgui dies before the outbox does
    return {"id": cursor.lastrowid}

outbox = Outbox(Path(sys.argv[1]), send, lambda exc: OutboxFault.RETRY)
outbox.put("data_collection_group", {"name": "a"}, key="a-g")
outbox.put("data_collection", {"group": {"$ref": "a-g", "field": "id"}}, key="a-c")
outbox.put("data_collection_end", {"collection": {"$ref": "a-c", "field": "id"}}, key="a-e")
outbox.start()
outbox.wait_idle(20)
sys.exit(0)
"""


def test_a_crash_between_the_database_commit_and_the_outbox_commit_sends_no_duplicate(
    tmp_path, open_outbox, server
):
    path = tmp_path / "data" / "outbox.sqlite"
    run = subprocess.run(
        [sys.executable, "-c", _CRASHING_RUN, str(path), str(server.path)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 3, run.stderr
    assert server.keys() == ["a-g", "a-c"]  # the row is in the database, unrecorded

    outbox = open_outbox(path)
    assert outbox.status_of("a-c") == ("waiting", "")
    outbox.start()
    assert outbox.wait_idle(30)
    assert server.calls[0] == ("a-c", 1)  # told that an earlier attempt may have committed
    assert server.keys() == ["a-g", "a-c", "a-e"]
    assert server.rows()[2][3] == {"collection": server.id_of("a-c")}


def test_operations_put_from_several_threads_while_sending_all_arrive_once(open_outbox, server):
    outbox = open_outbox()
    outbox.start()

    def put_many(thread: int) -> None:
        for number in range(50):
            outbox.put(
                "robot_action", {"thread": thread, "number": number}, key=f"{thread}-{number}"
            )

    threads = [threading.Thread(target=put_many, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outbox.wait_idle(30)
    keys = server.keys()
    assert sorted(keys) == sorted(f"{t}-{n}" for t in range(4) for n in range(50))
    for thread in range(4):  # each thread's operations in the order it put them
        assert [k for k in keys if k.startswith(f"{thread}-")] == [
            f"{thread}-{n}" for n in range(50)
        ]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"grid": {"steps": [10, float("nan")]}}, 'payload["grid"]["steps"][1]'),
        ({"snapshot": b"\x89PNG"}, 'payload["snapshot"] is a bytes'),
        ({"when": object()}, 'payload["when"] is an object'),
        ({"cells": {1: 0.5}}, 'payload["cells"]: the key 1 is not a string'),
        ({"group": {"$ref": "g"}}, 'payload["group"]: a reference is'),
        ({"group": ref("never-put")}, "no operation 'never-put'"),
        ({"image": "x" * 2000, "name": "a"}, 'the largest field is payload["image"]'),
        ([1, 2], "a JSON object (dict) is expected, not list"),
    ],
)
def test_a_payload_that_is_not_json_is_refused_naming_the_field(open_outbox, payload, field):
    outbox = open_outbox(max_payload_bytes=1000)
    with pytest.raises(ValueError, match=re.escape(field)):
        outbox.put("data_collection", payload)
    assert outbox.status().waiting == 0


def test_putting_again_under_a_key_is_harmless_and_another_payload_is_refused(open_outbox):
    outbox = open_outbox()
    assert outbox.put("robot_action", {"barcode": "X1"}, key="load-1") == "load-1"
    assert outbox.put("robot_action", {"barcode": "X1"}, key="load-1") == "load-1"
    assert outbox.status().waiting == 1
    with pytest.raises(ValueError, match="load-1 is already used"):
        outbox.put("robot_action", {"barcode": "X2"}, key="load-1")
    with pytest.raises(KeyError, match="holds no operation 'other'"):
        outbox.status_of("other")


def test_status_and_listeners_follow_offline_then_online(open_outbox, server, caplog):
    seen: list[OutboxStatus] = []
    server.down = True
    outbox = open_outbox()
    assert outbox.status() == OutboxStatus(0, 0, 0, None, "", None)

    def broken(status: OutboxStatus) -> None:
        raise RuntimeError("listener bug")

    outbox.add_listener(broken)
    outbox.add_listener(seen.append)
    outbox.put("energy_scan", {"edge": "Se-K"}, key="e1")
    outbox.start()
    wait_for(lambda: any(s.online is False for s in seen), "an offline status")
    offline = next(s for s in seen if s.online is False)
    assert (offline.waiting, offline.sent) == (1, 0)
    assert "energy_scan e1: ServerDown: connection refused" in offline.reason
    assert offline.next_retry is not None

    server.down = False
    outbox.retry_now()
    wait_for(lambda: seen[-1].waiting == 0, "the status after sending")
    assert seen[-1] == OutboxStatus(0, 0, 1, True, "", None)
    assert seen[0].online is None  # the first status told: before any attempt
    assert any("listener" in r.getMessage() and r.exc_info for r in caplog.records)


def test_close_leaves_waiting_operations_for_the_next_start(open_outbox, server):
    server.down = True
    outbox = open_outbox()
    keys = put_collection(outbox, "a")
    outbox.start()
    wait_for(lambda: server.calls, "a first attempt")
    outbox.close()
    with pytest.raises(RuntimeError, match="closed"):
        outbox.put("robot_action", {})
    with pytest.raises(RuntimeError, match="closed"):
        outbox.status_of(keys[0])
    assert outbox.status().waiting == 3  # still told, from memory

    server.down = False
    again = open_outbox()
    assert again.status().waiting == 3
    assert server.keys() == []
    again.start()
    assert again.wait_idle(30)
    assert server.keys() == keys


def test_a_second_outbox_on_the_same_file_is_refused(open_outbox, tmp_path):
    open_outbox()
    with pytest.raises(OSError, match="is in use by another outbox"):
        open_outbox()


def test_old_sent_operations_are_pruned_unless_a_waiting_one_refers_to_them(open_outbox, server):
    outbox = open_outbox()
    outbox.put("data_collection_group", {}, key="old-g")
    outbox.put("robot_action", {}, key="old-r")
    outbox.start()
    assert outbox.wait_idle(30)
    server.down = True
    outbox.put("data_collection", {"group": ref("old-g")}, key="new-c")
    outbox.close()

    server.down = False
    again = open_outbox(keep_sent=0.0)  # everything sent is "old"
    with pytest.raises(KeyError):
        again.status_of("old-r")
    assert again.status_of("old-g") == ("stored", "")  # still referred to
    again.start()
    assert again.wait_idle(30)
    assert server.rows()[-1][3] == {"group": server.id_of("old-g")}


def _garbage(path: Path) -> None:
    path.write_bytes(b"not an SQLite file\n" * 100)


def _broken_pages(path: Path) -> None:
    outbox = Outbox(path, lambda op: {}, classify)
    for number in range(300):
        outbox.put("robot_action", {"number": number, "text": "x" * 200})
    outbox.close()
    data = bytearray(path.read_bytes())
    for at in range(8192, len(data) - 4096, 7):  # the first pages (the header) stay
        data[at] = 0xFF
    path.write_bytes(bytes(data))


def edit(path: Path, sql: str) -> None:
    """Change the file behind the outbox's back (committed and closed)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(sql)
    db.close()


def _wrong_shape(path: Path) -> None:
    edit(path, "CREATE TABLE operations (x INTEGER)")


def _future_format(path: Path) -> None:
    Outbox(path, lambda op: {}, classify).close()
    edit(path, "UPDATE outbox_format SET version = 99")


@pytest.mark.parametrize(
    ("spoil", "why"),
    [
        (_garbage, "is not an SQLite database"),
        (_broken_pages, "fails PRAGMA quick_check"),
        (_wrong_shape, "has a table operations with the columns (x), not (seq, key,"),
        (_future_format, "is of format 99, from a newer mxgui"),
        (
            lambda path: path.write_bytes(b"\0" * 200_000),
            "holds 200,000 bytes, more than the 100,000",
        ),
    ],
)
def test_a_corrupt_outbox_file_is_set_aside_and_a_new_one_works(
    tmp_path, open_outbox, server, caplog, spoil, why
):
    path = tmp_path / "data" / "outbox.sqlite"
    path.parent.mkdir()
    spoil(path)
    spoiled = path.read_bytes()
    outbox = open_outbox(path, **({"max_file_bytes": 100_000} if "100,000" in why else {}))

    (aside,) = path.parent.glob("outbox.sqlite.corrupt-*")
    assert re.fullmatch(r"outbox\.sqlite\.corrupt-\d{8}-\d{6}", aside.name)
    assert aside.read_bytes() == spoiled  # set aside as it was, not deleted
    assert why in outbox.problem and str(path) in outbox.problem and str(aside) in outbox.problem
    assert any(
        r.levelno == logging.WARNING and str(aside) in r.getMessage() for r in caplog.records
    )
    key = outbox.put("robot_action", {"barcode": "X1"})
    outbox.start()
    assert outbox.wait_idle(30)
    assert server.keys() == [key]


def test_a_stored_payload_that_does_not_parse_fails_that_operation_only(
    tmp_path, open_outbox, server
):
    path = tmp_path / "data" / "outbox.sqlite"
    outbox = open_outbox(path)
    keys = [outbox.put("robot_action", {"n": n}, key=f"r{n}") for n in range(3)]
    outbox.close()
    edit(path, "UPDATE operations SET payload = '{\"n\": 1,' WHERE key = 'r1'")

    again = open_outbox(path)
    again.start()
    assert again.wait_idle(30)
    assert server.keys() == [keys[0], keys[2]]
    state, reason = again.status_of("r1")
    assert state == "failed"
    assert reason.startswith("the stored payload of robot_action r1 is not JSON")


def test_a_directory_that_cannot_be_created_is_named_in_the_error(tmp_path, server):
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "lims" / "outbox.sqlite"
    with pytest.raises(OSError, match=re.escape(f"cannot create {path.parent}")):
        Outbox(path, server.send, classify)


_READ_ONLY = """
import sys
from pathlib import Path
from mxgui.core.lims.outbox import Outbox, OutboxFault
try:
    Outbox(Path(sys.argv[1]), lambda op: {}, lambda exc: OutboxFault.RETRY)
except OSError as exc:
    print(exc)
    sys.exit(4)
"""


def test_a_read_only_directory_is_named_in_the_error(tmp_path):
    directory = tmp_path / "read-only"
    directory.mkdir()
    directory.chmod(0o555)
    try:
        run = subprocess.run(
            [*unprivileged(), sys.executable, "-c", _READ_ONLY, str(directory / "outbox.sqlite")],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        directory.chmod(0o755)
    assert run.returncode == 4, run.stderr
    assert f"cannot write in {directory}: Permission denied" in run.stdout


def test_a_sender_that_hangs_past_close_records_its_result_when_it_returns(
    tmp_path, open_outbox, server
):
    release, entered = threading.Event(), threading.Event()

    def hanging(operation: Operation) -> dict[str, object]:
        entered.set()
        release.wait(30)
        return server.send(operation)

    path = tmp_path / "data" / "outbox.sqlite"
    outbox = Outbox(path, hanging, classify, **FAST)
    first = outbox.put("robot_action", {"n": 1})
    second = outbox.put("robot_action", {"n": 2})
    outbox.start()
    assert entered.wait(30)
    outbox.close(timeout=0.05)  # the database hangs: close does not wait for it
    with pytest.raises(OSError, match="in use by another outbox"):
        open_outbox(path)  # a second sender now could send the hanging one twice
    release.set()
    again = None

    def reopened() -> bool:
        nonlocal again
        try:
            again = open_outbox(path)
        except OSError:
            return False
        return True

    wait_for(reopened, "the file closed once the sender returned")
    assert again.status_of(first) == ("stored", "")  # its result was recorded
    assert again.status_of(second) == ("waiting", "")  # the closed outbox sent no more
    again.start()
    assert again.wait_idle(30)
    assert server.keys() == [first, second]


def test_a_classifier_that_fails_means_retry_and_is_logged(open_outbox, server, caplog):
    def broken(exc: BaseException) -> OutboxFault:
        raise TypeError("classifier bug")

    server.down = True
    outbox = Outbox(open_outbox().path.with_name("other.sqlite"), server.send, broken, **FAST)
    try:
        outbox.put("robot_action", {}, key="r1")
        outbox.start()
        wait_for(lambda: len(server.calls) >= 2, "a second attempt")
        assert outbox.status_of("r1") == ("waiting", outbox.status().reason)
        assert any("the classifier failed" in r.getMessage() for r in caplog.records)
    finally:
        outbox.close()


def test_a_put_that_would_make_the_file_too_large_is_refused_and_the_rest_is_kept(
    tmp_path, open_outbox, server
):
    path = tmp_path / "data" / "outbox.sqlite"
    server.down = True
    outbox = open_outbox(path, max_file_bytes=400_000)
    stored = []
    with pytest.raises(
        OSError, match=r"outbox .* holds [\d,]+ bytes, near its bound: robot_action"
    ):
        for number in range(1000):
            stored.append(outbox.put("robot_action", {"n": number, "text": "x" * 1000}))
    assert 100 < len(stored) < 1000
    outbox.close()

    server.down = False
    again = open_outbox(path, max_file_bytes=400_000)
    assert again.problem == ""  # not set aside at the next start
    again.start()
    assert again.wait_idle(30)
    assert server.keys() == stored


def test_a_long_chain_of_failed_dependents_keeps_bounded_reasons(open_outbox, server):
    server.refused_kinds = {"group"}
    outbox = open_outbox()
    previous = outbox.put("group", {}, key="k0")
    for number in range(1, 60):
        previous = outbox.put("collection", {"before": ref(previous)}, key=f"k{number}")
    outbox.start()
    assert outbox.wait_idle(30)
    state, reason = outbox.status_of("k59")
    assert state == "failed" and reason.startswith("depends on collection k58, which failed")
    assert len(reason) <= 1000
    assert outbox.status().failed == 60


def _mesh_quality(images: int = 1000) -> dict[str, object]:
    """A mesh's quality indicators: about 50 bytes of JSON per image."""
    return {
        "collection_id": 1,
        "images": [{"image_number": i, "score": i * 0.001, "spots": i % 50} for i in range(images)],
    }


def test_the_outbox_takes_writes_again_after_it_emptied(tmp_path, open_outbox, server):
    path = tmp_path / "data" / "outbox.sqlite"
    server.down = True
    outbox = open_outbox(path, max_file_bytes=1_000_000)
    put = 0
    with pytest.raises(OSError, match="near its bound"):
        for _ in range(100):
            outbox.put("image_quality_indicators", _mesh_quality())
            put += 1
    assert 5 < put < 100
    server.down = False
    outbox.start()
    assert outbox.wait_idle(30)
    outbox.close()

    again = open_outbox(path, max_file_bytes=1_000_000, keep_sent=0.0)  # all pruned
    assert again.status().sent == 0 and again.status().waiting == 0
    again.close()
    assert path.stat().st_size < 200_000  # the pages of what was pruned given back
    again = open_outbox(path, max_file_bytes=1_000_000)
    for _ in range(put):  # as many as the first time fit again
        again.put("image_quality_indicators", _mesh_quality())
    again.start()
    assert again.wait_idle(30)
    assert len(server.keys()) == 2 * put


def test_sent_operations_kept_for_the_history_do_not_fill_the_outbox(open_outbox, server):
    outbox = open_outbox(max_file_bytes=1_000_000)  # about 18 meshes' worth
    outbox.start()
    for number in range(60):  # each sent before the next is put, kept 30 days
        key = outbox.put("image_quality_indicators", _mesh_quality(), key=f"mesh-{number}")
        assert outbox.wait_idle(30)
        assert outbox.status_of(key) == ("stored", "")
    assert outbox.status().sent == 60
    # putting a sent operation again is still recognised as the same one
    assert outbox.put("image_quality_indicators", _mesh_quality(), key="mesh-0") == "mesh-0"
    with pytest.raises(ValueError, match="already used"):
        outbox.put("image_quality_indicators", _mesh_quality(10), key="mesh-0")
    assert len(server.keys()) == 60


def test_failed_operations_are_sent_again_in_their_order_once_the_fault_is_mended(
    open_outbox, server
):
    server.refused_kinds = {"data_collection_group"}
    outbox = open_outbox()
    first = put_collection(outbox, "first")
    robot = outbox.put("robot_action", {"action": "load"}, key="robot")
    outbox.start()
    assert outbox.wait_idle(30)
    assert outbox.status().failed == 3 and server.keys() == ["robot"]

    server.refused_kinds = set()  # the database was mended
    assert outbox.send_failed_again() == 3
    assert outbox.wait_idle(30)
    assert outbox.status().failed == 0
    assert server.keys() == [robot, *first]
    assert server.rows()[2][3]["group"] == server.id_of(first[0])


def test_status_answers_at_once_while_a_put_waits_for_a_busy_outbox_file(
    tmp_path, open_outbox, server
):
    path = tmp_path / "data" / "outbox.sqlite"
    outbox = open_outbox(path)
    outbox.put("robot_action", {"n": 0})
    other = sqlite3.connect(path, isolation_level=None)  # a slow disk, another reader...
    other.execute("BEGIN IMMEDIATE")  # holds the file's write lock
    stored: list[str] = []
    putter = threading.Thread(target=lambda: stored.append(outbox.put("robot_action", {"n": 1})))
    try:
        putter.start()
        wait_for(lambda: putter.is_alive(), timeout=5)
        answered = threading.Event()
        threading.Thread(target=lambda: (outbox.status(), answered.set()), daemon=True).start()
        assert answered.wait(2.0), "status() waited for the put's disk write"
        assert stored == []  # the put is still waiting for the file
    finally:
        other.execute("COMMIT")
        other.close()
        putter.join(10)
    assert len(stored) == 1 and outbox.status().waiting == 2


def test_many_old_sent_operations_are_all_pruned_in_chunks(tmp_path, open_outbox, server):
    path = tmp_path / "data" / "outbox.sqlite"
    outbox = open_outbox(path)
    keys = [outbox.put("robot_action", {"n": n}) for n in range(1234)]
    outbox.put("data_collection_group", {}, key="kept-g")
    outbox.start()
    assert outbox.wait_idle(60)
    server.down = True
    outbox.put("data_collection", {"group": ref("kept-g")}, key="waiting-c")
    outbox.close()

    again = open_outbox(path, keep_sent=0.0)
    assert again.status().sent == 1  # the group a waiting collection refers to
    with pytest.raises(KeyError):
        again.status_of(keys[-1])
    server.down = False
    again.start()
    assert again.wait_idle(30)
    assert server.rows()[-1][3] == {"group": server.id_of("kept-g")}


def test_the_status_of_a_key_is_read_from_the_file_once_then_from_memory(
    open_outbox, server
) -> None:
    """The history asks status_of for every row shown, on the GUI thread: a key the
    outbox put, sent, failed or looked up once needs no SQL (review 14b, finding 4)."""
    outbox = open_outbox()
    server.refused_kinds = {"bad"}
    outbox.put("row", {"n": 1}, "sent-key")
    outbox.put("bad", {"n": 2}, "failed-key")
    outbox.put("row", {"n": 3}, "waiting-key")
    statements: list[str] = []
    outbox._store._connection.set_trace_callback(statements.append)
    assert outbox.status_of("waiting-key") == ("waiting", "")
    outbox.start()
    assert outbox.wait_idle(10)
    statements.clear()  # the worker's own statements
    assert outbox.status_of("sent-key") == ("stored", "")
    assert outbox.status_of("failed-key") == ("failed", "Refused: unknown column in bad")
    assert outbox.status_of("waiting-key") == ("stored", "")
    assert statements == []
    with pytest.raises(KeyError):
        outbox.status_of("never-put")  # read once ...
    count = len(statements)
    assert count > 0
    with pytest.raises(KeyError):
        outbox.status_of("never-put")  # ... then known
    assert len(statements) == count
    server.refused_kinds = set()
    assert outbox.send_failed_again() == 1  # the memory follows the requeue
    assert outbox.wait_idle(10)
    assert outbox.status_of("failed-key") == ("stored", "")


def test_a_status_that_cannot_be_read_is_unknown_not_raised(tmp_path) -> None:
    """A closed or broken file under record_status (asked at each repaint) gives
    ("", "") instead of an sqlite3 error in the view's data() (review 14b, finding 4)."""
    from mxgui.core.lims.recorder import LimsRecorder

    outbox = Outbox(tmp_path / "outbox.sqlite", lambda _op: {}, classify)
    recorder = LimsRecorder(outbox)
    try:
        outbox._store._connection.close()  # as an I/O error would leave it
        assert recorder.record_status("/d", "p", 1) == ("", "")
    finally:
        recorder.close()
        outbox.close()
