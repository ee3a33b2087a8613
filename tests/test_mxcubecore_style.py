"""A site's mxcubecore files mean here what they meant in mxcubecore.

``tests/data/mxcubecore_style`` is a small beamline hand-written in mxcubecore's style
(see its README); the smaller cases are written into ``tmp_path``.
"""

from __future__ import annotations

import importlib
import io
from pathlib import Path

import pytest

from hardware_objects.beamline import Beamline
from hardware_objects.simulated.diffractometer import SimulatedDiffractometer
from hardware_objects.simulated.energy import SimulatedEnergy
from hardware_objects.simulated.motor import SimulatedMotor
from hardware_objects.simulated.nstate import SimulatedNState
from mxgui.core.errors import ConfigError, HardwareObjectError
from mxgui.core.mxcubecore_classes import COUNTERPARTS, MXCUBECORE_CLASSES
from mxgui.core.repository import HardwareRepository
from mxgui.gui.check import run_check

STYLE = Path(__file__).parent / "data" / "mxcubecore_style"
MOTOR = '<object class="simulated.motor.SimulatedMotor"/>\n'


@pytest.fixture
def site() -> HardwareRepository:
    return HardwareRepository([STYLE])


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def failure(repo: HardwareRepository, name: str) -> ConfigError:
    with pytest.raises(HardwareObjectError):
        repo.get(name)
    return repo.failures[name]


# -- the whole beamline ------------------------------------------------------------------


def test_every_file_of_the_site_loads(site):
    site.load_all()
    assert site.failures == {}
    assert site.empty_roles == {}
    assert set(site.names()) == {
        "/beamline",
        "/diffractometer",
        "/energy",
        "/zoom",
        *(f"/motors/{m}" for m in ("phi", "phiy", "phiz", "sampx", "sampy")),
    }
    # the nested object is loaded as an object of its own
    assert "/diffractometer#kappa" in site.loaded()


# -- 1. references nested in sub-elements ------------------------------------------------------


def test_references_nested_in_a_sub_element_attach_by_role_and_by_container(site):
    diffractometer = site.get("diffractometer")
    assert isinstance(diffractometer, SimulatedDiffractometer)
    motors = [site.get(f"motors/{m}") for m in ("phi", "phiy", "phiz", "sampx", "sampy")]
    # reachable by role, as mxcubecore's get_object_by_role walks into sub-elements
    for role, motor in zip(("phi", "phiy", "phiz", "sampx", "sampy"), motors, strict=True):
        assert diffractometer.get_object_by_role(role) is motor
    # and as the list of the container's objects, in file order
    assert diffractometer.get_objects("motors") == motors
    assert diffractometer.get_objects("nothing") == []
    # its REQUIRED_ROLES (phi, phiy, phiz, sampx, sampy, zoom) were found there: it loaded
    assert set(diffractometer.REQUIRED_ROLES) <= set(diffractometer.roles)


def test_a_role_given_at_the_root_keeps_its_object_over_a_nested_one(tmp_path):
    for name in ("a", "b", "c"):
        write(tmp_path, f"{name}.xml", MOTOR)
    write(
        tmp_path,
        "stage.xml",
        """<object class="beamline.Beamline">
  <slits>
    <blade><object href="/c" role="x"/></blade>
    <object href="/b" role="x"/>
  </slits>
  <object href="/a" role="x"/>
</object>
""",
    )
    repo = HardwareRepository([tmp_path])
    stage = repo.get("stage")
    # breadth first, as mxcubecore looks a role up: the root's own, then each level down
    assert stage.get_object_by_role("x") is repo.get("a")
    assert stage.get_objects("slits") == [repo.get("b")]
    assert stage.get_objects("blade") == [repo.get("c")]


