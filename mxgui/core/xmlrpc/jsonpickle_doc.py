"""Reading a jsonpickle document as data: plain JSON parsing, nothing imported or run.

jsonpickle writes an object as a JSON object whose ``py/object`` names its class
(``module.Class``) and whose other keys are its attributes; an object, a list or a dict
met a second time is written ``{"py/id": n}`` (``n``: the 0-based count of objects,
lists and dicts written before it, in document order). That is the numbering of
jsonpickle 2.0 and later (mxcubecore requires ^2.2; checked against a document of
2.0.0 and the tests' own release). jsonpickle before 2.0 counted objects and lists
only, in documents otherwise identical: their references cannot be told apart and are
read by today's numbering. Releases up to 0.3 wrote ``{"py/ref": "/attribute/names"}``
(0.4.0 already writes ``py/id``); such documents are read by that scheme (see
:class:`_Reader`), modelled on its reader, not replayed (it runs on Python 2 only).
Tuples and sets are ``{"py/tuple": [...]}`` and ``{"py/set": [...]}``; bytes
``{"py/b64": ...}``.

:func:`read_document` turns such a document into :class:`Pickled` records (class name
and attributes) and plain values. Only the class names the caller allows are read; any
other class, and every tag that would make a real unpickler import or call something
(``py/reduce``, ``py/function``, ``py/type``, ``py/repr``, ``py/newobj``,
``py/initargs``...), is refused with :class:`DocumentError` naming the place in the
document. Size and the number of containers are bounded before parsing (a bracket
count), nesting while reading, references by what was read before them.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

#: the largest document read (characters): a queue node with its subtree is far smaller
MAX_DOCUMENT_CHARS = 4_000_000
#: how deep objects, lists and dicts may nest (an mxcubecore task: about 6)
MAX_DEPTH = 48
#: objects, lists and dicts in one document (an mxcubecore DataCollection holds about 20:
#: 2,000 of them, the most nodes one document may add, about 40,000)
MAX_ITEMS = 60_000
#: bytes a ``py/b64`` value may decode to
MAX_BYTES = 1_000_000
#: the longest attribute name or dict key read (mxcubecore's longest is about 30)
MAX_KEY_CHARS = 200
#: the longest name the old jsonpickle's ``py/ref`` may use (the key path to an object)
MAX_NAME_CHARS = 512
#: how much of a key a place in a message shows
SHOWN_KEY_CHARS = 40
#: the tags read as data besides ``py/object``
DATA_TAGS = frozenset({"py/id", "py/ref", "py/tuple", "py/set", "py/b64", "py/state"})


class DocumentError(ValueError):
    """A document that is not read: the message names the place (``$.acquisitions[0]``)
    and what is wrong there."""


class Place:
    """A place in the document (``$.acquisitions[0]``), kept as its parent and one
    step and written out only when a message needs it: a place per object, each a
    copy of its parents' keys, would cost far more than the document."""

    __slots__ = ("parent", "step")

    def __init__(self, parent: Place | None, step: str | int) -> None:
        self.parent = parent
        self.step = step

    def __str__(self) -> str:
        steps: list[str | int] = []
        place: Place | None = self
        while place is not None:
            steps.append(place.step)
            place = place.parent
        text = []
        for step in reversed(steps):
            if isinstance(step, int):
                text.append(f"[{step}]")
            elif not text:
                text.append(step)  # the root, "$"
            else:
                cut = step if len(step) <= SHOWN_KEY_CHARS else step[:SHOWN_KEY_CHARS] + "..."
                text.append(f".{cut}")
        return "".join(text)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __repr__(self) -> str:
        return f"Place({str(self)!r})"


ROOT = Place(None, "$")


@dataclass(eq=False)
class Pickled:
    """One object of the document: its class (as written) and its attributes.

    ``where`` is its place in the document (``$.acquisitions[0].path_template``)."""

    cls: str
    where: Place | str
    #: not in the repr: through shared references it may stand for a huge tree
    attrs: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def class_name(self) -> str:
        """The class without its module (``DataCollection``)."""
        return self.cls.rpartition(".")[2]


