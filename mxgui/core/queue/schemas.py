"""What each node type's parameters are: fields, types, defaults, and the checks of each.

Acquisition-like tasks (DataCollection, Characterisation, MeshScan, XrayCentring) carry
every field of :class:`~mxgui.core.acquisition.AcquisitionParameters`, and every task
the fields of :class:`~mxgui.core.acquisition.PathTemplate`, under mxcubecore's names;
those fields are converted and checked by ``acquisition.py`` itself. The fields of a
type's own (``angle_step``, ``grid_id``, ``element``...) and the checks across fields
are declared here (the machinery is in ``fields.py``).

Checks against live limits take a :class:`Limits` (built by ``tasks.py`` from the
beamline); every message names the field, the value and the limit.
"""

from __future__ import annotations

import re
from typing import Any

from mxgui.core.acquisition import AcquisitionParameters, ParameterError
from mxgui.core.queue.fields import (
    ACQUISITION_FIELDS,
    Field,
    Limits,
    Schema,
    convert,
    problems,
)
from mxgui.core.queue.nodes import SAMPLE, TASK_GROUP
from mxgui.core.queue.space_groups import UnknownSpaceGroup, parse_space_group
from mxgui.core.shapes import SCAN_ORDERS, Grid, Line, Point, Shape

CENTRINGS = ("manual", "none", "point", "recentre")
#: the strategies a characterisation proposes (EDNA's "strategy complexity")
STRATEGY_COMPLEXITIES = ("single sweep", "few sweeps")
#: absorption edges (keV) of the elements used for MAD / SAD phasing
EDGES: dict[tuple[str, str], float] = {
    ("Mn", "K"): 6.539,
    ("Fe", "K"): 7.112,
    ("Co", "K"): 7.709,
    ("Ni", "K"): 8.333,
    ("Cu", "K"): 8.979,
    ("Zn", "K"): 9.659,
    ("Ga", "K"): 10.367,
    ("As", "K"): 11.867,
    ("Se", "K"): 12.658,
    ("Br", "K"): 13.474,
    ("Kr", "K"): 14.326,
    ("Gd", "L3"): 7.243,
    ("Yb", "L3"): 8.944,
    ("Ta", "L3"): 9.881,
    ("W", "L3"): 10.207,
    ("Os", "L3"): 10.871,
    ("Ir", "L3"): 11.215,
    ("Pt", "L3"): 11.564,
    ("Au", "L3"): 11.919,
    ("Hg", "L3"): 12.284,
    ("Pb", "L3"): 13.035,
}
#: the elements and edges an energy scan knows (in EDGES' order)
ELEMENTS = tuple(dict.fromkeys(element for element, _edge in EDGES))
EDGE_NAMES = tuple(dict.fromkeys(edge for _element, edge in EDGES))
MAX_SCAN_POINTS = 5000
#: an energy scan covers its edge -/+ this much, keV: a new scan, and a window re-centred
#: on a new edge (no width known)
ENERGY_SCAN_HALF_WIDTH = 0.05
#: a window whose middle is this close to an edge (keV) was placed for that edge
_PLACED_FOR_KEV = 0.001
_ADDRESS = re.compile(r"\s*(\d+)\s*:\s*(\d+)\s*")
_SHAPE_ID = re.compile(r"[PLG][1-9][0-9]*")


# checks of each type -------------------------------------------------------------------------
def _within(
    name: str, value: float, bounds: tuple[float, float] | None, unit: str, source: str
) -> list[str]:
    if bounds is None:
        return []
    low, high = bounds
    if value < low:
        return [f"{name}: {value:g} {unit} is below {source} minimum {low:g} {unit}"]
    if value > high:
        return [f"{name}: {value:g} {unit} is above {source} maximum {high:g} {unit}"]
    return []


def _sweep(name: str, start: float, end: float, limits: Limits) -> list[str]:
    if limits.omega is None:
        return []
    low, high = limits.omega
    if start < low:
        return [f"osc_start: {start:g} deg is below omega's minimum {low:g} deg"]
    if end > high:
        return [f"{name}: the sweep ends at {end:g} deg, above omega's maximum {high:g} deg"]
    return []


