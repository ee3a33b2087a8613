"""The queue's dialogs: confirm a run, pick samples from the sample changer.

Both are opened with ``open()`` (window-modal, never a nested event loop), so a test
or a remote user can answer them like any other window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from PyQt5.QtCore import Qt
from PyQt5.QtGui import QColor
from PyQt5.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mxgui.core.lims.catalogue import lims_label

if TYPE_CHECKING:
    from mxgui.core.lims.queries import LimsSample

#: collisions listed in the confirmation dialog (the count is always given)
MAX_LISTED = 200
PROBLEM_STYLE = "color: #b71c1c;"


def human_bytes(count: float) -> str:
    """``"1.2 GB"``: decimal units, as disks are sold."""
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(count) < 1000 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000.0
    return f"{count:.1f} TB"  # not reached


def human_duration(seconds: float) -> str:
    """``"1 h 05 min"``, ``"4 min 10 s"`` or ``"12 s"``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def centring_text(samples: Iterable[Mapping[str, Any]]) -> str:
    """One line per sample the run mounts: ``"s1-01: centring 3 clicks"`` (the
    ``samples`` of ``mxgui.core.queue.summary.summarise``)."""
    return "\n".join(f"{s['name']}: centring {s['centring']}" for s in samples)


def skipped_text(skipped: Iterable[Mapping[str, Any]]) -> str:
    """One line per sample the run leaves out: ``"s1-03: skipped: no enabled task"``."""
    return "\n".join(f"{s['name']}: skipped: {s['reason']}" for s in skipped)


class RunConfirmDialog(QDialog):
    """What a run will do (``mxgui.core.queue.summary.summarise``), before it starts.

    ``renumber`` is true when the user wants the tasks whose run number is already used
    to get free ones before the run (checked by default when there are collisions).
    """

    def __init__(
        self,
        what: str,
        summary: Mapping[str, Any],
        free_bytes: float | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setWindowTitle("Run the queue?")
        self.setObjectName("run_confirmation")
        column = QVBoxLayout(self)
        tasks = summary["tasks"]
        heading = QLabel(f"<b>{what}</b>: {tasks} task{'s' * (tasks != 1)} will run.")
        column.addWidget(heading)
        figures = QFormLayout()
        self.images_label = QLabel(f"{summary['images']:,}")
        time_text = "about " + human_duration(summary["estimated_time_s"])
        if summary["unknown_time"]:
            time_text += f" (+ {len(summary['unknown_time'])} of unknown duration)"
        self.time_label = QLabel(time_text)
        disk_text = human_bytes(summary["disk_bytes"])
        self.disk_label = QLabel(disk_text)
        if free_bytes is not None:
            self.disk_label.setText(f"{disk_text} of {human_bytes(free_bytes)} free")
            if summary["disk_bytes"] > free_bytes:
                self.disk_label.setStyleSheet(PROBLEM_STYLE)
                self.disk_label.setText(
                    f"{disk_text}: more than the {human_bytes(free_bytes)} free"
                )
        figures.addRow("Images", self.images_label)
        figures.addRow("Estimated time", self.time_label)
        figures.addRow("Disk space", self.disk_label)
        if summary["already_run"]:
            figures.addRow("Left out", QLabel(f"{len(summary['already_run'])} tasks have run"))
        # parented: they die with the dialog even when not laid out
        self.centring_label = QLabel(centring_text(summary.get("samples", [])), self)
        self.centring_label.setWordWrap(True)
        if self.centring_label.text():
            figures.addRow("Samples", self.centring_label)
        self.skipped_label = QLabel(skipped_text(summary.get("skipped_samples", [])), self)
        self.skipped_label.setWordWrap(True)
        if self.skipped_label.text():
            figures.addRow("Not mounted", self.skipped_label)
        column.addLayout(figures)
        for directory, reason in summary["unreadable_directories"].items():
            unreadable = QLabel(f"cannot read {directory}: {reason}")
            unreadable.setStyleSheet(PROBLEM_STYLE)
            column.addWidget(unreadable)
        collisions = summary["collisions"]
        # children even when not laid out (no collisions): they die with the dialog
        self.collisions = QListWidget(self)
        self.renumber_box = QCheckBox("Give these tasks free run numbers first", self)
        if collisions:
            count = QLabel(f"{len(collisions)} run-number collisions (no file is overwritten):")
            count.setStyleSheet(PROBLEM_STYLE)
            column.addWidget(count)
            for collision in collisions[:MAX_LISTED]:
                self.collisions.addItem(collision["message"])
            if len(collisions) > MAX_LISTED:
                self.collisions.addItem(f"... and {len(collisions) - MAX_LISTED} more")
            self.collisions.setMaximumHeight(120)
            column.addWidget(self.collisions)
            self.renumber_box.setChecked(True)
            column.addWidget(self.renumber_box)
        else:
            self.collisions.hide()
            self.renumber_box.hide()
        buttons = QDialogButtonBox()
        self.run_button = buttons.addButton("Run", QDialogButtonBox.AcceptRole)
        self.cancel_button = buttons.addButton(QDialogButtonBox.Cancel)
        self.run_button.setDefault(True)
        if not tasks:
            self.run_button.setEnabled(False)
            self.run_button.setToolTip("nothing to run: every task has run or is disabled")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)

    @property
    def renumber(self) -> bool:
        """True to give the colliding tasks free run numbers before the run."""
        return bool(self.summary["collisions"]) and self.renumber_box.isChecked()

    def colliding_ids(self) -> list[int]:
        """The tasks whose run number is already used."""
        return list(dict.fromkeys(c["node_id"] for c in self.summary["collisions"]))


