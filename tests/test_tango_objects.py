"""The Tango hardware objects (motor, shutter, N-state) on the real demo device server.

The server (``python -m mxgui.demo_servers.tango_devices PORT``) runs in a subprocess on
a free loopback port; the objects come from mxcubecore-style files written here and
loaded by the repository; what they did is checked on the server's side with a plain
``tango.DeviceProxy``. Nothing waits a fixed time: every wait is for a condition, with
a deadline.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator

import pytest
from tango_demo_server import DemoTangoServer

from mxgui.core.channels import ChannelError
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState
from mxgui.core.repository import HardwareRepository

READY = HardwareObjectState.READY
BUSY = HardwareObjectState.BUSY
FAULT = HardwareObjectState.FAULT


@pytest.fixture(scope="module")
def server() -> Iterator[DemoTangoServer]:
    demo = DemoTangoServer()
    demo.start()
    yield demo
    demo.stop()


@pytest.fixture
def load(tmp_path) -> Iterator[Callable[[str, str], HardwareObject]]:
    """``load(name, xml)``: write ``name.xml`` and load it with the repository."""
    repository = HardwareRepository([tmp_path])

    def load_file(name: str, text: str) -> HardwareObject:
        (tmp_path / f"{name}.xml").write_text(text)
        return repository.get(f"/{name}")

    yield load_file
    repository.shutdown()


def wait_until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)


def recorded(obj: HardwareObject, signal: str) -> queue.Queue[object]:
    seen: queue.Queue[object] = queue.Queue()
    obj.connect(signal, seen.put)
    return seen


def drain(seen: queue.Queue[object]) -> list[object]:
    items = []
    while not seen.empty():
        items.append(seen.get())
    return items


def motor_xml(server: DemoTangoServer, device: str, extra: str = "") -> str:
    return f"""<device class="tango.motor.TangoMotor">
  <username>{device.rsplit("/", 1)[-1]}</username>
  <tangoname>{server.trl(device)}</tangoname>
  <tolerance>0.001</tolerance>{extra}
</device>
"""


def ready(obj: HardwareObject) -> HardwareObject:
    wait_until(obj.is_ready, 10, f"{obj.name} READY (state {obj.get_state()})")
    return obj


# moves, events, limits, state, stop ---------------------------------------------------------
def test_a_move_goes_through_tango_with_events_and_ends_at_the_target(server, load):
    motor = ready(load("phiy", motor_xml(server, "demo/md/phiy")))
    device = server.proxy("demo/md/phiy")
    moves = device.Moves
    values = recorded(motor, "valueChanged")
    states = recorded(motor, "stateChanged")
    assert motor.get_velocity() == 2.0  # the device's Velocity

    final = motor.set_value(1.0).result(10)

    assert final == pytest.approx(1.0)
    assert motor.get_value() == pytest.approx(1.0)
    assert motor.get_state() is READY
    assert device.Moves == moves + 1 and device.LastTarget == 1.0  # the server's side
    assert device.Position == pytest.approx(1.0)
    seen = [v for v in drain(values) if isinstance(v, float)]
    assert len([v for v in seen if 0.0 < v < 1.0]) >= 3  # events while moving (20 Hz)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    changes = drain(states)
    assert changes[0] is BUSY and changes[-1] is READY

    motor.set_velocity(3.0)  # written to the device's Velocity
    wait_until(lambda: device.Velocity == 3.0, 5, "Velocity 3 on the server")
    motor.set_velocity(2.0)
    wait_until(lambda: device.Velocity == 2.0, 5, "Velocity 2 on the server")


def test_the_limits_come_from_the_server_and_a_move_beyond_is_refused(server, load):
    motor = ready(load("sampx", motor_xml(server, "demo/md/sampx")))
    wait_until(lambda: motor.get_limits() == (-2.0, 2.0), 5, "the attribute's min/max")
    moves = server.proxy("demo/md/sampx").Moves

    assert motor.unit == "mm"  # the file has no <unit>: the device's
    with pytest.raises(ValueError, match="above the high limit 2 mm"):
        motor.set_value(3.0)
    with pytest.raises(ValueError, match="'abc' is not a number"):
        motor.set_value("abc")
    assert server.proxy("demo/md/sampx").Moves == moves  # nothing reached the device


def test_a_write_the_device_refuses_fails_the_move_in_words(server, load):
    # the file's limits are wider than the device's: the server refuses the write
    # (API_WAttrOutsideLimit) and the Future says so, naming device and channel
    extra = "\n  <low_limit>-50</low_limit>\n  <high_limit>50</high_limit>"
    motor = ready(load("sampy", motor_xml(server, "demo/md/sampy", extra)))
    assert motor.get_limits() == (-50.0, 50.0)

    error = motor.set_value(9.0).exception(10)

    assert isinstance(error, ChannelError)
    message = str(error)
    assert "demo/md/sampy" in message and "attribute Position" in message
    assert "9 is outside the limits the device allows" in message
    wait_until(lambda: motor.get_state() is READY, 5, "READY after the refusal")
    assert server.proxy("demo/md/sampy").LastTarget != 9.0


def test_stop_leaves_the_device_short_of_the_target(server, load):
    motor = ready(load("phi", motor_xml(server, "demo/md/phi")))
    start = motor.get_value()
    move = motor.set_value(start + 1000.0)
    wait_until(lambda: motor.get_value() > start + 5.0, 10, "phi moving")
    assert motor.get_state() is BUSY

    motor.stop()

    stopped_at = move.result(10)
    assert start + 5.0 < stopped_at < start + 1000.0
    device = server.proxy("demo/md/phi")
    assert str(device.state()) == "ON"
    assert device.Position == pytest.approx(stopped_at)
    assert motor.get_state() is READY


# shutter and aperture ---------------------------------------------------------------------------
def test_the_shutter_opens_and_closes_on_the_device(server, load):
    shutter = load(
        "fast_shutter",
        f"""<device class="tango.shutter.TangoShutter">
  <username>Fast shutter</username>
  <tangoname>{server.trl("demo/shutter/fast")}</tangoname>
  <value>OPEN</value>
  <value>CLOSED</value>
