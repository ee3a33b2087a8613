"""The hardware repository: names, directories, caching, XML syntax, roles."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from lxml import etree

from hardware_objects.beamline import Beamline
from hardware_objects.simulated.energy import SimulatedEnergy
from hardware_objects.simulated.faulty import StrictObject
from hardware_objects.simulated.motor import SimulatedMotor
from mxgui.core.errors import HardwareObjectError
from mxgui.core.repository import HardwareRepository, normalize_name

from helpers import SIMULATED

MOTOR = '<object class="simulated.motor.SimulatedMotor">\n{body}</object>\n'


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / f"{name}.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def motor(directory: Path, name: str, body: str = "") -> Path:
    return write(directory, name, MOTOR.format(body=body))


# -- names and directories ---------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["phi", "/phi", "phi.xml", "/phi.xml", "//phi/", " /phi "], ids=repr
)
def test_any_spelling_of_a_name_gives_the_same_object(repo, spelling):
    phi = repo.get("/phi")
    assert repo.get(spelling) is phi
    assert phi.name == "/phi"
    assert normalize_name(spelling) == "/phi"


def test_object_is_loaded_once_and_cached(repo):
    assert repo.loaded() == {}
    energy = repo.get("energy")
    assert isinstance(energy, SimulatedEnergy)
    assert repo.get("energy") is energy
    assert repo.loaded() == {"/energy": energy}


def test_concurrent_first_loads_give_one_object(repo):
    got = []
    barrier = threading.Barrier(8)

    def load():
        barrier.wait()
        got.append(repo.get("phi"))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert len(got) == 8
    assert all(obj is got[0] for obj in got)


def test_first_directory_wins(tmp_path):
    site, default = tmp_path / "site", tmp_path / "default"
    motor(site, "phi", "  <velocity>7</velocity>\n")
    motor(default, "phi", "  <velocity>3</velocity>\n")
    motor(default, "kappa", "  <velocity>2</velocity>\n")

    repo = HardwareRepository([site, default])
    assert repo.find_file("phi") == site / "phi.xml"
    assert repo.get("phi").get_velocity() == 7.0
    # a name that only the second directory has is found there
    assert repo.get("kappa").get_velocity() == 2.0
    assert repo.names() == ["/phi", "/kappa"]

    assert HardwareRepository([default, site]).get("phi").get_velocity() == 3.0


def test_names_lists_every_file_including_subdirectories(tmp_path):
    motor(tmp_path, "zeta")
    motor(tmp_path, "alpha")
    motor(tmp_path, "motors/omega")
    (tmp_path / "notes.txt").write_text("not a hardware object")
    repo = HardwareRepository([tmp_path])
    assert repo.names() == ["/alpha", "/motors/omega", "/zeta"]
    assert repo.get("motors/omega").name == "/motors/omega"


def test_names_of_the_simulated_beamline(repo):
    files = sorted(SIMULATED.rglob("*.xml"))
    assert sorted(repo.names()) == ["/" + f.stem for f in files]
    assert {"/beamline", "/energy", "/phi", "/phiy", "/phiz", "/sampx", "/sampy"} <= set(
        repo.names()
    )


def test_load_all_loads_the_simulated_beamline_without_failures(repo, caplog):
    with caplog.at_level(logging.WARNING):
        repo.load_all()
    assert repo.failures == {}
    assert set(repo.loaded()) == set(repo.names())
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_failed_object_raises_and_try_get_gives_none(tmp_path):
    motor(tmp_path, "broken", "  <velocity>fast</velocity>\n")
    repo = HardwareRepository([tmp_path])
    assert repo.try_get("broken") is None
    with pytest.raises(HardwareObjectError, match=r"broken\.xml:2: property <velocity>"):
        repo.get("broken")
    assert repo.loaded() == {}


# -- the XML syntax ------------------------------------------------------------------------


def test_properties_are_typed(tmp_path):
    motor(
        tmp_path,
        "m",
        """  <!-- comments are ignored -->
  <count>3</count>
  <ratio>0.25</ratio>
  <exponent>1e3</exponent>
  <enabled>true</enabled>
  <simulated>False</simulated>
  <label> Omega axis </label>
  <undeclared_zero>007</undeclared_zero>
  <username>007</username>
  <unit>1e-3 mm</unit>
  <velocity>2</velocity>
  <decimals>4</decimals>
  <low_limit>-5</low_limit>