def test_a_failed_nested_reference_leaves_its_role_empty_with_file_and_line(tmp_path):
    write(tmp_path, "phi.xml", MOTOR)
    stage = write(
        tmp_path,
        "stage.xml",
        """<object class="beamline.Beamline">
  <motors>
    <object href="/phi" role="phi"/>
    <object href="/missing" role="kappa"/>
  </motors>
</object>
""",
    )
    repo = HardwareRepository([tmp_path])
    obj = repo.get("stage")
    assert obj.get_objects("motors") == [repo.get("phi")]
    assert obj.get_object_by_role("kappa") is None
    (empty,) = repo.empty_roles["/stage"]
    assert str(empty).startswith(f'{stage}:4: role "kappa" left empty because /missing failed')


def test_a_required_role_given_only_inside_a_sub_element_counts(tmp_path):
    write(tmp_path, "phi.xml", MOTOR)
    write(
        tmp_path,
        "strict.xml",
        """<object class="simulated.faulty.StrictObject">
  <channel_name>bl/phi/1</channel_name>
  <motors><object href="/phi" role="Motor"/></motors>
</object>
""",
    )
    repo = HardwareRepository([tmp_path])
    assert repo.get("strict").get_object_by_role("motor") is repo.get("phi")


# -- 2. roles match in any case ------------------------------------------------------------


def test_roles_match_case_insensitively(site):
    diffractometer = site.get("diffractometer")
    zoom = site.get("zoom")
    # written role="Zoom" and role="PhiY"
    for spelling in ("zoom", "Zoom", "ZOOM"):
        assert diffractometer.get_object_by_role(spelling) is zoom
    assert diffractometer.get_object_by_role("phiy") is site.get("motors/phiy")
    assert diffractometer.has_role("KAPPA")
    # kept in lower case, as mxcubecore keeps them
    assert set(diffractometer.roles) == {"phi", "phiy", "phiz", "sampx", "sampy", "zoom", "kappa"}


# -- 3. None is None -------------------------------------------------------------------------


def test_a_property_written_None_is_None(site, tmp_path):
    diffractometer = site.get("diffractometer")
    assert "centring_method" in diffractometer.properties
    assert diffractometer.get_property("centring_method", "unset") is None
    # a declared property that needs a value says so at its line
    path = write(
        tmp_path,
        "m.xml",
        '<object class="simulated.motor.SimulatedMotor">\n  <velocity>None</velocity>\n</object>\n',
    )
    error = failure(HardwareRepository([tmp_path]), "/m")
    assert str(error) == f"{path}:2: property <velocity>: expected a number, got None"


# -- 4. a repeated property ------------------------------------------------------------------


def test_a_repeated_property_takes_its_last_value_unless_the_class_declares_a_list(site):
    zoom = site.get("zoom")
    assert isinstance(zoom, SimulatedNState)
    # <value> is declared a list (HOProperty(list)): every value, in order
    assert zoom.get_values() == ["1", "2", "3"]
    assert zoom.get_property("value") == [1, 2, 3]
    # <delay> is not: the last one wins, as in mxcubecore; every value stays readable
    assert zoom.get_property("delay") == 0.01
    assert zoom.config.property_values["delay"] == [5, 0.01]
    assert zoom.config.property_lines["delay"] == 9


def test_a_declared_list_written_once_is_a_list_of_one(tmp_path):
    write(
        tmp_path,
        "shutter.xml",
        '<object class="simulated.nstate.SimulatedNState">\n  <value>IN</value>\n</object>\n',
    )
    shutter = HardwareRepository([tmp_path]).get("shutter")
    assert shutter.get_property("value") == ["IN"]
    assert shutter.get_values() == ["IN"]


# -- 5. nested objects ---------------------------------------------------------------------------


def test_a_nested_object_is_an_object_of_its_own(site):
    diffractometer = site.get("diffractometer")
    kappa = diffractometer.get_object_by_role("kappa")
    assert isinstance(kappa, SimulatedMotor)
    assert kappa.name == "/diffractometer#kappa"
    assert site.get("/diffractometer#kappa") is kappa
    assert site.get("/diffractometer#Kappa") is kappa  # roles match in any case
    # its own properties, not its parent's, and the parent does not take them
    assert kappa.username == "Kappa"
    assert kappa.get_limits() == (0.0, 240.0)
    assert "high_limit" not in diffractometer.properties
    assert diffractometer.get_property("username") == "MiniDiff"
    assert kappa.config is not None and kappa.config.line == 13


