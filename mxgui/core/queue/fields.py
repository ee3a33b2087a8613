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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

from mxgui.core.acquisition import (
    AcquisitionLimits,
    AcquisitionParameters,
    ParameterError,
    PathTemplate,
)
from mxgui.core.centring import CentredPosition
from mxgui.core.data_roots import DataRoots

if TYPE_CHECKING:  # the roles import the queue: the protocol only for annotations
    from mxgui.core.roles.shapes import ShapesRole

ACQUISITION_FIELDS = tuple(f.name for f in dataclasses.fields(AcquisitionParameters))
PATH_FIELDS = tuple(f.name for f in dataclasses.fields(PathTemplate))


@dataclass(frozen=True)
class Field:
    """One parameter of a type's own: ``kind`` (``float``, ``int``, ``int?`` for an
    integer or null, ``bool``, ``str``, ``str?`` for text or null, ``position?`` for a
    point id / centred position / null, ``object`` for a JSON object), its default and
    what it means."""

    kind: str
    default: Any
    doc: str = ""


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


# conversion ---------------------------------------------------------------------------------
def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _convert_own(name: str, spec: Field, value: object) -> Any:
    kind = spec.kind
    if kind.endswith("?") and value is None:
        return None
    if kind == "float":
        if not _number(value) or not math.isfinite(value):
            raise ParameterError([f"{name}: expected a finite number, got {value!r}"])
        return float(value)
    if kind in ("int", "int?"):
        if not _number(value) or value != int(value):
            raise ParameterError([f"{name}: expected an integer, got {value!r}"])
        return int(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ParameterError([f"{name}: expected true or false, got {value!r}"])
        return value
    if kind in ("str", "str?"):
        if not isinstance(value, str):
            raise ParameterError([f"{name}: expected text, got {value!r}"])
        return value.strip()
    if kind == "object":
        if not isinstance(value, Mapping):
            raise ParameterError([f"{name}: expected a JSON object, got {value!r}"])
        return dict(value)
    if kind == "position?":
        if isinstance(value, str):
            if not re.fullmatch(r"P[1-9][0-9]*", value.strip()):
                raise ParameterError([f"{name}: {value!r} is not a point id such as P1"])
            return value.strip()
        if not isinstance(value, Mapping):
            raise ParameterError([f"{name}: expected a point id or a position, got {value!r}"])
        try:
            return CentredPosition.from_dict(value).to_dict()
        except ValueError as exc:
            raise ParameterError([f"{name}: {exc}"]) from None
    raise TypeError(f"unsupported field kind {kind!r}")  # a programming error


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


def problems(schema: Schema, values: dict[str, Any], limits: Limits) -> list[str]:
    """Everything wrong with complete, converted ``values``, one message per problem."""
    found: list[str] = []
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
