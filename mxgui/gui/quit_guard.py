"""Ask before quitting while the queue runs; on yes, stop it at a safe point, save it, quit.

Ctrl+Q, File > Quit and the window's close button all close the main window. While
the queue engine runs (a collection, a mesh, a workflow...), the close is refused and
a window-modal question is opened with ``open()`` (the event loop goes on, the
collection too). "No" leaves everything as it was. "Yes" asks the engine to stop:
the running entry ends at its next safe point (a collection after the image being
taken, keeping the complete files written), the queue file is written with the final
statuses, and the main window is closed again, which quits. The GUI thread never
waits: the end of the run arrives as the engine's ``executionFinished`` signal,
delivered on the GUI thread by the bridge.
"""

from __future__ import annotations

import logging

from PyQt5.QtWidgets import QMainWindow, QMessageBox

from hardware_objects.queue import QueueHardwareObject
from mxgui.core.roles import QueueEngineRole
from mxgui.gui.bridge import GuiBridge, Subscription

log = logging.getLogger(__name__)

STOPPING_MESSAGE = "Stopping the queue at a safe point; mxgui quits once it has stopped."


class QuitGuard:
    """Decides whether the main window may close now (see the module docstring).

    Parameters
    ----------
    queue
        The queue hardware object (its ``model``, ``engine`` and ``save_now()``), or
        ``None``.
    bridge
        Delivers the engine's ``executionFinished`` on the GUI thread.
    window
        The main window: the question's parent, closed again once the queue stopped.

    Attributes
    ----------
    dialog
        The question while it is open (``None`` before the first question).
    stopping
        True from the user's "Yes" until the queue has stopped.
    released
        True once the window may close (the queue stopped and was saved, or the
        application quits on a signal).
    """

    def __init__(
        self, queue: QueueHardwareObject | None, bridge: GuiBridge, window: QMainWindow
    ) -> None:
        self.queue = queue
        self.bridge = bridge
        self.window = window
        self.dialog: QMessageBox | None = None
        self.stopping = False
        self.released = False
        self._finished: Subscription | None = None

    def _engine(self) -> QueueEngineRole | None:
        return self.queue.engine if self.queue is not None else None

    def allow_close(self) -> bool:
        """True when the window may close now; otherwise ask (or say that the queue is
        stopping) and return False."""
        engine = self._engine()
        if self.released or engine is None or not engine.is_running():
            return True
        if self.stopping:
            self._say(STOPPING_MESSAGE)
        elif self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
        else:
            self._ask(engine)
        return False

    def release(self) -> None:
        """Let the window close without asking (the application quits on a signal: the
        hardware's shutdown stops the queue)."""
        self.released = True

    def _ask(self, engine: QueueEngineRole) -> None:
        running = "The queue is running"
        current = engine.current_node()
        model = self.queue.model if self.queue is not None else None
        if current is not None and model is not None and current in model:
            running += f": {model.get_node(current).describe()}"
        self.dialog = QMessageBox(
            QMessageBox.Question,
            "Quit while the queue runs?",
            f"{running}. Quit mxgui?",
            QMessageBox.Yes | QMessageBox.No,
            self.window,
        )
        self.dialog.setObjectName("quit_while_running_question")
        self.dialog.setInformativeText(
            "Yes: the queue stops at a safe point (a collection after the image being "
            "taken; the images written are kept), the queue is saved, then mxgui quits.\n"
            "No: the queue goes on."
        )
        self.dialog.setDefaultButton(QMessageBox.No)
        self.dialog.setEscapeButton(QMessageBox.No)
        dialog = self.dialog
        dialog.finished.connect(lambda _result: self._answered(dialog))
        dialog.open()

    def _answered(self, dialog: QMessageBox) -> None:
        if dialog.clickedButton() is not dialog.button(QMessageBox.Yes):
            log.info("quit cancelled: the queue goes on")
            return
        engine = self._engine()
        if engine is None or not engine.is_running():
            self._stopped("ended")  # it ended while the question was open
            return
        self.stopping = True
        log.info("quit while the queue runs: stopping it at a safe point")
        self._say(STOPPING_MESSAGE)
        self._finished = self.bridge.connect(engine, "executionFinished", self._stopped)
        engine.stop()
        if not engine.is_running():  # it ended before the subscription: nothing will come
            self.bridge.post(self._stopped, "stopped")

    def _stopped(self, status: str) -> None:
        if self.released:
            return
        if self._finished is not None:
            self._finished.cancel()
            self._finished = None
        self.stopping = False
        self.released = True  # asked once: a second Ctrl+Q quits whatever happens
        problem = self.queue.save_now() if self.queue is not None else ""
        if problem:
            self._say("")
            self.dialog = QMessageBox(
                QMessageBox.Warning,
                "Queue not saved",
                f"The queue stopped ({status}) but could not be saved: {problem}",
                QMessageBox.Ok,
                self.window,
            )
            self.dialog.setObjectName("queue_not_saved")
            self.dialog.setInformativeText(
                "mxgui stays open: export the queue elsewhere, or quit again to leave "
                "without saving it."
            )
            self.dialog.open()
            return
        log.info("queue run ended (%s) and the queue is saved: quitting", status)
        self.window.close()

    def _say(self, text: str) -> None:
        status_bar = self.window.statusBar()
        if status_bar is not None:
            status_bar.showMessage(text)
