"""``mxgui --check``: what a local contact runs before a shift, as a real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from lxml import etree

from helpers import (
    DEFAULT_LAYOUT,
    ROOT,
    SIMULATED,
    copy_simulated,
    copy_with_broken_phiy,
    line_of,
)

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


#: objects of the simulated beamline that load without /phiy and what needs it, with
#: the roles their files name that are then left empty
EMPTY_ROLES_WITHOUT_PHIY = {
    "/beamline": ["phiy", "diffractometer", "collect"],
    "/lims": ["collect"],  # what it records (issue 14)
    "/queue": ["collect", "diffractometer"],
    "/sample_changer": ["diffractometer"],
    "/xmlrpc_server": ["diffractometer", "collect"],
}


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
    # what fails: /phiy, what needs it through a required role, and their bricks; the
    # objects that load with a role left empty fail too, one line per empty role
    failed = {line.split(": ")[0] for line in lines if line.startswith("FAILED  ")}
    failed_objects = {"/phiy", "/diffractometer", "/collect"}
    assert {"phiy", "sample_view", "collection_progress"} <= bricks_bound_to(failed_objects)
    assert failed == {f"FAILED  {name}" for name in failed_objects} | {
        f"FAILED  {name} ({OBJECTS[name]})" for name in EMPTY_ROLES_WITHOUT_PHIY
    } | {f"FAILED  brick {name}" for name in bricks_bound_to(failed_objects)}
    # one line per object, and one more per extra empty role of the same object
    extra = sum(len(roles) - 1 for roles in EMPTY_ROLES_WITHOUT_PHIY.values())
    assert len(lines) == len(OBJECTS) + extra + len(BRICKS) + len(CONNECTIONS) + 1
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
            "expected an AbstractMotor",
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


# issue 11, item 16: nothing reported OK that cannot do its job; no file read from outside


def test_objects_whose_roles_are_left_empty_fail_the_check_with_the_reason(tmp_path):
    """A site directory before the simulated beamline whose ``phiy.xml`` takes the name
    (and is broken): every object that loads with a role left empty is FAILED, one line
    per role with the file:line of the reference, instead of OK."""
    site = tmp_path / "site"
    site.mkdir()
    phiy = site / "phiy.xml"
    phiy.write_text(
        '<object class="simulated.motor.SimulatedMotor">\n  <velocity>fast</velocity>\n</object>\n'
    )
    result = mxgui("--check", "--repository", str(site), "--repository", str(SIMULATED))
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert f"FAILED  /phiy: {phiy}:2: property <velocity>: expected a number, got 'fast'" in lines
    for name, roles in EMPTY_ROLES_WITHOUT_PHIY.items():
        path = SIMULATED / f"{name.lstrip('/')}.xml"
        assert f"OK      {name} ({OBJECTS[name]})" not in lines
        for role in roles:
            line = line_of(path, f'role="{role}"')
            expected = (
                f"FAILED  {name} ({OBJECTS[name]}): {path}:{line}: "
                f'role "{role}" left empty because /{role} failed: '
            )
            assert [entry for entry in lines if entry.startswith(expected)], result.stdout
    # the warnings are no longer silenced: they reach stderr too
    assert "role 'collect' of /queue left empty because /collect failed" in result.stderr
    assert lines[-1] == "check failed"


def test_an_object_loaded_without_a_required_role_is_reported(tmp_path):
    """Whatever let an object in without a required role, the check's verdict on it says
    which role is empty (the loader refuses such objects; the check does not rely on it)."""
    from hardware_objects.simulated.faulty import StrictObject
    from mxgui.core.repository import HardwareRepository
    from mxgui.core.xml_config import parse_file
    from mxgui.gui.check import object_problems

    strict = tmp_path / "strict.xml"
    strict.write_text(
        '<object class="simulated.faulty.StrictObject">\n'
        "  <channel_name>bl/phi/1</channel_name>\n</object>\n"
    )
    repository = HardwareRepository([tmp_path])
    obj = StrictObject("/strict")
    obj.configure(parse_file(strict))
    assert object_problems(repository, obj) == [
        f'{strict}:1: required role "motor" is empty; expected <object href="/..." '
        'role="motor"/> naming an object that loads'
    ]


OUTSIDE_MOTOR = '<object class="simulated.motor.SimulatedMotor">\n</object>\n'


@pytest.mark.parametrize(
    "href", ["/../outside/evil", "../outside/evil", "../../../outside/evil", "./../outside/evil"]
)
def test_an_href_that_leaves_the_repository_is_refused_with_file_and_line(tmp_path, href):
    repository = copy_simulated(
        tmp_path / "beamline",
        {"beamline": ("</object>", f'  <object href="{href}" role="evil"/>\n</object>')},
    )
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "evil.xml").write_text(OUTSIDE_MOTOR)
    beamline = repository / "beamline.xml"
    result = mxgui("--check", "--repository", str(repository))
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    line = line_of(beamline, 'role="evil"')
    assert [entry for entry in lines if entry.startswith("FAILED  /")] == [
        f'FAILED  /beamline: {beamline}:{line}: role "evil": href="{href}" leaves the '
        "repository directories; expected a name inside them (/name, ./name, ../name)"
    ], result.stdout
    assert not [entry for entry in lines if "outside" in entry and "FAILED" not in entry]


@pytest.mark.parametrize("linked_name", ["linked", "ext/evil"], ids=["file", "directory"])
def test_an_href_through_a_symbolic_link_out_of_the_repository_is_refused(tmp_path, linked_name):
    """``linked.xml`` is a link to a file outside; or ``ext`` a link to a directory outside."""
    repository = copy_simulated(
        tmp_path / "beamline",
        {"beamline": ("</object>", f'  <object href="/{linked_name}" role="linked"/>\n</object>')},
    )
    (tmp_path / "outside").mkdir()
    evil = tmp_path / "outside" / "evil.xml"
    evil.write_text(OUTSIDE_MOTOR)
    if linked_name == "linked":
        (repository / "linked.xml").symlink_to(evil)
    else:
        (repository / "ext").symlink_to(tmp_path / "outside", target_is_directory=True)
    linked = repository / f"{linked_name}.xml"
    beamline = repository / "beamline.xml"
    result = mxgui("--check", "--repository", str(repository))
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    refusal = (
        f"{linked}: leads to {evil}, outside the repository directories ({repository}); "
        "expected a file inside them"
    )
    assert f"FAILED  /{linked_name}: {refusal}" in lines, result.stdout
    line = line_of(beamline, 'role="linked"')
    assert (
        f"FAILED  /beamline (Beamline): {beamline}:{line}: "
        f'role "linked" left empty because /{linked_name} failed: {refusal}'
    ) in lines
    assert not [entry for entry in lines if entry.startswith(f"OK      /{linked_name}")]


def test_a_layout_naming_an_object_outside_the_repository_is_refused_with_its_line(tmp_path):
    layout = tmp_path / "layout.yml"
    layout.write_text(DEFAULT_LAYOUT.read_text().replace("motor: /phiy", "motor: /../../etc/x"))
    result = mxgui("--check", "--layout", str(layout))
    assert result.returncode == 1, result.stdout
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    assert failed == [
        f"FAILED  brick phiy: {layout}:{PHIY_LINE}: brick phiy: motor = /../../etc/x: "
        "'/../../etc/x' leaves the repository directories (a name is a path inside them)"
    ]
