"""Saving the queue on every change (coalesced, atomic) and restoring it after a crash.

:class:`QueueStore` listens to the model and the history; a background thread writes
the latest state once changes pause (``quiet`` seconds, and at least every
``max_delay`` seconds during a long burst), so adding 10,000 tasks writes a handful of
files, not 10,000. :meth:`QueueStore.flush` writes at once (shutdown, tests).

:func:`restore` loads the file into the model and history. A file that cannot be used
(corrupt, or from a newer mxgui) is renamed ``<name>.bad-<timestamp>`` (never deleted)
and the queue starts empty; an older format is migrated, keeping the original aside.
The message of the result says what happened, for the user. A task that was running
when mxgui stopped comes back FAILED (interrupted), listing the files of its run that
are on disk. With ``read_only`` nothing
on disk changes (``mxgui --check``, or an object that has not started using the file):
the result says what is left to do, and :func:`settle` does it later.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from mxgui.core.atomic_write import KEEP_MODE, atomic_write
from mxgui.core.queue import queue_file
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import FAILED, RUNNING
from mxgui.core.queue.queue_file import NewerFormatError, QueueData, QueueFileError
from mxgui.core.queue.run_index import run_key
from mxgui.core.queue.runs import DiskRuns, run_files
from mxgui.core.save_errors import forget_read_only, report_save_failure, save_problem
from mxgui.core.user_dirs import data_dir

log = logging.getLogger(__name__)

INTERRUPTED = "interrupted: mxgui stopped while it was running"
#: the queue file's name in the user's data directory
DEFAULT_NAME = "queue.json"
#: longest pause between attempts to save while saving fails (a read-only directory)
MAX_RETRY_DELAY = 5.0


def default_queue_path() -> Path:
    """``$MXGUI_DATA_DIR/.mxgui/queue.json``, else ``~/mxgui-data/.mxgui/queue.json``."""
    return data_dir() / ".mxgui" / DEFAULT_NAME


def _write_queue_file(path: str | os.PathLike[str], text: str) -> None:
    """Replace the queue file ``path`` atomically (synced, keeping its mode), making its
    directory first if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text, mode=KEEP_MODE)


