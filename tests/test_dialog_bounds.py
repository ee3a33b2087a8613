"""Issue 11, item 4: ``open_dialog`` cannot make the GUI spend without limit.

The attack was a 20,000-character message with 200 fields (a 32767x6291 px window),
repeated 26 times at once with no timeout and callers that went away. Each test makes
the calls over real XML-RPC (the transport on 127.0.0.1) to the GUI's own dialog
handler, and asserts what the user and the workflow see.
"""

from __future__ import annotations

import http.client
import logging
import threading
import xmlrpc.client
from concurrent.futures import Future, ThreadPoolExecutor
from types import SimpleNamespace

import pytest
from PyQt5.QtCore import QPoint, Qt
from PyQt5.QtWidgets import QApplication, QDialogButtonBox

from mxgui.core.dialog_spec import MAX_FIELDS, TEXT_LIMITS
from mxgui.core.xmlrpc.context import DEFAULT_DIALOG_TIMEOUT
from mxgui.core.xmlrpc.service import XMLRPCService
from mxgui.core.xmlrpc.transport import XMLRPCTransport
from mxgui.gui.workflow_dialog import DialogHandler, WorkflowDialog

from helpers import events_delivered

SMALL = {"title": "Go on?", "fields": [{"name": "images", "type": "integer", "default": 10}]}


def _served(dialog_timeout: float = DEFAULT_DIALOG_TIMEOUT) -> SimpleNamespace:
    service = XMLRPCService(lambda name: None, dialog_timeout=dialog_timeout)
    handler = DialogHandler()
    service.set_handler("open_dialog", handler)
    transport = XMLRPCTransport(service, "127.0.0.1", 0)
    transport.start()
    return SimpleNamespace(service=service, handler=handler, transport=transport)


@pytest.fixture
def gui(qtbot):
    """The XML-RPC server on a free port with the GUI's dialog handler; ``ask(dict)`` is
    the Future of an ``open_dialog`` call made by a client in its own thread."""
    served = _served()
    pool = ThreadPoolExecutor(32)

    def ask(dialog: dict, served: SimpleNamespace = served) -> Future:
        def in_client():
            proxy = xmlrpc.client.ServerProxy(served.transport.url, allow_none=True)
            try:
                return proxy.open_dialog(dialog)
            finally:
                proxy("close")()

        return pool.submit(in_client)

    served.ask = ask
    yield served
    served.service.stop()  # callers still waiting get a fault
    served.handler.close_all()
    served.transport.stop()
    pool.shutdown(wait=True)


def shown_dialogs() -> list[WorkflowDialog]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, WorkflowDialog) and w.isVisible()
    ]


def the_dialog(qtbot, title: str) -> WorkflowDialog:
    qtbot.waitUntil(lambda: any(d.windowTitle() == title for d in shown_dialogs()), timeout=10000)
    return next(d for d in shown_dialogs() if d.windowTitle() == title)


def fault(qtbot, future: Future) -> xmlrpc.client.Fault:
    qtbot.waitUntil(future.done, timeout=20000)
    with pytest.raises(xmlrpc.client.Fault) as error:
        future.result()
    return error.value


def answer(qtbot, future: Future):
    qtbot.waitUntil(future.done, timeout=20000)
    return future.result()


def click_ok(qtbot, dialog: WorkflowDialog) -> None:
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)


def test_the_attack_dialog_is_refused_naming_the_message_and_its_limit(qtbot, gui):
    """20,000 characters of message and 200 fields: a Fault, and no window at all."""
    attack = {
        "title": "attack",
        "message": "A" * 20000,
        "fields": [{"name": f"f{i}", "label": "B" * 100} for i in range(200)],
    }
    refused = fault(qtbot, gui.ask(attack))
    assert refused.faultCode == -32602
    assert "'message' has 20000 characters" in refused.faultString
    assert f"at most {TEXT_LIMITS['message']}" in refused.faultString
    too_many = {"title": "many", "fields": [{"name": f"f{i}"} for i in range(MAX_FIELDS + 1)]}
    assert f"at most {MAX_FIELDS}" in fault(qtbot, gui.ask(too_many)).faultString
    assert shown_dialogs() == [] and gui.handler.dialogs == {}
    asked = gui.ask(SMALL)  # the next caller is served as ever
    click_ok(qtbot, the_dialog(qtbot, "Go on?"))
    assert answer(qtbot, asked) == {"images": 10}


