"""User settings (window geometry and the like) through QSettings."""

from __future__ import annotations

import os

from PyQt5.QtCore import QSettings

#: set to a directory to keep settings there (tests use it to stay out of ~/.config)
SETTINGS_DIR_ENV = "MXGUI_SETTINGS_DIR"


def user_settings() -> QSettings:
    """The settings file of this user (INI format, ``mxgui/mxgui.ini``)."""
    directory = os.environ.get(SETTINGS_DIR_ENV)
    if directory:
        return QSettings(os.path.join(directory, "mxgui.ini"), QSettings.IniFormat)
    return QSettings(QSettings.IniFormat, QSettings.UserScope, "mxgui", "mxgui")


def layout_key(layout_path: str, window_name: str) -> str:
    """Settings group of one window of one layout file."""
    safe = os.path.abspath(layout_path).replace("/", "_").replace("\\", "_").strip("_")
    return f"windows/{safe}/{window_name}"
