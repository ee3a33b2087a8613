"""One signal naming convention (docs/contracts.md, "Signal names"): every signal is
lowerCamelCase after the event (``valueChanged``, ``nodesSelected``), as in mxcubecore
and Qt.

Signals named as text are checked by parsing the code (ast) and the layout files: the
names declared in ``SIGNALS`` tuples (hardware objects, models, bricks), the names given
to ``emit``/``connect``/``disconnect``/``receivers``/``bind``, and the ``signal`` of
every connection in a layout file. The ``pyqtSignal`` attributes are checked on the
classes themselves (every module of ``mxgui`` and ``bricks`` imported): lowerCamelCase
(a private one with its leading underscore), and no name a Qt base class already has.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import yaml
from PyQt5.QtCore import QObject, pyqtSignal
from PyQt5.QtWidgets import QDialog, QPushButton, QWidget

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("mxgui", "hardware_objects", "bricks", "mxscore", "workflows/mxwf")
LAYOUTS = (ROOT / "layouts", ROOT / "tests" / "data" / "layouts")
CAMEL_CASE = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*")
#: methods whose first text argument is a signal's name (``bind``: the second)
NAME_FIRST = frozenset({"emit", "connect", "disconnect", "receivers"})
#: names that are another project's contract and keep its spelling; none so far
EXTERNAL: dict[str, str] = {}
#: the packages whose classes declare pyqtSignal attributes (imported by the check)
QT_PACKAGES = ("mxgui", "bricks")


def names_in_code(text: str, path: str = "<source>") -> list[tuple[str, int, str]]:
    """``(path, line, name)`` of every signal named as text in the Python code ``text``."""
    found: list[tuple[str, int, str]] = []

    def text_of(node: ast.expr) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        return None

    for node in ast.walk(ast.parse(text, filename=path)):
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            value = node.value if any(t.endswith("SIGNALS") for t in targets) else None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            value = node.value if node.target.id.endswith("SIGNALS") else None
        if isinstance(value, (ast.Tuple, ast.List)):
            found += [(path, e.lineno, s) for e in value.elts if (s := text_of(e)) is not None]
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        method, args = node.func.attr, node.args
        # a SignalEmitter is called directly (obj.emit("x")); a Qt signal through its
        # attribute (self.valueEntered.emit(...)), whose arguments are values, not names
        if method in NAME_FIRST and args and isinstance(node.func.value, ast.Name):
            name = text_of(args[0])
        elif method == "bind" and len(args) >= 2:
            name = text_of(args[1])
        else:
            name = None
        if name is not None:
            found.append((path, node.lineno, name))
    return sorted(found, key=lambda item: item[1])


def project_names() -> list[tuple[str, int, str]]:
    found: list[tuple[str, int, str]] = []
    for package in PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            relative = file.relative_to(ROOT).as_posix()
            found += names_in_code(file.read_text(encoding="utf-8"), relative)
    return found


def layout_names() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for directory in LAYOUTS:
        for file in sorted(directory.glob("*.yml")):
            data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            for connection in data.get("connections") or ():
                found.append((file.relative_to(ROOT).as_posix(), str(connection.get("signal"))))
    return found


def outlier(name: str) -> bool:
    return name not in EXTERNAL and CAMEL_CASE.fullmatch(name) is None


def test_the_check_reads_declared_emitted_connected_and_bound_names():
    code = """
class Thing(SignalEmitter):
    SIGNALS = ("valueChanged", "item_changed")
    MORE_SIGNALS: tuple[str, ...] = ("sig_done",)

    def go(self, other):
        self.emit("Changed")
        other.connect("stateChanged", print)
        self.bind(other, "limits-changed", print)
        self.messagePosted.emit("Line Centring: not a signal name")
        self.label.connect(print)
"""
    assert [(line, name) for _p, line, name in names_in_code(code)] == [
        (3, "valueChanged"),
        (3, "item_changed"),
        (4, "sig_done"),
        (7, "Changed"),
        (8, "stateChanged"),
        (9, "limits-changed"),
    ]
    assert [n for _p, _l, n in names_in_code(code) if outlier(n)] == [
        "item_changed",
        "sig_done",
        "Changed",
        "limits-changed",
    ]


def test_every_signal_named_in_the_code_is_camel_case():
    found = project_names()
    assert len({name for _p, _l, name in found}) > 50, "the scan found the project's signals"
    assert [f"{p}:{line}: {name}" for p, line, name in found if outlier(name)] == []


def test_every_signal_a_layout_file_connects_is_camel_case():
    found = layout_names()
    assert found, "the layouts connect bricks' signals"
    assert [f"{path}: {name}" for path, name in found if outlier(name)] == []


def qt_signals(cls: type) -> list[str]:
    """The names of the ``pyqtSignal`` attributes ``cls`` itself declares."""
    return [name for name, value in vars(cls).items() if isinstance(value, pyqtSignal)]


def signal_problems(cls: type) -> list[str]:
    """What is wrong with the ``pyqtSignal`` names of ``cls``: not lowerCamelCase, or a
    name one of its Qt base classes (PyQt5's own) already has."""
    qt_members: set[str] = set()
    for base in cls.__mro__[1:]:
        if base.__module__.startswith("PyQt5."):
            qt_members.update(dir(base))
    where = f"{cls.__module__}.{cls.__qualname__}"
    problems = []
    for name in qt_signals(cls):
        if CAMEL_CASE.fullmatch(name.removeprefix("_")) is None:
            problems.append(f"{where}.{name}: not lowerCamelCase")
        if name in qt_members:
            problems.append(f"{where}.{name}: shadows a member of its Qt base class")
    return problems


def project_qobject_classes() -> list[type]:
    """Every QObject subclass defined in the modules of :data:`QT_PACKAGES`."""
    classes: list[type] = []
    for package in QT_PACKAGES:
        for file in sorted((ROOT / package).rglob("*.py")):
            parts = file.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":
                continue  # running it is its only job
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            module = importlib.import_module(name)
            classes += [
                cls
                for _n, cls in inspect.getmembers(module, inspect.isclass)
                if issubclass(cls, QObject) and cls.__module__ == name
            ]
    return classes


def test_the_qt_check_finds_an_old_name_and_a_shadowed_qt_member():
    class Old(QWidget):
        sig_entered = pyqtSignal(float)
        valueEntered = pyqtSignal(float)
        _showRequested = pyqtSignal()
        _sig_show = pyqtSignal()

    class Button(QPushButton):
        clicked = pyqtSignal(str)
        pinClicked = pyqtSignal(str)

    class Dialog(QDialog):
        accepted = pyqtSignal(object)
        answerGiven = pyqtSignal(object)

    prefix = f"{__name__}.test_the_qt_check_finds_an_old_name_and_a_shadowed_qt_member.<locals>"
    assert signal_problems(Old) == [
        f"{prefix}.Old.sig_entered: not lowerCamelCase",
        f"{prefix}.Old._sig_show: not lowerCamelCase",
    ]
    # QPushButton's clicked comes from QAbstractButton, QDialog's accepted is its own
    assert signal_problems(Button) == [
        f"{prefix}.Button.clicked: shadows a member of its Qt base class"
    ]
    assert signal_problems(Dialog) == [
        f"{prefix}.Dialog.accepted: shadows a member of its Qt base class"
    ]


def test_every_qt_signal_attribute_is_camel_case_and_shadows_no_qt_member():
    classes = project_qobject_classes()
    declared = [name for cls in classes for name in qt_signals(cls)]
    assert len(declared) > 60, f"the walk found the project's Qt signals: {declared}"
    assert [problem for cls in classes for problem in signal_problems(cls)] == []
