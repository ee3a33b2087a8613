"""The layout designer, used as a local contact uses it: open, edit, connect, preview, save."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PyQt5 import sip
from PyQt5.QtCore import QEventLoop, QModelIndex, Qt, QTimer
from PyQt5.QtWidgets import QApplication

from bricks.motor_brick import MotorBrick
from mxgui.gui.designer.dialogs import Dialogs
from mxgui.gui.designer.document import LayoutDocument
from mxgui.gui.designer.main_window import DesignerWindow
from mxgui.gui.layout import BrickNode, ContainerNode, load_layout
from mxgui.gui.layout_check import check_layout

from helpers import MOTORS_LAYOUT, SIMULATED, threads_left


class FakeDialogs(Dialogs):
    """Answers the designer's questions without showing anything, and records them."""

    def __init__(self) -> None:
        super().__init__(None)
        self.unsaved = "discard"
        self.save_path: str | None = None
        self.confirm_answer = True
        self.asked: list[str] = []
        self.errors: list[str] = []

    def ask_unsaved(self, name: str) -> str:
        self.asked.append(f"unsaved {name}")
        return self.unsaved

    def ask_save_path(self, current: str) -> str | None:
        self.asked.append("save path")
        return self.save_path

    def ask_open_path(self, current: str) -> str | None:
        self.asked.append("open path")
        return None

    def confirm(self, question: str) -> bool:
        self.asked.append(question)
        return self.confirm_answer

    def error(self, message: str) -> None:
        self.errors.append(message)


@pytest.fixture
def designer(qtbot, caplog):
    """Open a designer window on a layout; closed, shut down and checked for threads after."""
    windows: list[DesignerWindow] = []
    threads_before = set(threading.enumerate())

    def make(path: Path | str | None = MOTORS_LAYOUT) -> DesignerWindow:
        window = DesignerWindow([SIMULATED], path)
        window.dialogs = FakeDialogs()
        qtbot.addWidget(window)
        with qtbot.waitActive(window):
            window.show()
            window.activateWindow()
        windows.append(window)
        return window

    yield make
    failed = [r.getMessage() for r in caplog.records if r.name == "mxgui.core.signals"]
    assert not failed, f"a receiver of a document event failed: {failed}"
    for window in windows:
        window.dialogs.unsaved = "discard"
        window.close()
        window.shutdown()
    left = threads_left(threads_before)
    assert not left, f"threads left running: {[t.name for t in left]}"


# helpers: what a user does ------------------------------------------------------------------
def tree_index(window: DesignerWindow, text: str) -> QModelIndex:
    model = window.tree_model

    def walk(parent: QModelIndex) -> QModelIndex | None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            if index.data() == text:
                return index
            found = walk(index)
            if found is not None:
                return found
        return None

    index = walk(QModelIndex())
    assert index is not None, f"no {text!r} in the layout tree"
    return index


def click_tree(qtbot, window: DesignerWindow, text: str):
    index = tree_index(window, text)
    window.tree.scrollTo(index)
    rect = window.tree.visualRect(index)
    qtbot.mouseClick(window.tree.viewport(), Qt.LeftButton, pos=rect.center())
    item = window.tree_model.item(index)
    assert window.selected_item() is item
    return item


def type_into(qtbot, widget, text: str) -> None:
    """Select what the field holds, type ``text``, press Enter."""
    qtbot.mouseClick(widget, Qt.LeftButton)
    qtbot.keyClick(widget, Qt.Key_A, Qt.ControlModifier)
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, Qt.Key_Return)


def choose(qtbot, combo, text: str) -> None:
    """Step to ``text`` in a list with the arrow keys, as with the keyboard."""
    row = combo.findText(text)
    assert row >= 0, f"{text!r} not offered; offered: {combo_items(combo)}"
    while combo.currentIndex() != row:
        qtbot.keyClick(combo, Qt.Key_Down if combo.currentIndex() < row else Qt.Key_Up)
    assert combo.currentText() == text


