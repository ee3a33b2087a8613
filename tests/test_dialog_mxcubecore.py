"""``open_dialog`` in mxcubecore's EdnaWorkflow form: ``{"reviewData": JSON schema,
"inputMap": [{"variableName", "value" | "defaultValue"}]}``, as the BES workflows send
it. Replayed over real XML-RPC (the transport on 127.0.0.1) to the GUI's own dialog
handler: the form is built from ``reviewData``, the test types into the real dialog,
and the answer comes back as EdnaWorkflow gives it to its caller: every ``inputMap``
variable, the user's values over them, all as text."""

from __future__ import annotations

import pytest
import test_dialog_bounds
from PyQt5.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QLineEdit, QSpinBox
from test_dialog_bounds import answer, click_ok, fault, the_dialog

from mxgui.core.dialog_spec import CANCELLED, MAX_FIELDS, TEXT_LIMITS, parse_dialog

from helpers import type_into

#: the XML-RPC server on 127.0.0.1 with the GUI's dialog handler (``gui.ask(dict)``)
gui = test_dialog_bounds.gui


def strategy_dialog(timeout: float | None = None) -> dict:
    """What a BES characterisation workflow sends: the strategy to review, as a JSON
    schema with the values it proposes, and the workflow's variables."""
    dialog: dict = {
        "reviewData": {
            "dialogName": "Review the strategy",
            "description": "EDNA proposes 1800 images of 0.037 s",
            "properties": {
                "exposureTime": {"title": "Exposure time (s)", "type": "number", "minimum": 0.001},
                "noImages": {"title": "Number of images", "type": "integer", "minimum": 1},
                "transmission": {"title": "Transmission (%)", "type": "number", "maximum": 100},
                "anomalous": {"title": "Anomalous", "type": "boolean", "default": False},
                "mode": {"title": "Mode", "type": "string", "enum": ["native", "SAD", "MAD"]},
                "comment": {"title": "Comment", "type": "string", "widget": "textarea"},
            },
            "required": ["exposureTime", "noImages"],
            "initialValues": {"exposureTime": 0.037, "noImages": 1800, "mode": "SAD"},
        },
        "inputMap": [
            {"variableName": "exposureTime", "defaultValue": 0.05},
            {"variableName": "noImages", "value": 3600},
            {"variableName": "transmission", "defaultValue": 12.5},
            {"variableName": "sessionId", "value": 42},
            {"variableName": "workflow_id", "value": "wf-7"},
        ],
    }
    if timeout is not None:
        dialog["timeout"] = timeout
    return dialog


def test_the_form_is_built_from_review_data_with_its_proposed_values(qtbot, gui):
    future = gui.ask(strategy_dialog())
    dialog = the_dialog(qtbot, "Review the strategy")
    assert dialog.findChild(QLabel, "message").text() == "EDNA proposes 1800 images of 0.037 s"
    assert dialog.findChild(QDoubleSpinBox, "exposureTime").value() == pytest.approx(0.037)
    assert dialog.findChild(QSpinBox, "noImages").value() == 1800  # initialValues win
    transmission = dialog.findChild(QDoubleSpinBox, "transmission")
    assert transmission.value() == pytest.approx(12.5)  # no initial value: the inputMap's
    assert transmission.maximum() == 100
    mode = dialog.findChild(QComboBox, "mode")
    assert [mode.itemText(i) for i in range(mode.count())] == ["native", "SAD", "MAD"]
    assert mode.currentText() == "SAD"
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert "Exposure time (s) *" in labels and "Comment" in labels
    assert dialog.findChild(QLineEdit, "sessionId") is None  # not in the schema: not shown
    click_ok(qtbot, dialog)
    assert answer(qtbot, future) == {
        "exposureTime": "0.037",
        "noImages": "1800",
        "transmission": "12.5",
        "sessionId": "42",
        "workflow_id": "wf-7",
        "anomalous": "false",  # a boolean as the workflow's side reads it (finding 5)
        "mode": "SAD",
        "comment": "",
    }


def test_the_values_the_user_types_come_back_as_edna_workflow_answers(qtbot, gui):
    future = gui.ask(strategy_dialog())
    dialog = the_dialog(qtbot, "Review the strategy")
    type_into(qtbot, dialog.findChild(QDoubleSpinBox, "exposureTime"), "0.02")  # Enter: OK
    answered = answer(qtbot, future)
    assert answered["exposureTime"] == "0.02"
    assert answered["noImages"] == "1800" and answered["sessionId"] == "42"
    assert not gui.handler.dialogs