def read_document(text: object, allowed: Collection[str], what: str = "document") -> Any:
    """The value of the jsonpickle document ``text`` with objects as :class:`Pickled`.

    ``allowed`` holds the full class names (``module.Class``) that may appear; the
    first other one is refused naming it and its place. ``what`` names the argument in
    messages. Raises :class:`DocumentError`.
    """
    if not isinstance(text, str):
        raise DocumentError(
            f"{what}: expected a jsonpickle document (text), got {type(text).__name__}"
        )
    if len(text) > MAX_DOCUMENT_CHARS:
        raise DocumentError(
            f"{what}: {len(text)} characters, over the limit of {MAX_DOCUMENT_CHARS}"
        )
    brackets = text.count("[") + text.count("{")  # at least the containers: a cheap bound
    if brackets > MAX_ITEMS:
        raise DocumentError(
            f"{what}: {brackets} brackets, more than the {MAX_ITEMS} objects, lists and "
            "dicts a document may hold"
        )
    try:
        data = json.loads(text)
    except RecursionError:
        raise DocumentError(f"{what}: nests deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise DocumentError(
            f"{what}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:  # e.g. an integer of more digits than Python converts
        raise DocumentError(f"{what}: not readable JSON: {exc}") from None
    return _Reader(frozenset(allowed), _is_legacy(data)).value(data, ROOT)


def _is_legacy(data: object) -> bool:
    """Whether ``data`` was written by the old jsonpickle: some dict has a ``py/ref``
    key and none a ``py/id`` one (decided on the parsed data: a text value that reads
    "py/ref" is a value, not a tag)."""
    found_ref = False
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "py/id" in node:
                return False
            found_ref = found_ref or "py/ref" in node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found_ref


class _Reader:
    """One pass over the parsed JSON in the order jsonpickle numbered it.

    Today's jsonpickle numbers objects, lists and dicts in document order. The old one
    that wrote ``py/ref`` (a document holding one is read its way) walked attributes
    and keys sorted, numbered objects and lists only, and named each by the attribute
    and key names leading to it (``/acquisitions``; list positions are not part of a
    name), the last one read under a name being the one a ``py/ref`` finds.
    """

    def __init__(self, allowed: frozenset[str], legacy: bool) -> None:
        self.allowed = allowed
        self.legacy = legacy
        self.seen: list[Any] = []  # by py/id
        self.by_name: dict[str, Any] = {}  # by py/ref
        self.depth = 0

    def _register(self, item: object, name: str, is_dict: bool = False) -> None:
        if is_dict and self.legacy:
            return
        if len(self.seen) >= MAX_ITEMS:
            raise DocumentError(f"{name}: more than {MAX_ITEMS} objects, lists and dicts")
        self.seen.append(item)
        if self.legacy:
            self.by_name[name] = item

    def _key(self, key: str, where: Place) -> Place:
        """The place of attribute or key ``key`` below ``where`` (a long key refused)."""
        if len(key) > MAX_KEY_CHARS:
            raise DocumentError(
                f"{where}: a key of {len(key)} characters, over the limit of {MAX_KEY_CHARS}"
            )
        return Place(where, key)

    def _name(self, name: str, key: str, child: object, where: Place) -> str:
        """The old jsonpickle's name of attribute or key ``key`` below ``name``; only a
        container's name is used (a py/ref finds objects and lists)."""
        if not self.legacy or not isinstance(child, (list, dict)):
            return name  # today's documents have no py/ref
        named = f"{name}{key}" if name.endswith("/") else f"{name}/{key}"
        if len(named) > MAX_NAME_CHARS:
            raise DocumentError(
                f"{where}: its py/ref name has over {MAX_NAME_CHARS} characters (the old "
                "jsonpickle's names are the keys leading to an object)"
            )
        return named

    def _items(self, node: dict[str, Any]) -> list[tuple[str, Any]]:
        return sorted(node.items()) if self.legacy else list(node.items())

    def value(self, node: object, where: Place, name: str = "/") -> Any:
        """``node`` read; a container deeper than :data:`MAX_DEPTH` is refused."""
        if not isinstance(node, (list, dict)):
            return node
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise DocumentError(f"{where}: nests deeper than {MAX_DEPTH} levels")
            return self._container(node, where, name)
        finally:
            self.depth -= 1

    def _container(self, node: list[Any] | dict[str, Any], where: Place, name: str) -> Any:
        if isinstance(node, list):
            items: list[Any] = []
            self._register(items, name)
            for index, child in enumerate(node):
                items.append(self.value(child, Place(where, index), name))
            return items
        tags = [k for k in node if k.startswith("py/")]
        if not tags:
            plain: dict[str, Any] = {}
            self._register(plain, name, is_dict=True)
            for key, child in self._items(node):
                place = self._key(key, where)
                plain[key] = self.value(child, place, self._name(name, key, child, place))
            return plain
        if "py/object" in node:
            return self._object(node, where, name)
        if len(node) != 1:
            raise DocumentError(f"{where}: tag {tags[0]} with other keys ({', '.join(node)})")
        tag = tags[0]
        content = node[tag]
        if tag == "py/id":
            return self._by_id(content, where)
        if tag == "py/ref":
            return self._by_ref(content, where)
        if tag in ("py/tuple", "py/set"):
            if not isinstance(content, list):
                raise DocumentError(f"{where}.{tag}: expected a list")
            values = [self.value(c, Place(where, i), name) for i, c in enumerate(content)]
            return tuple(values) if tag == "py/tuple" else values
        if tag == "py/b64":
            return _bytes(content, where)
        raise DocumentError(
            f"{where}: {tag} is refused: mxgui reads jsonpickle documents as data and never "
            "imports, calls or evaluates what they name"
        )

    def _object(self, node: dict[str, Any], where: Place, name: str) -> Pickled:
        cls = node["py/object"]
        if not isinstance(cls, str):
            raise DocumentError(f"{where}.py/object: expected a class name, got {cls!r}")
        if cls not in self.allowed:
            raise DocumentError(
                f"{where}: class {cls} is not one of mxcubecore's queue model classes "
                "that mxgui reads; nothing was imported"
            )
        extra = [k for k in node if k.startswith("py/") and k not in ("py/object", "py/state")]
        if extra:
            raise DocumentError(
                f"{where}: {extra[0]} is refused: mxgui reads jsonpickle documents as data "
                "and never imports, calls or evaluates what they name"
            )
        obj = Pickled(cls, where)
        self._register(obj, name)
        attrs = node.get("py/state", node)
        if not isinstance(attrs, dict):
            raise DocumentError(f"{where}.py/state: expected the attributes as an object")
        if attrs is not node:  # jsonpickle counts the state dict after the object
            self._register(obj.attrs, name, is_dict=True)
        for key, child in self._items(attrs):
            if key.startswith("py/"):
                if attrs is node:
                    continue  # py/object, py/state: read above
                raise DocumentError(f"{where}.py/state: tag {key} refused among attributes")
            place = self._key(key, where)
            obj.attrs[key] = self.value(child, place, self._name(name, key, child, place))
        return obj

    def _by_id(self, content: object, where: Place) -> Any:
        if isinstance(content, bool) or not isinstance(content, int):
            raise DocumentError(f"{where}: py/id {content!r} is not an integer")
        if not 0 <= content < len(self.seen):
            raise DocumentError(
                f"{where}: py/id {content} refers to nothing read before it "
                f"({len(self.seen)} objects so far)"
            )
        return self.seen[content]

    def _by_ref(self, content: object, where: Place) -> Any:
        if not isinstance(content, str):
            raise DocumentError(f"{where}: py/ref {content!r} is not a path")
        found = self.by_name.get(content)
        if found is None:
            raise DocumentError(
                f"{where}: py/ref {content[:100]!r} refers to nothing read before it"
            )
        return found


def _bytes(content: object, where: Place) -> bytes:
    if not isinstance(content, str) or len(content) > MAX_BYTES * 4 // 3 + 4:
        raise DocumentError(f"{where}: py/b64 is not base64 text of at most {MAX_BYTES} bytes")
    try:
        return base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise DocumentError(f"{where}: py/b64 is not valid base64") from None


def attrs_of(value: object) -> Mapping[str, Any]:
    """The attributes of a :class:`Pickled` (an empty mapping for anything else)."""
    return value.attrs if isinstance(value, Pickled) else {}


__all__ = ["DocumentError", "MAX_DEPTH", "Pickled", "Place", "attrs_of", "read_document"]
