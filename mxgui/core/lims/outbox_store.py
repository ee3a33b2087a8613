"""The LIMS outbox's file: operations kept in SQLite until sent (Qt-free).

One table holds the operations in the order they were put (``seq``), each ``waiting``,
``sent`` (with the sender's result) or ``failed`` (with the reason); a second lists the
operations each one refers to, so that pruning keeps what a waiting one still needs.
The journal is WAL with ``synchronous=NORMAL``: a committed put survives a crash of the
process (not necessarily a power cut), and costs tens of microseconds.

A file that cannot be used (not SQLite, failing ``PRAGMA quick_check``, tables of
another shape, a format from a newer mxgui, larger than its bound) is set aside as
``<name>.corrupt-<YYYYmmdd-HHMMSS>`` and a new one started (:attr:`OutboxStore.problem`
says so, naming both files). A directory that cannot be written raises ``OSError``
naming it. A second outbox on the same file (in this or another process) raises
``OSError`` too: two senders would send the same rows twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from mxgui.core.queue.persistence import set_aside
from mxgui.core.save_errors import write_probe

__all__ = [
    "FORMAT_VERSION",
    "WAITING",
    "SENT",
    "FAILED",
    "OutboxStore",
    "StoredOperation",
    "sent_payload",
]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
WAITING, SENT, FAILED = "waiting", "sent", "failed"
_SCHEMA = """
CREATE TABLE outbox_format (version INTEGER NOT NULL);
CREATE TABLE operations (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'waiting',
    reason TEXT NOT NULL DEFAULT '',
    result TEXT,
    finished REAL
);
CREATE INDEX operations_by_state ON operations (state, seq);
CREATE TABLE refs (seq INTEGER NOT NULL, target TEXT NOT NULL);
CREATE INDEX refs_by_seq ON refs (seq);
CREATE INDEX refs_by_target ON refs (target);
"""
#: the columns each table must have, in order
_SHAPE = {
    "operations": (
        "seq",
        "key",
        "kind",
        "payload",
        "created",
        "attempts",
        "state",
        "reason",
        "result",
        "finished",
    ),
    "refs": ("seq", "target"),
    "outbox_format": ("version",),
}
#: operations deleted in one transaction when pruning
_PRUNE_CHUNK = 500
#: characters of a quick_check report quoted in a message
_QUOTED = 200


@dataclass(frozen=True)
class StoredOperation:
    """One row of the outbox: ``attempts`` counts the attempts begun so far."""

    seq: int
    key: str
    kind: str
    payload: str
    attempts: int
    created: float
    state: str
    reason: str
    result: str | None


class _Unusable(Exception):
    """The file is not a usable outbox (the message says why)."""


class OutboxStore:
    """The outbox's SQLite file, safe to use from several threads (one connection
    behind a lock; no call holds the lock for longer than one transaction).

    Parameters
    ----------
    path
        The file; its directory is created.
    max_file_bytes
        A larger file is set aside when opened.
    name
        What the messages call it (e.g. "LIMS outbox").
    """

    def __init__(self, path: Path, max_file_bytes: int, name: str = "LIMS outbox") -> None:
        self.path = Path(path)
        self.name = name
        #: what was wrong with the file found there and where it was moved, else ""
        self.problem = ""
        self._lock = threading.RLock()
        self._lock_file = self._claim()
        try:
            self._connection = self._open(max_file_bytes)
        except BaseException:
            self._lock_file.close()
            raise

    # opening -------------------------------------------------------------------------------
    def _claim(self) -> IO[bytes]:
        """Create the directory and hold ``<file>.lock``; ``OSError`` naming the path."""
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(
                exc.errno, f"{self.name} {self.path}: cannot create {directory}: {exc.strerror}"
            ) from exc
        blocked = write_probe(directory)
        if blocked is not None:
            raise OSError(
                blocked.errno,
                f"{self.name} {self.path}: cannot write in {directory}: {blocked.strerror}",
            )
        lock_path = Path(f"{self.path}.lock")
        handle = open(lock_path, "ab")  # held until close()
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise OSError(
                exc.errno,
                f"{self.name} {self.path} is in use by another outbox (this or another "
                f"mxgui holds {lock_path})",
            ) from exc
        return handle

    def _open(self, max_file_bytes: int) -> sqlite3.Connection:
        try:
            return self._connect(max_file_bytes)
        except _Unusable as exc:
            why = str(exc)
        aside = set_aside(self.path, "corrupt")
        if aside is None:
            raise OSError(f"{self.name} {self.path} {why}, and it could not be moved aside")
        for suffix in ("-wal", "-shm"):
            part = Path(f"{self.path}{suffix}")
            if part.exists():
                os.replace(part, Path(f"{aside}{suffix}"))
        self.problem = f"{self.name} {self.path} {why}: set aside as {aside}, a new one started"
        log.warning("%s", self.problem)
        try:
            return self._connect(max_file_bytes)
        except _Unusable as exc:  # a new file in a writable directory: not expected
            raise OSError(f"{self.name} {self.path}: a new file is unusable too ({exc})") from exc

    def _connect(self, max_file_bytes: int) -> sqlite3.Connection:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size > max_file_bytes:
            raise _Unusable(f"holds {size:,} bytes, more than the {max_file_bytes:,} allowed")
        try:
            connection = sqlite3.connect(
                str(self.path), check_same_thread=False, isolation_level=None, timeout=5.0
            )
        except sqlite3.Error as exc:
            raise OSError(f"{self.name} {self.path} cannot be opened: {exc}") from exc
        try:
            _check_and_create(connection)
        except sqlite3.OperationalError as exc:  # locked, read-only, I/O: not the content
            connection.close()
            raise OSError(f"{self.name} {self.path} cannot be used: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise _Unusable(f"is not an SQLite database ({exc})") from exc
        except _Unusable:
            connection.close()
            raise
        return connection

    def close(self) -> None:
        """Close the file and let another outbox open it."""
        with self._lock:
            self._connection.close()
            self._lock_file.close()

    # writing -------------------------------------------------------------------------------
    def insert(
        self, key: str, kind: str, payload: str, created: float, references: tuple[str, ...]
    ) -> StoredOperation | None:
        """Store a new waiting operation, committed before this returns; ``None``, or the
        operation already stored under ``key`` (nothing is changed then). ``KeyError``
        names a reference to a key the outbox does not hold."""
        with self._lock, self._transaction() as cursor:
            row = cursor.execute(_SELECT + " WHERE key = ?", (key,)).fetchone()
            if row is not None:
                return StoredOperation(*row)
            for target in references:
                if cursor.execute("SELECT 1 FROM operations WHERE key = ?", (target,)).fetchone():
                    continue
                raise KeyError(f"the outbox holds no operation {target!r} to refer to")
            cursor.execute(
                "INSERT INTO operations (key, kind, payload, created) VALUES (?, ?, ?, ?)",
                (key, kind, payload, created),
            )
            seq = cursor.lastrowid
            cursor.executemany(
                "INSERT INTO refs (seq, target) VALUES (?, ?)", [(seq, t) for t in references]
            )
        return None

    def begin_attempt(self, seq: int) -> None:
        """Count one more attempt at ``seq`` (committed before the sender is called)."""
        with self._lock:
            self._connection.execute(
                "UPDATE operations SET attempts = attempts + 1 WHERE seq = ?", (seq,)
            )

    def finish(
        self, seq: int, state: str, finished: float, result: str | None, reason: str
    ) -> None:
        """Mark ``seq`` sent (with its ``result``) or failed (with its ``reason``), in
        one transaction. A sent operation keeps only its payload's digest
        (:func:`sent_payload`): references and the history need the result alone, and
        a large payload (a mesh's quality indicators) would otherwise hold its space
        for as long as sent operations are kept."""
        with self._lock:
            if state == SENT:
                with self._transaction() as cursor:
                    row = cursor.execute(
                        "SELECT payload FROM operations WHERE seq = ?", (seq,)
                    ).fetchone()
                    kept = sent_payload(str(row[0])) if row is not None else ""
                    cursor.execute(
                        "UPDATE operations SET state = ?, finished = ?, result = ?, "
                        "reason = ?, payload = ? WHERE seq = ?",
                        (state, finished, result, reason, kept, seq),
                    )
                return
            self._connection.execute(
                "UPDATE operations SET state = ?, finished = ?, result = ?, reason = ? "
                "WHERE seq = ?",
                (state, finished, result, reason, seq),
            )

    def requeue_failed(self) -> int:
        """Make every failed operation waiting again, in its place in the order; how many."""
        with self._lock, self._transaction() as cursor:
            cursor.execute(
                "UPDATE operations SET state = ?, reason = '', finished = NULL WHERE state = ?",
                (WAITING, FAILED),
            )
            return cursor.rowcount

    def prune(self, before: float) -> int:
        """Delete the operations sent before the epoch time ``before`` that no waiting
        operation refers to; how many were deleted. In transactions of at most
        :data:`_PRUNE_CHUNK` operations, so that a put waits for one chunk at most."""
        deleted = 0
        while True:
            with self._lock, self._transaction() as cursor:
                seqs = cursor.execute(
                    "SELECT seq FROM operations WHERE state = ? AND finished < ? AND key NOT IN ("
                    "SELECT refs.target FROM refs JOIN operations AS waiting "
                    "ON waiting.seq = refs.seq WHERE waiting.state = ?) ORDER BY seq LIMIT ?",
                    (SENT, before, WAITING, _PRUNE_CHUNK),
                ).fetchall()
                cursor.executemany("DELETE FROM operations WHERE seq = ?", seqs)
                cursor.executemany("DELETE FROM refs WHERE seq = ?", seqs)
            deleted += len(seqs)
            if len(seqs) < _PRUNE_CHUNK:
                break
        # the pages freed by prune and by sent payloads given back to the file system
        # (files made before auto_vacuum was set ignore it); executescript steps the
        # pragma to its end, execute() would free one page
        with self._lock:
            self._connection.executescript("PRAGMA incremental_vacuum;")
        return deleted

    # reading -------------------------------------------------------------------------------
    def first_waiting(self) -> StoredOperation | None:
        """The waiting operation put first."""
        with self._lock:
            row = self._connection.execute(
                _SELECT + " WHERE state = ? ORDER BY seq LIMIT 1", (WAITING,)
            ).fetchone()
        return None if row is None else StoredOperation(*row)

    def get(self, key: str) -> StoredOperation | None:
        """The operation stored under ``key``."""
        with self._lock:
            row = self._connection.execute(_SELECT + " WHERE key = ?", (key,)).fetchone()
        return None if row is None else StoredOperation(*row)

    def counts(self) -> dict[str, int]:
        """How many operations are in each state."""
        with self._lock:
            rows = self._connection.execute(
                "SELECT state, COUNT(*) FROM operations GROUP BY state"
            ).fetchall()
        counts = {WAITING: 0, SENT: 0, FAILED: 0}
        counts.update({str(state): int(count) for state, count in rows})
        return counts

    def size(self) -> int:
        """Bytes the database's pages in use hold (those still in the WAL included; free
        pages, which new rows reuse, not)."""
        with self._lock:
            pages = self._connection.execute("PRAGMA page_count").fetchone()[0]
            free = self._connection.execute("PRAGMA freelist_count").fetchone()[0]
            page_size = self._connection.execute("PRAGMA page_size").fetchone()[0]
        return (int(pages) - int(free)) * int(page_size)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._connection)


def sent_payload(text: str) -> str:
    """What a sent operation keeps of its payload ``text``: a digest, so that putting the
    same operation again is still recognised."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


