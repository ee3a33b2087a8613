"""Check a layout against what each brick declares: classes, properties, signals, slots."""

from __future__ import annotations

from mxgui.core.errors import ConfigError
from mxgui.gui.brick import Brick
from mxgui.gui.brick_registry import UnknownBrickError, brick_class
from mxgui.gui.layout import BrickNode, Layout


def check_brick(node: BrickNode, path: str) -> type[Brick] | None:
    """Resolve the class of ``node`` and check its properties; record ``node.error``."""
    if node.error:
        return None
    try:
        cls = brick_class(node.class_name)
    except UnknownBrickError as exc:
        node.error = ConfigError(path, node.line, f"brick {node.name}: {exc}")
        return None
    declared = cls.declared_properties()
    for key, value in node.properties.items():
        line = node.property_lines.get(str(key), node.line)
        spec = declared.get(key)
        if spec is None:
            node.error = ConfigError(
                path,
                line,
                f"brick {node.name} ({node.class_name}) has no property {key!r}; "
                f"expected one of: {', '.join(sorted(declared)) or 'none'}",
            )
            return None
        try:
            node.properties[key] = spec.convert(value)
        except ValueError as exc:
            node.error = ConfigError(path, line, f"brick {node.name}: {exc}")
            return None
    return cls


def check_layout(layout: Layout) -> dict[str, type[Brick]]:
    """Check every brick and connection; return the usable bricks' classes by name.

    Problems are recorded on the nodes (see :meth:`Layout.all_errors`).
    """
    classes: dict[str, type[Brick]] = {}
    seen: set[str] = set()
    for node in layout.bricks():
        if node.name and node.name in seen and not node.error:
            node.error = ConfigError(
                layout.path,
                node.line,
                f"brick name {node.name!r} is used twice; names must be unique",
            )
        seen.add(node.name)
        cls = check_brick(node, layout.path)
        if cls is not None:
            classes[node.name] = cls
    for connection in layout.connections:
        if connection.error:
            continue
        connection.error = _check_connection(connection, classes, seen, layout.path)
    return classes


def _check_connection(
    connection, classes: dict[str, type[Brick]], names: set[str], path: str
) -> ConfigError | None:
    def line(key: str) -> int | None:
        return connection.key_lines.get(key, connection.line)

    for role, brick_name in (("sender", connection.sender), ("receiver", connection.receiver)):
        if brick_name not in names:
            return ConfigError(
                path,
                line(role),
                f"connection {role} {brick_name!r} is not a brick of this layout",
            )
        if brick_name not in classes:
            return ConfigError(
                path,
                line(role),
                f"connection {role} {brick_name!r} is a brick that failed to load",
            )
    sender, receiver = classes[connection.sender], classes[connection.receiver]
    if connection.signal not in sender.declared_signals():
        return ConfigError(
            path,
            line("signal"),
            f"{connection.sender} ({sender.__name__}) has no signal {connection.signal!r}; "
            f"it declares: {', '.join(sorted(sender.declared_signals())) or 'none'}",
        )
    if connection.slot not in receiver.declared_slots():
        return ConfigError(
            path,
            line("slot"),
            f"{connection.receiver} ({receiver.__name__}) has no slot {connection.slot!r}; "
            f"it declares: {', '.join(sorted(receiver.declared_slots())) or 'none'}",
        )
    return None
