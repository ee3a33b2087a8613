"""mxcubecore's XMLRPCServer methods outside the queue, processing and dialog groups,
replayed in the callers' own forms against the simulated beamline's real server.

The forms, from the callers' public sources: EDNA's characterisation plugin reads
``float(server.beamline_setup_read("/beamline/resolution"))``; mxcubecore's server
answers ``beamline_setup_read`` of a path ending in ``default-acquisition-parameters``
or ``default-path-template`` with encoded text; ``save_snapshot(imgpath,
showScale=False, handle_light=True)`` is called positionally (mxcubecore's own
``save_multiple_snapshots`` passes ``(path, show_scale, False)``);
``shape_history_set_grid_data(key, result_data, data_file_path=None)`` gets a dict of
cell -> value (struct keys are text over XML-RPC) or a list; ``get_available_beam_size``
gives ``{"label": [...], "size": [(w, h), ...]}`` and a label goes back to
``set_beam_size``; ``get_diffractometer_positions`` carries ``beam_x``, ``beam_y`` and
``zoom``. Where mxgui has nothing to do a call with, the fault names the method and why.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from xmlrpc_fixtures import QUICK, client, fault_of

from mxgui.core.repository import HardwareRepository
from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.snapshot_light import SnapshotLight

from helpers import ROOT, SIMULATED, quick_collect_overrides, wait_for

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures

#: every method mxcubecore's XMLRPCServer registers (mxcube/mxcubecore, esrf-mxcubecore
#: and older versions together) with its native queue API: all served
MXCUBECORE_METHODS = {
    "start_queue",
    "queue_add_child",
    "queue_get_node",
    "queue_set_serialisation",
    "queue_get_serialisation",
    "queue_get_available_serialisations",
    "queue_add_node",
    "queue_update_result",
    "queue_get_full_path",
    "queue_get_model_code",
    "add_xray_centring",
    "addXrayCentring",
    "add_gphl_workflow",
    "set_characterisation_result",
    "setCharacterisationResult",
    "open_dialog",
    "dozor_status_changed",
    "processing_status_changed",
    "get_image_num",
    "log_message",
    "is_queue_executing",
    "queue_execute_entry_with_id",
    "queue_set_workflow_lims_id",
    "shape_history_get_grid",
    "shape_history_set_grid_data",
    "beamline_setup_read",
    "get_default_path_template",
    "get_default_acquisition_parameters",
    "get_diffractometer_positions",
    "get_resolution_limits",
    "move_diffractometer",
    "save_snapshot",
    "save_multiple_snapshots",
    "save_twelve_snapshots_script",
    "cryo_temperature",
    "flux",
    "check_for_beam",
    "set_beam_size",
    "get_beam_size",
    "get_available_beam_size",
    "set_aperture",
    "get_aperture",
    "get_aperture_list",
    "get_cp",
    "save_current_pos",
    "anneal",
    "workflow_end",
    "dozor_batch_processed",
    "set_zoom_level",
    "get_zoom_level",
    "get_available_zoom_levels",
    "set_front_light_level",
    "get_front_light_level",
    "set_back_light_level",
    "get_back_light_level",
    "centre_beam",
    "get_gphl_workflow_status",
    "clear_ispyb_client_group_id",
    "clearISPyBClientGroupId",
    "set_rotation_axis_position",
    "system.listMethods",
    "system.methodHelp",
    "system.methodSignature",
}


#: the fields of mxcubecore's AcquisitionParameters and PathTemplate a caller of
#: beamline_setup_read reads (old BeamlineSetup.read_value and queue_model_objects)
ACQUISITION_NAMES = (
    "first_image", "num_images", "osc_start", "osc_range", "kappa", "kappa_phi", "overlap",
    "exp_time", "num_passes", "resolution", "energy", "transmission", "shutterless",
    "detector_mode", "inverse_beam", "take_dark_current", "skip_existing_images",
    "take_snapshots",
)  # fmt: skip
PATH_TEMPLATE_NAMES = (
    "directory", "process_directory", "base_prefix", "mad_prefix", "reference_image_prefix",
    "wedge_prefix", "run_number", "suffix", "precision", "start_num", "num_files",
)  # fmt: skip

#: the method table of docs/contracts.md
CONTRACTS = ROOT / "docs" / "contracts.md"
TABLE_TITLE = "### mxcubecore's XMLRPCServer, method by method"


def documented_methods() -> tuple[set[str], set[str]]:
    """The method names of the table in docs/contracts.md: those it says mxgui serves,
    and those of rows it says are not offered (names in backquotes, in the first column)."""
    lines = CONTRACTS.read_text().splitlines()
    start = next(n for n in range(lines.index(TABLE_TITLE), len(lines)) if lines[n][:1] == "|")
    end = next((n for n in range(start, len(lines)) if lines[n][:1] != "|"), len(lines))
    rows = lines[start + 2 : end]  # after the header and its rule
    served: set[str] = set()
    refused: set[str] = set()
    for row in rows:
        first, what = row.split(" | ")[:2]
        names = set(re.findall(r"`<?([A-Za-z_][\w.]*)>?(?:\(|`)", first))
        (refused if what.startswith("not offered") else served).update(names)
    return served, refused


def image_of(path) -> np.ndarray:
    """The pixels of the image file at ``path`` (decoded: the file is a readable image)."""
    with Image.open(io.BytesIO(path.read_bytes())) as image:
        image.load()
        return np.asarray(image.convert("L"), dtype=float)


# introspection ------------------------------------------------------------------------------
def test_system_introspection_lists_and_describes_mxcubecores_methods(proxy):
    served = set(proxy.system.listMethods())
    assert MXCUBECORE_METHODS - served == set()
    assert proxy.system.methodSignature("save_snapshot") == (
        "save_snapshot(path, show_scale=False, handle_light=True)"
    )
    assert "default-acquisition-parameters" in proxy.system.methodHelp("beamline_setup_read")
    fault = fault_of(proxy.system.methodHelp, "no_such_method")
    assert "no_such_method: no such method" in fault.faultString


def test_the_docs_table_names_exactly_the_methods_served(proxy):
    """The table in docs/contracts.md and system.listMethods cannot drift apart."""
    served = set(proxy.system.listMethods())
    documented, not_offered = documented_methods()
    assert len(documented) > 50
    assert documented - served == set(), "the docs table lists methods not served"
    assert served - documented == set(), "methods served that the docs table does not list"
    assert not_offered and not_offered & served == set()
    assert MXCUBECORE_METHODS - documented == set()


# beamline_setup_read ----------------------------------------------------------------------------
def test_beamline_setup_read_answers_edna_and_mxcubecores_paths(beamline, proxy):
    resolution = beamline.get("resolution").get_value()
    assert float(proxy.beamline_setup_read("/beamline/resolution")) == pytest.approx(resolution)
    assert proxy.beamline_setup_read("/beamline/energy") == pytest.approx(
        beamline.get("energy").get_value()
    )
    assert proxy.beamline_setup_read("/beamline/transmission") == pytest.approx(
        beamline.get("transmission").get_value()
    )
    phi = beamline.get("diffractometer").get_positions()["phi"]
    assert proxy.beamline_setup_read("/beamline/diffractometer/phi") == pytest.approx(phi)
    # the documents: JSON text of what the setup methods give
    parameters = json.loads(proxy.beamline_setup_read("/beamline/default-acquisition-parameters"))
    given = proxy.get_default_acquisition_parameters()
    assert parameters == {**given, **{k: parameters[k] for k in ACQUISITION_NAMES}}
    assert parameters["osc_range"] > 0 and parameters["num_images"] >= 1
    template = json.loads(proxy.beamline_setup_read("/beamline-setup/default-path-template/"))
    assert {k: template[k] for k in proxy.get_default_path_template()} == (
        proxy.get_default_path_template()
    )
    assert template["directory"] and template["prefix"]


def test_beamline_setup_read_documents_carry_mxcubecores_field_names(proxy):
    """mxcubecore answers jsonpickle text of its AcquisitionParameters / PathTemplate:
    a caller decoding it reads mxcubecore's field names."""
    parameters = json.loads(proxy.beamline_setup_read("/beamline/default-acquisition-parameters"))
    assert set(ACQUISITION_NAMES) <= set(parameters)
    assert parameters["take_dark_current"] is True
    assert parameters["skip_existing_images"] is False
    template = json.loads(proxy.beamline_setup_read("/beamline/default-path-template"))
    assert set(PATH_TEMPLATE_NAMES) <= set(template)
    assert template["base_prefix"] == template["prefix"]
    assert template["num_files"] == parameters["num_images"]
    assert template["mad_prefix"] == template["wedge_prefix"] == ""


