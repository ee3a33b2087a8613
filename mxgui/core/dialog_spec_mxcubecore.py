"""mxcubecore's workflow dialog (``EdnaWorkflow.open_dialog``) read as mxgui's. Qt-free.

The BES workflows that mxcubecore's EdnaWorkflow serves call ``open_dialog`` with::

    {"reviewData": {"dialogName": "Strategy", "properties": {...JSON schema...},
                    "required": [...], "initialValues": {"exposure": 0.1}},
     "inputMap": [{"variableName": "exposure", "defaultValue": 0.037},
                  {"variableName": "noImages", "value": 1800}, ...]}

``reviewData`` is what the GUI shows: a JSON schema (mxcubeweb renders it as a form,
with ``dialogName`` as the title and ``initialValues`` as the values it starts with).
``inputMap`` lists the workflow's variables, each with ``value`` or ``defaultValue``.
EdnaWorkflow answers ``{variableName: str(value)}`` for every variable, replaced by the
values the user gave, so :func:`from_mxcubecore` gives

- mxgui's JSON-schema form of the dialog (a field's default: its ``initialValues``
  entry, else the schema's ``default``, else its variable's value in ``inputMap``), or
  one text field per ``inputMap`` variable when ``reviewData`` has no ``properties``;
- the answer to start from: each variable's value as text, in ``inputMap``'s order.

:meth:`~mxgui.core.dialog_spec.DialogSpec.reply` then answers in that form: every
variable, the user's values as text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mxgui.core.dialog_spec_fields import shown

__all__ = ["MXCUBECORE_KEYS", "from_mxcubecore"]

#: the keys of mxcubecore's dialog (both are needed)
MXCUBECORE_KEYS = ("reviewData", "inputMap")
#: an inputMap variable's value: the first of these keys it has
VALUE_KEYS = ("value", "defaultValue")


def from_mxcubecore(
    d: Mapping[object, object], max_variables: int, max_text: int
) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
    """``(dialog in mxgui's form, answer to start from)`` of mxcubecore's dialog ``d``
    (module docstring); at most ``max_variables`` in ``inputMap`` and ``max_text``
    characters in a value.

    Raises
    ------
    ValueError
        naming ``reviewData``, ``inputMap[n]`` and the key that cannot be used.
    """
    missing = [key for key in MXCUBECORE_KEYS if key not in d]
    if missing:
        raise ValueError(
            f"dialog: mxcubecore's form needs 'reviewData' and 'inputMap'; {missing[0]!r} "
            "is missing"
        )
    review = d["reviewData"]
    if not isinstance(review, Mapping):
        raise ValueError(f"dialog: 'reviewData' must be a dict, got {shown(review)}")
    variables = _variables(d["inputMap"], max_variables, max_text)
    base = tuple((name, str(value)) for name, value in variables.items())  # EdnaWorkflow's
    title = _text_of(review, "dialogName", review.get("title", d.get("title", "Workflow")))
    message = _text_of(review, "description", d.get("message", ""))
    if "properties" not in review:
        fields = [
            {"name": name, "label": name, "type": "string", "default": text} for name, text in base
        ]
        return {"title": title, "message": message, "fields": fields}, base
    properties = review["properties"]
    if not isinstance(properties, Mapping):
        raise ValueError(f"dialog: 'reviewData.properties' must be a dict, got {shown(properties)}")
    if len(properties) > max_variables:
        raise ValueError(
            f"dialog: 'reviewData.properties' has {len(properties)} fields, at most "
            f"{max_variables} are allowed"
        )
    initial = review.get("initialValues", {})
    if not isinstance(initial, Mapping):
        raise ValueError(f"dialog: 'reviewData.initialValues' must be a dict, got {shown(initial)}")
    schema = {
        "properties": {
            name: _with_default(name, prop, initial, variables) for name, prop in properties.items()
        },
        "required": review.get("required", []),
    }
    return {"title": title, "message": message, "schema": schema}, base


def _text_of(review: Mapping[object, object], key: str, otherwise: object) -> object:
    """``reviewData[key]`` when it is there (text, else a ``ValueError`` naming
    ``reviewData.key``), else ``otherwise`` (checked where mxgui's form names it)."""
    if key not in review:
        return otherwise
    value = review[key]
    if not isinstance(value, str):
        raise ValueError(f"dialog: 'reviewData.{key}' must be text, got {shown(value)}")
    return value


def _variables(raw: object, limit: int, max_text: int) -> dict[str, object]:
    """``{variableName: value}`` of ``inputMap``, in its order."""
    if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence):
        raise ValueError(f"dialog: 'inputMap' must be a list, got {shown(raw)}")
    if len(raw) > limit:
        raise ValueError(f"dialog: 'inputMap' has {len(raw)} variables, at most {limit}")
    variables: dict[str, object] = {}
    for n, entry in enumerate(raw):
        where = f"inputMap[{n}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"dialog: {where} must be a dict, got {shown(entry)}")
        name = entry.get("variableName")
        if not isinstance(name, str) or not name.strip():
            raise ValueError(
                f"dialog: {where}.variableName must be non-empty text, got {shown(name)}"
            )
        key = next((k for k in VALUE_KEYS if k in entry), None)
        if key is None:
            raise ValueError(f"dialog: {where} ({name}) has no 'value' or 'defaultValue'")
        value = entry[key]
        if isinstance(value, (Mapping, list, tuple)):
            raise ValueError(
                f"dialog: {where}.{key} ({name}) must be text, a number or true/false, "
                f"got {shown(value)}"
            )
        if len(str(value)) > max_text:
            raise ValueError(
                f"dialog: {where}.{key} ({name}) has {len(str(value))} characters, at "
                f"most {max_text} are allowed"
            )
        variables[name] = value
    return variables


def _with_default(
    name: object, prop: object, initial: Mapping[object, object], variables: Mapping[str, object]
) -> object:
    """``prop`` with the default the form starts with (module docstring)."""
    if not isinstance(prop, Mapping):
        return prop  # parse_dialog refuses it, naming the property
    if name in initial:
        return {**prop, "default": initial[name]}
    if "default" not in prop and name in variables:
        return {**prop, "default": variables[str(name)]}
    return prop
