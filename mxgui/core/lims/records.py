"""What mxgui has, turned into the payloads of ISPyB writes (pure functions, no database).

Each function returns the ``payload`` of one outbox operation whose ``kind`` is named in
its docstring; :class:`~mxgui.core.lims.ispyb_writer.IspybWriter` writes it (see that
module for what each kind stores). Payloads hold plain JSON types only. A value another
operation will produce (a group's id, a collection's id) is a *reference*, given by the
caller as ``{"$ref": key, "field": "id"}`` (the outbox resolves it at send time) or as
the id itself when it is known.

Times are local wall-clock times ``"YYYY-MM-DD HH:MM:SS"`` (:func:`lims_time`), as ISPyB
keeps them (``DATETIME`` columns, whole seconds). Energies are keV, lengths mm (beam
sizes too), angles degrees, times seconds, transmission percent.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence

from mxgui.core.queue.tasks import HC_KEV_ANGSTROM

#: a payload: plain JSON values
Payload = dict[str, object]
#: an id, or a reference to the id another operation will produce
Ref = int | Mapping[str, object]

#: ISPyB's ``DataCollectionGroup.experimentType`` values mxgui uses
OSC = "OSC"
HELICAL = "Helical"
MESH = "Mesh"
CHARACTERIZATION = "Characterization"
ENERGY_SCAN = "Energy scan"

#: ISPyB's ``DataCollection.runStatus`` texts (mxcubecore's)
RUN_STARTED = "Data collection started"
RUN_SUCCESSFUL = "Data collection successful"
RUN_FAILED = "Data collection failed"
#: the user stopped it (not a failure of the beamline)
RUN_STOPPED = "Data collection stopped"
#: ``runStatus`` of each final state of a collection (``info["state"]``)
RUN_STATUS_OF_STATE = {"finished": RUN_SUCCESSFUL, "stopped": RUN_STOPPED}
#: the program named in screening rows (the rule of ``mxgui.core.queue.entries.strategy``)
STRATEGY_PROGRAM = "mxgui strategy"


def lims_time(epoch: float) -> str:
    """``epoch`` seconds as ISPyB's local time text, e.g. ``"2026-12-07 16:22:30"``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def wavelength(energy_kev: float) -> float:
    """Angstrom of ``energy_kev`` (12.7 keV: 0.9763 A)."""
    return HC_KEV_ANGSTROM / energy_kev


def file_template(path: Mapping[str, object]) -> str:
    """ISPyB's ``fileTemplate`` of a path template's dict: ``lyso_1_#####.cbf`` (one
    ``#`` per digit of the image number), or the master file ``lyso_1_master.h5``."""
    run_prefix = f"{path['prefix']}_{path['run_number']}"
    suffix = str(path.get("suffix", "cbf"))
    if suffix == "h5":
        return f"{run_prefix}_master.h5"
    digits = _int(path.get("precision", 5), "precision")
    return f"{run_prefix}_{'#' * digits}.{suffix}"


def experiment_type(info: Mapping[str, object]) -> str:
    """The group's ``experimentType`` of a collection ``info``: Mesh, Helical,
    Characterization (one wedge per image: ``info["image_starts"]``, a
    characterisation's reference images) or OSC."""
    if info.get("mesh"):
        return MESH
    if info.get("helical"):
        return HELICAL
    if info.get("image_starts"):
        return CHARACTERIZATION
    return OSC


def wedge_axis(starts: Sequence[float], osc_range: float) -> tuple[float, float, float, str | None]:
    """How a run of one wedge per image (``starts``: each image's start angle, each
    ``osc_range`` wide) is stored, as ISPyB's clients read it (mxcubecore writes a
    characterisation's reference images so, and SynchWeb lists a collection whose
    ``overlap`` is not 0 as a screening): ``axisStart`` and ``axisEnd`` are what the
    first image covers, and ``overlap = osc_range - step`` (negative: a gap), so that
    image ``i`` (from 0) starts at ``axisStart + i * (axisRange - overlap)``. Returns
    ``(axis_start, axis_end, overlap, note)``; ``note`` lists the start angles when they
    are not evenly spaced (``step`` is then their mean spacing), else ``None``."""
    angles = [float(a) for a in starts]
    if not angles:
        raise ValueError("image_starts: expected at least one start angle")
    step = (angles[-1] - angles[0]) / (len(angles) - 1) if len(angles) > 1 else osc_range
    even = all(
        math.isclose(b - a, step, rel_tol=1e-9, abs_tol=1e-6)
        for a, b in zip(angles, angles[1:], strict=False)
    )
    note = None
    if not even:
        note = "reference images at " + ", ".join(f"{a:g}" for a in angles) + " deg"
    return angles[0], angles[0] + osc_range, osc_range - step, note