def test_beamline_setup_read_refuses_a_document_json_cannot_carry(beamline, proxy):
    """A value that is no finite number would be invalid JSON text for the caller."""
    beamline.get("energy").update_value(float("nan"))
    fault = fault_of(proxy.beamline_setup_read, "/beamline/default-acquisition-parameters")
    assert fault.faultCode == -32500
    assert "energy = nan is no finite number" in fault.faultString


def test_beamline_setup_read_takes_mxcubecores_attribute_paths(beamline, proxy):
    """mxcubecore resolves the path by getattr on HWR.beamline: the distance lives under
    the detector, GenericDiffractometer's omega is mxgui's phi."""
    distance = beamline.get("detector_distance").get_value()
    assert proxy.beamline_setup_read("/beamline/detector/distance") == pytest.approx(distance)
    positions = beamline.get("diffractometer").get_positions()
    assert proxy.beamline_setup_read("/beamline/diffractometer/omega") == pytest.approx(
        positions["phi"]
    )
    assert proxy.beamline_setup_read("/beamline/diffractometer/alignment_y") == pytest.approx(
        positions["phiy"]
    )
    fault = fault_of(proxy.beamline_setup_read, "/beamline/detector/gain").faultString
    assert "readable: /beamline/energy, /beamline/resolution" in fault
    assert "/beamline/detector/distance" in fault and "/beamline/diffractometer/omega" in fault


