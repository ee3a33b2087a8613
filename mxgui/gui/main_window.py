"""Top-level windows: the main window with menus and status bar, and extra windows."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PyQt5.QtCore import QRect, pyqtSignal
from PyQt5.QtGui import QCloseEvent, QGuiApplication
from PyQt5.QtWidgets import QApplication, QMainWindow, QMessageBox, QSplitter, QWidget

from mxgui import __version__
from mxgui.gui.builder import SPLITTER_KEY
from mxgui.gui.settings import layout_key, user_settings

log = logging.getLogger(__name__)

#: Qt's headless platform: its one fake screen (800x600) is no screen a user looks at
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal"})


def available_area() -> QRect | None:
    """The primary screen's area free of panels and docks (``None`` on a headless
    platform, or with no screen)."""
    if QGuiApplication.platformName() in HEADLESS_PLATFORMS:
        return None
    screen = QGuiApplication.primaryScreen()
    return None if screen is None else screen.availableGeometry()


def fit_size(size: tuple[int, int], area: QRect | None) -> tuple[int, int]:
    """``size`` made no larger than ``area`` (the layout's size on a smaller screen;
    a window frame takes a little more, hence the margin)."""
    if area is None:
        return size
    frame = 32  # title bar and borders the window manager adds
    return min(size[0], area.width()), min(size[1], max(area.height() - frame, 1))


class LayoutWindow(QMainWindow):
    """A window of a layout; remembers its geometry and its splitters' sizes per layout
    file and window name. Its size from the layout is fitted to ``screen_area`` (the
    screen's free area by default: :func:`available_area`)."""

    windowClosed = pyqtSignal()

    def __init__(
        self,
        title: str,
        content: QWidget,
        layout_path: str,
        window_name: str,
        size: tuple[int, int] | None = None,
        screen_area: QRect | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle(title)
        self.setCentralWidget(content)
        self.setObjectName(window_name)
        self._settings_key = layout_key(layout_path, window_name)
        self._screen_area = screen_area if screen_area is not None else available_area()
        if size:
            self.resize(*fit_size(size, self._screen_area))
        self.restore_geometry()

    def splitters(self) -> dict[str, QSplitter]:
        """The layout's splitters in this window, by their key (bricks' own splitters,
        which have no key, are not the layout's)."""
        found: dict[str, QSplitter] = {}
        for splitter in self.findChildren(QSplitter):
            key = splitter.property(SPLITTER_KEY)
            if isinstance(key, str) and key:
                found[key] = splitter
        return found

    def restore_geometry(self) -> None:
        """The geometry and the splitters' sizes saved at the last close, if any."""
        settings = user_settings()
        geometry = settings.value(f"{self._settings_key}/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
            if self._screen_area is not None:  # saved on a larger screen than this one
                self.resize(*fit_size((self.width(), self.height()), self._screen_area))
        for key, splitter in self.splitters().items():
            state = settings.value(f"{self._settings_key}/splitters/{key}")
            if state is not None and not splitter.restoreState(state):
                log.warning(
                    "%s: the saved sizes of splitter %s are not usable", self._settings_key, key
                )

    def save_geometry(self) -> None:
        """Remember the geometry and every splitter's sizes (at close and at the end)."""
        settings = user_settings()
        settings.setValue(f"{self._settings_key}/geometry", self.saveGeometry())
        for key, splitter in self.splitters().items():
            settings.setValue(f"{self._settings_key}/splitters/{key}", splitter.saveState())
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
