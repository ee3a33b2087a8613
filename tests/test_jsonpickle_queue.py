"""The safe jsonpickle reader and writer of mxcubecore's queue objects: real jsonpickle
documents (from stand-ins with mxcubecore's names and fields) map to mxgui's tasks;
references, tuples and sets are data; hostile documents are refused without importing
anything; mxgui's answer decodes in an mxcubecore client."""

from __future__ import annotations

import json
import sys
import time
import tracemalloc
from pathlib import Path

import mxcubecore_standins as qmo
import pytest

from mxgui.core.acquisition import ParameterError
from mxgui.core.queue.fields import Field, Schema, convert, shown
from mxgui.core.queue.model import QueueModel
from mxgui.core.xmlrpc.jsonpickle_doc import DocumentError, Pickled, read_document
from mxgui.core.xmlrpc.jsonpickle_encode import encode_node
from mxgui.core.xmlrpc.jsonpickle_queue import ALLOWED, decode_task, is_jsonpickle

M = qmo.MODULE
#: jsonpickle 4 warns on every encode and decode that its default for ``keys`` will change
pytestmark = pytest.mark.filterwarnings("ignore:keys will default:DeprecationWarning")


def jsonpickle():
    return qmo.jsonpickle_module()


def encode(obj: object) -> str:
    """What an mxcubecore client sends: ``jsonpickle.encode(obj)`` (keys as text)."""
    return jsonpickle().encode(obj, keys=False)


def quick_collection() -> qmo.DataCollection:
    """A collection as mxcubecore's example client builds it: only some fields set."""
    dc = qmo.DataCollection()
    acq = dc.acquisitions[0].acquisition_parameters
    acq.num_images, acq.osc_range, acq.exp_time = 3, 1.0, 0.001
    acq.osc_start = 10.0
    acq.detector_distance = 120.0  # used: the resolution is 0 (not set)
    acq.detector_roi_mode = "test"
    acq.take_snapshots = False
    acq.inverse_beam = False
    path = dc.acquisitions[0].path_template
    path.base_prefix, path.mad_prefix = "escan", "ip"
    return dc


def test_a_real_jsonpickle_collection_maps_to_mxgui_fields():
    dc = quick_collection()
    dc.acquisitions[0].acquisition_parameters.centred_position = qmo.CentredPosition(
        {"phi": 10.0, "phiy": 0.1, "phiz": -0.2, "sampx": 0.01, "sampy": 0.02, "zoom": 3}
    )
    task = decode_task(encode(dc))
    assert task.type == "DataCollection" and task.enabled and task.children == []
    p = task.parameters
    assert (p["num_images"], p["osc_range"], p["exp_time"], p["osc_start"]) == (3, 1.0, 0.001, 10.0)
    assert p["prefix"] == "escan-ip"  # mxcubecore's base-mad prefix
    assert p["detector_distance"] == 120.0 and "resolution" not in p
    assert p["take_snapshots"] == 0 and p["detector_roi_mode"] == "test"
    for unset in ("energy", "transmission", "first_image", "directory", "run_number"):
        assert unset not in p, unset  # mxcubecore's 0 / "": the beamline's default
    assert p["centred_position"] == {
        "phi": 10.0,
        "phiy": 0.1,
        "phiz": -0.2,
        "sampx": 0.01,
        "sampy": 0.02,
    }


