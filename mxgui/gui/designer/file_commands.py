"""The designer's File commands: new, open, reload, save, save as, unsaved changes."""

from __future__ import annotations

from pathlib import Path

from mxgui.gui.designer.document import LayoutDocument
from mxgui.gui.designer.rules import EditError
from mxgui.gui.layout import LayoutError


class FileCommands:
    """Opening and saving layout files, for :class:`~.main_window.DesignerWindow`.

    A file that does not exist opens as a new layout (one window with a vbox) saved
    there on *Save*; a file that cannot be read at all (bad YAML) is reported in the
    problems list with its line and opens a new, untitled layout, so that *Save* never
    overwrites it unasked; problems inside a readable file never stop it from opening.
    The window provides ``document``, ``dialogs``, ``problems``, ``statusBar()``,
    ``_set_document()`` and ``_update_title()``.
    """

    _unreadable: Path | None = None

    def _load(self, path: str | Path | None) -> None:
        self._unreadable = None
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
                self._unreadable = Path(path)
                note = f"{path} could not be read: fix it in a text editor and reload"
        self._set_document(document)
        self.statusBar().showMessage(note, 10000)

    def open_layout(self, path: str | Path | None) -> bool:
        """Open ``path`` (``None``: a new layout) after asking about unsaved changes."""
        if not self._may_discard():
            return False
        self._load(path)
        return True

    def _open_dialog(self) -> None:
        path = self.dialogs.ask_open_path(str(self.document.path or ""))
        if path:
            self.open_layout(path)

    def reload(self) -> None:
        """Read the file again (after fixing it elsewhere), dropping changes made here."""
        path = self._unreadable or self.document.path
        if path is not None:
            self.open_layout(path)

    def save(self) -> bool:
        """Save to the layout's file (asks for one if it has none); True if saved."""
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self, path: str | Path | None = None) -> bool:
        """Save to ``path`` (asked for if not given); True if saved."""
        if path is None:
            path = self.dialogs.ask_save_path(str(self.document.path or self._unreadable or ""))
        return bool(path) and self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except (OSError, EditError, LayoutError) as exc:
            self.dialogs.error(f"The layout could not be saved to {path}:\n{exc}")
            return False
        self._unreadable = None
        self._update_title()
        errors = sum(p.severity == "error" for p in self.problems)
        note = f" ({errors} problem(s) left, see Problems)" if errors else ""
        self.statusBar().showMessage(f"saved {path}{note}", 10000)
        return True

    def _may_discard(self) -> bool:
        if not self.document.modified:
            return True
        answer = self.dialogs.ask_unsaved(str(self.document.path or "untitled"))
        if answer == "save":
            return self.save()
        return answer == "discard"
