"""The layout being edited: every change goes through :class:`LayoutDocument`.

The document holds a :class:`~mxgui.gui.layout.Layout` and announces each change with a
named event (the same :class:`~mxgui.core.signals.SignalEmitter` as hardware objects), in
pairs around structural changes (``inserting`` / ``inserted`` ...) so that a Qt item
model can adapt it. It holds no widget: the designer's views subscribe to it and write
back only through its methods, which refuse a bad edit with :class:`EditError` saying
why.
"""

from __future__ import annotations

from pathlib import Path

from mxgui.core.errors import ConfigError
from mxgui.core.signals import SignalEmitter
from mxgui.gui.brick import Brick
from mxgui.gui.brick_registry import UnknownBrickError, brick_class, module_name
from mxgui.gui.designer.copies import new_layout, snapshot, take_lines
from mxgui.gui.designer.rules import (
    EditError,
    bricks_below,
    check_attribute,
    check_connection,
    check_name,
)
from mxgui.gui.layout import (
    CONTAINER_TYPES,
    BrickNode,
    Connection,
    ContainerNode,
    Layout,
    WindowNode,
    load_layout,
    save_layout,
)
from mxgui.gui.layout_check import check_layout
from mxgui.gui.properties import PropertyValue

#: what the layout tree shows: windows, containers and bricks
Item = WindowNode | ContainerNode | BrickNode