def _shape(
    name: str, shape_id: str | None, kinds: tuple[type[Shape], ...], limits: Limits
) -> list[str]:
    if shape_id is None:
        return []
    if not _SHAPE_ID.fullmatch(shape_id):
        return [f"{name}: {shape_id!r} is not a shape id such as P1, L1 or G1"]
    if limits.shapes is None:
        return []
    try:
        shape = limits.shapes.get(shape_id)
    except KeyError:
        return [f"{name}: there is no shape {shape_id} on the sample"]
    if not isinstance(shape, kinds):
        wanted = " or ".join(k.KIND for k in kinds)
        return [f"{name}: {shape_id} is a {shape.KIND}, not a {wanted}"]
    return []


def _check_collection(values: dict[str, Any], limits: Limits) -> list[str]:
    found = []
    start, end = values["helical_start"], values["helical_end"]
    if (start is None) != (end is None):
        missing = "helical_end" if end is None else "helical_start"
        found.append(f"{missing}: missing; a helical collection needs both ends")
    if start is not None and values["centred_position"] is not None:
        found.append("centred_position: not used by a helical collection; leave it null")
    for name in ("helical_start", "helical_end", "centred_position"):
        if isinstance(values[name], str):
            found.extend(_shape(name, values[name], (Point,), limits))
    params = AcquisitionParameters(**{k: values[k] for k in ACQUISITION_FIELDS})
    found.extend(_sweep("num_images", params.osc_start, params.osc_end, limits))
    return found


def _check_characterisation(values: dict[str, Any], limits: Limits) -> list[str]:
    found = []
    step, osc_range, n = values["angle_step"], values["osc_range"], values["num_images"]
    if n > 1 and step < osc_range:
        found.append(
            f"angle_step: {step:g} deg is below osc_range {osc_range:g} deg "
            "(reference images must not overlap)"
        )
    if isinstance(values["centred_position"], str):
        found.extend(_shape("centred_position", values["centred_position"], (Point,), limits))
    end = values["osc_start"] + max(n - 1, 0) * step + osc_range
    found.extend(_sweep("angle_step", values["osc_start"], end, limits))
    try:
        parse_space_group(values["space_group"])
    except UnknownSpaceGroup as exc:
        found.append(f"space_group: {exc}")
    return found


def _normalise_characterisation(values: dict[str, Any]) -> None:
    """``p 21 21 21`` -> ``P212121``: the space group by its short symbol."""
    if "space_group" not in values:  # a partial update without it
        return
    try:
        group = parse_space_group(values["space_group"])
    except UnknownSpaceGroup:
        return  # the check says what is wrong
    values["space_group"] = group.symbol if group is not None else ""


def _check_mesh(values: dict[str, Any], limits: Limits) -> list[str]:
    grid_id = values["grid_id"]
    if not grid_id:
        return ["grid_id: missing; a mesh scan needs a grid such as G1"]
    found = _shape("grid_id", grid_id, (Grid,), limits)
    grid = limits.shapes.get(grid_id) if not found and limits.shapes is not None else None
    if isinstance(grid, Grid):
        if values["num_images"] != grid.num_cells:
            found.append(
                f"num_images: {values['num_images']} does not match grid {grid_id}'s "
                f"{grid.num_cols} x {grid.num_rows} = {grid.num_cells} cells"
            )
    return found


def _check_xray_centring(values: dict[str, Any], limits: Limits) -> list[str]:
    return _shape("shape_id", values["shape_id"], (Grid, Line), limits)


def edges_of(element: str) -> dict[str, float]:
    """The known absorption edges of ``element``: edge name -> keV."""
    return {edge: kev for (e, edge), kev in EDGES.items() if e == element}


def _normalise_energy_scan(values: dict[str, Any]) -> None:
    """The scan follows its element and edge.

    An element with one known edge takes it. The window follows the edge: when
    start and end are not given (a partial update: a new task's parameters), they
    are centred on the edge; when they are (the node's whole parameters after an
    update), a window that does not contain the edge but is centred on another known
    edge -- the one it was placed for -- is moved onto the new edge, keeping its
    width. A window the user typed elsewhere is left for the check to refuse.
    """
    element = values.get("element")
    if not isinstance(element, str):
        return  # a partial update without it: nothing to follow
    known = edges_of(element)
    if len(known) == 1 and (element, values.get("edge")) not in EDGES:
        values["edge"] = next(iter(known))
    edge = EDGES.get((element, values.get("edge", "")))
    if edge is None:
        return  # the check names what is wrong
    start, end = values.get("start_energy"), values.get("end_energy")
    if start is None and end is None:
        half = ENERGY_SCAN_HALF_WIDTH
    elif isinstance(start, float) and isinstance(end, float) and not start < edge < end:
        middle = (start + end) / 2
        placed = any(abs(middle - kev) <= _PLACED_FOR_KEV for kev in EDGES.values())
        if not placed or end <= start:
            return
        half = (end - start) / 2
    else:
        return
    values["start_energy"] = round(edge - half, 4)
    values["end_energy"] = round(edge + half, 4)


