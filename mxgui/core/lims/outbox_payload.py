"""The payloads of the LIMS outbox: checked and encoded when put, references resolved
when sent (Qt-free).

A payload is a JSON object: strings, finite numbers, booleans, ``None``, lists and
objects with string keys, at most :data:`MAX_DEPTH` levels deep. A value
``{"$ref": "<key>", "field": "<name>"}`` anywhere in it stands for the field ``name`` of
the result the sender returned for the operation ``key`` (the id of a row written
before, known only once that row is in the database). :func:`encode_payload` checks a
payload and names the first field that is wrong; :func:`resolve_references` replaces the
references by the values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mxgui.core.file_limits import json_nesting_error
from mxgui.core.words import with_article

__all__ = [
    "MAX_DEPTH",
    "REF",
    "EncodedPayload",
    "decode_object",
    "encode_payload",
    "resolve_references",
]

#: the key marking a reference to another operation's result
REF = "$ref"
#: nesting allowed in a payload (objects and lists)
MAX_DEPTH = 32
#: nesting read back from the file (a sender's result is not checked when stored)
MAX_STORED_DEPTH = 100


@dataclass(frozen=True)
class EncodedPayload:
    """A checked payload: its JSON text and the keys of the operations it refers to."""

    text: str
    references: tuple[str, ...]


def encode_payload(payload: object, max_bytes: int) -> EncodedPayload:
    """``payload`` checked and encoded as JSON; ``ValueError`` naming the field (e.g.
    ``payload["grid"]["steps"][2]``) that is not JSON, or the largest field of a payload
    whose text is longer than ``max_bytes``."""
    if not isinstance(payload, Mapping):
        raise ValueError(f"payload: a JSON object (dict) is expected, not {type(payload).__name__}")
    references: list[str] = []
    _check(payload, "payload", 1, references)
    text = json.dumps(payload, allow_nan=False, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        largest = max(payload, key=lambda name: len(json.dumps(payload[name])), default="")
        raise ValueError(
            f"payload: {size:,} bytes of JSON, at most {max_bytes:,} are stored "
            f'(the largest field is payload["{largest}"])'
        )
    return EncodedPayload(text, tuple(dict.fromkeys(references)))


def _check(value: object, where: str, depth: int, references: list[str]) -> None:
    """Raise ``ValueError`` naming ``where`` if ``value`` is not plain JSON."""
    if value is None or isinstance(value, (bool, int)):
        return
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"{where}: {exc.reason} at character {exc.start}") from None
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value}: JSON has no such number")
        return
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        if REF in value:
            references.append(_reference(value, where)[0])
            return
        for name, item in value.items():
            if not isinstance(name, str):
                raise ValueError(f"{where}: the key {name!r} is not a string")
            _check(item, f'{where}["{name}"]', depth + 1, references)
        return
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _check(item, f"{where}[{index}]", depth + 1, references)
        return
    raise ValueError(f"{where} is {with_article(type(value).__name__)}, which is not JSON")


def _reference(value: Mapping[object, object], where: str) -> tuple[str, str]:
    """The (key, field) of the reference ``value``; ``ValueError`` naming ``where``."""
    key, field = value.get(REF), value.get("field")
    if set(value) != {REF, "field"} or not isinstance(key, str) or not isinstance(field, str):
        raise ValueError(
            f'{where}: a reference is {{"{REF}": "<key>", "field": "<name>"}}, not {dict(value)!r}'
        )
    return key, field


#: what resolves a reference: (key, field) -> the value
Lookup = Callable[[str, str], object]


def resolve_references(value: object, lookup: Lookup) -> object:
    """``value`` (decoded JSON) with every reference replaced by ``lookup(key, field)``;
    what ``lookup`` raises passes through."""
    if isinstance(value, dict):
        if REF in value:
            return lookup(*_reference(value, "payload"))
        return {name: resolve_references(item, lookup) for name, item in value.items()}
    if isinstance(value, list):
        return [resolve_references(item, lookup) for item in value]
    return value


def decode_object(text: str, what: str) -> dict[str, object]:
    """The JSON object in ``text`` (read back from the outbox file); ``ValueError``
    naming ``what`` when it is not one."""
    too_deep = json_nesting_error(text.encode("utf-8", "replace"), MAX_STORED_DEPTH)
    if too_deep is not None:
        raise ValueError(f"{what} is {too_deep} (line {too_deep.line})")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{what} is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{what} is not a JSON object but {type(value).__name__}")
    return value
