"""ISPyB's schema (the ``ispyb`` package's SQLAlchemy models) made to build on SQLite.

The models are written for MariaDB. :func:`sqlite_metadata` returns a copy of their
``MetaData`` that SQLite accepts, leaving the installed package as it is:

- MySQL-only column types (TINYINT, SMALLINT, MEDIUMINT, LONGTEXT, MEDIUMTEXT, LONGBLOB)
  compile to INTEGER, TEXT and BLOB (INTEGER also lets TINYINT primary keys autoincrement);
- ``current_timestamp()`` defaults become ``CURRENT_TIMESTAMP``; ``ON UPDATE
  current_timestamp()`` becomes a trigger; ``current_user()`` and zero-date defaults are
  dropped (SQLite has no such function, and year 0 cannot be read back);
- index names shared between tables get their table's name in front (SQLite's index
  names are global);
- enum columns get a CHECK, as MariaDB's strict mode refuses other values.

:func:`enable_sqlite_pragmas` turns on foreign keys (SQLite ignores them otherwise) and
WAL on every connection of an engine. Measured in docs/lims.md.
"""

from __future__ import annotations

import re
from collections import Counter

import sqlalchemy as sa
from sqlalchemy.dialects.mysql import (
    LONGBLOB,
    LONGTEXT,
    MEDIUMINT,
    MEDIUMTEXT,
    SMALLINT,
    TINYINT,
)
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import quoted_name

_ON_UPDATE = re.compile(r"\s+ON\s+UPDATE\s+current_timestamp\(\)", re.IGNORECASE)


@compiles(TINYINT, "sqlite")
@compiles(SMALLINT, "sqlite")
@compiles(MEDIUMINT, "sqlite")
def _sqlite_integer(type_: object, compiler: object, **kw: object) -> str:
    return "INTEGER"


@compiles(LONGTEXT, "sqlite")
@compiles(MEDIUMTEXT, "sqlite")
def _sqlite_text(type_: object, compiler: object, **kw: object) -> str:
    return "TEXT"


@compiles(LONGBLOB, "sqlite")
def _sqlite_blob(type_: object, compiler: object, **kw: object) -> str:
    return "BLOB"


def sqlite_default(mysql_default: str) -> str | None:
    """The SQLite form of a MariaDB server default (``None``: no default)."""
    text = _ON_UPDATE.sub("", mysql_default).strip()
    if text.lower() == "current_timestamp()":
        return "CURRENT_TIMESTAMP"
    if text.lower() == "current_user()" or text == "'0000-00-00 00:00:00'":
        return None
    return mysql_default


def _on_update_trigger(table: sa.Table, column: sa.Column[object]) -> sa.DDL:
    key = " AND ".join(f'"{c.name}" = NEW."{c.name}"' for c in table.primary_key.columns)
    return sa.DDL(  # type: ignore[no-untyped-call]  # SQLAlchemy leaves DDL() untyped
        f'CREATE TRIGGER "{table.name}_{column.name}_onupdate" AFTER UPDATE ON "{table.name}" '
        f'FOR EACH ROW WHEN NEW."{column.name}" IS OLD."{column.name}" BEGIN '
        f'UPDATE "{table.name}" SET "{column.name}" = CURRENT_TIMESTAMP WHERE {key}; END'
    )


def _fix_defaults(table: sa.Table) -> None:
    for column in table.columns:
        default = column.server_default
        arg = getattr(default, "arg", None)
        text = getattr(arg, "text", arg)
        if not isinstance(text, str):
            continue  # computed columns and the like build as they are
        new = sqlite_default(text)
        if new == text:
            continue
        if _ON_UPDATE.search(text):
            sa.event.listen(
                table,
                "after_create",
                _on_update_trigger(table, column).execute_if(dialect="sqlite"),
            )
        column.server_default = None if new is None else sa.DefaultClause(sa.text(new))


def _enum_checks(table: sa.Table) -> None:
    for column in table.columns:
        if isinstance(column.type, sa.Enum):
            values = ", ".join("'" + v.replace("'", "''") + "'" for v in column.type.enums)
            table.append_constraint(
                sa.CheckConstraint(
                    f'"{column.name}" IN ({values})', name=f"ck_{table.name}_{column.name}"
                )
            )


def sqlite_metadata(source: sa.MetaData) -> sa.MetaData:
    """A copy of ``source`` (ISPyB's models' MetaData) that builds on SQLite."""
    metadata = sa.MetaData()
    for table in source.sorted_tables:
        table.to_metadata(metadata)
    index_names = Counter(ix.name for t in metadata.tables.values() for ix in t.indexes)
    for table in metadata.tables.values():
        _fix_defaults(table)
        _enum_checks(table)
        for index in table.indexes:
            if index_names[index.name] > 1:
                index.name = quoted_name(f"{table.name}_{index.name}", None)
    return metadata


def enable_sqlite_pragmas(engine: Engine) -> None:
    """Foreign keys on (SQLite ignores them otherwise), WAL, and a busy timeout, on every
    connection ``engine`` makes."""

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()
