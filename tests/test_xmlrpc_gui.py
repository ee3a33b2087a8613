"""The XML-RPC server against the running GUI (default layout): a workflow's client
saves a snapshot with the sample view's overlays and asks the user through a dialog."""

from __future__ import annotations

import xmlrpc.client
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from PyQt5.QtWidgets import QApplication
from xmlrpc_fixtures import png_header

DIALOG = {
    "title": "Strategy check",
    "message": "Check the exposure",
    "fields": [
        {"name": "exposure", "label": "Exposure (s)", "type": "float", "default": 0.1},
        {"name": "images", "label": "Images", "type": "integer", "default": 900, "max": 3600},
    ],
}


@pytest.fixture
def gui(make_app):
    return make_app()


@pytest.fixture
def server(gui):
    return gui.repository.beamline.role("xmlrpc_server")


@pytest.fixture
def call(server):
    """``call(method, *args)``: a Future of the call made by a client in another thread
    (the GUI thread must stay free to answer it)."""
    pool = ThreadPoolExecutor(1)

    def run(method: str, *args) -> Future:
        def in_client():
            proxy = xmlrpc.client.ServerProxy(server.url, allow_none=True)
            try:
                return getattr(proxy, method)(*args)
            finally:
                proxy("close")()

        return pool.submit(in_client)

    yield run
    pool.shutdown(wait=True)


def result(qtbot, future: Future, timeout: int = 20000):
    qtbot.waitUntil(future.done, timeout=timeout)
    return future.result()


def test_save_snapshot_draws_the_sample_views_overlays(qtbot, gui, server, call, tmp_path):
    brick = gui.built.bricks["sample_view"]
    qtbot.waitUntil(lambda: brick.view.frame_item.qimage() is not None, timeout=10000)
    path = tmp_path / "workflow" / "snap.png"
    assert result(qtbot, call("save_snapshot", str(path), True)) is True
    header = png_header(path)
    assert (header["width"], header["height"]) == brick.view.image_size()
    assert header["bit_depth"] == 8 and header["colour_type"] in (2, 6)
    # the same image as the sample view's own snapshot with overlays (not the bare frame)
    from PyQt5.QtGui import QImage

    shot = QImage(str(path))
    bare = tmp_path / "bare.png"
    brick.save_snapshot(bare, with_overlays=False)
    beam_x, beam_y = (int(v) for v in gui.repository.get("diffractometer").get_beam_position())
    assert shot.pixel(beam_x, beam_y) != QImage(str(bare)).pixel(beam_x, beam_y)
    again = call("save_snapshot", str(path))
    qtbot.waitUntil(again.done, timeout=10000)
    with pytest.raises(xmlrpc.client.Fault, match="exists"):
        again.result()


def dialog_window(title: str):
    for widget in QApplication.topLevelWidgets():
        if widget.isVisible() and widget.windowTitle() == title and hasattr(widget, "accept"):
            return widget
    return None


class FakeDialogs:
    """Stands for the GUI's dialog handler: keeps the requests, answered by the test."""

    def __init__(self) -> None:
        self.requests: list[tuple[object, Future]] = []

    def __call__(self, spec) -> Future:
        future: Future = Future()
        self.requests.append((spec, future))
        return future


def test_open_dialog_returns_what_the_user_answers(qtbot, server, call):
    pytest.importorskip("mxgui.core.dialog_spec")
    gui_handler = server.service.context.handler("open_dialog")
    if gui_handler is not None:  # the GUI's own dialog: the user accepts the defaults
        asked = call("open_dialog", DIALOG)
        qtbot.waitUntil(lambda: dialog_window("Strategy check") is not None, timeout=10000)
        dialog_window("Strategy check").accept()
        assert result(qtbot, asked) == {"exposure": 0.1, "images": 900}
        cancelled = call("open_dialog", DIALOG)
        qtbot.waitUntil(lambda: dialog_window("Strategy check") is not None, timeout=10000)
        dialog_window("Strategy check").reject()
        assert result(qtbot, cancelled) == {"__cancelled__": True}
        return
    fake = FakeDialogs()
    server.set_handler("open_dialog", fake)
    asked = call("open_dialog", DIALOG)
    qtbot.waitUntil(lambda: len(fake.requests) == 1, timeout=10000)
    spec, answer = fake.requests[0]
    assert spec.title == "Strategy check" and [f.name for f in spec.fields] == [
        "exposure",
        "images",
    ]
    answer.set_result({"exposure": "0.5", "images": 1800})
    assert result(qtbot, asked) == {"exposure": 0.5, "images": 1800}
    cancelled = call("open_dialog", DIALOG)
    qtbot.waitUntil(lambda: len(fake.requests) == 2, timeout=10000)
    fake.requests[1][1].set_result(None)
    assert result(qtbot, cancelled) == {"__cancelled__": True}


def test_open_dialog_gives_the_defaults_after_its_timeout(qtbot, server, call):
    pytest.importorskip("mxgui.core.dialog_spec")
    fake = FakeDialogs()
    server.set_handler("open_dialog", fake)
    asked = call("open_dialog", {**DIALOG, "timeout": 0.3})
    assert result(qtbot, asked) == {"exposure": 0.1, "images": 900}
    assert fake.requests[0][1].cancelled()  # the GUI closes its dialog
    bad = call("open_dialog", {**DIALOG, "fields": [{"name": "x", "type": "colour"}]})
    qtbot.waitUntil(bad.done, timeout=10000)
    with pytest.raises(xmlrpc.client.Fault, match="open_dialog: .*colour"):
        bad.result()
