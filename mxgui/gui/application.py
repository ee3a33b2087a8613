"""Start the GUI: Qt application, hardware repository, layout, windows."""

from __future__ import annotations

import logging
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, runtime_checkable

from PyQt5.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PyQt5.QtWidgets import QApplication, QPlainTextEdit, QWidget

from hardware_objects.abstract.lims import AbstractLims
from hardware_objects.beamline import Beamline
from hardware_objects.queue import QueueHardwareObject
from mxgui.core.errors import ConfigError
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.log_repeats import fold_repeats, unfold_repeats
from mxgui.core.repository import HardwareRepository
from mxgui.gui.brick import BrickContext
from mxgui.gui.bridge import GuiBridge
from mxgui.gui.builder import BuiltLayout, BuiltWindow, build_layout
from mxgui.gui.command_line import console_handlers
from mxgui.gui.layout import Layout, LayoutError, WindowNode, load_layout
from mxgui.gui.lims.status_button import LimsStatusButton
from mxgui.gui.log_handler import GuiLogHandler
from mxgui.gui.main_window import LayoutWindow, MainWindow
from mxgui.gui.queue.start_prompt import QueueStartPrompt
from mxgui.gui.quit_guard import QuitGuard
from mxgui.gui.status_bar import StatusBar
from mxgui.gui.workflow_dialog import DialogHandler

log = logging.getLogger("mxgui")


@runtime_checkable
class HandlerHost(Protocol):
    """Where the application installs its ``open_dialog`` handler (the part of
    :class:`~mxgui.core.roles.XMLRPCServerRole` it uses)."""

    def set_handler(self, name: str, handler: Callable[..., Future[Any]] | None) -> None: ...


class _FirstPaint(QObject):
    """Reports the first paint of a window (start-up time), once."""

    def __init__(self, started: float, quit_after: bool) -> None:
        super().__init__()
        self.started = started
        self.quit_after = quit_after
        self.done = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if not self.done and event.type() == QEvent.Paint:
            self.done = True
            now = time.time()
            log.info("main window shown %.2f s after start", now - self.started)
            if self.quit_after:
                print(f"MXGUI_FIRST_PAINT {now:.6f}", flush=True)
                QTimer.singleShot(0, QCoreApplication.quit)
        return False


def _error_view(error: ConfigError) -> QWidget:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setPlainText(
        f"The layout could not be loaded:\n\n{error}\n\n"
        "Fix the file and restart mxgui (mxgui --check lists every problem)."
    )
    return view