def test_the_largest_dialog_allowed_fits_the_screen_and_scrolls_inside(qtbot, gui):
    """Every limit at its maximum, words that never wrap: the window stays inside the
    screen's free area (also when it lists a problem), the fields scroll inside it, OK
    stays in view and answers."""
    largest = {
        "title": "T" * TEXT_LIMITS["title"],
        "message": "M" * TEXT_LIMITS["message"],  # one word: cannot wrap
        "fields": [
            {"name": f"f{i:03d}", "label": "L" * TEXT_LIMITS["label"], "default": "x"}
            for i in range(MAX_FIELDS - 1)
        ]
        + [{"name": "who", "label": "W" * TEXT_LIMITS["label"], "required": True}],
    }
    asked = gui.ask(largest)
    dialog = the_dialog(qtbot, largest["title"])
    qtbot.waitExposed(dialog)
    screen = dialog.screen().availableGeometry()
    assert screen.contains(dialog.frameGeometry()), (dialog.frameGeometry(), screen)
    assert dialog.scroll_area.verticalScrollBar().maximum() > 0  # the fields scroll inside
    assert dialog.scroll_area.horizontalScrollBar().maximum() > 0  # and the long word too
    ok = dialog.buttons.button(QDialogButtonBox.Ok)
    assert ok.isVisible()
    assert dialog.rect().contains(ok.mapTo(dialog, QPoint(ok.width() - 1, ok.height() - 1)))
    click_ok(qtbot, dialog)  # "who" is empty: the dialog says so and stays
    assert "a value is required" in dialog.problem.text() and dialog.isVisible()
    events_delivered(qtbot)  # the dialog lays itself out again around the problem line
    assert screen.contains(dialog.frameGeometry()), (dialog.frameGeometry(), screen)
    dialog.resize(screen.width() * 3, screen.height() * 3)  # the user cannot outgrow it
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height()
    dialog.editors["who"].setText("ana")
    click_ok(qtbot, dialog)
    values = answer(qtbot, asked)
    assert len(values) == MAX_FIELDS and values["f198"] == "x" and values["who"] == "ana"


def test_twenty_six_dialogs_at_once_open_one_window_the_others_get_a_fault(qtbot, gui):
    """26 callers at once: one window; at most two wait their turn at a time, then give
    up with a Fault; the rest are refused at once. Each Fault names the open dialog."""
    from PyQt5.QtCore import QTimer

    turns = gui.service.context.dialog_turns
    turns.turn_wait = 1.0
    windows_seen: list[int] = []
    waiting_seen: list[int] = []
    watch = QTimer(interval=10)  # what the screen shows and who waits, all along
    watch.timeout.connect(lambda: windows_seen.append(len(shown_dialogs())))
    watch.timeout.connect(lambda: waiting_seen.append(turns.waiting))
    watch.start()
    calls = [
        gui.ask({"title": f"dialog {n}", "message": "A" * 5000, "fields": SMALL["fields"]})
        for n in range(26)
    ]
    qtbot.waitUntil(lambda: sum(c.done() for c in calls) == 25, timeout=20000)
    events_delivered(qtbot)  # a wrong second window would show now
    watch.stop()
    assert max(windows_seen) == 1 and windows_seen[-1] == 1
    open_one = shown_dialogs()[0]
    faults = [fault(qtbot, c) for c in calls if c.done()]
    for refused in faults:
        assert refused.faultCode == -32500
        assert f"the dialog {open_one.windowTitle()!r} is open" in refused.faultString
        assert "one at a time" in refused.faultString
    waited = sum("after waiting 1 s" in f.faultString for f in faults)
    assert 1 <= waited < 25 and max(waiting_seen) <= turns.max_waiting  # a short line
    click_ok(qtbot, open_one)
    (pending,) = [c for c in calls if not c.done() or c.exception() is None]
    assert answer(qtbot, pending) == {"images": 10}
    assert gui.handler.dialogs == {}


