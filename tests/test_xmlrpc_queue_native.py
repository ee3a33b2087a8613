"""mxcubecore's native queue API against the running server, in its callers' own form:
the example client's calls (serialisations, jsonpickle queue objects added with
queue_add_child and read back with queue_get_node), queue_add_node, the results calls,
and the faults for what mxgui does not do."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import mxcubecore_standins as qmo
import pytest
from xmlrpc_fixtures import client, fault_message, fault_of

from helpers import wait_for

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures
pytestmark = pytest.mark.filterwarnings("ignore:keys will default:DeprecationWarning")


@pytest.fixture
def queue(beamline):
    return beamline.beamline.role("queue")


@pytest.fixture
def jsonpickle():
    return qmo.jsonpickle_module()


def manual_sample(proxy) -> int:
    return proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})


def quick_collection(prefix: str, mad: str = "") -> qmo.DataCollection:
    """A collection as mxcubecore's example client fills it (the rest left at
    mxcubecore's defaults), quick on the simulated beamline."""
    dc = qmo.DataCollection()
    acq = dc.acquisitions[0].acquisition_parameters
    acq.exp_time, acq.num_images, acq.osc_start, acq.osc_range = 0.001, 3, 0.0, 1.0
    acq.detector_distance, acq.detector_roi_mode, acq.take_snapshots = 120.0, "test", False
    path = dc.acquisitions[0].path_template
    path.base_prefix, path.mad_prefix = prefix, mad
    dc._name = path.get_prefix()
    return dc


def wait_until_idle(proxy, timeout: float = 60.0) -> None:
    wait_for(lambda: not proxy.is_queue_executing(), "the end of the queue", timeout)


def test_the_example_client_queues_runs_and_reads_back_jsonpickle(
    beamline, queue, proxy, jsonpickle, monkeypatch
):
    qmo.install(monkeypatch)  # the client's classes, for jsonpickle.decode
    assert "json" in proxy.queue_get_available_serialisations()
    assert proxy.queue_get_serialisation() == "struct"
    assert proxy.queue_set_serialisation("json") is True
    assert proxy.queue_get_serialisation() == "json"
    sample = manual_sample(proxy)
    group = qmo.TaskGroup()
    group._name = "Interleaved MAD"
    group_id = proxy.queue_add_child(sample, jsonpickle.encode(group, keys=False))
    dc_id = proxy.queue_add_child(
        group_id, jsonpickle.encode(quick_collection("escan", "ip"), keys=False)
    )
    node = queue.model.get_node(dc_id)
    assert (node.type, node.parent) == ("DataCollection", group_id)
    assert queue.model.get_node(group_id).name == "Interleaved MAD"
    p = node.parameters
    assert (p["num_images"], p["osc_range"], p["exp_time"]) == (3, 1.0, 0.001)
    assert p["prefix"] == "escan-ip" and p["detector_distance"] == 120.0
    assert p["directory"].startswith("/")  # mxcubecore's "" directory: the beamline's default
    assert proxy.start_queue() is True
    wait_until_idle(proxy)
    done = jsonpickle.decode(proxy.queue_get_node(dc_id))  # as the example client reads it
    assert isinstance(done, qmo.DataCollection) and done._executed is True
    assert done.acquisitions[0].acquisition_parameters.num_images == 3
    assert done.acquisitions[0].path_template.get_prefix() == "escan-ip"
    tree = jsonpickle.decode(proxy.queue_get_node(group_id))
    assert [type(c).__name__ for c in tree._children] == ["DataCollection"]
    proxy.queue_set_serialisation("struct")  # the choice is the caller's (finding 4)
    struct = proxy.queue_get_node(dc_id)
    assert struct["status"] == "success", struct["message"]
    assert len(struct["files"]) == 3 and all(Path(f).exists() for f in struct["files"])
    assert all(Path(f).name.startswith("escan-ip_") for f in struct["files"])


