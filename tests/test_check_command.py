"""``mxgui --check``: what a local contact runs before a shift, as a real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from lxml import etree

from helpers import DEFAULT_LAYOUT, ROOT, SIMULATED, copy_with_broken_phiy, line_of

#: the line of the default layout that binds the phiy brick to its motor
PHIY_LINE = line_of(DEFAULT_LAYOUT, "motor: /phiy")
BAD_LAYOUTS = Path(__file__).parent / "data" / "bad_layouts"


def _objects() -> dict[str, str]:
    """Every object of the simulated beamline and its class, read from the XML files."""
    objects = {}
    for path in sorted(SIMULATED.rglob("*.xml")):
        name = "/" + str(path.relative_to(SIMULATED).with_suffix(""))
        objects[name] = etree.parse(str(path)).getroot().get("class").rsplit(".", 1)[-1]
    return dict(sorted(objects.items()))


def _brick_nodes(node) -> list[dict]:
    """Every brick of a layout tree (file order)."""
    if isinstance(node, dict) and "class" in node:
        return [node]
    children = node.get("children", []) if isinstance(node, dict) else node
    return [brick for child in children for brick in _brick_nodes(child)]


OBJECTS = _objects()
_DEFAULT_BRICKS = _brick_nodes(
    [w["content"] for w in yaml.safe_load(DEFAULT_LAYOUT.read_text())["windows"]]
)
BRICKS = {node["name"]: node["class"] for node in _DEFAULT_BRICKS}
CONNECTIONS = [
    f"{c['sender']}.{c['signal']} -> {c['receiver']}.{c['slot']}"
    for c in yaml.safe_load(DEFAULT_LAYOUT.read_text()).get("connections") or []
]


def bricks_bound_to(objects: set[str]) -> set[str]:
    """Names of the default layout's bricks with a property naming one of ``objects``."""
    return {
        node["name"]
        for node in _DEFAULT_BRICKS
        if objects & set((node.get("properties") or {}).values())
    }


def mxgui(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "mxgui", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def ok_lines(objects=OBJECTS, bricks=BRICKS, connections=CONNECTIONS) -> list[str]:
    return (
        [f"OK      {name} ({cls})" for name, cls in objects.items()]
        + [f"OK      brick {name} ({cls})" for name, cls in bricks.items()]
        + [f"OK      connection {label}" for label in connections]
    )


def test_check_of_the_default_configuration_passes_with_one_line_per_item(tmp_path):
    result = mxgui("--check", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [*ok_lines(), "check passed"]
    assert result.stderr == ""


@pytest.fixture
def broken_repository(tmp_path) -> Path:
    """A copy of the simulated beamline whose /phiy has a velocity that is not a number."""
    return copy_with_broken_phiy(tmp_path / "simulated")


def test_a_broken_hardware_file_fails_the_check_naming_file_and_line(broken_repository):
    phiy = broken_repository / "phiy.xml"
    result = mxgui("--check", "--repository", str(broken_repository))
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    reason = f"{phiy}:6: property <velocity>: expected a number, got 'fast'"
    assert f"FAILED  /phiy: {reason}" in lines
    assert (
        f"FAILED  brick phiy: {DEFAULT_LAYOUT}:{PHIY_LINE}: brick phiy: motor = /phiy: {reason}"
        in lines
    )
    # everything else is still checked: fine, or failed only because it needs /phiy
    for line in lines[:-1]:
        assert line.startswith("OK      ") or "phiy" in line, line
    # what fails: /phiy, what needs it through a required role, and their bricks
    failed = {line.split(": ")[0] for line in lines if line.startswith("FAILED  ")}
    failed_objects = {"/phiy", "/diffractometer", "/collect"}
    assert {"phiy", "sample_view", "collection_progress"} <= bricks_bound_to(failed_objects)
    assert failed == {f"FAILED  {name}" for name in failed_objects} | {
        f"FAILED  brick {name}" for name in bricks_bound_to(failed_objects)
    }
    assert len(lines) == len(OBJECTS) + len(BRICKS) + len(CONNECTIONS) + 1
    assert lines[-1] == "check failed"


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (
            "unknown_property.yml",
            "FAILED  brick phiz: {path}:26: brick phiz (MotorBrick) has no property 'stepsize'",
        ),
        (
            "bad_yaml_unclosed_quote.yml",
            "FAILED  layout: {path}:20: bad YAML: found unexpected end of stream",
        ),
        (
            "unknown_container_type.yml",
            "FAILED  layout: {path}:31: unknown container type 'frame'",
        ),
        (
            "hardware_object_wrong_interface.yml",
            "FAILED  brick phiy: {path}:21: brick phiy: motor = /energy is a SimulatedEnergy, "
            "expected a AbstractMotor",
        ),
        (
            "unknown_signal.yml",
            "FAILED  connection phi.sig_value_changd -> phiy.set_step: {path}:45: "
            "phi (MotorBrick) has no signal 'sig_value_changd'",
        ),
    ],
)
def test_a_broken_layout_fails_the_check_naming_file_and_line(file, expected):
    path = BAD_LAYOUTS / file
    result = mxgui("--check", "--layout", str(path))
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    wanted = expected.format(path=path)
    assert [line for line in lines if line.startswith("FAILED")] == [
        next(line for line in lines if line.startswith(wanted))
    ], result.stdout
    # the hardware objects are fine and said so
    assert set(ok_lines(bricks={}, connections=[])) <= set(lines)
    assert lines[-1] == "check failed"


def test_a_missing_layout_file_fails_the_check(tmp_path):
    missing = tmp_path / "nosuch.yml"
    result = mxgui("--check", "--layout", str(missing))
    assert result.returncode == 1
    assert f"FAILED  layout: {missing}: cannot read the layout file" in result.stdout


def test_help_lists_the_options():
    result = mxgui("--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: mxgui")
    for option in ("--check", "--design", "--xmlrpc-port", "--repository", "--layout"):
        assert option in result.stdout
