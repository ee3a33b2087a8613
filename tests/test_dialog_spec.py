"""The dialog a workflow asks for: both input forms, conversion, and every refusal."""

from __future__ import annotations

import pytest

from mxgui.core.dialog_spec import CANCELLED, MAX_FIELDS, parse_dialog
from mxgui.core.dialog_spec_fields import convert_value

SIMPLE = {
    "title": "Strategy",
    "message": "Check the values",
    "timeout": 30,
    "fields": [
        {"name": "comment", "label": "Comment", "type": "string", "default": "none"},
        {
            "name": "images",
            "label": "Images",
            "type": "integer",
            "default": 10,
            "min": 1,
            "max": 3600,
        },
        {"name": "exposure", "type": "float", "default": 0.1, "min": 0.001, "max": 10.0},
        {"name": "inverse", "type": "boolean", "default": True},
        {"name": "space_group", "type": "choice", "choices": ["P1", "P21", "C2"], "default": "P21"},
    ],
}

SCHEMA = {
    "schema": {
        "title": "Characterisation",
        "description": "Accept the strategy?",
        "type": "object",
        "properties": {
            "exposure": {
                "title": "Exposure (s)",
                "type": "number",
                "minimum": 0.01,
                "default": 0.5,
            },
            "images": {"title": "Images", "type": "integer", "maximum": 100},
            "mode": {"title": "Mode", "type": "string", "enum": ["fast", "slow"]},
            "anomalous": {"title": "Anomalous", "type": "boolean"},
            "who": {"title": "Operator", "type": "string"},
        },
        "required": ["who"],
    },
    "ui_schema": {"exposure": {"ui:widget": "text"}},
}


def test_simple_form_gives_fields_in_order_with_labels_limits_and_defaults():
    spec = parse_dialog(SIMPLE)
    assert spec.title == "Strategy" and spec.message == "Check the values"
    assert spec.timeout == 30.0
    assert [f.name for f in spec.fields] == [
        "comment",
        "images",
        "exposure",
        "inverse",
        "space_group",
    ]
    assert [f.type for f in spec.fields] == ["string", "integer", "float", "boolean", "choice"]
    assert spec.field("comment").label == "Comment"
    assert spec.field("exposure").label == "exposure"  # no label: the name
    images = spec.field("images")
    assert (images.minimum, images.maximum) == (1, 3600)
    assert spec.field("space_group").choices == ("P1", "P21", "C2")
    assert spec.defaults() == {
        "comment": "none",
        "images": 10,
        "exposure": 0.1,
        "inverse": True,
        "space_group": "P21",
    }


def test_schema_form_maps_types_enum_and_required():
    spec = parse_dialog(SCHEMA)
    assert spec.title == "Characterisation" and spec.message == "Accept the strategy?"
    assert spec.timeout is None
    kinds = {f.name: f.type for f in spec.fields}
    assert kinds == {
        "exposure": "float",
        "images": "integer",
        "mode": "choice",
        "anomalous": "boolean",
        "who": "string",
    }
    assert spec.field("exposure").label == "Exposure (s)"
    assert spec.field("exposure").minimum == 0.01
    assert spec.field("images").maximum == 100
    assert spec.field("who").required and not spec.field("mode").required
    # defaults filled in where the schema has none
    assert spec.defaults() == {
        "exposure": 0.5,
        "images": 0,
        "mode": "fast",
        "anomalous": False,
        "who": "",
    }


def test_implicit_numeric_defaults_stay_within_limits():
    spec = parse_dialog(
        {
            "fields": [
                {"name": "a", "type": "integer", "min": 5},
                {"name": "b", "type": "float", "max": -2.5},
                {"name": "c", "type": "integer", "min": 1.5, "max": 4},
            ]
        }
    )
    assert spec.defaults() == {"a": 5, "b": -2.5, "c": 2}
    assert spec.title == "Workflow"


def test_validate_converts_text_and_fills_missing_values_with_defaults():
    spec = parse_dialog(SIMPLE)
    values = spec.validate(
        {"images": "20", "exposure": "0.25", "inverse": "no", "space_group": "C2"}
    )
    assert values == {
        "comment": "none",
        "images": 20,
        "exposure": 0.25,
        "inverse": False,
        "space_group": "C2",
    }
    assert isinstance(values["images"], int) and isinstance(values["exposure"], float)


def test_validate_accepts_the_text_of_a_numeric_choice():
    spec = parse_dialog({"fields": [{"name": "n", "type": "choice", "choices": [1, 2, 4]}]})
    assert spec.validate({"n": "4"}) == {"n": 4}
    assert spec.validate({"n": 2}) == {"n": 2}


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"images": 0}, ["'images'", "below the minimum 1"]),
        ({"images": 5000}, ["'images'", "above the maximum 3600"]),
        ({"images": "ten"}, ["'images'", "expected an integer"]),
        ({"images": 2.5}, ["'images'", "expected an integer"]),
        ({"exposure": "fast"}, ["'exposure'", "expected a number"]),
        ({"exposure": float("nan")}, ["'exposure'", "expected a number"]),
        ({"inverse": "maybe"}, ["'inverse'", "true or false"]),
        ({"space_group": "P43"}, ["'space_group'", "one of 'P1', 'P21', 'C2'"]),
        ({"colour": "red"}, ["no field colour"]),
    ],
)
def test_validate_refuses_bad_values_naming_the_field(values, words):
    spec = parse_dialog(SIMPLE)
    with pytest.raises(ValueError) as info:
        spec.validate(values)
    for word in words:
        assert word in str(info.value)