class QueueStore:
    """Keeps the queue file up to date with the model and the history.

    Parameters
    ----------
    path
        The queue file.
    model, history
        What is saved.
    quiet
        Seconds without a change before a write.
    max_delay
        Longest time a change may stay unsaved during a continuous burst, seconds.

    Attributes
    ----------
    writes
        Number of files written so far.
    last_error
        The reason the last write failed (``""`` after a successful one); a failed
        write is retried after ``quiet`` seconds, then less and less often (up to
        :data:`MAX_RETRY_DELAY`), and the same reason is logged once.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        model: QueueModel,
        history: History,
        quiet: float = 0.2,
        max_delay: float = 2.0,
    ) -> None:
        self.path = Path(path)
        self.model = model
        self.history = history
        self.quiet = quiet
        self.max_delay = max_delay
        self.writes = 0
        self.last_error = ""
        self._condition = threading.Condition()
        self._write_lock = threading.Lock()
        self._saved: tuple[int, int] | None = None
        self._last_change = 0.0
        self._first_unsaved: float | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lines = queue_file.LineCache()
        self._failures = 0
        self._retry_at = 0.0

    # life -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Listen to changes and start the writer thread; the state now is written
        soon (the file may not exist yet)."""
        if self._thread is not None:
            return
        for signal in self.model.declared_signals():
            self.model.connect(signal, self._changed)
        for signal in self.history.declared_signals():
            self.history.connect(signal, self._changed)
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="queue writer", daemon=True)
        self._thread.start()
        self._changed()

    def stop(self, timeout: float = 10.0) -> None:
        """Write what is unsaved, stop listening and stop the thread."""
        for signal in self.model.declared_signals():
            self.model.disconnect(signal, self._changed)
        for signal in self.history.declared_signals():
            self.history.disconnect(signal, self._changed)
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.flush()

    def flush(self) -> bool:
        """Write now if anything is unsaved; True when the file is up to date."""
        return self._write_if_needed()

    @property
    def dirty(self) -> bool:
        """True while a change is not in the file."""
        return self._versions() != self._saved

    def export(self, path: str | os.PathLike[str]) -> None:
        """Write the queue and history to another file (atomically)."""
        nodes, next_id, _ = self.model.snapshot()
        entries, _ = self.history.snapshot()
        _write_queue_file(path, queue_file.dumps(nodes.values(), next_id, entries))

    # the writer -----------------------------------------------------------------------------
    def _versions(self) -> tuple[int, int]:
        return (self.model.version, self.history.version)

    def _changed(self, *_args: object) -> None:
        now = time.monotonic()
        with self._condition:
            self._last_change = now
            if self._first_unsaved is None:
                self._first_unsaved = now
            self._condition.notify_all()

    def _due(self) -> float:
        """When to write: after a pause, but not later than max_delay after the first
        change; after a failure, not before the retry is due."""
        due = min(self._last_change + self.quiet, (self._first_unsaved or 0.0) + self.max_delay)
        return max(due, self._retry_at)

    def _run(self) -> None:
        while True:
            with self._condition:
                while self._first_unsaved is None and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                wait_for_pause(self._condition, self._due, lambda: self._stopping)
                if self._stopping:
                    return
                self._first_unsaved = None
            if self._write_if_needed():
                self._failures, self._retry_at = 0, 0.0
            else:  # retry after a pause that grows while the writes fail
                self._failures += 1
                delay = min(self.quiet * 2**self._failures, MAX_RETRY_DELAY)
                self._retry_at = time.monotonic() + delay
                self._changed()

    def _write_if_needed(self) -> bool:
        with self._write_lock:
            nodes, next_id, model_version = self.model.snapshot()
            entries, history_version = self.history.snapshot()
            versions = (model_version, history_version)
            if versions == self._saved:
                return True
            try:
                text = queue_file.dumps(nodes.values(), next_id, entries, self._lines)
                _write_queue_file(self.path, text)
            except (OSError, ValueError) as exc:
                problem = save_problem(exc, self.path)
                if problem != self.last_error:
                    report_save_failure(log, "the queue", self.path, exc)
                else:
                    log.debug("the queue could not be saved to %s: %s", self.path, problem)
                self.last_error = problem
                return False
            self._saved = versions
            self.writes += 1
            if self.last_error:
                log.info("the queue is saved again to %s", self.path)
                forget_read_only(self.path)
            self.last_error = ""
            return True


@dataclass
class RestoreResult:
    """What :func:`restore` did.

    Attributes
    ----------
    restored
        True when nodes or history were loaded from the file.
    message
        For the user: what was restored, migrated or set aside, and why (``""`` when
        there was no file).
    bad_file
        Where an unusable file was moved, or ``None``.
    nodes, interrupted
        Number of nodes restored, and of those that were running at the crash (now
        ``failed``, with the reason).
    problem
        Why the file could not be used (``""`` when it could): the queue starts empty.
    old_format
        The format of a file that must still be converted (a read-only restore), or
        ``None``.
    pending
        True when a read-only restore left the file to move aside or to convert
        (see :func:`settle`).
    directories
        Where the interrupted tasks wrote: the staging directories a crash left
        there are removed when the file is taken into use.
    """

    restored: bool
    message: str = ""
    bad_file: Path | None = None
    nodes: int = 0
    interrupted: int = 0
    problem: str = ""
    old_format: int | None = None
    pending: bool = False
    directories: tuple[str, ...] = ()


