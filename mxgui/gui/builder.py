"""Build Qt windows from a checked :class:`Layout` and make its connections."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from PyQt5.QtCore import Qt
from PyQt5.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mxgui.core.errors import ConfigError
from mxgui.gui.brick import Brick, BrickContext
from mxgui.gui.layout import BrickNode, ContainerNode, Layout, Node, WindowNode
from mxgui.gui.layout_check import check_layout

log = logging.getLogger(__name__)

#: the dynamic property naming a layout's splitter in the settings (see :func:`splitter_key`)
SPLITTER_KEY = "mxguiSplitterKey"


class ErrorPlaceholder(QLabel):
    """Stands where a brick or container could not be built; says why."""

    def __init__(self, error: ConfigError, parent: QWidget | None = None) -> None:
        super().__init__(f"⚠ {error}", parent)
        self.error = error
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.setStyleSheet(
            "background-color: #f6c9c4; color: #5c0b0b; border: 2px solid #c62828; padding: 6px;"
        )
        self.setToolTip(str(error))


@dataclass
class BuiltWindow:
    """A window's node and the widget built for its content."""

    node: WindowNode
    content: QWidget


@dataclass
class BuiltLayout:
    """The result of building a layout: windows' content, bricks by name, problems."""

    layout: Layout
    windows: list[BuiltWindow] = field(default_factory=list)
    bricks: dict[str, Brick] = field(default_factory=dict)
    errors: list[ConfigError] = field(default_factory=list)

    def cleanup(self) -> None:
        """End every brick's subscriptions (call before the widgets go)."""
        for brick in self.bricks.values():
            try:
                brick.cleanup()
            except Exception:
                log.exception("cleanup of brick %s failed", brick.name)


