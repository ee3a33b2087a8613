"""The current data collection: files, image n / N, progress, times, state; Stop."""

from __future__ import annotations

import logging
import time
from typing import Any

from PyQt5.QtCore import QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.abstract.collect import STOPPED_BY_USER, AbstractCollect
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.widgets import ProgressLine

log = logging.getLogger(__name__)

#: colours of the state label
STATE_COLOURS = {
    "idle": "#e0e0e0",
    "running": "#fff176",
    "finished": "#81c784",
    "stopped": "#ffb74d",
    "failed": "#e57373",
}
FAILURE_STYLE = "color: #c62828; font-weight: bold;"


def format_duration(seconds: float | None) -> str:
    """``h:mm:ss`` (or ``m:ss``) of a duration; ``-`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "-"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class CollectionProgressBrick(Brick):
    """Shows the collection in progress: file template, image n / N, a progress bar,
    elapsed and remaining time, the last file written and the state; a failure shows
    its reason in red. Stop ends the collection between two images.

    Signals of the hardware object update a small model; the labels are redrawn by a
    timer (``refresh_ms``) while a collection runs, so thousands of images per second
    cost a few redraws per second.
    """

    PROPERTIES = (
        p.hardware_object("collect", "", "the collect object, e.g. /collect", AbstractCollect),
        p.integer("refresh_ms", 100, "redraw period while collecting, ms", minimum=20),
    )
    collectionEnded = pyqtSignal(bool)
    SIGNALS = ("collectionEnded",)
    SLOTS = ("stop_collection",)

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.collect: AbstractCollect | None = None
        self._info: dict[str, Any] | None = None
        self._taken = 0
        self._started_at: float | None = None  # monotonic
        self._ended_at: float | None = None
        self._state = "idle"
        self._reason = ""
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._refresh)

        self.state_label = QLabel("Idle")
        self.state_label.setMinimumWidth(90)
        self.template_label = QLabel("-")
        self.template_label.setWordWrap(True)
        self.images_label = QLabel("-")
        self.progress = ProgressLine()
        self.progress.setFormat("%p %")
        self.elapsed_label = QLabel("-")
        self.remaining_label = QLabel("-")
        self.last_file_label = QLabel("-")
        self.last_file_label.setWordWrap(True)
        self.reason_label = QLabel("")
        self.reason_label.setWordWrap(True)
        self.reason_label.setStyleSheet(FAILURE_STYLE)
        self.reason_label.hide()
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self.stop_collection)

        form = QFormLayout()
        form.addRow("Files:", self.template_label)
        form.addRow("Image:", self.images_label)
        form.addRow("Elapsed:", self.elapsed_label)
        form.addRow("Remaining:", self.remaining_label)
        form.addRow("Last file:", self.last_file_label)
        top = QHBoxLayout()
        top.addWidget(self.state_label)
        top.addWidget(self.progress, 1)
        top.addWidget(self.stop_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addLayout(top)
        column.addLayout(form)
        column.addWidget(self.reason_label)
        self._show()

    # properties ----------------------------------------------------------------------------------
    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "collect":
            self._set_collect(self.hardware_object("collect", AbstractCollect))
        elif name == "refresh_ms":
            self._timer.setInterval(int(new_value))

    def _set_collect(self, collect: AbstractCollect | None) -> None:
        self.collect = collect
        if collect is None:
            return
        for signal, slot in (
            ("collectStarted", self._on_started),
            ("collectImageTaken", self._on_image),
            ("collectOscillationFinished", self._on_finished),
            ("collectOscillationFailed", self._on_failed),
            ("collectEnded", self._on_ended),
        ):
            self.bind(collect, signal, slot, scope="collect")
        info = collect.get_collection_info()
        if info is not None:  # a collection running (or done) before the brick was made
            self._take_info(info)
            if collect.is_collecting():
                self._set_running()
        self._show()

    # hardware -> model (GUI thread) --------------------------------------------------------------
    def _take_info(self, info: dict[str, Any]) -> None:
        self._info = info
        self._taken = int(info.get("images_taken", 0))
        self._state = info.get("state", "running")
        self._reason = info.get("reason", "")
        elapsed = float(info.get("elapsed", 0.0))
        now = time.monotonic()
        self._started_at = now - elapsed
        self._ended_at = None if self._state == "running" else now

    def _set_running(self) -> None:
        self.stop_button.setEnabled(True)
        self._timer.start()

    def _on_started(self, info: dict[str, Any]) -> None:
        self._take_info(info)
        self._state, self._reason = "running", ""
        self._started_at, self._ended_at = time.monotonic(), None
        self._set_running()
        self._show()

    def _on_image(self, count: int) -> None:
        self._taken = int(count)  # shown at the next timer tick

    def _on_finished(self, info: dict[str, Any]) -> None:
        self._info = info
        self._taken = int(info.get("images_taken", self._taken))
        self._state = "finished"

    def _on_failed(self, reason: str) -> None:
        self._reason = str(reason)
        self._state = "stopped" if reason == STOPPED_BY_USER else "failed"

    def _on_ended(self, success: bool) -> None:
        self._ended_at = time.monotonic()
        self._timer.stop()
        self.stop_button.setEnabled(False)
        self._show()
        self.collectionEnded.emit(bool(success))

    # model -> display ----------------------------------------------------------------------------
    def _refresh(self) -> None:
        self._show()

    def _show(self) -> None:
        info = self._info
        self.state_label.setText(self._state.capitalize())
        self.state_label.setStyleSheet(
            f"background-color: {STATE_COLOURS.get(self._state, '#e0e0e0')}; padding: 2px;"
        )
        self.reason_label.setText(self._reason)
        self.reason_label.setVisible(bool(self._reason) and self._state != "finished")
        if info is None:
            return
        total = max(int(info.get("num_images", 0)), 0)
        self.template_label.setText(str(info.get("template", "-")))
        self.images_label.setText(f"{self._taken} / {total}")
        self.progress.set_fraction(self._taken / total if total else 0.0)
        elapsed = self._elapsed()
        self.elapsed_label.setText(format_duration(elapsed))
        self.remaining_label.setText(format_duration(self._remaining(elapsed, total)))
        self.last_file_label.setText(self._last_file(info) or "-")

    def _elapsed(self) -> float | None:
        if self._started_at is None:
            return None
        end = self._ended_at if self._ended_at is not None else time.monotonic()
        return end - self._started_at

    def _remaining(self, elapsed: float | None, total: int) -> float | None:
        if self._state != "running":
            return 0.0 if self._state == "finished" else None
        if not self._taken or elapsed is None:
            exp_time = float((self._info or {}).get("parameters", {}).get("exp_time", 0.0))
            return exp_time * total if exp_time else None
        return elapsed / self._taken * (total - self._taken)

    def _last_file(self, info: dict[str, Any]) -> str:
        files = info.get("files") or []
        if files and self._state != "running":
            return str(files[-1])
        if not self._taken:
            return ""
        path = info.get("path", {})
        if path.get("suffix") == "h5":
            return f"{info.get('template', '')} (image {self._taken}, written at the end)"
        number = int(info.get("first_image", 1)) + self._taken - 1
        try:
            return str(info.get("template", "")) % number
        except (TypeError, ValueError):
            return ""

    # user -> hardware ----------------------------------------------------------------------------
    def stop_collection(self) -> None:
        """Stop the running collection."""
        if self.collect is not None and self.collect.is_collecting():
            log.info("%s: collection stopped by the user", self.name)
            self.collect.stop_collect()

    def cleanup(self) -> None:
        self._timer.stop()
        super().cleanup()
