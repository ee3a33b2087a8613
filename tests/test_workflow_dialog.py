"""The workflow dialog as a user sees it, and the open_dialog handler called from a
server thread."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest
from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
)

from mxgui.core.dialog_spec import parse_dialog
from mxgui.gui.workflow_dialog import DialogHandler, WorkflowDialog

from helpers import ROOT, SIMULATED, type_into

DIALOG = {
    "title": "Strategy",
    "message": "Check the proposed strategy",
    "fields": [
        {"name": "operator", "label": "Operator", "type": "string", "required": True},
        {
            "name": "images",
            "label": "Images",
            "type": "integer",
            "default": 10,
            "min": 1,
            "max": 3600,
        },
        {
            "name": "exposure",
            "label": "Exposure (s)",
            "type": "float",
            "default": 0.037,
            "min": 0.001,
        },
        {"name": "inverse", "label": "Inverse beam", "type": "boolean", "default": True},
        {"name": "space_group", "type": "choice", "choices": ["P1", "P21", "C2"], "default": "P21"},
    ],
}


@pytest.fixture
def shown(qtbot):
    """A dialog for DIALOG, shown, with the answers it gave."""
    dialog = WorkflowDialog(parse_dialog(DIALOG))
    qtbot.addWidget(dialog)
    answers: list = []
    dialog.answerGiven.connect(answers.append)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog, answers


def _button(dialog, which):
    return dialog.buttons.button(which)


def test_fields_are_shown_with_their_labels_defaults_and_limits(shown):
    dialog, _ = shown
    assert dialog.windowTitle() == "Strategy" and not dialog.isModal()
    assert dialog.findChild(QLabel, "message").text() == "Check the proposed strategy"
    images = dialog.findChild(QSpinBox, "images")
    assert (images.minimum(), images.maximum(), images.value()) == (1, 3600, 10)
    exposure = dialog.findChild(QDoubleSpinBox, "exposure")
    assert exposure.minimum() == 0.001 and exposure.value() == pytest.approx(0.037)
    assert exposure.text() == "0.037"
    assert dialog.findChild(QCheckBox, "inverse").isChecked()
    combo = dialog.findChild(QComboBox, "space_group")
    assert [combo.itemText(i) for i in range(combo.count())] == ["P1", "P21", "C2"]
    assert combo.currentText() == "P21"
    assert isinstance(dialog.findChild(QLineEdit, "operator"), QLineEdit)
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert "Operator *" in labels and "Exposure (s)" in labels
    assert not dialog.findChild(QLabel, "countdown").isVisible()


def test_ok_answers_the_converted_values(qtbot, shown):
    dialog, answers = shown
    qtbot.keyClicks(dialog.findChild(QLineEdit, "operator"), "ana")
    dialog.findChild(QComboBox, "space_group").setCurrentIndex(2)
    qtbot.keyClick(dialog.findChild(QCheckBox, "inverse"), Qt.Key_Space)
    type_into(qtbot, dialog.findChild(QSpinBox, "images"), "360")  # Enter answers, as OK
    assert answers == [
        {"operator": "ana", "images": 360, "exposure": 0.037, "inverse": False, "space_group": "C2"}
    ]
    assert not dialog.isVisible()


def test_cancel_and_close_answer_none(qtbot, shown):
    dialog, answers = shown
    qtbot.mouseClick(_button(dialog, QDialogButtonBox.Cancel), Qt.LeftButton)
    assert answers == [None] and not dialog.isVisible()
    other = WorkflowDialog(parse_dialog(DIALOG))
    qtbot.addWidget(other)
    closed: list = []
    other.answerGiven.connect(closed.append)
    other.show()
    other.close()
    assert closed == [None]


def test_invalid_input_is_shown_in_red_and_the_dialog_stays_open(qtbot, shown):
    dialog, answers = shown
    images = dialog.findChild(QSpinBox, "images")
    images.lineEdit().clear()  # the user deleted the number
    qtbot.mouseClick(_button(dialog, QDialogButtonBox.Ok), Qt.LeftButton)
    assert answers == [] and dialog.isVisible()
    problem = dialog.findChild(QLabel, "problem").text()
    assert "Operator: a value is required" in problem
    assert "Images: expected an integer" in problem
    operator = dialog.findChild(QLineEdit, "operator")
    assert "#c62828" in operator.styleSheet() and "required" in operator.toolTip()
    # fixed: the red goes, the answer comes
    qtbot.keyClicks(operator, "bob")
    images.setValue(5)
    qtbot.mouseClick(_button(dialog, QDialogButtonBox.Ok), Qt.LeftButton)
    assert answers[0]["operator"] == "bob" and answers[0]["images"] == 5
    assert operator.styleSheet() == ""


def test_countdown_is_shown_and_ends_with_the_defaults(qtbot):
    spec = parse_dialog(
        {"title": "Go on?", "timeout": 2, "fields": [{"name": "n", "default": "x"}]}
    )
    dialog = WorkflowDialog(spec)
    qtbot.addWidget(dialog)
    answers: list = []
    dialog.answerGiven.connect(answers.append)
    dialog.show()
    countdown = dialog.findChild(QLabel, "countdown")
    assert countdown.isVisible() and "Closes in 2 s" in countdown.text()
    qtbot.waitUntil(lambda: bool(answers), timeout=5000)
    assert answers == [{"n": "x"}] and not dialog.isVisible()


# the handler ------------------------------------------------------------------------------------
def _ask_from_a_thread(handler, dialog) -> Future:
    """Call the handler from a plain thread, as the XML-RPC server does."""
    box: list[Future] = []
    thread = threading.Thread(target=lambda: box.append(handler(dialog)))
    thread.start()
    thread.join(5)
    assert box, "the handler did not return at once"
    return box[0]


def _open_dialog(qtbot, handler) -> WorkflowDialog:
    qtbot.waitUntil(lambda: len(handler.dialogs) == 1)
    dialog = next(iter(handler.dialogs.values()))
    qtbot.waitExposed(dialog)
    return dialog


def test_handler_called_from_a_thread_returns_at_once_and_resolves_on_ok(qtbot):
    handler = DialogHandler()
    future = _ask_from_a_thread(handler, DIALOG)
    assert not future.done()
    dialog = _open_dialog(qtbot, handler)
    assert dialog.windowTitle() == "Strategy"
    qtbot.keyClicks(dialog.findChild(QLineEdit, "operator"), "ana")
    qtbot.mouseClick(_button(dialog, QDialogButtonBox.Ok), Qt.LeftButton)
    assert future.result(timeout=1)["operator"] == "ana"
    assert handler.dialogs == {}


def test_handler_cancel_resolves_none(qtbot):
    handler = DialogHandler()
    future = _ask_from_a_thread(handler, DIALOG)
    dialog = _open_dialog(qtbot, handler)
    qtbot.mouseClick(_button(dialog, QDialogButtonBox.Cancel), Qt.LeftButton)
    assert future.result(timeout=1) is None


def test_a_future_cancelled_from_outside_closes_its_dialog(qtbot):
    handler = DialogHandler()
    future = _ask_from_a_thread(handler, DIALOG)
    dialog = _open_dialog(qtbot, handler)
    closed: list = []
    dialog.finished.connect(closed.append)
    threading.Thread(target=future.cancel).start()  # the server's timeout
    qtbot.waitUntil(lambda: bool(closed) and not handler.dialogs)
    assert future.cancelled()


def test_several_dialogs_at_once_each_answer_their_own_call(qtbot):
    handler = DialogHandler()
    first = _ask_from_a_thread(handler, {"title": "first", "fields": [{"name": "a"}]})
    second = _ask_from_a_thread(handler, {"title": "second", "fields": [{"name": "b"}]})
    qtbot.waitUntil(lambda: len(handler.dialogs) == 2)
    by_title = {d.windowTitle(): d for d in handler.dialogs.values()}
    qtbot.keyClicks(by_title["second"].findChild(QLineEdit, "b"), "two")
    qtbot.mouseClick(_button(by_title["second"], QDialogButtonBox.Ok), Qt.LeftButton)
    assert second.result(timeout=1) == {"b": "two"} and not first.done()
    handler.close_all()
    assert first.result(timeout=1) is None


def test_handler_refuses_a_bad_dict_at_once():
    handler = DialogHandler()
    with pytest.raises(ValueError, match="unknown type 'date'"):
        handler({"fields": [{"name": "d", "type": "date"}]})


class _FakeServer:
    """Stands for the XML-RPC server: keeps the handlers the GUI installs."""

    def __init__(self) -> None:
        self.handlers: dict = {}

    def set_handler(self, name, handler) -> None:
        if handler is None:
            self.handlers.pop(name, None)
        else:
            self.handlers[name] = handler


def test_the_application_answers_open_dialog_and_releases_it_on_stop(qtbot, monkeypatch):
    from mxgui.gui.application import MxguiApplication

    app = MxguiApplication([SIMULATED], ROOT / "tests" / "data" / "layouts" / "motors.yml")
    server = _FakeServer()
    beamline = app.repository.beamline
    real_role = beamline.role
    monkeypatch.setattr(
        beamline, "role", lambda name: server if name == "xmlrpc_server" else real_role(name)
    )
    try:
        app.start()
        handler = server.handlers["open_dialog"]
        future = _ask_from_a_thread(handler, {"title": "Go on?", "fields": []})
        dialog = _open_dialog(qtbot, handler)
        assert dialog.parentWidget() is app.windows[0]
    finally:
        for window in app.windows:
            window.close()
        app.stop()
    assert future.result(timeout=1) is None  # a waiting workflow is not left hanging
    assert "open_dialog" not in server.handlers