def test_beamline_setup_read_names_the_path_it_cannot_read(proxy):
    fault = fault_of(proxy.beamline_setup_read, "/beamline/sample_changer")
    assert fault.faultCode == -32602
    assert fault.faultString.startswith("beamline_setup_read: path: '/beamline/sample_changer'")
    assert "no object under role 'sample_changer'" in fault.faultString
    nested = fault_of(proxy.beamline_setup_read, "/beamline/diffractometer/nozzle").faultString
    assert "diffractometer has no role 'nozzle'" in nested
    other = fault_of(proxy.beamline_setup_read, "/elsewhere/resolution").faultString
    assert "is not /beamline/<role>" in other
    assert "has no value" in fault_of(proxy.beamline_setup_read, "/beamline/collect").faultString


# beam -------------------------------------------------------------------------------------------
def test_a_label_of_get_available_beam_size_sets_the_beam_size(beamline, proxy):
    available = proxy.get_available_beam_size()
    beam = beamline.get("beam")
    assert available["label"] == beam.get_aperture_list()
    assert len(available["size"]) == len(available["label"])
    widths = [width for width, _height in available["size"]]
    assert widths == sorted(widths) and widths[0] < widths[-1]
    before = proxy.get_beam_size()[:2]
    smallest, size = available["label"][0], available["size"][0]
    assert before != pytest.approx(size)
    assert proxy.set_beam_size(smallest) is True
    assert beam.get_beam_size() == pytest.approx(tuple(size))
    assert proxy.get_beam_size()[:2] == pytest.approx(size)
    # a size of the list works as well
    assert proxy.set_beam_size(available["size"][-1]) is True
    assert beam.get_aperture() == available["label"][-1]


# what mxgui does not do: faults naming the method and the reason -------------------------------
@pytest.mark.parametrize(
    ("method", "args", "reason"),
    [
        ("anneal", (2.0,), "this beamline has no cryo shutter"),
        ("centre_beam", (), "mxgui has no beam-centring procedure"),
        ("get_gphl_workflow_status", (), "add_gphl_workflow starts none"),
        ("set_rotation_axis_position", (0.12,), "keeps no rotation-axis reference position"),
    ],
)
def test_what_mxgui_cannot_do_is_a_fault_naming_the_method_and_why(
    beamline, proxy, method, args, reason
):
    before = beamline.get("diffractometer").get_positions()
    fault = fault_of(getattr(proxy, method), *args)
    assert fault.faultCode == -32500
    assert fault.faultString.startswith(f"{method}: ")
    assert reason in fault.faultString
    assert beamline.get("diffractometer").get_positions() == before  # nothing moved


