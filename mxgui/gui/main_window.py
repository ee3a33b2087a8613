"""Top-level windows: the main window with menus and status bar, and extra windows."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PyQt5.QtCore import QByteArray, QDataStream, QIODevice, QRect, Qt, pyqtSignal
from PyQt5.QtGui import QCloseEvent, QGuiApplication, QShowEvent
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


def fitted_sizes(saved: list[int], defaults: list[int], extent: int) -> list[int]:
    """Splitter sizes saved in a larger window (their sum is over ``extent``) made to
    fit ``extent``: each child keeps at least the smaller of its saved size and its
    share of ``extent`` by the layout's ``defaults`` (a pane the user made narrow stays
    narrow, one made wide still gets what the layout gives it here); the rest is shared
    in the saved proportions. Sizes that fit are returned as they are."""
    if sum(saved) <= extent or not saved or extent <= 0:
        return list(saved)
    if len(defaults) != len(saved) or sum(defaults) <= 0:
        defaults = [1] * len(saved)
    shares = [extent * d / sum(defaults) for d in defaults]
    floors = [min(s, share) for s, share in zip(saved, shares)]
    room = extent - sum(floors)
    excess = [s - f for s, f in zip(saved, floors)]
    weights = excess if sum(excess) > 0 else floors
    sizes = [f + room * w / (sum(weights) or 1) for f, w in zip(floors, weights)]
    rounded = [int(size) for size in sizes]
    rounded[-1] += extent - sum(rounded)  # what rounding lost goes to the last child
    return rounded


#: the first number of a QSplitter's saved state (Qt's SplitterMagic)
SPLITTER_MAGIC = 0xFF


def saved_sizes(state: QByteArray) -> list[int] | None:
    """The children's sizes in a ``QSplitter.saveState()`` (``None`` if it is not one).
    ``QSplitter.sizes()`` after ``restoreState`` on a splitter not shown yet gives them
    already shrunk to its provisional size, hence read from the state itself."""
    stream = QDataStream(state, QIODevice.ReadOnly)
    if stream.readInt32() != SPLITTER_MAGIC or stream.readInt32() not in (0, 1):
        return None
    count = stream.readInt32()
    if not 0 <= count <= 1000:
        return None
    sizes = [stream.readInt32() for _ in range(count)]
    return sizes if stream.status() == QDataStream.Ok else None


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
        #: splitters restored from the settings, their saved and the layout's sizes:
        #: fitted to this window at its first show (:meth:`fit_restored_splitters`)
        self._restored: list[tuple[QSplitter, list[int], list[int]]] = []
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
            if state is None:
                continue
            defaults = splitter.sizes()  # the layout's
            if not splitter.restoreState(state):
                log.warning(
                    "%s: the saved sizes of splitter %s are not usable", self._settings_key, key
                )
                continue
            sizes = saved_sizes(QByteArray(state))
            if sizes is not None and len(sizes) == len(defaults):
                self._restored.append((splitter, sizes, defaults))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        self.fit_restored_splitters()

    def fit_restored_splitters(self) -> None:
        """Once, when the window first shows at its size: restored splitter sizes saved
        in a larger window are fitted (:func:`fitted_sizes`). Qt would shrink them all
        in proportion, squeezing a narrow pane's content (the Queue tab's buttons cut)."""
        restored, self._restored = self._restored, []
        for splitter, saved, defaults in restored:  # outer first: an inner one's extent follows
            horizontal = splitter.orientation() == Qt.Horizontal
            length = splitter.width() if horizontal else splitter.height()
            if sum(saved) <= length:  # saved at this size or a smaller one (with the handles)
                continue
            # laid out by now: its children share the sum of their sizes
            fitted = fitted_sizes(saved, defaults, sum(splitter.sizes()))
            if fitted != saved:
                splitter.setSizes(fitted)

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
