"""The machinery of node parameters: a field, a type's schema, conversion and checks.

A :class:`Schema` says which fields a node type has: all of
:class:`~mxgui.core.acquisition.AcquisitionParameters` for an acquisition, all of
:class:`~mxgui.core.acquisition.PathTemplate` for a task that writes files (both
converted and checked by ``acquisition.py`` itself), and its own :class:`Field` s.
The schemas of the node types are in ``schemas.py``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import reprlib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mxgui.core.acquisition import (
    SUFFIXES,
    AcquisitionLimits,
    AcquisitionParameters,
    ParameterError,
    PathTemplate,
    is_number,
)
from mxgui.core.centring import CentredPosition
from mxgui.core.data_roots import DataRoots

if TYPE_CHECKING:  # the roles import the queue: the protocol only for annotations
    from mxgui.core.roles.shapes import ShapesRole

ACQUISITION_FIELDS = tuple(f.name for f in dataclasses.fields(AcquisitionParameters))
PATH_FIELDS = tuple(f.name for f in dataclasses.fields(PathTemplate))


@dataclass(frozen=True)
class Field:
    """One parameter: ``kind`` (``float``, ``float?`` for a number or null, ``int``,
    ``int?`` for an integer or null, ``bool``, ``str``, ``str?`` for text or null,
    ``position?`` for a point id / centred position / null, ``object`` for a JSON
    object), its default and what it means; ``label`` and ``unit`` as a user reads
    them; ``choices``: the only values allowed (besides the default), refused at once
    by :func:`convert` when anything else is given."""

    kind: str
    default: Any
    doc: str = ""
    label: str = field(default="", kw_only=True)
    unit: str = field(default="", kw_only=True)
    choices: tuple[str, ...] = field(default=(), kw_only=True)

    def refuses(self, name: str, value: object, choices: tuple[str, ...] = ()) -> str | None:
        """Why ``value`` is not one of ``choices`` (default: the declared ones), or
        ``None`` when it is (or when there is no fixed set, or it is the default)."""
        allowed = choices or self.choices
        if not allowed or value == self.default or value in allowed:
            return None
        return f"{name}: {shown(value)} is not one of {', '.join(allowed)}"


#: how a user reads the acquisition's and the path template's fields: label, unit
_READABLE: dict[str, tuple[str, str]] = {
    "osc_start": ("Oscillation start", "deg"),
    "osc_range": ("Oscillation range", "deg"),
    "num_images": ("Number of images", ""),
    "exp_time": ("Exposure time", "s"),
    "energy": ("Energy", "keV"),
    "transmission": ("Transmission", "%"),
    "resolution": ("Resolution", "Å"),
    "detector_distance": ("Detector distance", "mm"),
    "shutterless": ("Shutterless", ""),
    "first_image": ("First image number", ""),
    "overlap": ("Overlap", "deg"),
    "kappa": ("Kappa", "deg"),
    "kappa_phi": ("Kappa phi", "deg"),
    "num_passes": ("Number of passes", ""),
    "inverse_beam": ("Inverse beam", ""),
    "take_snapshots": ("Snapshots", ""),
    "detector_roi_mode": ("Detector ROI mode", ""),
    "comments": ("Comments", ""),
    "directory": ("Directory", ""),
    "prefix": ("Prefix", ""),
    "run_number": ("Run number", ""),
    "suffix": ("File format", ""),
    "start_num": ("First file number", ""),
    "precision": ("Digits in file numbers", ""),
    "process_directory": ("Processing directory", ""),
}
_DOCS = {
    "detector_distance": "empty: the distance that gives the resolution",
    "detector_roi_mode": "the detector's read-out mode; empty: the one it is in",
    "take_snapshots": "crystal snapshots taken before the collection",
    "suffix": "cbf: one file per image; h5: an HDF5/NeXus master file",
}
#: fields whose values are a fixed set, whatever the beamline
_CHOICES = {"suffix": SUFFIXES}
_DATACLASS_KINDS = {"float | None": "float?"}


def _specs_of(cls: type[AcquisitionParameters] | type[PathTemplate]) -> dict[str, Field]:
    specs = {}
    for f in dataclasses.fields(cls):
        kind = str(f.type)
        label, unit = _READABLE.get(f.name, (f.name, ""))
        specs[f.name] = Field(
            _DATACLASS_KINDS.get(kind, kind),
            f.default,
            _DOCS.get(f.name, ""),
            label=label,
            unit=unit,
            choices=_CHOICES.get(f.name, ()),
        )
    return specs


#: the acquisition's and the path template's fields described as :class:`Field` s
ACQUISITION_SPECS = _specs_of(AcquisitionParameters)
PATH_SPECS = _specs_of(PathTemplate)


@dataclass
class Limits:
    """The live limits a check uses; ``None`` where the beamline gives none.

    ``acquisition`` maps an :class:`AcquisitionParameters` to the limits that apply to
    it (they may depend on its energy and ROI mode).
    """

    acquisition: Callable[[AcquisitionParameters], AcquisitionLimits | None] = (
        lambda _p: AcquisitionLimits()  # no hardware: transmission 0-100 % only
    )
    omega: tuple[float, float] | None = None
    shapes: ShapesRole | None = None  # ids must exist (only where shapes are given)
    #: a ``DataRoots``: ``directory`` and ``process_directory`` must lead inside them
    data_roots: DataRoots | None = None
    #: the values a field may take on this beamline (``detector_roi_mode``: the
    #: detector's modes); a field not named here is not restricted by the beamline
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Schema:
    """The parameters of one node type."""

    type: str
    acquisition: bool = False
    path: bool = False
    own: dict[str, Field] = field(default_factory=dict)
    check: Callable[[dict[str, Any], Limits], list[str]] | None = None
    normalise: Callable[[dict[str, Any]], None] | None = None
    doc: str = ""

    @property
    def field_names(self) -> tuple[str, ...]:
        names: tuple[str, ...] = ()
        if self.acquisition:
            names += ACQUISITION_FIELDS
        if self.path:
            names += PATH_FIELDS
        return names + tuple(self.own)

    @cached_property
    def specs(self) -> dict[str, Field]:
        """Every field (acquisition, path, own) as a :class:`Field`, in schema order."""
        found: dict[str, Field] = {}
        if self.acquisition:
            found.update(ACQUISITION_SPECS)
        if self.path:
            found.update(PATH_SPECS)
        found.update(self.own)
        return found


# conversion ---------------------------------------------------------------------------------
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 2, 80, 80
_SHOWN_TYPES = (str, int, float, bool, type(None), list, tuple, dict, set, frozenset)


def shown(value: object) -> str:
    """``value`` for a message, cut short: a caller's value may be long text or a
    container shared many times over (a jsonpickle py/id), which a full repr would
    walk as a tree. Other objects are named by their type only."""
    if isinstance(value, _SHOWN_TYPES):
        return _REPR.repr(value)
    return f"a {type(value).__name__}"


def _convert_own(name: str, spec: Field, value: object) -> Any:
    kind = spec.kind
    if kind.endswith("?") and value is None:
        return None
    if kind == "float":
        if not is_number(value) or not math.isfinite(value):
            raise ParameterError([f"{name}: expected a finite number, got {shown(value)}"])
        return float(value)
    if kind in ("int", "int?"):
        if not is_number(value) or value != int(value):
            raise ParameterError([f"{name}: expected an integer, got {shown(value)}"])
        return int(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ParameterError([f"{name}: expected true or false, got {shown(value)}"])
        return value
    if kind in ("str", "str?"):
        if not isinstance(value, str):
            raise ParameterError([f"{name}: expected text, got {shown(value)}"])
        return value.strip()
    if kind == "object":
        if not isinstance(value, Mapping):
            raise ParameterError([f"{name}: expected a JSON object, got {shown(value)}"])
        return dict(value)
    if kind == "position?":
        if isinstance(value, str):
            if not re.fullmatch(r"P[1-9][0-9]*", value.strip()):
                raise ParameterError([f"{name}: {shown(value)} is not a point id such as P1"])
            return value.strip()
        if not isinstance(value, Mapping):
            raise ParameterError([f"{name}: expected a point id or a position, got {shown(value)}"])
        try:
            return CentredPosition.from_dict(value).to_dict()
        except ValueError as exc:
            raise ParameterError([f"{name}: {exc}"]) from None
    raise TypeError(f"unsupported field kind {kind!r}")  # a programming error


def split_problem(problem: str, names: Collection[str]) -> tuple[tuple[str, ...], str]:
    """``("start_energy", "end_energy"), "12.6..12.7 keV must contain..."`` from
    ``"EnergyScan: start_energy, end_energy: 12.6..12.7 keV must contain..."``: the
    fields (among ``names``) a problem message is about, and what it says of them.
    A message that names no field gives ``((), problem)``.

    Every check names its fields first (``[Type: ]field[, field]: text``); this is the
    one place that reads that convention back.
    """
    head, _sep, rest = problem.partition(": ")
    for _attempt in range(2):  # the node type in front, or not
        fields = tuple(part.strip() for part in head.split(","))
        if rest and all(field in names for field in fields):
            return fields, rest
        head, _sep, rest = rest.partition(": ")
    return (), problem


def unknown_field_message(key: object, known: tuple[str, ...]) -> str:
    """``unknown field 'osc_rnage' (did you mean osc_range?)``."""
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f"did you mean {close[0]}?" if close else f"known: {', '.join(sorted(known))}"
    return f"unknown field {key!r} ({hint})"


def convert(schema: Schema, params: Mapping[str, Any], complete: bool) -> dict[str, Any]:
    """``params`` converted to the plain types of ``schema``'s fields.

    With ``complete`` every field is in the result (defaults for those not given);
    otherwise only those given. Raises :class:`ParameterError` listing every unknown
    field and every value of the wrong type.
    """
    if not isinstance(params, Mapping):
        raise ParameterError([f"parameters must be a JSON object, got {type(params).__name__}"])
    problems: list[str] = []
    known = schema.field_names
    for key in params:
        if key not in known:
            problems.append(unknown_field_message(key, known))
    result: dict[str, Any] = {}
    for group, cls in ((schema.acquisition, AcquisitionParameters), (schema.path, PathTemplate)):
        if not group:
            continue
        names = ACQUISITION_FIELDS if cls is AcquisitionParameters else PATH_FIELDS
        given = {k: params[k] for k in names if k in params}
        try:
            values = cls.from_dict(given).to_dict()
        except ParameterError as exc:
            problems.extend(exc.problems)
            continue
        result.update(values if complete else {k: values[k] for k in given})
    for name, spec in schema.own.items():
        if name in params:
            try:
                result[name] = _convert_own(name, spec, params[name])
            except ParameterError as exc:
                problems.extend(exc.problems)
        elif complete:
            default = spec.default
            result[name] = dict(default) if isinstance(default, dict) else default
    specs = schema.specs
    for name, value in result.items():
        refused = specs[name].refuses(name, value)
        if refused is not None:
            problems.append(refused)
    if problems:
        raise ParameterError(problems)
    if schema.normalise is not None:
        schema.normalise(result)
    return result


def _outside_roots(path: PathTemplate, roots: DataRoots, known: list[str]) -> list[str]:
    """The directories of ``path`` that lead outside ``roots`` (links followed); one
    already found wrong (``known``: empty, relative...) is not reported twice."""
    found = []
    for name in ("directory", "process_directory"):
        value = getattr(path, name)
        if not value or any(problem.startswith(f"{name}:") for problem in known):
            continue
        try:
            roots.check(value, name)
        except ValueError as exc:
            found.append(str(exc))
    return found


#: the longest file prefix: a file name holds 255 bytes, with ``_<run>_<number>.<suffix>``
MAX_PREFIX_CHARS = 100
#: the longest text any parameter holds (a path: Linux's PATH_MAX)
MAX_TEXT_CHARS = 4096


def _too_long(values: Mapping[str, Any]) -> list[str]:
    """A message for each text value over its bound (they are kept in the queue file)."""
    found = []
    for name, value in values.items():
        limit = MAX_PREFIX_CHARS if name == "prefix" else MAX_TEXT_CHARS
        if isinstance(value, str) and len(value) > limit:
            why = " (it makes file names)" if name == "prefix" else ""
            found.append(
                f"{name}: {len(value)} characters, over the limit of {limit}{why}: {shown(value)}"
            )
    return found


def problems(schema: Schema, values: dict[str, Any], limits: Limits) -> list[str]:
    """Everything wrong with complete, converted ``values``, one message per problem."""
    found: list[str] = _too_long(values)
    specs = schema.specs
    for name, allowed in limits.choices.items():
        spec = specs.get(name)
        refused = spec.refuses(name, values[name], tuple(allowed)) if spec else None
        if refused is not None:
            found.append(refused)
    acquisition = None
    if schema.acquisition:
        acquisition = AcquisitionParameters(**{k: values[k] for k in ACQUISITION_FIELDS})
        found.extend(acquisition.problems(limits.acquisition(acquisition)))
    if schema.path:
        path = PathTemplate(**{k: values[k] for k in PATH_FIELDS})
        path_problems = path.problems(acquisition.num_images if acquisition else None)
        found.extend(path_problems)
        if limits.data_roots is not None:
            found.extend(_outside_roots(path, limits.data_roots, path_problems))
    if schema.check is not None:
        found.extend(schema.check(values, limits))
    return found
