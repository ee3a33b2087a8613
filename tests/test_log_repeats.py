"""Repeated warnings and errors are folded in the log (issue 11, item 9): a save that
fails five times a second, each line differing by its temporary file's name, is
said once per minute, with the count of the lines folded."""

from __future__ import annotations

import logging
import random

import pytest

from mxgui.core.log_repeats import RepeatFilter, message_key


class Clock:
    """A clock the test moves on (the filter's window is 60 s)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Lines(logging.Handler):
    """The lines a handler would write."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logged():
    """A logger with two handlers (the console and the GUI log) sharing one filter."""
    clock = Clock()
    folding = RepeatFilter(window=60.0, clock=clock)
    console, gui = Lines(), Lines()
    logger = logging.getLogger("test_log_repeats.store")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    for handler in (console, gui):
        handler.addFilter(folding)
        logger.addHandler(handler)
    yield logger, clock, console, gui, folding
    for handler in (console, gui):
        logger.removeHandler(handler)
    logger.propagate = True
    logger.setLevel(logging.NOTSET)


def a_failed_save(logger: logging.Logger) -> None:
    """What the queue store logged before: the temporary file's name differs each time."""
    name = "".join(random.choices("abcdefghijklmnopqrstuvwxyz0123456789_", k=8))  # as mkstemp
    logger.error(
        "the queue could not be saved to %s: %s",
        "/data/.mxgui/queue.json",
        f"[Errno 13] Permission denied: '/data/.mxgui/.queue.json.{name}.tmp'",
    )


def test_a_save_failing_five_times_a_second_is_logged_once_a_minute(logged):
    logger, clock, console, gui, folding = logged
    for _ in range(50):  # ten seconds of attempts
        a_failed_save(logger)
        clock.now += 0.2
    assert len(console.lines) == len(gui.lines) == 1  # both handlers, same decision
    assert "could not be saved" in console.lines[0] and folding.folded_total == 49
    clock.now += 60.0
    a_failed_save(logger)
    assert len(console.lines) == 2 and console.lines[1] == gui.lines[1]
    assert console.lines[1].endswith("(and 49 more like it in the 60 s before)")


def test_different_problems_and_information_all_pass(logged):
    logger, _clock, console, _gui, _folding = logged
    a_failed_save(logger)
    logger.error("the shapes of sample 1:01 could not be saved: disk full")
    for n in range(5):
        logger.info("task %d added", n)  # information is never folded
    logger.warning("the queue could not be saved to /data/.mxgui/queue.json: disk full")
    assert len(console.lines) == 8


def test_the_key_blanks_numbers_and_temporary_names_only():
    assert message_key("cell 12 of grid G3 at 0.25 mm") == "cell # of grid G# at # mm"
    assert message_key("x/.queue.json.ab3k_9zq.tmp") == message_key("x/.queue.json.zz0_q1w2.tmp")
    assert message_key("/tmp/tmpab3k_9zq failed") == message_key("/tmp/tmp0123abcd failed")
    assert message_key("phi moved") != message_key("kappa moved")


def test_the_kinds_remembered_are_bounded():
    folding = RepeatFilter(max_kinds=3, clock=Clock())
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "problem %s", ("a",), None)
    assert folding.filter(record)
    for word in ("b", "c", "d"):  # three other kinds push the first one out
        folding.filter(logging.LogRecord("x", logging.ERROR, __file__, 1, word, (), None))
    again = logging.LogRecord("x", logging.ERROR, __file__, 1, "problem %s", ("a",), None)
    assert folding.filter(again) and len(folding._kinds) == 3


def test_the_gui_log_of_mxgui_folds_a_failing_save(make_app):
    """What the user sees in the log brick and the status bar: the failure once."""
    app = make_app()
    logger = logging.getLogger("mxgui.core.queue.persistence")
    before = len(app.log_handler.entries)
    for _ in range(25):
        a_failed_save(logger)
    logger.error("the shapes of sample 1:01 could not be saved: disk full")  # another
    shown = [e.message for e in list(app.log_handler.entries)[before:]]
    assert len(shown) == 2 and "queue could not be saved" in shown[0]
    assert shown[1] == "the shapes of sample 1:01 could not be saved: disk full"
    assert app.repeats.folded_total == 24
    app.stop()
    assert app.repeats not in app.log_handler.filters  # removed when the app stops
