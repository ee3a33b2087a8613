"""Where this user's mxgui settings live (Qt-free, so hardware objects may use it too)."""

from __future__ import annotations

import os
from pathlib import Path

#: set to a directory to keep settings there (tests use it to stay out of ~/.config)
SETTINGS_DIR_ENV = "MXGUI_SETTINGS_DIR"


def settings_dir() -> Path:
    """``$MXGUI_SETTINGS_DIR`` if set, else the user's configuration directory for mxgui
    (``$XDG_CONFIG_HOME/mxgui``, ``~/.config/mxgui``; ``%APPDATA%/mxgui`` on Windows),
    where Qt keeps ``mxgui.ini`` too."""
    directory = os.environ.get(SETTINGS_DIR_ENV)
    if directory:
        return Path(directory)
    base = os.environ.get("XDG_CONFIG_HOME") or (
        os.environ.get("APPDATA") if os.name == "nt" else None
    )
    return Path(base) / "mxgui" if base else Path.home() / ".config" / "mxgui"
