"""Faults where the database refuses every row, not one (a wrong password, a server set
read-only during a fail-over): the outbox waits and retries, and the writes go through
once the fault is mended; on a real MariaDB with a user of the site's kind (not root)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from mxgui.core.lims import records
from mxgui.core.lims.database import make_engine
from mxgui.core.lims.ispyb_writer import IspybWriter
from mxgui.core.lims.outbox import Outbox, OutboxFault
from mxgui.demo_servers.mariadb import PrivateMariaDB

from helpers import wait_for
from lims_fixtures import DATABASE, rows
from lims_seed import seed

pytest_plugins = ("lims_fixtures",)

STARTED = time.mktime((2026, 12, 7, 9, 30, 0, 0, 0, -1))


def _sql(server: PrivateMariaDB, *statements: str) -> None:
    connection = server.connect()
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


@pytest.fixture
def site_user(mariadb: PrivateMariaDB, ispyb_url: str) -> Iterator[str]:
    """A user ``ispyb`` (password ``right``) with every right on the database only."""
    _sql(
        mariadb,
        "DROP USER IF EXISTS 'ispyb'@'127.0.0.1'",
        "CREATE USER 'ispyb'@'127.0.0.1' IDENTIFIED BY 'right'",
        f"GRANT ALL ON {DATABASE}.* TO 'ispyb'@'127.0.0.1'",
    )
    yield "ispyb"
    _sql(mariadb, "SET GLOBAL read_only = 0", "DROP USER IF EXISTS 'ispyb'@'127.0.0.1'")


def _outbox(path: Path, url: str) -> tuple[Outbox, sa.Engine]:
    engine = make_engine(url, connect_timeout=2, io_timeout=5)
    writer = IspybWriter(engine)
    outbox = Outbox(
        path,
        writer.send,
        lambda exc: OutboxFault(writer.classify(exc)),
        min_backoff=0.05,
        max_backoff=0.2,
    )
    return outbox, engine


def _put_group(outbox: Outbox, session_id: int) -> tuple[str, str]:
    group = outbox.put(
        "data_collection_group", records.group_started(session_id, None, records.OSC, STARTED)
    )
    end = outbox.put(
        "data_collection_group_end",
        records.group_ended({"$ref": group, "field": "id"}, STARTED + 60),
    )
    return group, end


def _groups(ispyb_engine: sa.Engine) -> list[dict[str, object]]:
    return rows(ispyb_engine, "SELECT sessionId, experimentType, endTime FROM DataCollectionGroup")


def test_a_wrong_database_password_is_retried_and_the_writes_go_through_once_it_is_fixed(
    tmp_path, mariadb, site_user, ispyb_engine
):
    ids = seed(ispyb_engine)
    url = f"mysql+pymysql://{site_user}:typo@127.0.0.1:{mariadb.port}/{DATABASE}"
    outbox, engine = _outbox(tmp_path / "outbox.sqlite", url)
    try:
        group, end = _put_group(outbox, ids.session_id)
        outbox.start()
        wait_for(lambda: outbox.status().online is False, timeout=30)
        status = outbox.status()
        assert status.waiting == 2 and status.failed == 0
        assert "Access denied" in status.reason and "[SQL" not in status.reason
        assert "typo" not in status.reason
        assert outbox.status_of(end) == ("waiting", "")

        _sql(mariadb, f"ALTER USER '{site_user}'@'127.0.0.1' IDENTIFIED BY 'typo'")  # mended
        outbox.retry_now()
        assert outbox.wait_idle(30)
        assert outbox.status_of(group) == ("stored", "") and outbox.status_of(end) == ("stored", "")
        assert outbox.status().online is True and outbox.status().failed == 0
        (row,) = _groups(ispyb_engine)
        assert row["sessionId"] == ids.session_id and row["experimentType"] == records.OSC
        assert row["endTime"] is not None
    finally:
        outbox.close()
        engine.dispose()


def test_a_read_only_server_is_waited_for_and_written_once_it_takes_writes_again(
    tmp_path, mariadb, site_user, ispyb_engine
):
    ids = seed(ispyb_engine)
    _sql(mariadb, "SET GLOBAL read_only = 1")
    url = f"mysql+pymysql://{site_user}:right@127.0.0.1:{mariadb.port}/{DATABASE}"
    outbox, engine = _outbox(tmp_path / "outbox.sqlite", url)
    try:
        group, end = _put_group(outbox, ids.session_id)
        outbox.start()
        wait_for(lambda: outbox.status().online is False, timeout=30)
        assert "read-only" in outbox.status().reason
        assert outbox.status().failed == 0 and outbox.status().waiting == 2

        _sql(mariadb, "SET GLOBAL read_only = 0")
        outbox.retry_now()
        assert outbox.wait_idle(30)
        assert outbox.status().failed == 0
        (row,) = _groups(ispyb_engine)
        assert row["sessionId"] == ids.session_id and row["endTime"] is not None
    finally:
        outbox.close()
        engine.dispose()


def test_a_read_only_embedded_file_is_retried_and_a_bad_row_is_not(tmp_path):
    from mxgui.core.lims.database import create_schema
    from mxgui.core.lims.ispyb_rows import PayloadError

    path = tmp_path / "lims.sqlite"
    create_schema(make_engine(f"sqlite:///{path}"))
    read_only = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    writer = IspybWriter(read_only)
    payload = records.group_started(1, None, records.OSC, STARTED)
    with pytest.raises(sa.exc.OperationalError) as refused:
        writer.send(_Op("data_collection_group", payload))
    assert "readonly" in str(refused.value)
    assert writer.classify(refused.value) == "retry"
    assert writer.classify(PayloadError("data_collection_group: session_id")) == "permanent"
    read_only.dispose()


class _Op:
    def __init__(self, kind: str, payload: dict[str, object]) -> None:
        self.kind, self.payload, self.attempts = kind, payload, 0