# -- the session of a local login ----------------------------------------------------------------
def session_lookup(
    proposal_code: str, proposal_number: str, beamline: str, day: str, at: str | None = None
) -> Payload:
    """Kind ``session_lookup``: the session of proposal ``proposal_code`` +
    ``proposal_number`` on ``beamline`` running on ``day`` (``"YYYY-MM-DD"``): what a
    local login (no session id) collected refers to it (``{"$ref": key, "field": "id"}``).
    ``at`` (:func:`lims_time`) is when the record was made: the session running then is
    chosen, not one of the same day that had already ended (08:00 to 08:00 sessions)."""
    return _without_none(
        {
            "proposal_code": proposal_code,
            "proposal_number": proposal_number,
            "beamline": beamline,
            "day": day,
            "at": at,
        }
    )


# -- data collection groups and data collections ------------------------------------------------
def group_started(
    session_id: Ref,
    sample_id: int | None,
    experiment: str,
    started: float,
    comments: str = "",
) -> Payload:
    """Kind ``data_collection_group``: a group begins (``experiment``: :data:`OSC`,
    :data:`MESH`, :data:`CHARACTERIZATION`...; ``started``: epoch seconds)."""
    return _without_none(
        {
            "session_id": _ref(session_id),
            "sample_id": sample_id,
            "experiment_type": experiment,
            "start_time": lims_time(started),
            "comments": comments or None,
        }
    )


def group_ended(group: Ref, ended: float) -> Payload:
    """Kind ``data_collection_group_end``: the group's end time."""
    return {"group_id": _ref(group), "end_time": lims_time(ended)}


def collection_started(
    info: Mapping[str, object],
    *,
    session_id: Ref,
    sample_id: int | None,
    group: Ref,
    beam_size: tuple[float, float] | None = None,
    flux: float | None = None,
    detector_distance: float | None = None,
) -> Payload:
    """Kind ``data_collection``: a collection began (``info``: the collect object's
    ``get_collection_info()`` / ``collectStarted`` dict).

    ``beam_size`` is ``(width, height)`` at the sample, mm; ``flux`` photons/s;
    ``detector_distance`` (mm) is used when the parameters leave it to the beamline.
    """
    p = _mapping(info.get("parameters", {}))
    path = _mapping(info.get("path", {}))
    energy = _float(p["energy"], "energy")
    osc_start, osc_range = _float(p["osc_start"], "osc_start"), _float(p["osc_range"], "osc_range")
    num_images = _int(info.get("num_images", p["num_images"]), "num_images")
    distance = p.get("detector_distance")
    if distance is None:
        distance = detector_distance
    snapshots = [str(s) for s in _sequence(info.get("snapshots", ()))][:4]
    overlap = _float(p.get("overlap", 0.0), "overlap")
    # where the last image ends (AcquisitionParameters.osc_end): overlapping images too
    axis_start = osc_start
    axis_end = osc_start + max(num_images - 1, 0) * (osc_range - overlap) + osc_range
    comments = [str(p.get("comments", ""))]
    starts = info.get("image_starts")
    if starts:  # one wedge per image: see wedge_axis
        axis_start, axis_end, overlap, note = wedge_axis(
            [_float(a, "image_starts") for a in _sequence(starts)], osc_range
        )
        comments.append(note or "")
    payload: Payload = {
        "group_id": _ref(group),
        "session_id": _ref(session_id),
        "sample_id": sample_id,
        "run_number": _int(info.get("run_number", path.get("run_number", 1)), "run_number"),
        "axis_start": axis_start,
        "axis_end": axis_end,
        "axis_range": osc_range,
        "overlap": overlap,
        "number_of_images": num_images,
        "start_image_number": _int(info.get("first_image", p.get("first_image", 1)), "first_image"),
        "number_of_passes": _int(p.get("num_passes", 1), "num_passes"),
        "exposure_time": _float(p["exp_time"], "exp_time"),
        "wavelength": wavelength(energy),
        "resolution": _float(p["resolution"], "resolution"),
        "detector_distance": None if distance is None else _float(distance, "detector_distance"),
        "transmission": _float(p["transmission"], "transmission"),
        "beam_size_x": None if beam_size is None else float(beam_size[0]),
        "beam_size_y": None if beam_size is None else float(beam_size[1]),
        "flux": None if flux is None else float(flux),
        "image_directory": str(info.get("directory", path.get("directory", ""))),
        "image_prefix": str(info.get("prefix", path.get("prefix", ""))),
        "image_suffix": str(path.get("suffix", "cbf")),
        "file_template": file_template(path),
        "comments": "; ".join(c for c in comments if c) or None,
        "start_time": lims_time(_float(info["started"], "started")),
    }
    for index, snapshot in enumerate(snapshots, start=1):
        payload[f"snapshot_{index}"] = snapshot
    return _without_none(payload)


