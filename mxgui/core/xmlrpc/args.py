"""Checking and converting XML-RPC arguments; every refusal names the argument.

XML-RPC clients send what their language has: a node id may come as ``"12"``, a dict
key is always text (``{"1": 0.5}`` for cell 1), a number may be an integer where a
float is meant. These helpers accept what is unambiguous and refuse the rest with a
:class:`~mxgui.core.xmlrpc.dispatch.BadArgument` saying what was expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mxgui.core.dialog_spec_fields import shown, to_float, to_integer
from mxgui.core.xmlrpc.dispatch import BadArgument


def as_int(value: object, name: str) -> int:
    """An integer from an int, a whole float or digits in text."""
    try:
        return to_integer(value)
    except ValueError as exc:
        raise BadArgument(f"{name}: {exc}") from None


def as_float(value: object, name: str) -> float:
    """A finite number from an int, a float or a number in text."""
    try:
        return to_float(value)
    except ValueError as exc:
        raise BadArgument(f"{name}: {exc}") from None


def as_str(value: object, name: str, allow_empty: bool = False) -> str:
    """Text (stripped); empty text refused unless ``allow_empty``."""
    if not isinstance(value, str):
        raise BadArgument(f"{name}: expected text, got {shown(value)}")
    text = value.strip()
    if not text and not allow_empty:
        raise BadArgument(f"{name}: expected text, got an empty string")
    return text


def as_bool(value: object, name: str) -> bool:
    """A boolean from a boolean, 0/1 or true/false text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise BadArgument(f"{name}: expected true or false, got {shown(value)}")


def as_struct(value: object, name: str, json_text: bool = False) -> dict[str, Any]:
    """A dict (an XML-RPC struct); with ``json_text`` also a JSON object in text."""
    if json_text and isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise BadArgument(f"{name}: not valid JSON: {exc}") from None
    if not isinstance(value, Mapping):
        kind = "a struct or a JSON object" if json_text else "a struct"
        raise BadArgument(f"{name}: expected {kind}, got {shown(value)}")
    return dict(value)


def as_list(value: object, name: str) -> list[Any]:
    """A list (an XML-RPC array)."""
    if not isinstance(value, (list, tuple)):
        raise BadArgument(f"{name}: expected an array, got {shown(value)}")
    return list(value)


def cell_index(key: object, name: str) -> int:
    """A 1-based cell index from an int or its text (struct keys are always text)."""
    index = as_int(key, name)
    if index < 1:
        raise BadArgument(f"{name}: cell index {index} is below 1 (cells are 1-based)")
    return index