class SamplesDialog(QDialog):
    """The sample changer's samples, to tick the ones to add to the queue.

    Parameters
    ----------
    pucks
        The sample changer's contents (``Puck`` snapshots).
    queued
        Addresses already in the queue (shown, not selectable).
    lims
        The LIMS samples of the logged-in proposal by address: their names are shown
        (with the blSampleId), and a pin the LIMS fills but the sample changer found
        empty is listed, not selectable.
    mismatches
        Where the LIMS and the sample changer disagree (address -> why): shown in red.
    """

    def __init__(
        self,
        pucks: Iterable[Any],
        queued: set[str],
        parent: QWidget | None = None,
        lims: Mapping[str, LimsSample] | None = None,
        mismatches: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add samples from the sample changer")
        self.setObjectName("samples_from_changer")
        column = QVBoxLayout(self)
        column.addWidget(QLabel("Tick the samples to add to the queue:"))
        self.list = QListWidget()
        lims, mismatches = lims or {}, mismatches or {}
        for puck in pucks:
            for sample in puck.samples:
                known = lims.get(sample.address)
                if sample.present is False and known is None:
                    continue
                if known is not None:
                    text = f"{sample.address} {lims_label(known)}  [LIMS {known.sample_id}]"
                else:
                    text = sample.describe()
                if sample.barcode:
                    text += f"  [{sample.barcode}]"
                item = QListWidgetItem(text)
                item.setData(Qt.UserRole, sample.address)
                problem = mismatches.get(sample.address)
                if problem:
                    item.setForeground(QColor("#b71c1c"))
                    item.setToolTip(problem)
                if sample.present is False:
                    item.setText(f"{text}  ({problem or 'the sample changer found it empty'})")
                    item.setFlags(Qt.NoItemFlags)
                elif sample.address in queued:
                    item.setText(text + "  (in the queue)")
                    item.setFlags(Qt.NoItemFlags)
                else:
                    item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsUserCheckable | Qt.ItemIsSelectable)
                    item.setCheckState(Qt.Unchecked)
                self.list.addItem(item)
        column.addWidget(self.list)
        buttons = QDialogButtonBox()
        self.all_button = QPushButton("Tick all")
        self.all_button.clicked.connect(lambda: self.tick_all(True))
        buttons.addButton(self.all_button, QDialogButtonBox.ActionRole)
        self.add_button = buttons.addButton("Add", QDialogButtonBox.AcceptRole)
        buttons.addButton(QDialogButtonBox.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)
        self.resize(420, 480)

    def items(self) -> list[QListWidgetItem]:
        return [
            item for row in range(self.list.count()) if (item := self.list.item(row)) is not None
        ]

    def tick(self, addresses: Iterable[str], ticked: bool = True) -> None:
        """Tick (or untick) the samples at ``addresses``."""
        wanted = set(addresses)
        for item in self.items():
            if item.data(Qt.UserRole) in wanted and item.flags() & Qt.ItemIsUserCheckable:
                item.setCheckState(Qt.Checked if ticked else Qt.Unchecked)

    def tick_all(self, ticked: bool) -> None:
        self.tick([item.data(Qt.UserRole) for item in self.items()], ticked)

    def ticked(self) -> list[str]:
        """The addresses ticked, in sample-changer order."""
        return [
            item.data(Qt.UserRole)
            for item in self.items()
            if item.flags() & Qt.ItemIsUserCheckable and item.checkState() == Qt.Checked
        ]
