"""What the designer accepts: names, item attributes and connections.

Each check returns the value to store or raises :class:`EditError` saying what was
expected, in words a local contact understands.
"""

from __future__ import annotations

from collections.abc import Callable

from mxgui.core.words import with_article
from mxgui.gui.brick import Brick
from mxgui.gui.layout import (
    CONNECTION_KEYS,
    CONTAINER_TYPES,
    BrickNode,
    Connection,
    ContainerNode,
    WindowNode,
)

#: the attributes the property editor shows, per kind of item (besides brick properties)
ATTRIBUTES: dict[type, tuple[str, ...]] = {
    WindowNode: ("name", "title", "size", "show"),
    ContainerNode: ("type", "name", "title", "label", "sizes"),
    BrickNode: ("name", "label"),
}


class EditError(ValueError):
    """An edit the designer refused; the message says why."""


def check_name(name: str) -> str:
    """A brick or window name: not empty, no spaces."""
    name = name.strip()
    if not name or any(c.isspace() for c in name):
        raise EditError(f"{name!r} is not a name: use letters, digits, _ or - without spaces")
    return name


def check_attribute(
    item: WindowNode | ContainerNode | BrickNode, attribute: str, value: object
) -> object:
    """``value`` checked (and converted) for ``attribute`` of ``item``; not for names."""
    if attribute == "name" or attribute not in ATTRIBUTES.get(type(item), ()):
        what = with_article(type(item).__name__)
        raise EditError(f"{what} has no settable attribute {attribute!r}")
    if attribute == "type":
        if value not in CONTAINER_TYPES:
            raise EditError(f"container type must be one of {', '.join(CONTAINER_TYPES)}")
        return value
    if attribute == "sizes":
        return int_list(value, "sizes", minimum=0)
    if attribute == "size":
        size = int_list(value, "size", minimum=1)
        if size and len(size) != 2:
            raise EditError("size must be two numbers, width and height in pixels, or empty")
        return (size[0], size[1]) if size else None
    if attribute == "show":
        if not isinstance(value, bool):
            raise EditError("show must be true or false")
        return value
    if not isinstance(value, str):
        raise EditError(f"{attribute} must be text, got {value!r}")
    return value


def int_list(value: object, what: str, minimum: int) -> list[int]:
    """``value`` (a list, or text such as ``"420, 280"``) as a list of whole numbers."""
    if isinstance(value, str):
        parts = value.replace(",", " ").replace("x", " ").split()
        try:
            value = [int(part) for part in parts]
        except ValueError:
            raise EditError(
                f"{what} must be whole numbers separated by commas, got {value!r}"
            ) from None
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise EditError(f"{what} must be a list of whole numbers")
    if any(v < minimum for v in value):
        raise EditError(f"{what} must be at least {minimum} pixels each")
    return list(value)


def check_connection(
    connection: Connection,
    brick_class: Callable[[str], type[Brick] | None],
    existing: list[Connection],
    ignore: int | None = None,
) -> None:
    """:class:`EditError` unless ``connection`` joins a declared signal of one brick to a
    declared slot of another and is not in ``existing`` (but for index ``ignore``).

    ``brick_class(name)`` gives the class of the brick called ``name`` (``None``: no
    such usable brick).
    """
    values = [getattr(connection, key) for key in CONNECTION_KEYS]
    if not all(values):
        raise EditError("choose a sender, a signal, a receiver and a slot")
    sender = brick_class(connection.sender)
    receiver = brick_class(connection.receiver)
    for role, name, cls in (
        ("sender", connection.sender, sender),
        ("receiver", connection.receiver, receiver),
    ):
        if cls is None:
            raise EditError(f"{role} {name!r} is not a usable brick of this layout")
    assert sender is not None and receiver is not None  # the loop has raised otherwise
    if connection.signal not in sender.declared_signals():
        raise EditError(
            f"{connection.sender} ({sender.__name__}) has no signal {connection.signal!r}"
        )
    if connection.slot not in receiver.declared_slots():
        raise EditError(
            f"{connection.receiver} ({receiver.__name__}) has no slot {connection.slot!r}"
        )
    for index, other in enumerate(existing):
        if index != ignore and [getattr(other, key) for key in CONNECTION_KEYS] == values:
            raise EditError("this connection exists already")


def bricks_below(item: WindowNode | ContainerNode | BrickNode) -> list[BrickNode]:
    """The bricks in ``item`` (a window, container or brick), depth first."""
    if isinstance(item, BrickNode):
        return [item]
    if isinstance(item, WindowNode):
        children = [item.content] if item.content is not None else []
    else:
        children = item.children
    return [brick for child in children for brick in bricks_below(child)]
