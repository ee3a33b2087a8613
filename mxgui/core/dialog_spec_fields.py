"""The fields of a workflow's dialog (``dialog_spec``): their types and how a value
the user typed, or the workflow gave, is converted and checked. Qt-free."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["TYPES", "FieldSpec", "FieldValue", "convert_value", "shown", "to_float", "to_integer"]

#: the field types of the simple form
TYPES = ("string", "integer", "float", "boolean", "choice")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}

#: a field's value once converted: text, a whole number, a number or true/false (a
#: choice is one of these too)
FieldValue = str | int | float | bool


@dataclass(frozen=True)
class FieldSpec:
    """One field of a dialog: its name (the key in the answer), label, type, default,
    limits (integer and float) and choices (choice)."""

    name: str
    label: str
    type: str
    default: FieldValue
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[FieldValue, ...] = ()
    required: bool = False
    tooltip: str = ""

    def convert(self, value: object) -> FieldValue:
        """``value`` as this field's type, within its limits, not empty when the field
        is a required text; ``ValueError`` otherwise (the message names the field)."""
        try:
            converted = convert_value(self.type, value, self.minimum, self.maximum, self.choices)
            if self.required and isinstance(converted, str) and not converted.strip():
                raise ValueError("a value is required")
        except ValueError as exc:
            raise ValueError(f"field {self.name!r}: {exc}") from None
        return converted


def convert_value(
    kind: str,
    value: object,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[FieldValue, ...] = (),
) -> FieldValue:
    """``value`` as a field of type ``kind`` (one of :data:`TYPES`) takes it: converted,
    within ``minimum`` and ``maximum`` (integer and float), one of ``choices`` (choice).
    ``ValueError`` saying what was expected (the caller names the field)."""
    if kind in ("integer", "float"):
        number = to_integer(value) if kind == "integer" else to_float(value)
        if minimum is not None and number < minimum:
            raise ValueError(f"{number} is below the minimum {minimum}")
        if maximum is not None and number > maximum:
            raise ValueError(f"{number} is above the maximum {maximum}")
        return number
    if kind == "choice":
        return _to_choice(value, choices)
    convert = _CONVERTERS.get(kind)
    if convert is None:
        raise ValueError(f"unknown field type {kind!r}, expected one of {', '.join(TYPES)}")
    return convert(value)


def _to_string(value: object) -> str:
    if value is None or isinstance(value, (dict, list, tuple)):
        raise ValueError(f"expected text, got {value!r}")
    return str(value)


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (for messages)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_integer(value: object) -> int:
    """An integer from an int, a whole float or digits in text; ``ValueError`` else."""
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected an integer, got {shown(value)}")


def to_float(value: object) -> float:
    """A finite number from an int, a float or a number in text; ``ValueError`` else."""
    number: float | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise ValueError(f"expected a number, got {shown(value)}")
    return number


def _to_boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _to_choice(value: object, choices: tuple[FieldValue, ...]) -> FieldValue:
    for choice in choices:
        if value == choice and type(value) is type(choice):
            return choice
    for choice in choices:  # the text a combo box shows
        if isinstance(value, str) and value == str(choice):
            return choice
    listed = ", ".join(repr(c) for c in choices)
    raise ValueError(f"expected one of {listed}, got {value!r}")


_CONVERTERS: dict[str, Callable[[object], FieldValue]] = {
    "string": _to_string,
    "boolean": _to_boolean,
}
