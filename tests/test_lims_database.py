"""The LIMS database layer on a real MariaDB and on SQLite: the schema builds, a
missing table or column is named, and errors are told apart (away vs wrong)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from mxgui.core.lims.database import (
    create_schema,
    is_transient,
    ispyb_models,
    make_engine,
    redacted,
    schema_problems,
)

from lims_fixtures import rows, scalar

pytest_plugins = ("lims_fixtures",)


def test_the_whole_schema_builds_on_sqlite_with_foreign_keys_enforced(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'lims.sqlite'}")
    create_schema(engine)
    tables = sa.inspect(engine).get_table_names()
    assert len(tables) >= 200 and "DataCollection" in tables
    with engine.begin() as connection:
        with pytest.raises(sa_exc.IntegrityError):
            connection.execute(sa.text("INSERT INTO BLSession (proposalId) VALUES (424242)"))
    engine.dispose()


def test_rows_written_with_the_models_read_back_on_mariadb(ispyb_engine: sa.Engine) -> None:
    models = ispyb_models()
    with sa.orm.Session(ispyb_engine) as session:
        person = models.Person(login="jdoe", familyName="Doe", givenName="Jane")
        session.add(person)
        session.flush()
        proposal = models.Proposal(
            personId=person.personId, proposalCode="mx", proposalNumber="1234", title="Demo"
        )
        session.add(proposal)
        session.commit()
    assert rows(
        ispyb_engine,
        "SELECT proposalCode, proposalNumber, p.login FROM Proposal JOIN Person p USING (personId)",
    ) == [{"proposalCode": "mx", "proposalNumber": "1234", "login": "jdoe"}]


def test_a_missing_table_or_column_is_named(ispyb_engine: sa.Engine) -> None:
    needed = {"DataCollection": ["imageDirectory", "noSuchColumn"], "NoSuchTable": ["x"]}
    assert schema_problems(ispyb_engine, needed) == [
        "table DataCollection has no column noSuchColumn (schema too old?)",
        "no table NoSuchTable (schema too old?)",
    ]


def test_a_schema_error_is_not_transient_but_a_stopped_server_is(mariadb, ispyb_url) -> None:
    engine = make_engine(ispyb_url, connect_timeout=1, io_timeout=2)
    try:
        with pytest.raises(sa_exc.OperationalError) as wrong:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT noSuchColumn FROM DataCollection"))
        assert not is_transient(wrong.value)  # 1054: retrying cannot help
        assert scalar(engine, "SELECT COUNT(*) FROM DataCollection") == 0
        mariadb.stop(signal.SIGKILL)
        with pytest.raises(sa_exc.OperationalError) as away:
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        assert is_transient(away.value)
        mariadb.start()
        started = time.monotonic()
        assert scalar(engine, "SELECT COUNT(*) FROM Proposal") == 0  # the pool recovers
        assert time.monotonic() - started < 5
    finally:
        engine.dispose()


def test_bad_urls_are_named_without_their_password() -> None:
    with pytest.raises(ValueError, match="not-a-url"):
        make_engine("not-a-url")
    with pytest.raises(ValueError, match=r"postgresql://ispyb:\*\*\*@db/ispyb"):
        make_engine("postgresql://ispyb:secret@db/ispyb")
    assert "secret" not in redacted("mysql+pymysql://ispyb:secret@db:3306/ispyb")
