"""Connecting to an ISPyB database: engines with time-outs, the schema, and what an
error means (the server is away, or the schema or the data are wrong).

Sites give an SQLAlchemy URL: ``mysql+pymysql://user:password@host:3306/ispyb`` for
their MariaDB / MySQL, or ``sqlite:///path/lims.sqlite`` for the embedded database.
``ispyb.sqlalchemy`` (about 1 s to import) is imported on first use, never at start.
"""

from __future__ import annotations

import importlib
import socket
from collections.abc import Iterable, Mapping
from types import ModuleType

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from mxgui.core.lims.sqlite_schema import enable_sqlite_pragmas, sqlite_metadata
from mxgui.core.lims.url_passwords import star_password

#: MariaDB / MySQL client and server errors that mean "not now": the server is down,
#: went away, is overloaded, or the transaction lost a lock. Anything else (unknown
#: column 1054, unknown table 1146, a foreign key 1452, data too long 1406) is a fault of
#: the schema or the data, and retrying it would fail forever.
TRANSIENT_MYSQL_ERRORS = frozenset(
    {
        1040,  # too many connections
        1053,  # server shutdown in progress
        1205,  # lock wait timeout
        1213,  # deadlock
        1927,  # connection killed
        2002,  # cannot connect through the socket
        2003,  # cannot connect (refused, timed out)
        2005,  # unknown host (DNS down)
        2006,  # server has gone away
        2013,  # lost connection during a query
        2014,  # commands out of sync (a connection broken mid-way)
        2055,  # lost connection (system error)
    }
)

#: MariaDB / MySQL errors by which the server refuses every row, not one: a wrong
#: password or user (1044, 1045, 1142), a database not there (1049), a server made
#: read-only for a fail-over or maintenance (1290, 1792, 1836). Retrying succeeds once
#: an administrator has mended it, and nothing the user did may be lost meanwhile.
REFUSING_EVERYONE_MYSQL_ERRORS = frozenset({1044, 1045, 1049, 1142, 1290, 1792, 1836})
#: the same on SQLite (the driver's messages, in lower case)
_SQLITE_REFUSING_EVERYONE = (
    "unable to open database file",
    "database or disk is full",
    "attempt to write a readonly database",
)


def ispyb_models() -> ModuleType:
    """``ispyb.sqlalchemy``: ISPyB's tables as SQLAlchemy models (imported on first use)."""
    return importlib.import_module("ispyb.sqlalchemy")


def redacted(url: str | sa.URL) -> str:
    """``url`` without its password (in the user part or the query string), for
    messages and logs."""
    try:
        return star_password(sa.make_url(url).render_as_string(hide_password=True))
    except sa_exc.ArgumentError:
        return "<an unreadable database URL>"


def make_engine(url: str, *, connect_timeout: float = 5.0, io_timeout: float = 10.0) -> Engine:
    """An engine for ``url`` that never blocks a caller forever.

    MariaDB / MySQL: ``connect_timeout`` to connect, ``io_timeout`` for each read and
    write (a hung server ends the call), a ping before reusing a pooled connection (the
    first call after a server restart works). SQLite: foreign keys on, WAL, and a lock
    wait of 5 s. ``ValueError`` naming the URL when it cannot be understood.
    """
    try:
        parsed = sa.make_url(url)
    except sa_exc.ArgumentError as exc:
        raise ValueError(f"database URL {url!r}: {exc}") from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            engine = sa.create_engine(
                parsed,
                connect_args={"timeout": io_timeout, "check_same_thread": False},
            )
            enable_sqlite_pragmas(engine)
            return engine
        if backend in ("mysql", "mariadb"):
            return sa.create_engine(
                parsed,
                pool_pre_ping=True,
                pool_recycle=3600,
                connect_args={
                    "connect_timeout": max(1, round(connect_timeout)),
                    "read_timeout": max(1, round(io_timeout)),
                    "write_timeout": max(1, round(io_timeout)),
                },
            )
    except (ImportError, sa_exc.ArgumentError) as exc:
        raise ValueError(f"database URL {redacted(parsed)}: {exc}") from None
    raise ValueError(
        f"database URL {redacted(parsed)}: expected mysql+pymysql://... or sqlite:///..., "
        f"not {backend}"
    )


def schema_metadata(engine: Engine) -> sa.MetaData:
    """ISPyB's tables as ``engine``'s database builds them (fixed up for SQLite)."""
    metadata: sa.MetaData = ispyb_models().Base.metadata
    return sqlite_metadata(metadata) if engine.dialect.name == "sqlite" else metadata


def create_schema(engine: Engine) -> None:
    """Create ISPyB's tables that do not exist yet (an empty database gets all ~205)."""
    schema_metadata(engine).create_all(engine)


def schema_problems(engine: Engine, needed: Mapping[str, Iterable[str]]) -> list[str]:
    """What ``needed`` (table -> columns) the database lacks, one message each, e.g.
    ``"table DataCollection has no column xtalSnapshotFullPath1 (schema too old?)"``.
    Errors reaching the database are raised as they are."""
    inspector = sa.inspect(engine)
    tables = set(inspector.get_table_names())
    problems = []
    for table, columns in needed.items():
        if table not in tables:
            problems.append(f"no table {table} (schema too old?)")
            continue
        present = {c["name"] for c in inspector.get_columns(table)}
        problems.extend(
            f"table {table} has no column {column} (schema too old?)"
            for column in columns
            if column not in present
        )
    return problems


def mysql_error_number(exc: BaseException) -> int | None:
    """The MariaDB / MySQL error number behind ``exc`` (an SQLAlchemy or driver error)."""
    original = getattr(exc, "orig", exc)
    args = getattr(original, "args", ())
    if args and isinstance(args[0], int):
        return args[0]
    return None


def is_transient(exc: BaseException) -> bool:
    """True when ``exc`` means the database is away for now (retry later), False when the
    schema or the data are at fault (retrying would fail again)."""
    if isinstance(exc, (sa_exc.PendingRollbackError, sa_exc.DisconnectionError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        number = mysql_error_number(exc)
        if number is not None:
            return number in TRANSIENT_MYSQL_ERRORS
        message = str(exc.orig).lower()
        if "database is locked" in message or "disk i/o error" in message:
            return True  # SQLite: another writer, or a network file system hiccup
        return isinstance(exc, sa_exc.InterfaceError)
    if isinstance(exc, sa_exc.TimeoutError):  # no free connection in the pool
        return True
    return isinstance(exc, (ConnectionError, TimeoutError, socket.timeout))


def refuses_everyone(exc: BaseException) -> bool:
    """True when ``exc`` says the database refuses every write for now (credentials,
    rights, read-only, a full disk), not this row: retry once it is mended."""
    if not isinstance(exc, sa_exc.DBAPIError):
        return False
    number = mysql_error_number(exc)
    if number is not None:
        return number in REFUSING_EVERYONE_MYSQL_ERRORS
    message = str(exc.orig).lower()
    return any(text in message for text in _SQLITE_REFUSING_EVERYONE)


def short_reason(exc: BaseException) -> str:
    """The driver's message and error number, not SQLAlchemy's essay (no SQL, no
    parameters, no URL)."""
    original = getattr(exc, "orig", None) or exc
    args: tuple[object, ...] = tuple(getattr(original, "args", ()))
    if len(args) >= 2 and isinstance(args[0], int):
        return f"{args[1]} (error {args[0]})"
    text = str(original).strip().splitlines()
    return text[0] if text else type(exc).__name__