""",
    )
    obj = HardwareRepository([tmp_path]).get("m")
    values = obj.properties
    # undeclared properties: int, then float, then true/false, else text
    assert values["count"] == 3 and type(values["count"]) is int
    assert values["ratio"] == 0.25 and type(values["ratio"]) is float
    assert values["exponent"] == 1000.0 and type(values["exponent"]) is float
    assert values["enabled"] is True
    assert values["simulated"] is False
    assert values["label"] == "Omega axis"
    assert values["undeclared_zero"] == 7
    # declared properties take the declared type; text stays as written
    assert obj.get_property("username") == "007"
    assert obj.username == "007"
    assert obj.unit == "1e-3 mm"
    assert obj.get_property("velocity") == 2.0 and type(obj.get_property("velocity")) is float
    assert obj.get_property("decimals") == 4 and type(obj.get_property("decimals")) is int
    assert obj.get_limits() == (-5.0, float("inf"))
    # defaults of the declared properties that the file leaves out
    assert obj.get_property("tolerance") == 1e-4
    assert obj.get_property("read_only") is False
    assert obj.get_property("not_there", "fallback") == "fallback"


def test_read_only_property_refuses_moves(tmp_path):
    motor(tmp_path, "m", "  <read_only>TRUE</read_only>\n  <username>Slits</username>\n")
    obj = HardwareRepository([tmp_path]).get("m")
    assert obj.get_property("read_only") is True
    with pytest.raises(ValueError, match="Slits is read-only"):
        obj.set_value(1.0)


def test_sub_nodes_and_repeated_elements_are_lists(tmp_path):
    motor(
        tmp_path,
        "zoom",
        """  <positions>
    <position name="in"><offset>1.5</offset></position>
    <position name="out"><offset>-2</offset></position>
  </positions>
  <tag>front</tag>
  <tag>2</tag>
  <limits low="1" high="2"/>
""",
    )
    obj = HardwareRepository([tmp_path]).get("zoom")
    (positions,) = obj.get_nodes("positions")
    entries = positions.children["position"]
    assert [e.attributes["name"] for e in entries] == ["in", "out"]
    assert [e.properties["offset"] for e in entries] == [1.5, -2]
    assert [e.line for e in entries] == [3, 4]
    assert all(e.path == str(tmp_path / "zoom.xml") for e in entries)
    # an undeclared repeated property: the last value wins (mxcubecore); all are kept
    assert obj.get_property("tag") == 2
    assert obj.config.property_values["tag"] == ["front", 2]
    (limits,) = obj.get_nodes("limits")
    assert limits.attributes == {"low": "1", "high": "2"}
    assert obj.get_nodes("nothing") == []


def test_commands_and_channels_are_bindings(tmp_path):
    motor(
        tmp_path,
        "shutter",
        """  <command type="tango" name="open" tangoname="bl/shutter/1">Open</command>
  <channel type="exporter" name="state" polling="500">State</channel>
""",
    )
    obj = HardwareRepository([tmp_path]).get("shutter")
    command, channel = obj.config.bindings
    assert (command.kind, command.name, command.type, command.text, command.line) == (
        "command",
        "open",
        "tango",
        "Open",
        2,
    )
    assert command.attributes["tangoname"] == "bl/shutter/1"
    assert (channel.kind, channel.name, channel.type, channel.text, channel.line) == (
        "channel",
        "state",
        "exporter",
        "State",
        3,
    )
    assert channel.attributes["polling"] == "500"
    # bindings are neither properties nor sub-nodes
    assert "command" not in obj.properties and obj.get_nodes("command") == []


@pytest.mark.parametrize("root", ["object", "device", "equipment", "procedure"])
def test_mxcubecore_root_elements_are_accepted(tmp_path, root):
    write(tmp_path, "m", f'<{root} class="simulated.motor.SimulatedMotor"/>\n')
    assert isinstance(HardwareRepository([tmp_path]).get("m"), SimulatedMotor)


# -- references and roles ------------------------------------------------------------------


def test_references_give_roles(tmp_path):
    motor(tmp_path, "phi")
    motor(tmp_path, "motors/kappa")
    motor(
        tmp_path,
        "stage",
        """  <object href="/phi" role="omega"/>
  <object hwrid="/motors/kappa" role="kappa"/>
  <device href="phi"/>
""",
    )
    repo = HardwareRepository([tmp_path])
    stage = repo.get("stage")
    assert stage.get_object_by_role("omega") is repo.get("phi")
    assert stage.get_object_by_role("kappa") is repo.get("motors/kappa")
    # without role=, the role is the last part of the name
    assert stage.get_object_by_role("phi") is repo.get("phi")
    assert list(stage.roles) == ["omega", "kappa", "phi"]
    assert stage.get_object_by_role("chi") is None


def test_required_role_is_satisfied(tmp_path):
    motor(tmp_path, "phi")
    write(
        tmp_path,
        "strict",
        """<object class="simulated.faulty.StrictObject">
  <channel_name>bl/phi/1</channel_name>
  <object href="/phi" role="motor"/>
