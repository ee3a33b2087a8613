"""A safe YAML loader with bounds on nesting and on what aliases expand to (Qt-free).

``yaml.SafeLoader`` builds no objects of its own choosing, but a file of a few hundred
bytes can still ask for gigabytes: an alias (``*a``) stands for the whole node it
names, so nine lines of anchors each listing the one before nine times are a billion
strings to anyone who walks the result (a "billion laughs"); and a file nested a few
hundred levels deep exhausts Python's recursion. :class:`BoundedSafeLoader` counts,
while it composes the document, the nodes that the document stands for with every
alias expanded, and how deep it nests; past a bound it stops with a
``yaml.MarkedYAMLError`` whose mark is the line where the bound was passed. Aliases
that refer to their own contents (a recursive structure) are refused too.
"""

from __future__ import annotations

from typing import IO, Any

import yaml
from yaml.composer import ComposerError

#: nesting of mappings and sequences a file may have (a layout needs about 20)
MAX_DEPTH = 64
#: nodes a file may stand for with every alias expanded (a layout has a few hundred)
MAX_NODES = 100_000


class BoundedSafeLoader(yaml.SafeLoader):  # type: ignore[misc]  # yaml has no types
    """``yaml.SafeLoader`` that refuses documents nested deeper than :attr:`max_depth`
    or standing for more than :attr:`max_nodes` nodes once aliases are expanded."""

    max_depth = MAX_DEPTH
    max_nodes = MAX_NODES

    def __init__(self, stream: str | bytes | IO[str] | IO[bytes]) -> None:
        super().__init__(stream)
        self._depth = 0
        self._expanded = 0
        #: expanded size of each node composed so far, by id (nodes live as long as this)
        self._sizes: dict[int, int] = {}

    def compose_document(self) -> Any:
        self._depth, self._expanded, self._sizes = 0, 0, {}
        return super().compose_document()

    # index: the key node (in a mapping) or the position (in a sequence), passed on
    def compose_node(self, parent: yaml.Node | None, index: object) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None:
                size = self._sizes.get(id(target))
                if size is None:
                    raise ComposerError(
                        None,
                        None,
                        f"alias *{event.anchor} refers to a node that contains it",
                        event.start_mark,
                    )
                self._count(size, event)
            return super().compose_node(parent, index)
        if self._depth >= self.max_depth:
            raise ComposerError(
                None, None, f"nested deeper than {self.max_depth} levels", event.start_mark
            )
        before = self._expanded
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._count(1, event)
        self._sizes[id(node)] = self._expanded - before
        return node

    def _count(self, nodes: int, event: yaml.Event) -> None:
        self._expanded += nodes
        if self._expanded > self.max_nodes:
            raise ComposerError(
                None,
                None,
                f"the document stands for more than {self.max_nodes:,} values once its "
                "aliases (*name) are expanded",
                event.start_mark,
            )


def yaml_error_place(exc: yaml.YAMLError, at_opening: bool = False) -> tuple[int | None, str]:
    """The line (1-based, ``None`` when unknown) and the message of a YAML error. An
    unclosed quote or bracket shows up lines below, often at the end of the file: the
    message then says where it was opened, and with ``at_opening`` that is the line
    given."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return None, f"bad YAML: {exc}"
    mark = exc.problem_mark or exc.context_mark
    message = f"bad YAML: {exc.problem or exc}"
    opened, context = exc.context_mark, exc.context or ""
    if mark and opened and ("quoted" in context or "flow" in context):
        if at_opening:
            message += f" at line {mark.line + 1} {context} opened here"
            message += " (unclosed quote or bracket?)"
            mark = opened
        else:
            what = context.removeprefix("while parsing ").removeprefix("while scanning ")
            message += f" ({what} opened at line {opened.line + 1}: unclosed quote or bracket?)"
    return (int(mark.line) + 1 if mark else None), message
