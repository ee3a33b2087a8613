"""mxcubecore's <channel> and <command> elements read into BindingSpecs (no server)."""

from __future__ import annotations

import pytest

from mxgui.core.channels import binding_spec
from mxgui.core.errors import ConfigError
from mxgui.core.xml_config import parse_file

SITE_FILE = """<device class="MachCurrent">
  <tangoname>orion:10000/fe/id/29</tangoname>
  <channel type="tango" name="Current" polling="2000">SR_Current</channel>
  <channel type="tango" name="Mode" tangoname="tango://host:20000/bl/mode/1#dbase=no"
           polling="events" timeout="500">FillMode</channel>
  <channel type="epics" name="rbv">BL:MTR1.RBV</channel>
  <command type="tango" name="reset">Reset</command>
  <command>
    <type>tango</type>
    <name>abort</name>
    <toexecute>Abort</toexecute>
    <tangoname>bl/ctl/2</tangoname>
  </command>
</device>
"""


def specs(tmp_path, text=SITE_FILE):
    path = tmp_path / "machine.xml"
    path.write_text(text)
    node = parse_file(path)
    return {b.name: binding_spec(node, b, node.properties) for b in node.bindings}


def test_short_form_takes_the_objects_tangoname_and_polling_in_milliseconds(tmp_path):
    current = specs(tmp_path)["Current"]
    assert (current.kind, current.system, current.target) == ("channel", "tango", "SR_Current")
    assert current.device == "orion:10000/fe/id/29"
    assert current.tango_address == "tango://orion:10000/fe/id/29/SR_Current"
    assert current.polling == 2.0
    assert current.where.endswith("machine.xml:3")


def test_an_elements_own_tangoname_events_and_timeout(tmp_path):
    mode = specs(tmp_path)["Mode"]
    assert mode.tango_address == "tango://host:20000/bl/mode/1/FillMode#dbase=no"
    assert mode.polling is None  # events
    assert mode.timeout == 0.5
    assert "Tango device tango://host:20000/bl/mode/1#dbase=no, attribute FillMode" in (mode.label)


def test_epics_channel_and_both_command_forms(tmp_path):
    found = specs(tmp_path)
    assert (found["rbv"].system, found["rbv"].target) == ("epics", "BL:MTR1.RBV")
    assert found["rbv"].label == 'EPICS PV BL:MTR1.RBV (channel "rbv")'
    assert (found["reset"].kind, found["reset"].target) == ("command", "Reset")
    abort = found["abort"]  # the long form: <type>, <name>, <toexecute> children
    assert (abort.kind, abort.system, abort.target, abort.device) == (
        "command",
        "tango",
        "Abort",
        "bl/ctl/2",
    )
    assert abort.tango_address == "bl/ctl/2/Abort"


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        ('<channel type="tango" name="a" polling="often">A</channel>', 'polling="often"'),
        ('<channel type="epics" name="a" timeout="-1">PV</channel>', 'timeout="-1"'),
        ('<channel type="tango" name="a"></channel>', "no attribute given"),
        ('<channel type="exporter" name="a">A</channel>', 'type="exporter" is not'),
        ("<command><type>tango</type><toexecute>A</toexecute></command>", "<name> child"),
    ],
)
def test_bad_elements_name_file_and_line(tmp_path, element, expected):
    text = f'<device class="X">\n  <tangoname>a/b/c</tangoname>\n  {element}\n</device>\n'
    with pytest.raises(ConfigError, match="machine.xml:3: ") as failure:
        specs(tmp_path, text)
    assert expected in str(failure.value)


def test_a_tango_binding_without_a_device_says_where_to_give_one(tmp_path):
    text = '<device class="X">\n  <channel type="tango" name="a">A</channel>\n</device>\n'
    with pytest.raises(ConfigError, match=r"machine\.xml:2: .*tangoname"):
        specs(tmp_path, text)
