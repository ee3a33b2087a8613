"""Task parameters: defaults from the beamline, validation against its live limits,
and docs/contracts.md's ``task_json``.

The beamline is reached through a small interface, :class:`BeamlineDefaults`, which the
collect hardware object already implements (``get_acquisition_limits``,
``get_default_acquisition_parameters``, ``get_default_path_template``).
:class:`CollectDefaults` wraps a collect and adds two optional refinements: the limits
that apply to a task's own energy and detector ROI mode (the resolution limits at the
energy the task will use, not the current one), and the omega range.

Typical use (the toolbox, XML-RPC)::

    factory = TaskFactory(CollectDefaults(collect), shapes)
    model = QueueModel(validator=factory.validate)
    spec = task_from_json(task_json)                 # type, parameters given
    params = factory.create(spec.type, spec.parameters, sample=sample_node.parameters)
    node_id = model.add(sample_id, spec.type, params)
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from mxgui.core.acquisition import (
    AcquisitionLimits,
    AcquisitionParameters,
    ParameterError,
    PathTemplate,
)
from mxgui.core.data_roots import DataRoots
from mxgui.core.queue import schemas
from mxgui.core.queue.nodes import NODE_TYPES, SAMPLE, TASK_GROUP, TASK_TYPES
from mxgui.core.queue.schemas import EDGES, ENERGY_SCAN_HALF_WIDTH, Limits, schema_of
from mxgui.core.roles.actuators import MotorRole
from mxgui.core.roles.collect import CollectRole
from mxgui.core.roles.shapes import ShapesRole
from mxgui.core.shapes import Grid

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: h*c in keV*Angstrom (docs/domain.md: lambda = 12.3984 / E)
HC_KEV_ANGSTROM = 12.3984
#: reference images of a characterisation (the issue's "4 images 90 degrees apart")
CHARACTERISATION_DEFAULTS = {"num_images": 4, "osc_range": 1.0, "angle_step": 90.0}


@runtime_checkable
class BeamlineDefaults(Protocol):
    """Where task defaults and live limits come from (the collect hardware object).

    Optional methods, used when present: ``get_acquisition_limits_for(parameters)``
    (the limits for those parameters: their energy, their ROI mode),
    ``get_omega_limits()``, ``get_default_prefix(sample_name, acronym)``,
    ``get_data_roots()`` (where ``directory`` and ``process_directory`` may lead) and
    ``get_choices()`` (``{field: allowed values}`` the beamline decides, e.g. the
    detector's ROI modes).
    """

    def get_acquisition_limits(self) -> AcquisitionLimits: ...

    def get_default_acquisition_parameters(self) -> AcquisitionParameters: ...

    def get_default_path_template(self, sub_dir: str = "", prefix: str = "") -> PathTemplate: ...


class CollectDefaults:
    """:class:`BeamlineDefaults` of a collect hardware object, with the optional methods.

    Parameters
    ----------
    collect
        The object of the ``collect`` role (an ``AbstractCollect``: its ``detector``,
        ``resolution``, ``diffractometer`` and ``session`` parts are used), as the
        repository gives it; ``TypeError`` unless it is a :class:`CollectRole`.
    """

    def __init__(self, collect: object) -> None:
        # checked here, where a configured object becomes a typed role
        if not isinstance(collect, CollectRole):
            raise TypeError(f"{collect!r} is not a collect object (CollectRole)")
        self.collect: CollectRole = collect

    def get_acquisition_limits(self) -> AcquisitionLimits:
        """The collect's limits now (resolution at the current energy)."""
        return self.collect.get_acquisition_limits()

    def get_acquisition_limits_for(self, params: AcquisitionParameters) -> AcquisitionLimits:
        """The limits for ``params``: the exposure range of its ROI mode, the resolution
        range at its energy (none when it sets the detector distance), as the collect
        will check them after setting the energy and the ROI mode."""
        limits = self.collect.get_acquisition_limits()
        detector = self.collect.detector
        mode = params.detector_roi_mode
        if mode and mode != detector.get_roi_mode() and limits.exp_time is not None:
            try:
                roi = detector.get_roi(mode)
            except (KeyError, ValueError):
                pass  # an unknown mode: the collect names it when the task runs
            else:
                low = roi.min_exposure_time or detector.get_property("exposure_time_min")
                limits.exp_time = (low, limits.exp_time[1])
        if params.detector_distance is not None:
            limits.resolution = None
        elif params.energy > 0:
            wavelength = HC_KEV_ANGSTROM / params.energy
            resolution = self.collect.resolution
            try:
                ends = [
                    resolution.resolution_at(d, wavelength)
                    for d in detector.get_distance_motor().get_limits()
                ]
            except ValueError:
                pass  # keep the limits at the current energy
            else:
                limits.resolution = (min(ends), max(ends))
        return limits

    def get_choices(self) -> dict[str, tuple[str, ...]]:
        """The values the beamline allows for fields whose set it decides: the
        detector's ROI modes for ``detector_roi_mode``."""
        modes = getattr(self.collect.detector, "get_roi_modes", None)
        return {"detector_roi_mode": tuple(str(m) for m in modes())} if modes else {}

    def get_omega_limits(self) -> tuple[float, float]:
        """The omega motor's range, degrees."""
        motor = self.collect.diffractometer.get_motor("phi")
        if not isinstance(motor, MotorRole):
            raise ValueError(f"the diffractometer's phi is not a motor: {motor!r}")
        return motor.get_limits()

    def get_default_acquisition_parameters(self) -> AcquisitionParameters:
        return self.collect.get_default_acquisition_parameters()

    def get_default_path_template(self, sub_dir: str = "", prefix: str = "") -> PathTemplate:
        return self.collect.get_default_path_template(sub_dir=sub_dir, prefix=prefix)

    def get_default_prefix(self, sample_name: str = "", acronym: str = "") -> str:
        return self.collect.session.get_default_prefix(sample_name, acronym)

    def get_data_roots(self) -> DataRoots:
        """Where a task's ``directory`` and ``process_directory`` may lead: the
        session's data roots."""
        return self.collect.session.get_data_roots()

    def get_bytes_per_image(self) -> float:
        """An image's size estimate: 1.1 bytes per pixel of the current ROI mode (a CBF;
        the simulated beamline's HDF5, bitshuffle-LZ4, takes about half that)."""
        detector = self.collect.detector
        return detector.get_width() * detector.get_height() * 1.1


@dataclass(frozen=True)
class TaskSpec:
    """A node as ``task_json`` describes it: its type, the parameters given (converted
    to plain types, not yet completed with defaults) and an optional name."""

    type: str
    parameters: dict[str, Any]
    name: str | None = None


def task_from_json(data: str | bytes | Mapping[str, Any]) -> TaskSpec:
    """Parse docs/contracts.md's ``task_json``: ``{"type": ..., "parameters": {...}}``.

    ``data`` is the object itself (an XML-RPC struct) or the same object encoded in a
    JSON string. ``Sample`` and ``TaskGroup`` are accepted as well as the task types.

    Raises
    ------
    ParameterError
        naming what is wrong: not JSON (with line and column), not an object, unknown
        or missing type, unknown keys or fields (with the closest known name), values
        of the wrong type.
    """
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ParameterError(
                [f"task_json: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]
            ) from None
    if not isinstance(data, Mapping):
        raise ParameterError([f"task_json: expected an object, got {type(data).__name__}"])
    unknown = sorted(str(k) for k in data if k not in ("type", "parameters", "name"))
    if unknown:
        raise ParameterError(
            [f"task_json: unknown key(s) {', '.join(unknown)} (expected type, parameters, name)"]
        )
    node_type = data.get("type")
    if node_type not in NODE_TYPES:
        raise ParameterError(
            [f"task_json: type {node_type!r} is not one of {', '.join(NODE_TYPES)}"]
        )
    parameters = data.get("parameters", {})
    if parameters is None:
        parameters = {}
    if not isinstance(parameters, Mapping):
        raise ParameterError([f"task_json: parameters must be an object, got {parameters!r}"])
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise ParameterError([f"task_json: name must be text, got {name!r}"])
    try:
        converted = schemas.convert(schema_of(node_type), parameters, complete=False)
    except ParameterError as exc:
        raise ParameterError([f"task_json: {node_type}: {p}" for p in exc.problems]) from None
    return TaskSpec(node_type, converted, name)


class TaskFactory:
    """Defaults and validation of node parameters against the live beamline.

    Parameters
    ----------
    defaults
        The beamline (a :class:`BeamlineDefaults`); ``None``: static defaults and no
        limits beyond the physical ones (num_images >= 1, transmission 0-100...).
    shapes
        The mounted sample's ``ShapesModel``; when given, point, line and grid ids must
        exist (and a mesh scan's ``num_images`` must match its grid). With a
        ``holds(location) -> bool`` method (``hardware_objects.sample_shapes``), the
        ids of a task are checked only when the shapes are those of the task's own
        sample: a reference to another sample's P1 is checked when that sample is
        mounted (the engine checks again after mounting it), so the task stays
        editable and runnable meanwhile.
    """

    def __init__(
        self, defaults: BeamlineDefaults | None = None, shapes: ShapesRole | None = None
    ) -> None:
        self.defaults = defaults
        self.shapes = shapes

    # validation -------------------------------------------------------------------------------
    def shapes_of(self, sample: Mapping[str, object] | None) -> ShapesRole | None:
        """The shapes a task of ``sample`` refers to (see :func:`shapes_of_sample`)."""
        return shapes_of_sample(self.shapes, sample)

    def limits(self, sample: Mapping[str, object] | None = None) -> Limits:
        """The limits now (read from the hardware at each call: they are live), for a
        node of ``sample`` (the sample's parameters; see :meth:`shapes_of`).

        A hardware object that fails to answer is logged and its limits are not
        checked: a broken detector must not stop the user editing the queue (the
        collect checks again before it starts).
        """
        shapes = self.shapes_of(sample)
        provider = self.defaults
        if provider is None:
            return Limits(shapes=shapes)
        omega = _safely(getattr(provider, "get_omega_limits", None))
        roots = _safely(getattr(provider, "get_data_roots", None))
        choices = _safely(getattr(provider, "get_choices", None)) or {}
        for_params = getattr(provider, "get_acquisition_limits_for", None)
        if for_params is not None:

            def acquisition(params: AcquisitionParameters) -> AcquisitionLimits | None:
                return _safely(lambda: for_params(params))

        else:
            base = _safely(provider.get_acquisition_limits)

            def acquisition(params: AcquisitionParameters) -> AcquisitionLimits | None:
                if base is None or params.detector_distance is None:
                    return base
                return dataclasses.replace(base, resolution=None)  # the distance rules

        return Limits(acquisition, omega, shapes, roots, choices)

    def problems(
        self,
        node_type: str,
        parameters: Mapping[str, Any],
        sample: Mapping[str, object] | None = None,
    ) -> list[str]:
        """Everything wrong with ``parameters`` (missing ones take static defaults)."""
        try:
            self.validate(node_type, parameters, sample)
        except ParameterError as exc:
            return exc.problems
        return []

    def validate(
        self,
        node_type: str,
        parameters: Mapping[str, Any],
        sample: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        """``parameters`` complete (static defaults for the missing ones), converted and
        checked against the live limits; the model's ``validator``. ``sample``: the
        parameters of the node's sample (shape ids are checked while its shapes are
        shown, see :meth:`shapes_of`).

        Raises
        ------
        ParameterError
            listing every problem, each naming the field, the value and the limit.
        """
        schema = schema_of(node_type)
        try:
            values = schemas.convert(schema, parameters, complete=True)
            found = schemas.problems(schema, values, self.limits(sample))
        except ParameterError as exc:
            found = exc.problems
        if found:
            raise ParameterError([f"{node_type}: {problem}" for problem in found])
        return values

    # defaults ---------------------------------------------------------------------------------
    def defaults_for(
        self, node_type: str, sample: Mapping[str, object] | None = None
    ) -> dict[str, Any]:
        """Complete parameters for a new node of ``node_type`` under ``sample`` (the
        sample node's parameters: its name and acronym make the prefix and the
        sub-directory), from the beamline as it is now.

        ``ParameterError`` when the sample's name cannot make a directory.
        """
        schema = schema_of(node_type)
        values = schemas.convert(schema, {}, complete=True)
        if node_type in (SAMPLE, TASK_GROUP) or self.defaults is None:
            return values
        name = str((sample or {}).get("name") or "")
        acronym = str((sample or {}).get("protein_acronym") or "")
        prefix = self._prefix(name, acronym)
        if node_type == "Characterisation":
            prefix = f"ref-{prefix}"
        sub_dir = "/".join(part for part in (acronym, name) if part)
        try:
            path = self.defaults.get_default_path_template(sub_dir=sub_dir, prefix=prefix)
        except ValueError as exc:  # a sample name that is no directory name
            raise ParameterError([f"{node_type}: directory: {exc}"]) from None
        values.update({k: v for k, v in path.to_dict().items() if k in values})
        if schema.acquisition:
            acquisition = self.defaults.get_default_acquisition_parameters().to_dict()
            values.update(acquisition)
        if node_type == "Characterisation":
            values.update(CHARACTERISATION_DEFAULTS)
        elif node_type in ("MeshScan", "XrayCentring"):
            values["num_images"] = 1
        return values

    def _prefix(self, name: str, acronym: str) -> str:
        default_prefix = getattr(self.defaults, "get_default_prefix", None)
        if default_prefix is not None:
            prefix: str = default_prefix(name, acronym)
            return prefix
        if acronym and name:
            return f"{acronym}-{name}"
        return name or acronym or "data"

    def create(
        self,
        node_type: str,
        parameters: Mapping[str, Any] | None = None,
        sample: Mapping[str, object] | None = None,
    ) -> dict[str, Any]:
        """:meth:`defaults_for` overridden by ``parameters``, validated.

        A mesh scan's ``num_images`` and ``scan_order`` follow its grid, and an energy
        scan's range its edge, unless given.
        """
        given = dict(parameters or {})
        values = self.defaults_for(node_type, sample)
        shapes = self.shapes_of(sample)
        if node_type == "MeshScan" and shapes is not None and given.get("grid_id"):
            try:
                grid = shapes.get(given["grid_id"])
            except KeyError:
                grid = None  # validation names the missing grid
            if isinstance(grid, Grid):
                values["num_images"] = grid.num_cells
                values["scan_order"] = grid.scan_order
        if node_type == "EnergyScan":
            edge = EDGES.get(
                (given.get("element", values["element"]), given.get("edge", values["edge"]))
            )
            if edge is not None:
                values["start_energy"] = round(edge - ENERGY_SCAN_HALF_WIDTH, 4)
                values["end_energy"] = round(edge + ENERGY_SCAN_HALF_WIDTH, 4)
        values.update(given)
        return self.validate(node_type, values, sample)


def shapes_of_sample(
    shapes: ShapesRole | None, sample: Mapping[str, object] | None
) -> ShapesRole | None:
    """``shapes`` (a ``ShapesModel``, or ``None``) when they are those of ``sample`` (a
    sample node's parameters; ``None``: not known), else ``None``: the ids a task of
    another sample names are not looked up in them. Shapes without a
    ``holds(location)`` method are taken to be every sample's."""
    holds = getattr(shapes, "holds", None)
    if sample is None or holds is None or holds(sample.get("location")):
        return shapes
    return None


def _safely(call: Callable[[], _T] | None) -> _T | None:
    """``call()``, or ``None`` (logged) when it is ``None`` or fails."""
    if call is None:
        return None
    try:
        return call()
    except Exception as exc:  # a broken hardware object must not stop editing
        log.warning("beamline limits unavailable (%s); not checked", exc)
        return None


def check_parameters(
    node_type: str, parameters: Mapping[str, Any], sample: Mapping[str, object] | None = None
) -> dict[str, Any]:
    """Validate without a beamline: types, unknown fields, physical limits only."""
    return TaskFactory().validate(node_type, parameters, sample)


__all__ = [
    "BeamlineDefaults",
    "CollectDefaults",
    "TASK_TYPES",
    "TaskFactory",
    "TaskSpec",
    "check_parameters",
    "shapes_of_sample",
    "task_from_json",
]
