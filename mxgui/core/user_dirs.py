"""Where this user's mxgui settings and data live (Qt-free, so hardware objects may use it
too)."""

from __future__ import annotations

import os
from pathlib import Path

#: set to a directory to keep settings there (tests use it to stay out of ~/.config)
SETTINGS_DIR_ENV = "MXGUI_SETTINGS_DIR"
#: set to the data root of the simulated session (images, snapshots, and mxgui's own
#: files under ``.mxgui/``: the queue, the shapes, the workflow log)
DATA_DIR_ENV = "MXGUI_DATA_DIR"
#: the data root when :data:`DATA_DIR_ENV` is not set
DEFAULT_DATA_DIR = "~/mxgui-data"


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


def data_dir() -> Path:
    """``$MXGUI_DATA_DIR`` if set, else ``~/mxgui-data``; ``~`` and ``$VARIABLES`` in it
    expanded. The simulated session writes data there, and mxgui keeps its own files
    (queue, shapes, workflow log) in its ``.mxgui`` subdirectory."""
    configured = os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
    return Path(os.path.expanduser(os.path.expandvars(configured)))