def test_a_broken_nested_object_fails_alone_at_its_line(tmp_path):
    write(tmp_path, "phi.xml", MOTOR)
    stage = write(
        tmp_path,
        "stage.xml",
        """<object class="beamline.Beamline">
  <object href="/phi" role="phi"/>
  <object class="simulated.motor.SimulatedMotor" role="kappa">
    <velocity>-1</velocity>
  </object>
  <object class="TangoMotor" role="chi"/>
</object>
""",
    )
    repo = HardwareRepository([tmp_path])
    obj = repo.get("stage")
    assert obj.roles == {"phi": repo.get("phi")}
    assert str(repo.failures["/stage#kappa"]).startswith(f"{stage}:4: velocity must be above 0")
    assert str(repo.failures["/stage#chi"]).startswith(f'{stage}:6: class="TangoMotor"')
    reasons = [str(e) for e in repo.empty_roles["/stage"]]
    assert reasons[0].startswith(f'{stage}:3: role "kappa" left empty because /stage#kappa')
    assert reasons[1].startswith(f'{stage}:6: role "chi" left empty because /stage#chi')


# -- 6. YAML ---------------------------------------------------------------------------------------


def test_the_yaml_beamline_configuration_gives_the_roles(site):
    beamline = site.beamline
    assert isinstance(beamline, Beamline)
    assert beamline is site.get("beamline")
    assert beamline.config is not None and beamline.config.path == str(
        STYLE / "beamline_config.yml"
    )
    # _objects in order; the role without a file is skipped
    assert beamline.role_names() == ["diffractometer", "zoom", "energy"]
    assert beamline.diffractometer is site.get("diffractometer")
    assert beamline.role("Zoom") is site.get("zoom")
    # the other keys, and _initialise_class's own, are properties with their YAML types
    assert beamline.get_property("run_number") == 1
    assert beamline.get_property("tunable_wavelength") is True
    assert beamline.get_property("mode") == "devel"
    assert beamline.get_property("default_acquisition_parameters") == {
        "default": {"exp_time": 0.04, "osc_range": 0.1}
    }
    assert beamline.config.property_lines["run_number"] == 17


def test_a_yaml_hardware_object_file_is_read(site):
    energy = site.get("energy")
    assert isinstance(energy, SimulatedEnergy)
    assert energy.config is not None and energy.config.path == str(STYLE / "energy.yml")
    assert energy.get_value() == pytest.approx(12.4)
    assert energy.get_limits() == (5.0, 20.0)
    assert energy.username == "Energy"
    assert site.get("energy.yml") is energy


def test_beamline_xml_wins_over_beamline_config_yml(tmp_path):
    write(tmp_path, "beamline.xml", '<object class="beamline.Beamline"/>\n')
    write(tmp_path, "beamline_config.yml", "_initialise_class: {class: no.Such}\n")
    repo = HardwareRepository([tmp_path])
    assert repo.find_file("beamline") == tmp_path / "beamline.xml"
    assert isinstance(repo.beamline, Beamline)
    assert repo.names() == ["/beamline"]


def test_a_yaml_data_file_that_is_no_hardware_object_is_not_listed(tmp_path):
    write(tmp_path, "m.xml", MOTOR)
    write(tmp_path, "gphl-setup.yml", "directory: /tmp\nsettings: {a: 1}\n")
    assert HardwareRepository([tmp_path]).names() == ["/m"]


@pytest.mark.parametrize(
    ("text", "line", "phrase"),
    [
        ("_initialise_class: {class: beamline.Beamline\n", 2, "bad YAML"),
        ("username: Energy\n", 1, "no class given; expected _initialise_class: {class:"),
        ("- just\n- a list\n", 1, "not a hardware object"),
        (
            "_initialise_class: {class: beamline.Beamline}\n_objects:\n  - a: a.xml\n  - b\n",
            4,
            "_objects: expected '- role: file'",
        ),
        ("_initialise_class:\n  class: TangoMotor\n", 2, "TangoMotor is mxcubecore's"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
            "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
            6,
            "once its aliases",
        ),
    ],
    ids=["unclosed", "no-class", "not-a-mapping", "bad-objects", "mxcubecore-class", "alias-bomb"],
)
def test_a_broken_yaml_file_gives_one_error_with_file_and_line(tmp_path, text, line, phrase):
    path = write(tmp_path, "thing.yml", text)
    error = failure(HardwareRepository([tmp_path]), "/thing")
    assert error.path == str(path)
    assert error.line == line
    assert phrase in error.message, error.message
    assert "\n" not in str(error)


