"""The application's log file: every record in full, whatever the GUI shows of it.

The log view and the status bar show at most the first lines of a long message (see
:mod:`mxgui.gui.log_handler`); the whole text is written here. The file is
``MXGUI_LOG_FILE`` if set, else ``mxgui.log`` in ``MXGUI_SETTINGS_DIR`` if that is set,
else ``$XDG_STATE_HOME/mxgui/mxgui.log`` (``~/.local/state/mxgui/mxgui.log``). It is
rotated at :data:`MAX_BYTES`, keeping :data:`BACKUPS` older files.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from mxgui.gui.settings import SETTINGS_DIR_ENV

#: set to the path of the log file
LOG_FILE_ENV = "MXGUI_LOG_FILE"
MAX_BYTES = 50 * 1024 * 1024
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s]: %(message)s"

log = logging.getLogger(__name__)


class LogFileHandler(logging.handlers.RotatingFileHandler):
    """The handler :func:`install_log_file` adds: its class tells it from the others."""


def default_log_path() -> Path:
    """Where the log file goes (the module's docstring says how it is chosen)."""
    if os.environ.get(LOG_FILE_ENV):
        return Path(os.environ[LOG_FILE_ENV])
    if os.environ.get(SETTINGS_DIR_ENV):
        return Path(os.environ[SETTINGS_DIR_ENV]) / "mxgui.log"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "mxgui" / "mxgui.log"


def install_log_file(path: Path | None = None, level: int | str = logging.INFO) -> Path | None:
    """Write the root logger's records at ``level`` and above to ``path`` (default:
    :func:`default_log_path`). Once per process: a second call changes the level only.
    ``None`` (and a warning) when the file cannot be opened: the application runs on
    without it."""
    existing = log_file_handler()
    if existing is not None:
        existing.setLevel(level)
        return Path(existing.baseFilename)
    path = path or default_log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = LogFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        log.warning("no log file: %s cannot be opened (%s)", path, exc)
        return None
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter(FORMAT))
    logging.getLogger().addHandler(handler)
    return Path(handler.baseFilename)


def log_file_handler() -> LogFileHandler | None:
    """The handler :func:`install_log_file` added, or ``None``."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, LogFileHandler):
            return handler
    return None


def log_file_path() -> Path | None:
    """The log file records are written to, or ``None`` when there is none."""
    handler = log_file_handler()
    return Path(handler.baseFilename) if handler is not None else None


def remove_log_file() -> None:
    """Stop writing the log file (tests; the application keeps it to the end)."""
    handler = log_file_handler()
    if handler is not None:
        logging.getLogger().removeHandler(handler)
        handler.close()