def collection_ended(collection: Ref, info: Mapping[str, object]) -> Payload:
    """Kind ``data_collection_end``: the status, the reason of a failure or a stop, the
    end time, the images written and the crystal snapshots (taken after the start:
    ``collectStarted``'s ``info`` has none yet); ``info``: the collection's final one."""
    succeeded = info.get("state") == "finished"
    started = _float(info["started"], "started")
    payload: Payload = {
        "collection_id": _ref(collection),
        "run_status": RUN_STATUS_OF_STATE.get(str(info.get("state")), RUN_FAILED),
        "end_time": lims_time(started + _float(info.get("elapsed", 0.0), "elapsed")),
        "images_written": _int(info.get("images_taken", 0), "images_taken"),
    }
    if info.get("num_images") is not None:  # asked for: the same on every attempt
        payload["number_of_images"] = _int(info["num_images"], "num_images")
    if not succeeded:
        payload["comments"] = str(info.get("reason", "")) or str(info.get("state", "failed"))
    snapshots = [str(s) for s in _sequence(info.get("snapshots", ()))][:4]
    for index, snapshot in enumerate(snapshots, start=1):
        payload[f"snapshot_{index}"] = snapshot
    return payload


# -- mesh scans --------------------------------------------------------------------------------
def mesh_grid(
    grid: Mapping[str, object],
    *,
    collection: Ref,
    group: Ref | None = None,
    snapshot_offset_px: tuple[float, float] | None = None,
    pixels_per_mm: tuple[float, float] | None = None,
) -> Payload:
    """Kind ``grid_info``: the mesh's grid (``grid``: a :class:`~mxgui.core.shapes.Grid`'s
    ``to_dict()``). ``snapshot_offset_px`` is where the grid's first cell's corner is on
    the crystal snapshot (pixels); ``pixels_per_mm`` the camera's scale then."""
    cols, rows = _int(grid["num_cols"], "num_cols"), _int(grid["num_rows"], "num_rows")
    dx = _float(grid["cell_width_mm"], "cell_width_mm") + _float(
        grid.get("spacing_x_mm", 0.0), "spacing_x_mm"
    )
    dy = _float(grid["cell_height_mm"], "cell_height_mm") + _float(
        grid.get("spacing_y_mm", 0.0), "spacing_y_mm"
    )
    centre = _mapping(grid.get("centre", {}))
    payload: Payload = {
        "collection_id": _ref(collection),
        "group_id": None if group is None else _ref(group),
        "steps_x": cols,
        "steps_y": rows,
        "dx_mm": dx,
        "dy_mm": dy,
        "orientation": "horizontal",  # rows are scanned along the omega axis, left to right
        "snaked": grid.get("scan_order", "zigzag") == "zigzag",
        "mesh_angle": None if "phi" not in centre else _float(centre["phi"], "phi"),
    }
    if snapshot_offset_px is not None:
        payload["snapshot_offset_x_px"] = float(snapshot_offset_px[0])
        payload["snapshot_offset_y_px"] = float(snapshot_offset_px[1])
    if pixels_per_mm is not None:
        payload["microns_per_pixel_x"] = 1000.0 / float(pixels_per_mm[0])
        payload["microns_per_pixel_y"] = 1000.0 / float(pixels_per_mm[1])
    return _without_none(payload)


def quality_indicators(
    collection: Ref,
    scores: Mapping[int, float],
    spots: Mapping[int, int] | None = None,
) -> Payload:
    """Kind ``image_quality_indicators``: per image number, its score (and spot count
    when known). A batch: send the scores as they come, a number sent twice is updated."""
    spots = spots or {}
    numbers = sorted(set(scores) | set(spots))
    images = []
    for number in numbers:
        score = scores.get(number)
        entry: Payload = {"image_number": int(number)}
        if score is not None and math.isfinite(score):
            entry["score"] = float(score)
        if number in spots:
            entry["spots"] = int(spots[number])
        images.append(entry)
    return {"collection_id": _ref(collection), "images": images}


