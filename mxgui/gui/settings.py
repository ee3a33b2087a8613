"""User settings (window geometry and the like) through QSettings."""

from __future__ import annotations

import os

from PyQt5.QtCore import QSettings

from mxgui.core.user_dirs import SETTINGS_DIR_ENV, settings_dir

__all__ = ["SETTINGS_DIR_ENV", "layout_key", "user_settings"]


def user_settings() -> QSettings:
    """The settings file of this user (INI format, ``mxgui.ini`` in
    :func:`~mxgui.core.user_dirs.settings_dir`, beside the XML-RPC token file)."""
    return QSettings(str(settings_dir() / "mxgui.ini"), QSettings.IniFormat)


def layout_key(layout_path: str, window_name: str) -> str:
    """Settings group of one window of one layout file."""
    safe = os.path.abspath(layout_path).replace("/", "_").replace("\\", "_").strip("_")
    return f"windows/{safe}/{window_name}"
