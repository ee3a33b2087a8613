"""Layers: ``mxgui.core`` and ``hardware_objects`` never import Qt, the GUI or bricks;
the whole house is layered (bricks, mxgui.gui, hardware_objects, mxgui.core, mxscore) and
workflows import nothing of it (the import-linter contracts in setup.cfg)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
NO_QT_CONTRACT = "core and hardware_objects import no Qt, no mxgui.gui, no bricks"
LAYERS_CONTRACT = (
    "layers: bricks above mxgui.gui above hardware_objects above mxgui.core above mxscore"
)
WORKFLOWS_CONTRACT = "workflows (mxwf) import no mxgui, no bricks, no hardware_objects"
FORBIDDEN = ("PyQt5", "pyqtgraph", "silx", "mxgui.gui", "bricks")

#: imports every module below mxgui.core and hardware_objects (then the modules named
#: on the command line) and prints what was imported and which forbidden modules are
#: in sys.modules afterwards
CHECK_IMPORTS = f"""
import importlib, json, pkgutil, sys

forbidden = {FORBIDDEN!r}
imported, errors = [], {{}}
for package_name in ("mxgui.core", "hardware_objects"):
    package = importlib.import_module(package_name)
    imported.append(package_name)
    for info in pkgutil.walk_packages(
        package.__path__, package_name + ".", onerror=lambda name: errors.setdefault(name, "")
    ):
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            errors[info.name] = f"{{type(exc).__name__}}: {{exc}}"
        else:
            imported.append(info.name)
for name in sys.argv[1:]:
    importlib.import_module(name)
found = sorted(
    name for name in sys.modules
    if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
)
print(json.dumps({{"imported": imported, "errors": errors, "forbidden": found}}))
"""


def check_imports(*extra: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHECK_IMPORTS, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def run_lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    """lint-imports as .ci/run runs it: mxwf is found in ``workflows/``; the output is
    not wrapped (a contract's name stays on one line)."""
    env = {**os.environ, "PYTHONPATH": str(cwd / "workflows"), "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--config", str(cwd / "setup.cfg")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def copy_of_the_house(tmp_path: Path) -> Path:
    """The packages lint-imports reads and setup.cfg, copied to ``tmp_path``."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("mxgui", "bricks", "hardware_objects", "mxscore", "workflows/mxwf"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    return tmp_path


def test_import_contracts_are_kept():
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} missing: pip install import-linter"
    result = run_lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for contract in (NO_QT_CONTRACT, LAYERS_CONTRACT, WORKFLOWS_CONTRACT):
        assert f"{contract} KEPT" in result.stdout
    assert " 0 broken" in result.stdout


def test_lint_imports_finds_a_qt_import_in_hardware_objects(tmp_path):
    """The contract bites: the same packages plus one class module importing Qt."""
    root = copy_of_the_house(tmp_path)
    (root / "hardware_objects" / "simulated" / "uses_qt.py").write_text(
        "from PyQt5 import QtCore  # a layering mistake\n"
    )
    result = run_lint_imports(root)
    assert result.returncode != 0
    assert f"{NO_QT_CONTRACT} BROKEN" in result.stdout
    assert "hardware_objects.simulated.uses_qt -> PyQt5" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "contract", "reported"),
    [
        # only the layers contract forbids the core to look up at hardware objects
        (
            "mxgui/core/uses_beamline.py",
            "import hardware_objects.beamline\n",
            LAYERS_CONTRACT,
            "mxgui.core.uses_beamline -> hardware_objects.beamline",
        ),
        (
            "workflows/mxwf/uses_gui.py",
            "from mxgui.core import futures\n",
            WORKFLOWS_CONTRACT,
            "mxwf.uses_gui -> mxgui.core.futures",
        ),
    ],
)
def test_lint_imports_finds_an_import_against_the_layers(
    tmp_path, module, source, contract, reported
):
    root = copy_of_the_house(tmp_path)
    (root / module).write_text(source)
    result = run_lint_imports(root)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
    assert reported in result.stdout
    assert " 1 broken" in result.stdout


def test_core_and_hardware_objects_import_no_qt():
    report = check_imports()
    assert report["errors"] == {}
    # the walk really imported the modules (a walk that found nothing proves nothing)
    assert {
        "mxgui.core.repository",
        "mxgui.core.signals",
        "hardware_objects.beamline",
        "hardware_objects.abstract.motor",
        "hardware_objects.simulated.motor",
        "hardware_objects.simulated.faulty",
    } <= set(report["imported"])
    assert report["forbidden"] == []


@pytest.mark.parametrize(
    ("extra", "reported"),
    [("PyQt5.QtCore", {"PyQt5", "PyQt5.QtCore"}), ("bricks", {"bricks"})],
)
def test_import_check_reports_a_forbidden_module(extra, reported):
    report = check_imports(extra)
    assert reported <= set(report["forbidden"])