# -- energy scans ------------------------------------------------------------------------------
def energy_scan(
    result: Mapping[str, object],
    *,
    session_id: Ref,
    sample_id: int | None,
    started: float,
    ended: float,
    beam_size: tuple[float, float] | None = None,
    flux: float | None = None,
    chooch_file: str = "",
    chooch_jpeg: str = "",
) -> Payload:
    """Kind ``energy_scan``: a finished scan (``result``: the energy-scan object's result
    dict; f' and f'' when it gives ``peak_f_prime``, ``peak_f_double_prime``,
    ``inflection_f_prime``, ``inflection_f_double_prime``)."""
    payload: Payload = {
        "session_id": _ref(session_id),
        "sample_id": sample_id,
        "element": str(result["element"]),
        "edge": str(result["edge"]),
        "edge_energy": _optional_float(result.get("edge_energy"), "edge_energy"),
        "start_energy": _float(result["start_energy"], "start_energy"),
        "end_energy": _float(result["end_energy"], "end_energy"),
        "peak_energy": _optional_float(result.get("peak"), "peak"),
        "inflection_energy": _optional_float(result.get("inflection"), "inflection"),
        "remote_energy": _optional_float(result.get("remote"), "remote"),
        "exposure_time": _optional_float(result.get("count_time"), "count_time"),
        "transmission": _optional_float(result.get("transmission"), "transmission"),
        "beam_size_x": None if beam_size is None else float(beam_size[0]),
        "beam_size_y": None if beam_size is None else float(beam_size[1]),
        "flux": None if flux is None else float(flux),
        "scan_file": str(result.get("file", "")) or None,
        "chooch_file": chooch_file or None,
        "chooch_jpeg": chooch_jpeg or None,
        "start_time": lims_time(started),
        "end_time": lims_time(ended),
    }
    for key in (
        "peak_f_prime",
        "peak_f_double_prime",
        "inflection_f_prime",
        "inflection_f_double_prime",
    ):
        payload[key] = _optional_float(result.get(key), key)
    return _without_none(payload)


# -- sample changer ----------------------------------------------------------------------------
def robot_action(
    *,
    session_id: Ref,
    sample_id: int | None,
    action: str,
    started: float,
    ended: float,
    error: str = "",
    address: str = "",
    barcode: str = "",
) -> Payload:
    """Kind ``robot_action``: a load or unload that has ended (``action``: ``load``,
    ``unload``...; ``error``: its failure, empty on success; ``address``: ``"3:05"``)."""
    payload: Payload = {
        "session_id": _ref(session_id),
        "sample_id": sample_id,
        "action_type": action.upper(),
        "start_time": lims_time(started),
        "end_time": lims_time(ended),
        "status": "ERROR" if error else "SUCCESS",
        "message": error or None,
        "sample_barcode": barcode or None,
    }
    puck, _, pin = address.partition(":")
    if puck.strip().isdigit() and pin.strip().isdigit():
        payload["dewar_location"] = int(puck)
        payload["container_location"] = int(pin)
    return _without_none(payload)


# -- workflows ---------------------------------------------------------------------------------
def workflow_started(
    *,
    name: str,
    started: float,
    parameters: Mapping[str, object] | None = None,
    collection: Ref | None = None,
    log_file: str = "",
    engine: str = "",
) -> Payload:
    """Kind ``workflow_run``: a workflow began (``parameters``: its inputs, stored as
    text; ``collection``: the data collection it belongs to, if any)."""
    return _without_none(
        {
            "name": name,
            "engine": engine or None,
            "start_time": lims_time(started),
            "parameters": {str(k): _text(v) for k, v in (parameters or {}).items()},
            "collection_id": None if collection is None else _ref(collection),
            "log_file": log_file or None,
        }
    )


def workflow_ended(run: Ref, *, ended: float, error: str = "", log_file: str = "") -> Payload:
    """Kind ``workflow_run_end``: the run's status (``error`` empty: success) and end
    time. ``run`` is the ``workflow_run`` operation's result, field
    ``auto_proc_program_id`` (``{"$ref": key, "field": "auto_proc_program_id"}``)."""
    return _without_none(
        {
            "program_id": _ref(run),
            "success": not error,
            "message": error or None,
            "end_time": lims_time(ended),
            "log_file": log_file or None,
        }
    )


def workflow_updated(
    run: Ref, *, collection: Ref | None = None, parameters: Mapping[str, object] | None = None
) -> Payload:
    """Kind ``workflow_run_update``: the run's first collection and more parameters
    (stored as text). ``run`` is the ``workflow_run`` operation's result, field ``id``
    (its ``ProcessingJob``)."""
    return _without_none(
        {
            "job_id": _ref(run),
            "collection_id": None if collection is None else _ref(collection),
            "parameters": {str(k): _text(v) for k, v in (parameters or {}).items()},
        }
    )


