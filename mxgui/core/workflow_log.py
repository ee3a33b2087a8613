"""The execution log of workflow runs: one SQLite file, kept across restarts, Qt-free.

The workflow client records each run (start, steps, end) with :class:`WorkflowLog`;
the execution-log brick reads runs, their steps and per-workflow statistics. Times are
seconds since the epoch; durations are computed from them. The file lives at
``$MXGUI_DATA_DIR/.mxgui/workflows.sqlite`` unless another path is given.

A file that is not a usable database (corrupt, or written by a newer mxgui) is moved
aside to ``<name>.unusable-<time>`` and a new one started; :attr:`WorkflowLog.problem`
says what happened, naming both files.

Each run records its owner, the mxgui process that runs it (``mxgui.core.owner``).
When the log is opened, a run still "running" whose owner no longer runs (mxgui was
killed or crashed) is closed: FAILED, :data:`ABANDONED`, ending when it was last heard
of; :attr:`WorkflowLog.closed_runs` lists them. Runs of an mxgui that still runs are
left alone. A file of schema 1 (no owner) gets the column; its open runs count as
abandoned.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mxgui.core.owner import is_alive, process_tag
from mxgui.core.save_errors import report_save_failure, write_probe
from mxgui.core.user_dirs import data_dir

__all__ = ["RunRecord", "StepRecord", "WorkflowLog", "WorkflowLogError", "WorkflowStatistics"]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
RUNNING = "running"
#: the message of a run whose mxgui stopped (killed, crashed) before the run ended
ABANDONED = "interrupted: the mxgui running it stopped before the workflow ended"
#: run statuses counted as successes, and as failures, in the statistics
SUCCESSES = ("success", "warning")
FAILURES = ("failed", "aborted")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    info TEXT NOT NULL DEFAULT '{}',
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL DEFAULT 'running',
    message TEXT NOT NULL DEFAULT '',
    failed_step TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_by_name ON runs (name, started);
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    step TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL DEFAULT 'running',
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS steps_by_run ON steps (run_id, id);
"""


class WorkflowLogError(RuntimeError):
    """The log file could not be written or read (disk full, permissions...)."""


@dataclass(frozen=True)
class RunRecord:
    """One workflow run as logged; ``finished`` is ``None`` while it runs."""

    id: int
    name: str
    info: dict[str, Any]
    started: float
    finished: float | None
    status: str
    message: str
    failed_step: str

    @property
    def duration(self) -> float | None:
        """Seconds from start to end; ``None`` while running."""
        return None if self.finished is None else max(0.0, self.finished - self.started)


@dataclass(frozen=True)
class StepRecord:
    """One step of a run; ``finished`` is ``None`` while it runs."""

    run_id: int
    step: str
    started: float
    finished: float | None
    status: str
    message: str

    @property
    def duration(self) -> float | None:
        """Seconds from start to end; ``None`` while running."""
        return None if self.finished is None else max(0.0, self.finished - self.started)


@dataclass(frozen=True)
class WorkflowStatistics:
    """Per-workflow counts; ``mean_duration`` over the finished runs (``None``: none)."""

    name: str
    runs: int
    successes: int
    failures: int
    mean_duration: float | None


def default_path() -> Path:
    """``$MXGUI_DATA_DIR/.mxgui/workflows.sqlite``, else under ``~/mxgui-data``."""
    return data_dir() / ".mxgui" / "workflows.sqlite"