_SELECT = "SELECT seq, key, kind, payload, attempts, created, state, reason, result FROM operations"


class _Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` when the block raises)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> sqlite3.Cursor:
        self._connection.execute("BEGIN IMMEDIATE")
        return self._connection.cursor()

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        self._connection.execute("ROLLBACK" if error is not None else "COMMIT")


def _check_and_create(connection: sqlite3.Connection) -> None:
    """Set the journal, check the file, and create the tables in an empty one;
    :class:`_Unusable` (or ``sqlite3.DatabaseError``) when the file is not an outbox."""
    # looked at before the journal is set, which would write to a file set aside
    report = [str(row[0]) for row in connection.execute("PRAGMA quick_check").fetchall()]
    if report != ["ok"]:
        first = " ".join(report)[:_QUOTED]
        raise _Unusable(f"fails PRAGMA quick_check ({first})")
    tables = {
        str(row[0])
        for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    } - {"sqlite_sequence"}
    if tables:
        _check_shape(connection, tables)
    if not tables:  # before the first table: free pages are then given back by prune
        connection.execute("PRAGMA auto_vacuum=INCREMENTAL")
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    if not tables:
        connection.executescript(_SCHEMA)
        connection.execute("INSERT INTO outbox_format VALUES (?)", (FORMAT_VERSION,))


def _check_shape(connection: sqlite3.Connection, tables: set[str]) -> None:
    """:class:`_Unusable` unless the ``tables`` of the file are an outbox's."""
    for table, columns in _SHAPE.items():
        if table not in tables:
            raise _Unusable(f"has no table {table} (tables: {', '.join(sorted(tables))})")
        found = tuple(str(row[1]) for row in connection.execute(f"PRAGMA table_info({table})"))
        if found != columns:
            raise _Unusable(
                f"has a table {table} with the columns ({', '.join(found)}), "
                f"not ({', '.join(columns)})"
            )
    versions = connection.execute("SELECT version FROM outbox_format").fetchall()
    if len(versions) != 1 or not isinstance(versions[0][0], int):
        raise _Unusable(f"has no single format version ({versions!r})")
    if versions[0][0] > FORMAT_VERSION:
        raise _Unusable(
            f"is of format {versions[0][0]}, from a newer mxgui (this one reads {FORMAT_VERSION})"
        )
