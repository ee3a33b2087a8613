"""``mxgui --check``: load hardware and layout without a window, one line per item."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from mxgui.core.errors import ConfigError, HardwareObjectError
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.repository import HardwareRepository
from mxgui.core.words import with_article
from mxgui.gui.layout import Layout, LayoutError, load_layout
from mxgui.gui.layout_check import check_layout
from mxgui.gui.properties import PropertyKind


def check_layout_hardware(layout: Layout, repository: HardwareRepository) -> None:
    """Record on each brick node a hardware-object property whose object failed."""
    classes = check_layout(layout)
    for node in layout.bricks():
        cls = classes.get(node.name)
        if cls is None or node.error:
            continue
        for name, spec in cls.declared_properties().items():
            if spec.kind is not PropertyKind.HARDWARE_OBJECT:
                continue
            value = node.properties.get(name, spec.default)
            if not value:
                continue
            line = node.property_lines.get(name, node.line)
            try:
                obj = repository.get(value)
            except HardwareObjectError as exc:
                node.error = ConfigError(
                    layout.path, line, f"brick {node.name}: {name} = {value}: {exc}"
                )
                break
            if spec.interface is not None and not isinstance(obj, spec.interface):
                node.error = ConfigError(
                    layout.path,
                    line,
                    f"brick {node.name}: {name} = {value} is "
                    f"{with_article(type(obj).__name__)}, "
                    f"expected {with_article(spec.interface.__name__)}",
                )
                break


def object_problems(repository: HardwareRepository, obj: HardwareObject) -> list[str]:
    """Why a loaded object cannot do its job: roles its file names that were left empty
    (their object failed), required roles that are empty, and what its ``init()`` found
    wrong without failing."""
    problems = [str(error) for error in repository.empty_roles.get(obj.name, [])]
    problems += [
        str(
            obj.config_error(
                f'required role "{role}" is empty; expected <object href="/..." '
                f'role="{role}"/> naming an object that loads'
            )
        )
        for role in obj.REQUIRED_ROLES
        if obj.get_object_by_role(role) is None
    ]
    return problems + obj.startup_problems()


def run_check(directories: list[Path], layout_path: Path, out: TextIO = sys.stdout) -> int:
    """Print ``OK`` or ``FAILED`` with ``file:line: reason`` per object and brick.

    Returns 0 when everything loaded, 1 otherwise.
    """
    failed = False
    for directory in directories:
        if not directory.is_dir():
            print(f"FAILED  repository {directory}: not a directory", file=out)
            failed = True
    repository = HardwareRepository(directories, check_only=True)
    repository.load_all()
    loaded = repository.loaded()
    for name in sorted(set(loaded) | set(repository.failures)):
        problems = object_problems(repository, loaded[name]) if name in loaded else []
        if problems:
            for problem in problems:
                print(f"FAILED  {name} ({type(loaded[name]).__name__}): {problem}", file=out)
            failed = True
        elif name in loaded:
            print(f"OK      {name} ({type(loaded[name]).__name__})", file=out)
        else:
            print(f"FAILED  {name}: {repository.failures[name]}", file=out)
            failed = True
    try:
        layout = load_layout(layout_path)
    except LayoutError as exc:
        print(f"FAILED  layout: {exc}", file=out)
        repository.shutdown()
        print("check failed", file=out)
        return 1
    check_layout_hardware(layout, repository)
    for error in layout.errors + [c.error for c in layout.containers() if c.error]:
        print(f"FAILED  layout: {error}", file=out)
        failed = True
    for node in layout.bricks():
        if node.error:
            print(f"FAILED  brick {node.name or '?'}: {node.error}", file=out)
            failed = True
        else:
            print(f"OK      brick {node.name} ({node.class_name})", file=out)
    for connection in layout.connections:
        label = (
            f"{connection.sender}.{connection.signal} -> {connection.receiver}.{connection.slot}"
        )
        if connection.error:
            print(f"FAILED  connection {label}: {connection.error}", file=out)
            failed = True
        else:
            print(f"OK      connection {label}", file=out)
    repository.shutdown()
    print("check failed" if failed else "check passed", file=out)
    return 1 if failed else 0