def test_samples_groups_children_and_other_tasks_map():
    sample = qmo.Sample()
    sample.name, sample.location, sample.lims_id, sample.code = "lyso", (2, 5), 17, "BC1"
    sample.crystals[0].protein_acronym = "LYS"
    group = sample.add_child(qmo.TaskGroup())
    group._name = "Interleaved MAD"
    scan = group.add_child(qmo.EnergyScan())
    scan.element_symbol, scan.edge = "Se", "K"
    scan.path_template.base_prefix = "escan"
    off = group.add_child(quick_collection())
    off._enabled = False
    char = group.add_child(qmo.Characterisation())
    ref = char.reference_image_collection.acquisitions[0].acquisition_parameters
    ref.osc_range, ref.overlap, ref.num_images = 1.0, -89.0, 4
    char.characterisation_parameters.space_group = "P212121"
    char.characterisation_parameters.opt_sad = True
    group.add_child(qmo.XrayCentring2(name="centre it"))
    flow = group.add_child(qmo.Workflow())
    flow._type = "MeshScan"
    task = decode_task(encode(sample))
    assert task.type == "Sample" and task.name is None  # named by its parameters
    assert task.parameters == {
        "name": "lyso",
        "location": "2:05",
        "lims_sample_id": 17,
        "barcode": "BC1",
        "protein_acronym": "LYS",
    }
    (group_task,) = task.children
    assert (group_task.type, group_task.name) == ("TaskGroup", "Interleaved MAD")
    kinds = [(c.type, c.enabled) for c in group_task.children]
    assert kinds == [
        ("EnergyScan", True),
        ("DataCollection", False),
        ("Characterisation", True),
        ("XrayCentring", True),
        ("Workflow", True),
    ]
    scan_task, _off, char_task, centring_task, flow_task = group_task.children
    assert scan_task.parameters == {"element": "Se", "edge": "K", "prefix": "escan"}
    assert char_task.parameters["angle_step"] == 90.0 and char_task.parameters["overlap"] == 0.0
    assert char_task.parameters["space_group"] == "P212121"
    assert char_task.parameters["anomalous"] is True
    assert centring_task.name == "centre it" and centring_task.parameters == {}
    assert flow_task.parameters == {"workflow_name": "MeshScan"}


def test_references_tuples_and_sets_are_data():
    shared = {"py/object": f"{M}.PathTemplate", "base_prefix": "shared", "run_number": 4}
    document = {
        "py/object": f"{M}.DataCollection",
        "acquisitions": [
            {
                "py/object": f"{M}.Acquisition",
                "path_template": shared,
                "acquisition_parameters": {
                    "py/object": f"{M}.AcquisitionParameters",
                    "num_images": 2,
                    "mesh_range": {"py/tuple": [1, 2]},
                    "cell_spacing": {"py/set": [0]},
                },
            }
        ],
        "again": {"py/id": 3},  # 0 the collection, 1 the list, 2 the Acquisition, 3 its path
    }
    value = read_document(json.dumps(document), ALLOWED)
    assert isinstance(value, Pickled) and value.class_name == "DataCollection"
    path = value.attrs["acquisitions"][0].attrs["path_template"]
    assert value.attrs["again"] is path
    params = value.attrs["acquisitions"][0].attrs["acquisition_parameters"].attrs
    assert params["mesh_range"] == (1, 2) and params["cell_spacing"] == [0]
    task = decode_task(json.dumps(document))
    assert task.parameters["prefix"] == "shared" and task.parameters["run_number"] == 4


def test_old_jsonpickle_py_ref_names_resolve():
    """The old jsonpickle named objects by the attribute names leading to them (no list
    positions) and read attributes sorted: ``reference`` comes after ``acquisitions``.
    Hand-made from that reader's rules: only releases up to 0.3 (Python 2 only) wrote
    py/ref, so no document of theirs is replayed here (review 16c finding 11)."""
    document = {
        "reference": {"py/ref": "/acquisitions/path_template"},
        "py/object": f"{M}.DataCollection",
        "acquisitions": [
            {
                "py/object": f"{M}.Acquisition",
                "path_template": {"py/object": f"{M}.PathTemplate", "base_prefix": "old"},
            }
        ],
        "root": {"py/ref": "/"},
    }
    value = read_document(json.dumps(document), ALLOWED)
    path = value.attrs["acquisitions"][0].attrs["path_template"]
    assert value.attrs["reference"] is path and value.attrs["root"] is value
    assert decode_task(json.dumps(document)).parameters["prefix"] == "old"


def test_real_jsonpickle_back_references_resolve():
    dc = quick_collection()
    dc.shared_path = dc.acquisitions[0].path_template  # written as {"py/id": n}
    dc.me = dc
    text = encode(dc)
    assert '"py/id"' in text
    value = read_document(text, ALLOWED | {f"{M}.X"})
    assert value.attrs["me"] is value
    assert value.attrs["shared_path"] is value.attrs["acquisitions"][0].attrs["path_template"]