class LayoutDocument(SignalEmitter):
    """One layout file open in the designer: the layout, its path, and whether it changed.

    Events (arguments in brackets): ``inserting`` / ``inserted`` (parent, row),
    ``removing`` / ``removed`` (parent, row), ``moving`` / ``moved`` (parent, row,
    new_row), ``itemChanged`` (item), ``connectionsChanged`` (), ``edited`` () after
    every change, ``modifiedChanged`` (modified). ``parent`` is ``None`` for a window.

    Parameters
    ----------
    layout
        The layout to edit (it becomes the document's; do not change it elsewhere).
    path
        Where it is saved; ``None`` for a layout not saved yet.
    load_errors
        Problems found when the file was read, with their lines in that file.
    """

    SIGNALS = (
        "inserting",
        "inserted",
        "removing",
        "removed",
        "moving",
        "moved",
        "itemChanged",
        "connectionsChanged",
        "edited",
        "modifiedChanged",
    )

    def __init__(
        self,
        layout: Layout,
        path: str | Path | None,
        load_errors: list[ConfigError] | None = None,
    ) -> None:
        super().__init__()
        self.layout = layout
        self.path = Path(path) if path else None
        self.load_errors = list(load_errors or [])
        self.modified = False
        self._parents: dict[int, Item | None] = {}
        self._classes: dict[str, type[Brick] | None] = {}
        self._reindex()

    @classmethod
    def load(cls, path: str | Path) -> LayoutDocument:
        """Open the layout file ``path``; :class:`~mxgui.gui.layout.LayoutError` if unreadable.

        Problems inside the file do not stop it: they are kept in :attr:`load_errors`.
        """
        layout = load_layout(path)
        check_layout(layout)  # also converts property values to their declared types
        errors = layout.all_errors()
        checked: list[ContainerNode | BrickNode | Connection] = [
            *layout.containers(),
            *layout.bricks(),
            *layout.connections,
        ]
        for item in checked:
            item.error = None  # the designer re-checks after every edit (validation.py)
        return cls(layout, path, errors)

    @classmethod
    def new(cls, path: str | Path | None = None) -> LayoutDocument:
        """A new layout (one window with a vbox), to be saved to ``path``."""
        return cls(new_layout(path), path)

    # structure ---------------------------------------------------------------------------
    def children(self, item: Item | None) -> list[Item]:
        """The items below ``item`` (the windows below ``None``)."""
        if item is None:
            return list(self.layout.windows)
        if isinstance(item, WindowNode):
            return [item.content] if item.content is not None else []
        if isinstance(item, ContainerNode):
            return list(item.children)
        return []

    def parent(self, item: Item) -> Item | None:
        """The window or container holding ``item`` (``None`` for a window)."""
        return self._parents.get(id(item))

    def row(self, item: Item) -> int:
        """The position of ``item`` among its parent's children."""
        siblings = self.children(self.parent(item))
        return next(i for i, sibling in enumerate(siblings) if sibling is item)

    def contains(self, item: object) -> bool:
        """Whether ``item`` is (still) part of the layout."""
        return isinstance(item, Item) and id(item) in self._parents

    def _reindex(self) -> None:
        parents: dict[int, Item | None] = {}

        def walk(item: Item, parent: Item | None) -> None:
            parents[id(item)] = parent
            for child in self.children(item):
                walk(child, item)

        for window in self.layout.windows:
            walk(window, None)
        self._parents = parents

    def bricks(self) -> list[BrickNode]:
        """Every brick, depth first."""
        return self.layout.bricks()

    def brick(self, name: str) -> BrickNode | None:
        """The brick called ``name``, if any."""
        return next((b for b in self.bricks() if b.name == name), None)

    def brick_class(self, node: BrickNode | str) -> type[Brick] | None:
        """The class of a brick (or of a class name); ``None`` if it cannot be imported."""
        name = node.class_name if isinstance(node, BrickNode) else node
        if name not in self._classes:
            try:
                self._classes[name] = brick_class(name)
            except UnknownBrickError:
                self._classes[name] = None
        return self._classes[name]

    def unique_brick_name(self, class_name: str) -> str:
        """A free brick name made from the class: ``MotorBrick`` -> ``motor``, ``motor2``..."""
        base = module_name(class_name).removesuffix("_brick") or "brick"
        taken = {b.name for b in self.bricks()}
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base}{number}"
        return name

    # adding, removing, moving ------------------------------------------------------------
    def insertion_point(self, selected: Item | None) -> tuple[WindowNode | ContainerNode, int]:
        """Where an added item goes: into ``selected`` if it is a container, else after it."""
        if selected is None:
            selected = self.layout.windows[0]
        if isinstance(selected, WindowNode):
            if selected.content is None:
                return selected, 0
            selected = selected.content
            if isinstance(selected, ContainerNode):
                return selected, len(selected.children)
        if isinstance(selected, ContainerNode) and selected.type in CONTAINER_TYPES:
            return selected, len(selected.children)
        parent = self.parent(selected)
        if isinstance(parent, ContainerNode):
            return parent, self.row(selected) + 1
        raise EditError(
            "a window holds a single item: select a container to add into, "
            "or remove the window's content first"
        )

    def insert(self, parent: WindowNode | ContainerNode, row: int, node: Item) -> None:
        """Put ``node`` at ``row`` below ``parent``."""
        if isinstance(node, WindowNode):
            raise EditError("use add_window to add a window")
        if isinstance(node, BrickNode):
            if not node.name or self.brick(node.name) is not None:
                raise EditError(f"a brick named {node.name!r} exists already; names must be unique")
        if isinstance(parent, WindowNode):
            if parent.content is not None:
                raise EditError(f"window {parent.name} has content already")
        elif not (isinstance(parent, ContainerNode) and parent.type in CONTAINER_TYPES):
            raise EditError("bricks and containers go into a window or a container")
        self.emit("inserting", parent, row)
        if isinstance(parent, WindowNode):
            parent.content = node
        else:
            parent.children.insert(row, node)
        self._reindex()
        self.emit("inserted", parent, row)
        self._edited()

    def add_brick(self, class_name: str, selected: Item | None = None) -> BrickNode:
        """A new brick of ``class_name`` with a free name, into or after ``selected``."""
        if self.brick_class(class_name) is None:
            try:
                brick_class(class_name)
            except UnknownBrickError as exc:
                raise EditError(str(exc)) from None
        parent, row = self.insertion_point(selected)
        node = BrickNode(class_name, self.unique_brick_name(class_name))
        self.insert(parent, row, node)
        return node

    def add_container(self, kind: str, selected: Item | None = None) -> ContainerNode:
        """A new empty container of type ``kind``, into or after ``selected``."""
        if kind not in CONTAINER_TYPES:
            raise EditError(f"unknown container type {kind!r}; expected one of {CONTAINER_TYPES}")
        parent, row = self.insertion_point(selected)
        node = ContainerNode(kind, title="Group" if kind == "groupbox" else "")
        self.insert(parent, row, node)
        return node

    def add_window(self) -> WindowNode:
        """A new window (holding a vbox) after the last one."""
        names = {w.name for w in self.layout.windows}
        number = len(names) + 1
        while f"window{number}" in names:
            number += 1
        window = WindowNode(f"window{number}", "mxgui", ContainerNode("vbox"))
        row = len(self.layout.windows)
        self.emit("inserting", None, row)
        self.layout.windows.append(window)
        self._reindex()
        self.emit("inserted", None, row)
        self._edited()
        return window

    def remove(self, item: Item) -> list[Connection]:
        """Remove ``item`` and what it holds; returns the connections removed with it."""
        parent = self.parent(item)
        if isinstance(item, WindowNode) and len(self.layout.windows) == 1:
            raise EditError("a layout needs at least one window")
        row = self.row(item)
        gone = {b.name for b in bricks_below(item)}
        dropped = [c for c in self.layout.connections if {c.sender, c.receiver} & gone]
        self.emit("removing", parent, row)
        if parent is None:
            del self.layout.windows[row]
        elif isinstance(parent, WindowNode):
            parent.content = None
        else:
            assert isinstance(parent, ContainerNode)  # a brick holds nothing
            del parent.children[row]
        self._reindex()
        self.emit("removed", parent, row)
        if dropped:
            self.layout.connections = [c for c in self.layout.connections if c not in dropped]
            self.emit("connectionsChanged")
        self._edited()
        return dropped

    def move(self, item: Item, delta: int) -> bool:
        """Move ``item`` ``delta`` places among its siblings; False if it cannot go there."""
        parent = self.parent(item)
        row = self.row(item)
        siblings = self.layout.windows if parent is None else getattr(parent, "children", None)
        new_row = row + delta
        if siblings is None or not 0 <= new_row < len(siblings) or delta == 0:
            return False
        self.emit("moving", parent, row, new_row)
        siblings.insert(new_row, siblings.pop(row))
        self._reindex()
        self.emit("moved", parent, row, new_row)
        self._edited()
        return True

    # attributes and properties -----------------------------------------------------------
    def rename(self, item: Item, name: str) -> None:
        """Rename a brick or window (names must be unique), or name a container.

        Connections follow a renamed brick.
        """
        if isinstance(item, ContainerNode):
            item.name = name.strip()
            self._changed(item)
            return
        name = check_name(name)
        if name == item.name:
            return
        if isinstance(item, BrickNode):
            if self.brick(name) is not None:
                raise EditError(f"a brick named {name!r} exists already; names must be unique")
            for connection in self.layout.connections:
                if connection.sender == item.name:
                    connection.sender = name
                if connection.receiver == item.name:
                    connection.receiver = name
        elif any(w.name == name for w in self.layout.windows):
            raise EditError(f"a window named {name!r} exists already; names must be unique")
        item.name = name
        if isinstance(item, BrickNode):
            self.emit("connectionsChanged")
        self._changed(item)

    def set_attribute(self, item: Item, attribute: str, value: object) -> None:
        """Set a checked attribute (see :data:`~.rules.ATTRIBUTES`; names: :meth:`rename`)."""
        setattr(item, attribute, check_attribute(item, attribute, value))
        self._changed(item)

    def set_property(self, brick: BrickNode, name: str, value: object) -> PropertyValue:
        """Set brick property ``name``, converted to its declared type; the value set."""
        cls = self.brick_class(brick)
        if cls is None:
            raise EditError(f"brick {brick.name}: class {brick.class_name!r} cannot be loaded")
        spec = cls.declared_properties().get(name)
        if spec is None:
            raise EditError(f"{brick.class_name} has no property {name!r}")
        try:
            converted = spec.convert(value)
        except ValueError as exc:
            raise EditError(str(exc)) from None
        if name in brick.properties and brick.properties[name] == converted:
            return converted
        brick.properties[name] = converted
        self._changed(brick)
        return converted

    def reset_property(self, brick: BrickNode, name: str) -> None:
        """Forget the value of property ``name`` (the brick's default applies again)."""
        if name in brick.properties:
            del brick.properties[name]
            self._changed(brick)

    # connections ---------------------------------------------------------------------------
    def check_connection(self, connection: Connection, ignore: int | None = None) -> None:
        """:class:`EditError` unless ``connection`` joins a declared signal to a declared slot."""

        def class_of(name: str) -> type[Brick] | None:
            node = self.brick(name)
            return self.brick_class(node) if node is not None else None

        check_connection(connection, class_of, self.layout.connections, ignore)

    def add_connection(self, connection: Connection) -> None:
        """Append ``connection`` after checking it."""
        self.check_connection(connection)
        self.layout.connections.append(connection)
        self.emit("connectionsChanged")
        self._edited()

    def replace_connection(self, index: int, connection: Connection) -> None:
        """Put ``connection`` in place of connection ``index`` (keeps its line in the file)."""
        self.check_connection(connection, ignore=index)
        old = self.layout.connections[index]
        connection.line, connection.key_lines = old.line, dict(old.key_lines)
        self.layout.connections[index] = connection
        self.emit("connectionsChanged")
        self._edited()

    def remove_connection(self, index: int) -> None:
        """Remove connection ``index``."""
        del self.layout.connections[index]
        self.emit("connectionsChanged")
        self._edited()

    # files ---------------------------------------------------------------------------------
    def snapshot(self) -> Layout:
        """An independent copy of the layout (to check or build), with the file's lines."""
        return snapshot(self.layout)

    def save(self, path: str | Path | None = None) -> None:
        """Write the layout (atomically) to ``path`` or to where it came from.

        Afterwards the lines of every item are those of the file written.
        """
        target = Path(path) if path else self.path
        if target is None:
            raise EditError("the layout has no file yet: choose one (Save As)")
        self.layout.path = str(target)
        save_layout(self.layout, target)
        take_lines(self.layout, target)
        self.path = target
        self.load_errors = []
        self.modified = False
        self.emit("modifiedChanged", False)
        self.emit("edited")

    # events ---------------------------------------------------------------------------------
    def _changed(self, item: Item) -> None:
        self.emit("itemChanged", item)
        self._edited()

    def _edited(self) -> None:
        if not self.modified:
            self.modified = True
            self.emit("modifiedChanged", True)
        self.emit("edited")
