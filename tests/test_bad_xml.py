"""Broken hardware-object files: each gives one clear error at the right file and line.

The corpus is ``tests/data/bad_xml`` (see its README). For every case the test loads one
object, as ``mxgui --check`` or a brick would, and checks what a local contact reads:
the file, the exact line, and a phrase that says what is wrong or what was expected.
"""

from __future__ import annotations

import importlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from hardware_objects.abstract.motor import AbstractMotor
from mxgui.core.errors import ConfigError, HardwareObjectError
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.core.repository import HardwareRepository

from helpers import SIMULATED

CORPUS = Path(__file__).parent / "data" / "bad_xml"


@dataclass(frozen=True)
class Case:
    """One broken file (or set of files) of the corpus.

    ``name`` is the object the test loads. The error expected is the failure recorded
    under ``failed`` (default: ``name``), in ``file`` (default ``<name>.xml``) at
    ``line``, with every one of ``phrases`` in its message. ``also`` lists the other
    objects that fail with it; ``loads`` says the object itself still loads (the
    broken thing is one of its optional roles).
    """

    name: str
    line: int | None
    phrases: tuple[str, ...]
    file: str | None = None
    failed: str | None = None
    also: tuple[str, ...] = ()
    loads: bool = False

    @property
    def path(self) -> Path:
        return CORPUS / (self.file or f"{self.name}.xml")

    @property
    def failed_name(self) -> str:
        return self.failed or f"/{self.name}"

    @property
    def failures(self) -> set[str]:
        return {self.failed_name, *self.also}


CASES = [
    # -- files that cannot be found or read
    Case(
        "missing_file",
        3,
        ('role "partner"', "no file no_such_object.xml"),
        failed="/no_such_object",
        loads=True,
    ),
    Case("is_a_directory", None, ("cannot read the file", "Is a directory", "expected a readable")),
    # -- not well-formed XML
    Case("empty", 1, ("the file is empty", 'expected <object class="module.Class">')),
    Case("comment_only", 2, ("bad XML", "Start tag expected")),
    Case("unclosed_tag", 5, ("bad XML", "Opening and ending tag mismatch: velocity line 3")),
    Case("mismatched_tag", 3, ("bad XML", "tag mismatch: velocity line 3 and velocty")),
    Case("truncated", 4, ("bad XML", "Premature end of data in tag object line 1")),
    Case("duplicate_attribute", 2, ("bad XML", "Attribute class redefined")),
    Case("bad_encoding", 3, ("bad XML", "Invalid bytes in character encoding")),
    # -- not a hardware object
    Case("object_without_href", 3, ("<object> without href", 'expected <object href="/name"')),
    Case("wrong_root", 2, ("root element <hardware>", "expected one of <object>")),
    Case("missing_class", 3, ('<object> needs a class="module.Class" attribute',)),
    Case("empty_class", 1, ('<object> needs a class="module.Class" attribute',)),
    Case(
        "unknown_module",
        1,
        ("no module 'hardware_objects.simulated.stepper'", "expected a dotted path"),
    ),
    Case("unknown_class", 1, ("hardware_objects.simulated.motor has no class 'SimulatedMotr'",)),
    Case("not_hardware_object", 1, ("SimulatedMotion is not a HardwareObject subclass",)),
    Case("abstract_class", 2, ("creating abstract.motor.AbstractMotor failed", "abstract")),
    Case("init_raises", 1, ("FaultyObject.init() failed: RuntimeError: simulated init failure",)),
    # -- references
    Case("self_loop", 3, ("reference loop: /self_loop -> /self_loop",)),
    Case(
        "loop_a",
        2,
        ('role "partner" needs /loop_b', "reference loop: /loop_a -> /loop_b -> /loop_a"),
        also=("/loop_b",),
    ),
    Case("empty_href", 4, ("<object> has an empty href",)),
    Case("blank_hwrid", 2, ("<object> has an empty href",)),
    Case(
        "missing_required_property",
        1,
        ("StrictObject needs a <channel_name> property", "(text)"),
    ),
    Case("missing_required_role", 1, ("StrictObject needs the role(s) motor", 'role="..."')),
    Case(
        "required_role_failed",
        3,
        ('role "motor" needs /wrong_type_float, which failed', "wrong_type_float.xml:4"),
        also=("/wrong_type_float",),
    ),
    # -- bindings
    Case("command_without_name", 3, ('<command> needs a name="..." attribute',)),
    Case("channel_without_name", 4, ('<channel> needs a name="..." attribute',)),
    # -- property values
    Case("wrong_type_float", 4, ("property <velocity>: expected a number, got 'fast'",)),
    Case("wrong_type_int", 2, ("property <decimals>: expected an integer, got 2.5",)),
    Case("wrong_type_bool", 3, ("property <read_only>: expected true or false, got 'yes'",)),
    Case("nan_velocity", 4, ("property <velocity>: expected a number, got nan",)),
    Case("limits_inverted", 3, ("low_limit 5.0 is above high_limit 1.0",)),
    Case("default_outside_limits", 5, ("default_value", "3 is above the high limit 2 mm")),
    Case("velocity_zero", 2, ("velocity must be above 0, got 0.0",)),
    Case("velocity_negative", 3, ("velocity must be above 0, got -0.5",)),
    Case("energy_low_limit_zero", 3, ("low_limit must be above 0 keV",)),
    Case("energy_default_outside", 4, ("default_value", "25 is above the high limit 20 keV")),
]


