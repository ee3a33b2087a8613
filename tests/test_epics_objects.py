"""The EPICS hardware objects (hardware_objects/epics/) against the demo IOC.

The IOC (``python -m mxgui.demo_servers.ca_ioc``) runs in a subprocess on 127.0.0.1 with
this process's channel-access ports (tests/epics_demo_server.py); the objects are loaded
by the repository from mxcubecore-style files written here, and what they did is checked
on the server's side with a plain caproto client. The tests that kill or stop the IOC
come last.
"""

from __future__ import annotations

import math
import os
import queue
from concurrent.futures import Future

import pytest
from channel_helpers import object_from_xml
from epics_demo_server import DemoIoc, ca_environment

from hardware_objects.epics.machine_info import EpicsMachineInfo
from hardware_objects.epics.motor import EpicsMotor
from hardware_objects.epics.nstate import EpicsNState
from hardware_objects.epics.shutter import EpicsShutter
from hardware_objects.epics.transmission import EpicsTransmission
from mxgui.core.channels import ChannelError, stop_control_loop
from mxgui.core.errors import HardwareObjectError
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState
from mxgui.core.repository import HardwareRepository

from helpers import wait_for

PREFIX = f"MXGUIEP{os.getpid()}:"
READY, BUSY, FAULT = HardwareObjectState.READY, HardwareObjectState.BUSY, HardwareObjectState.FAULT


@pytest.fixture(scope="module")
def ioc():
    with ca_environment() as env:
        server = DemoIoc(PREFIX, env, bench=2)
        server.start()
        yield server
        server.stop()
        stop_control_loop()


def load(tmp_path, name: str, text: str) -> HardwareObject:
    """The object of ``text`` (a file ``name``.xml), loaded by the repository."""
    (tmp_path / f"{name}.xml").write_text(text)
    return HardwareRepository([tmp_path]).get(name)


def motor_xml(extra: str = "", prefix: str = f"{PREFIX}DET:DIST") -> str:
    return f"""<object class="epics.motor.EpicsMotor">
  <username>Detector distance</username>
  <pv_prefix>{prefix}</pv_prefix>
  {extra}
</object>
"""


class States:
    """The states an object goes through, in order."""

    def __init__(self, obj: HardwareObject) -> None:
        self.seen: queue.Queue[HardwareObjectState] = queue.Queue()
        obj.connect("stateChanged", self.seen.put)

    def next(self, wanted: HardwareObjectState, timeout: float = 10.0) -> list[str]:
        """Wait for ``wanted``; return the states seen until then."""
        names = []
        while True:
            try:
                state = self.seen.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"no {wanted.name} within {timeout} s: {names}") from None
            names.append(state.name)
            if state is wanted:
                return names


def ready_motor(tmp_path, extra: str = "", name: str = "distance") -> EpicsMotor:
    motor = load(tmp_path, name, motor_xml(extra))
    assert isinstance(motor, EpicsMotor)
    motor.wait_ready(10)
    wait_for(lambda: motor.get_value() is not None, "the first readback", 10)
    return motor


def failure_of(future: Future[object], timeout: float) -> str:
    with pytest.raises(ChannelError) as failure:
        future.result(timeout)
    return str(failure.value)


# -- the motor record ----------------------------------------------------------------------


