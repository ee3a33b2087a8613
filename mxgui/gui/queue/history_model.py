"""The history of executed queue entries as a Qt table, newest first, updated row by row."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from PyQt5.QtGui import QColor

from mxgui.core.queue.history import History, HistoryEntry
from mxgui.gui.bridge import GuiBridge
from mxgui.gui.item_models import NamedColumns
from mxgui.gui.queue.follower import Event, Follower
from mxgui.gui.queue.status_style import status_colour, status_icon, status_label

TIME, SAMPLE, TASK, STATUS, MESSAGE, FILES, LIMS = range(7)
#: ``(directory, prefix, run_number) -> (state, reason)``: where an entry's collection is
#: in the LIMS ("stored", "waiting", "failed", or "" when the LIMS has no record of it)
LimsLookup = Callable[[str, str, int], tuple[str, str]]
LIMS_TEXT = {"stored": "stored", "waiting": "waiting", "failed": "failed"}
FINAL_LIMS_STATES = ("stored", "failed")
#: seconds after an entry ended during which "no record" may still become one (the
#: recorder puts a collection's last writes after its entry ends); later, "" is final
LIMS_RECORD_GRACE = 60.0
LIMS_COLOURS = {"waiting": "#a65b00", "failed": "#b71c1c", "stored": "#2e7d32"}
#: at most this many file names in a tooltip
TOOLTIP_FILES = 10


def files_text(entry: HistoryEntry) -> str:
    """``"1800 files: lyso_1_00001.cbf ..."``, or the one file's name, or ``""``."""
    files = entry.files
    if not files:
        return ""
    first = os.path.basename(files[0])
    if len(files) == 1:
        return first
    return f"{len(files)} files: {first} … {os.path.basename(files[-1])}"


def when(seconds: float | None) -> str:
    """Local ``HH:MM:SS`` of epoch ``seconds`` (``""`` when unknown)."""
    return time.strftime("%H:%M:%S", time.localtime(seconds)) if seconds else ""


def lims_tooltip(state: str, reason: str) -> str:
    """The LIMS column's tooltip for a state and its reason."""
    if state == "stored":
        return "stored in the LIMS"
    if state == "waiting":
        return "kept in the outbox; stored when the LIMS database answers" + (
            f" (last problem: {reason})" if reason else ""
        )
    if state == "failed":
        return f"the LIMS refused it: {reason}" if reason else "the LIMS refused it"
    return "not recorded in the LIMS (no LIMS, or recorded before this outbox)"