def error_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def check_error(error: ConfigError, path: Path, line: int | None, phrases) -> None:
    assert isinstance(error, ConfigError)
    assert error.path == str(path)
    assert error.line == line
    where = f"{path}:{line}" if line is not None else str(path)
    assert str(error).startswith(f"{where}: "), str(error)
    for phrase in phrases:
        assert phrase in error.message, f"{phrase!r} not in {error.message!r}"


def test_corpus_is_big_enough_and_every_file_is_a_case():
    named = {case.path for case in CASES} | {
        CORPUS / f"{name}.xml" for case in CASES for name in case.also
    }
    on_disk = set(CORPUS.glob("*.xml")) - {CORPUS / "good_motor.xml"}
    assert len(CASES) >= 18
    # a file added without a case (or a case whose file was renamed) is a mistake
    assert {p.name for p in on_disk} == {p.name for p in named}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_broken_file_gives_one_clear_error(case: Case, caplog):
    repo = HardwareRepository([CORPUS])
    with caplog.at_level(logging.ERROR, logger="mxgui.core.repository"):
        if case.loads:
            obj = repo.get(case.name)
            assert obj.roles == {}
        else:
            with pytest.raises(HardwareObjectError) as info:
                repo.get(case.name)

    assert set(repo.failures) == case.failures
    error = repo.failures[case.failed_name]
    check_error(error, case.path, case.line, case.phrases)
    if not case.loads:
        # what the caller sees is the same file:line: reason
        assert str(info.value) == str(error)
    # each failure is logged once, as file:line: reason, and nothing else is
    assert error_lines(caplog) == [str(e) for e in repo.failures.values()]


@pytest.mark.parametrize("case", [c for c in CASES if not c.loads], ids=lambda c: c.name)
def test_asking_again_gives_the_same_error_without_reloading(case: Case, caplog):
    repo = HardwareRepository([CORPUS])
    with pytest.raises(HardwareObjectError) as first:
        repo.get(case.name)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="mxgui.core.repository"):
        with pytest.raises(HardwareObjectError) as second:
            repo.get(f"{case.name}.xml")
    assert str(second.value) == str(first.value)
    assert error_lines(caplog) == []


