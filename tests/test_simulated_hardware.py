"""The simulated motors and energy behave like the hardware they stand for."""

from __future__ import annotations

import math
import threading
import time

import pytest

from hardware_objects.abstract.energy import HC_KEV_ANGSTROM
from hardware_objects.simulated.energy import SimulatedEnergy
from hardware_objects.simulated.motor import SimulatedMotor
from mxgui.core.clock import ManualClock
from mxgui.core.errors import HardwareObjectError
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.core.repository import HardwareRepository

from helpers import step_until

State = HardwareObjectState


class Recorder:
    """Records ``(time, value)`` of a signal; ``reached`` is set past ``threshold``."""

    def __init__(self, threshold: float = float("inf")) -> None:
        self.values: list[tuple[float, object]] = []
        self.threshold = threshold
        self.reached = threading.Event()

    def __call__(self, value) -> None:
        self.values.append((time.monotonic(), value))
        if isinstance(value, float) and value >= self.threshold:
            self.reached.set()

    @property
    def plain(self) -> list:
        return [value for _, value in self.values]


@pytest.fixture
def make_motor(tmp_path):
    repos = []

    def make(velocity=10.0, low=-2.0, high=2.0, start=0.0) -> SimulatedMotor:
        name = f"m{len(repos)}"
        (tmp_path / f"{name}.xml").write_text(
            f"""<object class="simulated.motor.SimulatedMotor">
  <username>Sample X</username>
  <unit>mm</unit>
  <velocity>{velocity}</velocity>
  <low_limit>{low}</low_limit>
  <high_limit>{high}</high_limit>
  <default_value>{start}</default_value>
</object>
"""
        )
        repo = HardwareRepository([tmp_path])
        repos.append(repo)
        return repo.get(name)

    yield make
    for repo in repos:
        repo.shutdown()


@pytest.fixture
def energy(repo):
    return repo.get("energy")


# -- motors --------------------------------------------------------------------------


def test_motor_starts_ready_at_its_default_value(make_motor):
    motor = make_motor(start=1.5)
    assert motor.get_value() == 1.5
    assert motor.get_state() is State.READY
    assert motor.get_limits() == (-2.0, 2.0)
    assert motor.get_velocity() == 10.0
    assert motor.username == "Sample X" and motor.unit == "mm"


@pytest.mark.parametrize("velocity", [4.0, 10.0])
def test_motor_moves_at_its_configured_velocity(make_motor, velocity):
    motor = make_motor(velocity=velocity)
    motor.clock = clock = ManualClock()
    values = Recorder()
    motor.connect("valueChanged", values)
    distance, step = 1.5, 0.1
    future = motor.set_value(distance)
    clock.wait_for_waiters(1)  # the move waits for its first readback
    steps = math.ceil(distance / velocity / step)
    for i in range(1, steps):
        clock.advance(step)
        clock.wait_for_waiters(1)
        # exactly as far as the velocity allows in the time passed, and still moving
        assert motor.get_value() == pytest.approx(velocity * step * i)
        assert not future.done()
    clock.advance(step)
    assert future.result(timeout=5) == distance
    readings = [value for _, value in values.values]
    assert readings == pytest.approx([velocity * step * i for i in range(1, steps)] + [distance])


def test_motor_is_busy_while_moving_and_ready_after(make_motor):
    motor = make_motor(velocity=10.0)
    states = Recorder()
    motor.connect("stateChanged", states)
    future = motor.set_value(1.0)
    assert motor.get_state() is State.BUSY
    assert not future.done()
    assert future.result(timeout=5) == 1.0
    assert motor.get_state() is State.READY
    assert states.plain == [State.BUSY, State.READY]
    assert motor.get_value() == 1.0


def test_motor_emits_value_changed_many_times_during_a_move(make_motor):
    motor = make_motor(velocity=10.0, low=-5, high=5)
    values = Recorder()
    motor.connect("valueChanged", values)
    motor.set_value(-2.0, timeout=5)
    readings = values.plain
    assert len(readings) >= 5
    assert readings[-1] == -2.0
    assert all(b < a for a, b in zip(readings, readings[1:]))  # steadily downwards
    assert all(-2.0 <= value < 0.0 for value in readings)


def test_set_value_waits_when_asked(make_motor):
    motor = make_motor(velocity=10.0)
    future = motor.set_value(0.5, timeout=None)
    assert future.done() and motor.get_value() == 0.5
    with pytest.raises(TimeoutError):
        motor.set_value(-2.0, timeout=0.05)
    motor.stop()


def test_set_value_relative(make_motor):
    motor = make_motor(velocity=20.0, start=1.0)
    assert motor.set_value_relative(-0.5).result(timeout=5) == 0.5


