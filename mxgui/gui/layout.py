"""Layout files (YAML): the model, loading with line numbers, saving.

A layout is a list of windows, each holding one tree of containers (``tab``,
``hsplitter``, ``vsplitter``, ``hbox``, ``vbox``, ``groupbox``) and bricks, plus a list
of connections ``{sender, signal, receiver, slot}`` between bricks. Loading records
problems per node (:attr:`BrickNode.error`, :attr:`Layout.errors`) so that one bad brick
never stops the rest; only an unreadable file is fatal (:class:`LayoutError`).
Layouts are data: parsed with a ``yaml.SafeLoader`` that bounds nesting and alias
expansion (:mod:`mxgui.core.bounded_yaml`), never ``eval`` or pickle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mxgui.core.atomic_write import KEEP_MODE, atomic_write
from mxgui.core.bounded_yaml import BoundedSafeLoader, yaml_error_place
from mxgui.core.errors import ConfigError
from mxgui.core.file_limits import FileTooLarge, read_bounded

FORMAT_VERSION = 1
#: the largest layout file read (the default layout takes a few kB)
MAX_FILE_BYTES = 4 * 1024 * 1024
CONTAINER_TYPES = ("tab", "hsplitter", "vsplitter", "hbox", "vbox", "groupbox")
BRICK_KEYS = {"class", "name", "properties", "label"}
CONTAINER_KEYS = {"type", "name", "title", "label", "children", "sizes"}
WINDOW_KEYS = {"name", "title", "size", "show", "content"}
CONNECTION_KEYS = ("sender", "signal", "receiver", "slot")


class LayoutError(ConfigError):
    """A layout file that cannot be used at all (unreadable, not YAML, newer format)."""


@dataclass
class BrickNode:
    """A brick in the layout: its class, unique name and property values."""

    class_name: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)
    label: str = ""
    line: int | None = None
    property_lines: dict[str, int] = field(default_factory=dict)
    error: ConfigError | None = None


@dataclass
class ContainerNode:
    """A container: its type, children, and (groupbox / tab page) title."""

    type: str
    children: list[Node] = field(default_factory=list)
    name: str = ""
    title: str = ""
    label: str = ""
    sizes: list[int] = field(default_factory=list)
    line: int | None = None
    error: ConfigError | None = None


Node = BrickNode | ContainerNode


@dataclass
class WindowNode:
    """A top-level window and its content tree."""

    name: str
    title: str = "mxgui"
    content: Node | None = None
    size: tuple[int, int] | None = None
    show: bool = True
    line: int | None = None


@dataclass
class Connection:
    """``sender.signal`` -> ``receiver.slot`` between two bricks."""

    sender: str
    signal: str
    receiver: str
    slot: str
    line: int | None = None
    error: ConfigError | None = None
    #: the line of each key (sender, signal, receiver, slot) in the file
    key_lines: dict[str, int] = field(default_factory=dict)


#: anything of a layout that has a line in its file
LayoutItem = WindowNode | BrickNode | ContainerNode | Connection


@dataclass
class Layout:
    """A whole layout file."""

    path: str
    windows: list[WindowNode] = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    errors: list[ConfigError] = field(default_factory=list)

    def bricks(self) -> list[BrickNode]:
        """Every brick node, depth first, in file order."""
        found: list[BrickNode] = []

        def walk(node: Node | None) -> None:
            if isinstance(node, BrickNode):
                found.append(node)
            elif isinstance(node, ContainerNode):
                for child in node.children:
                    walk(child)

        for window in self.windows:
            walk(window.content)
        return found

    def containers(self) -> list[ContainerNode]:
        """Every container node (and unusable node), depth first, in file order."""
        found: list[ContainerNode] = []

        def walk(node: Node | None) -> None:
            if isinstance(node, ContainerNode):
                found.append(node)
                for child in node.children:
                    walk(child)

        for window in self.windows:
            walk(window.content)
        return found

    def all_errors(self) -> list[ConfigError]:
        """Every problem found: file-level, per container, brick and connection, by line."""
        errors = list(self.errors)
        errors += [c.error for c in self.containers() if c.error]
        errors += [b.error for b in self.bricks() if b.error]
        errors += [c.error for c in self.connections if c.error]
        return sorted(errors, key=lambda e: e.line or 0)


# loading -------------------------------------------------------------------------------------
class _Mapping(dict):
    """A YAML mapping that remembers its line and the line of each key."""

    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(BoundedSafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)):
            raise yaml.constructor.ConstructorError(
                None, None, "mapping keys must be plain values", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[str(key)] = key_node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[ConfigError] = []

    def error(self, line: int | None, message: str) -> ConfigError:
        return ConfigError(self.path, line, message)

    def unknown_keys(self, data: _Mapping, allowed: set[str], what: str) -> ConfigError | None:
        for key in data:
            if key not in allowed:
                return self.error(
                    data.key_lines.get(str(key), data.line),
                    f"unknown key {key!r} in {what}; expected: {', '.join(sorted(allowed))}",
                )
        return None

    def node(self, data: object, line: int) -> Node:
        if not isinstance(data, _Mapping):
            return ContainerNode(
                type="?",
                line=line,
                error=self.error(
                    line, f"expected a brick (class: ...) or a container (type: ...), got {data!r}"
                ),
            )
        if "class" in data:
            return self.brick(data)
        if "type" in data:
            return self.container(data)
        return ContainerNode(
            type="?",
            line=data.line,
            error=self.error(data.line, "expected 'class:' (a brick) or 'type:' (a container)"),
        )

    def brick(self, data: _Mapping) -> BrickNode:
        properties = data.get("properties") or {}
        node = BrickNode(
            class_name=str(data.get("class")),
            name=str(data.get("name") or ""),
            properties=dict(properties) if isinstance(properties, dict) else {},
            label=str(data.get("label") or ""),
            line=data.line,
            property_lines=dict(getattr(properties, "key_lines", {})),
        )
        if not isinstance(data.get("class"), str):
            node.error = self.error(
                data.line, "brick 'class' must be a brick class name such as MotorBrick"
            )
        elif not node.name:
            node.error = self.error(data.line, f"brick {node.class_name} needs a 'name'")
        elif not isinstance(properties, dict):
            node.error = self.error(
                data.key_lines.get("properties", data.line),
                "'properties' must be a mapping of name: value",
            )
        else:
            node.error = self.unknown_keys(data, BRICK_KEYS, f"brick {node.name}")
        return node

    def container(self, data: _Mapping) -> ContainerNode:
        kind = data.get("type")
        node = ContainerNode(
            type=str(kind),
            name=str(data.get("name") or ""),
            title=str(data.get("title") or ""),
            label=str(data.get("label") or ""),
            line=data.line,
        )
        if kind not in CONTAINER_TYPES:
            node.error = self.error(
                data.key_lines.get("type", data.line),
                f"unknown container type {kind!r}; expected one of {', '.join(CONTAINER_TYPES)}",
            )
            return node
        node.error = self.unknown_keys(data, CONTAINER_KEYS, f"{kind} container")
        sizes = data.get("sizes") or []
        if not (isinstance(sizes, list) and all(isinstance(s, int) and s >= 0 for s in sizes)):
            node.error = node.error or self.error(
                data.key_lines.get("sizes", data.line),
                "'sizes' must be a list of non-negative integers",
            )
        else:
            node.sizes = sizes
        children = data.get("children", [])
        if not isinstance(children, list):
            node.error = node.error or self.error(
                data.key_lines.get("children", data.line), "'children' must be a list"
            )
            return node
        line = data.key_lines.get("children", data.line)
        node.children = [self.node(child, getattr(child, "line", line)) for child in children]
        return node

    def window(self, data: object, index: int, line: int) -> WindowNode:
        if not isinstance(data, _Mapping):
            raise LayoutError(
                self.path, line, f"window {index + 1} must be a mapping with 'name' and 'content'"
            )
        window = WindowNode(
            name=str(data.get("name") or f"window{index + 1}"),
            title=str(data.get("title") or "mxgui"),
            show=bool(data.get("show", True)),
            line=data.line,
        )
        problem = self.unknown_keys(data, WINDOW_KEYS, f"window {window.name}")
        if problem:
            self.errors.append(problem)
        size = data.get("size")
        if size is not None:
            if (
                isinstance(size, list)
                and len(size) == 2
                and all(isinstance(v, int) and v > 0 for v in size)
            ):
                window.size = (size[0], size[1])
            else:
                self.errors.append(
                    self.error(
                        data.key_lines.get("size", data.line),
                        "'size' must be [width, height] in pixels",
                    )
                )
        if "content" not in data:
            self.errors.append(self.error(data.line, f"window {window.name} has no 'content'"))
        else:
            window.content = self.node(data["content"], data.key_lines.get("content", data.line))
        return window

    def connection(self, data: object, line: int) -> Connection:
        if not isinstance(data, _Mapping):
            return Connection(
                "",
                "",
                "",
                "",
                line,
                self.error(line, "a connection must be {sender, signal, receiver, slot}"),
            )
        sender, signal, receiver, slot = (str(data.get(k) or "") for k in CONNECTION_KEYS)
        connection = Connection(
            sender,
            signal,
            receiver,
            slot,
            line=data.line,
            key_lines=dict(data.key_lines),
        )
        missing = [k for k in CONNECTION_KEYS if not data.get(k)]
        if missing:
            connection.error = self.error(data.line, f"connection needs {', '.join(missing)}")
        else:
            connection.error = self.unknown_keys(data, set(CONNECTION_KEYS), "connection")
        return connection


def parse_layout(text: str, path: str = "<layout>") -> Layout:
    """Parse layout ``text``; per-node problems are recorded, fatal ones raised."""
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise LayoutError(path, *yaml_error_place(exc, at_opening=True)) from None
    if not isinstance(data, _Mapping):
        lines = enumerate(text.splitlines(), 1)
        first = next((n for n, t in lines if t.strip() and not t.lstrip().startswith("#")), 1)
        raise LayoutError(
            path, first, "a layout must be a mapping with 'windows' (and 'connections')"
        )
    version = data.get("format_version", FORMAT_VERSION)
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise LayoutError(
            path,
            data.key_lines.get("format_version", 1),
            f"format_version {version!r} is newer than this mxgui understands "
            f"({FORMAT_VERSION}); upgrade mxgui",
        )
    parser = _Parser(path)
    problem = parser.unknown_keys(data, {"format_version", "windows", "connections"}, "the layout")
    if problem:
        parser.errors.append(problem)
    windows = data.get("windows")
    if not isinstance(windows, list) or not windows:
        raise LayoutError(
            path, data.key_lines.get("windows", data.line), "'windows' must be a non-empty list"
        )
    layout = Layout(path=path)
    line = data.key_lines.get("windows", 1)
    layout.windows = [parser.window(w, i, getattr(w, "line", line)) for i, w in enumerate(windows)]
    connections = data.get("connections") or []
    if not isinstance(connections, list):
        parser.errors.append(
            parser.error(data.key_lines.get("connections"), "'connections' must be a list")
        )
        connections = []
    line = data.key_lines.get("connections", 1)
    layout.connections = [parser.connection(c, getattr(c, "line", line)) for c in connections]
    layout.errors = parser.errors
    return layout


def load_layout(path: str | Path) -> Layout:
    """Read and parse a layout file; :class:`LayoutError` if it cannot be read at all."""
    path = Path(path)
    try:
        text = read_bounded(path, MAX_FILE_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError, FileTooLarge) as exc:
        raise LayoutError(str(path), None, f"cannot read the layout file: {exc}") from None
    return parse_layout(text, str(path))


# saving ----------------------------------------------------------------------------------------
def _node_to_data(node: Node) -> dict[str, Any]:
    if isinstance(node, BrickNode):
        data: dict[str, Any] = {"class": node.class_name, "name": node.name}
        if node.label:
            data["label"] = node.label
        if node.properties:
            data["properties"] = dict(node.properties)
        return data
    data = {"type": node.type}
    for key in ("name", "title", "label"):
        if getattr(node, key):
            data[key] = getattr(node, key)
    if node.sizes:
        data["sizes"] = list(node.sizes)
    data["children"] = [_node_to_data(child) for child in node.children]
    return data


def layout_to_data(layout: Layout) -> dict[str, Any]:
    """The layout as plain data, ready for ``yaml.safe_dump``."""
    windows = []
    for window in layout.windows:
        data: dict[str, Any] = {"name": window.name, "title": window.title}
        if window.size:
            data["size"] = list(window.size)
        if not window.show:
            data["show"] = False
        if window.content is not None:
            data["content"] = _node_to_data(window.content)
        windows.append(data)
    connections = [{k: getattr(c, k) for k in CONNECTION_KEYS} for c in layout.connections]
    return {"format_version": FORMAT_VERSION, "windows": windows, "connections": connections}


def save_layout(layout: Layout, path: str | Path) -> None:
    """Write ``layout`` to ``path`` atomically (a crash never leaves half a file)."""
    path = Path(path)
    text = yaml.safe_dump(layout_to_data(layout), sort_keys=False, default_flow_style=False)
    # a beamline's shared layout stays readable: the mode of the file replaced is kept
    atomic_write(path, text, mode=KEEP_MODE)
