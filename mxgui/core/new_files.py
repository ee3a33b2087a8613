"""Files created exclusively: a new file appears whole, and never over an existing one.

The content is written to a temporary file in the same directory, then hard-linked
under its final name (``link`` fails when the name exists, whatever raced with us),
then the temporary name is removed. On a file system without hard links the final
name is opened with ``O_EXCL`` and the content copied: still exclusive, only no longer
atomic. A symbolic link under the final name counts as existing (it is not followed).
Replacing a file that exists is the other operation, :mod:`mxgui.core.atomic_write`;
the temporary file is written the same way (:func:`~mxgui.core.atomic_write.write_temporary`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

from mxgui.core.atomic_write import write_temporary

#: errors of ``os.link`` meaning "this file system has no hard links here"
_NO_HARD_LINKS = (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV)


def publish_new(temporary: str | Path, path: str | Path) -> Path:
    """Give the finished file ``temporary`` the name ``path``, which must not exist
    (``FileExistsError``); ``temporary`` is left for the caller to remove."""
    path = Path(path)
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise FileExistsError(
            errno.EEXIST, "refusing to overwrite an existing file", str(path)
        ) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags, 0o644)
        except FileExistsError:
            raise FileExistsError(
                errno.EEXIST, "refusing to overwrite an existing file", str(path)
            ) from None
        try:
            with os.fdopen(fd, "wb") as out, open(temporary, "rb") as source:
                shutil.copyfileobj(source, out)
        except BaseException:
            os.unlink(path)  # ours (O_EXCL): no half-written file is left under the name
            raise
    return path


def write_new_file(path: str | Path, data: bytes) -> Path:
    """Create ``path`` holding ``data``; ``FileExistsError`` if the name is taken (a
    file, a directory or a symbolic link, even a dangling one), before or during the
    write. The directory must exist."""
    path = Path(path)
    temporary = write_temporary(path.parent, data, prefix=".mxgui-new-", mode=0o644, sync=False)
    try:
        return publish_new(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