def test_a_second_dialog_waits_its_turn_and_is_shown_when_the_first_is_answered(qtbot, gui):
    first = gui.ask({**SMALL, "title": "first"})
    dialog = the_dialog(qtbot, "first")
    second = gui.ask({**SMALL, "title": "second"})
    qtbot.waitUntil(lambda: gui.service.context.dialog_turns.waiting == 1)  # its turn comes
    events_delivered(qtbot)
    assert [d.windowTitle() for d in shown_dialogs()] == ["first"] and not second.done()
    click_ok(qtbot, dialog)
    assert answer(qtbot, first) == {"images": 10}
    click_ok(qtbot, the_dialog(qtbot, "second"))
    assert answer(qtbot, second) == {"images": 10}


def _post_open_dialog(url_port: int, dialog: dict) -> http.client.HTTPConnection:
    """Send an ``open_dialog`` request and return the connection without reading."""
    body = xmlrpc.client.dumps((dialog,), "open_dialog").encode()
    connection = http.client.HTTPConnection("127.0.0.1", url_port, timeout=10)
    connection.request("POST", "/", body, {"Content-Type": "text/xml"})
    return connection


def test_a_dialog_closes_when_its_caller_disconnects(qtbot, gui, caplog):
    """The workflow is killed while its question is on the screen: the window closes,
    the server's thread is freed, and the next workflow's dialog is shown at once."""
    caplog.set_level(logging.INFO, logger="mxgui.workflow")
    connection = _post_open_dialog(gui.transport.port, {**SMALL, "title": "orphan"})
    the_dialog(qtbot, "orphan")
    connection.close()  # the caller goes away without an answer
    qtbot.waitUntil(lambda: shown_dialogs() == [] and gui.handler.dialogs == {}, timeout=5000)
    # said by the server's thread once the dialog is closed: it may come a moment later
    qtbot.waitUntil(
        lambda: any("its caller disconnected" in r.getMessage() for r in caplog.records),
        timeout=5000,
    )
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # no broken pipe
    gui.service.context.dialog_turns.turn_wait = 0.0  # the turn must be free already
    nxt = gui.ask({**SMALL, "title": "next"})
    click_ok(qtbot, the_dialog(qtbot, "next"))
    assert answer(qtbot, nxt) == {"images": 10}


def test_a_dialog_without_a_timeout_closes_after_the_servers_default(qtbot):
    """No timeout in the dict and none configured: the server's default applies (no
    dialog waits for ever); the dialog counts it down and the workflow gets the
    defaults when it ends."""
    from hardware_objects.xmlrpc_server import XMLRPCServer

    assert XMLRPCServer.PROPERTIES["dialog_timeout"].default == DEFAULT_DIALOG_TIMEOUT > 0
    assert XMLRPCService(lambda name: None).context.dialog_timeout == DEFAULT_DIALOG_TIMEOUT
    served = _served(dialog_timeout=1.0)
    pool = ThreadPoolExecutor(1)
    try:
        proxy_url = served.transport.url

        def call():
            proxy = xmlrpc.client.ServerProxy(proxy_url, allow_none=True)
            try:
                return proxy.open_dialog({**SMALL, "title": "unattended"})
            finally:
                proxy("close")()

        asked = pool.submit(call)
        dialog = the_dialog(qtbot, "unattended")
        assert dialog.countdown_label.isVisible() and "1 s" in dialog.countdown_label.text()
        assert answer(qtbot, asked) == {"images": 10}
        qtbot.waitUntil(lambda: shown_dialogs() == [], timeout=5000)
    finally:
        served.service.stop()
        served.handler.close_all()
        served.transport.stop()
        pool.shutdown(wait=True)


def test_a_caller_waiting_for_its_turn_leaves_the_line_when_it_hangs_up_or_the_server_stops():
    from mxgui.core.xmlrpc.dialog_turns import DialogTurns
    from mxgui.core.xmlrpc.dispatch import Unavailable

    turns = DialogTurns(turn_wait=60.0)
    holding = threading.Event()
    release = threading.Event()

    def first() -> None:
        with turns.turn("first", lambda: False, lambda: False):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=first)
    holder.start()
    try:
        assert holding.wait(5)
        with pytest.raises(Unavailable, match="'second' disconnected"):
            with turns.turn("second", lambda: True, lambda: False):
                pass
        with pytest.raises(Unavailable, match="shutting down"):
            with turns.turn("third", lambda: False, lambda: True):
                pass
        assert turns.waiting == 0 and turns.open_title == "first"
    finally:
        release.set()
        holder.join()
    with turns.turn("fourth", lambda: False, lambda: False):  # the turn is free again
        assert turns.open_title == "fourth"
    assert turns.open_title is None