def test_each_kind_of_field_typed_in_is_answered_as_text(qtbot, gui):
    future = gui.ask(strategy_dialog())
    dialog = the_dialog(qtbot, "Review the strategy")
    spin = dialog.findChild(QSpinBox, "noImages")
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "900")
    dialog.findChild(QComboBox, "mode").setCurrentIndex(2)
    dialog.findChild(QLineEdit, "comment").setFocus()
    qtbot.keyClicks(dialog.findChild(QLineEdit, "comment"), "thin plate")
    dialog.editors["anomalous"].click()
    click_ok(qtbot, dialog)
    assert answer(qtbot, future) == {
        "exposureTime": "0.037",
        "noImages": "900",
        "transmission": "12.5",
        "sessionId": "42",
        "workflow_id": "wf-7",
        "anomalous": "true",
        "mode": "MAD",
        "comment": "thin plate",
    }


def test_without_a_schema_each_variable_is_a_text_field(qtbot, gui):
    future = gui.ask(
        {
            "reviewData": {"dialogName": "Workflow parameters"},
            "inputMap": [
                {"variableName": "beamSize", "defaultValue": 20},
                {"variableName": "gridStep", "value": "0.01"},
            ],
        }
    )
    dialog = the_dialog(qtbot, "Workflow parameters")
    step = dialog.findChild(QLineEdit, "gridStep")
    assert step.text() == "0.01" and dialog.findChild(QLineEdit, "beamSize").text() == "20"
    step.selectAll()
    qtbot.keyClicks(step, "0.005")
    click_ok(qtbot, dialog)
    assert answer(qtbot, future) == {"beamSize": "20", "gridStep": "0.005"}


def test_cancel_and_the_countdown_answer_as_before(qtbot, gui):
    future = gui.ask(strategy_dialog())
    dialog = the_dialog(qtbot, "Review the strategy")
    dialog.reject()
    # EdnaWorkflow always answers with the variables (review 16a finding 10)
    assert answer(qtbot, future) == {
        **CANCELLED,
        "exposureTime": "0.05",
        "noImages": "3600",
        "transmission": "12.5",
        "sessionId": "42",
        "workflow_id": "wf-7",
    }
    future = gui.ask(strategy_dialog(timeout=1))
    assert answer(qtbot, future) == {  # nobody answered: the proposed values, as text
        "exposureTime": "0.037",
        "noImages": "1800",
        "transmission": "12.5",
        "sessionId": "42",
        "workflow_id": "wf-7",
        "anomalous": "false",  # a boolean as the workflow's side reads it (finding 5)
        "mode": "SAD",
        "comment": "",
    }


@pytest.mark.parametrize(
    ("dialog", "names"),
    [
        ({"reviewData": {"properties": {}}}, ["'inputMap' is missing"]),
        ({"inputMap": []}, ["'reviewData' is missing"]),
        ({"reviewData": "review", "inputMap": []}, ["'reviewData' must be a dict"]),
        ({"reviewData": {}, "inputMap": {"a": 1}}, ["'inputMap' must be a list"]),
        ({"reviewData": {}, "inputMap": [{"value": 1}]}, ["inputMap[0].variableName"]),
        (
            {"reviewData": {}, "inputMap": [{"variableName": "a", "value": 1},
                                             {"variableName": "b"}]},
            ["inputMap[1] (b)", "'value' or 'defaultValue'"],
        ),
        (
            {"reviewData": {}, "inputMap": [{"variableName": "a", "value": [1, 2]}]},
            ["inputMap[0].value (a)", "[1, 2]"],
        ),
        (
            {"reviewData": {"properties": {"n": {"type": "integer"}}, "initialValues": {"n": "x"}},
             "inputMap": []},
            ["field 'n'", "default 'x'"],
        ),
        (
            {"reviewData": {"properties": {"n": {"type": "array"}}}, "inputMap": []},
            ["property 'n'", "unknown type 'array'"],
        ),
        (
            {"reviewData": {}, "inputMap": [{"variableName": "a", "value": "x" * 20_000}]},
            ["inputMap[0].value (a)", f"at most {TEXT_LIMITS['text']}"],
        ),
        (
            {"reviewData": {},
             "inputMap": [{"variableName": f"v{i}", "value": i} for i in range(MAX_FIELDS + 1)]},
            [f"{MAX_FIELDS + 1} variables", f"at most {MAX_FIELDS}"],
        ),
        ({"reviewData": {"dialogName": 5}, "inputMap": []},
         ["'reviewData.dialogName' must be text", "got 5"]),
        ({"reviewData": {"description": ["a"]}, "inputMap": []},
         ["'reviewData.description' must be text", "['a']"]),
    ],
    ids=["no inputMap", "no reviewData", "review text", "inputMap dict", "no name",
         "no value", "list value", "bad initial value", "array property", "long value",
         "too many variables", "dialogName number", "description list"],
)  # fmt: skip
def test_a_bad_mxcubecore_dialog_is_refused_naming_the_place(dialog, names):
    with pytest.raises(ValueError) as error:
        parse_dialog(dialog)
    for name in names:
        assert name in str(error.value)


