"""The camera's frames into the view, and a banner when they stop coming."""

from __future__ import annotations

import logging

from PyQt5.QtCore import QObject, pyqtSignal
from PyQt5.QtWidgets import QLabel

from hardware_objects.abstract.sample_camera import AbstractSampleCamera
from mxgui.gui.sample_view.view import SampleGraphicsView
from mxgui.gui.sample_view.watchdog import FrameWatchdog

log = logging.getLogger(__name__)

BANNER_STYLE = "QLabel { background-color: #c62828; color: white; padding: 3px; }"


class CameraFeed(QObject):
    """Connects a sample camera to the view's hand-over, starts and stops streaming,
    and shows :attr:`banner` over the image while no frames arrive.

    Frames go from the camera's thread straight to the hand-over, never through the
    GUI bridge: a queued delivery per frame would build the very backlog the hand-over
    prevents. ``messagePosted(text)`` when streaming cannot start.
    """

    messagePosted = pyqtSignal(str)

    def __init__(self, view: SampleGraphicsView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.camera: AbstractSampleCamera | None = None
        self.watchdog = FrameWatchdog(view.handover, parent=self)
        self.watchdog.framesStalled.connect(self._stalled)
        self.watchdog.framesRecovered.connect(self._recovered)
        #: over the image, at its top left: showing it moves nothing
        self.banner = QLabel(view)
        self.banner.setStyleSheet(BANNER_STYLE)
        self.banner.move(8, 8)
        self.banner.setVisible(False)
        self.closed = False

    def set_camera(self, camera: AbstractSampleCamera | None, streaming: bool) -> None:
        """Show ``camera``'s frames (``None``: no camera); start it now if ``streaming``."""
        self.stop()
        self.camera = camera
        if camera is None:
            return
        self.view.set_image_size(camera.get_width(), camera.get_height())
        camera.connect("imageReceived", self.view.handover.offer)
        if streaming:
            self.start()

    def start(self) -> None:
        """Ask the camera to stream and watch for frames."""
        if self.camera is None or self.closed:
            return
        try:
            self.camera.start_streaming()
        except Exception as exc:  # a camera that cannot start must not stop the GUI
            self.messagePosted.emit(f"The camera could not start streaming: {exc}")
        self.watchdog.expect_frames()

    def stop(self) -> None:
        """Stop watching, disconnect and stop the camera."""
        self.watchdog.stop()
        self.banner.setVisible(False)
        if self.camera is not None:
            self.camera.disconnect("imageReceived", self.view.handover.offer)
            self.camera.stop_streaming()

    def close(self) -> None:
        """The view is going: stop for good."""
        self.stop()
        self.camera = None
        self.closed = True

    def _stalled(self, text: str) -> None:
        self.banner.setText(text[0].upper() + text[1:])
        self.banner.adjustSize()
        self.banner.setVisible(True)
        log.warning("sample view: %s", text)

    def _recovered(self) -> None:
        self.banner.setVisible(False)
        log.info("sample view: camera frames are back")