class WorkflowLog:
    """Thread-safe log of workflow runs in an SQLite file (WAL journal).

    Parameters
    ----------
    path
        The database file (its directory is created); ``None`` for :func:`default_path`.
        ``":memory:"`` keeps the log in memory (tests).

    Writes raise :class:`WorkflowLogError` naming the file when SQLite fails, and
    ``ValueError`` for an unknown run id.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None and str(path) != ":memory:" else None
        if path is None:
            self.path = default_path()
        #: what went wrong opening the file (and where it was moved), else ""
        self.problem = ""
        self._lock = threading.RLock()
        self._connection = self._open()
        self._owner = process_tag()
        #: the runs found abandoned and closed when the log was opened
        self.closed_runs: list[int] = self._close_abandoned()

    def __repr__(self) -> str:
        return f"<WorkflowLog {self.path or ':memory:'}>"

    # opening -------------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        if self.path is None:
            return self._connect(":memory:")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return self._connect(str(self.path))
        except OSError as exc:
            return self._in_memory(self.path, exc)
        except (sqlite3.DatabaseError, _NewerSchema) as exc:
            blocked = write_probe(self.path.parent)
            if blocked is not None:  # the file is not at fault: its directory is
                return self._in_memory(self.path, blocked)
            problem = f"workflow log {self.path} is unusable ({exc})"
        try:
            aside = self.path.with_name(
                f"{self.path.name}.unusable-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            for suffix in ("", "-wal", "-shm"):
                part = Path(str(self.path) + suffix)
                if part.exists():
                    part.replace(Path(str(aside) + suffix))
            connection = self._connect(str(self.path))
        except (OSError, sqlite3.Error) as exc:
            self.problem = (
                f"{problem}; no new log could be started there ({exc}): logging in memory"
            )
            log.error("%s", self.problem)
            return self._connect(":memory:")
        self.problem = f"{problem}; moved to {aside.name}, a new log was started"
        log.error("%s", self.problem)
        return connection

    def _in_memory(self, path: Path, exc: OSError) -> sqlite3.Connection:
        """The log's directory cannot be written (said once, see
        :func:`~mxgui.core.save_errors.report_save_failure`): log in memory."""
        why = report_save_failure(log, "the workflow log", path, exc)
        self.problem = f"workflow log {path}: {why}: logging in memory"
        return self._connect(":memory:")

    def _connect(self, target: str) -> sqlite3.Connection:
        connection = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            row = connection.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                connection.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif row[0] > SCHEMA_VERSION:
                raise _NewerSchema(f"schema version {row[0]}, this mxgui reads {SCHEMA_VERSION}")
            elif row[0] < SCHEMA_VERSION:
                _migrate(connection, row[0])
            connection.execute("SELECT id, name, started, status FROM runs LIMIT 1").fetchall()
        except Exception:
            connection.close()
            raise
        return connection

    def close(self) -> None:
        """Close the file; the log cannot be used afterwards."""
        with self._lock:
            self._connection.close()

    def _execute(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._connection.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise WorkflowLogError(f"workflow log {self.path or ':memory:'}: {exc}") from exc

    def _close_abandoned(self) -> list[int]:
        """Close the runs left "running" by an mxgui that no longer runs (see the
        module docstring); their ids. A log that fails here is logged: it opens."""
        closed = []
        try:
            with self._lock:
                rows = self._execute(
                    "SELECT id, name, owner FROM runs WHERE finished IS NULL ORDER BY id"
                )
                for run_id, name, owner in rows:
                    if owner and (owner == self._owner or is_alive(owner)):
                        continue
                    self.finish_run(run_id, "failed", ABANDONED, t=self._last_heard_of(run_id))
                    closed.append(run_id)
                    log.warning(
                        "workflow log %s: run %s (%s) was left running by a stopped mxgui: "
                        "closed as failed",
                        self.path or ":memory:",
                        run_id,
                        name,
                    )
        except WorkflowLogError as exc:
            log.error("%s", exc)
        return closed

    def _last_heard_of(self, run_id: int) -> float:
        """The latest time recorded for run ``run_id`` (its start, a step's start or end)."""
        row = self._execute(
            "SELECT MAX(runs.started, COALESCE(MAX(steps.started), 0), "
            "COALESCE(MAX(steps.finished), 0)) "
            "FROM runs LEFT JOIN steps ON steps.run_id = runs.id WHERE runs.id = ?",
            (int(run_id),),
        )
        return float(row[0][0])

    # recording -----------------------------------------------------------------------------
    def start_run(
        self, name: str, info: Mapping[str, object] | None = None, started: float | None = None
    ) -> int:
        """Record that workflow ``name`` started (``info``: its inputs); its run id."""
        text = json.dumps(dict(info or {}), default=str, sort_keys=True)
        with self._lock:
            self._execute(
                "INSERT INTO runs (name, info, started, owner) VALUES (?, ?, ?, ?)",
                (str(name), text, _now(started), self._owner),
            )
            return int(self._execute("SELECT last_insert_rowid()")[0][0])

    def step_started(self, run_id: int, step: str, t: float | None = None) -> None:
        """Record that ``step`` of run ``run_id`` started."""
        with self._lock:
            self._check_run(run_id)
            self._execute(
                "INSERT INTO steps (run_id, step, started) VALUES (?, ?, ?)",
                (run_id, str(step), _now(t)),
            )

    def step_finished(
        self, run_id: int, step: str, status: str, message: str = "", t: float | None = None
    ) -> None:
        """Record that ``step`` ended with ``status``; a step never started is recorded
        as starting and ending at ``t``. The end of a step that the end of its run already
        closed (the workflow called ``workflow_end`` from within that step, and the
        process reported the step afterwards) changes nothing."""
        with self._lock:
            now = _now(t)
            self._check_run(run_id)
            rows = self._execute(
                "SELECT id FROM steps WHERE run_id = ? AND step = ? AND finished IS NULL "
                "ORDER BY id DESC LIMIT 1",
                (run_id, str(step)),
            )
            if not rows and self._closed_by_run_end(run_id, step):
                return
            if rows:
                self._execute(
                    "UPDATE steps SET finished = ?, status = ?, message = ? WHERE id = ?",
                    (now, str(status), str(message), rows[0][0]),
                )
            else:
                self._execute(
                    "INSERT INTO steps (run_id, step, started, finished, status, message) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (run_id, str(step), now, now, str(status), str(message)),
                )

    def finish_run(
        self, run_id: int, status: str, message: str = "", t: float | None = None
    ) -> None:
        """Record the end of run ``run_id``. Steps still running end with it (taking its
        status); the failed step is the last step that failed, else, for a run that did
        not succeed, the step that was running."""
        with self._lock:
            now = _now(t)  # taken under the lock: never before a step recorded meanwhile
            self._check_run(run_id)
            failed = self._execute(
                "SELECT step FROM steps WHERE run_id = ? AND status IN ('failed', 'aborted') "
                "ORDER BY id DESC LIMIT 1",
                (run_id,),
            )
            running = self._execute(
                "SELECT step FROM steps WHERE run_id = ? AND finished IS NULL "
                "ORDER BY id DESC LIMIT 1",
                (run_id,),
            )
            failed_step = failed[0][0] if failed else ""
            if not failed_step and running and status not in SUCCESSES:
                failed_step = running[0][0]
            self._execute(
                "UPDATE steps SET finished = MAX(?, started), status = ? "
                "WHERE run_id = ? AND finished IS NULL",
                (now, str(status), run_id),
            )
            self._execute(
                "UPDATE runs SET finished = ?, status = ?, message = ?, failed_step = ? "
                "WHERE id = ?",
                (now, str(status), str(message), failed_step, run_id),
            )

    def _closed_by_run_end(self, run_id: int, step: str) -> bool:
        """The run has ended and has a row for ``step`` (closed with the run)."""
        ended = self._execute(
            "SELECT 1 FROM runs WHERE id = ? AND finished IS NOT NULL", (int(run_id),)
        )
        has_step = self._execute(
            "SELECT 1 FROM steps WHERE run_id = ? AND step = ?", (int(run_id), str(step))
        )
        return bool(ended and has_step)

    def _check_run(self, run_id: int) -> None:
        if not self._execute("SELECT 1 FROM runs WHERE id = ?", (int(run_id),)):
            raise ValueError(f"workflow log {self.path or ':memory:'} has no run {run_id}")

    # reading -------------------------------------------------------------------------------
    def runs(self, limit: int = 200, name: str | None = None) -> list[RunRecord]:
        """The latest ``limit`` runs (of workflow ``name`` if given), newest first."""
        columns = "id, name, info, started, finished, status, message, failed_step"
        if name is None:
            rows = self._execute(
                f"SELECT {columns} FROM runs ORDER BY started DESC, id DESC LIMIT ?", (int(limit),)
            )
        else:
            rows = self._execute(
                f"SELECT {columns} FROM runs WHERE name = ? ORDER BY started DESC, id DESC LIMIT ?",
                (name, int(limit)),
            )
        return [RunRecord(r[0], r[1], _info(r[2]), *r[3:]) for r in rows]

    def run(self, run_id: int) -> RunRecord:
        """One run (``ValueError`` for an unknown id)."""
        rows = self._execute(
            "SELECT id, name, info, started, finished, status, message, failed_step "
            "FROM runs WHERE id = ?",
            (int(run_id),),
        )
        if not rows:
            raise ValueError(f"workflow log {self.path or ':memory:'} has no run {run_id}")
        row = rows[0]
        return RunRecord(row[0], row[1], _info(row[2]), *row[3:])

    def steps(self, run_id: int) -> list[StepRecord]:
        """The steps of run ``run_id`` in the order they started."""
        rows = self._execute(
            "SELECT run_id, step, started, finished, status, message FROM steps "
            "WHERE run_id = ? ORDER BY id",
            (int(run_id),),
        )
        return [StepRecord(*row) for row in rows]

    def statistics(self) -> list[WorkflowStatistics]:
        """Per workflow (by name): runs, successes, failures, mean duration."""
        rows = self._execute(
            "SELECT name, COUNT(*), SUM(status IN (?, ?)), SUM(status IN (?, ?)), "
            "AVG(CASE WHEN finished IS NULL THEN NULL ELSE MAX(finished - started, 0) END) "
            "FROM runs GROUP BY name ORDER BY name",
            SUCCESSES + FAILURES,
        )
        return [WorkflowStatistics(r[0], r[1], r[2] or 0, r[3] or 0, r[4]) for r in rows]


class _NewerSchema(Exception):
    """The file was written by a newer mxgui."""


def _migrate(connection: sqlite3.Connection, version: int) -> None:
    """Bring a log of an older schema ``version`` to :data:`SCHEMA_VERSION`."""
    columns = {row[1] for row in connection.execute("PRAGMA table_info(runs)")}
    if "owner" not in columns:  # schema 1: runs had no owner
        connection.execute("ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT ''")
    connection.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))
    log.info("workflow log: schema %s converted to %s", version, SCHEMA_VERSION)


def _now(t: float | None) -> float:
    return time.time() if t is None else float(t)


def _info(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
