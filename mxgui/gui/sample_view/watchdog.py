"""Notices when the camera stops delivering frames, and when they come back."""

from __future__ import annotations

import time

from PyQt5.QtCore import QObject, QTimer, pyqtSignal

from mxgui.gui.sample_view.frame_handover import FrameHandover

#: how often the watchdog looks, milliseconds
CHECK_INTERVAL_MS = 500


class FrameWatchdog(QObject):
    """Says ``framesStalled(text)`` once when no frame has arrived for ``timeout`` seconds
    while the camera should stream, and ``framesRecovered()`` once frames arrive again.

    :meth:`expect_frames` starts watching (the camera was asked to stream) and
    :meth:`stop` ends it. The text names the wall-clock time of the last frame
    ("no camera frames since 14:03:12").
    """

    framesStalled = pyqtSignal(str)
    framesRecovered = pyqtSignal()

    def __init__(self, handover: FrameHandover, timeout: float = 2.0, parent=None) -> None:
        super().__init__(parent)
        self.handover = handover
        self.timeout = timeout
        self.stalled = False
        self._since: float | None = None
        self._since_wall = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_INTERVAL_MS)
        self._timer.timeout.connect(self.check)

    def expect_frames(self) -> None:
        """Frames should now arrive: watch."""
        self._since, self._since_wall = time.monotonic(), time.time()
        if not self._timer.isActive():
            self._timer.start()

    def stop(self) -> None:
        """Stop watching (the camera was stopped on purpose, or the view closes)."""
        self._timer.stop()
        self._since = None

    def check(self) -> None:
        """Compare the time of the newest frame with now (the timer calls this)."""
        if self._since is None:
            return
        last = self.handover.last_received
        newest = max(last, self._since) if last is not None else self._since
        silent = time.monotonic() - newest
        if silent > self.timeout and not self.stalled:
            self.stalled = True
            if last is not None and last >= self._since:
                wall = self.handover.last_received_wall or self._since_wall
                text = f"no camera frames since {time.strftime('%H:%M:%S', time.localtime(wall))}"
            else:
                started = time.strftime("%H:%M:%S", time.localtime(self._since_wall))
                text = f"no camera frames since {started} (none received yet)"
            self.framesStalled.emit(text)
        elif silent <= self.timeout and self.stalled:
            self.stalled = False
            self.framesRecovered.emit()
