"""A hardware object on a control system: FAULT with the device's name while its server
does not answer, READY again when it is back; the bricks bound to it turn red and then
live; ``startup_problems`` (what ``mxgui --check`` prints) names file:line and device.

Against a real Tango device server on 127.0.0.1 (tests/tango_device.py).
"""

from __future__ import annotations

import queue

import pytest
from channel_helpers import object_from_xml
from control_servers import TangoServer

from mxgui.core.channels import DefaultBinding, stop_control_loop
from mxgui.core.errors import ConfigError
from mxgui.core.hardware_object import HardwareObjectState


@pytest.fixture(scope="module")
def server():
    tango_server = TangoServer()
    tango_server.start()
    yield tango_server
    tango_server.stop()
    stop_control_loop()


def device_xml(trl: str) -> str:
    return f"""<object class="Device">
  <username>Phi</username>
  <tangoname>{trl}#dbase=no</tangoname>
  <channel type="tango" name="temperature" polling="100">temperature</channel>
</object>
"""


def availability(obj) -> queue.Queue[str]:
    reasons: queue.Queue[str] = queue.Queue()
    obj.connect("availabilityChanged", reasons.put)
    return reasons


def test_a_default_binding_serves_where_the_file_has_no_element(server, tmp_path):
    obj = object_from_xml(tmp_path, device_xml(server.device_trl))
    # the file has no "position" channel: the class's default on <tangoname> serves
    position = obj.get_channel("position", DefaultBinding("tango", "position", prop="tangoname"))
    position.write(2.5).result(5)
    assert server.proxy().position == 2.5
    assert position.spec.where.endswith("device.xml:3")  # the <tangoname> line
    # the file's element wins over the default
    temperature = obj.get_channel("temperature", DefaultBinding("tango", "position"))
    assert temperature.spec.target == "temperature"
    with pytest.raises(ConfigError, match=r'device.xml:1: no <channel name="speed">'):
        obj.get_channel("speed")


def test_a_lost_server_puts_the_object_in_fault_naming_device_and_channel(server, tmp_path):
    obj = object_from_xml(tmp_path, device_xml(server.device_trl))
    reasons = availability(obj)
    obj.watch_channels(obj.get_channel("temperature"))
    assert obj.startup_problems() == []  # waits for the first attempt: it answers
    assert obj.unavailable_reason() == ""

    server.kill()
    try:
        reason = reasons.get(timeout=5)
        assert "test/nodb/simmotor" in reason and "temperature" in reason
        assert "the device does not answer" in reason
        assert obj.get_state() is HardwareObjectState.FAULT
        assert obj.unavailable_reason() == reason
    finally:
        server.start()
    while reasons.get(timeout=10):  # the reason may change while it is down
        pass  # until it is back, by itself (an empty reason)
    assert obj.get_state() is HardwareObjectState.READY
    assert obj.unavailable_reason() == ""


def test_startup_problems_name_the_file_line_and_the_device_that_is_down(tmp_path):
    down = TangoServer()  # a port nobody serves
    obj = object_from_xml(tmp_path, device_xml(down.device_trl))
    obj.watch_channels(obj.get_channel("temperature"))
    (problem,) = obj.startup_problems()
    assert problem.startswith(f"{tmp_path / 'device.xml'}:4: ")
    assert "test/nodb/simmotor" in problem and "temperature" in problem
    assert obj.get_state() is HardwareObjectState.FAULT


def test_a_brick_turns_red_while_its_device_does_not_answer_and_live_after(make_app, qtbot):
    app = make_app()
    brick = app.built.bricks["sampx"]
    motor = app.repository.get("/sampx")
    tooltip = brick.toolTip()
    assert brick.isEnabled()

    motor.emit("availabilityChanged", "Tango device bl/mot/sampx: no answer within 1 s")
    qtbot.waitUntil(lambda: not brick.isEnabled(), timeout=2000)
    assert brick.toolTip() == "Tango device bl/mot/sampx: no answer within 1 s"
    assert brick.property("unavailable") == "true"
    assert brick.unavailable.startswith("Tango device bl/mot/sampx")

    motor.emit("availabilityChanged", "")
    qtbot.waitUntil(brick.isEnabled, timeout=2000)
    assert brick.toolTip() == tooltip
    assert brick.property("unavailable") == "false"
    assert brick.unavailable == ""