def test_stop_leaves_the_motor_between_start_and_target(make_motor):
    motor = make_motor(velocity=5.0, low=-10, high=10)
    values = Recorder(threshold=0.3)
    motor.connect("valueChanged", values)
    future = motor.set_value(8.0)  # 1.6 s
    assert values.reached.wait(5)
    motor.stop()
    position = future.result(timeout=1)
    assert 0.3 <= position < 2.0
    assert motor.get_value() == position
    assert motor.get_state() is State.READY
    count = len(values.values)
    # and it stays there: a new move starts from where it stopped
    assert motor.set_value(position - 0.2).result(timeout=5) == pytest.approx(position - 0.2)
    assert values.plain[count] < position


def test_new_move_replaces_the_one_in_progress(make_motor):
    motor = make_motor(velocity=5.0, low=-10, high=10)
    values = Recorder(threshold=0.1)
    motor.connect("valueChanged", values)
    first = motor.set_value(8.0)
    assert values.reached.wait(5)
    second = motor.set_value(0.0)
    assert 0.1 <= first.result(timeout=1) < 8.0
    assert second.result(timeout=5) == 0.0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (2.5, "Sample X: 2.5 is above the high limit 2 mm"),
        (-3, "Sample X: -3 is below the low limit -2 mm"),
        ("far", "Sample X: 'far' is not a number"),
        (float("nan"), "Sample X: NaN is not a position"),
    ],
)
def test_out_of_limit_move_is_refused_at_once(make_motor, target, message):
    motor = make_motor()
    states = Recorder()
    motor.connect("stateChanged", states)
    with pytest.raises(ValueError) as info:
        motor.set_value(target)
    assert str(info.value) == message
    assert motor.get_value() == 0.0
    assert motor.get_state() is State.READY and states.values == []


def test_limits_can_change(make_motor):
    motor = make_motor()
    limits = Recorder()
    motor.connect("limitsChanged", limits)
    motor.set_limits((-1, 1))
    assert motor.get_limits() == (-1.0, 1.0) and limits.plain == [(-1.0, 1.0)]
    with pytest.raises(ValueError, match="above the high limit 1 mm"):
        motor.set_value(1.5)
    with pytest.raises(ValueError, match="low limit 3.0 is above high limit 1.0"):
        motor.set_limits((3, 1))
    assert motor.get_limits() == (-1.0, 1.0)


def test_velocity_can_change(make_motor):
    motor = make_motor(velocity=1.0)
    motor.clock = clock = ManualClock()
    motor.set_velocity(20)
    future = motor.set_value(1.0)
    clock.wait_for_waiters(1)
    clock.advance(0.05)  # 1.0 at the new velocity, 0.05 at the old one
    assert future.result(timeout=5) == 1.0
    for bad in (0, -1, float("nan")):
        with pytest.raises(ValueError, match="velocity must be above 0"):
            motor.set_velocity(bad)
    assert motor.get_velocity() == 20.0


def test_fault_during_a_move_fails_the_future_and_clearing_recovers(make_motor):
    motor = make_motor(velocity=5.0)
    values = Recorder(threshold=0.1)
    states = Recorder()
    motor.connect("valueChanged", values)
    motor.connect("stateChanged", states)
    future = motor.set_value(1.5)
    assert values.reached.wait(5)
    motor.inject_fault("encoder error")
    with pytest.raises(RuntimeError, match="Sample X: encoder error"):
        future.result(timeout=2)
    assert motor.get_state() is State.FAULT
    stopped_at = motor.get_value()
    assert 0.1 <= stopped_at < 1.5
    # while the fault is there, every move fails at once
    with pytest.raises(RuntimeError, match="encoder error"):
        motor.set_value(0.0).result(timeout=1)
    assert motor.get_value() == stopped_at

    motor.inject_fault(None)
    assert motor.get_state() is State.READY
    assert motor.set_value(0.0).result(timeout=5) == 0.0
    assert states.plain == [State.BUSY, State.FAULT, State.READY, State.BUSY, State.READY]


def test_fault_before_a_move_fails_the_move_and_sets_fault(make_motor):
    motor = make_motor()
    motor.inject_fault("amplifier off")
    future = motor.set_value(1.0)
    with pytest.raises(RuntimeError, match="Sample X: amplifier off"):
        future.result(timeout=1)
    assert motor.get_state() is State.FAULT
    assert motor.get_value() == 0.0
    motor.inject_fault(None)
    assert motor.get_state() is State.READY
    assert motor.set_value(0.5).result(timeout=5) == 0.5


# -- energy ----------------------------------------------------------------------------


def test_energy_gives_the_wavelength(energy):
    assert isinstance(energy, SimulatedEnergy)
    assert energy.get_value() == 12.7
    assert energy.unit == "keV"
    assert energy.get_wavelength() == pytest.approx(12.3984 / 12.7)
    assert HC_KEV_ANGSTROM == 12.3984
    low, high = energy.get_wavelength_limits()
    assert low == pytest.approx(12.3984 / 20.0) and high == pytest.approx(12.3984 / 5.0)


