"""Replacing a file atomically: a reader sees the old file or the new one, never a part.

:func:`atomic_write` writes to a temporary file in the same directory and renames it
over the target; the caller states the permission bits the file gets (``mode``), since
the writers differ: a layout or a queue keeps the mode of the file it replaces, a
token is private (0600). :func:`write_temporary` is the step shared with
:mod:`mxgui.core.new_files`, which publishes the temporary file under a name that
must not exist instead of replacing one. Qt-free.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Literal

__all__ = ["KEEP_MODE", "atomic_write", "default_file_mode", "write_temporary"]

#: ``mode`` of :func:`atomic_write`: the permission bits of the file replaced (a
#: beamline's shared layout stays readable), else those of a new file (0666 less the umask)
KEEP_MODE: Literal["keep"] = "keep"


def default_file_mode() -> int:
    """The permission bits a new file gets from ``open``: 0666 less the umask."""
    umask = os.umask(0o022)  # the only way to read the umask is to set it
    os.umask(umask)
    return 0o666 & ~umask


def write_temporary(
    directory: str | os.PathLike[str],
    data: str | bytes,
    *,
    prefix: str,
    mode: int,
    sync: bool,
    encoding: str = "utf-8",
) -> Path:
    """Write ``data`` (text in ``encoding``, or bytes) to a new temporary file in
    ``directory`` named ``<prefix>XXXXXXXX.tmp``, with permission bits ``mode``, flushed
    to the disk first if ``sync``. The file is private (0600) until it is complete.
    On failure it is removed and the error raised; on success the caller publishes
    it (rename or link) and removes what is left."""
    fd, name = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    done = False
    try:
        raw = data.encode(encoding) if isinstance(data, str) else data
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            if sync:
                out.flush()
                os.fsync(out.fileno())
        os.chmod(name, mode)
        done = True
    finally:
        if not done:
            with contextlib.suppress(OSError):
                os.unlink(name)
    return Path(name)


def atomic_write(
    path: str | os.PathLike[str],
    data: str | bytes,
    *,
    mode: int | Literal["keep"],
    sync: bool = True,
    encoding: str = "utf-8",
) -> None:
    """Replace ``path`` with ``data`` atomically; its directory must exist.

    Parameters
    ----------
    path
        The file to write or replace.
    data
        Text (encoded with ``encoding``) or bytes.
    mode
        The permission bits of the new file, e.g. ``0o600``; :data:`KEEP_MODE` keeps
        those of the file replaced (a new file gets :func:`default_file_mode`).
    sync
        Flush the file and then the directory entry to the disk, so that the new
        content survives a power cut (``False`` for files remade at every start).

    On failure (``OSError``) the old file is intact and no temporary file is left.
    """
    path = Path(path)
    bits = mode if isinstance(mode, int) else _current_mode(path)
    temporary = write_temporary(
        path.parent, data, prefix=f".{path.name}.", mode=bits, sync=sync, encoding=encoding
    )
    try:
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if sync:
        _sync_directory(path.parent)


def _current_mode(path: Path) -> int:
    """The permission bits of ``path``, or a new file's when it does not exist."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        return default_file_mode()


def _sync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (POSIX; a no-op where it cannot be done)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
