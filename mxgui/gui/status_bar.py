"""The main window's status bar: last log message and hardware health."""

from __future__ import annotations

import logging

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QLabel, QSizePolicy, QStatusBar, QWidget

from mxgui.core.repository import HardwareRepository
from mxgui.gui.log_handler import GuiLogHandler, LogEntry

LEVEL_COLOURS = {logging.WARNING: "#a65b00", logging.ERROR: "#b71c1c", logging.CRITICAL: "#b71c1c"}
#: the most characters of a message's first line the status bar shows
SHOWN_CHARS = 300
HARDWARE_PERIOD_MS = 1000


class StatusBar(QStatusBar):
    """Shows the latest message at INFO or above (coloured by level) and a summary of
    the hardware objects (loaded, not answering, failed), whose tooltip lists every
    failed or silent object with its reason. The summary is looked at again every
    :data:`HARDWARE_PERIOD_MS`: a device that stops or starts answering shows there."""

    def __init__(
        self,
        repository: HardwareRepository,
        log_handler: GuiLogHandler | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._repository = repository
        self._log_handler = log_handler
        self.message_label = QLabel()
        # a long message is clipped; it must not widen the window to its length
        self.message_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.hardware_label = QLabel()
        self.addWidget(self.message_label, 1)
        self.addPermanentWidget(self.hardware_label)
        self._fade = QTimer(self)
        self._fade.setSingleShot(True)
        self._fade.setInterval(15000)
        self._fade.timeout.connect(self._fade_message)
        self._hardware_timer = QTimer(self)
        self._hardware_timer.setInterval(HARDWARE_PERIOD_MS)
        self._hardware_timer.timeout.connect(self.refresh_hardware)
        self._hardware_timer.start()
        if log_handler is not None:
            log_handler.add_listener(self._on_log)
        self.refresh_hardware()

    def _on_log(self, entries: list[LogEntry]) -> None:
        shown = [e for e in entries if e.level >= logging.INFO]
        if not shown:
            return
        entry = (
            max(shown[-20:], key=lambda e: e.level)
            if any(e.level >= logging.WARNING for e in shown[-20:])
            else shown[-1]
        )
        first = entry.message.splitlines()[0] if entry.message else ""
        self.message_label.setText(
            first if len(first) <= SHOWN_CHARS else first[: SHOWN_CHARS - 1] + "…"
        )
        self.message_label.setToolTip(entry.message)
        colour = LEVEL_COLOURS.get(entry.level)
        self.message_label.setStyleSheet(f"color: {colour}; font-weight: bold;" if colour else "")
        self._fade.start()
        if entry.level >= logging.ERROR:
            self.refresh_hardware()

    def refresh_hardware(self) -> None:
        """Update the hardware summary from the repository."""
        loaded = self._repository.loaded()
        failures = self._repository.failures
        silent = {
            name: reason for name, obj in loaded.items() if (reason := obj.unavailable_reason())
        }
        parts = [f"{len(loaded) - len(silent)} OK"]
        if silent:
            parts.append(f"{len(silent)} not answering")
        if failures:
            parts.append(f"{len(failures)} failed")
        self.hardware_label.setText("Hardware: " + ", ".join(parts))
        if failures or silent:
            self.hardware_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
            lines = [f"{n}: {e}" for n, e in failures.items()]
            lines += [f"{n}: {reason}" for n, reason in silent.items()]
            self.hardware_label.setToolTip("\n".join(lines))
        else:
            self.hardware_label.setStyleSheet("")
            self.hardware_label.setToolTip("every hardware object loaded and answering")

    def _fade_message(self) -> None:
        self.message_label.setStyleSheet("")

    def cleanup(self) -> None:
        self._hardware_timer.stop()
        self._fade.stop()  # a timer firing after the window is gone touches a dead label
        if self._log_handler is not None:
            self._log_handler.remove_listener(self._on_log)