def _check_energy_scan(values: dict[str, Any], limits: Limits) -> list[str]:
    key = (values["element"], values["edge"])
    if key not in EDGES:
        known = ", ".join(f"{edge} ({kev:g} keV)" for edge, kev in edges_of(key[0]).items())
        return [f"edge: {key[0]} has no known {key[1]} edge; known: {known or 'none'}"]
    edge = EDGES[key]
    start, end, step = values["start_energy"], values["end_energy"], values["step_ev"]
    energy = limits.acquisition(AcquisitionParameters(energy=edge))
    found = []
    for name in ("start_energy", "end_energy"):
        bounds = energy.energy if energy is not None else None
        found += _within(name, values[name], bounds, "keV", "the energy's")
    if not start < edge < end:
        found.append(
            f"start_energy, end_energy: {start:g}..{end:g} keV must contain the "
            f"{key[0]} {key[1]} edge at {edge:g} keV"
        )
    if step <= 0:
        found.append(f"step_ev: {step:g} eV must be above 0 eV")
    elif (end - start) * 1000.0 / step > MAX_SCAN_POINTS:
        found.append(f"step_ev: {step:g} eV gives more than {MAX_SCAN_POINTS} points")
    if values["count_time"] <= 0:
        found.append(f"count_time: {values['count_time']:g} s must be above 0 s")
    transmission = energy.transmission if energy else (0.0, 100.0)
    found += _within(
        "transmission", values["transmission"], transmission, "%", "the transmission's"
    )
    return found


def _check_workflow(values: dict[str, Any], limits: Limits) -> list[str]:
    if not values["workflow_name"]:
        return ["workflow_name: missing; name the workflow to run"]
    return []


def _check_sample(values: dict[str, Any], limits: Limits) -> list[str]:
    found = []
    location = values["location"]
    if location is not None:
        match = _ADDRESS.fullmatch(location)
        if match is None or int(match.group(1)) < 1 or int(match.group(2)) < 1:
            found.append(f"location: {location!r} is not of the form puck:pin (e.g. 3:05)")
    lims_id = values.get("lims_sample_id")
    if lims_id is not None and lims_id < 1:
        found.append(f"lims_sample_id: {lims_id} is not a blSampleId (they start at 1)")
    if values["centring"] == "point":  # one of CENTRINGS: convert refused anything else
        if values["point_id"] is None:
            found.append("point_id: missing; centring 'point' needs a saved point such as P1")
        else:
            found.extend(_shape("point_id", values["point_id"], (Point,), Limits()))
    return found


def _normalise_sample(values: dict[str, Any]) -> None:
    """``3:5`` -> ``3:05``, as the sample changer writes addresses."""
    match = _ADDRESS.fullmatch(values.get("location") or "")
    if match is not None and int(match.group(1)) >= 1 and int(match.group(2)) >= 1:
        values["location"] = f"{int(match.group(1))}:{int(match.group(2)):02d}"