NEVER = "mxgui_test_never_imported"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"py/object": f"{NEVER}.Evil"}, f"$: class {NEVER}.Evil is not one of"),
        ({"py/object": "builtins.eval"}, "$: class builtins.eval"),
        (
            {"py/object": f"{M}.DataCollection", "x": {"py/object": "os.system"}},
            "$.x: class os.system",
        ),
        (
            {"py/object": f"{M}.DataCollection", "x": [{"py/reduce": [{"py/type": "os.system"}]}]},
            "$.x[0]: py/reduce is refused",
        ),
        ({"py/function": "os.system"}, "$: py/function is refused"),
        ({"py/type": f"{NEVER}.Evil"}, "$: py/type is refused"),
        ({"py/repr": f"{NEVER}/{NEVER}.x"}, "$: py/repr is refused"),
        ({"py/object": f"{M}.Sample", "py/newargs": {"py/tuple": []}}, "$: py/newargs is refused"),
        ({"py/object": f"{M}.Sample", "py/initargs": []}, "$: py/initargs is refused"),
        ({"py/object": f"{M}.DataCollection", "x": {"py/id": 10**30}}, "py/id 10000"),
        ({"py/object": f"{M}.DataCollection", "x": {"py/id": 5}}, "$.x: py/id 5 refers to nothing"),
        ({"py/object": f"{M}.DataCollection", "x": {"py/id": "0"}}, "is not an integer"),
        ({"py/object": f"{M}.DataCollection", "x": {"py/ref": "/nowhere"}}, "refers to nothing"),
    ],
)
def test_hostile_documents_are_refused_by_place_without_importing(document, expected):
    before = set(sys.modules)
    with pytest.raises(DocumentError) as error:
        decode_task(json.dumps(document))
    assert expected in str(error.value), str(error.value)
    assert NEVER not in sys.modules and set(sys.modules) - before == set()


def test_deep_nesting_huge_numbers_and_non_documents_are_refused():
    for text, expected in (
        ("[" * 10_000 + "]" * 10_000, "nests deeper than"),
        ("[" + ",".join(["[]"] * 70_000) + "]", "70001 brackets, more than the 60000"),
        (f'{{"py/object": "{M}.DataCollection", "a": ' + "[" * 60 + "]" * 60 + "}", "nests deeper"),
        ('{"py/id": ' + "9" * 5000 + "}", "not readable JSON"),
        ("{nope", "not valid JSON at line 1"),
        ('"just text"', "expected a queue model object"),
        (f'{{"py/object": "{M}.PathTemplate"}}', "is data, not a queue node"),
        (f'{{"py/object": "{M}.GphlWorkflow"}}', "mxgui has no GPhL workflow"),
        ("x" * 4_000_001, "over the limit"),
    ):
        with pytest.raises(DocumentError) as error:
            decode_task(text)
        assert expected in str(error.value), (expected, str(error.value)[:200])


def test_xray_centring_motor_positions_are_refused_plainly():
    centring = qmo.XrayCentring2(name="c", motor_positions={"kappa": 10.0})
    with pytest.raises(DocumentError, match="_motor_positions: mxgui's X-ray centring"):
        decode_task(encode(centring))


def test_mxgui_json_is_not_taken_for_jsonpickle():
    assert not is_jsonpickle({"type": "DataCollection", "parameters": {}})
    assert not is_jsonpickle('{"type": "Sample"}')
    assert is_jsonpickle({"py/object": f"{M}.Sample"})
    assert is_jsonpickle(f' {{"py/object": "{M}.Sample"}}')


def queue_with_a_collection() -> tuple[QueueModel, int, int]:
    model = QueueModel(validator=None)
    sample = model.add(0, "Sample", {"location": "1:02", "name": "s1", "protein_acronym": "LYS"})
    dc = model.add(
        sample,
        "DataCollection",
        {
            "num_images": 3,
            "osc_range": 0.5,
            "exp_time": 0.02,
            "osc_start": 5.0,
            "prefix": "p",
            "run_number": 2,
            "directory": "/data/x",
            "precision": 5,
            "suffix": "cbf",
            "centred_position": {"phi": 1.0, "phiy": 2.0, "phiz": 3.0, "sampx": 4.0, "sampy": 5.0},
        },
    )
    model.update_results(dc, {"html_report": "<p>ok</p>"})
    return model, sample, dc


def test_mxgui_nodes_decode_in_an_mxcubecore_client(monkeypatch):
    jp = jsonpickle()
    qmo.install(monkeypatch)
    model, sample_id, dc_id = queue_with_a_collection()
    sample = jp.decode(encode_node(model, sample_id))
    assert type(sample).__name__ == "Sample" and isinstance(sample, qmo.Sample)
    assert sample.location == (1, 2) and sample.crystals[0].protein_acronym == "LYS"
    (dc,) = sample._children
    assert isinstance(dc, qmo.DataCollection) and dc._node_id == dc_id
    acq = dc.acquisitions[0].acquisition_parameters
    assert (acq.num_images, acq.osc_range, acq.osc_start) == (3, 0.5, 5.0)
    assert acq.centred_position.sampy == 5.0
    assert dc.acquisitions[0].path_template.get_prefix() == "p"
    assert dc.html_report == "<p>ok</p>"


