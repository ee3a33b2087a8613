"""One diffraction image in a silx plot, with a line saying which one, or why none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PyQt5.QtWidgets import QLabel, QVBoxLayout, QWidget
from silx.gui.colors import Colormap
from silx.gui.plot import Plot2D

from mxgui.gui.silx_docks import keep_docks_with
from mxgui.gui.silx_margins import keep_labels_whole
from mxgui.gui.widgets import MessageLine

FRAME = "frame"


class FrameView(QWidget):
    """A titled image plot: :meth:`show_frame` an image's counts, :meth:`show_problem`
    (missing or unreadable file: the message replaces the image), :meth:`clear`."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel(f"<b>{title}</b>")
        self.plot = Plot2D(self)
        keep_docks_with(self.plot)
        keep_labels_whole(self.plot, widest_tick="0000")
        self.plot.setKeepDataAspectRatio(True)
        self.plot.getXAxis().setLabel("x (pixels)")
        self.plot.getYAxis().setLabel("y (pixels)")
        self.plot.getYAxis().setInverted(True)  # as detector images are shown
        # diffraction images: weak spots on a low background; gaps (< 0) not coloured
        self.colormap = Colormap("gray", normalization="log")
        self.colormap.setVRange(1.0, None)
        self.plot.setDefaultColormap(self.colormap)
        self.plot.setMinimumSize(200, 200)
        self.message = MessageLine()
        #: the file shown (empty when none)
        self.path = ""
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.title)
        column.addWidget(self.plot, 1)
        column.addWidget(self.message)

    def show_frame(self, path: str, data: np.ndarray, text: str) -> None:
        """Show the counts ``data`` of image file ``path``, described by ``text``."""
        self.path = path
        shown = np.asarray(data, dtype=np.float32)
        shown = np.where(shown < 0, np.nan, shown)  # detector gaps: not coloured
        self.plot.addImage(shown, legend=FRAME, colormap=self.colormap, copy=False, resetzoom=True)
        self.plot.setGraphTitle(Path(path).name)
        self.message.show_message(text)

    def show_problem(self, text: str) -> None:
        """No image, and why."""
        self.path = ""
        self.plot.remove(FRAME, kind="image")
        self.plot.setGraphTitle("")
        self.message.show_problem(text)

    def show_waiting(self, text: str) -> None:
        """Say what is being loaded, keeping the image shown until it comes."""
        self.message.show_message(text)

    def clear(self, text: str = "") -> None:
        """No image, no problem."""
        self.path = ""
        self.plot.remove(FRAME, kind="image")
        self.plot.setGraphTitle("")
        self.message.show_message(text)

    def image(self) -> np.ndarray | None:
        """The counts shown (``None`` without an image)."""
        item = self.plot.getImage(FRAME)
        return None if item is None else item.getData(copy=False)
