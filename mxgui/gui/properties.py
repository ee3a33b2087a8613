"""Typed brick properties: what a layout file may set on a brick."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from PyQt5.QtGui import QColor

#: what a property holds once converted (:meth:`BrickProperty.convert`): text for strings,
#: combos, files, colours and hardware-object names
PropertyValue = str | int | float | bool


class PropertyKind(str, enum.Enum):
    """The types of brick properties (as in mxcubeqt)."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    BOOLEAN = "boolean"
    COMBO = "combo"
    FILE = "file"
    COLOR = "color"
    HARDWARE_OBJECT = "hardware_object"


_EXPECTED = {
    PropertyKind.STRING: "text",
    PropertyKind.INTEGER: "an integer",
    PropertyKind.FLOAT: "a number",
    PropertyKind.BOOLEAN: "true or false",
    PropertyKind.FILE: "a file path",
    PropertyKind.COLOR: "a colour (#rrggbb or a colour name)",
    PropertyKind.HARDWARE_OBJECT: "a hardware object name such as /phi (or empty)",
}


@dataclass(frozen=True)
class BrickProperty:
    """A property a brick declares: name, kind, default, and for combos the choices.

    ``interface`` (hardware-object properties only) is the abstract class the bound
    object must implement, checked when the property is set.
    """

    name: str
    kind: PropertyKind
    default: Any = None
    doc: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    interface: type | None = field(default=None, compare=False)

    def expected(self) -> str:
        """What a valid value looks like, for error messages."""
        if self.kind is PropertyKind.COMBO:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return _EXPECTED[self.kind]

    def convert(self, value: object) -> PropertyValue:
        """``value`` converted to this property's kind, or ``ValueError`` saying why."""
        kind = self.kind
        bad = ValueError(f"property {self.name!r} expects {self.expected()}, got {value!r}")
        if kind is PropertyKind.BOOLEAN:
            if isinstance(value, bool):
                return value
            raise bad
        if kind is PropertyKind.INTEGER:
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad
            return self._in_range(value)
        if kind is PropertyKind.FLOAT:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad
            return self._in_range(float(value))
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise bad
        if kind is PropertyKind.COMBO and value not in self.choices:
            raise bad
        if kind is PropertyKind.COLOR and value and not QColor.isValidColor(value):
            raise bad
        if kind is PropertyKind.HARDWARE_OBJECT and value and not value.startswith("/"):
            raise bad
        return value

    def _in_range(self, value: float) -> float:
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"property {self.name!r}: {value} is below the minimum {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"property {self.name!r}: {value} is above the maximum {self.maximum}")
        return value


def string(name: str, default: str = "", doc: str = "") -> BrickProperty:
    return BrickProperty(name, PropertyKind.STRING, default, doc)


def integer(
    name: str, default: int = 0, doc: str = "", minimum=None, maximum=None
) -> BrickProperty:
    return BrickProperty(name, PropertyKind.INTEGER, default, doc, minimum=minimum, maximum=maximum)


def floating(
    name: str, default: float = 0.0, doc: str = "", minimum=None, maximum=None
) -> BrickProperty:
    return BrickProperty(name, PropertyKind.FLOAT, default, doc, minimum=minimum, maximum=maximum)


def boolean(name: str, default: bool = False, doc: str = "") -> BrickProperty:
    return BrickProperty(name, PropertyKind.BOOLEAN, default, doc)


def combo(
    name: str, choices: tuple[str, ...], default: str | None = None, doc: str = ""
) -> BrickProperty:
    return BrickProperty(name, PropertyKind.COMBO, default or choices[0], doc, choices=choices)


def file(name: str, default: str = "", doc: str = "") -> BrickProperty:
    return BrickProperty(name, PropertyKind.FILE, default, doc)


def color(name: str, default: str = "", doc: str = "") -> BrickProperty:
    return BrickProperty(name, PropertyKind.COLOR, default, doc)


def hardware_object(
    name: str, default: str = "", doc: str = "", interface: type | None = None
) -> BrickProperty:
    return BrickProperty(name, PropertyKind.HARDWARE_OBJECT, default, doc, interface=interface)