def test_a_jsonpickle_sample_with_its_tasks_is_added_whole(queue, proxy, jsonpickle):
    sample = qmo.Sample()
    sample.name, sample.location = "lyso", (2, 5)
    sample.add_child(quick_collection("a"))
    off = sample.add_child(quick_collection("b"))
    off._enabled = False
    as_struct = json.loads(jsonpickle.encode(sample, keys=False))  # also as an XML-RPC struct
    sample_id = proxy.queue_add_child(0, as_struct)
    node = queue.model.get_node(sample_id)
    assert node.type == "Sample" and node.parameters["location"] == "2:05"
    assert node.name == "lyso"
    first, second = (queue.model.get_node(c) for c in node.children)
    assert (first.parameters["prefix"], first.enabled) == ("a", True)
    assert (second.parameters["prefix"], second.enabled) == ("b", False)


def test_unknown_classes_and_hostile_documents_are_faults_naming_them(queue, proxy, jsonpickle):
    sample = manual_sample(proxy)
    unknown = fault_of(
        proxy.queue_add_child,
        sample,
        '{"py/object": "mxcubecore.model.queue_model_objects.DataCollection", '
        '"acquisitions": [{"py/object": "mxcubecore.model.queue_model_objects.Acquisitionz"}]}',
    )
    assert unknown.faultCode == -32602
    assert "$.acquisitions[0]: class mxcubecore.model.queue_model_objects.Acquisitionz" in (
        unknown.faultString
    )
    never = "mxgui_test_never_imported_either"
    for hostile, expected in (
        ({"py/object": f"{never}.Payload"}, f"class {never}.Payload"),
        ('{"py/reduce": [{"py/type": "os.system"}, {"py/tuple": ["id"]}]}', "py/reduce is refused"),
        ('{"py/function": "os.system"}', "py/function is refused"),
        ('{"py/type": "subprocess.Popen"}', "py/type is refused"),
        ('{"py/repr": "os/os.system(\\"id\\")"}', "py/repr is refused"),
        (
            '{"py/object": "mxcubecore.model.queue_model_objects.Sample", "a": '
            + "[" * 60
            + "]" * 60
            + "}",
            "$.a[0][0][0]",  # the place where it went too deep
        ),
        ('{"py/id": 99999999999999999999999}', "py/id 99999999999999999999999"),
    ):
        message = fault_message(proxy.queue_add_child, sample, hostile)
        assert expected in message, (expected, message)
    assert never not in sys.modules
    assert queue.model.children(sample) == ()
    gphl = qmo.GphlWorkflow()
    assert "mxgui has no GPhL workflow" in fault_message(
        proxy.queue_add_child, sample, jsonpickle.encode(gphl, keys=False)
    )
    bad = quick_collection("bad")
    bad.acquisitions[0].acquisition_parameters.exp_time = -1.0
    group = qmo.TaskGroup()
    group.add_child(quick_collection("good"))
    group.add_child(bad)
    refused = fault_message(proxy.queue_add_child, sample, jsonpickle.encode(group, keys=False))
    assert "$._children[1] (DataCollection)" in refused and "exp_time" in refused
    assert queue.model.children(sample) == ()  # all or nothing


def test_serialisation_is_per_caller_and_checked(beamline, proxy, monkeypatch):
    """Review 16c finding 4 (the contract changed: per caller, no longer per
    connection): the choice outlives the connection, another token keeps its own."""
    server = beamline.beamline.role("xmlrpc_server")
    sample = manual_sample(proxy)
    assert "unknown serialisation 'pickle'" in fault_message(
        proxy.queue_set_serialisation, "pickle"
    )
    proxy.queue_set_serialisation("JSON")
    assert isinstance(proxy.queue_get_node(sample), str)
    assert "no queue node 999" in fault_message(proxy.queue_get_node, 999)
    # the server closes the idle connection; the client reconnects without a word
    monkeypatch.setattr(server.transport._server, "idle_timeout", 0.3)
    time.sleep(1.5)
    assert isinstance(proxy.queue_get_node(sample), str)
    with client(server.url) as per_call:  # a client of its own, its own connection
        assert per_call.queue_get_serialisation() == "json"
    run_token = "r" * 32  # a BES run's token: another caller
    server.grant_run_token(run_token)
    try:
        with client(server.url, token=run_token) as other:
            assert other.queue_get_serialisation() == "struct"
            assert other.queue_get_node(sample)["type"] == "Sample"
            other.queue_set_serialisation("json")
        assert isinstance(proxy.queue_get_node(sample), str)
    finally:
        server.revoke_run_token(run_token)
    proxy.queue_set_serialisation("struct")
    assert proxy.queue_get_node(sample)["id"] == sample