def test_required_text_must_be_filled_in():
    spec = parse_dialog(SCHEMA)
    with pytest.raises(ValueError, match="'who': a value is required"):
        spec.validate({"who": "  "})
    assert spec.validate({"who": "ana"})["who"] == "ana"


def _field(**overrides):
    base = {"name": "x", "type": "integer"}
    base.update(overrides)
    return {"fields": [base]}


@pytest.mark.parametrize(
    ("dialog", "words"),
    [
        ("not a dict", ["expected a dict"]),
        ({"title": "no fields"}, ["'fields'", "'schema'"]),
        ({"fields": "abc"}, ["'fields' must be a list"]),
        ({"fields": [5]}, ["field 1 must be a dict"]),
        (_field(name=""), ["field 1", "'name'"]),
        (_field(name="__cancelled__"), ["reserved"]),
        (_field(type="date"), ["'x'", "unknown type 'date'"]),
        (_field(default=50, max=10), ["'x'", "default 50", "above the maximum 10"]),
        (_field(default=-1, min=0), ["'x'", "default -1", "below the minimum 0"]),
        (_field(default="many"), ["'x'", "expected an integer"]),
        (_field(min=5, max=1), ["'x'", "min 5 is above max 1"]),
        (_field(min="low"), ["'x'", "'min' must be a number"]),
        (_field(type="string", max=3), ["'x'", "apply to integer and float"]),
        (_field(type="choice"), ["'x'", "'choices' must be a non-empty list"]),
        (_field(type="choice", choices=[]), ["'x'", "non-empty list"]),
        (_field(type="choice", choices=["a", "b"], default="c"), ["'x'", "default 'c'", "one of"]),
        (_field(type="choice", choices=["a", "a"]), ["'x'", "twice"]),
        (_field(type="choice", choices=[["a"]]), ["'x'", "not text or a number"]),
        (_field(choices=[1, 2]), ["'x'", "applies to choice fields"]),
        (_field(required="yes"), ["'x'", "'required' must be true or false"]),
        (_field(defualt=3), ["'x'", "unknown key defualt"]),
        (_field(label=5), ["'x.label'"]),
        ({"fields": [{"name": "a"}, {"name": "a"}]}, ["'a' appears twice"]),
        ({"fields": [], "timeout": "soon"}, ["'timeout'"]),
        ({"fields": [], "timeout": -1}, ["'timeout'"]),
        ({"fields": [], "title": 3}, ["'title'"]),
        ({"fields": [{"name": f"f{i}"} for i in range(MAX_FIELDS + 1)]}, ["201 fields", "200"]),
        ({"fields": [], "message": "m" * 10001}, ["'message' has 10001 characters", "10000"]),
        ({"fields": [], "title": "t" * 201}, ["'title' has 201 characters", "200"]),
        (_field(label="l" * 201), ["'x.label' has 201", "at most 200"]),
        (_field(tooltip="t" * 2001), ["'x.tooltip' has 2001", "at most 2000"]),
        (_field(name="n" * 101), ["field 1.name", "at most 100"]),
        (_field(type="string", default="d" * 10001), ["'x.default' has 10001", "10000"]),
        (_field(type="choice", choices=list(range(201))), ["201 'choices'", "at most 200"]),
        (_field(type="choice", choices=["c" * 10001]), ["'x.choices' has 10001"]),
        (
            {"fields": [{"name": f"f{i}", "default": "d" * 9000} for i in range(12)]},
            ["characters of text in all", "at most 100000"],
        ),
        ({"fields": [5 * "x" * 1000]}, ["field 1 must be a dict, got 'xxxx", "..."]),
        ({"schema": []}, ["'schema' must be a dict"]),
        ({"schema": {"properties": {"a": {"type": "object"}}}}, ["'a'", "unknown type 'object'"]),
        ({"schema": {"properties": {"a": 1}}}, ["'a' must be a dict"]),
        ({"schema": {"properties": {"a": {}}, "required": ["b"]}}, ["required", "b"]),
        (
            {"schema": {"properties": {"a": {"type": "integer", "minimum": 3, "default": 1}}}},
            ["'a'", "below the minimum 3"],
        ),
        ({"schema": {"properties": {"a": {"enum": ["x"], "default": "y"}}}}, ["'a'", "one of"]),
        ({"schema": {"properties": {"__cancelled__": {}}}}, ["reserved"]),
    ],
)
def test_bad_dialogs_are_refused_with_the_place_and_what_was_expected(dialog, words):
    with pytest.raises(ValueError) as info:
        parse_dialog(dialog)
    for word in words:
        assert word in str(info.value)


def test_zero_timeout_means_none_and_cancel_marker_is_reserved():
    assert parse_dialog({"fields": [], "timeout": 0}).timeout is None
    assert CANCELLED == {"__cancelled__": True}


def test_a_value_converts_as_its_field_type_the_field_adds_required_and_its_name():
    assert convert_value("integer", " 12 ", 0, 20) == 12
    with pytest.raises(ValueError, match="^21 is above the maximum 20$"):
        convert_value("integer", 21, 0, 20)
    assert convert_value("choice", "2", choices=(1, 2)) == 2
    assert convert_value("string", "") == ""  # "required" belongs to a field, not a type
    with pytest.raises(ValueError, match="unknown field type 'date'"):
        convert_value("date", "2024-01-01")
    who = parse_dialog(SCHEMA).field("who")
    assert who.required and who.default == ""
    with pytest.raises(ValueError, match="^field 'who': a value is required$"):
        who.convert("")


def test_a_choice_that_is_neither_text_nor_a_number_is_refused():
    with pytest.raises(ValueError, match="choice b'x' is not text or a number"):
        parse_dialog({"fields": [{"name": "c", "type": "choice", "choices": ["a", b"x"]}]})