def test_the_gphl_pair_is_refused_for_one_reason(proxy):
    """add_gphl_workflow (the queue group) and get_gphl_workflow_status go together."""
    reason = "mxgui has no GPhL workflow (no gphl_workflow object)"
    assert reason in fault_of(proxy.add_gphl_workflow, 1, {}, "wf-1").faultString
    assert reason in fault_of(proxy.get_gphl_workflow_status).faultString


def test_cryo_temperature_reads_the_cryostream(beamline, proxy):
    cryostream = beamline.get("cryostream")
    assert proxy.cryo_temperature() == pytest.approx(100.0)
    cryostream.set_velocity(100.0)
    cryostream.set_value(104.5, timeout=10)
    assert proxy.cryo_temperature() == pytest.approx(104.5)
    assert proxy.beamline_setup_read("/beamline/cryostream") == pytest.approx(104.5)


def test_without_a_cryostream_cryo_temperature_is_a_fault_saying_so(tmp_path):
    overrides = quick_collect_overrides(tmp_path)
    server_xml = (SIMULATED / "xmlrpc_server.xml").read_text()
    without = re.sub(r'\s*<object href="/cryostream" role="cryostream"/>', "", server_xml)
    assert without != server_xml
    (overrides / "xmlrpc_server.xml").write_text(without)
    repo = HardwareRepository([overrides, SIMULATED])
    try:
        with client(repo.beamline.role("xmlrpc_server").url) as proxy:
            fault = fault_of(proxy.cryo_temperature)
    finally:
        repo.shutdown()
    assert fault.faultCode == -32500
    assert fault.faultString.startswith("cryo_temperature: this beamline has no cryostream")
    assert "nor in the diffractometer's" in fault.faultString


def test_cryo_temperature_reads_the_diffractometers_cryostream_as_mxcubecore(tmp_path):
    """A ported site references the cryostream from the diffractometer only."""
    overrides = quick_collect_overrides(tmp_path)
    server_xml = (SIMULATED / "xmlrpc_server.xml").read_text()
    without = re.sub(r'\s*<object href="/cryostream" role="cryostream"/>', "", server_xml)
    (overrides / "xmlrpc_server.xml").write_text(without)
    diffractometer_xml = (overrides / "diffractometer.xml").read_text()
    (overrides / "diffractometer.xml").write_text(
        diffractometer_xml.replace(
            '<object href="/phi" role="phi"/>',
            '<object href="/phi" role="phi"/><object href="/cryostream" role="cryostream"/>',
        )
    )
    repo = HardwareRepository([overrides, SIMULATED])
    try:
        with client(repo.beamline.role("xmlrpc_server").url) as proxy:
            assert proxy.cryo_temperature() == pytest.approx(100.0)
    finally:
        repo.shutdown()


def test_bad_arguments_of_the_refused_calls_are_named_first(proxy):
    fault = fault_of(proxy.anneal, "long")
    assert fault.faultCode == -32602 and fault.faultString.startswith("anneal: time: ")
    assert "above 0 s" in fault_of(proxy.anneal, 0).faultString
    fault = fault_of(proxy.set_rotation_axis_position, "axis")
    assert fault.faultCode == -32602 and "value: " in fault.faultString


def test_the_ispyb_group_id_is_cleared_under_both_names(proxy):
    assert proxy.clear_ispyb_client_group_id() is True
    assert proxy.clearISPyBClientGroupId() is True


# snapshots ------------------------------------------------------------------------------------
def test_save_snapshot_in_mxcubecores_positional_forms(beamline, proxy, tmp_path):
    data = tmp_path / "data" / "snapshots"
    plain, scaled, unlit = data / "plain.png", data / "scaled.png", data / "unlit.png"
    backlight = beamline.get("diffractometer").get_motor("backlight")
    backlight.set_value(0, timeout=10)
    levels = []
    backlight.connect("valueChanged", levels.append)
    assert proxy.save_snapshot(str(plain)) is True  # imgpath only: handle_light=True
    assert 50 in levels and backlight.get_value() == 0
    levels.clear()
    assert proxy.save_snapshot(str(scaled), True) is True  # imgpath, showScale
    assert proxy.save_snapshot(str(unlit), False, False) is True  # as save_multiple_snapshots
    for path in (plain, scaled, unlit):
        assert image_of(path).shape == (1024, 1280)
    assert 50 in levels and backlight.get_value() == 0
    levels.clear()
    assert proxy.save_snapshot(str(data / "again.png"), False, False) is True
    assert levels == []  # handle_light False: the light is not touched
    assert image_of(plain).mean() > image_of(unlit).mean() + 10
    fault = fault_of(proxy.save_snapshot, str(data / "x.png"), False, "sometimes")
    assert fault.faultString.startswith("save_snapshot: handle_light: ")


