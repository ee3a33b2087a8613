"""How the parameter form shows each field: label, unit, editor, decimals, range.

The core schema (``mxgui.core.queue.schemas``) says what a field is (kind, default,
label, unit, the fixed set of its values); this module adds what only a form needs:
which fields come first, how many decimals a number shows, the range of a number
when the beamline gives none, the words for each choice, and which fields pick a
shape of the sample.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from mxgui.core.acquisition import AcquisitionLimits
from mxgui.core.queue.fields import Field
from mxgui.core.queue.nodes import thaw
from mxgui.core.queue.schemas import schema_of
from mxgui.core.shapes import Grid, Line, Point, Shape

#: the fields a user changes most, shown first (in this order)
MAIN_FIELDS = (
    "osc_start",
    "osc_range",
    "num_images",
    "exp_time",
    "transmission",
    "resolution",
    "energy",
    "detector_distance",
    "prefix",
    "run_number",
)
#: fields whose range is the beamline's live limit of the same name
LIVE_LIMITS = tuple(AcquisitionLimits.UNITS)
#: energy-scan fields bounded by the energy's live limits
ENERGY_LIKE = ("start_energy", "end_energy")
#: decimals a number shows (3 where not named)
DECIMALS = {
    "osc_start": 2,
    "osc_range": 3,
    "overlap": 3,
    "kappa": 2,
    "kappa_phi": 2,
    "exp_time": 5,
    "energy": 4,
    "start_energy": 4,
    "end_energy": 4,
    "transmission": 1,
    "resolution": 2,
    "detector_distance": 1,
    "angle_step": 1,
    "step_ev": 2,
    "count_time": 3,
}
#: the range of a number the beamline does not bound (its physical rule)
STATIC_RANGES: dict[str, tuple[float, float]] = {
    "osc_start": (-100_000.0, 100_000.0),
    "osc_range": (0.0, 360.0),
    "overlap": (0.0, 360.0),
    "kappa": (-360.0, 360.0),
    "kappa_phi": (-360.0, 360.0),
    "exp_time": (0.0, 100_000.0),
    "energy": (0.001, 1_000.0),
    "transmission": (0.0, 100.0),
    "resolution": (0.01, 1_000.0),
    "detector_distance": (0.0, 100_000.0),
    "num_images": (1, 10_000_000),
    "first_image": (1, 10_000_000),
    "num_passes": (1, 1_000),
    "take_snapshots": (0, 100),
    "run_number": (1, 1_000_000),
    "start_num": (0, 10_000_000),
    "precision": (1, 9),
    "angle_step": (0.0, 360.0),
    "start_energy": (0.001, 1_000.0),
    "end_energy": (0.001, 1_000.0),
    "step_ev": (0.0, 10_000.0),
    "count_time": (0.0, 10_000.0),
    "lims_sample_id": (1, 2_000_000_000),
}
#: units of a type's own fields the schema does not give
EXTRA_UNITS = {"angle_step": "deg"}
#: what a user reads for a choice (the value itself where not named)
CHOICE_TEXT = {
    "centring": {
        "manual": "3 clicks, unless centred on this mount",
        "recentre": "3 clicks, always",
        "none": "none",
        "point": "a saved point",
    },
    "suffix": {"cbf": "CBF", "h5": "HDF5 (NeXus)"},
}
#: fields that pick a shape of the sample: the kinds they take, and the words for none
SHAPE_FIELDS: dict[str, tuple[tuple[type[Shape], ...], str]] = {
    "centred_position": ((Point,), "current position"),
    "helical_start": ((Point,), "none (not helical)"),
    "helical_end": ((Point,), "none (not helical)"),
    "point_id": ((Point,), "none"),
    "grid_id": ((Grid,), "none"),
    "shape_id": ((Grid, Line), "automatic"),
}
#: fields whose set of values the beamline gives (the core's ``Limits.choices``)
LIVE_CHOICES = {"detector_roi_mode": "as the detector is"}


@dataclass(frozen=True)
class FormField:
    """One field as the form shows it. ``editor``: ``number``, ``integer``,
    ``choice``, ``shape``, ``check`` or ``text``."""

    name: str
    spec: Field
    editor: str
    label: str
    unit: str
    decimals: int = 3

    @property
    def optional(self) -> bool:
        return self.spec.kind.endswith("?")

    @property
    def tip(self) -> str:
        """The tooltip: the internal name, then what it means."""
        doc = self.spec.doc
        kind = self.spec.kind.rstrip("?") + (", may be empty" if self.optional else "")
        return f"{self.name} ({kind})" + (f": {doc}" if doc else "")


def _editor_of(name: str, spec: Field) -> str:
    if name in SHAPE_FIELDS:
        return "shape"
    if spec.choices or name in LIVE_CHOICES:
        return "choice"
    base = spec.kind.rstrip("?")
    if base == "float":
        return "number"
    if base == "int":
        return "integer"
    if base == "bool":
        return "check"
    return "text"  # str, object, position? of a field not listed above


def human(name: str) -> str:
    """``angle_step`` -> ``Angle step``: a label for a field the schema does not name."""
    return name.replace("_", " ").capitalize()


def form_fields(node_type: str) -> dict[str, FormField]:
    """Every field of ``node_type`` as the form shows it, in schema order."""
    found = {}
    for name, spec in schema_of(node_type).specs.items():
        found[name] = FormField(
            name,
            spec,
            _editor_of(name, spec),
            spec.label if spec.label and spec.label != name else human(name),
            spec.unit or EXTRA_UNITS.get(name, ""),
            DECIMALS.get(name, 3),
        )
    return found


def format_value(kind: str, value: object) -> str:
    """The text a field shows for ``value`` (a node's read-only mappings included)."""
    if value is None:
        return ""
    if kind in ("object", "position?") and not isinstance(value, str):
        return json.dumps(thaw(value), separators=(", ", ": "))
    if isinstance(value, float):
        return format(value, ".10g")
    return str(value)


def parse_text(name: str, kind: str, text: str) -> object:
    """``text`` of a text field as a value of ``kind``; ``ValueError`` naming the field."""
    text = text.strip()
    if kind.endswith("?") and not text:
        return None
    base = kind.rstrip("?")
    if base == "object" or (base == "position" and text.startswith("{")):
        try:
            value = json.loads(text or "{}")
        except ValueError as exc:
            raise ValueError(f"{name}: not a JSON object ({exc})") from None
        if not isinstance(value, dict):
            raise ValueError(f'{name}: expected a JSON object such as {{"a": 1}}')
        return value
    return text


def parse_number(name: str, text: str, integer: bool) -> float | int:
    """A number typed into a spin box (outside its range, so the model names the
    limit); ``ValueError`` naming the field when it is no number."""
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"{name}: {text!r} is not {kind}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name}: {text!r} is not a finite number")
    return value


def reason_for(name: str, message: str) -> str:
    """What ``message`` (the model's, all problems joined by ``; ``) says about field
    ``name``, without the node type and the field name in front."""
    parts = [part for part in message.split("; ") if f"{name}: " in part]
    if not parts:
        return message
    return "; ".join(part.split(f"{name}: ", 1)[1] for part in parts)