def test_queue_add_node_adds_under_the_mounted_sample(beamline, queue, proxy, jsonpickle):
    assert "no sample" in fault_message(
        proxy.queue_add_node, jsonpickle.encode(quick_collection("x"), keys=False)
    )
    at = {"type": "Sample", "parameters": {"location": "1:03", "centring": "none"}}
    mounted = proxy.queue_add_child(0, at)
    last = manual_sample(proxy)
    assert proxy.queue_add_node(jsonpickle.encode(quick_collection("on"), keys=False)) is True
    assert queue.model.children(last) != ()  # nothing mounted: the last sample
    beamline.get("sample_changer").load("1:03").result(timeout=30)
    assert proxy.queue_add_node(jsonpickle.encode(quick_collection("off"), keys=False), False)
    (off,) = (queue.model.get_node(c) for c in queue.model.children(mounted))
    (on,) = (queue.model.get_node(c) for c in queue.model.children(last))
    assert (on.parameters["prefix"], on.enabled) == ("on", True)
    assert (off.parameters["prefix"], off.enabled) == ("off", False)
    sample = qmo.Sample()
    sample.location = (3, 1)
    proxy.queue_add_node(jsonpickle.encode(sample, keys=False))
    added = queue.model.get_node(queue.model.children(0)[-1])
    assert (added.type, added.parameters["location"]) == ("Sample", "3:01")


def test_results_paths_and_centring_calls(queue, proxy):
    sample = manual_sample(proxy)
    dc = proxy.queue_add_child(sample, {"type": "DataCollection", "parameters": {"prefix": "r"}})
    assert proxy.queue_update_result(dc, "<h1>EDNA</h1>") is True
    assert queue.model.get_node(dc).results["html_report"] == "<h1>EDNA</h1>"
    assert proxy.queue_update_result(sample, "<p/>") is False
    assert "html_report" not in queue.model.get_node(sample).results
    assert proxy.queue_get_full_path(dc) == [
        queue.model.get_node(dc).name,
        queue.model.get_node(sample).name,
    ]
    first = proxy.add_xray_centring(sample)
    second = proxy.addXrayCentring(sample, {"name": "Centring (kappa=0.0,phi=0.0)"})
    nodes = [queue.model.get_node(n) for n in (first, second)]
    assert [n.type for n in nodes] == ["XrayCentring", "XrayCentring"]
    assert nodes[1].name == "Centring (kappa=0.0,phi=0.0)"
    assert "send no motor_positions" in fault_message(
        proxy.add_xray_centring, sample, {"motor_positions": {"kappa": 10.0}}
    )
    assert "not a sample or group" in fault_message(proxy.add_xray_centring, dc)


def test_what_mxgui_does_not_do_is_said_plainly(queue, proxy):
    code = fault_of(proxy.queue_get_model_code)
    assert code.faultCode == -32500 and "does not send Python code" in code.faultString
    assert "no GPhL workflow" in fault_message(proxy.add_gphl_workflow, 1, {}, "wf-1")
    assert "no characterisation" in fault_message(proxy.setCharacterisationResult, "&lt;x/&gt;")


def test_a_characterisation_result_is_kept_with_the_characterisation(queue, proxy):
    sample = manual_sample(proxy)
    char = proxy.queue_add_child(
        sample,
        {
            "type": "Characterisation",
            "parameters": {
                "num_images": 2,
                "osc_range": 1.0,
                "exp_time": 0.001,
                "detector_roi_mode": "test",
                "detector_distance": 120.0,
                "take_snapshots": 0,
            },
        },
    )
    status = proxy.queue_execute_entry_with_id(char)
    assert status in ("success", "warning"), proxy.queue_get_node(char)["message"]
    xml_result = "&lt;XSDataResultCharacterisation&gt;ok&lt;/XSDataResultCharacterisation&gt;"
    assert proxy.set_characterisation_result(xml_result) is True
    kept = queue.model.get_node(char).results["characterisation_result"]
    assert kept == "<XSDataResultCharacterisation>ok</XSDataResultCharacterisation>"