def test_handle_light_lights_a_dark_sample_for_the_snapshot_and_turns_it_off(
    beamline, proxy, tmp_path
):
    diffractometer = beamline.get("diffractometer")
    for light in ("backlight", "frontlight"):
        diffractometer.get_motor(light).set_value(0, timeout=10)
    dark, lit = tmp_path / "data" / "dark.png", tmp_path / "data" / "lit.png"
    assert proxy.save_snapshot(str(dark), False, False) is True
    assert proxy.save_snapshot(str(lit), False, True) is True
    assert image_of(lit).mean() > image_of(dark).mean() + 10
    assert diffractometer.get_motor("backlight").get_value() == 0  # off again


def test_overlapping_handle_light_snapshots_are_both_lit(beamline, proxy, tmp_path):
    """B starts while A's light ramps up: B waits for the light, and A does not turn it
    off under B's snapshot; the last one out turns it off."""
    diffractometer = beamline.get("diffractometer")
    backlight = diffractometer.get_motor("backlight")
    for light in ("backlight", "frontlight"):
        diffractometer.get_motor(light).set_value(0, timeout=10)
    data = tmp_path / "data"
    assert proxy.save_snapshot(str(data / "dark.png"), False, False) is True
    url = beamline.beamline.role("xmlrpc_server").url

    def snapshot(name: str) -> bool:
        with client(url) as other:
            return other.save_snapshot(str(data / name))

    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(snapshot, "a.png")
        wait_for(lambda: 0 < backlight.get_value(), "the light ramping up", timeout=10)
        second = pool.submit(snapshot, "b.png")
        assert first.result(timeout=60) is True and second.result(timeout=60) is True
    dark, lit = image_of(data / "dark.png").mean(), image_of(data / "a.png").mean()
    assert lit > dark + 10
    assert image_of(data / "b.png").mean() == pytest.approx(lit, rel=0.1)  # not half-lit
    assert backlight.get_value() == 0


@pytest.fixture
def lights(tmp_path):
    """A repository of two back lights: ``inout`` (mxcubecore's in/out actuator) and
    ``slow`` (a level that takes 2.5 s to reach 50 %)."""
    (tmp_path / "inout.xml").write_text(
        '<object class="simulated.nstate.SimulatedNState"><value>in</value>'
        "<value>out</value><default_value>out</default_value></object>"
    )
    (tmp_path / "slow.xml").write_text(
        '<object class="simulated.motor.SimulatedMotor"><default_value>0</default_value>'
        "<low_limit>0</low_limit><high_limit>100</high_limit><velocity>20</velocity>"
        "</object>"
    )
    (tmp_path / "quick.xml").write_text(
        (tmp_path / "slow.xml").read_text().replace("<velocity>20<", "<velocity>10000<")
    )
    repo = HardwareRepository([tmp_path])
    yield repo
    repo.shutdown()


def test_snapshot_light_keeps_a_level_the_user_set_during_the_snapshot(lights):
    quick = lights.get("quick")
    light = SnapshotLight(ServiceContext(lambda name: None), lambda: None)
    with light.lit(quick):
        assert quick.get_value() == 50
        quick.set_value(80, timeout=10)  # the user, meanwhile
    assert quick.get_value() == 80
    with light.lit(quick):
        pass
    assert quick.get_value() == 80  # on: left alone


def test_snapshot_light_leaves_a_light_that_is_no_level_alone(lights, caplog):
    inout = lights.get("inout")
    shots = []
    light = SnapshotLight(ServiceContext(lambda name: None), lambda: None)
    with caplog.at_level("INFO", "mxgui.workflow"), light.lit(inout):
        shots.append(inout.get_value())
    assert shots == ["out"] and inout.get_value() == "out"
    assert "is 'out', not a level; mxgui leaves it as it is" in caplog.text


