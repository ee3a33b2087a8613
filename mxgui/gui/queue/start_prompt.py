"""At start: ask whether to keep a queue left by a crash; say why a queue file was set aside.

The queue hardware object has already restored its file when the window opens. If the
last mxgui using that file did not stop cleanly, the user is asked whether to keep the
restored queue or start with an empty one (the file is then kept aside). If the file
could not be used, the user is told where it was kept. The question is a window-modal
message box opened with ``open()``: the event loop keeps running while it waits.
"""

from __future__ import annotations

import logging

from PyQt5.QtWidgets import QMessageBox, QWidget

from hardware_objects.queue import QueueHardwareObject

log = logging.getLogger(__name__)


class QueueStartPrompt:
    """The start-up question or message of a queue hardware object (see the module).

    Attributes
    ----------
    dialog
        The message box shown, or ``None`` when there was nothing to say.
    answer
        ``"restore"``, ``"discard"``, or ``None`` (not asked, or not answered yet).
    message
        What happened, in one sentence (also logged).
    """

    def __init__(self, queue: QueueHardwareObject, parent: QWidget | None = None) -> None:
        self.queue = queue
        self.parent = parent
        self.dialog: QMessageBox | None = None
        self.answer: str | None = None
        self.message = ""

    def show(self) -> QMessageBox | None:
        """Open the question or the message, if there is one; return it."""
        result = self.queue.restore_result
        if result.problem or result.bad_file is not None:
            self.message = result.message
            self.dialog = QMessageBox(
                QMessageBox.Warning, "Queue file set aside", result.message, parent=self.parent
            )
            self.dialog.setObjectName("queue_file_set_aside")
            self.dialog.open()
            return self.dialog
        if self.queue.crashed and result.restored and len(self.queue.model):
            count = len(self.queue.model)
            text = (
                "mxgui did not stop cleanly last time. The queue it left "
                f"({count} entries) has been restored."
            )
            if result.interrupted:
                text += f" {result.interrupted} entries were running: they are marked failed."
            self.dialog = QMessageBox(
                QMessageBox.Question, "Restore the queue?", text, parent=self.parent
            )
            self.dialog.setObjectName("queue_restore_question")
            self.dialog.setInformativeText("Keep it, or start with an empty queue?")
            keep = self.dialog.addButton("Keep the queue", QMessageBox.AcceptRole)
            self.dialog.addButton("Start empty", QMessageBox.DestructiveRole)
            self.dialog.setDefaultButton(keep)
            self.dialog.buttonClicked.connect(lambda button: self._answered(button is keep))
            self.dialog.open()
            return self.dialog
        self.message = result.message
        return None

    def _answered(self, keep: bool) -> None:
        if keep:
            self.answer = "restore"
            self.message = f"Kept the restored queue ({len(self.queue.model)} entries)."
            log.info("%s", self.message)
        else:
            self.answer = "discard"
            self.message = self.queue.discard_restored()
