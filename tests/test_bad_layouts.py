"""Broken layout files: one clear error each, and the application still starts.

The corpus is ``tests/data/bad_layouts`` (see its README): each file is the default
layout with one defect. For every case the test checks what a local contact reads (the
file, the exact line, a phrase saying what is wrong or what was expected), then starts
the application on the file as a user would and checks that the main window is up, the
broken part is shown as an error in its place, and an unaffected motor still moves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from PyQt5.QtWidgets import QPlainTextEdit

from mxgui.core.repository import HardwareRepository
from mxgui.gui.builder import ErrorPlaceholder
from mxgui.gui.check import check_layout_hardware
from mxgui.gui.layout import LayoutError, load_layout
from mxgui.gui.layout_check import check_layout

from helpers import (
    DEFAULT_LAYOUT,
    SIMULATED,
    copy_with_broken_phiy,
    line_of,
    show_brick,
    type_into,
)

CORPUS = Path(__file__).parent / "data" / "bad_layouts"
#: the line of the default layout that binds the phiy brick to its motor
PHIY_LINE = line_of(DEFAULT_LAYOUT, "motor: /phiy")
DEFAULT_BRICKS = {"phi", "phiy", "phiz", "sampx", "sampy", "energy", "log"}

FATAL, BRICK, CONTAINER, CONNECTION, HARDWARE = (
    "fatal",
    "brick",
    "container",
    "connection",
    "hardware",
)


@dataclass(frozen=True)
class Case:
    """One broken layout of the corpus.

    The error expected is in ``file`` at ``line`` (``None``: no line, e.g. no file) with
    every one of ``phrases`` in its message. ``kind`` says where it shows: ``fatal``
    (the whole file is unusable: :class:`LayoutError`), ``brick`` / ``container`` (that
    node becomes an :class:`ErrorPlaceholder`), ``connection`` (every brick is built,
    the connection is not made) or ``hardware`` (the layout is fine, the brick's
    hardware object is not: the brick is red and disabled). ``missing`` are the bricks
    of the default layout that are not built; ``failed`` the brick that is built but
    disabled.
    """

    file: str
    line: int | None
    phrases: tuple[str, ...]
    kind: str
    missing: tuple[str, ...] = ()
    failed: str | None = None

    @property
    def path(self) -> Path:
        return CORPUS / self.file

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)

    def __str__(self) -> str:
        return self.file


CASES = [
    # the whole file is unusable
    Case("bad_yaml_syntax.yml", 20, ("bad YAML", "mapping values are not allowed"), FATAL),
    Case(
        "bad_yaml_unclosed_quote.yml",
        20,
        ("bad YAML", "quoted scalar", "unclosed quote"),
        FATAL,
    ),
    Case("top_level_list.yml", 2, ("must be a mapping with 'windows'",), FATAL),
    Case("no_windows.yml", 3, ("'windows' must be a non-empty list",), FATAL),
    Case(
        "newer_format_version.yml",
        2,
        ("format_version 2 is newer", "(1)", "upgrade mxgui"),
        FATAL,
    ),
    Case("no_such_layout.yml", None, ("cannot read the layout file",), FATAL),
    # one container
    Case(
        "unknown_container_type.yml",
        31,
        ("unknown container type 'frame'", "groupbox", "vsplitter"),
        CONTAINER,
        missing=("energy",),
    ),
    Case(
        "children_not_list.yml",
        33,
        ("'children' must be a list",),
        CONTAINER,
        missing=("energy",),
    ),
    # one brick
    Case(
        "unknown_brick_class.yml",
        19,
        ("unknown brick class 'MotorBrik'", "MotorBrick"),
        BRICK,
        missing=("phiy",),
    ),
    Case("brick_without_name.yml", 19, ("MotorBrick needs a 'name'",), BRICK, missing=("phiy",)),
    Case(
        "duplicate_brick_name.yml",
        22,
        ("'phiy' is used twice", "unique"),
        BRICK,
        missing=("phiz",),
    ),
    Case(
        "unknown_brick_key.yml",
        21,
        ("unknown key 'propertes'", "brick phiy", "properties"),
        BRICK,
        missing=("phiy",),
    ),
    Case(
        "unknown_property.yml",
        26,
        ("phiz (MotorBrick) has no property 'stepsize'", "show_step, step"),
        BRICK,
        missing=("phiz",),
    ),
    Case(
        "wrong_type_float.yml",
        27,
        ("brick sampx", "'step' expects a number", "'fast'"),
        BRICK,
        missing=("sampx",),
    ),
    Case(
        "wrong_type_bool.yml",
        33,
        ("brick sampy", "'show_step' expects true or false", "got 3"),
        BRICK,
        missing=("sampy",),
    ),
    Case(
        "wrong_combo_choice.yml",
        42,
        ("brick log", "'level' expects one of", "'WARNING'", "'VERBOSE'"),
        BRICK,
        missing=("log",),
    ),
    Case(
        "hardware_object_without_slash.yml",
        21,
        ("brick phiy", "'motor' expects a hardware object name such as /phi", "'phiy'"),
        BRICK,
        missing=("phiy",),
    ),
    Case(
        "property_below_minimum.yml",
        24,
        ("brick phiz", "'step'", "-0.1 is below the minimum 0"),
        BRICK,
        missing=("phiz",),
    ),
    Case(
        "property_above_maximum.yml",
        42,
        ("brick log", "'capacity'", "5000000 is above the maximum 1000000"),
        BRICK,
        missing=("log",),
    ),
    # one connection
    Case(
        "unknown_signal.yml",
        45,
        ("phi (MotorBrick) has no signal 'sig_value_changd'", "declares: valueChanged"),
        CONNECTION,
    ),
    Case(
        "unknown_slot.yml",
        47,
        ("phiy (MotorBrick) has no slot 'set_stepsize'", "move_to, set_step, stop"),
        CONNECTION,
    ),
    Case(
        "connection_to_missing_brick.yml",
        46,
        ("receiver 'omega' is not a brick of this layout",),
        CONNECTION,
    ),
    Case("connection_missing_key.yml", 44, ("connection needs slot",), CONNECTION),
    # the layout is right, the hardware object is not
    Case(
        "hardware_object_missing.yml",
        21,
        ("brick phiy", "motor = /nosuchmotor", "no file for hardware object /nosuchmotor"),
        HARDWARE,
        failed="phiy",
    ),
    Case(
        "hardware_object_wrong_interface.yml",
        21,
        ("brick phiy", "motor = /energy", "SimulatedEnergy", "AbstractMotor"),
        HARDWARE,
        failed="phiy",
    ),
]


def test_every_corpus_file_is_a_case():
    files = {p.name for p in CORPUS.glob("*.yml")}
    cases = {c.file for c in CASES if c.path.exists()}
    assert files == cases
    assert len(CASES) >= 14
    for name in files:
        assert (CORPUS / name).read_text().startswith("# Broken on purpose: "), name


def assert_names_the_place(error, case: Case) -> None:
    assert error.path == str(case.path)
    assert error.line == case.line, f"{case}: {error}"
    text = str(error)
    assert text.startswith(case.where + ": ")
    for phrase in case.phrases:
        assert phrase in text, f"{case}: {phrase!r} not in {text!r}"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_one_clear_error_at_the_right_line(case):
    if case.kind == FATAL:
        with pytest.raises(LayoutError) as info:
            load_layout(case.path)
        assert_names_the_place(info.value, case)
        return
    layout = load_layout(case.path)
    check_layout(layout)
    errors = layout.all_errors()
    if case.kind == HARDWARE:
        assert errors == []
        repository = HardwareRepository([SIMULATED])
        try:
            check_layout_hardware(layout, repository)
        finally:
            repository.shutdown()
        errors = layout.all_errors()
    assert len(errors) == 1, [str(e) for e in errors]
    assert_names_the_place(errors[0], case)
    built = {b.name for b in layout.bricks() if b.error is None}
    if case.kind != HARDWARE:
        assert built == DEFAULT_BRICKS - set(case.missing)


def assert_motor_moves(app, qtbot, name: str = "phi", target: float = 9.0) -> None:
    brick = app.built.bricks[name]
    motor = app.repository.get(f"/{name}")
    show_brick(brick)
    assert brick.isEnabled() and brick.failure is None
    assert motor.get_value() != target
    type_into(qtbot, brick.position, f"{target:g}")
    qtbot.waitUntil(lambda: abs(motor.get_value() - target) < 1e-9, timeout=3000)
    qtbot.waitUntil(lambda: abs(brick.position.value() - target) < 1e-6, timeout=1000)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_the_application_starts_and_the_rest_works(case, make_app, qtbot):
    app = make_app(case.path)
    main = app.windows[0]
    assert main.isVisible()
    if case.kind == FATAL:
        view = main.centralWidget()
        assert isinstance(view, QPlainTextEdit) and view.isVisible()
        text = view.toPlainText()
        assert case.where + ": " in text
        for phrase in case.phrases:
            assert phrase in text
        assert app.built.bricks == {}
        qtbot.waitUntil(lambda: case.where in app.status_bar.message_label.text(), timeout=2000)
        return

    placeholders = main.findChildren(ErrorPlaceholder)
    if case.kind in (BRICK, CONTAINER):
        assert len(placeholders) == 1
        placeholder = placeholders[0]
        assert placeholder.isVisible()
        assert placeholder.text().startswith(f"⚠ {case.where}: ")
        for phrase in case.phrases:
            assert phrase in placeholder.text()
    else:
        assert placeholders == []
    assert set(app.built.bricks) == DEFAULT_BRICKS - set(case.missing)
    assert len(app.built.errors) == 1
    assert_names_the_place(app.built.errors[0], case)

    if case.kind == HARDWARE:
        brick = app.built.bricks[case.failed]
        assert brick.isVisible() and not brick.isEnabled()
        assert brick.property("failed") == "true"
        for phrase in case.phrases[1:]:
            assert phrase in brick.failure
            assert phrase in brick.toolTip()
    else:
        # the user sees the error in the status bar without opening the log
        qtbot.waitUntil(lambda: case.where in app.status_bar.message_label.text(), timeout=2000)
        for brick in app.built.bricks.values():
            assert brick.isEnabled() and brick.failure is None, brick.name

    assert_motor_moves(app, qtbot)


def test_broken_hardware_xml_shows_in_its_brick_and_the_rest_works(make_app, qtbot, tmp_path):
    repository = copy_with_broken_phiy(tmp_path / "simulated")
    phiy = repository / "phiy.xml"

    app = make_app(DEFAULT_LAYOUT, [repository])
    main = app.windows[0]
    assert main.isVisible()
    assert main.findChildren(ErrorPlaceholder) == []
    brick = app.built.bricks["phiy"]
    show_brick(brick)
    assert brick.isVisible() and not brick.isEnabled()
    assert brick.property("failed") == "true"
    assert f"{phiy}:6: " in brick.toolTip()
    assert "expected a number, got 'fast'" in brick.toolTip()
    # the bricks that fail are exactly those bound to an object that failed: /phiy, and
    # what needs it through a required role (/diffractometer, then /collect)
    assert {"/phiy", "/diffractometer", "/collect"} <= set(app.repository.failures)
    failed = {name for name, b in app.built.bricks.items() if b.failure is not None}
    bound_to_failed = {
        node.name
        for node in app.built.layout.bricks()
        if any(value in app.repository.failures for value in node.properties.values())
    }
    assert {"phiy", "sample_view", "collection_progress"} <= bound_to_failed
    assert failed == bound_to_failed
    # each layout error points at a brick's property and carries the XML's place
    assert len(app.built.errors) == len(failed)
    for error in app.built.errors:
        assert f"{phiy}:6: " in error.message
    assert (str(DEFAULT_LAYOUT), PHIY_LINE) in {(e.path, e.line) for e in app.built.errors}
    hardware = app.status_bar.hardware_label
    # /phiy failed, and with it whatever needs it as a required role (the diffractometer)
    assert re.fullmatch(r"Hardware: \d+ OK, \d+ failed", hardware.text())
    assert "/phiy: " in hardware.toolTip()
    assert f"{phiy}:6: " in hardware.toolTip()
    for name, other in app.built.bricks.items():
        assert other.isEnabled() == (name not in failed), name
    assert_motor_moves(app, qtbot)
