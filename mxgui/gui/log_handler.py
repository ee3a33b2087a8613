"""Collect log records from any thread and hand them to the GUI in batches.

What the GUI shows of a record is cut to :data:`MAX_SHOWN_CHARS` characters and
:data:`MAX_SHOWN_LINES` lines when it is stored (on the thread that logs), so that the
log view, its tooltips and the status bar cost the same for a 20 MB message as for a
short one; the full text is in the log file (:mod:`mxgui.gui.log_file`).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from mxgui.gui.bridge import GuiBridge
from mxgui.gui.log_file import log_file_path

#: the most characters of one message the GUI keeps and shows
MAX_SHOWN_CHARS = 4000
#: the most lines of one message the GUI keeps and shows
MAX_SHOWN_LINES = 40
#: libraries whose warnings are about themselves, not the beamline ("Matplotlib is
#: building the font cache"): below ERROR they go to the log file only
LIBRARY_LOGGERS = ("matplotlib", "PIL")


def is_library_chatter(record: logging.LogRecord) -> bool:
    """Whether ``record`` is a library's note below ERROR (kept out of the user's log)."""
    if record.levelno >= logging.ERROR:
        return False
    return any(record.name == n or record.name.startswith(n + ".") for n in LIBRARY_LOGGERS)


def shown_text(message: str) -> str:
    """``message``, or its start with a note saying how much more the log file has."""
    end = min(len(message), MAX_SHOWN_CHARS)
    newline = -1
    for _ in range(MAX_SHOWN_LINES):  # bounded: looks at the first MAX_SHOWN_CHARS only
        newline = message.find("\n", newline + 1, end)
        if newline < 0:
            break
    else:
        end = newline
    if end == len(message):
        return message
    path = log_file_path()
    where = f": the full text is in {path}" if path is not None else " not shown"
    more = len(message) - end
    return f"{message[:end]}\n… [{more:,} more character{'s' if more > 1 else ''}{where}]"


@dataclass(frozen=True)
class LogEntry:
    """One log record as shown to the user (its message cut: :func:`shown_text`)."""

    seq: int
    time: float
    level: int
    logger: str
    message: str

    @property
    def level_name(self) -> str:
        return logging.getLevelName(self.level)


class GuiLogHandler(logging.Handler):
    """A logging handler that keeps the last records and notifies GUI listeners.

    Records may come from any thread; listeners are called on the GUI thread with the
    batch of entries that arrived since the last call (one call per burst).
    """

    def __init__(self, bridge: GuiBridge, capacity: int = 20000, level: int = logging.INFO):
        super().__init__(level)
        self._bridge = bridge
        self.entries: deque[LogEntry] = deque(maxlen=capacity)
        self._pending: list[LogEntry] = []
        self._listeners: list[Callable[[list[LogEntry]], None]] = []
        self._pending_lock = threading.Lock()
        self._seq = 0
        self.setFormatter(logging.Formatter("%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if is_library_chatter(record):
            return
        try:
            message = self.format(record)
        except Exception:  # a record that cannot be formatted must not kill the caller
            self.handleError(record)
            return
        with self._pending_lock:
            self._seq += 1
            entry = LogEntry(
                self._seq, record.created, record.levelno, record.name, shown_text(message)
            )
            self.entries.append(entry)
            self._pending.append(entry)
            first = len(self._pending) == 1
        if first:
            self._bridge.post(self._flush)

    def add_listener(self, listener: Callable[[list[LogEntry]], None]) -> None:
        """Call ``listener(entries)`` on the GUI thread as records arrive."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[list[LogEntry]], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _flush(self) -> None:
        with self._pending_lock:
            batch, self._pending = self._pending, []
        for listener in list(self._listeners):
            listener(batch)
