"""Which process left something behind, and whether that process still lives.

Files and records that a running mxgui keeps open (staging directories, workflow runs
in the execution log) carry an *owner tag*: ``<pid>x<start>``, the process id and the
time the process started (in clock ticks since boot, from ``/proc/<pid>/stat``). A
process id alone is not enough: after a crash and a reboot, or a long time, another
process may have that id. Where ``/proc`` is missing the tag is the process id alone,
and a living process of that id counts as the owner.
"""

from __future__ import annotations

import os
import re

_TAG_RE = re.compile(r"^([0-9]+)(?:x([0-9]+))?$")


def _start_ticks(pid: int) -> str | None:
    """When process ``pid`` started (field 22 of ``/proc/<pid>/stat``), or ``None``."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # the command name may hold spaces
    return fields[19] if len(fields) > 19 else None


def process_tag(pid: int | None = None) -> str:
    """The owner tag of process ``pid`` (default: this process)."""
    pid = os.getpid() if pid is None else pid
    start = _start_ticks(pid)
    return f"{pid}x{start}" if start is not None else str(pid)


def is_alive(tag: str) -> bool:
    """True when the process that the owner tag ``tag`` names still runs; a tag that
    is not one (written by something else) counts as a live owner: nothing of another
    program's is ever taken for left over."""
    match = _TAG_RE.match(tag or "")
    if match is None:
        return True
    pid, start = int(match.group(1)), match.group(2)
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process of that id: it exists
    if start is None:
        return True
    now = _start_ticks(pid)
    return now is None or now == start
