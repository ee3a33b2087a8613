"""A real ISPyB database for the LIMS tests: a private MariaDB on 127.0.0.1.

A test module gets them with ``pytest_plugins = ("lims_fixtures",)``:

- ``mariadb``: the server (one per test session, started on first use, stopped at the
  end); a test may ``stop()`` and ``start()`` it (same port, data kept) - the fixture
  starts it again for the next test;
- ``ispyb_url``: the SQLAlchemy URL of a database ``ispyb`` holding ISPyB's whole schema
  (built once per session), emptied before each test;
- ``ispyb_engine``: an engine on it (closed after the test).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mxgui.core.lims.database import create_schema, make_engine
from mxgui.demo_servers.mariadb import PrivateMariaDB

DATABASE = "ispyb"


@pytest.fixture(scope="session")
def _mariadb_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateMariaDB]:
    server = PrivateMariaDB(Path(tmp_path_factory.mktemp("mariadb")))
    server.start()
    try:
        server.create_database(DATABASE)
        engine = make_engine(server.url(DATABASE))
        create_schema(engine)
        engine.dispose()
        yield server
    finally:
        server.stop()


@pytest.fixture
def mariadb(_mariadb_session: PrivateMariaDB) -> Iterator[PrivateMariaDB]:
    _mariadb_session.start()  # a test before may have stopped it
    yield _mariadb_session
    _mariadb_session.start()


def empty_all_tables(server: PrivateMariaDB) -> None:
    connection = server.connect(DATABASE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_type = 'BASE TABLE'",
                (DATABASE,),
            )
            tables = [row[0] for row in cursor.fetchall()]
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            for table in tables:
                cursor.execute(f"DELETE FROM `{table}`")
            cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
    finally:
        connection.close()


@pytest.fixture
def ispyb_url(mariadb: PrivateMariaDB) -> str:
    empty_all_tables(mariadb)
    return mariadb.url(DATABASE)


@pytest.fixture
def ispyb_engine(ispyb_url: str) -> Iterator[Engine]:
    engine = make_engine(ispyb_url, connect_timeout=2, io_timeout=5)
    yield engine
    engine.dispose()


def scalar(engine: Engine, sql: str, **params: object) -> object:
    """One value read with SQL (the tests check rows with SQL, not with the client)."""
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def rows(engine: Engine, sql: str, **params: object) -> list[dict[str, object]]:
    """The rows of a query, as dicts."""
    with engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(sa.text(sql), params)]