def combo_items(combo) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def add_motor_to_goniometer(qtbot, window: DesignerWindow, motor: str) -> BrickNode:
    group = click_tree(qtbot, window, "Goniometer")
    window.brick_palette.select("brick", "MotorBrick")
    qtbot.mouseClick(window.brick_palette.add_button, Qt.LeftButton)
    node = window.selected_item()
    assert isinstance(node, BrickNode) and node.class_name == "MotorBrick"
    assert window.document.parent(node) is group and group.children[-1] is node
    type_into(qtbot, window.properties.property_field("motor").combo, motor)
    return node


# the local contact's session ------------------------------------------------------------------
def test_edit_connect_and_save_the_default_layout(designer, qtbot, tmp_path):
    window = designer()
    assert not window.windowTitle().startswith("*")
    assert window.problems_view.model.lines() == []

    phi = click_tree(qtbot, window, "phi")
    assert window.properties.header.text() == "MotorBrick phi"
    step = window.properties.property_field("step")
    assert step.spin.text() == "90.0"
    type_into(qtbot, step.spin, "2.5")
    assert phi.properties["step"] == 2.5
    assert window.windowTitle().startswith("*"), "the title shows the layout is modified"

    motor = add_motor_to_goniometer(qtbot, window, "/phiz")
    assert motor.name == "motor" and motor.properties == {"motor": "/phiz"}

    editor = window.connections
    window.docks["Connections"].raise_()
    assert "log" not in combo_items(editor.sender_box), "LogBrick declares no signal"
    choose(qtbot, editor.sender_box, "energy")
    assert combo_items(editor.signal_box) == ["energyChanged"]
    choose(qtbot, editor.sender_box, "phi")
    choose(qtbot, editor.signal_box, "valueChanged")
    choose(qtbot, editor.receiver_box, "motor")
    assert combo_items(editor.slot_box) == sorted(MotorBrick.declared_slots())
    choose(qtbot, editor.slot_box, "set_step")
    qtbot.mouseClick(editor.add_button, Qt.LeftButton)
    assert editor.model.rowCount() == 1
    qtbot.mouseClick(editor.add_button, Qt.LeftButton)
    assert "exists already" in editor.message.text()
    assert editor.model.rowCount() == 1

    target = tmp_path / "beamline.yml"
    window.dialogs.save_path = str(target)
    window.save_as_action.trigger()
    assert not window.windowTitle().startswith("*")
    assert str(target) in window.windowTitle()
    assert MOTORS_LAYOUT.read_text(encoding="utf-8").count("MotorBrick") == 5, "untouched"

    saved = load_layout(target)
    check_layout(saved)
    assert saved.all_errors() == []
    bricks = {b.name: b for b in saved.bricks()}
    assert bricks["phi"].properties["step"] == 2.5
    assert bricks["motor"].class_name == "MotorBrick"
    assert bricks["motor"].properties == {"motor": "/phiz"}
    group = saved.windows[0].content.children[0].children[0]
    assert group.title == "Goniometer" and group.children[-1].name == "motor"
    connection = saved.connections[0]
    assert (connection.sender, connection.signal, connection.receiver, connection.slot) == (
        "phi",
        "valueChanged",
        "motor",
        "set_step",
    )


def test_wrong_values_are_refused_with_the_reason_and_change_nothing(designer, qtbot):
    window = designer()
    phi = click_tree(qtbot, window, "phi")
    editor = window.properties
    step = editor.property_field("step")

    type_into(qtbot, step.spin, "abc")
    assert "expects a number, got 'abc'" in editor.message.text()
    assert phi.properties["step"] == 90.0
    assert step.spin.text() == "90.0", "the editor shows the stored value again"

    type_into(qtbot, step.spin, "-1")
    assert "below the minimum 0.0" in editor.message.text()
    assert phi.properties["step"] == 90.0

    type_into(qtbot, editor.property_field("motor").combo, "phiz")
    assert "expects a hardware object name such as /phi" in editor.message.text()
    assert phi.properties["motor"] == "/phi"

    name = editor.attribute_field("name").line
    type_into(qtbot, name, "phiy")
    assert "exists already" in editor.message.text()
    assert phi.name == "phi"
    qtbot.keyClick(name, Qt.Key_Delete)
    assert window.document.brick("phi") is phi, "Delete in a text field never removes the brick"
    assert not window.document.modified
    assert not window.windowTitle().startswith("*")


