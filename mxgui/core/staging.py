"""Hidden staging directories beside data files, and removing those a crash left.

A file is written under its final name inside ``<directory>/.mxgui-staging-<owner>-<random>``
and then linked into place (``hardware_objects/simulated/image_writer.py``), so it
appears whole or not at all. The writer removes its staging directory when done; a
process killed meanwhile (``kill -9``, a power cut) cannot. ``<owner>`` is the owner tag
of the process that made the directory (``mxgui.core.owner``): a directory whose owner
no longer runs is left over, and :func:`remove_stale` removes it. Directories of
another mxgui that still runs are never touched.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from mxgui.core.owner import is_alive, process_tag

log = logging.getLogger(__name__)

STAGING_PREFIX = ".mxgui-staging-"
#: an untagged staging directory (older mxgui) untouched this long is left over, s
UNTAGGED_STALE_S = 3600.0


def staging_prefix() -> str:
    """The name prefix of this process's staging directories (``mkdtemp(prefix=...)``)."""
    return f"{STAGING_PREFIX}{process_tag()}-"


def owner_of(name: str) -> str | None:
    """The owner tag in a staging directory's name, ``None`` for an untagged one."""
    rest = name[len(STAGING_PREFIX) :]
    tag, dash, _random = rest.partition("-")
    return tag if dash and tag and tag[0].isdigit() else None


def is_stale(path: Path) -> bool:
    """True for a staging directory whose owner no longer runs (an untagged one: not
    changed for :data:`UNTAGGED_STALE_S`)."""
    tag = owner_of(path.name)
    if tag is not None:
        return not is_alive(tag)
    try:
        return time.time() - path.stat().st_mtime > UNTAGGED_STALE_S
    except OSError:
        return False


def remove_stale(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove the staging directories in ``directory`` that their owner left behind;
    the ones removed. A directory that cannot be read or a removal that fails is
    logged, never raised: this is tidying."""
    removed = []
    try:
        with os.scandir(directory) as entries:
            candidates = [
                Path(e.path)
                for e in entries
                if e.name.startswith(STAGING_PREFIX) and e.is_dir(follow_symlinks=False)
            ]
    except FileNotFoundError:
        return []
    except OSError as exc:
        log.warning("cannot look for left-over staging directories in %s: %s", directory, exc)
        return []
    for path in candidates:
        if not is_stale(path):
            continue
        try:
            shutil.rmtree(path)
        except OSError as exc:
            log.warning("cannot remove the left-over staging directory %s: %s", path, exc)
            continue
        removed.append(path)
    if removed:
        log.info(
            "removed %d staging director%s left by a stopped mxgui in %s",
            len(removed),
            "y" if len(removed) == 1 else "ies",
            directory,
        )
    return removed


def remove_stale_in(directories: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """:func:`remove_stale` in each of ``directories`` (each once)."""
    removed: list[Path] = []
    for directory in dict.fromkeys(os.path.normpath(str(d)) for d in directories if d):
        removed += remove_stale(directory)
    return removed
