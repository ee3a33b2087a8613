"""Layers: ``mxgui.core`` and ``hardware_objects`` never import Qt, the GUI or bricks."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
NO_QT_CONTRACT = "core and hardware_objects import no Qt, no mxgui.gui, no bricks"
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
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--config", str(cwd / "setup.cfg")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept():
    assert LINT_IMPORTS.exists(), f"{LINT_IMPORTS} missing: pip install import-linter"
    result = run_lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{NO_QT_CONTRACT} KEPT" in result.stdout
    assert " 0 broken" in result.stdout


def test_lint_imports_finds_a_qt_import_in_hardware_objects(tmp_path):
    """The contract bites: the same packages plus one class module importing Qt."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("mxgui", "bricks", "hardware_objects"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    (tmp_path / "hardware_objects" / "simulated" / "uses_qt.py").write_text(
        "from PyQt5 import QtCore  # a layering mistake\n"
    )
    result = run_lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{NO_QT_CONTRACT} BROKEN" in result.stdout
    assert "hardware_objects.simulated.uses_qt -> PyQt5" in result.stdout


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