def test_preview_shows_the_new_brick_and_rebuilds_without_leaks(designer, qtbot):
    window = designer()
    add_motor_to_goniometer(qtbot, window, "/phiz")
    qtbot.waitUntil(lambda: window.preview.built and "motor" in window.preview.built.bricks)
    brick = window.preview.built.bricks["motor"]
    assert isinstance(brick, MotorBrick)
    # the preview is inert (issue 11 item 15): the brick is built and /phiz's file checked,
    # but the brick is not connected to the motor and no hardware object exists
    assert brick.motor is None and brick.failure is None
    assert window.repository.loaded() == {}
    assert window.preview.isAncestorOf(brick) and brick.isVisible()
    for _ in range(3):
        window.rebuild_action.trigger()
    qtbot.waitUntil(lambda: sip.isdeleted(brick))  # the old bricks go
    assert window.preview.tabs.count() == len(window.document.layout.windows)
    # an object of the wrong kind: red in the preview and a problem, as in mxgui
    type_into(qtbot, window.properties.property_field("motor").combo, "/energy")
    window.preview.refresh()
    assert window.preview.built.bricks["motor"].failure == (
        "motor = /energy: SimulatedEnergy is not an AbstractMotor"
    )
    # a brick bound to an object the repository does not have: red in the preview and a problem
    type_into(qtbot, window.properties.property_field("motor").combo, "/nothing")
    window.preview.refresh()
    assert window.preview.built.bricks["motor"].failure
    problems = [p for p in window.problems if p.item is window.document.brick("motor")]
    assert problems and all(p.key == "motor" for p in problems)


BROKEN = """\
format_version: 1
windows:
  - name: main
    content:
      type: vbox
      colour: red
      children:
        - class: MotorBrick
          name: phi
          properties:
            motor: /phi
            speed: 3
        - class: NoSuchBrick
          name: ghost
connections:
  - {sender: phi, signal: sig_nothing, receiver: phi, slot: stop}
"""


