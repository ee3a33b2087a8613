"""The diffraction image viewer widget: a frame read off the GUI thread (latest request
wins), shown with rings, the file, frame and geometry above it, the cursor's pixel below.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from mxgui.gui.image_viewer.follow import ImageRef
from mxgui.gui.image_viewer.loader import LatestLoader
from mxgui.gui.image_viewer.reading import Frame, read_frame
from mxgui.gui.image_viewer.view import DiffractionView
from mxgui.gui.widgets import MessageLine

log = logging.getLogger(__name__)

#: a followed stream of images (a collection) is shown at most this often, ms: what a
#: user can read, and the GUI stays responsive while a detector writes 100 images/s
FOLLOW_INTERVAL_MS = 250
#: ... stretched to this many times what showing a frame costs the GUI thread (setting
#: it, its render and paint: 5-15 ms for a 16M frame, reduced in the reader thread), so
#: that the GUI thread stays idle at least 3/4 of the time while following; at most
#: FOLLOW_INTERVAL_MAX_MS
FOLLOW_BUSY_SHARE = 4.0
FOLLOW_INTERVAL_MAX_MS = 1000
#: the frame box's arrows and Up/Down keys ask for the frame after this pause, ms (a key
#: held down asks once it is let go, or every pause)
FRAME_STEP_MS = 120
#: a followed image not on disk yet (the detector's writer lags behind the count) is
#: asked for again at the next interval, at most this many times
FOLLOW_RETRIES = 20


@dataclass(frozen=True)
class Numbered:
    """A request to the reader: its number (in the order asked), the image, whether it
    is a followed stream's and how many times it was asked for before."""

    number: int
    ref: ImageRef
    followed: bool = False
    retry: int = 0


def follow_interval(busy_ms: float) -> int:
    """The follow interval, ms, for frames that cost the GUI thread ``busy_ms`` each."""
    stretched = math.ceil(FOLLOW_BUSY_SHARE * busy_ms)
    return min(max(FOLLOW_INTERVAL_MS, stretched), FOLLOW_INTERVAL_MAX_MS)


def _read(request: Numbered) -> Frame:
    return read_frame(request.ref.path, request.ref.frame)


def _not_written_yet(problem: str) -> bool:
    """The problem of an image that a detector has not (fully) written yet."""
    return problem.endswith((": no such file",)) or ": empty file" in problem


