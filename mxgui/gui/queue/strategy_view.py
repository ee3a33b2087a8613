"""The strategy a characterisation proposes, as a table, and "Add this collection".

:class:`StrategyView` shows one queue node (:meth:`StrategyView.show_node`): for a
characterisation that has run, one row per proposed sweep (start, oscillation, number
of images, exposure, transmission, resolution), the rule's reasons and warnings below,
and a button that adds the proposed DataCollections right after the characterisation
through the queue engine's ``accept_strategy`` (in a worker thread: the model saves
the queue to disk). The button is disabled, with the reason beside it, when there is
nothing to add or it was added already; ``collectionAdded(node_id)`` reports the new
node. The view follows the node's changes (its results arrive at the end of its run).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from PyQt5.QtCore import QAbstractTableModel, QModelIndex, Qt, pyqtSignal
from PyQt5.QtGui import QResizeEvent
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mxgui.core.errors import Refused
from mxgui.core.queue.nodes import QueueNode, thaw
from mxgui.core.roles import QueueRole
from mxgui.core.words import counted
from mxgui.gui.bridge import GuiBridge, Subscription
from mxgui.gui.item_models import NamedColumns

log = logging.getLogger(__name__)

CHARACTERISATION = "Characterisation"
#: (parameter, column title, format) of each column; short titles, so that the six
#: columns fit the parameters brick at 1280x800
SWEEP_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("osc_start", "Start (°)", "{:g}"),
    ("osc_range", "Osc. (°)", "{:g}"),
    ("num_images", "Images", "{:d}"),
    ("exp_time", "Exp. (s)", "{:g}"),
    ("transmission", "Trans. (%)", "{:g}"),
    ("resolution", "Res. (Å)", "{:.2f}"),
)


class StrategyModel(NamedColumns, QAbstractTableModel):
    """The proposed sweeps, one row each (``Qt.UserRole``: the plain value)."""

    COLUMNS: ClassVar[tuple[str, ...]] = tuple(title for _k, title, _f in SWEEP_COLUMNS)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sweeps: list[dict[str, Any]] = []

    def set_sweeps(self, sweeps: Sequence[Mapping[str, Any]]) -> None:
        """Show ``sweeps`` (each a strategy's parameters)."""
        self.beginResetModel()
        self._sweeps = [dict(s) for s in sweeps]
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._sweeps)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        key, _title, form = SWEEP_COLUMNS[index.column()]
        value = self._sweeps[index.row()].get(key)
        if role == Qt.UserRole:
            return value
        if role == Qt.DisplayRole:
            if value is None:
                return ""
            return form.format(int(value) if form == "{:d}" else float(value))
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