# -- characterisation --------------------------------------------------------------------------
def screening(
    results: Mapping[str, object],
    parameters: Mapping[str, object],
    *,
    collection: Ref,
    group: Ref | None = None,
    message: str = "",
) -> Payload:
    """Kind ``screening``: a characterisation's results (``results``: the node's
    ``reference``, ``strategy``, ``strategy_sweeps`` and ``rule``; ``parameters``: the
    node's parameters, for the energy of the strategy's wavelength and ``anomalous``).

    The strategy is the first sweep's values with ``sweeps``: every proposed sweep, in
    order (one ISPyB sub-wedge each); results without ``strategy_sweeps`` give one."""
    reference = [_mapping(r) for r in _sequence(results.get("reference", ()))]
    resolutions = [
        _float(r["resolution"], "resolution") for r in reference if r.get("resolution") is not None
    ]
    output: Payload = {
        "spots_found": sum(_int(r.get("spots", 0), "spots") for r in reference),
        "resolution_obtained": min(resolutions) if resolutions else None,
        "images": len(reference),
        "status": message or None,
    }
    payload: Payload = {
        "collection_id": _ref(collection),
        "group_id": None if group is None else _ref(group),
        "program": STRATEGY_PROGRAM,
        "comments": str(results.get("rule", "")) or None,
        "output": _without_none(output),
    }
    strategy = results.get("strategy")
    if isinstance(strategy, Mapping) and strategy:
        sweeps = results.get("strategy_sweeps")
        if not isinstance(sweeps, Sequence) or isinstance(sweeps, str) or not sweeps:
            sweeps = [strategy]  # results of before the sweeps: the one there is
        energy = parameters.get("energy")
        stored = [_sweep(_mapping(sweep)) for sweep in sweeps]
        anomalous = parameters.get("anomalous")
        if not isinstance(anomalous, bool):  # parameters of before the user's choice
            anomalous = any(
                _float(s["osc_range"], "osc_range") * _int(s["number_of_images"], "num_images")
                >= 360.0
                for s in stored
            )
        payload["strategy"] = _without_none(
            {
                **stored[0],
                "anomalous": anomalous,
                "wavelength": None if energy is None else wavelength(_float(energy, "energy")),
                "sweeps": stored,
            }
        )
    return _without_none(payload)


def _sweep(sweep: Mapping[str, object]) -> Payload:
    """One proposed sweep (``strategy_sweeps``' item) as a sub-wedge's fields."""
    num_images = _int(sweep["num_images"], "num_images")
    osc_start = _float(sweep["osc_start"], "osc_start")
    osc_range = _float(sweep["osc_range"], "osc_range")
    return {
        "axis_start": osc_start,
        "axis_end": osc_start + osc_range * num_images,
        "osc_range": osc_range,
        "number_of_images": num_images,
        "exposure_time": _float(sweep["exp_time"], "exp_time"),
        "transmission": _float(sweep["transmission"], "transmission"),
        "resolution": _float(sweep["resolution"], "resolution"),
    }


# -- image JPEGs -------------------------------------------------------------------------------
def image_jpegs(collection: Ref, images: Sequence[Mapping[str, object]]) -> Payload:
    """Kind ``image_jpegs``: per image, its number, file and the JPEG and thumbnail
    written of it (``{"number": 1, "file": ".../x_1_00001.cbf", "jpeg": ...,
    "thumbnail": ...}``)."""
    return {
        "collection_id": _ref(collection),
        "images": [
            {
                "image_number": _int(image["number"], "number"),
                "file": str(image["file"]),
                "jpeg": str(image["jpeg"]),
                "thumbnail": str(image["thumbnail"]),
            }
            for image in images
        ],
    }


# -- helpers -----------------------------------------------------------------------------------
def _ref(value: Ref) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    return int(value)


def _without_none(values: Payload) -> Payload:
    return {k: v for k, v in values.items() if v is not None}


def _mapping(value: object) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ValueError(f"expected a mapping, got {type(value).__name__}")
    return value


def _sequence(value: object) -> Sequence[object]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    return value


def _float(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name}: expected a number, got {value!r}")
    return float(value)


def _optional_float(value: object, name: str) -> float | None:
    return None if value is None else _float(value, name)


def _int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise ValueError(f"{name}: expected a whole number, got {value!r}")
    return int(value)


def _text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)