class ImageViewer(QWidget):
    """Shows diffraction frames asked for with :meth:`show_image`.

    An image asked for with :meth:`show_image` makes the results of earlier requests
    stale: they are dropped. A stream followed with :meth:`follow_image` shows each
    result that comes, so that it moves on even when images come faster than they are
    read.

    Signals: ``frameShown(path, frame)`` once a frame is set in the view (it is painted
    at the next repaint: ``view.painted``); ``problemShown(text)`` when one could not
    be read (the message names the file; the frame shown before stays);
    ``frameChosen(path, frame)`` when the user picks a frame with the frame box.
    A followed image that is not on disk yet is asked for again (logged at DEBUG); a
    problem is logged as a WARNING once per text.
    """

    frameShown = pyqtSignal(str, int)
    problemShown = pyqtSignal(str)
    frameChosen = pyqtSignal(str, int)
    _resultReady = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader: LatestLoader[Numbered, Frame] = LatestLoader(
            _read, self._result_waits, name="image viewer reader"
        )
        self._resultReady.connect(self._take_result)  # queued: emitted by the reader
        #: what was asked for last
        self.wanted: ImageRef | None = None
        self._asked = 0  # requests numbered in order
        self._stale_below = 0  # results of requests numbered below: dropped
        #: results dropped as stale
        self.stale = 0
        self.view = DiffractionView()
        self.file_label = QLabel("No image: open one, or follow a collection")
        self.file_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.frame_spin = QSpinBox()
        self.frame_spin.setPrefix("frame ")
        self.frame_spin.setMinimum(1)
        self.frame_spin.setEnabled(False)
        self.frame_spin.setToolTip("the image in a file of several (HDF5)")
        self._frame_timer = QTimer(self)
        self._frame_timer.setSingleShot(True)
        self._frame_timer.setInterval(FRAME_STEP_MS)
        self._frame_timer.timeout.connect(self._frame_chosen)
        self.frame_spin.valueChanged.connect(self._frame_timer.start)  # arrows, keys, typing
        self.frame_spin.editingFinished.connect(self._frame_chosen)  # Return: at once
        #: the problems logged as a WARNING already (each once)
        self._warned: set[str] = set()
        self.auto_contrast_button = QPushButton("Auto contrast")
        self.auto_contrast_button.setToolTip(
            "forget the contrast set on the histogram: each image with its own default"
            " (0 .. the 99.5th percentile); a contrast you set is kept from image to image"
        )
        self.auto_contrast_button.clicked.connect(self.auto_contrast)
        self.geometry_label = QLabel("")
        self.geometry_label.setWordWrap(True)
        self.cursor_label = QLabel(" ")
        self.message = MessageLine()
        self.view.cursorMoved.connect(self.cursor_label.setText)
        self.view.painted.connect(self._painted)
        #: what the last frame cost the GUI thread, ms: set in the view, then painted
        self.busy_ms = 0.0
        self._set_ms = 0.0
        #: the newest image of a followed stream, asked for when the interval is over
        self._followed: ImageRef | None = None
        self._retry = 0  # how many times the followed image was asked for before
        self._follow_timer = QTimer(self)
        self._follow_timer.setSingleShot(True)
        self._follow_timer.setInterval(FOLLOW_INTERVAL_MS)
        self._follow_timer.timeout.connect(self._follow_due)
        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(self.frame_spin)
        top.addWidget(self.auto_contrast_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addLayout(top)
        column.addWidget(self.geometry_label)
        column.addWidget(self.view, 1)
        column.addWidget(self.cursor_label)
        column.addWidget(self.message)

    @property
    def frame(self) -> Frame | None:
        """The frame shown (``None`` before any)."""
        return self.view.frame

    def show_image(self, path: str, frame: int = 0, why: str = "") -> None:
        """Read frame ``frame`` (from 0) of image file ``path`` and show it; a newer
        request replaces this one if it is not read yet."""
        ref = ImageRef(str(path), int(frame), why)
        self._followed = None  # an image asked for ends the stream's pending one
        self._stale_below = self._ask(ref)

    def _ask(self, ref: ImageRef, followed: bool = False, retry: int = 0) -> int:
        self._asked += 1
        self.wanted = ref
        self.loader.request(Numbered(self._asked, ref, followed, retry))
        return self._asked

    def follow_image(self, path: str, frame: int = 0, why: str = "") -> None:
        """Show the newest image of a stream (a running collection): as
        :meth:`show_image`, at most once per :data:`FOLLOW_INTERVAL_MS`, always ending
        with the newest."""
        self._followed = ImageRef(str(path), int(frame), why)
        self._retry = 0
        if not self._follow_timer.isActive():
            self._follow_due()

    def _follow_due(self) -> None:
        ref, self._followed = self._followed, None
        if ref is not None:
            self._ask(ref, followed=True, retry=self._retry)
            self._follow_timer.start()

    def _frame_chosen(self) -> None:
        self._frame_timer.stop()
        current = self.frame
        if current is None or not self.frame_spin.isEnabled():
            return
        index = self.frame_spin.value() - 1
        wanted = self.wanted
        if wanted is not None and (wanted.path, wanted.frame) == (current.path, index):
            return  # asked for already (or shown: Return, or the focus leaving the box)
        self.show_image(current.path, index, "chosen")
        self.frameChosen.emit(current.path, index)

    def _result_waits(self) -> None:
        """(In the reader thread.) Hand over to the GUI thread, unless closed."""
        if self.loader.closed:
            return
        try:
            self._resultReady.emit()
        except RuntimeError:  # the widget was deleted while the last read ran
            log.debug("image viewer: a frame read after the viewer went away is dropped")

    def _take_result(self) -> None:
        taken = self.loader.take()
        if taken is None:
            return
        request, frame, problem = taken
        ref = request.ref
        if request.number < self._stale_below:  # read before the user asked for another
            self.stale += 1
            return
        if frame is None:
            self._show_problem(request, problem)
            return
        started = time.perf_counter()
        self.view.set_frame(frame)
        self._set_ms = (time.perf_counter() - started) * 1000.0
        self.file_label.setText(f"<b>{frame.name}</b> ({Path(frame.path).parent})")
        self.file_label.setToolTip(frame.path)
        self.frame_spin.blockSignals(True)
        self.frame_spin.setMaximum(max(frame.count, 1))
        self.frame_spin.setValue(frame.index + 1)
        self.frame_spin.blockSignals(False)
        self.frame_spin.setEnabled(frame.count > 1)
        if frame.geometry is not None:
            self.geometry_label.setText(frame.geometry.describe())
        else:
            self.geometry_label.setText(f"no rings: {frame.geometry_problem}")
        masked = f", {frame.masked} pixels masked (blue)" if frame.masked else ""
        self.message.show_message((f"{ref.why}: " if ref.why else "") + self._contrast() + masked)
        self.frameShown.emit(frame.path, frame.index)

    @property
    def follow_interval_ms(self) -> int:
        """How often a followed stream is shown now, ms (see :func:`follow_interval`)."""
        return self._follow_timer.interval()

    def _painted(self) -> None:
        if self._set_ms:  # the first paint of a new frame: what it cost in all
            self.busy_ms = self._set_ms + self.view.image.paint_ms
            self._set_ms = 0.0
            self._follow_timer.setInterval(follow_interval(self.busy_ms))

    def auto_contrast(self) -> None:
        """Each image with its own default contrast again (not the user's)."""
        self.view.auto_contrast()
        if self.frame is not None:
            self.message.show_message(self._contrast())

    def _contrast(self) -> str:
        low, high = self.view.levels_for(self.frame) if self.frame is not None else (0.0, 1.0)
        whose = "your contrast" if self.view.user_levels is not None else "contrast"
        return f"{whose} {low:g} .. {high:g}"

    def _show_problem(self, request: Numbered, problem: str) -> None:
        if request.followed and _not_written_yet(problem):
            # the detector's writer lags behind the count: not yet, ask again
            log.debug("image viewer: not written yet: %s", problem)
            if self._followed is None and request.retry < FOLLOW_RETRIES:
                self._followed, self._retry = request.ref, request.retry + 1
                if not self._follow_timer.isActive():
                    self._follow_timer.start()
                return
        if problem in self._warned:
            log.debug("image viewer: %s", problem)
        else:
            self._warned.add(problem)
            log.warning("image viewer: %s", problem)
        self.message.show_problem(problem)
        self.problemShown.emit(problem)

    def dispose(self) -> None:
        """Stop the reader thread (when the viewer goes away), without waiting for a
        read in progress."""
        self._follow_timer.stop()
        self._frame_timer.stop()
        self.loader.close(wait=False)