SCHEMAS: dict[str, Schema] = {
    SAMPLE: Schema(
        SAMPLE,
        own={
            "location": Field("str?", None, "puck:pin; null: mounted by hand", label="Location"),
            "name": Field("str", "", "sample name", label="Name"),
            "protein_acronym": Field("str", "", "protein acronym (LIMS)", label="Protein"),
            "barcode": Field("str", "", "pin barcode", label="Barcode"),
            "lims_sample_id": Field(
                "int?", None, "the sample's blSampleId in the LIMS (ISPyB)", label="LIMS id"
            ),
            "centring": Field(
                "str",
                "manual",
                "manual (3 clicks, unless centred since this mount), recentre (3 clicks "
                "always), none, or point (saved)",
                label="Centring",
                choices=CENTRINGS,
            ),
            "point_id": Field(
                "str?", None, "the saved point for centring 'point'", label="Saved point"
            ),
        },
        check=_check_sample,
        normalise=_normalise_sample,
    ),
    TASK_GROUP: Schema(TASK_GROUP),
    "DataCollection": Schema(
        "DataCollection",
        acquisition=True,
        path=True,
        own={
            "centred_position": Field(
                "position?", None, "point id or position; null: current", label="Position"
            ),
            "helical_start": Field(
                "position?", None, "helical: first point (id or position)", label="Helical start"
            ),
            "helical_end": Field(
                "position?", None, "helical: last point (id or position)", label="Helical end"
            ),
        },
        check=_check_collection,
        doc="a rotation data set, standard or helical between two centred positions",
    ),
    "Characterisation": Schema(
        "Characterisation",
        acquisition=True,
        path=True,
        own={
            "angle_step": Field("float", 90.0, "degrees between reference images"),
            "centred_position": Field(
                "position?", None, "point id or position; null: current", label="Position"
            ),
            "space_group": Field(
                "str",
                "",
                "space group if known (e.g. P212121); empty: unknown",
                label="Space group",
            ),
            "anomalous": Field(
                "bool",
                False,
                "anomalous data: Friedel pairs apart (longer sweep)",
                label="Anomalous data",
            ),
            "strategy_complexity": Field(
                "str",
                STRATEGY_COMPLEXITIES[0],
                "single sweep, or few sweeps (+ a low-resolution pass)",
                label="Strategy",
                choices=STRATEGY_COMPLEXITIES,
            ),
        },
        check=_check_characterisation,
        normalise=_normalise_characterisation,
        doc="reference images angle_step apart, then a proposed strategy",
    ),
    "MeshScan": Schema(
        "MeshScan",
        acquisition=True,
        path=True,
        own={
            "grid_id": Field(
                "str", "", "the grid (G<n>); num_images is its number of cells", label="Grid"
            ),
            "scan_order": Field(
                "str", "zigzag", "zigzag or raster", label="Scan order", choices=SCAN_ORDERS
            ),
        },
        check=_check_mesh,
        doc="one image per grid cell (exp_time and osc_range per cell)",
    ),
    "XrayCentring": Schema(
        "XrayCentring",
        acquisition=True,
        path=True,
        own={
            "shape_id": Field(
                "str?", None, "a grid or line id; null: automatic", label="Grid or line"
            )
        },
        check=_check_xray_centring,
        doc="centre the crystal on diffraction: on a grid or line, or automatically",
    ),
    "EnergyScan": Schema(
        "EnergyScan",
        path=True,
        own={
            "element": Field("str", "Se", "element symbol", label="Element", choices=ELEMENTS),
            "edge": Field("str", "K", "the absorption edge", label="Edge", choices=EDGE_NAMES),
            "start_energy": Field("float", 12.608, "keV", label="Start energy", unit="keV"),
            "end_energy": Field("float", 12.708, "keV", label="End energy", unit="keV"),
            "step_ev": Field("float", 1.0, "eV between points", label="Step", unit="eV"),
            "count_time": Field("float", 1.0, "s per point", label="Count time", unit="s"),
            "transmission": Field("float", 10.0, "%", label="Transmission", unit="%"),
        },
        check=_check_energy_scan,
        normalise=_normalise_energy_scan,
        doc="fluorescence across an absorption edge: peak, inflection, remote",
    ),
    "Workflow": Schema(
        "Workflow",
        path=True,
        own={
            "workflow_name": Field(
                "str", "", "the name in the workflow client's XML", label="Workflow"
            ),
            "workflow_parameters": Field(
                "object", {}, "passed to the workflow", label="Workflow parameters"
            ),
        },
        check=_check_workflow,
        doc="an external workflow, run in its own process",
    ),
}


def schema_of(node_type: str) -> Schema:
    """The schema of ``node_type``; ``ParameterError`` listing the known types."""
    schema = SCHEMAS.get(node_type)
    if schema is None:
        raise ParameterError(
            [f"type: unknown node type {node_type!r} (known: {', '.join(SCHEMAS)})"]
        )
    return schema


__all__ = ["EDGES", "SCHEMAS", "edges_of", "Limits", "Schema", "convert", "problems", "schema_of"]