class MxguiApplication:
    """One running mxgui: the objects it owns and their order of start and stop."""

    def __init__(
        self,
        repository_dirs: list[Path],
        layout_path: Path,
        xmlrpc_port: int | None = None,
        started: float | None = None,
        quit_on_signals: bool = False,
    ) -> None:
        self.started = started if started is not None else time.time()
        self.repository_dirs = repository_dirs
        self.layout_path = layout_path
        self.xmlrpc_port = xmlrpc_port
        existing = QApplication.instance()
        self.qapp = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
        self.qapp.setApplicationName("mxgui")
        self.qapp.setOrganizationName("mxgui")
        #: SIGINT / SIGTERM came: :meth:`run` stops (cleanly) as soon as it can
        self.quit_requested = False
        self._looping = False
        if quit_on_signals:  # before the hardware (the XML-RPC server) starts
            self._quit_on_signals()
        self.bridge = GuiBridge()
        self.log_handler = GuiLogHandler(self.bridge)
        logging.getLogger().addHandler(self.log_handler)
        #: the handlers whose repeated warnings and errors are folded, and the filter
        self._folded = [self.log_handler, *console_handlers()]
        self.repeats = fold_repeats(self._folded)
        self.repository = HardwareRepository(repository_dirs)
        self.context = BrickContext(self.repository, self.bridge, self.log_handler)
        self.built: BuiltLayout | None = None
        self.windows: list[LayoutWindow] = []
        self.status_bar: StatusBar | None = None
        #: the question about a queue left by a crash, or the bad-file message
        self.queue_prompt: QueueStartPrompt | None = None
        #: shows the XML-RPC server's open_dialog forms (None: no server)
        self.dialog_handler: DialogHandler | None = None
        #: the server the dialog handler is installed on
        self._dialog_server: HandlerHost | None = None
        #: asks before the main window closes while the queue runs
        self.quit_guard: QuitGuard | None = None
        #: the LIMS field of the status bar (None: the beamline has no lims role)
        self.lims_status: LimsStatusButton | None = None

    def start(self) -> MainWindow:
        """Load the layout and show its windows; problems are logged, never fatal."""
        for directory in self.repository_dirs:
            if not directory.is_dir():
                log.error("hardware repository %s is not a directory", directory)
        log.info(
            "hardware repository %s, layout %s",
            ", ".join(map(str, self.repository_dirs)),
            self.layout_path,
        )
        if self.repository.beamline is None:
            log.error(
                "the beamline object could not be loaded: %s",
                self.repository.failures.get("/beamline"),
            )
        queue = self._queue()
        if queue is not None:  # before the bricks show its file's state
            queue.use_file()
        try:
            layout = load_layout(self.layout_path)
        except LayoutError as exc:
            layout = Layout(
                str(self.layout_path), windows=[WindowNode("main", "mxgui: layout error")]
            )
            self.built = BuiltLayout(layout)
            self.built.windows.append(BuiltWindow(layout.windows[0], _error_view(exc)))
            self.built.errors.append(exc)
        else:
            self.built = build_layout(layout, self.context)
        for error in self.built.errors:
            log.error("%s", error)
        if (
            self.xmlrpc_port is not None
            and self.repository.beamline is not None
            and self._role("xmlrpc_server") is None
        ):
            log.warning("--xmlrpc-port given but the beamline has no xmlrpc_server role")
        main: MainWindow | None = None
        for built in self.built.windows:
            node = built.node
            args = (node.title, built.content, str(self.layout_path), node.name, node.size)
            if main is None:
                main = MainWindow(*args)
                self.windows.append(main)
            else:
                self.windows.append(LayoutWindow(*args))
        assert main is not None  # a built layout has a window (the error view at least)
        self.quit_guard = QuitGuard(self._queue(), self.bridge, main)
        main.close_guard = self.quit_guard.allow_close
        self.status_bar = StatusBar(self.repository, self.log_handler, main)
        main.setStatusBar(self.status_bar)
        for window, built in zip(self.windows, self.built.windows):
            if built.node.show or window is main:
                window.show()
        self.lims_status = self._show_lims(self.status_bar)
        self.queue_prompt = self._ask_about_queue(main)
        self.dialog_handler = self._answer_dialogs(main)
        loaded, failed = len(self.repository.loaded()), len(self.repository.failures)
        log.info(
            "%d hardware objects loaded, %d failed; %d bricks",
            loaded,
            failed,
            len(self.built.bricks),
        )
        return main

    def _role(self, name: str) -> HardwareObject | None:
        """The beamline's object of role ``name``, or ``None`` (no beamline, no such role)."""
        beamline = self.repository.beamline
        return beamline.role(name) if isinstance(beamline, Beamline) else None

    def _queue(self) -> QueueHardwareObject | None:
        """The beamline's queue object, or ``None`` (no beamline, no queue role, or an
        object that is no queue hardware object)."""
        queue = self._role("queue")
        return queue if isinstance(queue, QueueHardwareObject) else None

    def _show_lims(self, status_bar: StatusBar) -> LimsStatusButton | None:
        """The LIMS field in the status bar, and the login dialog when nobody is logged
        in and the lims object asks for a login at start."""
        lims = self._role("lims")
        if lims is None:
            return None
        if not isinstance(lims, AbstractLims):
            log.error("%r is not a LIMS object: no login", lims)
            return None
        button = LimsStatusButton(lims, self.bridge, status_bar)
        status_bar.addPermanentWidget(button)
        if lims.get_login() is None and lims.login_at_start():
            button.show_login()
        return button

    def _ask_about_queue(self, main: MainWindow) -> QueueStartPrompt | None:
        """Ask whether to keep a queue restored after a crash, or say why the queue
        file was set aside (see :class:`QueueStartPrompt`)."""
        queue = self._queue()
        if queue is None:
            return None
        prompt = QueueStartPrompt(queue, main)
        prompt.show()
        return prompt

    def _answer_dialogs(self, main: MainWindow) -> DialogHandler | None:
        """Show the workflows' ``open_dialog`` forms, if the beamline has an XML-RPC server."""
        found = self._role("xmlrpc_server")
        if found is None:
            return None
        if not isinstance(found, HandlerHost):
            log.error("%r has no set_handler: workflow dialogs cannot be shown", found)
            return None
        handler = DialogHandler(main)
        found.set_handler("open_dialog", handler)
        self._dialog_server = found
        return handler

    def stop(self) -> None:
        """Save settings, end subscriptions, shut the hardware down."""
        if self.dialog_handler is not None:  # a workflow waiting for an answer gets None
            if self._dialog_server is not None:
                self._dialog_server.set_handler("open_dialog", None)
            self.dialog_handler.close_all()
        if self.lims_status is not None:
            self.lims_status.cleanup()
        if self.status_bar is not None:
            self.status_bar.cleanup()
        if self.built is not None:
            self.built.cleanup()
        for window in self.windows:
            window.save_geometry()
        self.repository.shutdown()
        logging.getLogger().removeHandler(self.log_handler)
        unfold_repeats(self.repeats, self._folded)

    def _quit_on_signals(self) -> None:
        """Quit cleanly (settings saved, hardware stopped, the queue file's marker
        removed) on SIGINT and SIGTERM, from the moment this is called: a signal
        during the start lets the start finish, then :meth:`run` stops at once.

        Python runs signal handlers only when it gets control, so a timer lets it in
        regularly while Qt's event loop runs (see :meth:`run`).
        """

        def request_quit(signum: int, _frame: FrameType | None) -> None:
            log.info("signal %s received: quitting", signal.Signals(signum).name)
            if self.quit_guard is not None:  # no question: the shutdown stops the queue
                self.quit_guard.release()
            self.quit_requested = True
            if not self._looping:
                return  # mid-start: run() stops once the start has finished
            self.qapp.closeAllWindows()
            self.qapp.quit()
            QTimer.singleShot(0, self.qapp.quit)  # the loop may be about to begin

        signal.signal(signal.SIGINT, request_quit)
        signal.signal(signal.SIGTERM, request_quit)

    def run(self, quit_after_paint: bool = False) -> int:
        """Start, run the Qt event loop, stop; the exit code of the event loop (0 when
        a signal asked to quit before it began)."""
        wake = QTimer()
        wake.setInterval(200)  # lets Python's signal handlers in
        wake.timeout.connect(lambda: None)
        try:
            if self.quit_requested:
                return 0
            main = self.start()
            first_paint = _FirstPaint(self.started, quit_after_paint)
            main.installEventFilter(first_paint)
            wake.start()
            self._looping = True
            if self.quit_requested:
                return 0
            return self.qapp.exec_()
        finally:
            self._looping = False
            wake.stop()
            self.stop()
            log.info("mxgui stopped")