</device>
""",
    )
    device = server.proxy("demo/shutter/fast")
    device.Close()
    wait_until(lambda: shutter.get_value() == "CLOSED", 10, "the shutter CLOSED")
    opens = device.Opens

    assert shutter.open().result(10) == "OPEN"
    assert shutter.is_open() and shutter.get_state() is READY
    assert device.Opens == opens + 1 and str(device.state()) == "OPEN"

    assert shutter.close().result(10) == "CLOSED"
    assert not shutter.is_open()
    assert str(device.state()) == "CLOSE"


def test_the_aperture_changes_on_the_device(server, load):
    values = "".join(
        f"\n  <value>{name}</value>" for name in ("A10", "A20", "A30", "A50", "A75", "A100")
    )
    aperture = load(
        "aperture",
        f"""<device class="tango.nstate.TangoNState">
  <username>Aperture</username>
  <tangoname>{server.trl("demo/aperture/1")}</tangoname>{values}
</device>
""",
    )
    ready(aperture)
    wait_until(lambda: aperture.get_value() is not None, 5, "the aperture's value")
    other = "A20" if aperture.get_value() != "A20" else "A75"
    states = recorded(aperture, "stateChanged")

    assert aperture.set_value(other).result(10) == other

    assert server.proxy("demo/aperture/1").Value == other
    assert aperture.get_value() == other and aperture.get_state() is READY
    changes = drain(states)
    assert changes[0] is BUSY and changes[-1] is READY
    with pytest.raises(ValueError, match="'A5' is not one of A10, A20"):
        aperture.set_value("A5")


# faults ------------------------------------------------------------------------------------
def test_a_device_that_does_not_exist_is_a_fault_naming_it(server, load, tmp_path):
    motor = load("ghost", motor_xml(server, "demo/md/ghost"))
    wait_until(lambda: motor.get_state() is FAULT, 10, "FAULT")
    assert "demo/md/ghost" in motor.unavailable_reason()
    (problem,) = motor.startup_problems()
    assert problem.startswith(f"{tmp_path / 'ghost.xml'}:3: ")  # the <tangoname> line
    assert "demo/md/ghost" in problem

    error = motor.set_value(0.5).exception(5)
    assert "demo/md/ghost" in str(error)


def test_an_attribute_that_does_not_exist_is_a_fault_naming_it(server, load, tmp_path):
    extra = '\n  <channel type="tango" name="position" polling="events">Posn</channel>'
    motor = load("typo", motor_xml(server, "demo/md/phiz", extra))
    wait_until(lambda: motor.get_state() is FAULT, 10, "FAULT")
    reason = motor.unavailable_reason()
    assert "demo/md/phiz" in reason and "no attribute Posn" in reason
    (problem,) = motor.startup_problems()
    assert problem.startswith(f"{tmp_path / 'typo.xml'}:5: ")  # the <channel> line
    assert "Posn" in problem


def test_an_attribute_of_the_wrong_type_is_a_fault_naming_it(server, load):
    # a motor whose position is the aperture's Value: a name, not a number
    extra = '\n  <channel type="tango" name="position">Value</channel>'
    motor = load("wrong", motor_xml(server, "demo/aperture/1", extra))
    wait_until(lambda: motor.get_state() is FAULT, 10, "FAULT")
    reason = motor.unavailable_reason()
    assert "demo/aperture/1" in reason and "attribute Value" in reason
    assert "not a number" in reason
    assert reason in motor.startup_problems()

    error = motor.set_value(1.0).exception(5)
    assert "not a number" in str(error)


def test_a_server_killed_mid_move_fails_the_move_and_comes_back(server, load):
    motor = ready(load("phi_killed", motor_xml(server, "demo/md/phi")))
    reasons = recorded(motor, "availabilityChanged")
    start = motor.get_value()
    move = motor.set_value(start + 5000.0)
    wait_until(lambda: motor.get_value() > start + 5.0, 10, "phi moving")

    server.kill()
    killed = time.monotonic()
    try:
        error = move.exception(3)  # TimeoutError here: the Future did not fail in 3 s
        assert "demo/md/phi" in str(error)
        wait_until(lambda: motor.get_state() is FAULT, 3 - (time.monotonic() - killed), "FAULT")
        assert "demo/md/phi" in motor.unavailable_reason()
    finally:
        server.start()
    restarted = time.monotonic()
    wait_until(lambda: motor.get_state() is READY, 5, "READY after the restart")
    assert time.monotonic() - restarted < 5
    assert drain(reasons)[-1] == ""  # the bricks are told it is back
    wait_until(lambda: motor.get_value() == 0.0, 5, "the position read again")  # restarts at 0

    assert motor.set_value(10.0).result(10) == pytest.approx(10.0)
    assert server.proxy("demo/md/phi").Moves == 1  # the new server's first move


def test_a_hung_server_fails_the_move_with_no_answer_and_recovers(server, load):
    motor = ready(load("phiz", motor_xml(server, "demo/md/phiz")))

    server.hang()
    try:
        error = motor.set_value(0.5).exception(10)
    finally:
        server.wake()
    message = str(error)
    assert "no answer within" in message
    # the first channel found not answering: the write's, or the probe's of any
    assert "demo/md/phiz" in message and '(channel "' in message
    wait_until(lambda: motor.get_state() is READY and not motor.unavailable_reason(), 10, "back")

    target = 0.25 if abs(motor.get_value() - 0.25) > 0.01 else -0.25
    assert motor.set_value(target).result(10) == pytest.approx(target)


def test_bench_motors_send_position_events_by_themselves(load):
    bench = DemoTangoServer(bench=2)
    bench.start()
    try:
        motor = ready(load("m02", motor_xml(bench, "demo/bench/m02")))
        values = recorded(motor, "valueChanged")
        seen: set[object] = set()

        def wobbles() -> int:
            seen.update(drain(values))
            return len(seen)

        wait_until(lambda: wobbles() >= 5, 5, "5 different positions")
        assert all(abs(v) <= 0.01 for v in seen)
        assert bench.proxy("demo/bench/m01").Moves == 0  # nobody moved it: it wobbles
    finally:
        bench.stop()
