"""The executed queue entries: time, sample, task, status, message, files, and where
each collection is in the LIMS."""

from __future__ import annotations

from PyQt5.QtCore import QModelIndex, Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QAbstractItemView,
    QAction,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.abstract.lims import AbstractLims
from hardware_objects.queue import QueueHardwareObject
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.image_viewer.follow import first_image_file
from mxgui.gui.queue.history_model import (
    FILES,
    LIMS,
    MESSAGE,
    SAMPLE,
    STATUS,
    TASK,
    TIME,
    HistoryTableModel,
)

#: how often rows still waiting for the LIMS are asked again
LIMS_REFRESH_MS = 2000


class QueueHistoryBrick(Brick):
    """The history of the queue (newest first), a Qt table over the queue's
    ``History``: one row per executed entry, added as entries end. The files of an
    entry are in its tooltip; "Copy directory" copies where the selected entry wrote.
    With a ``lims`` object, the LIMS column says whether each collection is stored in
    the LIMS, waiting in the outbox, or refused (the reason in its tooltip).
    A double-click on a collection's row, or "Open in image viewer" in its context
    menu, emits ``imageRequested(path)`` with its first image.
    """

    PROPERTIES = (
        p.hardware_object("queue", "/queue", "the queue", QueueHardwareObject),
        p.hardware_object("lims", "", "the LIMS (empty: no LIMS column)", AbstractLims),
    )
    imageRequested = pyqtSignal(str)
    SIGNALS = ("imageRequested",)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.table: HistoryTableModel | None = None
        self.view = QTableView()
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(20)
        self.view.setWordWrap(False)
        self.view.setAlternatingRowColors(True)
        self.open_action = QAction("Open in image viewer", self.view)
        self.open_action.triggered.connect(lambda: self.open_in_viewer())
        self.view.addAction(self.open_action)
        self.view.setContextMenuPolicy(Qt.ActionsContextMenu)
        self.view.doubleClicked.connect(lambda index: self.open_in_viewer(index))
        self.copy_button = QToolButton()
        self.copy_button.setText("Copy directory")
        self.copy_button.setToolTip("copy the directory of the selected entry")
        self.copy_button.clicked.connect(self.copy_directory)
        self.count_label = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(self.copy_button)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.view)
        column.addLayout(bar)
        self._count_timer = QTimer(self)
        self._count_timer.setSingleShot(True)
        self._count_timer.setInterval(0)
        self._count_timer.timeout.connect(self._update_count)
        #: asks the LIMS again while a row shown is waiting (the outbox's status may end
        #: where it was before: no signal then)
        self._lims_timer = QTimer(self)
        self._lims_timer.setInterval(LIMS_REFRESH_MS)
        self._lims_timer.timeout.connect(self._refresh_lims)

    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "lims":
            self._follow_lims()
            return
        if name != "queue":
            return
        if self.table is not None:
            self.table.close()
            self.table = None
        queue = self.hardware_object("queue", QueueHardwareObject)
        if queue is None:
            return
        self.table = HistoryTableModel(queue.history, self.context.bridge, self)
        self.view.setModel(self.table)
        self._follow_lims()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.Interactive)  # never per-row measuring
        header.setSectionResizeMode(MESSAGE, QHeaderView.Stretch)
        # shown beside the status (the model keeps it last, so older columns keep their index)
        header.moveSection(header.visualIndex(LIMS), header.visualIndex(STATUS) + 1)
        metrics = self.view.fontMetrics()
        for column, sample in (
            (TIME, "00:00:00"),
            (SAMPLE, "5:16 lysozyme-E16"),
            (TASK, "DataCollection lysozyme-E16_12"),
            (STATUS, "success  "),
            (FILES, "1800 files: lyso_1_00001.cbf"),
            (LIMS, "waiting"),
        ):
            self.view.setColumnWidth(column, metrics.horizontalAdvance(sample) + 32)
        for signal in (self.table.rowsInserted, self.table.modelReset):
            signal.connect(self._count_timer.start)
        self.view.selectionModel().selectionChanged.connect(self._update_count)
        self._update_count()

    def _follow_lims(self) -> None:
        """Show the ``lims`` object's records in the LIMS column, and follow its status."""
        self.unbind("lims")
        lims = self.hardware_object("lims", AbstractLims)
        if self.table is None:
            return
        self.table.lims_lookup = lims.record_status if lims is not None else None
        self.view.setColumnHidden(LIMS, lims is None)
        if lims is not None:
            self.bind(lims, "limsStatusChanged", self._lims_changed, scope="lims")
            self._lims_timer.start()
        else:
            self._lims_timer.stop()
        self.table.lims_changed()

    def _lims_changed(self, *_args: object) -> None:
        if self.table is not None:
            self.table.lims_changed()

    def _refresh_lims(self) -> None:
        if self.table is not None and self.table.lims_pending():
            self.table.lims_changed()

    def cleanup(self) -> None:
        self._lims_timer.stop()
        if self.table is not None:
            self.table.close()
        super().cleanup()

    def selected_row(self) -> int | None:
        rows = self.view.selectionModel().selectedRows() if self.table is not None else []
        return rows[0].row() if rows else None

    def copy_directory(self) -> None:
        """Put the selected entry's directory on the clipboard."""
        row = self.selected_row()
        if row is not None and self.table is not None:
            QApplication.clipboard().setText(self.table.entry(row).directory)

    def _update_count(self, *_args: object) -> None:
        count = self.table.rowCount() if self.table is not None else 0
        self.count_label.setText(f"{count} executed entr{'ies' if count != 1 else 'y'}")
        self.copy_button.setEnabled(self.selected_row() is not None)
        self.open_action.setEnabled(bool(self.image_of_row(self.selected_row())))

    def image_of_row(self, row: int | None) -> str:
        """The first image written by the entry of ``row`` (``""`` for none)."""
        if row is None or self.table is None:
            return ""
        return first_image_file(self.table.entry(row).files)

    def open_in_viewer(self, index: QModelIndex | None = None) -> None:
        """Ask the image viewer to show the first image of the entry at ``index`` (the
        selected one by default)."""
        row = index.row() if index is not None and index.isValid() else self.selected_row()
        image = self.image_of_row(row)
        if image:
            self.imageRequested.emit(image)