def test_a_bad_mxcubecore_dialog_is_a_fault_and_no_window(qtbot, gui):
    future = gui.ask({"reviewData": {}, "inputMap": [{"variableName": "a"}]})
    message = fault(qtbot, future).faultString
    assert message.startswith("open_dialog:") and "inputMap[0] (a)" in message
    assert not gui.handler.dialogs


def test_values_left_as_the_workflow_sent_them_come_back_in_its_own_text():
    """EdnaWorkflow answers the inputMap's own text for what nobody changed; a changed
    value is written as the workflow's side parses it (no "100.0" for an integer, no
    Python "False")."""
    spec = parse_dialog(
        {
            "reviewData": {
                "dialogName": "Review",
                "properties": {
                    "transmission": {"type": "number"},
                    "anomalous": {"type": "boolean"},
                    "exposureTime": {"type": "number"},
                    "noImages": {"type": "integer"},
                },
            },
            "inputMap": [
                {"variableName": "transmission", "value": "100"},
                {"variableName": "anomalous", "value": "false"},
                {"variableName": "exposureTime", "value": "1e-3"},
                {"variableName": "noImages", "value": "3600"},
            ],
        }
    )
    untouched = {"transmission": "100", "anomalous": "false", "exposureTime": "1e-3",
                 "noImages": "3600"}  # fmt: skip
    assert spec.reply(spec.validate(spec.defaults())) == untouched
    changed = spec.validate({"transmission": 50.0, "anomalous": True, "noImages": 900})
    assert spec.reply(changed) == {**untouched, "transmission": "50", "anomalous": "true",
                                   "noImages": "900"}  # fmt: skip
    assert spec.reply(spec.validate({"exposureTime": 0.02}))["exposureTime"] == "0.02"


def grouped_dialog() -> dict:
    """reviewData with a grouped (``object``) property, as mxcubeweb renders it."""
    return {
        "reviewData": {
            "dialogName": "Grouped",
            "properties": {
                "beam": {
                    "type": "object",
                    "title": "Beam",
                    "properties": {
                        "size": {"type": "number", "title": "Size (mm)"},
                        "shape": {"type": "string", "enum": ["round", "square"]},
                    },
                    "required": ["size"],
                },
                "n": {"type": "integer", "title": "Images"},
            },
            "initialValues": {"beam": {"size": 0.05, "shape": "round"}},
        },
        "inputMap": [{"variableName": "n", "value": "10"}],
    }


def test_a_grouped_property_is_shown_flat_and_answered_nested(qtbot, gui):
    future = gui.ask(grouped_dialog())
    dialog = the_dialog(qtbot, "Grouped")
    assert dialog.findChild(QDoubleSpinBox, "beam.size").value() == pytest.approx(0.05)
    assert dialog.findChild(QComboBox, "beam.shape").currentText() == "round"
    assert "Beam: Size (mm) *" in [label.text() for label in dialog.findChildren(QLabel)]
    dialog.findChild(QComboBox, "beam.shape").setCurrentIndex(1)
    click_ok(qtbot, dialog)
    assert answer(qtbot, future) == {"n": "10", "beam": {"size": "0.05", "shape": "square"}}


def test_groups_within_groups_are_refused_saying_so(qtbot, gui):
    dialog = grouped_dialog()
    dialog["reviewData"]["properties"]["beam"]["properties"]["deeper"] = {
        "type": "object",
        "properties": {},
    }
    message = fault(qtbot, gui.ask(dialog)).faultString
    assert "property 'beam.deeper': groups within groups are not supported" in message
