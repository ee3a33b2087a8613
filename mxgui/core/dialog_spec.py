"""The form a workflow asks the user to fill in: parsed from a dict, checked, Qt-free.

A workflow calls the XML-RPC method ``open_dialog(dict)``; :func:`parse_dialog` turns
the dict into a :class:`DialogSpec` (or refuses it with a ``ValueError`` naming the
field and what was expected), the GUI builds a form from the spec, and
:meth:`DialogSpec.validate` converts and checks what the user typed.

Two input forms are accepted. The simple one::

    {"title": "Strategy", "message": "Check the values", "timeout": 60,
     "fields": [{"name": "exposure", "label": "Exposure (s)", "type": "float",
                 "default": 0.1, "min": 0.001, "max": 10}]}

and the JSON-schema one mxcubeweb's workflow dialogs use::

    {"schema": {"title": "Strategy", "description": "Check the values",
                "properties": {"exposure": {"title": "Exposure (s)", "type": "number",
                                            "default": 0.1, "minimum": 0.001}},
                "required": ["exposure"]}}

A property with an ``enum`` becomes a choice field; an ``object`` property (a group, one
level deep) becomes fields ``group.name``, answered nested again (``{"group": {...}}``).
mxcubecore's EdnaWorkflow form,
``{"reviewData": {...JSON schema...}, "inputMap": [{"variableName": ...,
"value": ...}]}``, is read too (``mxgui.core.dialog_spec_mxcubecore``) and answered as
EdnaWorkflow answers: every ``inputMap`` variable, as text (:meth:`DialogSpec.reply`).
When the user cancels, the XML-RPC call returns :data:`CANCELLED` (with the
``inputMap`` variables beside it for mxcubecore's form: :meth:`DialogSpec.cancelled`).

A dialog is a question for a person, so its size is bounded (a workflow cannot make
the GUI build a window of any size): at most :data:`MAX_FIELDS` fields and
:data:`MAX_CHOICES` choices per field, each text at most its limit in
:data:`TEXT_LIMITS` and :data:`MAX_DIALOG_TEXT` characters in all. Beyond them the
dialog is refused with the place and the limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from mxgui.core.dialog_spec_fields import TYPES, FieldSpec, FieldValue, convert_value, shown
from mxgui.core.dialog_spec_mxcubecore import MXCUBECORE_KEYS, from_mxcubecore

__all__ = [
    "CANCELLED",
    "MAX_CHOICES",
    "MAX_DIALOG_TEXT",
    "MAX_FIELDS",
    "TEXT_LIMITS",
    "TYPES",
    "DialogSpec",
    "FieldSpec",
    "FieldValue",
    "parse_dialog",
]

#: what ``open_dialog`` returns when the user cancels
CANCELLED: dict[str, bool] = {"__cancelled__": True}
CANCELLED_KEY = "__cancelled__"
#: more fields than this is a mistake, not a form
MAX_FIELDS = 200
#: more choices than this in one field is a list to pick from, not a question
MAX_CHOICES = 200
#: the most characters each kind of text may have
TEXT_LIMITS = {
    "title": 200,
    "message": 10_000,
    "name": 100,
    "label": 200,
    "tooltip": 2_000,
    "text": 10_000,  # a string field's default, a choice
}
#: the most characters a dialog may have in all its texts together
MAX_DIALOG_TEXT = 100_000
_SIMPLE_KEYS = {
    "name",
    "label",
    "type",
    "default",
    "min",
    "max",
    "choices",
    "required",
    "description",
    "tooltip",
}
_SCHEMA_TYPES = {"string": "string", "integer": "integer", "number": "float", "boolean": "boolean"}


@dataclass(frozen=True)
class DialogSpec:
    """A parsed dialog: title, message, optional timeout (s) and its fields in order;
    for mxcubecore's form, the answer its caller expects before the user's values
    (``text_answer``: each ``inputMap`` variable's value as text)."""

    title: str
    message: str = ""
    timeout: float | None = None
    fields: tuple[FieldSpec, ...] = field(default_factory=tuple)
    text_answer: tuple[tuple[str, str], ...] | None = None
    #: the schema's ``object`` properties, whose fields are ``group.name``: the
    #: answer nests them again (``{"group": {"name": value}}``)
    groups: tuple[str, ...] = ()

    def field(self, name: str) -> FieldSpec:
        """The field called ``name`` (``KeyError`` naming it otherwise)."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(f"dialog {self.title!r} has no field {name!r}")

    def defaults(self) -> dict[str, FieldValue]:
        """Each field's default value, by name."""
        return {spec.name: spec.default for spec in self.fields}

    def reply(self, values: Mapping[str, FieldValue]) -> dict[str, object]:
        """The answer in the caller's form: ``values`` themselves, or for mxcubecore's
        form every ``inputMap`` variable with the user's ``values`` over it, all as
        text (as mxcubecore's EdnaWorkflow answers). A value that is still its
        variable's keeps the variable's own text (``"1e-3"``, ``"false"``); another is
        written as the workflow's side parses it: ``true``/``false``, a whole number
        without ``.0`` (:func:`answer_text`)."""
        if self.text_answer is None:
            return self._nested(dict(values))
        answer: dict[str, FieldValue] = dict(self.text_answer)
        for name, value in values.items():
            sent = answer.get(name)
            if not (isinstance(sent, str) and self._means(name, sent, value)):
                answer[name] = answer_text(value, sent if isinstance(sent, str) else None)
        return self._nested(answer)

    def _nested(self, flat: dict[str, FieldValue]) -> dict[str, object]:
        """``flat`` with each group's fields ``group.name`` nested under ``group``."""
        if not self.groups:
            return dict(flat)
        out: dict[str, object] = {}
        nested: dict[str, dict[str, FieldValue]] = {}
        for name, value in flat.items():
            group, dot, sub = name.partition(".")
            if dot and group in self.groups:
                nested.setdefault(group, {})[sub] = value
            else:
                out[name] = value
        out.update(nested)
        return out

    def cancelled(self) -> dict[str, FieldValue]:
        """The answer when the user cancels: :data:`CANCELLED`, and for mxcubecore's
        form every ``inputMap`` variable as sent beside it (EdnaWorkflow never answers
        without them: a workflow reading one after the dialog must not fail)."""
        if self.text_answer is None:
            return dict(CANCELLED)
        return {**dict(self.text_answer), **CANCELLED}

    def _means(self, name: str, text: str, value: FieldValue) -> bool:
        """Whether the variable's ``text`` read as field ``name`` is ``value``."""
        try:
            return self.field(name).convert(text) == value
        except (KeyError, ValueError):
            return False

    def validate(self, values: object) -> dict[str, FieldValue]:
        """``values`` converted to the fields' types and checked against their limits;
        a missing field takes its default. ``ValueError`` naming the field for a bad
        value or a name the dialog does not have."""
        if not isinstance(values, Mapping):
            raise ValueError(
                f"dialog {self.title!r}: expected a dict of values, got {shown(values)}"
            )
        names = {spec.name for spec in self.fields}
        unknown = [str(name) for name in values if name not in names]
        if unknown:
            raise ValueError(f"dialog {self.title!r} has no field {', '.join(sorted(unknown))}")
        return {
            spec.name: spec.convert(values[spec.name] if spec.name in values else spec.default)
            for spec in self.fields
        }


def answer_text(value: FieldValue, like: str | None = None) -> str:
    """``value`` as text a workflow's side parses (mxcubecore's EdnaWorkflow form):
    booleans ``true``/``false`` (``True``/``False`` when the variable's text ``like``
    was so), a whole float without ``.0`` (``Integer.parseInt`` refuses ``"100.0"``),
    anything else ``str``."""
    if isinstance(value, bool):
        text = "true" if value else "false"
        return text.capitalize() if like in ("True", "False") else text
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


# parsing ---------------------------------------------------------------------------------------
def parse_dialog(d: object) -> DialogSpec:
    """A :class:`DialogSpec` from the simple or the JSON-schema form (module docstring).

    Raises
    ------
    ValueError
        For anything it cannot use, naming the field and what was expected.
    """
    if not isinstance(d, Mapping):
        raise ValueError(f"dialog: expected a dict, got {type(d).__name__}")
    if any(key in d for key in MXCUBECORE_KEYS):
        converted, answer = from_mxcubecore(d, MAX_FIELDS, TEXT_LIMITS["text"])
        converted["timeout"] = d.get("timeout")
        return replace(parse_dialog(converted), text_answer=answer)
    timeout = _timeout(d.get("timeout"))
    if "schema" in d:
        schema = d["schema"]
        if not isinstance(schema, Mapping):
            raise ValueError(f"dialog: 'schema' must be a dict, got {type(schema).__name__}")
        title = _text(d.get("title", schema.get("title", "Workflow")), "title", "title")
        message = _text(d.get("message", schema.get("description", "")), "message", "message")
        fields, groups = _schema_fields(schema)
    else:
        if "fields" not in d:
            raise ValueError(
                "dialog: expected 'fields' (a list), 'schema' (a JSON schema), or "
                "'reviewData' and 'inputMap' (mxcubecore's EdnaWorkflow form)"
            )
        title = _text(d.get("title", "Workflow"), "title", "title")
        message = _text(d.get("message", ""), "message", "message")
        raw = d["fields"]
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
            raise ValueError(f"dialog: 'fields' must be a list, got {type(raw).__name__}")
        _check_count(len(raw))
        fields = [_simple_field(item, index) for index, item in enumerate(raw)]
        groups = ()
    seen: set[str] = set()
    for spec in fields:
        if spec.name in seen:
            raise ValueError(f"dialog: field {spec.name!r} appears twice")
        seen.add(spec.name)
    total = len(title) + len(message) + sum(_text_size(spec) for spec in fields)
    if total > MAX_DIALOG_TEXT:
        raise ValueError(
            f"dialog: {total} characters of text in all, at most {MAX_DIALOG_TEXT} are allowed"
        )
    return DialogSpec(title, message, timeout, tuple(fields), groups=groups)


def _text_size(spec: FieldSpec) -> int:
    """The characters of text ``spec`` makes the GUI show."""
    texts = (spec.name, spec.label, spec.tooltip, str(spec.default), *map(str, spec.choices))
    return sum(len(text) for text in texts)


def _check_count(count: int) -> None:
    if count > MAX_FIELDS:
        raise ValueError(f"dialog: {count} fields, at most {MAX_FIELDS} are allowed")


def _text(value: object, where: str, kind: str) -> str:
    """``value`` if it is text of at most ``TEXT_LIMITS[kind]`` characters."""
    if not isinstance(value, str):
        raise ValueError(f"dialog: {where!r} must be text, got {shown(value)}")
    _check_length(value, where, kind)
    return value


def _check_length(text: str, where: str, kind: str) -> None:
    limit = TEXT_LIMITS[kind]
    if len(text) > limit:
        raise ValueError(
            f"dialog: {where!r} has {len(text)} characters, at most {limit} are allowed"
        )


def _timeout(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"dialog: 'timeout' must be a number of seconds, got {shown(value)}")
    if value < 0:
        raise ValueError(f"dialog: 'timeout' must be 0 (none) or more seconds, got {shown(value)}")
    return float(value) if value > 0 else None


def _simple_field(item: object, index: int) -> FieldSpec:
    if not isinstance(item, Mapping):
        raise ValueError(f"dialog: field {index + 1} must be a dict, got {shown(item)}")
    name = _name(item.get("name"), f"field {index + 1}")
    unknown = sorted(str(key) for key in item if key not in _SIMPLE_KEYS)
    if unknown:
        raise ValueError(
            f"dialog: field {name!r}: unknown key {', '.join(unknown)} "
            f"(expected {', '.join(sorted(_SIMPLE_KEYS))})"
        )
    kind = item.get("type", "string")
    if not isinstance(kind, str) or kind not in TYPES:
        raise ValueError(
            f"dialog: field {name!r}: unknown type {kind!r}, expected one of {', '.join(TYPES)}"
        )
    tooltip = item.get("tooltip", item.get("description", ""))
    return _build(
        name,
        _text(item.get("label", name), f"{name}.label", "label"),
        kind,
        item.get("default"),
        item.get("min"),
        item.get("max"),
        item.get("choices"),
        item.get("required", False),
        _text(tooltip, f"{name}.tooltip", "tooltip"),
        ("min", "max", "choices"),
    )


def _schema_fields(schema: Mapping[object, object]) -> tuple[list[FieldSpec], tuple[str, ...]]:
    """The fields of a JSON schema's ``properties``, and the names of its ``object``
    properties (groups), flattened one level into fields ``group.name``."""
    properties, required = _properties(schema, "schema")
    fields: list[FieldSpec] = []
    groups: list[str] = []
    for name, prop in properties.items():
        name = _name(name, "schema property")
        if not isinstance(prop, Mapping):
            raise ValueError(f"dialog: property {name!r} must be a dict, got {shown(prop)}")
        if prop.get("type") != "object":
            fields.append(_schema_field(name, name, prop, name in required))
            continue
        if not isinstance(prop.get("properties"), Mapping):
            raise ValueError(
                f"dialog: property {name!r}: unknown type 'object' without 'properties' "
                "(a group needs its properties)"
            )
        group_title = _text(prop.get("title", name), f"{name}.title", "label")
        inner, inner_required = _properties(prop, f"property {name!r}")
        defaults = prop.get("default", {})
        if not isinstance(defaults, Mapping):
            raise ValueError(f"dialog: property {name!r}: 'default' must be a dict")
        for sub, sub_prop in inner.items():
            sub = _name(sub, f"property {name!r}")
            if isinstance(sub_prop, Mapping) and sub in defaults and "default" not in sub_prop:
                sub_prop = {**sub_prop, "default": defaults[sub]}
            if isinstance(sub_prop, Mapping) and sub_prop.get("type") == "object":
                raise ValueError(
                    f"dialog: property '{name}.{sub}': groups within groups are not "
                    "supported (one level of 'object' properties is)"
                )
            fields.append(
                _schema_field(f"{name}.{sub}", f"{name}.{sub}", sub_prop, sub in inner_required,
                              group_title)
            )  # fmt: skip
        groups.append(name)
    _check_count(len(fields))
    return fields, tuple(groups)


def _properties(
    schema: Mapping[object, object], where: str
) -> tuple[Mapping[object, object], Sequence[object]]:
    """``properties`` and ``required`` of a schema (or of an ``object`` property)."""
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise ValueError(f"dialog: {where} 'properties' must be a dict")
    _check_count(len(properties))
    required = schema.get("required", [])
    if isinstance(required, str) or not isinstance(required, Sequence):
        raise ValueError(
            f"dialog: {where} 'required' must be a list of names, got {shown(required)}"
        )
    missing = [str(name) for name in required if name not in properties]
    if missing:
        raise ValueError(f"dialog: {where} 'required' names no property: {', '.join(missing)}")
    return properties, required


def _schema_field(
    name: str, where: str, prop: object, required: bool, group: str = ""
) -> FieldSpec:
    """The field of one schema property (``group``: the title of its group)."""
    if not isinstance(prop, Mapping):
        raise ValueError(f"dialog: property {where!r} must be a dict, got {shown(prop)}")
    schema_type = prop.get("type", "string")
    if schema_type not in _SCHEMA_TYPES:
        raise ValueError(
            f"dialog: property {where!r}: unknown type {schema_type!r}, "
            f"expected one of {', '.join(_SCHEMA_TYPES)} (or 'object', one level deep)"
        )
    kind = "choice" if "enum" in prop else _SCHEMA_TYPES[schema_type]
    label = _text(prop.get("title", name.rsplit(".", 1)[-1]), f"{where}.title", "label")
    return _build(
        name,
        f"{group}: {label}" if group else label,
        kind,
        prop.get("default"),
        prop.get("minimum"),
        prop.get("maximum"),
        prop.get("enum"),
        required,
        _text(prop.get("description", ""), f"{where}.description", "tooltip"),
        ("minimum", "maximum", "enum"),
    )


def _name(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"dialog: {where}: 'name' must be non-empty text, got {shown(value)}")
    if value == CANCELLED_KEY:
        raise ValueError(f"dialog: {where}: the name {CANCELLED_KEY!r} is reserved")
    _check_length(value, f"{where}.name", "name")
    return value


def _build(
    name: str,
    label: str,
    kind: str,
    default: object,
    minimum: object,
    maximum: object,
    choices: object,
    required: object,
    tooltip: str,
    keys: tuple[str, str, str],
) -> FieldSpec:
    """A checked FieldSpec; ``keys`` are the names of min, max and choices in the input."""
    where = f"dialog: field {name!r}"
    if not isinstance(required, bool):
        raise ValueError(f"{where}: 'required' must be true or false, got {shown(required)}")
    low = high = None
    if kind in ("integer", "float"):
        low = _limit(minimum, keys[0], where)
        high = _limit(maximum, keys[1], where)
        if low is not None and high is not None and low > high:
            raise ValueError(f"{where}: {keys[0]} {low} is above {keys[1]} {high}")
    elif minimum is not None or maximum is not None:
        raise ValueError(
            f"{where}: {keys[0]}/{keys[1]} apply to integer and float fields, not {kind}"
        )
    listed: tuple[FieldValue, ...] = ()
    if kind == "choice":
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or not choices:
            raise ValueError(f"{where}: {keys[2]!r} must be a non-empty list, got {shown(choices)}")
        if len(choices) > MAX_CHOICES:
            raise ValueError(
                f"{where}: {len(choices)} {keys[2]!r}, at most {MAX_CHOICES} are allowed"
            )
        for choice in choices:
            if not isinstance(choice, (str, int, float)):
                raise ValueError(f"{where}: choice {shown(choice)} is not text or a number")
            _check_length(str(choice), f"{name}.{keys[2]}", "text")
            listed += (choice,)
        if len({(type(c), c) for c in listed}) != len(listed):
            raise ValueError(f"{where}: {keys[2]!r} lists a choice twice")
    elif choices is not None:
        raise ValueError(f"{where}: {keys[2]!r} applies to choice fields, not {kind}")
    if default is None:
        default = _implicit_default(kind, low, high, listed)
    try:
        # converted without the required check: a required text may start empty (the
        # user has to fill it in)
        value = convert_value(kind, default, low, high, listed)
    except ValueError as exc:
        raise ValueError(f"{where}: default {shown(default)}: {exc}") from None
    if isinstance(value, str):
        _check_length(value, f"{name}.default", "text")
    return FieldSpec(name, label, kind, value, low, high, listed, required, tooltip)


def _limit(value: object, key: str, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where}: {key!r} must be a number, got {shown(value)}")
    return value


def _implicit_default(
    kind: str, minimum: float | None, maximum: float | None, choices: tuple[FieldValue, ...]
) -> FieldValue:
    if kind == "string":
        return ""
    if kind == "boolean":
        return False
    if kind == "choice":
        return choices[0]
    zero: float = 0 if kind == "integer" else 0.0
    if minimum is not None and minimum > zero:
        zero = minimum
    elif maximum is not None and maximum < zero:
        zero = maximum
    if kind == "integer":
        return math.ceil(zero) if zero == minimum else math.floor(zero)
    return float(zero)
