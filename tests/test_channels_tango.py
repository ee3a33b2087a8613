"""Tango channels and commands against a real device server on 127.0.0.1.

The server (tests/tango_device.py) runs without a Tango database in a subprocess; the
channels come from an mxcubecore-style file through ``HardwareObject.get_channel``.
"""

from __future__ import annotations

import time

import pytest
from channel_helpers import Recorder, object_from_xml
from control_servers import TangoServer

from mxgui.core.channels import ChannelError, stop_control_loop
from mxgui.core.errors import ConfigError


def motor_xml(server: TangoServer) -> str:
    return f"""<object class="Motor">
  <tangoname>{server.device_trl}#dbase=no</tangoname>
  <channel type="tango" name="position" polling="events">position</channel>
  <channel type="tango" name="temperature" polling="100">temperature</channel>
  <channel type="tango" name="missing">no_such_attribute</channel>
  <channel type="tango" name="stops" polling="100">stops</channel>
  <command type="tango" name="stop">Stop</command>
  <command>
    <type>tango</type>
    <name>heat</name>
    <toexecute>Heat</toexecute>
  </command>
</object>
"""


@pytest.fixture(scope="module")
def server():
    tango_server = TangoServer()
    tango_server.start()
    yield tango_server
    tango_server.stop()
    stop_control_loop()


def test_read_write_and_change_events(server, tmp_path):
    motor = object_from_xml(tmp_path, motor_xml(server))
    position = motor.get_channel("position")
    recorder = Recorder(position)
    assert recorder.connection(True, timeout=10) == ""

    position.write(3.5).result(5)

    assert position.read() == 3.5
    assert server.proxy().position == 3.5  # the server's side
    recorder.value_matching(3.5)
    # values are handed over in the control-system loop's thread, never the caller's
    assert recorder.threads == {"control-system-loop"}
    assert position._backend.events is True  # change events, not polling
    # a second subscriber, once values flow, gets the current value first
    late = Recorder(position)
    late.value_matching(3.5)


def test_polling_where_the_attribute_offers_no_events(server, tmp_path):
    motor = object_from_xml(tmp_path, motor_xml(server))
    temperature = motor.get_channel("temperature")
    recorder = Recorder(temperature)
    recorder.connection(True, timeout=10)
    start = temperature.read()

    # the long-form command: <type>, <name>, <toexecute>
    motor.get_command("heat").call(5.0).result(5)

    recorder.value_matching(start + 5.0)
    assert temperature._backend.events is False


def test_short_form_command_runs_on_the_server(server, tmp_path):
    motor = object_from_xml(tmp_path, motor_xml(server))
    before = server.proxy().stops
    motor.get_command("stop").call().result(5)
    motor.get_command("stop")().result(5)
    assert server.proxy().stops == before + 2


def test_write_outside_limits_fails_the_future_naming_device_and_channel(server, tmp_path):
    motor = object_from_xml(tmp_path, motor_xml(server))
    position = motor.get_channel("position")
    position.write(1.0).result(5)

    future = position.write(30.0)

    with pytest.raises(ChannelError) as failure:
        future.result(5)
    message = str(failure.value)
    assert "test/nodb/simmotor" in message and "position" in message
    assert "maximum" in message  # the server's API_WAttrOutsideLimit reason
    assert server.proxy().position == 1.0


def test_a_missing_attribute_is_named(server, tmp_path):
    motor = object_from_xml(tmp_path, motor_xml(server))
    missing = motor.get_channel("missing")
    recorder = Recorder(missing)

    reason = recorder.connection(False, timeout=5)

    assert "test/nodb/simmotor" in reason and "no attribute no_such_attribute" in reason
    with pytest.raises(ChannelError, match="no_such_attribute"):
        missing.read(timeout=0.5)


def test_an_unknown_channel_or_control_system_names_file_and_line(server, tmp_path):
    motor = object_from_xml(
        tmp_path,
        motor_xml(server).replace(
            "</object>", '  <channel type="spec" name="old">x</channel>\n</object>'
        ),
    )
    with pytest.raises(ConfigError, match=r'device\.xml:1: no <channel name="nope">'):
        motor.get_channel("nope")
    with pytest.raises(ConfigError, match=r'device\.xml:13: .*type="spec" is not a control'):
        motor.get_channel("old")


def test_a_killed_server_is_reported_and_the_channel_comes_back(tmp_path):
    server = TangoServer()
    server.start()
    try:
        motor = object_from_xml(tmp_path, motor_xml(server))
        position = motor.get_channel("position")
        recorder = Recorder(position)
        recorder.connection(True, timeout=10)

        server.kill()
        killed = time.monotonic()
        reason = recorder.connection(False, timeout=3)
        assert "test/nodb/simmotor" in reason and "position" in reason
        assert not position.connected
        failed = position.write(2.0, timeout=0.5)
        with pytest.raises(ChannelError, match="test/nodb/simmotor"):
            failed.result(5)

        server.start()
        recorder.connection(True, timeout=5)
        assert time.monotonic() - killed < 30  # sanity: one restart, not a hang

        # change events flow again after the restart
        position.write(4.0).result(5)
        recorder.value_matching(4.0)
    finally:
        server.stop()
