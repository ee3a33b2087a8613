"""The simulated session: a local proposal and run numbers kept on disk."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from hardware_objects.abstract.session import AbstractSession
from mxgui.core.acquisition import run_number_of
from mxgui.core.atomic_write import atomic_write
from mxgui.core.data_roots import DataRoots
from mxgui.core.file_limits import json_nesting_error, read_bounded
from mxgui.core.hardware_object import HardwareObjectState, HOProperty
from mxgui.core.save_errors import is_read_only
from mxgui.core.user_dirs import DATA_DIR_ENV, DEFAULT_DATA_DIR, data_dir

try:  # POSIX: serialise run-number records between processes (several GUIs)
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]  # checked before use

log = logging.getLogger(__name__)

RECORD_FORMAT = 1
#: the run-number record is read on every new path; these bound what it may ask for
MAX_RECORD_BYTES = 64 * 1024 * 1024
MAX_RECORD_NESTING = 16


class SimulatedSession(AbstractSession):
    """A session on a local proposal (``mx1234`` by default).

    XML properties: ``proposal_code``, ``proposal_number``, ``base_directory`` (empty:
    ``$MXGUI_DATA_DIR``, else ``~/mxgui-data``), ``run_record`` (the JSON file of
    issued run numbers; empty: ``<base>/.mxgui/run_numbers.json``), ``data_roots``
    (more directories callers may write to, separated by ``:``; the base directory is
    always one).

    Nothing is written at start; directories and the record are created when first
    needed.
    """

    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "proposal_code": HOProperty(str, "mx", "proposal code, e.g. mx"),
        "proposal_number": HOProperty(str, "1234", "proposal number"),
        "base_directory": HOProperty(
            str, "", f"root of all data (empty: ${DATA_DIR_ENV} or {DEFAULT_DATA_DIR})"
        ),
        "run_record": HOProperty(str, "", "JSON file of issued run numbers"),
        "data_roots": HOProperty(str, "", "more data roots besides the base, ':' between"),
    }

    def init(self) -> None:
        configured = self.get_property("base_directory")
        base = (
            Path(os.path.expandvars(os.path.expanduser(configured))) if configured else data_dir()
        )
        if not base.is_absolute():
            raise self.config_error(
                f"base_directory {str(base)!r} must be an absolute path", "base_directory"
            )
        self._base = base
        extra = [p.strip() for p in self.get_property("data_roots").split(os.pathsep)]
        try:
            self._roots = DataRoots([base, *(os.path.expanduser(p) for p in extra if p)])
        except ValueError as exc:
            raise self.config_error(str(exc), "data_roots") from None
        record = self.get_property("run_record")
        self._record_path = (
            Path(os.path.expanduser(record)) if record else base / ".mxgui" / "run_numbers.json"
        )
        self._code = self.get_property("proposal_code")
        self._number = self.get_property("proposal_number")
        self._start_date = time.strftime("%Y%m%d")
        self._lock = threading.Lock()
        self.set_state(HardwareObjectState.READY)

    # proposal ------------------------------------------------------------------------------
    def get_proposal(self) -> str:
        return f"{self._code}{self._number}"

    def set_proposal(self, code: str, number: str) -> None:
        code, number = str(code).strip(), str(number).strip()
        if not code or not (code + number).isalnum():
            raise ValueError(f"proposal {code}{number!s}: expected letters and digits, e.g. mx1234")
        self._code, self._number = code, number
        self.emit("sessionChanged", self.get_proposal())

    def get_session_start_date(self) -> str:
        return self._start_date

    def set_session_start_date(self, date: str | None) -> None:
        """Use ``date`` (``YYYYMMDD``, the LIMS session's start) in the directories;
        None: today. Emits ``sessionChanged`` when it changes."""
        date = time.strftime("%Y%m%d") if date is None else str(date).strip()
        try:
            time.strptime(date, "%Y%m%d")
        except ValueError:
            raise ValueError(f"session start date {date!r}: expected YYYYMMDD") from None
        if len(date) != 8:
            raise ValueError(f"session start date {date!r}: expected YYYYMMDD")
        if date != self._start_date:
            self._start_date = date
            self.emit("sessionChanged", self.get_proposal())

    def get_base_directory(self) -> str:
        """The configured root of all data."""
        return str(self._base)

    def get_base_data_directory(self) -> str:
        return str(self._base / self.get_proposal() / self._start_date)

    def get_data_roots(self) -> DataRoots:
        """The base directory and the XML's ``data_roots``."""
        return self._roots

    @property
    def run_record_path(self) -> Path:
        """The JSON file holding the run numbers issued."""
        return self._record_path

    # run numbers ----------------------------------------------------------------------
    def get_next_run_number(self, directory: str, prefix: str) -> int:
        with self._locked():
            return self._next(directory, prefix, self._read_record())

    def reserve_run_number(self, directory: str, prefix: str) -> int:
        with self._locked(writing=True):
            record = self._read_record()
            run = self._next(directory, prefix, record)
            self._set(record, directory, prefix, run)
            self._write_record(record)
        return run

    def record_run_number(self, directory: str, prefix: str, run_number: int) -> None:
        with self._locked(writing=True):
            record = self._read_record()
            if run_number > self._recorded(record, directory, prefix):
                self._set(record, directory, prefix, run_number)
                self._write_record(record)

    def _next(self, directory: str, prefix: str, record: dict[str, Any]) -> int:
        on_disk = self._highest_on_disk(directory, prefix)
        return max(on_disk, self._recorded(record, directory, prefix)) + 1

    @staticmethod
    def _highest_on_disk(directory: str, prefix: str) -> int:
        highest = 0
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    run = run_number_of(entry.name, prefix)
                    if run is not None and run > highest:
                        highest = run
        except FileNotFoundError:
            pass
        return highest

    @staticmethod
    def _key(directory: str) -> str:
        return os.path.normpath(os.path.abspath(directory))

    def _recorded(self, record: dict[str, Any], directory: str, prefix: str) -> int:
        return int(record["runs"].get(self._key(directory), {}).get(prefix, 0))

    def _set(self, record: dict[str, Any], directory: str, prefix: str, run: int) -> None:
        record["runs"].setdefault(self._key(directory), {})[prefix] = int(run)

    # the record file ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self, writing: bool = False) -> Iterator[None]:
        """This process's lock, and an advisory file lock shared with other processes.

        Only a writer creates the record's directory; a reader of a record that does
        not exist yet needs no file lock.
        """
        with self._lock:
            if writing and fcntl is not None:
                self._record_path.parent.mkdir(parents=True, exist_ok=True)
            if fcntl is None or not self._record_path.parent.is_dir():
                yield
                return
            lock_path = self._record_path.with_name(self._record_path.name + ".lock")
            try:
                lock_file = open(lock_path, "a")  # noqa: SIM115 - closed by the with below
            except OSError as exc:
                if writing or not is_read_only(exc):
                    raise
                # a directory we may not write: read without the lock (a run number is
                # reserved, under the lock, only when a collection starts)
                yield
                return
            with lock_file:
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _read_record(self) -> dict[str, Any]:
        path = self._record_path
        try:
            raw = read_bounded(path, MAX_RECORD_BYTES)
            too_deep = json_nesting_error(raw, MAX_RECORD_NESTING)
            if too_deep is not None:
                raise ValueError(f"line {too_deep.line}: {too_deep}")
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get("runs"), dict):
                raise ValueError("expected an object with a 'runs' object")
            if data.get("format_version", RECORD_FORMAT) > RECORD_FORMAT:
                raise ValueError(f"format_version {data['format_version']} is newer than this")
            return data
        except FileNotFoundError:
            return {"format_version": RECORD_FORMAT, "runs": {}}
        except (OSError, ValueError) as exc:
            aside = path.with_name(f"{path.name}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}")
            log.error(
                "run-number record %s is unreadable (%s); moved to %s, run numbers now come "
                "from the files on disk only",
                path,
                exc,
                aside.name,
            )
            with contextlib.suppress(OSError):
                path.rename(aside)
            return {"format_version": RECORD_FORMAT, "runs": {}}

    def _write_record(self, record: dict[str, Any]) -> None:
        """Write the record atomically (synced; private to the user, as it always was)."""
        path = self._record_path
        path.parent.mkdir(parents=True, exist_ok=True)
        record["format_version"] = RECORD_FORMAT
        atomic_write(path, json.dumps(record, indent=1, sort_keys=True), mode=0o600)