def test_a_broken_layout_lists_its_errors_by_line_and_can_be_fixed(designer, qtbot, tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text(BROKEN, encoding="utf-8")
    window = designer(path)
    lines = window.problems_view.model.lines()
    assert any(line.startswith(f"{path}:6: unknown key 'colour'") for line in lines), lines
    assert any(line.startswith(f"{path}:12: brick phi") and "'speed'" in line for line in lines)
    assert any(line.startswith(f"{path}:13: brick ghost") for line in lines), lines
    assert any(line.startswith(f"{path}:16: connection sender 'phi'") for line in lines), lines
    assert window.docks["Problems"].windowTitle() == f"Problems ({len(lines)})"

    # double-clicking a problem selects its brick; remove the unknown property there
    row = next(i for i, line in enumerate(lines) if "'speed'" in line)
    window.go_to(window.problems_view.model.problems[row])
    phi = window.selected_item()
    assert isinstance(phi, BrickNode) and phi.name == "phi"
    qtbot.mouseClick(window.properties.reset_button("speed"), Qt.LeftButton)
    assert "speed" not in phi.properties
    lines = window.problems_view.model.lines()
    assert not any("speed" in line for line in lines), "checked again after the edit"
    assert any(line.startswith(f"{path}:16: ") and "sig_nothing" in line for line in lines), lines
    click_tree(qtbot, window, "ghost")
    window.remove_action.trigger()
    window.connections.view.selectRow(0)
    qtbot.mouseClick(window.connections.remove_button, Qt.LeftButton)
    remaining = window.problems_view.model.lines()
    assert (
        len(remaining) == 1
        and "colour" in remaining[0]
        and "as read" in window.problems_view.model.data(window.problems_view.model.index(0, 1))
    )
    assert window.save()
    assert window.problems_view.model.lines() == []
    fixed = load_layout(path)
    check_layout(fixed)
    assert fixed.all_errors() == []


def test_a_file_that_is_not_yaml_is_reported_with_its_line(designer, tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("windows:\n  - name: main\n    content: {type: vbox\n", encoding="utf-8")
    window = designer(path)
    lines = window.problems_view.model.lines()
    assert len(lines) == 1 and lines[0].startswith(f"{path}:3: bad YAML"), lines
    assert f"could not read {path}" in window.windowTitle()
    assert window.document.path is None, "saving asks for a file instead of overwriting"


def test_a_new_file_starts_with_a_main_window_and_a_vbox(designer, qtbot, tmp_path):
    path = tmp_path / "new.yml"
    window = designer(path)
    assert not path.exists()
    [main] = window.document.layout.windows
    assert main.name == "main" and isinstance(main.content, ContainerNode)
    assert main.content.type == "vbox" and main.content.children == []
    click_tree(qtbot, window, "(vbox)")
    window.brick_palette.select("container", "tab")
    qtbot.mouseClick(window.brick_palette.add_button, Qt.LeftButton)
    window.brick_palette.select("brick", "LogBrick")
    qtbot.mouseClick(window.brick_palette.add_button, Qt.LeftButton)
    assert window.save()
    assert window.dialogs.asked == [], "the file name is known"
    saved = load_layout(path)
    tab = saved.windows[0].content.children[0]
    assert tab.type == "tab" and [b.class_name for b in tab.children] == ["LogBrick"]


def test_move_remove_and_rename_keep_connections_consistent(designer, qtbot):
    window = designer()
    document = window.document
    from mxgui.gui.layout import Connection

    document.add_connection(Connection("phi", "valueChanged", "phiy", "set_step"))
    document.add_connection(Connection("energy", "energyChanged", "sampx", "set_step"))
    phiy = click_tree(qtbot, window, "phiy")
    group = document.parent(phiy)
    qtbot.keyClick(window.tree, Qt.Key_Up, Qt.ControlModifier)
    assert [b.name for b in group.children][:2] == ["phiy", "phi"]
    assert window.selected_item() is phiy
    assert not window.up_action.isEnabled()
    window.down_action.trigger()
    window.down_action.trigger()
    assert [b.name for b in group.children][:3] == ["phi", "phiz", "phiy"]

    type_into(qtbot, window.properties.attribute_field("name").line, "omega_y")
    assert phiy.name == "omega_y"
    assert document.layout.connections[0].receiver == "omega_y"
    assert window.connections.model.index(0, 2).data() == "omega_y"

    click_tree(qtbot, window, "Beam")
    window.dialogs.confirm_answer = False
    qtbot.keyClick(window.tree, Qt.Key_Delete)
    assert window.dialogs.asked[-1] == "Remove Beam and the 1 brick(s) it holds?"
    assert document.brick("energy") is not None, "the user said no"
    window.dialogs.confirm_answer = True
    qtbot.keyClick(window.tree, Qt.Key_Delete)
    assert document.brick("energy") is None
    assert [c.sender for c in document.layout.connections] == ["phi"]
    assert "1 connection" in window.statusBar().currentMessage()


def test_container_attributes_are_checked(designer, qtbot):
    window = designer()
    group = click_tree(qtbot, window, "Goniometer")
    editor = window.properties
    type_into(qtbot, editor.attribute_field("title").line, "Gonio")
    assert group.title == "Gonio"
    assert tree_index(window, "Gonio").isValid(), "the tree follows"
    splitter = click_tree(qtbot, window, "(vsplitter)")
    type_into(qtbot, editor.attribute_field("sizes").line, "300, big")
    assert "whole numbers" in editor.message.text() and splitter.sizes == [420, 280]
    type_into(qtbot, editor.attribute_field("sizes").line, "300, 400")
    assert splitter.sizes == [300, 400]
    choose(qtbot, editor.attribute_field("type").combo, "hsplitter")
    assert splitter.type == "hsplitter"


def test_closing_with_unsaved_changes_asks(designer, qtbot, tmp_path):
    path = tmp_path / "layout.yml"
    path.write_text(MOTORS_LAYOUT.read_text(encoding="utf-8"), encoding="utf-8")
    window = designer(path)
    window.document.set_property(window.document.brick("phi"), "step", 1.0)
    window.dialogs.unsaved = "cancel"
    assert not window.close()
    assert window.isVisible()
    window.dialogs.unsaved = "save"
    assert window.close()
    assert load_layout(path).bricks()[0].properties["step"] == 1.0
    assert window.dialogs.asked == [f"unsaved {path}"] * 2


def test_tree_model_is_a_consistent_qt_model(designer, qtmodeltester, qtbot):
    window = designer()
    qtmodeltester.check(window.tree_model, force_py=True)
    document = window.document
    window.select_item(document.brick("phiz"))
    window.brick_palette.select("container", "hbox")
    qtbot.mouseClick(window.brick_palette.add_button, Qt.LeftButton)
    window.add_window()
    window.move_selected(-1)
    qtmodeltester.check(window.tree_model, force_py=True)


def test_document_events_pair_around_changes():
    document = LayoutDocument.load(MOTORS_LAYOUT)
    events: list[str] = []
    for name in ("inserting", "inserted", "removing", "removed", "edited"):
        document.connect(name, lambda *args, name=name: events.append(name))
    node = document.add_brick("EnergyBrick", document.brick("energy"))
    assert node.name == "energy2"
    document.remove(node)
    assert events == ["inserting", "inserted", "edited", "removing", "removed", "edited"]


def test_mxgui_design_runs_until_the_window_closes(qtbot, tmp_path, monkeypatch):
    from mxgui.gui import command_line

    monkeypatch.setattr(command_line, "setup_logging", lambda level: None)
    monkeypatch.setattr(command_line, "install_excepthook", lambda: None)
    seen: list[DesignerWindow] = []

    def close_designer() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, DesignerWindow) and widget.isVisible():
                seen.append(widget)
                widget.close()

    QTimer.singleShot(300, close_designer)
    guard = QTimer()  # never hang the test run
    guard.setSingleShot(True)
    guard.timeout.connect(QApplication.instance().quit)
    guard.start(20000)
    path = tmp_path / "design.yml"
    try:
        code = command_line.main(["--design", str(path), "--repository", str(SIMULATED)])
    finally:
        guard.stop()
    assert code == 0
    assert len(seen) == 1 and seen[0].windowTitle().startswith(str(path))
    assert not path.exists(), "nothing was saved"
    # the Qt application is left usable: a later event loop runs until it is told to stop
    loop = QEventLoop()
    QTimer.singleShot(50, loop.quit)
    started = time.monotonic()
    assert loop.exec_() == 0 and time.monotonic() - started >= 0.04


def test_each_property_kind_gets_its_editor_and_choosers_commit(qtbot):
    from mxgui.gui import properties as p
    from mxgui.gui.designer import value_editors
    from mxgui.gui.designer.property_editor import PropertyEditor

    editor = PropertyEditor(["/phi", "/energy"])
    qtbot.addWidget(editor)
    expected = {
        p.string("s"): value_editors.TextField,
        p.integer("i"): value_editors.NumberField,
        p.floating("f"): value_editors.NumberField,
        p.boolean("b"): value_editors.BoolField,
        p.combo("c", ("a", "b")): value_editors.ChoiceField,
        p.file("path"): value_editors.ChooserField,
        p.color("colour"): value_editors.ColorField,
        p.hardware_object("motor"): value_editors.HardwareObjectField,
    }
    for spec, cls in expected.items():
        assert type(editor._field_for(spec)) is cls, spec.kind
    combo = editor._field_for(p.hardware_object("motor")).combo
    assert combo_items(combo) == ["", "/phi", "/energy"] and combo.isEditable()

    editor.choose_color = lambda current: "#ff0000"
    colour = editor._field_for(p.color("colour"))
    qtbot.addWidget(colour)
    with qtbot.waitSignal(colour.valueCommitted) as committed:
        qtbot.mouseClick(colour.button, Qt.LeftButton)
    assert committed.args == ["#ff0000"]
    editor.choose_file = lambda current: None  # cancelled: nothing committed
    path = editor._field_for(p.file("path"))
    qtbot.addWidget(path)
    with qtbot.assertNotEmitted(path.valueCommitted):
        qtbot.mouseClick(path.button, Qt.LeftButton)