# -- 7. class names mxgui does not have -----------------------------------------------------------


@pytest.mark.parametrize(
    ("class_path", "interface", "closest", "system"),
    [
        (
            "MicrodiffMotor",
            "abstract.motor.AbstractMotor",
            "simulated.motor.SimulatedMotor",
            "the MD exporter",
        ),
        (
            "ExporterMotor",
            "abstract.motor.AbstractMotor",
            "simulated.motor.SimulatedMotor",
            "the MD exporter",
        ),
        (
            "mockup.MotorMockup.MotorMockup",
            "abstract.motor.AbstractMotor",
            "simulated.motor.SimulatedMotor",
            "",
        ),
        ("Cats90", "abstract.sample_changer.AbstractSampleChanger", "", "Tango"),
    ],
)
def test_an_mxcubecore_class_gets_one_line_naming_interface_and_closest_class(
    tmp_path, class_path, interface, closest, system
):
    path = write(tmp_path, "m.xml", f'<object class="{class_path}">\n</object>\n')
    error = str(failure(HardwareRepository([tmp_path]), "/m"))
    name = class_path.rsplit(".", 1)[-1]
    assert error.startswith(f'{path}:1: class="{class_path}": ')
    assert f"{name} is mxcubecore's: in mxgui it would implement {interface}" in error
    assert error.endswith(
        f"closest: {closest or 'simulated.sample_changer.SimulatedSampleChanger'}"
    )
    assert ("no equivalent yet on " + system in error) == bool(system)
    assert "\n" not in error


@pytest.mark.parametrize(
    ("class_path", "interface", "counterpart", "system"),
    [
        ("TangoMotor", "abstract.motor.AbstractMotor", "tango.motor.TangoMotor", "Tango"),
        (
            "mxcubecore.HardwareObjects.EPICSMotor",
            "abstract.motor.AbstractMotor",
            "epics.motor.EpicsMotor",
            "EPICS",
        ),
        ("TangoShutter", "abstract.shutter.AbstractShutter", "tango.shutter.TangoShutter", "Tango"),
        (
            "EPICSMachineInfo",
            "abstract.machine_info.AbstractMachineInfo",
            "epics.machine_info.EpicsMachineInfo",
            "EPICS",
        ),
    ],
)
def test_an_mxcubecore_class_mxgui_has_on_its_control_system_names_mxguis_class(
    tmp_path, class_path, interface, counterpart, system
):
    path = write(tmp_path, "m.xml", f'<object class="{class_path}">\n</object>\n')
    error = str(failure(HardwareRepository([tmp_path]), "/m"))
    name = class_path.rsplit(".", 1)[-1]
    assert error.startswith(f'{path}:1: class="{class_path}": ')
    assert f"{name} is mxcubecore's: in mxgui it would implement {interface}" in error
    assert f'on {system} mxgui has {counterpart} (write class="{counterpart}"' in error
    assert "no equivalent yet" not in error
    assert "\n" not in error


def test_an_unknown_class_mxcubecore_does_not_have_either_keeps_the_plain_message(tmp_path):
    path = write(tmp_path, "m.xml", '<object class="NoSuchThing"/>\n')
    error = str(failure(HardwareRepository([tmp_path]), "/m"))
    assert error == (
        f"{path}:1: class=\"NoSuchThing\": no module 'hardware_objects.NoSuchThing' "
        "(expected a dotted path below hardware_objects/, e.g. simulated.motor.SimulatedMotor)"
    )


