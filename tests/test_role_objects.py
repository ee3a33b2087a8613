"""Typed look-ups of role objects, and the values of actuators typed by their kind."""

from __future__ import annotations

import pytest

from hardware_objects.abstract.detector import AbstractDetector
from hardware_objects.abstract.motor import AbstractMotor
from hardware_objects.role_objects import optional_role_object, role_object
from hardware_objects.simulated.motor import SimulatedMotor
from mxgui.core.errors import ConfigError


def test_role_object_gives_the_object_under_the_role_typed_by_the_interface(repo):
    collect = repo.get("collect")
    detector = role_object(collect, "detector", AbstractDetector)
    assert detector is repo.get("detector")
    assert optional_role_object(collect, "detector", AbstractDetector) is detector
    either = role_object(collect, "detector", (AbstractMotor, AbstractDetector))
    assert either is detector


def test_a_role_holding_another_kind_is_a_configuration_error_naming_the_file(repo):
    collect = repo.get("collect")
    with pytest.raises(ConfigError, match=r"collect\.xml.*"):
        role_object(collect, "detector", AbstractMotor)
    with pytest.raises(
        ConfigError,
        match=r'role "detector" must be a AbstractMotor, got /detector, a SimulatedDetector',
    ):
        optional_role_object(collect, "detector", AbstractMotor)


def test_a_missing_role_is_an_error_unless_it_is_optional(repo):
    collect = repo.get("collect")
    assert optional_role_object(collect, "no_such_role", AbstractMotor) is None
    with pytest.raises(
        ConfigError, match='role "no_such_role" must be a AbstractMotor, got nothing'
    ):
        role_object(collect, "no_such_role", AbstractMotor)


def test_get_known_value_names_an_actuator_that_has_read_nothing_yet(repo):
    assert SimulatedMotor("/lonely").get_value() is None
    with pytest.raises(RuntimeError, match="lonely: no value read yet"):
        SimulatedMotor("/lonely").get_known_value()
    phi = repo.get("phi")
    assert phi.get_known_value() == phi.get_value() is not None


@pytest.mark.parametrize("value", [None, [1.0], {"x": 1}, object(), "far"], ids=repr)
def test_a_numeric_actuator_refuses_what_is_no_number_saying_so(repo, value):
    with pytest.raises(ValueError, match="is not a number"):
        repo.get("phi").validate_value(value)


def test_a_numeric_actuator_takes_numbers_and_number_text(repo):
    phi = repo.get("phi")
    assert phi.validate_value("12.5") == 12.5
    assert phi.validate_value(7) == 7.0 and type(phi.validate_value(7)) is float


def test_an_n_state_actuator_takes_only_its_names(repo):
    zoom = repo.get("zoom")
    level = zoom.get_values()[-1]
    assert zoom.validate_value(level) == level
    with pytest.raises(ValueError, match="is not one of"):
        zoom.validate_value(object())
    assert repo.get("diffractometer").get_zoom() == zoom.get_known_value()