def test_snapshot_light_is_put_back_when_turning_it_on_times_out(lights):
    slow = lights.get("slow")
    light = SnapshotLight(ServiceContext(lambda name: None, move_timeout=0.3), lambda: None)
    with pytest.raises(TimeoutError, match="the back light"), light.lit(slow):
        pytest.fail("the snapshot ran without light")
    wait_for(lambda: slow.get_value() == 0, "the light back off", timeout=10)


def test_handle_light_leaves_the_light_alone_while_a_collection_runs(
    beamline, proxy, tmp_path, caplog
):
    """Lights are not interlocked, but mxcubecore's back light moves into the beam path:
    while a collection holds the interlock the snapshot is taken as it is."""
    backlight = beamline.get("diffractometer").get_motor("backlight")
    backlight.set_value(0, timeout=10)
    seen = []
    backlight.connect("valueChanged", seen.append)
    path = tmp_path / "data" / "during.png"
    with caplog.at_level("WARNING", "mxgui.workflow"):
        with beamline.interlock.hold("DataCollection 7 'p_1'"):
            assert proxy.save_snapshot(str(path)) is True
    assert image_of(path).shape == (1024, 1280)
    assert seen == [] and backlight.get_value() == 0
    assert "left off: DataCollection 7 'p_1' is running" in caplog.text


def test_multiple_snapshots_light_a_dark_sample_for_the_series(beamline, proxy, tmp_path):
    diffractometer = beamline.get("diffractometer")
    for light in ("backlight", "frontlight"):
        diffractometer.get_motor(light).set_value(0, timeout=10)
    data = tmp_path / "data"
    assert proxy.save_snapshot(str(data / "dark.png"), False, False) is True
    phi = diffractometer.get_positions()["phi"]
    series = [[phi, str(data / "a.png")], [phi + 30, str(data / "b.png")]]
    assert proxy.save_multiple_snapshots(series) is True
    dark = image_of(data / "dark.png").mean()
    assert all(image_of(data / name).mean() > dark + 10 for name in ("a.png", "b.png"))
    assert diffractometer.get_motor("backlight").get_value() == 0  # off again


def test_save_twelve_snapshots_script_goes_round_the_sample(beamline, proxy, tmp_path):
    diffractometer = beamline.get("diffractometer")
    assert proxy.move_diffractometer({"phi": 10.0}) is True
    omega = []
    diffractometer.get_motor("phi").connect("valueChanged", omega.append)
    directory = tmp_path / "data" / "twelve"
    written = proxy.save_twelve_snapshots_script(str(directory))
    names = [f"snapshot_{angle:03d}.png" for angle in range(0, 360, 30)]
    assert written == [str(directory / name) for name in names]
    images = [image_of(directory / name) for name in names]
    assert all(image.shape == (1024, 1280) for image in images)
    # omega went round: each angle reached in turn, then back to the start
    reached = [next(n for n, v in enumerate(omega) if v == pytest.approx(10.0 + a, abs=0.01))
               for a in range(30, 360, 30)]  # fmt: skip
    assert reached == sorted(reached)
    assert omega[-1] == pytest.approx(10.0, abs=0.01)
    assert not np.array_equal(images[0], images[3])  # the crystal turned (it is not round)
    assert diffractometer.get_positions()["phi"] == pytest.approx(10.0, abs=0.01)
    prefixed = proxy.save_twelve_snapshots_script(str(directory / "crystal.jpg"))
    assert prefixed[1] == str(directory / "crystal_030.jpg")
    again = fault_of(proxy.save_twelve_snapshots_script, str(directory)).faultString
    assert "exists; snapshots never overwrite" in again


def test_twelve_snapshots_report_the_first_error_not_the_failed_move_back(
    beamline, proxy, tmp_path, caplog
):
    """A snapshot fails (its file appeared meanwhile), then the move back is refused (a
    collection started): the caller gets the snapshot's error; the log the move's."""
    phi = beamline.get("diffractometer").get_motor("phi")
    assert proxy.move_diffractometer({"phi": 10.0}) is True
    directory = tmp_path / "data" / "race"
    collection = contextlib.ExitStack()

    def meanwhile(value: float) -> None:
        if value > 25.0 and not (directory / "snapshot_030.png").exists():
            (directory / "snapshot_030.png").write_bytes(b"taken meanwhile")
            collection.enter_context(beamline.interlock.hold("DataCollection 9 'p_2'"))

    phi.connect("valueChanged", meanwhile)
    with collection, caplog.at_level("WARNING", "mxgui.workflow"):
        fault = fault_of(proxy.save_twelve_snapshots_script, str(directory)).faultString
    assert "snapshot_030.png exists; snapshots never overwrite" in fault
    assert "the move of omega back to 10 failed" in caplog.text
    assert "DataCollection 9 'p_2' is running" in caplog.text