@pytest.mark.parametrize("name", sorted(MXCUBECORE_CLASSES))
def test_every_class_the_table_points_to_exists(name):
    entry = MXCUBECORE_CLASSES[name]
    for dotted in (entry.interface, entry.closest):
        module, cls = dotted.rsplit(".", 1)
        assert hasattr(importlib.import_module(f"hardware_objects.{module}"), cls), dotted


# -- bindings stay for the channel layer ----------------------------------------------------------


def test_channels_and_commands_inside_sub_elements_are_kept_with_their_lines(tmp_path):
    write(
        tmp_path,
        "m.xml",
        """<object class="simulated.motor.SimulatedMotor">
  <tangoname>bl/mot/phi</tangoname>
  <limits>
    <channel type="tango" name="low" polling="1000">low_limit</channel>
  </limits>
  <command type="tango" name="stop">Stop</command>
</object>
""",
    )
    obj = HardwareRepository([tmp_path]).get("m")
    assert [(b.kind, b.name, b.text, b.line) for b in obj.config.bindings] == [
        ("command", "stop", "Stop", 6)
    ]
    (limits,) = obj.get_nodes("limits")
    (channel,) = limits.bindings
    assert (channel.type, channel.name, channel.text, channel.line) == (
        "tango",
        "low",
        "low_limit",
        4,
    )
    assert channel.attributes["polling"] == "1000"


def test_a_nested_object_asked_for_first_loads_its_parent(site):
    kappa = site.get("/diffractometer#kappa")
    assert site.get("diffractometer").get_object_by_role("kappa") is kappa
    with pytest.raises(HardwareObjectError, match="has no nested object of that role"):
        site.get("/diffractometer#chi")
    assert "/diffractometer#chi" not in site.failures


# -- mxgui --check ------------------------------------------------------------------------------


def test_check_lists_the_yaml_and_nested_objects_and_passes(tmp_path):
    layout = write(tmp_path, "empty.yml", "windows:\n  - title: Site\n    content: {type: vbox}\n")
    out = io.StringIO()
    assert run_check([STYLE], layout, out) == 0, out.getvalue()
    lines = out.getvalue().splitlines()
    assert "OK      /beamline (Beamline)" in lines
    assert "OK      /energy (SimulatedEnergy)" in lines
    assert "OK      /diffractometer#kappa (SimulatedMotor)" in lines
    assert lines[-1] == "check passed"


def test_check_names_the_closest_class_of_an_mxcubecore_class(tmp_path):
    site = tmp_path / "site"
    write(site, "omega.xml", '<device class="TangoMotor">\n  <unit>deg</unit>\n</device>\n')
    layout = write(tmp_path, "empty.yml", "windows:\n  - title: Site\n    content: {type: vbox}\n")
    out = io.StringIO()
    assert run_check([site], layout, out) == 1
    (line,) = [line for line in out.getvalue().splitlines() if "/omega" in line]
    assert line.startswith(f'FAILED  /omega: {site / "omega.xml"}:1: class="TangoMotor": ')
    assert line.endswith(
        'on Tango mxgui has tango.motor.TangoMotor (write class="tango.motor.TangoMotor"; '
        "see docs/recipes.md)"
    )


def test_the_designer_preview_finds_the_class_of_a_nested_object_without_loading(site):
    assert site.object_class("/diffractometer#kappa") is SimulatedMotor
    assert site.object_class("/diffractometer#KAPPA") is SimulatedMotor
    with pytest.raises(HardwareObjectError, match="no nested object of role 'chi'"):
        site.object_class("/diffractometer#chi")
    assert site.loaded() == {}


def test_every_counterpart_named_exists_and_implements_the_interface():
    for name, counterpart in COUNTERPARTS.items():
        interface = MXCUBECORE_CLASSES[name].interface
        module, _, cls = counterpart.rpartition(".")
        found = getattr(importlib.import_module(f"hardware_objects.{module}"), cls)
        base_module, _, base = interface.rpartition(".")
        expected = getattr(importlib.import_module(f"hardware_objects.{base_module}"), base)
        assert issubclass(found, expected), (name, counterpart)
