"""mxgui's queue nodes written as mxcubecore's jsonpickle queue objects.

``queue_get_node`` answers a caller that chose mxcubecore's ``json`` serialisation with
the document mxcubecore's own server would send: the node as a
``mxcubecore.model.queue_model_objects`` object (``DataCollection`` with its
``Acquisition``, ``AcquisitionParameters``, ``PathTemplate`` and ``CentredPosition``;
``EnergyScan`` with its ``EnergyScanResult``; ``Sample``; ``TaskGroup``...), its subtree
in ``_children``, so that ``jsonpickle.decode`` in an mxcubecore client gives objects
whose attributes its code reads (``energy_scan.result.inflection``). ``_parent`` is
``None`` (mxcubecore's document would carry the whole tree through it). The document
is built as plain JSON here: nothing of jsonpickle is needed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mxgui.core.centring import CENTRING_MOTORS, OPTIONAL_MOTORS
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import (
    FINISHED_STATUSES,
    RUNNING,
    SAMPLE,
    TASK_GROUP,
    QueueNode,
    thaw,
)
from mxgui.core.xmlrpc.jsonpickle_names import (
    CLASS_OF,
    EXPERIMENT_EDNA_REF,
    EXPERIMENT_HELICAL,
    EXPERIMENT_MESH,
    EXPERIMENT_NATIVE,
    MODULE,
)

#: nodes written in one document (a node and its subtree)
MAX_NODES = 20_000


class EncodeError(ValueError):
    """A node that cannot be written (its subtree is too large)."""


def encode_node(model: QueueModel, node_id: int) -> str:
    """The jsonpickle document of node ``node_id`` and its subtree, as they were at one
    instant (``UnknownNodeError`` for an unknown node)."""
    nodes = model.snapshot()[0]
    if node_id not in nodes:
        model.get_node(node_id)  # raises, naming the node
    return json.dumps(_node(nodes, nodes[node_id], [MAX_NODES]))


def _obj(class_name: str, /, **attrs: object) -> dict[str, Any]:
    return {"py/object": f"{MODULE}.{class_name}", **attrs}


def _tuple(*values: object) -> dict[str, Any]:
    return {"py/tuple": list(values)}


def _node(nodes: Mapping[int, QueueNode], node: QueueNode, budget: list[int]) -> dict[str, Any]:
    budget[0] -= 1
    if budget[0] < 0:
        raise EncodeError(f"node {node.id}: more than {MAX_NODES} nodes below it")
    children = [_node(nodes, nodes[c], budget) for c in node.children]
    attrs = {
        "_children": children,
        "_name": node.name,
        "_number": 0,
        "_executed": node.status in FINISHED_STATUSES,
        "_running": node.status == RUNNING,
        "_parent": None,
        "_names": {},
        "_enabled": node.enabled,
        "_node_id": node.id,
        "_requires_centring": node.type in ("DataCollection", "Characterisation", "EnergyScan"),
        "_origin": None,
        "_task_data": None,
    }
    p, results = thaw(node.parameters), thaw(node.results)
    attrs.update(_OWN.get(node.type, lambda p, r: {})(p, results))
    return _obj(CLASS_OF.get(node.type, "TaskGroup"), **attrs)


# the parts ---------------------------------------------------------------------------------
def _path_template(p: Mapping[str, Any]) -> dict[str, Any]:
    return _obj(
        "PathTemplate",
        directory=p.get("directory", ""),
        process_directory=p.get("process_directory", ""),
        xds_dir="",
        base_prefix=p.get("prefix", ""),
        mad_prefix="",
        reference_image_prefix="",
        wedge_prefix="",
        run_number=p.get("run_number", 0),
        suffix=p.get("suffix", ""),
        start_num=p.get("start_num", p.get("first_image", 1)),
        num_files=p.get("num_images", 0),
        compression=False,
        precision=str(p.get("precision", 5)),
    )


def _centred_position(value: object) -> dict[str, Any]:
    motors = value if isinstance(value, Mapping) else {}
    attrs: dict[str, Any] = {name: motors.get(name) for name in CENTRING_MOTORS + OPTIONAL_MOTORS}
    attrs.update(
        snapshot_image=None,
        centring_method=True,
        index=motors.get("index"),
        motor_pos_delta=1e-4,
    )
    return _obj("CentredPosition", **attrs)


def _acquisition(p: Mapping[str, Any], position: object) -> dict[str, Any]:
    return _obj(
        "Acquisition",
        path_template=_path_template(p),
        acquisition_parameters=_acquisition_parameters(p, position),
    )


def _acquisition_parameters(p: Mapping[str, Any], position: object) -> dict[str, Any]:
    num_images = p.get("num_images", 0)
    osc_range = p.get("osc_range", 0.0)
    overlap = p.get("overlap", 0.0)
    total = (num_images - 1) * (osc_range - overlap) + osc_range if num_images > 0 else 0.0
    return _obj(
        "AcquisitionParameters",
        first_image=p.get("first_image", 1),
        num_images=num_images,
        osc_start=p.get("osc_start", 0.0),
        osc_range=osc_range,
        osc_total_range=total,
        overlap=overlap,
        kappa=p.get("kappa", 0.0),
        kappa_phi=p.get("kappa_phi", 0.0),
        exp_time=p.get("exp_time", 0.0),
        num_passes=p.get("num_passes", 1),
        num_lines=1,
        energy=p.get("energy", 0.0),
        centred_position=_centred_position(position),
        resolution=p.get("resolution", 0.0),
        detector_distance=p.get("detector_distance") or 0.0,
        transmission=p.get("transmission", 0.0),
        inverse_beam=p.get("inverse_beam", False),
        shutterless=p.get("shutterless", True),
        take_snapshots=bool(p.get("take_snapshots", 1)),
        take_video=False,
        take_dark_current=True,
        skip_existing_images=False,
        detector_binning_mode="",
        detector_roi_mode=p.get("detector_roi_mode", ""),
        induce_burn=False,
        mesh_range=_tuple(),
        cell_counting="zig-zag",
        mesh_center="top-left",
        cell_spacing=_tuple(0, 0),
        mesh_snapshot=None,
        comments=p.get("comments", ""),
        in_queue=False,
        in_interleave=None,
        sub_wedge_size=10,
        num_triggers=0,
        num_images_per_trigger=0,
        hare_num=1,
    )


def _crystal(acronym: str = "") -> dict[str, Any]:
    return _obj(
        "Crystal",
        space_group=0,
        cell_a=0,
        cell_alpha=0,
        cell_b=0,
        cell_beta=0,
        cell_c=0,
        cell_gamma=0,
        protein_acronym=acronym,
    )


def _data_collection(p: Mapping[str, Any], results: Mapping[str, Any]) -> dict[str, Any]:
    kind = EXPERIMENT_NATIVE
    acquisitions = [_acquisition(p, p.get("centred_position"))]
    if isinstance(p.get("helical_start"), Mapping) and isinstance(p.get("helical_end"), Mapping):
        kind = EXPERIMENT_HELICAL
        acquisitions = [_acquisition(p, p["helical_start"]), _acquisition(p, p["helical_end"])]
    elif "grid_id" in p:
        kind = EXPERIMENT_MESH
    return {
        "acquisitions": acquisitions,
        "experiment_type": kind,
        "crystal": _crystal(),
        "previous_acquisition": None,
        "html_report": str(results.get("html_report", "")),
        "id": results.get("lims_collection_id") or 0,
        "lims_group_id": results.get("lims_group_id"),
        "run_offline_processing": False,
        "run_online_processing": False,
        "grid": None,
        "shape": p.get("grid_id"),
        "processing_msg_list": [],
        "workflow_id": None,
        "center_before_collect": False,
    }


def _characterisation(p: Mapping[str, Any], results: Mapping[str, Any]) -> dict[str, Any]:
    step = p.get("angle_step", 90.0)
    reference = dict(p)
    reference["overlap"] = p.get("osc_range", 1.0) - step  # mxcubecore's spacing
    group = p.get("space_group", "")
    settings = _obj(
        "CharacterisationParameters",
        path_template=_path_template(p),
        experiment_type=0,
        space_group=group,
        opt_sad=bool(p.get("anomalous", False)),
        strategy_complexity=0 if p.get("strategy_complexity") == "single sweep" else 1,
    )
    attrs = {**_data_collection(reference, {}), "experiment_type": EXPERIMENT_EDNA_REF}
    collection = _obj("DataCollection", _children=[], _name=p.get("prefix", ""), **attrs)
    return {
        "reference_image_collection": collection,
        "characterisation_parameters": settings,
        "html_report": results.get("html_report"),
        "run_characterisation": True,
        "characterisation_software": None,
        "wait_result": None,
        "run_diffraction_plan": None,
        "auto_add_diff_plan": True,
        "diffraction_plan": [],
    }


def _energy_scan(p: Mapping[str, Any], results: Mapping[str, Any]) -> dict[str, Any]:
    result = _obj(
        "EnergyScanResult",
        inflection=results.get("inflection"),
        peak=results.get("peak"),
        first_remote=results.get("remote"),
        # mxgui's scan has one remote: a single-remote chooch gives it as both, and a
        # client that collects at second_remote must not fall back to the default energy
        second_remote=results.get("remote"),
        data_file_path=_path_template(p),
        data=[],
        pk=results.get("peak"),
        ip=results.get("inflection"),
        rm=results.get("remote"),
        fppPeak=None,
        fpPeak=None,
        fppInfl=None,
        fpInfl=None,
        chooch_graph_x=None,
        chooch_graph_y1=None,
        chooch_graph_y2=None,
        title=None,
    )
    return {
        "element_symbol": p.get("element"),
        "edge": p.get("edge"),
        "comments": None,
        "centred_position": None,
        "sample": None,
        "path_template": _path_template(p),
        "result": result,
    }


def _xray_centring(p: Mapping[str, Any], results: Mapping[str, Any]) -> dict[str, Any]:
    best = results.get("best_position")
    return {
        "_centring_result": _centred_position(best) if isinstance(best, Mapping) else None,
        "_motor_positions": {},
        "_grid_size": None,
        "path_template": _path_template(p),
    }


def _workflow(p: Mapping[str, Any], results: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "path_template": _path_template(p),
        "_type": p.get("workflow_name", ""),
        "lims_id": results.get("lims_id"),
    }


def _sample(p: Mapping[str, Any], results: Mapping[str, Any]) -> dict[str, Any]:
    location = p.get("location")
    puck, _sep, pin = (location or "").partition(":")
    where = (int(puck), int(pin)) if puck.isdigit() and pin.isdigit() else (None, None)
    return {
        "code": p.get("barcode", ""),
        "lims_code": "",
        "holder_length": 22.0,
        "lims_id": p.get("lims_sample_id") or -1,
        "name": p.get("name", ""),
        "lims_sample_location": where[1] if where[1] is not None else -1,
        "lims_container_location": where[0] if where[0] is not None else -1,
        "free_pin_mode": location is None,
        "loc_str": location or "",
        "diffraction_plan": None,
        "location": _tuple(*where),
        "lims_location": _tuple(*where),
        "container_code": None,
        "crystals": [_crystal(p.get("protein_acronym", ""))],
    }


def _task_group(p: Mapping[str, Any], results: Mapping[str, Any]) -> dict[str, Any]:
    return {"lims_group_id": None, "interleave_num_images": None, "inverse_beam_num_images": None}


_OWN = {
    SAMPLE: _sample,
    TASK_GROUP: _task_group,
    "DataCollection": _data_collection,
    "MeshScan": _data_collection,
    "Characterisation": _characterisation,
    "EnergyScan": _energy_scan,
    "XrayCentring": _xray_centring,
    "Workflow": _workflow,
}

__all__ = ["CLASS_OF", "MODULE", "EncodeError", "encode_node"]
