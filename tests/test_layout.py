"""Layout files: the default layout, saving and loading back, connections, brick API."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import yaml
from PyQt5.QtCore import pyqtSignal

from mxgui.gui.brick import Brick
from mxgui.gui.layout import (
    ContainerNode,
    LayoutError,
    layout_to_data,
    load_layout,
    parse_layout,
    save_layout,
)
from mxgui.gui.layout_check import check_layout

from helpers import MOTORS_LAYOUT, type_into

DEFAULT_ORDER = ["phi", "phiy", "phiz", "sampx", "sampy", "energy", "log"]

# two windows, a tab, labels, sizes and a connection: everything the format can say
RICH_LAYOUT = """\
format_version: 1
windows:
  - name: main
    title: Main
    size: [800, 600]
    content:
      type: tab
      children:
        - type: vbox
          label: Motors
          children:
            - class: MotorBrick
              name: phi
              label: Omega
              properties: {motor: /phi, step: 90.0, show_step: false, decimals: 2}
            - class: MotorBrick
              name: phiy
              properties: {motor: /phiy}
        - type: hsplitter
          label: Beam
          sizes: [300, 200]
          children:
            - class: EnergyBrick
              name: energy
              properties: {allow_set: false}
            - class: LogBrick
              name: log
              properties: {level: WARNING, capacity: 200}
  - name: extra
    title: Extra
    show: false
    content:
      type: groupbox
      title: Alignment
      children:
        - class: MotorBrick
          name: sampx
          properties: {motor: /sampx, label: "Centring X"}
connections:
  - {sender: phi, signal: valueChanged, receiver: phiy, slot: set_step}
