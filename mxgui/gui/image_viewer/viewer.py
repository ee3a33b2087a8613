"""The diffraction image viewer widget: a frame read off the GUI thread (latest request
wins), shown with rings, the file, frame and geometry above it, the cursor's pixel below.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from mxgui.gui.image_viewer.follow import ImageRef
from mxgui.gui.image_viewer.loader import LatestLoader
from mxgui.gui.image_viewer.reading import Frame, read_frame
from mxgui.gui.image_viewer.view import DiffractionView
from mxgui.gui.widgets import MessageLine

log = logging.getLogger(__name__)

#: a followed stream of images (a collection) is shown at most this often, ms: what a
#: user can read, and the GUI stays responsive while a detector writes 100 images/s
FOLLOW_INTERVAL_MS = 250


#: a request to the reader: its number (in the order asked) and the image
Numbered = tuple[int, ImageRef]


def _read(request: Numbered) -> Frame:
    _number, ref = request
    return read_frame(ref.path, ref.frame)


class ImageViewer(QWidget):
    """Shows diffraction frames asked for with :meth:`show_image`.

    An image asked for with :meth:`show_image` makes the results of earlier requests
    stale: they are dropped. A stream followed with :meth:`follow_image` shows each
    result that comes, so that it moves on even when images come faster than they are
    read.

    Signals: ``frameShown(path, frame)`` once a frame is set in the view (it is painted
    at the next repaint: ``view.painted``); ``problemShown(text)`` when one could not
    be read (the message names the file; the frame shown before stays).
    """

    frameShown = pyqtSignal(str, int)
    problemShown = pyqtSignal(str)
    _resultReady = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loader: LatestLoader[Numbered, Frame] = LatestLoader(
            _read, self._resultReady.emit, name="image viewer reader"
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
        self.frame_spin.editingFinished.connect(self._frame_chosen)
        self.geometry_label = QLabel("")
        self.geometry_label.setWordWrap(True)
        self.cursor_label = QLabel(" ")
        self.message = MessageLine()
        self.view.cursorMoved.connect(self.cursor_label.setText)
        #: the newest image of a followed stream, asked for when the interval is over
        self._followed: ImageRef | None = None
        self._follow_timer = QTimer(self)
        self._follow_timer.setSingleShot(True)
        self._follow_timer.setInterval(FOLLOW_INTERVAL_MS)
        self._follow_timer.timeout.connect(self._follow_due)
        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(self.frame_spin)
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

    def _ask(self, ref: ImageRef) -> int:
        self._asked += 1
        self.wanted = ref
        self.loader.request((self._asked, ref))
        return self._asked

    def follow_image(self, path: str, frame: int = 0, why: str = "") -> None:
        """Show the newest image of a stream (a running collection): as
        :meth:`show_image`, at most once per :data:`FOLLOW_INTERVAL_MS`, always ending
        with the newest."""
        self._followed = ImageRef(str(path), int(frame), why)
        if not self._follow_timer.isActive():
            self._follow_due()

    def _follow_due(self) -> None:
        ref, self._followed = self._followed, None
        if ref is not None:
            self._ask(ref)
            self._follow_timer.start()

    def _frame_chosen(self) -> None:
        current = self.frame
        if current is not None and self.frame_spin.value() - 1 != current.index:
            self.show_image(current.path, self.frame_spin.value() - 1, "chosen")

    def _take_result(self) -> None:
        taken = self.loader.take()
        if taken is None:
            return
        (number, ref), frame, problem = taken
        if number < self._stale_below:  # read before the user asked for another image
            self.stale += 1
            return
        if frame is None:
            log.warning("image viewer: %s", problem)
            self.message.show_problem(problem)
            self.problemShown.emit(problem)
            return
        self.view.set_frame(frame)
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
        low, high = frame.levels
        self.message.show_message(
            (f"{ref.why}: " if ref.why else "") + f"contrast {low:g} .. {high:g}{masked}"
        )
        self.frameShown.emit(frame.path, frame.index)

    def dispose(self) -> None:
        """Stop the reader thread (when the viewer goes away)."""
        self._follow_timer.stop()
        self.loader.close()
