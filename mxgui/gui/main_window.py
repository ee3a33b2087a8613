"""Top-level windows: the main window with menus and status bar, and extra windows."""

from __future__ import annotations

from collections.abc import Callable

from PyQt5.QtCore import pyqtSignal
from PyQt5.QtGui import QCloseEvent
from PyQt5.QtWidgets import QApplication, QMainWindow, QMessageBox, QWidget

from mxgui import __version__
from mxgui.gui.settings import layout_key, user_settings


class LayoutWindow(QMainWindow):
    """A window of a layout; remembers its geometry per layout file and window name."""

    windowClosed = pyqtSignal()

    def __init__(
        self,
        title: str,
        content: QWidget,
        layout_path: str,
        window_name: str,
        size: tuple[int, int] | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle(title)
        self.setCentralWidget(content)
        self.setObjectName(window_name)
        self._settings_key = layout_key(layout_path, window_name)
        if size:
            self.resize(*size)
        self.restore_geometry()

    def restore_geometry(self) -> None:
        settings = user_settings()
        geometry = settings.value(f"{self._settings_key}/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)

    def save_geometry(self) -> None:
        settings = user_settings()
        settings.setValue(f"{self._settings_key}/geometry", self.saveGeometry())
        settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        self.save_geometry()
        self.windowClosed.emit()
        super().closeEvent(event)


class MainWindow(LayoutWindow):
    """The first window of the layout: menus and the status bar; closing it quits.

    ``close_guard``, when set, is asked first (Ctrl+Q, File > Quit, the close button):
    it returns False to keep the window open (``mxgui.gui.quit_guard``).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.close_guard: Callable[[], bool] | None = None
        file_menu = self.menuBar().addMenu("&File")
        quit_action = file_menu.addAction("&Quit")
        quit_action.setShortcut("Ctrl+Q")
        quit_action.triggered.connect(self.close)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About mxgui").triggered.connect(self._about)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About mxgui",
            f"mxgui {__version__}\nControl GUI for macromolecular crystallography beamlines.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt name
        if self.close_guard is not None and not self.close_guard():
            event.ignore()
            return
        super().closeEvent(event)
        if QApplication.instance() is not None:
            QApplication.closeAllWindows()