def test_energy_move_emits_the_wavelength(energy):
    pairs = []

    def on_energy(value):
        pairs.append(("energy", value))

    def on_wavelength(value):
        pairs.append(("wavelength", value))

    energy.connect("valueChanged", on_energy)
    energy.connect("wavelengthChanged", on_wavelength)
    assert energy.set_value(12.3984).result(timeout=5) == 12.3984
    assert energy.get_wavelength() == pytest.approx(1.0)
    assert len(pairs) >= 4
    # each reading of the energy is followed by its wavelength
    for (kind_e, e), (kind_w, w) in zip(pairs[::2], pairs[1::2]):
        assert (kind_e, kind_w) == ("energy", "wavelength")
        assert w == pytest.approx(12.3984 / e)
    assert pairs[-1] == ("wavelength", pytest.approx(1.0))


def test_energy_set_wavelength(energy):
    assert energy.set_wavelength(1.0, timeout=5).result() == pytest.approx(12.3984)
    assert energy.get_wavelength() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="wavelength must be above 0"):
        energy.set_wavelength(0)
    with pytest.raises(ValueError, match="above the high limit 20 keV"):
        energy.set_wavelength(0.5)
    assert energy.get_value() == pytest.approx(12.3984)


# -- what the simulated motor, energy and transmission share -----------------------------


@pytest.mark.parametrize(
    ("cls", "properties", "line", "message"),
    [
        ("energy.SimulatedEnergy", "<low_limit>0</low_limit>", 2, "low_limit must be above 0 keV"),
        (
            "energy.SimulatedEnergy",
            "<low_limit>5</low_limit>\n  <velocity>0</velocity>",
            3,
            "velocity must be above 0 keV/s",
        ),
        ("transmission.SimulatedTransmission", "<velocity>-1</velocity>", 2, "above 0 %/s"),
        (
            "transmission.SimulatedTransmission",
            "<default_value>120</default_value>",
            2,
            "default_value: Transmission: 120 is above the high limit 100 %",
        ),
    ],
)
def test_a_bad_simulated_actuator_property_names_its_line(tmp_path, cls, properties, line, message):
    path = tmp_path / "thing.xml"
    path.write_text(f'<object class="simulated.{cls}">\n  {properties}\n</object>\n')
    repo = HardwareRepository([tmp_path])
    with pytest.raises(HardwareObjectError) as info:
        repo.get("thing")
    assert f"{path}:{line}: " in str(info.value) and message in str(info.value)


@pytest.mark.parametrize("name", ["energy", "transmission"])
def test_energy_and_transmission_fail_abort_and_recover_like_a_motor(repo, name):
    actuator = repo.get(name)
    start = actuator.get_value()
    low, high = actuator.get_limits()
    actuator.inject_fault("power cut")
    with pytest.raises(RuntimeError, match="power cut"):
        actuator.set_value((low + high) / 2).result(timeout=1)
    assert actuator.get_state() is State.FAULT and actuator.get_value() == start
    actuator.inject_fault(None)
    assert actuator.get_state() is State.READY
    target = low if start - low > high - start else high
    future = actuator.set_value(target)
    actuator.abort()
    stopped_at = future.result(timeout=2)
    assert stopped_at == actuator.get_value() != target, "aborted before it arrived"
    assert actuator.get_state() is State.READY


def test_a_superseded_nstate_change_fails_its_future_instead_of_hanging(tmp_path):
    from hardware_objects.simulated.nstate import SimulatedShutter

    (tmp_path / "shutter.xml").write_text(
        '<object class="simulated.nstate.SimulatedShutter">'
        "<value>OPEN</value><value>CLOSED</value><delay>0.2</delay></object>"
    )
    repository = HardwareRepository([tmp_path])
    shutter = repository.get("/shutter")
    assert isinstance(shutter, SimulatedShutter)
    first = shutter.open()
    second = shutter.close()
    with pytest.raises(RuntimeError, match="interrupted by a change to CLOSED"):
        first.result(timeout=1)
    assert second.result(timeout=1) == "CLOSED"
    assert shutter.get_value() == "CLOSED"
    repository.shutdown()


def test_a_new_move_never_waits_for_the_one_it_replaces_and_ends_ready(repo):
    motor = repo.get("/phi")
    motor.clock = clock = ManualClock()
    states = []
    motor.connect("stateChanged", states.append)
    in_readback, release = threading.Event(), threading.Event()

    def hold_the_first_move(_value) -> None:
        if not release.is_set():
            in_readback.set()
            release.wait(10)
            in_readback.clear()

    motor.connect("valueChanged", hold_the_first_move)
    motor.set_value(1000.0)
    clock.wait_for_waiters(1)
    clock.advance(0.02)
    assert in_readback.wait(5)  # the first move's thread is held in its readback
    future = motor.set_value(motor.get_value() + 2.0)
    # the caller (maybe the GUI thread) got its Future while the old move could not end
    assert in_readback.is_set() and not future.done()
    release.set()
    step_until(clock, future.done)
    assert future.result(timeout=5) == pytest.approx(motor.get_value())
    assert motor.get_state() is HardwareObjectState.READY
    assert HardwareObjectState.READY not in states[:-1], "no READY between the two moves"
