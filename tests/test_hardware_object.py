"""The hardware-object base: states, stateChanged, wait_ready, declared properties."""

from __future__ import annotations

import math
import threading
import time

import pytest

from hardware_objects.simulated.energy import SimulatedEnergy
from hardware_objects.simulated.motor import SimulatedMotor
from mxgui.core.errors import UnknownSignalError
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState, HOProperty

State = HardwareObjectState


def test_state_values_are_those_of_mxcubecore():
    assert {state.name: state.value for state in State} == {
        "UNKNOWN": 0,
        "WARNING": 1,
        "BUSY": 2,
        "READY": 3,
        "FAULT": 4,
        "OFF": 5,
    }


def test_new_object_is_unknown_and_not_ready():
    obj = HardwareObject("/thing")
    assert obj.name == "/thing"
    assert obj.get_state() is State.UNKNOWN
    assert not obj.is_ready()
    assert repr(obj) == "<HardwareObject /thing>"


def test_set_state_emits_state_changed_only_on_change():
    obj = HardwareObject("/thing")
    seen = []
    obj.connect("stateChanged", seen.append)
    obj.set_state(State.READY)
    obj.set_state(State.READY)
    obj.set_state(State.BUSY)
    obj.set_state(State.BUSY)
    obj.set_state(State.READY)
    assert seen == [State.READY, State.BUSY, State.READY]
    assert obj.get_state() is State.READY and obj.is_ready()


def test_emitting_an_undeclared_signal_is_refused():
    obj = HardwareObject("/thing")
    with pytest.raises(UnknownSignalError):
        obj.emit("valueChanged", 1.0)


def test_wait_ready_returns_when_another_thread_sets_ready():
    obj = HardwareObject("/thing")
    obj.set_state(State.BUSY)
    waiting = threading.Event()
    returned = threading.Event()

    def wait():
        waiting.set()
        obj.wait_ready(timeout=10)
        returned.set()

    waiter = threading.Thread(target=wait)
    waiter.start()
    assert waiting.wait(5)
    # still waiting while the state is anything but READY
    obj.set_state(State.WARNING)
    assert not returned.wait(0.05)
    obj.set_state(State.READY)
    assert returned.wait(5)
    waiter.join(timeout=5)


def test_wait_ready_returns_at_once_when_ready():
    obj = HardwareObject("/thing")
    obj.set_state(State.READY)
    obj.wait_ready(timeout=0)


def test_wait_ready_times_out():
    obj = HardwareObject("/thing")
    obj.set_state(State.FAULT)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r"/thing not ready after 0\.1 s \(state FAULT\)"):
        obj.wait_ready(timeout=0.1)
    assert time.monotonic() - started >= 0.09


def test_declared_properties_merge_and_subclasses_win():
    motor = SimulatedMotor.declared_properties()
    assert {"username", "unit", "low_limit", "high_limit", "velocity", "default_value"} <= set(
        motor
    )
    assert motor["velocity"].type is float and motor["velocity"].default == 1.0
    energy = SimulatedEnergy.declared_properties()
    assert energy["unit"].default == "keV"  # overrides the actuator's ""
    assert energy["velocity"].default == 2.0
    assert HardwareObject.declared_properties() == {}


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (float, 2, 2.0),
        (float, 2.5, 2.5),
        (int, 3, 3),
        (bool, False, False),
        (str, 7, "7"),
    ],
)
def test_property_conversion(kind, value, expected):
    converted = HOProperty(kind, None).convert(value)
    assert converted == expected and type(converted) is kind


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        (float, "fast", "expected a number, got 'fast'"),
        (float, True, "expected a number, got True"),
        (float, math.nan, "expected a number, got nan"),
        (int, 2.5, "expected an integer, got 2.5"),
        (int, True, "expected an integer, got True"),
        (bool, 1, "expected true or false, got 1"),
    ],
)
def test_property_conversion_refuses_the_wrong_type(kind, value, message):
    with pytest.raises(ValueError) as info:
        HOProperty(kind, None).convert(value)
    assert str(info.value) == message


def test_required_property():
    assert HOProperty(str).required
    assert not HOProperty(str, "").required
    assert not HOProperty(float, None).required


def test_config_error_without_a_file_names_the_object():
    error = HardwareObject("/thing").config_error("no configuration")
    assert str(error) == "/thing: no configuration"