def test_what_mxgui_writes_it_reads_back():
    model, _sample_id, dc_id = queue_with_a_collection()
    again = decode_task(encode_node(model, dc_id))
    node = model.get_node(dc_id)
    assert again.type == "DataCollection"
    for key in ("num_images", "osc_range", "exp_time", "osc_start", "prefix", "run_number"):
        assert again.parameters[key] == node.parameters[key], key
    assert again.parameters["directory"] == "/data/x"
    assert again.parameters["centred_position"]["phiz"] == 3.0


def test_an_energy_scan_reads_as_the_example_client_reads_it(monkeypatch):
    """The example client reads ``energy_scan.result.inflection`` (and peak, remote)
    from queue_get_node's document to choose its MAD energies."""
    jp = jsonpickle()
    qmo.install(monkeypatch)
    model = QueueModel(validator=None)
    sample = model.add(0, "Sample", {})
    scan = model.add(sample, "EnergyScan", {"element": "Se", "edge": "K", "prefix": "escan"})
    model.update_results(scan, {"peak": 12.662, "inflection": 12.658, "remote": 12.708})
    done = jp.decode(encode_node(model, scan))
    assert isinstance(done, qmo.EnergyScan) and (done.element_symbol, done.edge) == ("Se", "K")
    assert (done.result.inflection, done.result.peak) == (12.658, 12.662)
    assert done.result.first_remote == 12.708 and done.path_template.base_prefix == "escan"
    # review 16c finding 13: mxgui has one remote; the second was None (default energy)
    assert done.result.second_remote == 12.708


def test_experiment_types_helical_is_read_and_mesh_refused():
    helical = quick_collection()
    helical.experiment_type = 5  # mxcubecore's EXPERIMENT_TYPE.HELICAL
    helical.acquisitions.append(qmo.Acquisition())
    ends = ({"phi": 0.0, "phiy": 0.1}, {"phi": 0.0, "phiy": 0.3})
    for acquisition, end in zip(helical.acquisitions, ends):
        motors = {"phiz": 0.0, "sampx": 0.0, "sampy": 0.0, **end}
        acquisition.acquisition_parameters.centred_position = qmo.CentredPosition(motors)
    p = decode_task(encode(helical)).parameters
    assert (p["helical_start"]["phiy"], p["helical_end"]["phiy"]) == (0.1, 0.3)
    assert "centred_position" not in p
    helical.acquisitions.pop()
    with pytest.raises(DocumentError, match="helical collection needs two acquisitions"):
        decode_task(encode(helical))
    mesh = quick_collection()
    mesh.experiment_type = 8
    with pytest.raises(DocumentError, match=r"8 \(MESH\).*add a MeshScan"):
        decode_task(encode(mesh))


def test_helical_and_mesh_nodes_are_written_with_their_experiment_type(monkeypatch):
    jp = jsonpickle()
    qmo.install(monkeypatch)
    model = QueueModel(validator=None)
    sample = model.add(0, "Sample", {})
    start = {"phi": 1.0, "phiy": 0.1, "phiz": 0.0, "sampx": 0.0, "sampy": 0.0}
    end = dict(start, phiy=0.4)
    line = model.add(sample, "DataCollection", {"helical_start": start, "helical_end": end})
    mesh = model.add(sample, "MeshScan", {"grid_id": "G1", "num_images": 4})
    written = jp.decode(encode_node(model, line))
    assert written.experiment_type == 5 and len(written.acquisitions) == 2
    assert written.acquisitions[1].acquisition_parameters.centred_position.phiy == 0.4
    assert decode_task(encode_node(model, line)).parameters["helical_end"] == end
    assert jp.decode(encode_node(model, mesh)).experiment_type == 8


@pytest.mark.parametrize("field", ["exp_time", "overlap", "comments", "detector_distance"])
def test_a_shared_container_in_a_field_is_refused_naming_its_place(field):
    """Review 16c finding 1: values are copied only as text or numbers."""
    text = qmo.shared_list_document(40, field)
    assert len(text) < 2500
    with pytest.raises(DocumentError) as error:
        decode_task(text)
    message = str(error.value)
    assert message == (
        f"$.acquisitions[0].acquisition_parameters.{field}: expected a number or text, got a list"
    )