class LayoutBuilder:
    """Turns layout nodes into widgets; bad nodes become :class:`ErrorPlaceholder`."""

    def __init__(self, layout: Layout, context: BrickContext) -> None:
        self.layout = layout
        self.context = context
        self.result = BuiltLayout(layout)

    def build(self) -> BuiltLayout:
        classes = check_layout(self.layout)
        self._classes = classes
        for window in self.layout.windows:
            content = self._build(window.content, "0") if window.content else QWidget()
            self.result.windows.append(BuiltWindow(window, content))
        for name, brick in self.result.bricks.items():
            node = next(n for n in self.layout.bricks() if n.name == name)
            brick.apply_properties(node.properties)
        self._connect()
        for brick in self.result.bricks.values():
            try:
                brick.run()
            except Exception as exc:
                log.exception("brick %s: run() failed", brick.name)
                brick.set_failed(f"run() failed: {type(exc).__name__}: {exc}")
        self.result.errors = self.layout.all_errors()
        for brick in self.result.bricks.values():
            if brick.failure:
                self.result.errors.append(
                    ConfigError(
                        self.layout.path,
                        self._line(brick.name, brick.failed_property),
                        f"brick {brick.name}: {brick.failure}",
                    )
                )
        return self.result

    def _line(self, brick_name: str, property_name: str | None = None) -> int | None:
        """The line of brick ``brick_name`` (of its property ``property_name`` if given)."""
        for node in self.layout.bricks():
            if node.name == brick_name:
                return node.property_lines.get(property_name or "", node.line)
        return None

    def _build(self, node: Node, path: str) -> QWidget:
        """The widget of ``node``; ``path`` is its place in the window's tree (child
        indices joined by dots), which names an unnamed splitter in the settings."""
        if node.error is not None:
            return ErrorPlaceholder(node.error)
        if isinstance(node, BrickNode):
            return self._build_brick(node)
        return self._build_container(node, path)

    def _build_brick(self, node: BrickNode) -> QWidget:
        cls = self._classes.get(node.name)
        if cls is None:  # check_layout recorded why
            return ErrorPlaceholder(
                node.error or ConfigError(self.layout.path, node.line, "brick not built")
            )
        try:
            brick = cls(self.context, node.name)
        except Exception as exc:
            log.exception("creating brick %s failed", node.name)
            node.error = ConfigError(
                self.layout.path,
                node.line,
                f"brick {node.name}: creating {cls.__name__} failed: {type(exc).__name__}: {exc}",
            )
            return ErrorPlaceholder(node.error)
        self.result.bricks[node.name] = brick
        return brick

    def _build_container(self, node: ContainerNode, path: str) -> QWidget:
        children = [
            (child, self._build(child, f"{path}.{index}"))
            for index, child in enumerate(node.children)
        ]
        if node.type == "tab":
            tabs = QTabWidget()
            for child, child_widget in children:
                label = (
                    child.label
                    or getattr(child, "title", "")
                    or child.name
                    or f"tab {tabs.count() + 1}"
                )
                tabs.addTab(scrolled(child_widget), label)
            widget: QWidget = tabs
        elif node.type in ("hsplitter", "vsplitter"):
            splitter = QSplitter(Qt.Horizontal if node.type == "hsplitter" else Qt.Vertical)
            splitter.setChildrenCollapsible(False)
            for _, child_widget in children:
                splitter.addWidget(child_widget)
            if node.sizes:
                splitter.setSizes(node.sizes)
            splitter.setProperty(SPLITTER_KEY, splitter_key(node, path))
            widget = splitter
        else:
            widget = QGroupBox(node.title) if node.type == "groupbox" else QWidget()
            box = QHBoxLayout(widget) if node.type == "hbox" else QVBoxLayout(widget)
            if node.type != "groupbox":
                box.setContentsMargins(0, 0, 0, 0)
            for _, child_widget in children:
                box.addWidget(child_widget)
            if not any(_expands(w, node.type == "hbox") for _, w in children):
                box.addStretch(1)
        if node.name:
            widget.setObjectName(node.name)
        return widget

    def _connect(self) -> None:
        bricks = self.result.bricks
        for connection in self.layout.connections:
            if connection.error:
                continue
            sender, receiver = bricks.get(connection.sender), bricks.get(connection.receiver)
            if sender is None or receiver is None:
                connection.error = ConfigError(
                    self.layout.path,
                    connection.line,
                    f"connection {connection.sender}.{connection.signal} -> "
                    f"{connection.receiver}.{connection.slot}: a brick was not built",
                )
                continue
            try:
                getattr(sender, connection.signal).connect(getattr(receiver, connection.slot))
            except TypeError as exc:
                connection.error = ConfigError(
                    self.layout.path,
                    connection.line,
                    f"cannot connect {connection.sender}.{connection.signal} to "
                    f"{connection.receiver}.{connection.slot}: {exc}",
                )


def splitter_key(node: ContainerNode, path: str) -> str:
    """The name a splitter's sizes are remembered under: its ``name`` in the layout,
    else its place in the tree (``"0.1"``: the second child of the window's content)."""
    return node.name or f"at {path}"


def scrolled(page: QWidget) -> QScrollArea:
    """``page`` in a frameless scroll area: a tab page as large as its bricks want never
    sets the window's minimum size (a small screen scrolls that page instead)."""
    area = QScrollArea()
    area.setObjectName(f"{page.objectName() or 'page'}_scroll")
    area.setFrameShape(QFrame.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(page)
    return area


def _expands(widget: QWidget, horizontal: bool) -> bool:
    """Whether ``widget`` wants to grow along the box (else the box ends with a stretch)."""
    policy = widget.sizePolicy()
    flags = policy.horizontalPolicy() if horizontal else policy.verticalPolicy()
    if flags & QSizePolicy.ExpandFlag:
        return True
    layout = widget.layout()
    direction = Qt.Horizontal if horizontal else Qt.Vertical
    return bool(layout is not None and layout.expandingDirections() & direction)


def build_layout(layout: Layout, context: BrickContext) -> BuiltLayout:
    """Check ``layout``, build its windows' widgets, set properties, connect, run."""
    return LayoutBuilder(layout, context).build()
