"""The questions the designer asks the user, in one replaceable object.

Tests (and scripts) give the designer a :class:`Dialogs` subclass that answers without
showing anything; the real one uses modal Qt dialogs.
"""

from __future__ import annotations

from PyQt5.QtWidgets import QFileDialog, QMessageBox, QWidget

LAYOUT_FILTER = "Layout files (*.yml *.yaml);;All files (*)"


class Dialogs:
    """Modal questions, parented to the designer window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.parent = parent

    def ask_unsaved(self, name: str) -> str:
        """``"save"``, ``"discard"`` or ``"cancel"`` for unsaved changes to ``name``."""
        answer = QMessageBox.question(
            self.parent,
            "Unsaved changes",
            f"The layout {name} has unsaved changes. Save them?",
            QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel,
            QMessageBox.Save,
        )
        return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")

    def ask_save_path(self, current: str) -> str | None:
        """A file to save the layout to (``None``: cancelled)."""
        path, _ = QFileDialog.getSaveFileName(self.parent, "Save layout", current, LAYOUT_FILTER)
        return path or None

    def ask_open_path(self, current: str) -> str | None:
        """A layout file to open (``None``: cancelled)."""
        path, _ = QFileDialog.getOpenFileName(self.parent, "Open layout", current, LAYOUT_FILTER)
        return path or None

    def confirm(self, question: str) -> bool:
        """Yes or no to ``question``."""
        answer = QMessageBox.question(self.parent, "mxgui designer", question)
        return answer == QMessageBox.Yes

    def error(self, message: str) -> None:
        """Tell the user that something failed."""
        QMessageBox.warning(self.parent, "mxgui designer", message)