class HistoryTableModel(NamedColumns, QAbstractTableModel):
    """The entries of a :class:`History`, newest first; an appended entry is one row
    inserted at the top, a reset of the history one model reset."""

    COLUMNS = ("Time", "Sample", "Task", "Status", "Message", "Files", "LIMS")

    def __init__(
        self,
        source: History,
        bridge: GuiBridge,
        parent: QObject | None = None,
        lims_lookup: LimsLookup | None = None,
    ) -> None:
        super().__init__(parent)
        self.source = source
        #: asks the LIMS where a collection's records are (None: no LIMS, the column is empty)
        self.lims_lookup = lims_lookup
        #: the answers by (directory, prefix, run), until :meth:`lims_changed`
        self._lims_cache: dict[tuple[str, str, int], tuple[str, str]] = {}
        #: when the entries asked about ended (None: not yet), for :meth:`lims_pending`
        self._lims_finished: dict[tuple[str, str, int], float | None] = {}
        self._entries: list[HistoryEntry] = []  # oldest first; row r shows [-1 - r]
        self._baseline = -1
        self._follower = Follower(source, ("entryAdded", "historyReset"), bridge, self._apply)
        self._load_snapshot()

    def close(self) -> None:
        """Stop following the history."""
        self._follower.close()

    def sync(self) -> None:
        """Apply the recorded changes now."""
        self._follower.drain()

    def entry(self, row: int) -> HistoryEntry:
        """The entry shown in ``row`` (row 0 is the newest)."""
        return self._entries[len(self._entries) - 1 - row]

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry, column = self.entry(index.row()), index.column()
        if role == Qt.DisplayRole:
            if column == TIME:
                return when(entry.finished or entry.started)
            if column == SAMPLE:
                return entry.sample
            if column == TASK:
                return f"{entry.type} {entry.name}"
            if column == STATUS:
                return status_label(entry.status)
            if column == MESSAGE:
                return entry.message
            if column == LIMS:
                return LIMS_TEXT.get(self.lims_state(entry)[0], "")
            return files_text(entry)
        if role == Qt.DecorationRole and column == STATUS:
            return status_icon(entry.status)
        if role == Qt.ForegroundRole and column == STATUS:
            return status_colour(entry.status)
        if role == Qt.ForegroundRole and column == LIMS:
            colour = LIMS_COLOURS.get(self.lims_state(entry)[0])
            return QColor(colour) if colour else None
        if role == Qt.ToolTipRole:
            return self._tooltip(entry, column)
        return None

    def _tooltip(self, entry: HistoryEntry, column: int) -> str:
        if column == FILES and entry.files:
            names = list(entry.files[:TOOLTIP_FILES])
            if len(entry.files) > TOOLTIP_FILES:
                names.append(f"... and {len(entry.files) - TOOLTIP_FILES} more")
            return "\n".join(names)
        if column == TIME:
            started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.started or 0))
            took = (
                f", took {entry.finished - entry.started:.1f} s"
                if entry.started and entry.finished
                else ""
            )
            return f"started {started}{took}"
        if column == TASK:
            return f"node {entry.node_id}: {entry.summary}\n{entry.directory}"
        if column == LIMS:
            return lims_tooltip(*self.lims_state(entry))
        return entry.message or ""

    # the LIMS column ------------------------------------------------------------------------
    def lims_state(self, entry: HistoryEntry) -> tuple[str, str]:
        """Where ``entry``'s collection is in the LIMS (asked once, then kept until
        :meth:`lims_changed`); ``("", "")`` for an entry that wrote no run."""
        if self.lims_lookup is None or entry.run_number is None or not entry.prefix:
            return "", ""
        key = (entry.directory, entry.prefix, entry.run_number)
        found = self._lims_cache.get(key)
        if found is None:
            found = self._lims_cache[key] = self.lims_lookup(*key)
            self._lims_finished[key] = entry.finished
        return found

    def lims_pending(self) -> bool:
        """Whether a row shown may still change in the LIMS: waiting, or not recorded yet
        while its entry ended less than :data:`LIMS_RECORD_GRACE` seconds ago (an entry
        run before the login, or an energy scan, has no record for ever)."""
        recent = time.time() - LIMS_RECORD_GRACE
        for key, (state, _reason) in self._lims_cache.items():
            if state == "waiting":
                return True
            if state == "":
                finished = self._lims_finished.get(key)
                if finished is None or finished > recent:
                    return True
        return False

    def lims_changed(self) -> None:
        """The LIMS stored or failed something: ask again for the rows shown."""
        self._lims_cache.clear()
        self._lims_finished.clear()
        if self._entries:
            self.dataChanged.emit(self.index(0, LIMS), self.index(len(self._entries) - 1, LIMS))

    # following the history ------------------------------------------------------------------
    def _load_snapshot(self) -> None:
        self._entries, self._baseline = self.source.snapshot()

    def _apply(self, events: list[Event]) -> None:
        added: list[HistoryEntry] = []
        for version, signal, args in events:
            if version <= self._baseline:
                continue
            if signal == "historyReset":
                added = []
                self.beginResetModel()
                self._load_snapshot()
                self.endResetModel()
            else:
                added.append(args[0])
        if added:  # newest first: the new entries go on top, in one insert
            self.beginInsertRows(QModelIndex(), 0, len(added) - 1)
            self._entries.extend(added)
            self.endInsertRows()