# grid results ---------------------------------------------------------------------------------
def test_grid_data_in_mxcubecores_forms_colours_the_grid(beamline, proxy, tmp_path):
    shapes = beamline.get("shapes")
    grid = proxy.shape_history_add_grid({"num_cols": 3, "num_rows": 2})
    # key, result_data as a dict with text keys (integers cross XML-RPC as text), no path
    assert proxy.shape_history_set_grid_data(grid, {"1": 10.0, "3": [0, 255, 0, 255]}) is True
    # a list: one value per cell from cell 1
    assert proxy.shape_history_set_grid_data(grid, [1.0, 2.0], None) is True
    # a list of [cell, value] pairs, with mxcubecore's data_file_path
    first = str(tmp_path / "data" / "mesh_1_master.h5")
    assert proxy.shape_history_set_grid_data(grid, [[5, 7.5], [6, [255, 0, 0, 255]]], first)
    stored = shapes.grid_results(grid).as_mapping()
    assert stored == {
        1: pytest.approx(1.0),
        2: pytest.approx(2.0),
        3: [0, 255, 0, 255],
        5: pytest.approx(7.5),
        6: [255, 0, 0, 255],
    }
    assert proxy.shape_history_get_grid_data(grid)["data_file_path"] == first
    image = fault_of(proxy.shape_history_set_grid_data, grid, "iVBORw0KGgo=").faultString
    assert "not from a heat-map image" in image
    pair = fault_of(proxy.shape_history_set_grid_data, grid, [[0, 1.0]]).faultString
    assert "result[0][0]" in pair and "below 1" in pair


def test_a_cell_given_twice_in_one_call_is_refused_naming_both(beamline, proxy):
    shapes = beamline.get("shapes")
    grid = proxy.shape_history_add_grid({"num_cols": 3, "num_rows": 2})
    fault = fault_of(proxy.shape_history_set_grid_data, grid, {"3": 1.0, "03": 7.0})
    assert "result: cell 3 is given twice (key '3' and key '03')" in fault.faultString
    pairs = fault_of(proxy.shape_history_set_grid_data, grid, [[2, 1.0], [2, 9.0]]).faultString
    assert "cell 2 is given twice (result[0][0] = 2 and result[1][0] = 2)" in pairs
    assert shapes.grid_results(grid) is None  # nothing stored


# positions --------------------------------------------------------------------------------------
def test_positions_carry_the_beam_offset_in_mm_and_the_zoom(beamline, proxy):
    """mxcubecore's GenericDiffractometer: beam_x = (beam - zoom centre) / pixels per mm;
    the simulated camera is centred on the beam, so 0 mm."""
    diffractometer = beamline.get("diffractometer")
    positions = proxy.get_diffractometer_positions()
    assert diffractometer.get_beam_position() == pytest.approx((640.0, 512.0))
    assert (positions["beam_x"], positions["beam_y"]) == pytest.approx((0.0, 0.0))
    levels = diffractometer.get_zoom_levels()
    assert levels[int(positions["zoom"]) - 1] == diffractometer.get_zoom()
    assert positions["phi"] == pytest.approx(diffractometer.get_positions()["phi"])
    # what it gives goes back to move_diffractometer; zoom moves by its number
    positions["phiy"] = 0.1
    positions["zoom"] = 5
    assert proxy.move_diffractometer(positions) is True
    assert diffractometer.get_positions()["phiy"] == pytest.approx(0.1, abs=1e-3)
    assert diffractometer.get_zoom() == levels[4]
    # beam_x / beam_y are passed over whatever their value, as mxcubecore's move_motors does
    assert proxy.move_diffractometer({"beam_x": 0.2, "beam_y": -0.1, "phiy": 0.05}) is True
    assert diffractometer.get_positions()["phiy"] == pytest.approx(0.05, abs=1e-3)
    assert diffractometer.get_beam_position() == pytest.approx((640.0, 512.0))
    bad = fault_of(proxy.move_diffractometer, {"beam_x": "left"}).faultString
    assert "roles_positions_dict['beam_x']" in bad
    assert "not a level number" in fault_of(proxy.move_diffractometer, {"zoom": 99}).faultString