def restore(
    path: str | os.PathLike[str],
    model: QueueModel,
    history: History,
    read_only: bool = False,
) -> RestoreResult:
    """Load the queue file ``path`` into ``model`` and ``history`` (see the module).

    Never raises for a bad file: the model and history are then empty and the message
    says where the bad file was kept. With ``read_only`` no file is moved, copied or
    written: the result is ``pending`` and :func:`settle` finishes the work.
    """
    path = Path(path)
    try:
        data = queue_file.read(path)
    except FileNotFoundError:
        return RestoreResult(False)
    except (QueueFileError, OSError) as exc:
        model.clear()
        history.clear()
        why = "was written by a newer mxgui" if isinstance(exc, NewerFormatError) else "is unusable"
        problem = f"The queue file {why}: {exc}"
        result = RestoreResult(False, f"{problem}. Starting with an empty queue.", problem=problem)
        if read_only:
            log.error("%s", result.message)
            return replace(result, pending=True)
        return settle(path, model, history, result)
    data, interrupted, directories = _interrupted(data)
    model.load(data.nodes, data.next_id)
    history.load(data.history)
    count = len(data.nodes) - 1
    message = f"Restored {count} queue nodes and {len(data.history)} history entries from {path}."
    if interrupted:
        message += f" {interrupted} of them were running when mxgui stopped: now failed."
    result = RestoreResult(True, message, None, count, interrupted, directories=directories)
    if data.format_version != queue_file.FORMAT_VERSION:
        result = replace(result, old_format=data.format_version)
        if read_only:
            log.info("%s (format %s, to convert)", message, data.format_version)
            return replace(result, pending=True)
        return settle(path, model, history, result)
    log.info("%s", message)
    return result


def settle(
    path: str | os.PathLike[str], model: QueueModel, history: History, result: RestoreResult
) -> RestoreResult:
    """Do what a read-only :func:`restore` of ``path`` left: move an unusable file aside
    (``<name>.bad-<timestamp>``), or convert an older format (the original copied
    aside) from ``model`` and ``history``. Returns the result with its message saying
    where the file went; a result with nothing to do is returned as it is."""
    path = Path(path)
    if result.problem:
        aside = set_aside(path, "bad") if path.exists() else None
        kept = f"it was kept as {aside}" if aside else "it could not be moved aside"
        message = f"{result.problem}; {kept}. Starting with an empty queue."
        log.error("%s", message)
        return replace(result, message=message, bad_file=aside, pending=False)
    if result.old_format is not None:
        original = set_aside(path, f"format{result.old_format}", copy=True)
        nodes, next_id, _ = model.snapshot()
        try:
            text = queue_file.dumps(nodes.values(), next_id, history.entries())
            _write_queue_file(path, text)
        except OSError as exc:  # the queue is in memory; the store saves it when it can
            problem = report_save_failure(log, "the queue", path, exc)
            message = f"{result.message} It is not converted to the current format: {problem}."
            return replace(result, message=message, old_format=None, pending=False)
        message = (
            f"{result.message} The file was in format {result.old_format} and was converted "
            f"to format {queue_file.FORMAT_VERSION}; the original is kept as {original}."
        )
        log.info("%s", message)
        return replace(result, message=message, old_format=None, pending=False)
    return result


def _interrupted(data: QueueData) -> tuple[QueueData, int, tuple[str, ...]]:
    """Nodes saved as running ran when mxgui stopped: they failed. A task that writes
    files lists those of its run found on disk (its files are recorded when it ends,
    which it never did). Also returns the directories of those tasks."""
    nodes, count, directories = [], 0, []
    disk = DiskRuns()
    for node in data.nodes:
        if node.status == RUNNING:
            files = node.files
            key = run_key(node.parameters)
            if key is not None:
                directories.append(key[0])
                files = files or run_files(*key, disk)
            node = replace(node, status=FAILED, message=INTERRUPTED, files=files)
            count += 1
        nodes.append(node)
    return replace(data, nodes=nodes), count, tuple(dict.fromkeys(directories))


def set_aside(path: Path, tag: str, copy: bool = False) -> Path | None:
    """Rename (or ``copy``) ``path`` to ``<name>.<tag>-<timestamp>``, never over
    another file; ``None`` (logged) when that fails."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for attempt in range(100):
        suffix = f".{tag}-{stamp}" + (f"-{attempt}" if attempt else "")
        aside = path.with_name(path.name + suffix)
        if aside.exists():
            continue
        try:
            if copy:
                shutil.copy2(path, aside)
            else:
                os.rename(path, aside)
        except OSError as exc:
            log.error("could not move %s aside: %s", path, exc)
            return None
        return aside
    return None


def wait_for_pause(
    condition: threading.Condition, due: Callable[[], float], stopping: Callable[[], bool]
) -> None:
    """With ``condition`` held, wait until the monotonic time ``due()`` (asked again on
    each wake-up: changes move it) has passed or ``stopping()`` is true."""
    while not stopping():
        now = time.monotonic()
        until = due()
        if now >= until:
            return
        condition.wait(until - now)