def test_the_motor_reads_limits_unit_velocity_and_position_from_the_record(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    wait_for(lambda: motor.get_limits() == (100.0, 1000.0), "limits from LLM/HLM", 10)
    wait_for(lambda: motor.unit == "mm", "the unit from EGU", 10)
    wait_for(lambda: motor.get_velocity() == 100.0, "the velocity from VELO", 10)
    assert motor.get_value() == ioc.read("DET:DIST.RBV")
    assert ioc.read("DET:DIST.DESC") == "Detector distance"
    assert ioc.read("DET:DIST.MOVN") == 0


def test_a_move_goes_through_val_and_ends_when_dmov_is_back(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    moves = ioc.read("DET:DIST:MOVES")
    start = motor.get_known_value()
    target = start + 20.0 if start < 900 else start - 20.0
    states = States(motor)

    reached = motor.set_value(target).result(10)

    assert reached == pytest.approx(target)
    assert states.next(READY) == ["BUSY", "READY"]
    assert motor.get_value() == pytest.approx(target)
    # on the server's side: the move went through the record
    assert ioc.read("DET:DIST.RBV") == pytest.approx(target)
    assert ioc.read("DET:DIST.DMOV") == 1
    assert ioc.read("DET:DIST:MOVES") == moves + 1


def test_a_move_to_where_the_motor_is_ends_too(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    moves = ioc.read("DET:DIST:MOVES")
    here = motor.get_known_value()

    assert motor.set_value(here).result(10) == pytest.approx(here)
    wait_for(motor.is_ready, "READY after the move", 5)
    assert ioc.read("DET:DIST:MOVES") == moves + 1


def test_limits_follow_hlm_and_a_move_beyond_them_is_refused_naming_the_pv(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    wait_for(lambda: motor.get_limits() == (100.0, 1000.0), "limits from LLM/HLM", 10)
    limits: queue.Queue[tuple[float, float]] = queue.Queue()
    motor.connect("limitsChanged", limits.put)
    try:
        ioc.write("DET:DIST.HLM", 800.0)
        assert limits.get(timeout=5) == (100.0, 800.0)
        with pytest.raises(ValueError) as refused:
            motor.set_value(900.0)
        message = str(refused.value)
        assert "above the high limit 800 mm" in message
        assert f"{PREFIX}DET:DIST.VAL" in message
    finally:
        ioc.write("DET:DIST.HLM", 1000.0)
    assert limits.get(timeout=5) == (100.0, 1000.0)


def test_limits_in_the_file_win_over_the_record(ioc, tmp_path):
    motor = ready_motor(tmp_path, "<low_limit>200</low_limit><high_limit>300</high_limit>")
    assert motor.get_limits() == (200.0, 300.0)
    with pytest.raises(ValueError, match="below the low limit 200"):
        motor.set_value(150.0)


def test_wider_limits_in_the_file_leave_the_refusal_to_the_channel_naming_the_pv(ioc, tmp_path):
    motor = ready_motor(tmp_path, "<low_limit>0</low_limit><high_limit>2000</high_limit>")
    moves = ioc.read("DET:DIST:MOVES")

    reason = failure_of(motor.set_value(1500.0), 5)

    assert f"{PREFIX}DET:DIST.VAL" in reason and "outside the limits [100, 1000]" in reason
    assert ioc.read("DET:DIST:MOVES") == moves  # nothing reached the record
    wait_for(motor.is_ready, "READY after the refusal", 5)


def test_a_move_asked_by_another_client_shows_busy_then_ready(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    states = States(motor)
    start = motor.get_known_value()
    target = start + 10.0 if start < 900 else start - 10.0

    ioc.write("DET:DIST", target)

    assert states.next(READY) == ["BUSY", "READY"]
    wait_for(lambda: motor.get_value() == pytest.approx(target), "the readback", 5)


def test_a_file_in_mxcubecores_epics_motor_style_ports_by_its_class(ioc, tmp_path):
    record = f"{PREFIX}DET:DIST"
    channels = {
        "epicsActuator_val": "VAL",
        "epicsActuator_rbv": "RBV",
        "epicsMotor_dmov": "DMOV",
        "epicsMotor_stop": "STOP",
        "epicsMotor_velo": "VELO",
        "epicsMotor_dllm": "LLM",
        "epicsMotor_dhlm": "HLM",
    }
    elements = "\n".join(
        f'  <channel type="epics" name="{name}">{record}.{field}</channel>'
        for name, field in channels.items()
    )
    text = f"""<device class="epics.motor.EpicsMotor">
  <username>Distance</username>
  <pv_prefix>{record}</pv_prefix>
{elements}
  <channel type="epics" name="epicsMotor_egu">{PREFIX}RING:FILLMODE</channel>
</device>
"""
    motor = load(tmp_path, "ported", text)
    assert isinstance(motor, EpicsMotor)
    motor.wait_ready(10)
    # the file's elements serve, not the defaults after <pv_prefix>
    assert motor.channels["rbv"].spec.where.endswith("ported.xml:5")
    wait_for(lambda: motor.unit == "uniform", "EGU from the file's channel", 5)
    here = motor.get_known_value()
    assert motor.set_value(here + 5.0).result(10) == pytest.approx(here + 5.0)


def test_a_motor_without_pv_prefix_or_channels_is_refused_naming_the_file(ioc, tmp_path):
    (tmp_path / "bare.xml").write_text(
        '<object class="epics.motor.EpicsMotor">\n  <username>Bare</username>\n</object>\n'
    )
    with pytest.raises(HardwareObjectError) as refused:
        HardwareRepository([tmp_path]).get("bare")
    assert "bare.xml:1" in str(refused.value) and "needs a <pv_prefix>" in str(refused.value)


def test_a_value_that_is_not_a_number_is_refused_naming_the_pv(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    with pytest.raises(ValueError) as refused:
        motor.set_value("far")
    assert "'far' is not a number" in str(refused.value)
    assert f"{PREFIX}DET:DIST.VAL" in str(refused.value)


def test_stop_writes_stop_and_the_motor_stops_short(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    start = motor.get_known_value()
    target = 1000.0 if start < 550 else 100.0
    positions: queue.Queue[float] = queue.Queue()
    motor.connect("valueChanged", positions.put)

    move = motor.set_value(target)
    while abs(positions.get(timeout=5) - start) < 10.0:  # under way
        pass
    motor.stop()
    stopped = move.result(10)

    assert abs(stopped - start) >= 10.0
    assert abs(target - stopped) > 50.0  # stopped short (a whole move takes seconds)
    wait_for(motor.is_ready, "READY after the stop", 5)
    assert ioc.read("DET:DIST.RBV") == pytest.approx(stopped)
    assert ioc.read("DET:DIST.VAL") == pytest.approx(stopped)
    assert motor.get_value() == pytest.approx(stopped)


def test_set_velocity_writes_velo(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    wait_for(lambda: motor.get_velocity() == 100.0, "the velocity from VELO", 10)
    try:
        motor.set_velocity(50.0)
        assert motor.get_velocity() == 50.0
        wait_for(lambda: ioc.read("DET:DIST.VELO") == 50.0, "VELO written", 5)
    finally:
        ioc.write("DET:DIST.VELO", 100.0)
    wait_for(lambda: motor.get_velocity() == 100.0, "VELO read back", 5)


def test_a_pv_that_does_not_exist_puts_the_motor_in_fault_naming_it(ioc, tmp_path):
    motor = load(tmp_path, "ghost", motor_xml(prefix=f"{PREFIX}NO:SUCH"))
    states = States(motor)

    problems = motor.startup_problems()

    assert len(problems) == 1
    assert problems[0].startswith(f"{tmp_path / 'ghost.xml'}:3: ")  # the <pv_prefix> line
    assert f"{PREFIX}NO:SUCH.VAL" in problems[0]
    states.next(FAULT)
    assert f"{PREFIX}NO:SUCH" in motor.unavailable_reason()
    assert "cannot move" in failure_of(motor.set_value(150.0), 5)


def test_a_channel_on_a_pv_of_another_type_is_a_fault_naming_it(ioc, tmp_path):
    extra = f'<channel type="epics" name="rbv">{PREFIX}RING:FILLMODE</channel>'
    motor = load(tmp_path, "wrong", motor_xml(extra))
    # the type is checked as the channel connects, which may be before a listener could
    # connect to stateChanged: the state itself is waited for
    wait_for(lambda: motor.get_state() is FAULT, "FAULT", 10)
    assert motor.get_value() is None
    problems = motor.startup_problems()
    assert any(
        p.startswith(f"{tmp_path / 'wrong.xml'}:4: ")
        and f"{PREFIX}RING:FILLMODE" in p
        and "'uniform' is not a number" in p
        for p in problems
    ), problems
    # DMOV going on does not hide the fault: the file must change
    here = ioc.read("DET:DIST.RBV")
    dmov = motor.channels["dmov"]
    values: queue.Queue[object] = queue.Queue()
    dmov.subscribe(values.put)
    ioc.write("DET:DIST", here + 1.0 if here < 900 else here - 1.0)
    while values.get(timeout=5) != 0:  # the move through another client runs...
        pass
    while values.get(timeout=5) != 1:  # ...and ends
        pass
    assert motor.get_state() is FAULT
    assert "RING:FILLMODE" in failure_of(motor.set_value(200.0), 1)


# -- transmission, machine, shutter, N-state ------------------------------------------------


def transmission_xml(setpoint_timeout: str = "") -> str:
    return f"""<object class="epics.transmission.EpicsTransmission">
  <pv_prefix>{PREFIX}ATT:TRANS</pv_prefix>
  <channel type="epics" name="setpoint" {setpoint_timeout}>{PREFIX}ATT:TRANS</channel>
</object>
"""


def test_transmission_reaches_the_setpoint_through_its_readback(ioc, tmp_path):
    transmission = load(tmp_path, "transmission", transmission_xml())
    assert isinstance(transmission, EpicsTransmission)
    transmission.wait_ready(10)
    states = States(transmission)
    target = 42.5 if transmission.get_value() != 42.5 else 57.5

    assert transmission.set_value(target).result(5) == target

    assert states.next(READY) == ["BUSY", "READY"]
    assert transmission.get_value() == target
    assert ioc.read("ATT:TRANS") == target and ioc.read("ATT:TRANS_RBV") == target
    with pytest.raises(ValueError, match="above the high limit 100"):
        transmission.set_value(150)


def machine_xml(threshold: float) -> str:
    return f"""<object class="epics.machine_info.EpicsMachineInfo">
  <pv_prefix>{PREFIX}RING:</pv_prefix>
  <beam_threshold>{threshold}</beam_threshold>
</object>
"""


def test_machine_info_reads_the_ring_and_tells_each_change(ioc, tmp_path):
    machine = load(tmp_path, "machine", machine_xml(10.0))
    assert isinstance(machine, EpicsMachineInfo)
    changes: queue.Queue[dict[str, object]] = queue.Queue()
    machine.connect("valueChanged", changes.put)
    machine.wait_ready(10)  # once every PV has given its value

    values = machine.get_value()
    assert values["fill_mode"] == "uniform" and values["message"] == "Demo ring: top-up"
    assert 195 < values["current"] < 205 and values["lifetime"] == 40.0
    assert values["beam_available"] is True

    ioc.write("RING:MESSAGE", "Refill at 14:00")
    while changes.get(timeout=5)["message"] != "Refill at 14:00":
        pass
    assert machine.get_message() == "Refill at 14:00"


def test_machine_info_is_a_warning_without_beam(ioc, tmp_path):
    machine = load(tmp_path, "machine", machine_xml(500.0))
    States(machine).next(HardwareObjectState.WARNING)
    assert machine.is_beam_available() is False
    assert not math.isnan(machine.get_current())


def test_the_shutter_opens_and_closes_through_its_enum_pv(ioc, tmp_path):
    text = f"""<object class="epics.shutter.EpicsShutter">
  <pv_prefix>{PREFIX}SHUTTER:SAFETY</pv_prefix>
  <value>CLOSED</value>
  <value>OPEN</value>
</object>
"""
    shutter = load(tmp_path, "safety", text)
    assert isinstance(shutter, EpicsShutter)
    shutter.wait_ready(10)
    wait_for(lambda: shutter.get_value() is not None, "the first readback", 10)

    states = States(shutter)

    assert shutter.open().result(5) == "OPEN"
    assert states.next(READY) == ["BUSY", "READY"]  # BUSY until the readback follows
    assert shutter.is_open() and ioc.read("SHUTTER:SAFETY_RBV") == "OPEN"
    assert shutter.close().result(5) == "CLOSED"
    assert not shutter.is_open() and ioc.read("SHUTTER:SAFETY_RBV") == "CLOSED"


def test_an_nstate_refuses_a_name_it_does_not_have(ioc, tmp_path):
    text = f"""<object class="epics.nstate.EpicsNState">
  <pv_prefix>{PREFIX}SHUTTER:SAFETY</pv_prefix>
  <value>CLOSED</value>
  <value>OPEN</value>
</object>
"""
    nstate = load(tmp_path, "selector", text)
    assert isinstance(nstate, EpicsNState)
    nstate.wait_ready(10)
    with pytest.raises(ValueError, match="'HALF' is not one of CLOSED, OPEN"):
        nstate.set_value("HALF")
    target = "OPEN" if nstate.get_value() != "OPEN" else "CLOSED"
    assert nstate.set_value(target).result(5) == target
    assert ioc.read("SHUTTER:SAFETY_RBV") == target


def test_the_bench_pvs_change_by_themselves(ioc, tmp_path):
    text = f"""<object class="Bench">
  <channel type="epics" name="bench">{PREFIX}BENCH:02</channel>
</object>
"""
    channel = object_from_xml(tmp_path, text).get_channel("bench")
    values: queue.Queue[object] = queue.Queue()
    channel.subscribe(values.put)
    first, second = values.get(timeout=5), values.get(timeout=5)
    assert isinstance(first, float) and first != second


# -- faults of the IOC (last: they kill and stop it) -----------------------------------------


def far_move(motor: EpicsMotor) -> Future[float]:
    """A move of several seconds, under way when this returns."""
    start = motor.get_known_value()
    positions: queue.Queue[float] = queue.Queue()
    motor.connect("valueChanged", positions.put)
    move = motor.set_value(1000.0 if start < 550 else 100.0)
    while abs(positions.get(timeout=5) - start) < 5.0:
        pass
    return move


def test_an_ioc_killed_mid_move_fails_the_move_and_the_motor_comes_back(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    states = States(motor)
    move = far_move(motor)

    ioc.kill()
    try:
        reason = failure_of(move, 3.0)  # within 3 s of the kill
        assert f"{PREFIX}DET:DIST" in reason and "the move to" in reason
        states.next(FAULT, timeout=1)
        assert f"{PREFIX}DET:DIST" in motor.unavailable_reason()
    finally:
        ioc.start()
    # the line: back within 5 s of the IOC's restart (its port answers, the PVs
    # are searched for anew: mxgui/core/channels/ca_search.py)
    states.next(READY, timeout=5)
    assert motor.unavailable_reason() == ""
    assert motor.set_value(160.0).result(10) == pytest.approx(160.0)
    assert ioc.read("DET:DIST:MOVES") == 1  # the new IOC's first move


def test_an_ioc_that_hangs_fails_the_move_naming_the_pv_and_comes_back(ioc, tmp_path):
    motor = ready_motor(tmp_path)
    transmission = load(tmp_path, "transmission", transmission_xml('timeout="300"'))
    transmission.wait_ready(10)
    states = States(motor)
    move = far_move(motor)

    ioc.pause()
    try:
        # a write to the hung IOC times out (or meets the FAULT found first, whose
        # wording is channel access's): the PV is named either way
        refused = failure_of(transmission.set_value(30.0), 5.0)
        assert f"{PREFIX}ATT:TRANS" in refused
        reason = failure_of(move, 5.0)
        assert f"{PREFIX}DET:DIST" in reason
        states.next(FAULT, timeout=1)
        refused = failure_of(motor.set_value(170.0), 1)
        assert "cannot move" in refused and f"{PREFIX}DET:DIST" in refused
    finally:
        ioc.resume()
    # back by itself (still finishing the move it had started when it stopped)
    wait_for(lambda: motor.unavailable_reason() == "", "the IOC answering again", 15)
    assert motor.set_value(180.0).result(15) == pytest.approx(180.0)
    assert ioc.read("DET:DIST.RBV") == pytest.approx(180.0)