</object>
""",
    )
    repo = HardwareRepository([tmp_path])
    strict = repo.get("strict")
    assert isinstance(strict, StrictObject)
    assert strict.get_object_by_role("motor") is repo.get("phi")
    assert strict.get_property("channel_name") == "bl/phi/1"


def test_failed_optional_role_stays_empty_while_the_object_loads(tmp_path, caplog):
    motor(tmp_path, "phi")
    motor(tmp_path, "broken", "  <velocity>-1</velocity>\n")
    stage = motor(
        tmp_path,
        "stage",
        '  <object href="/phi" role="omega"/>\n  <object href="/broken" role="kappa"/>\n',
    )
    repo = HardwareRepository([tmp_path])
    with caplog.at_level(logging.WARNING, logger="mxgui.core.repository"):
        obj = repo.get("stage")
    assert obj.get_object_by_role("omega") is repo.get("phi")
    assert obj.get_object_by_role("kappa") is None
    assert list(obj.roles) == ["omega"]
    assert set(repo.failures) == {"/broken"}
    assert repo.failures["/broken"].line == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [f"{stage}:3: role 'kappa' of /stage left empty because /broken failed"]


def test_object_referring_to_a_reference_loop_still_loads(tmp_path):
    motor(tmp_path, "a", '  <object href="/b"/>\n')
    motor(tmp_path, "b", '  <object href="/a"/>\n')
    motor(tmp_path, "phi")
    motor(tmp_path, "stage", '  <object href="/a" role="loop"/>\n  <object href="/phi"/>\n')
    repo = HardwareRepository([tmp_path])
    stage = repo.get("stage")
    assert stage.roles == {"phi": repo.get("phi")}
    assert set(repo.failures) == {"/a", "/b"}
    assert "reference loop: /a -> /b -> /a" in str(repo.failures["/b"])


def test_beamline_roles(repo):
    beamline = repo.beamline
    assert isinstance(beamline, Beamline)
    assert beamline is repo.get("beamline")
    xml_roles = [
        element.get("role")
        for element in etree.parse(str(SIMULATED / "beamline.xml")).getroot()
        if isinstance(element.tag, str) and element.get("href")
    ]
    assert beamline.role_names() == xml_roles
    assert {"energy", "phi", "phiy", "phiz", "sampx", "sampy"} <= set(xml_roles)
    for role in beamline.role_names():
        assert beamline.role(role) is repo.get(role)
    assert isinstance(beamline.role("energy"), SimulatedEnergy)
    assert beamline.role("phi").username == "Omega"
    # the usual roles read as attributes; one that is not configured is None
    assert beamline.energy is repo.get("energy")
    assert beamline.role("no_such_role") is None
    with pytest.raises(AttributeError, match="no attribute or role 'energie'"):
        beamline.energie  # noqa: B018


def test_beamline_is_none_when_it_fails(tmp_path):
    write(tmp_path, "beamline", '<object class="beamline.Beamline">\n  <object href=""/>\n')
    repo = HardwareRepository([tmp_path])
    assert repo.beamline is None
    assert repo.failures["/beamline"].line == 3


def test_relative_references_resolve_from_the_referencing_file(tmp_path):
    motor(tmp_path, "phi")
    motor(tmp_path, "motors/kappa")
    motor(tmp_path, "motors/stage", '  <object href="./kappa"/>\n  <object href="../phi"/>\n')
    repo = HardwareRepository([tmp_path])
    stage = repo.get("motors/stage")
    assert stage.roles == {"kappa": repo.get("motors/kappa"), "phi": repo.get("phi")}


@pytest.mark.parametrize("href", ["/../phi", "../phi", "./../../phi", "/motors/../../phi"])
def test_a_reference_may_not_leave_the_repository_directories(tmp_path, href):
    inside = tmp_path / "repository"
    motor(tmp_path, "phi")  # next to the repository directory: outside it
    stage = motor(inside, "stage", f'  <object href="{href}" role="omega"/>\n')
    repo = HardwareRepository([inside])
    with pytest.raises(HardwareObjectError, match="leaves the repository directories"):
        repo.get("stage")
    assert str(repo.failures["/stage"]).startswith(f'{stage}:2: role "omega": href="{href}"')
    assert repo.loaded() == {}
    # asked by name (a layout's property), the answer is the same refusal
    with pytest.raises(HardwareObjectError, match="leaves the repository directories"):
        repo.get("/../phi")
