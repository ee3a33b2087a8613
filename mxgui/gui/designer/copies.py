"""Copies of a layout as the file would hold it, and the file lines of its items.

The designer never checks or builds the layout it edits (checking and building record
errors on the nodes): it works on a copy made by writing the layout to YAML text and
parsing it again, exactly as saving and reopening the file would. :func:`pair_items`
matches each item of the copy with its original.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import yaml

from mxgui.gui.layout import (
    BrickNode,
    Connection,
    ContainerNode,
    Layout,
    LayoutItem,
    Node,
    WindowNode,
    layout_to_data,
    parse_layout,
)


def serialize(layout: Layout) -> str:
    """The YAML text of ``layout``, as :func:`~mxgui.gui.layout.save_layout` writes it."""
    return yaml.safe_dump(layout_to_data(layout), sort_keys=False, default_flow_style=False)


def reparse(layout: Layout) -> Layout:
    """``layout`` written as YAML and parsed again: an independent copy whose lines are
    those of the text it would be saved as."""
    return parse_layout(serialize(layout), layout.path)


def pair_items(model: Layout, copy: Layout) -> Iterator[tuple[LayoutItem, LayoutItem]]:
    """Windows, nodes and connections of ``model`` with their twins in ``copy``.

    ``copy`` is ``model`` written and parsed again: the same tree, except below a
    container the parser refused, whose children it dropped.
    """

    def walk(a: Node | None, b: Node | None) -> Iterator[tuple[LayoutItem, LayoutItem]]:
        if a is None or b is None or type(a) is not type(b):
            return
        yield a, b
        if isinstance(a, ContainerNode) and isinstance(b, ContainerNode):
            for child_a, child_b in zip(a.children, b.children):
                yield from walk(child_a, child_b)

    for window_a, window_b in zip(model.windows, copy.windows):
        yield window_a, window_b
        yield from walk(window_a.content, window_b.content)
    yield from zip(model.connections, copy.connections)


def snapshot(layout: Layout) -> Layout:
    """An independent copy of ``layout`` (to check or build) carrying the file lines of
    the original (``None`` for items added since the file was read)."""
    copy = reparse(layout)
    for original, twin in pair_items(layout, copy):
        _copy_lines(original, twin)
    return copy


def take_lines(layout: Layout, path: Path) -> None:
    """Give the items of ``layout`` the lines they have in the file ``path`` just written."""
    written = parse_layout(path.read_text(encoding="utf-8"), str(path))
    for original, twin in pair_items(layout, written):
        _copy_lines(twin, original)


def _copy_lines(source: LayoutItem, target: LayoutItem) -> None:
    """Give ``target`` the file lines of ``source``, its twin (item, properties, keys)."""
    target.line = source.line
    if isinstance(source, BrickNode) and isinstance(target, BrickNode):
        target.property_lines = dict(source.property_lines)
    elif isinstance(source, Connection) and isinstance(target, Connection):
        target.key_lines = dict(source.key_lines)


def new_layout(path: str | Path | None) -> Layout:
    """A fresh layout: one main window holding an empty vertical box."""
    window = WindowNode("main", "mxgui", ContainerNode("vbox"))
    return Layout(path=str(path) if path else "untitled.yml", windows=[window])