def test_unreadable_file(tmp_path):
    path = tmp_path / "locked.xml"
    shutil.copy(CORPUS / "good_motor.xml", path)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running with a user that can read a mode-000 file (root)")
        repo = HardwareRepository([tmp_path])
        with pytest.raises(HardwareObjectError):
            repo.get("locked")
        check_error(
            repo.failures["/locked"], path, None, ("cannot read the file", "Permission denied")
        )
    finally:
        path.chmod(0o644)


def test_name_without_any_file_names_the_directories(tmp_path):
    repo = HardwareRepository([CORPUS, tmp_path])
    with pytest.raises(HardwareObjectError, match="no file for hardware object /nowhere"):
        repo.get("nowhere")
    error = repo.failures["/nowhere"]
    assert error.path is None
    assert str(CORPUS) in error.message and str(tmp_path) in error.message


def test_module_that_fails_to_import_is_not_reported_as_missing(monkeypatch):
    """A class module importing a missing dependency: say so, not "no module"."""
    real_import = importlib.import_module

    def import_module(name, package=None):
        if name == "hardware_objects.simulated.motor":
            raise ModuleNotFoundError("No module named 'tango'", name="tango")
        return real_import(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    repo = HardwareRepository([CORPUS])
    with pytest.raises(HardwareObjectError):
        repo.get("good_motor")
    error = repo.failures["/good_motor"]
    check_error(
        error,
        CORPUS / "good_motor.xml",
        2,
        ("importing hardware_objects.simulated.motor failed", "No module named 'tango'"),
    )
    assert "no module 'hardware_objects" not in error.message


def add_roles(beamline_xml: Path, roles: dict[str, str]) -> None:
    text = beamline_xml.read_text()
    extra = "".join(f'  <object href="/{href}" role="{role}"/>\n' for role, href in roles.items())
    beamline_xml.write_text(text.replace("</object>", extra + "</object>"))


def test_broken_files_next_to_good_ones(tmp_path, caplog):
    """``load_all`` (``mxgui --check``) records exactly the broken ones; the rest works."""
    repo_dir = tmp_path / "beamline"
    shutil.copytree(SIMULATED, repo_dir)
    shutil.copytree(CORPUS, repo_dir, dirs_exist_ok=True)
    # the beamline itself refers to broken objects: it must load all the same
    add_roles(
        repo_dir / "beamline.xml",
        {"loop": "loop_a", "faulty": "init_raises", "ghost": "no_such_ghost"},
    )
    good_names = {f"/{p.stem}" for p in SIMULATED.glob("*.xml")} | {
        "/good_motor",
        "/missing_file",
    }
    expected_failures = set().union(*(case.failures for case in CASES)) | {"/no_such_ghost"}

    repo = HardwareRepository([repo_dir])
    with caplog.at_level(logging.ERROR, logger="mxgui.core.repository"):
        repo.load_all()

    assert set(repo.failures) == expected_failures
    assert set(repo.loaded()) == good_names
    assert set(repo.names()) == (good_names | expected_failures) - {
        "/no_such_object",
        "/no_such_ghost",
    }
    for case in CASES:
        # the same error as in a repository of its own, but at the copied file
        check_error(
            repo.failures[case.failed_name],
            repo_dir / case.path.relative_to(CORPUS),
            case.line,
            case.phrases,
        )
    assert len(error_lines(caplog)) == len(expected_failures)

    beamline = repo.beamline
    assert beamline is not None
    for role in ("energy", "phi", "phiy", "phiz", "sampx", "sampy"):
        assert beamline.role(role) is repo.get(role)
    for role in ("loop", "faulty", "ghost"):
        assert beamline.role(role) is None

    # a good motor still moves
    phi = beamline.role("phi")
    assert isinstance(phi, AbstractMotor)
    future = phi.set_value(2.0)
    assert future.result(timeout=5) == pytest.approx(2.0)
    assert phi.get_value() == pytest.approx(2.0)
    assert phi.get_state() is HardwareObjectState.READY
    repo.shutdown()
