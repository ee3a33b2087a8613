"""The designer's File commands: new, open, reload, save, save as, unsaved changes."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PyQt5.QtWidgets import QStatusBar

from mxgui.gui.designer.dialogs import Dialogs
from mxgui.gui.designer.document import LayoutDocument
from mxgui.gui.designer.rules import EditError
from mxgui.gui.designer.validation import Problem
from mxgui.gui.layout import LayoutError

#: how long a note about a file stays in the status bar, milliseconds
NOTE_MS = 10000


class DesignerHost(Protocol):
    """What the File commands use of the designer window."""

    document: LayoutDocument
    dialogs: Dialogs
    problems: list[Problem]

    def statusBar(self) -> QStatusBar: ...  # noqa: N802 - Qt name

    def set_document(self, document: LayoutDocument) -> None: ...

    def update_title(self) -> None: ...


class FileCommands:
    """Opening and saving layout files for the designer window ``window``.

    A file that does not exist opens as a new layout (one window with a vbox) saved
    there on *Save*; a file that cannot be read at all (bad YAML) is reported in the
    problems list with its line and opens a new, untitled layout, so that *Save* never
    overwrites it unasked (:attr:`unreadable` names it meanwhile); problems inside a
    readable file never stop it from opening.
    """

    def __init__(self, window: DesignerHost) -> None:
        self.window = window
        #: the file that could not be read, while the untitled layout stands for it
        self.unreadable: Path | None = None

    def load(self, path: str | Path | None) -> None:
        """Open ``path`` (``None``: a new layout) without asking about unsaved changes."""
        self.unreadable = None
        if not path:
            document, note = LayoutDocument.new(None), "new layout"
        elif not Path(path).exists():
            document = LayoutDocument.new(path)
            note = f"{path} does not exist yet: a new layout, written there on Save"
        else:
            try:
                document = LayoutDocument.load(path)
                note = f"opened {path}"
            except LayoutError as exc:
                document = LayoutDocument.new(None)
                document.load_errors = [exc]
                self.unreadable = Path(path)
                note = f"{path} could not be read: fix it in a text editor and reload"
        self.window.set_document(document)
        self.window.statusBar().showMessage(note, NOTE_MS)

    def open_layout(self, path: str | Path | None) -> bool:
        """Open ``path`` (``None``: a new layout) after asking about unsaved changes."""
        if not self.may_discard():
            return False
        self.load(path)
        return True

    def open_chosen(self) -> None:
        """Open the file the user chooses (after asking about unsaved changes)."""
        path = self.window.dialogs.ask_open_path(str(self.window.document.path or ""))
        if path:
            self.open_layout(path)

    def reload(self) -> None:
        """Read the file again (after fixing it elsewhere), dropping changes made here."""
        path = self.unreadable or self.window.document.path
        if path is not None:
            self.open_layout(path)

    def save(self) -> bool:
        """Save to the layout's file (asks for one if it has none); True if saved."""
        path = self.window.document.path
        if path is None:
            return self.save_as()
        return self._save_to(Path(path))

    def save_as(self, path: str | Path | None = None) -> bool:
        """Save to ``path`` (asked for if not given); True if saved."""
        if path is None:
            current = self.window.document.path or self.unreadable or ""
            path = self.window.dialogs.ask_save_path(str(current))
        if not path:
            return False
        return self._save_to(Path(path))

    def may_discard(self) -> bool:
        """True when the document has no unsaved changes, or the user saved them or
        chose to drop them."""
        window = self.window
        if not window.document.modified:
            return True
        answer = window.dialogs.ask_unsaved(str(window.document.path or "untitled"))
        if answer == "save":
            return self.save()
        return answer == "discard"

    def _save_to(self, path: Path) -> bool:
        window = self.window
        try:
            window.document.save(path)
        except (OSError, EditError, LayoutError) as exc:
            window.dialogs.error(f"The layout could not be saved to {path}:\n{exc}")
            return False
        self.unreadable = None
        window.update_title()
        errors = sum(p.severity == "error" for p in window.problems)
        note = f" ({errors} problem(s) left, see Problems)" if errors else ""
        window.statusBar().showMessage(f"saved {path}{note}", NOTE_MS)
        return True