class StrategyView(QWidget):
    """A characterisation's proposed strategy and "Add this collection" (see the module).

    ``queue_hw`` is the beamline's queue (its ``model`` and ``engine``).
    """

    collectionAdded = pyqtSignal(int)  # noqa: N815 - Qt signal name

    def __init__(self, queue_hw: QueueRole, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue = queue_hw
        self.bridge = GuiBridge(self)
        self._node_id: int | None = None
        self._adding = False
        self._problem = ""
        self.title = QLabel("No characterisation selected")
        self.title.setWordWrap(True)
        self.sweeps = StrategyModel(self)
        self.table = QTableView()
        self.table.setModel(self.sweeps)
        self.table.setSelectionMode(QAbstractItemView.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        self.notes.setTextFormat(Qt.PlainText)
        self.notes.setMinimumWidth(1)  # wraps to the view's width, never wider
        self.notes.setAlignment(Qt.AlignLeft | Qt.AlignTop)
        self.add_button = QPushButton("Add this collection")
        self.add_button.setToolTip("Add the proposed data collection after the characterisation")
        self.add_button.clicked.connect(self.add_collection)
        self.reason = QLabel()
        self.reason.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.reason, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table)
        layout.addWidget(self.notes)
        layout.addLayout(buttons)
        layout.addStretch(1)
        model = queue_hw.model
        self._subscriptions: list[Subscription] = [
            self.bridge.connect(model, "nodeChanged", self._on_node_changed),
            self.bridge.connect(model, "nodeRemoved", self._on_structure_changed),
            self.bridge.connect(model, "modelReset", self._on_structure_changed),
        ]
        self.show_node(None)

    # what is shown --------------------------------------------------------------------------
    def node_id(self) -> int | None:
        """The node shown, or ``None``."""
        return self._node_id

    def show_node(self, node_id: int | None) -> None:
        """Show the strategy of node ``node_id`` (nothing to add for another type)."""
        if node_id != self._node_id:
            self._problem = ""
        self._node_id = node_id
        self.refresh()

    def refresh(self) -> None:
        """Read the node again and show it."""
        node = self._node()
        results = thaw(node.results) if node is not None else {}
        strategy = results.get("strategy") if node is not None else None
        if node is None:
            self.title.setText("No characterisation selected")
        elif node.type != CHARACTERISATION:
            self.title.setText(f"{node.describe()}: not a characterisation, no strategy")
        else:
            self.title.setText(f"Strategy proposed by {node.describe()}")
        self.sweeps.set_sweeps(_sweeps(results) if isinstance(strategy, Mapping) else [])
        count = self.sweeps.rowCount()
        self.add_button.setText(
            f"Add these {count} collections" if count > 1 else "Add this collection"
        )
        self._fit_table()
        self.notes.setText(_notes(results) if node is not None else "")
        self._fit_notes()
        self.notes.setToolTip(str(results.get("rule", "")))
        why_not = self._why_not(node, results)
        self.add_button.setEnabled(not why_not)
        self.reason.setText(self._problem or why_not)

    def _fit_table(self) -> None:
        """As tall as its rows (at least one), so the notes stay next to them; with room
        for the horizontal scroll bar when the columns are wider than the view (else
        the bar hides the row)."""
        table = self.table
        rows = max(self.sweeps.rowCount(), 1)
        height = table.horizontalHeader().sizeHint().height() + 2 * table.frameWidth()
        height += rows * table.verticalHeader().defaultSectionSize()
        if table.horizontalHeader().length() > table.width() - 2 * table.frameWidth():
            height += table.horizontalScrollBar().sizeHint().height()
        table.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_table()  # the scroll bar comes and goes with the width
        self._fit_notes()

    def _fit_notes(self) -> None:
        """As tall as the wrapped notes at the label's width (never squeezed: the
        brick's scroll area scrolls instead)."""
        notes = self.notes
        notes.setMinimumHeight(notes.heightForWidth(notes.width()) if notes.text() else 0)

    def _node(self) -> QueueNode | None:
        if self._node_id is None:
            return None
        try:
            return self.queue.model.get_node(self._node_id)
        except (KeyError, ValueError):
            return None

    def _why_not(self, node: QueueNode | None, results: Mapping[str, Any]) -> str:
        """Why the button is disabled ("" when it is not)."""
        if node is None:
            return "Select a characterisation that has run."
        if node.type != CHARACTERISATION:
            return "Only a characterisation proposes a collection."
        if self._adding:
            return "Adding the collection…"
        if not node.has_run:
            return "The characterisation has not run yet."
        if not results.get("strategy"):
            return "No strategy: the reference images showed no diffraction."
        added = [n for n in results.get("accepted", ()) if self._exists(n)]
        if added:
            return f"Added already: {_nodes(added)} (delete them to add the strategy again)."
        if self.queue.engine is None:
            return "No queue engine: this mxgui cannot add tasks from results."
        return ""

    def _exists(self, node_id: object) -> bool:
        if not isinstance(node_id, int):
            return False
        try:
            self.queue.model.get_node(node_id)
        except (KeyError, ValueError):
            return False
        return True

    # adding --------------------------------------------------------------------------------
    def add_collection(self) -> None:
        """Add the proposed collection (in a worker thread); ``collectionAdded`` then."""
        node_id, engine = self._node_id, self.queue.engine
        if node_id is None or engine is None or self._adding:
            return
        self._adding, self._problem = True, ""
        self.refresh()

        model = self.queue.model

        def work() -> None:
            try:
                before = len(model.get_node(node_id).results.get("accepted", ()))
                engine.accept_strategy(node_id)
                added = list(model.get_node(node_id).results.get("accepted", ()))[before:]
            except (Refused, ValueError, KeyError, RuntimeError) as exc:  # refusals: said
                self.bridge.post(self._added, node_id, [], str(exc))
            except Exception as exc:  # noqa: BLE001 - the button must not stay "Adding…"
                log.exception("the strategy of node %s was not added", node_id)
                self.bridge.post(self._added, node_id, [], f"{type(exc).__name__}: {exc}")
            else:
                self.bridge.post(self._added, node_id, added, "")

        threading.Thread(target=work, name="accept strategy", daemon=True).start()

    def _added(self, node_id: int, added: list[int], problem: str) -> None:
        self._adding = False
        self._problem = f"Not added: {problem}" if problem else ""
        self.refresh()
        if added:
            self.reason.setText(f"Added as {_nodes(added)}, right after the characterisation.")
        for new_id in added:
            self.collectionAdded.emit(new_id)

    # the model's signals -----------------------------------------------------------------------
    def _on_node_changed(self, node_id: int, _fields: tuple[str, ...]) -> None:
        if node_id == self._node_id:
            self.refresh()

    def _on_structure_changed(self, *_args: object) -> None:
        if self._node_id is not None:
            self.refresh()

    def cleanup(self) -> None:
        """Stop following the queue (call before the view is dropped)."""
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions = []


def _sweeps(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every proposed sweep (``strategy_sweeps``; the ``strategy`` alone before them)."""
    sweeps = results.get("strategy_sweeps")
    if isinstance(sweeps, (list, tuple)) and sweeps:
        return [s for s in sweeps if isinstance(s, Mapping)]
    return [results["strategy"]]


def _nodes(ids: Sequence[int]) -> str:
    """``node 3`` or ``nodes 3, 4``."""
    word = counted(len(ids), "node").split(" ", 1)[1]
    return f"{word} {', '.join(str(n) for n in ids)}"


def _notes(results: Mapping[str, Any]) -> str:
    """The rule's reasons, then its warnings, one per line."""
    lines = [f"• {r}" for r in results.get("strategy_reasons", ())]
    lines += [f"⚠ {w}" for w in results.get("strategy_warnings", ())]
    return "\n".join(lines)
