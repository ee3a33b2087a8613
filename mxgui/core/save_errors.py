"""Why a file could not be saved, said the same way each time, and once (Qt-free).

An ``OSError`` from an atomic write names the temporary file it failed on, so the
"same" failure reads differently on every attempt; :func:`save_problem` describes
it by its cause and the directory instead. A directory that cannot be written
(permission denied, read-only file system) is worth one clear message, not one
per writer and per attempt: :func:`report_save_failure` says it once per directory
for the whole process, and the writers retry quietly until it is writable again.
"""

from __future__ import annotations

import errno
import logging
import os
import tempfile
import threading
from pathlib import Path

#: errors that mean "this directory cannot be written"
READ_ONLY_ERRNOS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})

_lock = threading.Lock()
_read_only_told: set[Path] = set()


def is_read_only(exc: BaseException) -> bool:
    """True when ``exc`` says the place cannot be written (permissions, read-only disk)."""
    return isinstance(exc, OSError) and exc.errno in READ_ONLY_ERRNOS


def blocking_directory(path: str | os.PathLike[str]) -> Path:
    """The directory that stops ``path`` from being written: its parent, or the nearest
    ancestor that exists when the parent does not (it could not be created)."""
    directory = Path(path).absolute().parent
    while not directory.exists() and directory.parent != directory:
        directory = directory.parent
    return directory


def write_probe(directory: str | os.PathLike[str]) -> OSError | None:
    """Why a file cannot be created in ``directory`` (``None``: it can), found by
    creating and removing an empty one."""
    try:
        fd, name = tempfile.mkstemp(prefix=".mxgui-probe-", dir=directory)
    except OSError as exc:
        return exc
    os.close(fd)
    os.unlink(name)
    return None


def save_problem(exc: BaseException, path: str | os.PathLike[str]) -> str:
    """What went wrong saving ``path``, without the temporary file's name, so that the
    same cause gives the same text on every attempt."""
    if isinstance(exc, OSError) and exc.errno is not None:
        reason = os.strerror(exc.errno)
        if exc.errno in READ_ONLY_ERRNOS:
            return f"the directory {blocking_directory(path)} is read-only ({reason})"
        if exc.errno == errno.ENOSPC:
            return f"the disk of {Path(path).parent} is full ({reason})"
        return reason
    return str(exc)


def report_save_failure(
    logger: logging.Logger, what: str, path: str | os.PathLike[str], exc: BaseException
) -> str:
    """Log that ``what`` (e.g. "the queue") could not be saved to ``path`` and return
    the problem (:func:`save_problem`). A read-only directory is told once per process
    as an error saying what it means; later failures there, for any writer, are
    logged at debug level only. The caller logs each other problem once (it compares
    the returned text with the last one)."""
    problem = save_problem(exc, path)
    if not is_read_only(exc):
        logger.error("%s could not be saved to %s: %s", what, path, problem)
        return problem
    directory = blocking_directory(path)
    with _lock:
        first = directory not in _read_only_told
        _read_only_told.add(directory)
    if first:
        logger.error(
            "The directory %s is read-only (%s): %s cannot be saved there, nor anything "
            "else mxgui keeps there (queue, shapes, logs). mxgui works on and keeps them "
            "in memory; they are saved once the directory can be written (or start "
            "mxgui with a writable MXGUI_DATA_DIR).",
            directory,
            os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else exc,
            what,
        )
    else:
        logger.debug("%s could not be saved to %s: %s", what, path, problem)
    return problem


def forget_read_only(path: str | os.PathLike[str]) -> None:
    """``path``'s directory was written again: a later read-only failure is told anew."""
    with _lock:
        _read_only_told.discard(blocking_directory(path))
