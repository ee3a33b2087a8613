"""Repeated warnings and errors folded in the log (Qt-free).

A fault that persists (a directory that cannot be written, a device that stays away)
makes its writer fail again and again; each line may differ only by a number or a
temporary file's name. :class:`RepeatFilter` lets the first such line through, folds
those like it for :attr:`RepeatFilter.window` seconds, and adds to the next one let
through how many were folded, so the log says it once and still shows the fault lasts.
The application adds one filter to all of its log handlers (:func:`fold_repeats`), so
every handler makes the same decision for a record, and removes it when it stops.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

#: temporary files (``tempfile.mkstemp``: 8 random characters) and numbers
_VARYING = re.compile(r"[a-z0-9_]{8}(?=\.tmp\b)|\btmp[a-z0-9_]{8}|\d+(?:\.\d+)?")
_DECISION = "_mxgui_repeat_pass"


#: characters of a message compared (a huge message costs no more than this)
KEY_LENGTH = 1000


def message_key(text: str) -> str:
    """The start of ``text`` with what varies between repeats (numbers, temporary
    names) blanked."""
    return _VARYING.sub("#", text[:KEY_LENGTH])


class RepeatFilter(logging.Filter):
    """Lets a warning or error through once per ``window`` seconds per kind of message.

    Two records are alike when they come from the same logger at the same level and
    their texts differ only by numbers or temporary file names (:func:`message_key`).
    Records below ``level`` always pass. At most ``max_kinds`` kinds are remembered
    (the oldest is forgotten first).
    """

    def __init__(
        self,
        window: float = 60.0,
        level: int = logging.WARNING,
        max_kinds: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.window = window
        self.level = level
        self.max_kinds = max_kinds
        self.clock = clock
        self.folded_total = 0
        self._lock = threading.Lock()
        #: key -> [time let through, records folded since]
        self._kinds: OrderedDict[tuple[str, int, str], list[float]] = OrderedDict()

    def filter(self, record: logging.LogRecord) -> bool:
        decided = getattr(record, _DECISION, None)
        if decided is not None:  # another handler's filter has decided
            return bool(decided)
        passes = record.levelno < self.level or self._first_in_window(record)
        setattr(record, _DECISION, passes)
        return passes

    def _first_in_window(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.levelno, message_key(record.getMessage()))
        now = self.clock()
        with self._lock:
            seen = self._kinds.get(key)
            if seen is not None and now - seen[0] < self.window:
                seen[1] += 1
                self.folded_total += 1
                return False
            folded = int(seen[1]) if seen is not None else 0
            self._kinds[key] = [now, 0]
            self._kinds.move_to_end(key)
            while len(self._kinds) > self.max_kinds:
                self._kinds.popitem(last=False)
        if folded:
            record.msg = (
                f"{record.getMessage()} (and {folded} more like it in the {self.window:g} s before)"
            )
            record.args = ()
        return True


def fold_repeats(
    handlers: Iterable[logging.Handler], folding: RepeatFilter | None = None
) -> RepeatFilter:
    """``folding`` (by default a new :class:`RepeatFilter`) added to each of
    ``handlers``; remove it with :func:`unfold_repeats`."""
    folding = folding if folding is not None else RepeatFilter()
    for handler in handlers:
        handler.addFilter(folding)
    return folding


def unfold_repeats(folding: RepeatFilter, handlers: Iterable[logging.Handler]) -> None:
    """Remove ``folding`` from ``handlers``."""
    for handler in handlers:
        handler.removeFilter(folding)
