"""The parts of an ISPyB write below the kinds: a payload's fields read with messages
naming them, and rows inserted, found and updated through ``ispyb.sqlalchemy``'s tables
with their lengths and enum values checked first (SQLite checks neither lengths nor,
without its CHECKs, enums; MariaDB's error would not say which operation).

Used by :mod:`mxgui.core.lims.ispyb_writer`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping, Sequence
from typing import cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

#: free-text columns cut to their length (with an ellipsis) rather than refused
FREE_TEXT = frozenset(
    {"comments", "message", "processingMessage", "statusDescription", "parameterValue"}
)


class PayloadError(ValueError):
    """An operation that cannot be written as it is (a field missing or of the wrong
    type, a text longer than its column, a value the column's enum does not have, a row
    to update that does not exist): retrying cannot help."""


class SchemaError(RuntimeError):
    """The database lacks a table or column a write needs (its schema is too old); the
    message names them."""


class DatabaseNotReady(RuntimeError):
    """The database could not be written at all now (no connection or transaction could
    be begun): nothing about the row is known to be wrong, so it is tried again later."""


class Fields:
    """A payload's fields, read with a :class:`PayloadError` naming the kind and field."""

    def __init__(self, kind: str, payload: Mapping[str, object], where: str = "") -> None:
        if not isinstance(payload, Mapping):
            raise PayloadError(f"{kind}: the payload is not a mapping but {type(payload).__name__}")
        self.kind = kind
        self.payload = payload
        self.where = where

    def _error(self, name: str, expected: str) -> PayloadError:
        value = self.payload.get(name)
        got = "missing" if name not in self.payload else f"got {value!r}"
        return PayloadError(f"{self.kind}: {self.where}{name}: expected {expected}, {got}")

    def integer(self, name: str) -> int:
        value = self.payload.get(name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._error(name, "a whole number (an id)")
        return value

    def opt_integer(self, name: str) -> int | None:
        return None if self.payload.get(name) is None else self.integer(name)

    def number(self, name: str) -> float:
        value = self.payload.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._error(name, "a number")
        if not math.isfinite(value):
            raise self._error(name, "a finite number")
        return float(value)

    def opt_number(self, name: str) -> float | None:
        return None if self.payload.get(name) is None else self.number(name)

    def text(self, name: str) -> str:
        value = self.payload.get(name)
        if not isinstance(value, str) or not value:
            raise self._error(name, "a text")
        return value

    def opt_text(self, name: str) -> str | None:
        return None if self.payload.get(name) in (None, "") else self.text(name)

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.payload.get(name, default)
        if not isinstance(value, bool):
            raise self._error(name, "true or false")
        return value

    def time(self, name: str) -> dt.datetime:
        """A time ``"YYYY-MM-DD HH:MM:SS"`` (ISO 8601; an offset is turned into local
        time), whole seconds as ISPyB's ``DATETIME`` columns keep them."""
        value = self.payload.get(name)
        try:
            when = dt.datetime.fromisoformat(str(value)) if isinstance(value, str) else None
        except ValueError:
            when = None
        if when is None:
            raise self._error(name, 'a time "YYYY-MM-DD HH:MM:SS"')
        if when.tzinfo is not None:
            when = when.astimezone().replace(tzinfo=None)
        return when.replace(microsecond=0)

    def opt_time(self, name: str) -> dt.datetime | None:
        return None if self.payload.get(name) is None else self.time(name)

    def section(self, name: str) -> Fields | None:
        """The mapping ``name`` as fields of its own (``None`` when absent)."""
        value = self.payload.get(name)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self._error(name, "a mapping")
        return Fields(self.kind, value, f"{self.where}{name}.")

    def sections(self, name: str) -> list[Fields]:
        """The list of mappings ``name``, each as fields (``images[3].score``...)."""
        value = self.payload.get(name)
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
            raise self._error(name, "a list")
        found = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise PayloadError(f"{self.kind}: {self.where}{name}[{index}]: expected a mapping")
            found.append(Fields(self.kind, item, f"{self.where}{name}[{index}]."))
        return found

    def mapping(self, name: str) -> Mapping[str, object]:
        value = self.payload.get(name, {})
        if not isinstance(value, Mapping):
            raise self._error(name, "a mapping")
        return value


class Rows:
    """Rows of one transaction (``connection``) for the operation ``kind``.

    ``touched`` collects the tables and columns written, so that a database error can be
    explained by what the schema lacks (:class:`SchemaError`).
    """

    def __init__(self, connection: Connection, tables: Mapping[str, sa.Table], kind: str) -> None:
        self.connection = connection
        self.tables = tables
        self.kind = kind
        self.touched: dict[str, set[str]] = {}

    def table(self, name: str) -> sa.Table:
        return self.tables[name]

    def _checked(
        self, table: sa.Table, values: Mapping[str, object], null: Collection[str] = ()
    ) -> dict[str, object]:
        checked: dict[str, object] = {}
        for name, value in values.items():
            if value is None:
                if name in null:
                    checked[name] = None
                continue
            column = table.c[name]
            if isinstance(column.type, sa.Enum) and value not in column.type.enums:
                raise PayloadError(
                    f"{self.kind}: {table.name}.{name}: {value!r} is not one of "
                    f"{', '.join(column.type.enums)}"
                )
            length = getattr(column.type, "length", None)
            if isinstance(value, str) and isinstance(length, int) and len(value) > length:
                if name not in FREE_TEXT:
                    raise PayloadError(
                        f"{self.kind}: {table.name}.{name}: {len(value)} characters, the "
                        f"column holds {length} ({value[:60]!r}...)"
                    )
                value = value[: length - 3] + "..."
            checked[name] = value
        self.touched.setdefault(table.name, set()).update(checked)
        return checked

    def insert(
        self, table_name: str, values: Mapping[str, object], null: Collection[str] = ()
    ) -> int:
        """Insert one row (``None`` values left to the column's default, except those of
        the columns ``null``, written as SQL NULL); its id."""
        table = self.table(table_name)
        checked = self._checked(table, values, null)
        result = self.connection.execute(sa.insert(table).values(checked))
        key = result.inserted_primary_key
        if key is None or key[0] is None:
            raise PayloadError(f"{self.kind}: {table_name}: the new row has no id")
        return int(key[0])

    def insert_many(self, table_name: str, rows: Sequence[Mapping[str, object]]) -> None:
        """Insert rows of the same columns in one statement."""
        if not rows:
            return
        table = self.table(table_name)
        checked = [self._checked(table, row) for row in rows]
        columns = sorted({name for row in checked for name in row})
        self.connection.execute(
            sa.insert(table), [{name: row.get(name) for name in columns} for row in checked]
        )

    def find(
        self, table_name: str, where: Mapping[str, object], *extra: sa.ColumnElement[bool]
    ) -> int | None:
        """The id of the newest row whose columns equal ``where`` (``None``: IS NULL)."""
        table = self.table(table_name)
        key = self.primary_key(table)
        self.touched.setdefault(table.name, set()).update(where)
        conditions = [
            table.c[name].is_(None) if value is None else table.c[name] == value
            for name, value in where.items()
        ]
        query = sa.select(key).where(*conditions, *extra).order_by(key.desc()).limit(1)
        found = self.connection.execute(query).scalar()
        return None if found is None else int(found)

    def update(self, table_name: str, row_id: int, values: Mapping[str, object]) -> None:
        """Set ``values`` on row ``row_id``; :class:`PayloadError` when there is none."""
        table = self.table(table_name)
        key = self.primary_key(table)
        checked = self._checked(table, values)
        result = self.connection.execute(sa.update(table).where(key == row_id).values(checked))
        if result.rowcount == 0:
            raise PayloadError(f"{self.kind}: there is no {table_name} {row_id} to update")

    def value(self, table_name: str, row_id: int, column: str) -> object:
        """One column of row ``row_id`` (``None`` when there is no such row)."""
        table = self.table(table_name)
        query = sa.select(table.c[column]).where(self.primary_key(table) == row_id)
        return self.connection.execute(query).scalar()

    @staticmethod
    def primary_key(table: sa.Table) -> sa.Column[int]:
        """The table's id column (ISPyB's tables written here have one)."""
        return cast("sa.Column[int]", list(table.primary_key.columns)[0])


def schema_columns(connection: Connection, table_name: str) -> set[str] | None:
    """The columns the database has for ``table_name`` (``None``: no such table)."""
    inspector = sa.inspect(connection)
    if not inspector.has_table(table_name):
        return None
    return {column["name"] for column in inspector.get_columns(table_name)}
