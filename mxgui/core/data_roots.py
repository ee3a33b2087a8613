"""The session's data roots: every path a caller gives must lie inside one of them.

A path is judged by where it really leads: it must be absolute, and once every
symbolic link is followed (a dangling one too, to where it points) it must be a root
or below one. The roots are resolved the same way, so a root that is itself a link
(``/data/visitor`` -> ``/gpfs/...``) works. Anything else is refused with
:class:`OutsideDataRoots`, whose message names the argument.

The roots come from the session (``AbstractSession.get_data_roots``, configured in the
session's XML).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


class OutsideDataRoots(ValueError):
    """A path that is not absolute or leads outside the data roots; names the argument."""


def real_path(path: str | Path) -> Path:
    """``path`` with every symbolic link followed (dangling ones too) and ``..`` resolved."""
    return Path(os.path.realpath(os.fspath(path)))


class DataRoots:
    """The directories data may be written to (or read from) at a caller's request.

    Parameters
    ----------
    roots
        Absolute directories (they need not exist yet).
    """

    def __init__(self, roots: Iterable[str | Path]) -> None:
        given = [Path(os.path.expanduser(str(r))) for r in roots if str(r).strip()]
        relative = [str(r) for r in given if not r.is_absolute()]
        if relative:
            raise ValueError(f"data roots must be absolute paths, got {', '.join(relative)}")
        if not given:
            raise ValueError("no data roots: give at least one absolute directory")
        self.roots: tuple[Path, ...] = tuple(dict.fromkeys(real_path(r) for r in given))

    def __str__(self) -> str:
        return ", ".join(str(r) for r in self.roots)

    def contains(self, resolved: Path) -> bool:
        """True when the already resolved ``resolved`` is a root or below one."""
        return any(resolved == root or resolved.is_relative_to(root) for root in self.roots)

    def check(self, path: str | Path, name: str) -> Path:
        """``path`` resolved (links followed); :class:`OutsideDataRoots` naming ``name``
        when it is empty, relative, or leads outside the roots."""
        text = str(os.fspath(path))
        if not text.strip():
            raise OutsideDataRoots(f"{name}: empty; expected an absolute path inside {self}")
        if "\0" in text:
            raise OutsideDataRoots(f"{name}: {text!r} contains a NUL character")
        if not Path(text).is_absolute():
            raise OutsideDataRoots(
                f"{name}: {text!r} is not an absolute path (the data roots: {self})"
            )
        resolved = real_path(text)
        if not self.contains(resolved):
            via = "" if str(resolved) == os.path.normpath(text) else f" (it leads to {resolved})"
            raise OutsideDataRoots(f"{name}: {str(text)!r} is outside the data roots {self}{via}")
        return resolved

    def make_directory(self, directory: str | Path, name: str) -> Path:
        """Create ``directory`` (and its missing parents) inside the roots; its resolved
        path. Checked before, and again after (a link swapped in meanwhile is caught)."""
        resolved = self.check(directory, name)
        resolved.mkdir(parents=True, exist_ok=True)
        return self.check(resolved, name)