def test_positions_go_without_the_zoom_while_its_level_is_not_known(beamline, proxy):
    """A real zoom that has not reported its level yet: the motors are still given."""
    zoom = beamline.get("diffractometer").get_object_by_role("zoom")
    zoom.update_value(None)
    positions = proxy.get_diffractometer_positions()
    assert {"zoom", "beam_x", "beam_y"}.isdisjoint(positions)
    assert positions["phi"] == pytest.approx(beamline.get("diffractometer").get_positions()["phi"])


def test_beam_x_and_beam_y_are_the_beams_offset_from_the_image_centre_in_mm(tmp_path):
    overrides = quick_collect_overrides(tmp_path)
    text = (overrides / "diffractometer.xml").read_text()
    (overrides / "diffractometer.xml").write_text(
        text.replace("</object>\n", "<beam_x>700</beam_x><beam_y>480</beam_y></object>\n")
    )
    repo = HardwareRepository([overrides, SIMULATED])
    try:
        diffractometer = repo.get("diffractometer")
        assert diffractometer.get_beam_position() == (700.0, 480.0)
        per_mm_x, per_mm_y = diffractometer.get_pixels_per_mm()
        with client(repo.beamline.role("xmlrpc_server").url) as proxy:
            positions = proxy.get_diffractometer_positions()
            # mxcubecore's form of a saved position (beam_x 0 mm) goes back as it is
            saved = {**positions, "beam_x": 0.0, "beam_y": 0.0}
            assert proxy.move_diffractometer(saved) is True
    finally:
        repo.shutdown()
    assert positions["beam_x"] == pytest.approx(60.0 / per_mm_x)
    assert positions["beam_y"] == pytest.approx(-32.0 / per_mm_y)


def test_positions_read_serve_as_a_collections_centred_position(beamline, proxy):
    """A workflow reads the positions and queues a collection there: the view keys
    (beam_x, beam_y, zoom) ride along and are ignored."""
    diffractometer = beamline.get("diffractometer")
    here = proxy.get_diffractometer_positions()
    here["phiy"] = 0.15
    sample = proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
    task = proxy.queue_add_child(
        sample, {"type": "DataCollection", "parameters": {**QUICK, "centred_position": here}}
    )
    assert proxy.start_queue() is True
    wait_for(lambda: not proxy.is_queue_executing(), "the end of the collection", timeout=60)
    node = proxy.queue_get_node(task)
    assert node["status"] == "success", node["message"]
    assert diffractometer.get_positions()["phiy"] == pytest.approx(0.15, abs=1e-3)


def test_handle_light_in_the_gui_snapshot_with_the_sample_views_overlays(qtbot, make_app, tmp_path):
    """With the GUI running the sample view takes the snapshot: it too shows the lit
    sample when ``handle_light`` turned the back light on."""
    app = make_app()
    brick = app.built.bricks["sample_view"]
    qtbot.waitUntil(lambda: brick.view.frame_item.qimage() is not None, timeout=10000)
    diffractometer = app.repository.get("diffractometer")
    for light in ("backlight", "frontlight"):
        diffractometer.get_motor(light).set_value(0, timeout=10)
    root = Path(app.repository.get("session").get_base_directory()) / "gui_light"
    dark, lit = root / "dark.png", root / "lit.png"
    url = app.repository.beamline.role("xmlrpc_server").url

    def snapshot(path: Path, handle_light: bool) -> bool:
        with client(url) as proxy:
            return proxy.save_snapshot(str(path), False, handle_light)

    camera = app.repository.get("sample_camera")
    shown = camera.get_frame_number()
    # frames made with the lights off reach the view while qtbot waits
    qtbot.waitUntil(lambda: camera.get_frame_number() >= shown + 3, timeout=10000)
    with ThreadPoolExecutor(1) as pool:  # the GUI thread stays free to take them
        for path, handle_light in ((dark, False), (lit, True)):
            taking = pool.submit(snapshot, path, handle_light)
            qtbot.waitUntil(taking.done, timeout=20000)
            assert taking.result() is True
    assert image_of(lit).mean() > image_of(dark).mean() + 10
    assert diffractometer.get_motor("backlight").get_value() == 0
