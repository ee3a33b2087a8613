"""mxcubecore's jsonpickle queue objects read as mxgui tasks, through a fixed table.

mxcubecore's clients send queue model objects (``mxcubecore.model.queue_model_objects``:
``DataCollection`` holding ``Acquisition`` -> ``AcquisitionParameters`` and
``PathTemplate``, ``Sample``, ``TaskGroup``, ``Characterisation``, ``EnergyScan``,
``XrayCentring2``, ``Workflow``...) encoded by jsonpickle. :func:`decode_task` reads such a
document as data (:mod:`~mxgui.core.xmlrpc.jsonpickle_doc`) and maps it, field by field,
to an mxgui node type and parameters (docs/contracts.md's ``task_json``):

- :data:`NODE_TYPES` is the table from class names to mxgui node types; the module may
  be any of :data:`MODULES` (mxcubecore's, or the older ``queue_model_objects_v1``).
- :data:`DATA_CLASSES` are read only inside a node; :data:`NOT_RUN` are mxcubecore nodes
  mxgui has no task for (refused saying so); any other class is refused by name.
- mxcubecore's "empty" values (``0``, ``0.0``, ``""``) of fields where they mean "not
  set" (a bare ``AcquisitionParameters()`` has ``exp_time = 0.0``, ``resolution = 0.0``)
  are left out, so the beamline's defaults complete them, as for mxgui's own JSON.
- A node's ``_children`` are read too (mxcubecore's tree lives in its objects).
- A DataCollection's ``experiment_type`` (mxcubecore's ``EXPERIMENT_TYPE``) decides:
  rotations (SAD, MAD, NATIVE, OSC...) are collections, HELICAL takes its two
  acquisitions' positions as ``helical_start`` / ``helical_end``; MESH, STILL, IMAGING
  and multi-wedge collections are refused saying so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mxgui.core.centring import CENTRING_MOTORS, OPTIONAL_MOTORS
from mxgui.core.queue.nodes import SAMPLE, TASK_GROUP
from mxgui.core.xmlrpc.jsonpickle_doc import (
    MAX_DOCUMENT_CHARS,
    DocumentError,
    Pickled,
    attrs_of,
    read_document,
)
from mxgui.core.xmlrpc.jsonpickle_names import (
    EXPERIMENT_HELICAL,
    EXPERIMENT_LAST,
    EXPERIMENT_MESH,
    EXPERIMENT_NATIVE,
    MODULES,
    NODE_TYPES,
    NOT_COLLECTED,
)

#: mxcubecore's node classes mxgui has no task for, with the reason given to the caller
NOT_RUN = {
    "GphlWorkflow": "mxgui has no GPhL workflow",
    "XRFSpectrum": "mxgui has no XRF spectrum task",
    "SampleCentring": "mxgui centres as the sample node's 'centring' says (no centring task)",
    "OpticalCentring": "mxgui has no optical (automatic) centring task",
    "DelayTask": "mxgui has no delay task",
    "Basket": "a basket is not a queue node in mxgui: add its samples",
    "RootNode": "the queue root exists already (node 0)",
}
#: mxcubecore's classes read as data inside a node
DATA_CLASSES = (
    "Acquisition",
    "AcquisitionParameters",
    "PathTemplate",
    "CentredPosition",
    "Crystal",
    "ProcessingParameters",
    "CharacterisationParameters",
    "EnergyScanResult",
    "XRFSpectrumResult",
    "XrayImagingParameters",
)
ALLOWED = frozenset(
    f"{module}.{name}" for module in MODULES for name in (*NODE_TYPES, *NOT_RUN, *DATA_CLASSES)
)
#: nodes read from one document (a node and everything below it)
MAX_NODES = 2000

#: acquisition fields copied when set: name -> its mxcubecore "not set" value (None: any)
_ACQUISITION = {
    "osc_start": None,
    "osc_range": 0,
    "num_images": 0,
    "exp_time": 0,
    "energy": 0,
    "transmission": 0,
    "resolution": 0,
    "first_image": 0,
    "overlap": None,
    "kappa": None,
    "kappa_phi": None,
    "num_passes": 0,
    "inverse_beam": None,
    "shutterless": None,
    "detector_roi_mode": "",
    "comments": "",
}
#: path template fields copied when set (mxcubecore's name -> mxgui's)
_PATH = {
    "directory": "directory",
    "process_directory": "process_directory",
    "run_number": "run_number",
    "suffix": "suffix",
    "start_num": "start_num",
}
_STRATEGY_COMPLEXITY = ("single sweep", "few sweeps")


@dataclass
class NativeTask:
    """A node read from a jsonpickle document: mxgui type, parameters (not completed by
    the beamline's defaults), name (``None``: derived), enabled, and its children."""

    type: str
    parameters: dict[str, Any]
    name: str | None = None
    enabled: bool = True
    children: list[NativeTask] = field(default_factory=list)
    where: str = "$"


def is_jsonpickle(value: object) -> bool:
    """Whether ``value`` (an XML-RPC argument) is a jsonpickle object rather than mxgui's
    JSON: a struct or a JSON object in text with a ``py/...`` key at its top (decided on
    the parsed object, not on the text: mxgui's JSON may hold a value reading "py/x")."""
    if isinstance(value, Mapping):
        return any(isinstance(key, str) and key.startswith("py/") for key in value)
    if not isinstance(value, str) or '"py/' not in value:
        return False
    if len(value) > MAX_DOCUMENT_CHARS:
        return True  # too long to parse here: refused as a document, saying so
    try:
        parsed = json.loads(value)
    except RecursionError:
        return True  # refused as a document nesting too deep
    except ValueError:
        return False  # mxgui's JSON reading names what is wrong
    return isinstance(parsed, dict) and any(key.startswith("py/") for key in parsed)


def decode_task(document: object, what: str = "task") -> NativeTask:
    """The node (with its children) of the jsonpickle ``document``: text, or the same
    object already parsed (an XML-RPC struct). Raises ``DocumentError`` naming the
    place in the document and what is wrong there."""
    if isinstance(document, Mapping):
        try:  # a struct is read as the text it stands for: one code path
            document = json.dumps(document)
        except (TypeError, ValueError) as exc:
            raise DocumentError(f"{what}: not JSON data: {exc}") from None
    value = read_document(document, ALLOWED, what)
    if not isinstance(value, Pickled):
        raise DocumentError(f"{what}: expected a queue model object (py/object), got JSON data")
    return _Mapper().node(value)


class _Mapper:
    """Maps :class:`Pickled` nodes, counting them (a shared child is read once per place)."""

    def __init__(self) -> None:
        self.count = 0
        self.open: set[int] = set()  # ids of the nodes being read: a cycle is refused

    def node(self, obj: Pickled) -> NativeTask:
        name = obj.class_name
        if name in NOT_RUN:
            raise DocumentError(f"{obj.where}: {obj.cls}: {NOT_RUN[name]}")
        node_type = NODE_TYPES.get(name)
        if node_type is None:
            raise DocumentError(
                f"{obj.where}: {obj.cls} is data, not a queue node (task or sample)"
            )
        self.count += 1
        if self.count > MAX_NODES:
            raise DocumentError(f"{obj.where}: more than {MAX_NODES} queue nodes in one document")
        if id(obj) in self.open:
            raise DocumentError(f"{obj.where}: a node is its own descendant (py/id cycle)")
        self.open.add(id(obj))
        attrs = obj.attrs
        task = NativeTask(node_type, _PARAMETERS[node_type](obj), where=str(obj.where))
        task.enabled = attrs.get("_enabled", True) is not False
        own_name = attrs.get("_name")
        if node_type in (SAMPLE, TASK_GROUP, "Workflow", "XrayCentring"):
            task.name = own_name.strip() if isinstance(own_name, str) and own_name.strip() else None
        children = attrs.get("_children") or []
        if not isinstance(children, (list, tuple)):
            raise DocumentError(f"{obj.where}._children: expected a list of nodes")
        for index, child in enumerate(children):
            if not isinstance(child, Pickled):
                raise DocumentError(f"{obj.where}._children[{index}]: not a queue model object")
            task.children.append(self.node(child))
        self.open.discard(id(obj))
        return task


# parameters of each node type ------------------------------------------------------------
def _is_set(value: object, unset: object) -> bool:
    if value is None:
        return False
    if unset is None or isinstance(value, bool):
        return True
    return value != unset


def _centred_position(value: object) -> dict[str, float] | None:
    """A CentredPosition's motors when the five centring motors are all known (else
    ``None``: the current position, as mxcubecore's empty CentredPosition means)."""
    attrs = attrs_of(value)
    motors = {}
    for name in CENTRING_MOTORS + OPTIONAL_MOTORS:
        position = attrs.get(name)
        if isinstance(position, (int, float)) and not isinstance(position, bool):
            motors[name] = float(position)
    return motors if all(name in motors for name in CENTRING_MOTORS) else None


def _prefix(path: Mapping[str, Any]) -> str:
    """The file prefix as mxcubecore composes it: ``[reference-]base[-mad][_wedge]``."""
    base = path.get("base_prefix")
    prefix = base if isinstance(base, str) else ""
    mad, reference, wedge = (
        path.get(k) for k in ("mad_prefix", "reference_image_prefix", "wedge_prefix")
    )
    if isinstance(mad, str) and mad:
        prefix = f"{prefix}-{mad}"
    if isinstance(reference, str) and reference:
        prefix = f"{reference}-{prefix}"
    if isinstance(wedge, str) and wedge:
        prefix = f"{prefix}_{wedge}"
    return prefix


def _scalar(owner: object, key: str, value: object) -> object:
    """``value`` of field ``key`` of ``owner`` when it is JSON data a field can hold (text,
    a number, true/false, null); any container is refused naming its place. A shared
    (py/id) container may stand for a tree far larger than the document: it is never
    handed on to code that walks it."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    where = owner.where if isinstance(owner, Pickled) else "$"
    if isinstance(value, Pickled):
        kind = f"an object of class {value.class_name}"
    elif isinstance(value, (list, tuple, dict)):
        kind = f"a {type(value).__name__}"
    else:
        kind = type(value).__name__
    raise DocumentError(f"{where}.{key}: expected a number or text, got {kind}")


def _path_parameters(value: object) -> dict[str, Any]:
    path = attrs_of(value)
    out: dict[str, Any] = {}
    for theirs, ours in _PATH.items():
        given = _scalar(value, theirs, path.get(theirs))
        if given not in (None, "", 0) and not isinstance(given, bool):
            out[ours] = given
    prefix = _prefix(path)
    if prefix:
        out["prefix"] = prefix
    precision = path.get("precision")
    if isinstance(precision, str) and precision.strip().isdigit():
        precision = int(precision)
    if isinstance(precision, int) and not isinstance(precision, bool) and precision > 0:
        out["precision"] = precision
    return out


def _acquisition_parameters(value: object) -> dict[str, Any]:
    acq = attrs_of(value)
    out: dict[str, Any] = {
        k: acq[k]
        for k, unset in _ACQUISITION.items()
        if _is_set(_scalar(value, k, acq.get(k)), unset)
    }
    distance = _scalar(value, "detector_distance", acq.get("detector_distance"))
    if "resolution" not in out and _is_set(distance, 0):  # mxcubecore: distance when no resolution
        out["detector_distance"] = distance
    snapshots = acq.get("take_snapshots")
    if isinstance(snapshots, bool):
        out["take_snapshots"] = int(snapshots)
    elif isinstance(snapshots, int):
        out["take_snapshots"] = snapshots
    return out


def _acquisitions(owner: Pickled, collection: object, name: str) -> list[Pickled]:
    """The Acquisitions of ``collection`` (``owner`` itself, or its attribute ``name``):
    a non-empty list of them, as every mxcubecore collection has; else refused."""
    place = f"{owner.where}.{name}" if collection is not owner else str(owner.where)
    if not isinstance(collection, Pickled):
        raise DocumentError(f"{place}: expected a DataCollection object")
    acquisitions = collection.attrs.get("acquisitions")
    if not isinstance(acquisitions, (list, tuple)) or not acquisitions:
        raise DocumentError(
            f"{place}.acquisitions: expected a list of at least one Acquisition (mxcubecore's "
            "collections always have one: it holds the exposure, the images and the path)"
        )
    for index, acquisition in enumerate(acquisitions):
        if not isinstance(acquisition, Pickled) or acquisition.class_name != "Acquisition":
            raise DocumentError(f"{place}.acquisitions[{index}]: expected an Acquisition object")
    return list(acquisitions)


def _first_acquisition(acquisitions: list[Pickled]) -> tuple[dict[str, Any], object]:
    """``(acquisition and path parameters, centred position)`` of the first of a
    DataCollection's ``acquisitions``."""
    first = acquisitions[0].attrs
    acq = first.get("acquisition_parameters")
    parameters = {**_acquisition_parameters(acq), **_path_parameters(first.get("path_template"))}
    return parameters, attrs_of(acq).get("centred_position")


def _collection(obj: Pickled) -> dict[str, Any]:
    kind = obj.attrs.get("experiment_type", EXPERIMENT_NATIVE)
    if not isinstance(kind, int) or isinstance(kind, bool) or not 0 <= kind <= EXPERIMENT_LAST:
        shown = (
            f"a {type(kind).__name__}"
            if isinstance(kind, (list, tuple, dict, Pickled))
            else repr(kind)[:80]
        )
        raise DocumentError(
            f"{obj.where}.experiment_type: expected mxcubecore's EXPERIMENT_TYPE number "
            f"(0 SAD ... 4 NATIVE, 5 HELICAL ... {EXPERIMENT_LAST} IMAGING), got {shown}"
        )
    if kind in NOT_COLLECTED:
        raise DocumentError(
            f"{obj.where}.experiment_type: {kind} ({NOT_COLLECTED[kind]}) is not a rotation "
            "collection mxgui runs from this object; "
            + (
                "add a MeshScan with mxgui's JSON (grid_id)"
                if kind == EXPERIMENT_MESH
                else "mxgui has none"
            )
        )
    acquisitions = _acquisitions(obj, obj, "")
    if len(acquisitions) > (2 if kind == EXPERIMENT_HELICAL else 1):
        raise DocumentError(
            f"{obj.where}.acquisitions: {len(acquisitions)} acquisitions; mxgui runs one "
            "wedge per collection (two for a helical one): send a DataCollection for each"
        )
    parameters, position = _first_acquisition(acquisitions)
    if kind == EXPERIMENT_HELICAL:
        ends = _helical_ends(obj)
        if ends is None:
            raise DocumentError(
                f"{obj.where}.acquisitions: a helical collection needs two acquisitions "
                "with complete centred positions (phi, phiy, phiz, sampx, sampy)"
            )
        parameters["helical_start"], parameters["helical_end"] = ends
        return parameters
    centred = _centred_position(position)
    if centred is not None:
        parameters["centred_position"] = centred
    return parameters


def _helical_ends(obj: Pickled) -> tuple[dict[str, float], dict[str, float]] | None:
    acquisitions = obj.attrs.get("acquisitions")
    if not isinstance(acquisitions, (list, tuple)) or len(acquisitions) < 2:
        return None
    ends = [
        _centred_position(
            attrs_of(attrs_of(a).get("acquisition_parameters")).get("centred_position")
        )
        for a in acquisitions[:2]
    ]
    first, last = ends
    return None if first is None or last is None else (first, last)


def _characterisation(obj: Pickled) -> dict[str, Any]:
    reference = obj.attrs.get("reference_image_collection")
    parameters, position = _first_acquisition(
        _acquisitions(obj, reference, "reference_image_collection")
    )
    centred = _centred_position(position)
    if centred is not None:
        parameters["centred_position"] = centred
    overlap = parameters.get("overlap")
    if isinstance(overlap, (int, float)) and overlap < 0:
        # mxcubecore spaces reference images by a negative overlap: step = range - overlap
        parameters["angle_step"] = float(parameters.get("osc_range", 1.0)) - overlap
        parameters["overlap"] = 0.0
    settings = attrs_of(obj.attrs.get("characterisation_parameters"))
    group = settings.get("space_group")
    if isinstance(group, str) and group.strip():
        parameters["space_group"] = group.strip()
    if isinstance(settings.get("opt_sad"), bool):
        parameters["anomalous"] = settings["opt_sad"]
    complexity = settings.get("strategy_complexity")
    if isinstance(complexity, int) and not isinstance(complexity, bool):
        parameters["strategy_complexity"] = _STRATEGY_COMPLEXITY[min(max(complexity, 0), 1)]
    return parameters


def _energy_scan(obj: Pickled) -> dict[str, Any]:
    parameters = _path_parameters(obj.attrs.get("path_template"))
    for theirs, ours in (("element_symbol", "element"), ("edge", "edge")):
        value = obj.attrs.get(theirs)
        if isinstance(value, str) and value.strip():
            parameters[ours] = value.strip()
    return parameters


def _xray_centring(obj: Pickled) -> dict[str, Any]:
    attrs = obj.attrs
    if obj.class_name == "XrayCentering":
        reference = attrs.get("reference_image_collection")
        parameters, _position = _first_acquisition(
            _acquisitions(obj, reference, "reference_image_collection")
        )
        return parameters
    motors = attrs.get("_motor_positions")
    if motors:
        raise DocumentError(
            f"{obj.where}._motor_positions: mxgui's X-ray centring starts where the sample "
            "is; move there first (move_diffractometer) and send no motor_positions"
        )
    if attrs.get("_grid_size"):
        raise DocumentError(
            f"{obj.where}._grid_size: mxgui's X-ray centring takes a drawn grid or line "
            "(mxgui's JSON: shape_id) or sizes its own; send no grid_size"
        )
    return _path_parameters(attrs.get("path_template"))


def _workflow(obj: Pickled) -> dict[str, Any]:
    parameters = _path_parameters(obj.attrs.get("path_template"))
    kind = obj.attrs.get("_type")
    if isinstance(kind, str) and kind.strip():
        parameters["workflow_name"] = kind.strip()
    return parameters


def _sample(obj: Pickled) -> dict[str, Any]:
    attrs = obj.attrs
    parameters: dict[str, Any] = {}
    name = attrs.get("name") or attrs.get("_name")
    if isinstance(name, str) and name.strip():
        parameters["name"] = name.strip()
    location = attrs.get("location")
    if (
        isinstance(location, (list, tuple))
        and len(location) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in location)
    ):
        parameters["location"] = f"{location[0]}:{location[1]:02d}"
    elif isinstance(attrs.get("loc_str"), str) and ":" in attrs["loc_str"]:
        parameters["location"] = attrs["loc_str"].strip()
    if attrs.get("free_pin_mode") is True:
        parameters.pop("location", None)
    lims_id = attrs.get("lims_id")
    if isinstance(lims_id, int) and not isinstance(lims_id, bool) and lims_id > 0:
        parameters["lims_sample_id"] = lims_id
    code = attrs.get("code")
    if isinstance(code, str) and code.strip():
        parameters["barcode"] = code.strip()
    crystals = attrs.get("crystals")
    if isinstance(crystals, (list, tuple)) and crystals:
        acronym = attrs_of(crystals[0]).get("protein_acronym")
        if isinstance(acronym, str) and acronym.strip():
            parameters["protein_acronym"] = acronym.strip()
    return parameters


_PARAMETERS = {
    SAMPLE: _sample,
    TASK_GROUP: lambda obj: {},
    "DataCollection": _collection,
    "Characterisation": _characterisation,
    "EnergyScan": _energy_scan,
    "XrayCentring": _xray_centring,
    "Workflow": _workflow,
}

__all__ = [
    "ALLOWED",
    "DATA_CLASSES",
    "MODULES",
    "NODE_TYPES",
    "NOT_RUN",
    "DocumentError",
    "NativeTask",
    "decode_task",
    "is_jsonpickle",
]
