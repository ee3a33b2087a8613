"""A refusal is read back as the fields it is about and what it says of them, in one
place (``split_problem``), so a check naming two fields ("start_energy, end_energy:
...") marks both and keeps the edit pending, and the reason under a field is the
text without the node type and field names in front."""

from __future__ import annotations

from mxgui.core.queue.fields import split_problem
from mxgui.core.queue.schemas import schema_of
from mxgui.gui.queue.form_fields import reason_for

NAMES = schema_of("EnergyScan").field_names


def test_a_problem_gives_its_fields_and_its_text():
    two = "EnergyScan: start_energy, end_energy: 12.7..12.708 keV must contain the edge"
    assert split_problem(two, NAMES) == (
        ("start_energy", "end_energy"),
        "12.7..12.708 keV must contain the edge",
    )
    assert split_problem("step_ev: 0 eV must be above 0 eV", NAMES) == (
        ("step_ev",),
        "0 eV must be above 0 eV",
    )
    # a text with colons after the field stays whole
    assert split_problem("EnergyScan: prefix: 'a:b' has a ':'", NAMES) == (
        ("prefix",),
        "'a:b' has a ':'",
    )
    # no field named (or one the type does not have): about no field
    assert split_problem("task_json: type 'X' is unknown", NAMES) == (
        (),
        "task_json: type 'X' is unknown",
    )
    assert split_problem("EnergyScan: grid_id: missing", NAMES) == (
        (),
        "EnergyScan: grid_id: missing",
    )


def test_the_reason_under_a_field_is_what_the_problems_say_of_it():
    message = (
        "EnergyScan: start_energy, end_energy: 12.7..12.708 keV must contain the Se K edge; "
        "EnergyScan: step_ev: 0 eV must be above 0 eV"
    )
    assert (
        reason_for("start_energy", message, NAMES) == "12.7..12.708 keV must contain the Se K edge"
    )
    assert reason_for("end_energy", message, NAMES) == "12.7..12.708 keV must contain the Se K edge"
    assert reason_for("step_ev", message, NAMES) == "0 eV must be above 0 eV"
    assert reason_for("count_time", message, NAMES) == message  # about another: all of it