"""


def test_default_layout_loads_without_errors_in_file_order():
    layout = load_layout(MOTORS_LAYOUT)
    classes = check_layout(layout)
    assert layout.all_errors() == []
    assert [b.name for b in layout.bricks()] == DEFAULT_ORDER
    assert {name: cls.__name__ for name, cls in classes.items()} == {
        "phi": "MotorBrick",
        "phiy": "MotorBrick",
        "phiz": "MotorBrick",
        "sampx": "MotorBrick",
        "sampy": "MotorBrick",
        "energy": "EnergyBrick",
        "log": "LogBrick",
    }
    (window,) = layout.windows
    assert (window.name, window.title, window.size) == (
        "main",
        "mxgui - simulated beamline",
        (1100, 700),
    )
    assert isinstance(window.content, ContainerNode)
    assert (window.content.type, window.content.sizes) == ("vsplitter", [420, 280])
    phi = layout.bricks()[0]
    assert (phi.class_name, phi.line, phi.properties) == (
        "MotorBrick",
        16,
        {"motor": "/phi", "step": 90.0},
    )
    assert phi.property_lines == {"motor": 18, "step": 18}


def test_save_then_load_gives_the_same_layout(tmp_path):
    original = parse_layout(RICH_LAYOUT, "rich.yml")
    check_layout(original)
    assert original.all_errors() == []
    saved = tmp_path / "rich.yml"
    save_layout(original, saved)
    loaded = load_layout(saved)
    check_layout(loaded)
    assert loaded.all_errors() == []
    assert layout_to_data(loaded) == layout_to_data(original)
    # the model itself, not only its serialisation
    assert [(w.name, w.title, w.size, w.show) for w in loaded.windows] == [
        ("main", "Main", (800, 600), True),
        ("extra", "Extra", None, False),
    ]
    assert [(b.class_name, b.name, b.label, b.properties) for b in loaded.bricks()] == [
        (b.class_name, b.name, b.label, b.properties) for b in original.bricks()
    ]
    assert loaded.bricks()[0].properties == {
        "motor": "/phi",
        "step": 90.0,
        "show_step": False,
        "decimals": 2,
    }
    tab = loaded.windows[0].content
    assert [c.label for c in tab.children] == ["Motors", "Beam"]
    assert tab.children[1].sizes == [300, 200]
    assert [(c.sender, c.signal, c.receiver, c.slot) for c in loaded.connections] == [
        ("phi", "valueChanged", "phiy", "set_step")
    ]
    # saving again is stable: the same text
    again = tmp_path / "again.yml"
    save_layout(loaded, again)
    assert again.read_text() == saved.read_text()


def test_default_layout_round_trips(tmp_path):
    original = load_layout(MOTORS_LAYOUT)
    save_layout(original, tmp_path / "default.yml")
    loaded = load_layout(tmp_path / "default.yml")
    check_layout(loaded)
    assert loaded.all_errors() == []
    assert layout_to_data(loaded) == layout_to_data(original)
    assert [b.name for b in loaded.bricks()] == DEFAULT_ORDER


def leftovers(directory: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


def test_save_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "layout.yml"
    target.write_text("old content\n")
    os.chmod(target, 0o664)
    save_layout(load_layout(MOTORS_LAYOUT), target)
    assert leftovers(tmp_path, {"layout.yml"}) == []
    assert [b.name for b in load_layout(target).bricks()] == DEFAULT_ORDER
    # a shared layout stays readable by the other users of the beamline
    assert stat.S_IMODE(target.stat().st_mode) == 0o664


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        save_layout(load_layout(MOTORS_LAYOUT), tmp_path / "new.yml")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.yml").stat().st_mode) == 0o644


def test_a_failing_save_leaves_the_original_untouched(tmp_path, monkeypatch):
    target = tmp_path / "layout.yml"
    original = MOTORS_LAYOUT.read_text()
    target.write_text(original)
    layout = load_layout(target)
    layout.bricks()[0].properties["step"] = 45.0

    def refuse(*args, **kwargs):
        raise yaml.YAMLError("cannot represent this")

    monkeypatch.setattr(yaml, "safe_dump", refuse)
    with pytest.raises(yaml.YAMLError):
        save_layout(layout, target)
    assert target.read_text() == original
    assert leftovers(tmp_path, {"layout.yml"}) == []
    monkeypatch.undo()

    # the disk fails while the new file is put in place: same result
    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        save_layout(layout, target)
    assert target.read_text() == original
    assert leftovers(tmp_path, {"layout.yml"}) == []


def test_layouts_are_data_python_tags_are_refused():
    text = MOTORS_LAYOUT.read_text().replace(
        "properties: {level: INFO}", 'properties: !!python/object/apply:os.system ["echo pwned"]'
    )
    with pytest.raises(LayoutError) as info:
        parse_layout(text, "evil.yml")
    assert info.value.line == 42
    assert "bad YAML" in str(info.value) and "python/object/apply" in str(info.value)


def test_unknown_top_level_window_and_connection_keys_are_reported_with_their_line():
    text = MOTORS_LAYOUT.read_text().replace("    size: [1100, 700]", "    sise: [1100, 700]")
    text = text.replace(
        "connections: []",
        "connections:\n  - {sender: phi, signal: valueChanged, receiver: phiy,"
        " slot: set_step, when: always}",
    )
    layout = parse_layout(text, "keys.yml")
    check_layout(layout)
    errors = [(e.line, e.message) for e in layout.all_errors()]
    assert errors == [
        (6, "unknown key 'sise' in window main; expected: content, name, show, size, title"),
        (44, "unknown key 'when' in connection; expected: receiver, sender, signal, slot"),
    ]


# connections between real bricks ------------------------------------------------------------
def test_a_connection_carries_one_bricks_signal_to_another_bricks_slot(make_app, qtbot, tmp_path):
    path = tmp_path / "connected.yml"
    path.write_text(RICH_LAYOUT)
    app = make_app(path)
    assert app.built.errors == []
    phi, phiy = app.built.bricks["phi"], app.built.bricks["phiy"]
    assert phi.label.text() == "Omega"
    assert phiy.step_box.value() == 1.0
    type_into(qtbot, phi.position, "12")
    qtbot.waitUntil(lambda: abs(app.repository.get("/phi").get_value() - 12.0) < 1e-9, timeout=3000)
    # phiy's step follows phi's position, as the connection says
    qtbot.waitUntil(lambda: abs(phiy.step_box.value() - 12.0) < 1e-9, timeout=1000)
    # an unconnected brick is not affected
    assert app.built.bricks["sampx"].step_box.value() == 1.0
    # the second window exists but is hidden, as the layout says
    assert [w.isVisible() for w in app.windows] == [True, False]


# the brick property API ----------------------------------------------------------------------
def test_set_property_checks_the_type_and_the_name(make_app):
    app = make_app()
    brick = app.built.bricks["phi"]
    with pytest.raises(ValueError, match=r"'step' expects a number, got 'fast'"):
        brick.set_property("step", "fast")
    assert brick.get_property("step") == 90.0
    assert brick.step_box.value() == 90.0
    with pytest.raises(ValueError, match=r"'show_step' expects true or false"):
        brick.set_property("show_step", 3)
    with pytest.raises(ValueError, match=r"'step': -1.0 is below the minimum 0"):
        brick.set_property("step", -1)
    with pytest.raises(KeyError) as info:
        brick.set_property("stepsize", 2.0)
    assert "'stepsize'" in str(info.value)
    assert "decimals, label, motor, show_step, step" in str(info.value)
    with pytest.raises(KeyError, match="stepsize"):
        brick.get_property("stepsize")
    # a good value is converted and shown
    brick.set_property("step", 2)
    assert brick.get_property("step") == 2.0 and isinstance(brick.get_property("step"), float)
    assert brick.step_box.value() == 2.0
    brick.set_property("show_step", False)
    assert not brick.step_box.isVisible() and not brick.plus.isVisible()
    log_brick = app.built.bricks["log"]
    with pytest.raises(ValueError, match=r"'level' expects one of 'DEBUG', 'INFO'"):
        log_brick.set_property("level", "VERBOSE")


def test_declaring_a_signal_or_slot_that_does_not_exist_fails_at_class_creation():
    with pytest.raises(TypeError, match=r"BadSignalBrick declares signal 'positionMoved'"):

        class BadSignalBrick(Brick):
            valueChanged = pyqtSignal(float)
            SIGNALS = ("valueChanged", "positionMoved")

    with pytest.raises(TypeError, match=r"BadSlotBrick declares slot 'reset'"):

        class BadSlotBrick(Brick):
            SLOTS = ("reset",)

    class GoodBrick(Brick):
        valueChanged = pyqtSignal(float)
        SIGNALS = ("valueChanged",)
        SLOTS = ("reset",)

        def reset(self) -> None:
            pass

    assert GoodBrick.declared_signals() == {"valueChanged"}
    assert GoodBrick.declared_slots() == {"reset"}