def test_an_object_in_a_path_field_is_named_by_its_class():
    dc = quick_collection()
    dc.acquisitions[0].path_template.run_number = qmo.Crystal()
    with pytest.raises(DocumentError) as error:
        decode_task(encode(dc))
    assert str(error.value) == (
        "$.acquisitions[0].path_template.run_number: expected a number or text, "
        "got an object of class Crystal"
    )


def test_messages_show_a_shared_value_cut_short():
    """Finding 1, belt and braces: the queue's own messages never walk a value whole."""
    value: list[object] = []
    for _level in range(40):
        value = [value, value]
    schema = Schema("Probe", own={"dose": Field("float", 0.0)})
    with pytest.raises(ParameterError) as error:
        convert(schema, {"dose": value}, complete=False)
    assert len(str(error.value)) < 300 and "[[...], [...]]" in str(error.value)
    assert shown(Pickled("x.Y", "$")) == "a Pickled"
    assert len(shown("A" * 1_000_000)) < 100


def test_a_long_key_is_refused_and_places_cost_no_copies_of_keys():
    """Review 16c finding 2: a place is built only for a message; keys are bounded."""
    crystals = [{"py/object": f"{M}.Crystal"}] * 2000
    huge = json.dumps({"py/object": f"{M}.TaskGroup", "K" * 1_000_000: crystals})
    started = time.monotonic()
    with pytest.raises(DocumentError) as error:
        decode_task(huge)
    assert time.monotonic() - started < 5
    assert str(error.value) == "$: a key of 1000000 characters, over the limit of 200"
    # keys under the limit, 40 levels of them above 20,000 objects: each object's place
    # written out would be 8 kB (160 MB in all); kept as links it is a few MB
    key = "k" * 199
    inner: object = [{"py/object": f"{M}.Crystal"}] * 20_000
    for _level in range(40):
        inner = {key: inner}
    text = json.dumps({"py/object": f"{M}.TaskGroup", "x": inner})
    tracemalloc.start()
    try:
        group = read_document(text, ALLOWED)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40_000_000, peak
    deepest = group.attrs["x"]
    for _level in range(40):
        deepest = deepest[key]
    place = str(deepest[19_999].where)
    assert place == "$.x" + f".{'k' * 40}..." * 40 + "[19999]"


def test_old_jsonpickle_names_are_bounded():
    nested: object = {"py/ref": "/a"}
    for level in range(30):
        nested = {f"key{level:02d}" + "n" * 20: [nested]}
    with pytest.raises(DocumentError, match="py/ref name has over 512 characters"):
        decode_task(json.dumps({"py/object": f"{M}.TaskGroup", "a": nested}))


@pytest.mark.parametrize("comment", ["", "py/ref", '"py/ref"'])
def test_a_py_ref_text_does_not_change_how_references_are_read(comment):
    """Review 16c finding 5: the old numbering only for a py/ref *key* (and no py/id)."""
    dc = qmo.DataCollection()
    dc.experiment_type = 5  # HELICAL
    start = qmo.CentredPosition({"phi": 1.0, "phiy": 0.1, "phiz": 0.2, "sampx": 0.3, "sampy": 0.4})
    end = qmo.CentredPosition({"phi": 2.0, "phiy": 1.1, "phiz": 1.2, "sampx": 1.3, "sampy": 1.4})
    first, last = qmo.Acquisition(), qmo.Acquisition()
    first.acquisition_parameters.centred_position = start
    first.acquisition_parameters.comments = comment
    last.acquisition_parameters.centred_position = end
    dc.crystal.best_position = end  # written here first: the second acquisition's is a py/id
    attributes = vars(dc)
    del attributes["acquisitions"]
    attributes["acquisitions"] = [first, last]  # after the crystal in the document
    text = encode(dc)
    assert text.index("best_position") < text.index('"acquisitions"') and '"py/id"' in text
    task = decode_task(text)
    assert task.parameters["helical_end"] == {
        "phi": 2.0,
        "phiy": 1.1,
        "phiz": 1.2,
        "sampx": 1.3,
        "sampy": 1.4,
    }


