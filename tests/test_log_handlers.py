"""The handlers mxgui adds to the root logger are told apart by their class.

``setup_logging`` adds one terminal handler and the log file however often it runs,
and finds them again to change their level; the application folds repeated records
on the same terminal handlers (``console_handlers``).
"""

from __future__ import annotations

import logging

import pytest

from mxgui.gui.command_line import ConsoleHandler, console_handlers, setup_logging
from mxgui.gui.log_file import (
    LOG_FILE_ENV,
    LogFileHandler,
    install_log_file,
    log_file_handler,
    remove_log_file,
)


@pytest.fixture
def root_logger(tmp_path, monkeypatch):
    """The root logger, given back as it was (handlers and level)."""
    monkeypatch.setenv(LOG_FILE_ENV, str(tmp_path / "mxgui.log"))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    remove_log_file()
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_setup_logging_adds_one_console_and_one_log_file_and_sets_their_level(
    root_logger, tmp_path
):
    other = logging.StreamHandler()  # someone else's handler: left alone
    other.setLevel(logging.ERROR)
    root_logger.addHandler(other)

    setup_logging("INFO")
    setup_logging("WARNING")

    consoles = [h for h in root_logger.handlers if isinstance(h, ConsoleHandler)]
    files = [h for h in root_logger.handlers if isinstance(h, LogFileHandler)]
    assert len(consoles) == 1 and len(files) == 1
    assert console_handlers() == consoles
    assert consoles[0].level == logging.WARNING
    assert files[0].level == logging.WARNING
    assert log_file_handler() is files[0]
    assert files[0].baseFilename == str(tmp_path / "mxgui.log")
    assert other.level == logging.ERROR and other not in console_handlers()


def test_the_log_file_is_installed_once_and_removed_by_its_class(root_logger, tmp_path):
    first = install_log_file(tmp_path / "a.log", level=logging.INFO)
    second = install_log_file(tmp_path / "b.log", level=logging.DEBUG)  # level only

    assert first == second == tmp_path / "a.log"
    handler = log_file_handler()
    assert isinstance(handler, LogFileHandler) and handler.level == logging.DEBUG
    remove_log_file()
    assert log_file_handler() is None
    assert not any(isinstance(h, LogFileHandler) for h in root_logger.handlers)