def test_a_shared_value_costs_a_short_fault_at_once(queue, proxy):
    """Review 16c finding 1: 22 levels of py/id sharing (a 25 MB repr) in exp_time."""
    sample = manual_sample(proxy)
    started = time.monotonic()
    message = fault_message(proxy.queue_add_child, sample, qmo.shared_list_document(22))
    assert time.monotonic() - started < 10  # generous: the old code took ~2 s and 25 MB
    assert len(message) < 500, len(message)
    assert "acquisition_parameters.exp_time: expected a number or text, got a list" in message
    assert queue.model.children(sample) == ()


def test_a_refused_document_leaves_nothing_while_the_queue_runs(queue, proxy, jsonpickle):
    """Review 16c finding 3: the group is built disabled, so the running queue cannot
    start it before the refusal takes it back."""
    sample = manual_sample(proxy)
    first = proxy.queue_add_child(
        sample,
        {
            "type": "DataCollection",
            "parameters": {
                "num_images": 20,
                "osc_range": 1.0,
                "exp_time": 0.02,
                "detector_roi_mode": "test",
                "detector_distance": 120.0,
                "take_snapshots": 0,
            },
        },
    )
    group = qmo.TaskGroup()
    for index in range(600):
        group.add_child(quick_collection(f"good{index}"))
    group._children[-1].acquisitions[0].acquisition_parameters.exp_time = -1.0
    document = jsonpickle.encode(group, keys=False)
    started: list[int] = []
    queue.model.connect(
        "statusChanged", lambda node, status, *_: status == "running" and started.append(node)
    )
    proxy.start_queue()
    refused = fault_message(proxy.queue_add_child, sample, document)
    assert "$._children[599] (DataCollection)" in refused and "exp_time" in refused
    assert "was kept" not in refused
    assert queue.model.children(sample) == (first,)
    wait_until_idle(proxy)
    assert set(started) <= {sample, first}, started
    assert queue.model.get_node(first).status == "success"
    # a whole document builds disabled, then takes its own enabled: it runs
    good = qmo.TaskGroup()
    good.add_child(quick_collection("later"))
    group_id = proxy.queue_add_child(sample, jsonpickle.encode(good, keys=False))
    assert queue.model.get_node(group_id).enabled
    proxy.start_queue()
    wait_until_idle(proxy)
    (later,) = queue.model.children(group_id)
    assert queue.model.get_node(later).status == "success"


def test_long_prefixes_and_texts_are_refused_when_added(queue, proxy, jsonpickle):
    """Review 16c finding 9: a 300-character prefix failed only at run time (file name
    too long), a 3,000,000-character one was kept in the queue file."""
    sample = manual_sample(proxy)
    collection = quick_collection("p" * 300)
    collection.acquisitions[0].acquisition_parameters.comments = "c" * 5000
    refused = fault_message(proxy.queue_add_child, sample, jsonpickle.encode(collection))
    assert "prefix: 300 characters, over the limit of 100 (it makes file names)" in refused
    assert "comments: 5000 characters, over the limit of 4096" in refused
    huge = {"type": "DataCollection", "parameters": {"prefix": "A" * 3_000_000}}
    message = fault_message(proxy.queue_add_child, sample, huge)
    assert "prefix: 3000000 characters, over the limit of 100" in message
    assert len(message) < 1000
    assert queue.model.children(sample) == ()
    assert proxy.queue_add_child(sample, jsonpickle.encode(quick_collection("p" * 100))) > 0


def test_mxgui_json_text_mentioning_py_is_added(queue, proxy):
    """Review 16c finding 10: it was refused as 'expected a queue model object'."""
    sample = manual_sample(proxy)
    text = json.dumps(
        {"type": "DataCollection", "parameters": {"prefix": "c", "comments": 'see "py/x"'}}
    )
    node = queue.model.get_node(proxy.queue_add_child(sample, text))
    assert node.parameters["comments"] == 'see "py/x"'
