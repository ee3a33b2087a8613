"""The problems of the layout being edited, each with its line in the file.

The layout is checked as the file would be after saving (see :mod:`.copies`); each
problem is tied back to the item it belongs to, and carries that item's line in the
file on disk (``None`` for an item added since). Problems the file had when it was read
but the layout lacks from the start (an unknown key the parser dropped, say) are kept,
marked ``as_loaded``, until the file is saved.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TypeVar

from mxgui.core.errors import ConfigError
from mxgui.core.repository import OutsideRepositoryError, normalize_name
from mxgui.gui.designer.copies import pair_items, reparse
from mxgui.gui.designer.document import LayoutDocument
from mxgui.gui.layout import BrickNode, Connection, LayoutError, LayoutItem, WindowNode
from mxgui.gui.layout_check import check_layout
from mxgui.gui.properties import PropertyKind

#: the kind of item looked up by file line
T = TypeVar("T")


@dataclass
class Problem:
    """One problem: what is wrong, where in the file, and the item it belongs to.

    ``item`` is a window, container, brick or connection of the document (``None`` when
    it belongs to none); ``key`` the property or connection key concerned, if any.
    ``severity`` is ``"error"`` (the item will not work) or ``"warning"``.
    """

    message: str
    path: str
    line: int | None
    item: LayoutItem | None = None
    key: str | None = None
    severity: str = "error"
    as_loaded: bool = False

    @property
    def where(self) -> str:
        """``file:line``, or the file alone for an item not saved yet."""
        return f"{self.path}:{self.line}" if self.line else f"{self.path} (new)"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def find_problems(
    document: LayoutDocument, hardware_names: Collection[str] | None = None
) -> list[Problem]:
    """Every problem of ``document``'s layout, by line.

    ``hardware_names``: the objects of the hardware repository; a hardware-object
    property naming another one is a warning (``None``: not checked).
    """
    layout = document.layout
    path = str(document.path) if document.path else layout.path
    try:
        copy = reparse(layout)
    except LayoutError as exc:  # only a layout without windows; the document prevents it
        return [Problem(exc.message, path, None)]
    check_layout(copy)
    pairs = list(pair_items(layout, copy))
    problems = [
        _tie(path, original, twin, twin.error)
        for original, twin in pairs
        if not isinstance(twin, WindowNode) and twin.error is not None
    ]
    windows = [(twin.line, original) for original, twin in pairs if isinstance(twin, WindowNode)]
    for error in copy.errors:  # file-level: a window without content, say
        owner = _last_at_or_before(windows, error.line)
        problems.append(Problem(error.message, path, owner.line if owner else None, owner))
    if hardware_names is not None:
        problems += _hardware_problems(document, path, set(hardware_names))
    current = {p.message for p in problems}
    items: list[tuple[int, LayoutItem]] = [(o.line, o) for o, _ in pairs if o.line is not None]
    items.sort(key=lambda e: e[0])
    for error in document.load_errors:
        if error.message not in current:
            owner = _last_at_or_before(items, error.line)
            problems.append(
                Problem(error.message, error.path or path, error.line, owner, as_loaded=True)
            )
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0))


def keep_dropped_load_errors(document: LayoutDocument) -> None:
    """Keep in ``document.load_errors`` only the problems the layout no longer has.

    Call once after loading: what the parser dropped (an unknown key, say) is listed
    until the file is saved; the other problems are checked live and go once fixed.
    """
    errors, document.load_errors = document.load_errors, []
    current = {p.message for p in find_problems(document)}
    document.load_errors = [e for e in errors if e.message not in current]


def _tie(path: str, original: LayoutItem, twin: LayoutItem, error: ConfigError) -> Problem:
    """The problem ``error`` of ``twin`` (in the copy) told about ``original``."""
    key = None
    if error.line is not None and error.line != twin.line:
        lines = twin.property_lines if isinstance(twin, BrickNode) else {}
        lines = twin.key_lines if isinstance(twin, Connection) else lines
        key = next((k for k, line in lines.items() if line == error.line), None)
    line = original.line
    if key is not None:
        lines = original.property_lines if isinstance(original, BrickNode) else {}
        lines = original.key_lines if isinstance(original, Connection) else lines
        line = lines.get(key, line)
    return Problem(error.message, path, line, original, key)


def _last_at_or_before(entries: Sequence[tuple[int | None, T]], line: int | None) -> T | None:
    if line is None:
        return None
    owner: T | None = None
    for start, item in entries:
        if start is not None and start <= line:
            owner = item
    return owner


def _hardware_problems(document: LayoutDocument, path: str, names: set[str]) -> list[Problem]:
    problems = []
    for node in document.bricks():
        cls = document.brick_class(node)
        if cls is None:
            continue
        for name, spec in cls.declared_properties().items():
            if spec.kind is not PropertyKind.HARDWARE_OBJECT:
                continue
            value = node.properties.get(name, spec.default)
            if not isinstance(value, str) or not value:
                continue
            try:
                known = normalize_name(value) in names
            except OutsideRepositoryError as exc:
                known, reason = False, str(exc)
            else:
                reason = "the hardware repository has no such object"
            if not known:
                message = f"brick {node.name}: {name} = {value}: {reason}"
                line = node.property_lines.get(name, node.line)
                problems.append(Problem(message, path, line, node, name, "warning"))
    return problems
