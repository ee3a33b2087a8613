"""The fields of a workflow's dialog (``dialog_spec``): their types and how a value
the user typed, or the workflow gave, is converted and checked. Qt-free."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["TYPES", "FieldSpec", "shown", "to_float", "to_integer"]

#: the field types of the simple form
TYPES = ("string", "integer", "float", "boolean", "choice")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}


@dataclass(frozen=True)
class FieldSpec:
    """One field of a dialog: its name (the key in the answer), label, type, default,
    limits (integer and float) and choices (choice)."""

    name: str
    label: str
    type: str
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[Any, ...] = ()
    required: bool = False
    tooltip: str = ""

    def convert(self, value: Any) -> Any:
        """``value`` as this field's type, within its limits; ``ValueError`` otherwise
        (the message names the field)."""
        try:
            return self._convert(value)
        except ValueError as exc:
            raise ValueError(f"field {self.name!r}: {exc}") from None

    def _convert(self, value: Any) -> Any:
        converted = _CONVERTERS[self.type](self, value)
        if self.type in ("integer", "float"):
            if self.minimum is not None and converted < self.minimum:
                raise ValueError(f"{converted} is below the minimum {self.minimum}")
            if self.maximum is not None and converted > self.maximum:
                raise ValueError(f"{converted} is above the maximum {self.maximum}")
        if self.required and self.type == "string" and not converted.strip():
            raise ValueError("a value is required")
        return converted


def _to_string(_spec: FieldSpec, value: Any) -> str:
    if value is None or isinstance(value, (dict, list, tuple)):
        raise ValueError(f"expected text, got {value!r}")
    return str(value)


def shown(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (for messages)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_integer(value: Any) -> int:
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


def to_float(value: Any) -> float:
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


def _to_boolean(_spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError(f"expected true or false, got {value!r}")


def _to_choice(spec: FieldSpec, value: Any) -> Any:
    for choice in spec.choices:
        if value == choice and type(value) is type(choice):
            return choice
    for choice in spec.choices:  # the text a combo box shows
        if isinstance(value, str) and value == str(choice):
            return choice
    shown = ", ".join(repr(c) for c in spec.choices)
    raise ValueError(f"expected one of {shown}, got {value!r}")


_CONVERTERS = {
    "string": _to_string,
    "integer": lambda _spec, value: to_integer(value),
    "float": lambda _spec, value: to_float(value),
    "boolean": _to_boolean,
    "choice": _to_choice,
}