@pytest.mark.parametrize(
    ("kind", "shown"), [([8], "a list"), ("foo", "'foo'"), (True, "True"), (12, "12"), (-1, "-1")]
)
def test_an_experiment_type_that_is_no_enumerable_is_refused(kind, shown):
    """Review 16c finding 6: a list was an internal error, text and true were taken."""
    dc = quick_collection()
    dc.experiment_type = kind
    with pytest.raises(DocumentError) as error:
        decode_task(encode(dc))
    assert str(error.value).startswith(
        "$.experiment_type: expected mxcubecore's EXPERIMENT_TYPE number"
    )
    assert str(error.value).endswith(f"got {shown}")


def test_a_reference_in_a_field_is_named_by_place_and_class_not_by_repr():
    """Review 16c finding 7: no ``Pickled(...)`` dump of the document in a message."""
    dc = quick_collection()
    dc.acquisitions[0].acquisition_parameters.overlap = dc.acquisitions[0]  # a py/id
    with pytest.raises(DocumentError) as error:
        decode_task(encode(dc))
    assert str(error.value) == (
        "$.acquisitions[0].acquisition_parameters.overlap: expected a number or text, "
        "got an object of class Acquisition"
    )
    assert len(repr(read_document(encode(dc), ALLOWED))) < 200  # no attributes in it


def test_a_collection_needs_its_one_acquisition():
    """Review 16c finding 8: no acquisitions was a default 1,800-image collection, a
    second acquisition was dropped without a word."""
    empty = quick_collection()
    empty.acquisitions = []
    with pytest.raises(DocumentError, match=r"^\$\.acquisitions: expected a list of at least"):
        decode_task(encode(empty))
    two = quick_collection()
    two.acquisitions.append(qmo.Acquisition())
    with pytest.raises(DocumentError) as error:
        decode_task(encode(two))
    assert str(error.value).startswith("$.acquisitions: 2 acquisitions; mxgui runs one wedge")
    odd = quick_collection()
    odd.acquisitions = [qmo.Crystal()]
    with pytest.raises(DocumentError, match=r"^\$\.acquisitions\[0\]: expected an Acquisition"):
        decode_task(encode(odd))
    characterisation = qmo.Characterisation()
    characterisation.reference_image_collection.acquisitions = []
    with pytest.raises(DocumentError) as error:
        decode_task(encode(characterisation))
    assert str(error.value).startswith("$.reference_image_collection.acquisitions: expected")


def test_mxgui_json_with_a_py_text_value_is_mxgui_json():
    """Review 16c finding 10: decided on the parsed object's keys, not on the text."""
    task = {"type": "DataCollection", "parameters": {"prefix": "c", "comments": 'see "py/x"'}}
    assert not is_jsonpickle(json.dumps(task))
    assert not is_jsonpickle(json.dumps({**task, "name": '"py/object"'}))
    assert is_jsonpickle('{"py/function": "os.system"}')  # refused as a document, by tag
    assert is_jsonpickle('{"a": ' + "[" * 100_000 + "]" * 100_000 + ', "py/": 1}')  # too deep


FIXTURES = Path(__file__).parent / "data" / "jsonpickle"


def test_a_document_of_an_older_jsonpickle_release_reads_as_jsonpickle_reads_it(monkeypatch):
    """Review 16c finding 11: a document written by a real jsonpickle (2.0.0, the
    numbering mxcubecore's ^2.2 writes; see make_fixture.py), its shared objects
    resolved as jsonpickle itself resolves them."""
    text = (FIXTURES / "sample_jsonpickle_2.0.0.json").read_text()
    qmo.install(monkeypatch)
    real = jsonpickle().decode(text)
    real_helical, real_plain = real._children[0]._children
    sample = decode_task(text)
    helical, plain = sample.children[0].children
    motors = ("phi", "phiy", "phiz", "sampx", "sampy")

    def position(collection: qmo.DataCollection, index: int = 0) -> dict:
        found = collection.acquisitions[index].acquisition_parameters.centred_position
        return {name: getattr(found, name) for name in motors}

    assert helical.parameters["helical_start"] == position(real_helical)
    assert helical.parameters["helical_end"] == position(real_helical, 1)
    assert plain.parameters["centred_position"] == position(real_plain)
    assert helical.parameters["prefix"] == real_helical.acquisitions[1].path_template.base_prefix
    assert (plain.parameters["prefix"], plain.parameters["run_number"]) == ("plain", 3)
    assert sample.parameters == {
        "name": "lyso",
        "location": "2:05",
        "lims_sample_id": 17,
        "protein_acronym": "LYS",
    }
