"""What every step of a workflow works with: the GUI and the inputs the GUI gave.

The workflow client gives every node of a graph the same inputs (README.md):
``sample_node_id``, ``workflow_node_id``, ``tasks_parent_id``, ``sample_location``,
``directory``, ``prefix``, ``run_number``, ``shape_id`` ("" for none) and
``workflow_parameters`` (a dict the user or the queue set). :class:`StepContext` holds
them, checked, with the :class:`Gui`.
"""

from __future__ import annotations

import math
import xmlrpc.client
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mxwf.client import Gui, WorkflowError, connect

#: the inputs every workflow node may declare
COMMON_INPUTS = (
    "sample_node_id",
    "workflow_node_id",
    "tasks_parent_id",
    "sample_location",
    "directory",
    "prefix",
    "run_number",
    "shape_id",
    "workflow_parameters",
)
#: motors a position dict may carry to move_diffractometer
MOTORS = ("phi", "phiy", "phiz", "sampx", "sampy", "kappa", "kappa_phi")


@dataclass
class StepContext:
    """The GUI, the sample node tasks go under, where data go, and the parameters."""

    gui: Gui
    sample_node_id: int
    directory: str
    prefix: str
    run_number: int = 1
    shape_id: str = ""
    workflow_node_id: int | None = None
    tasks_parent_id: int | None = None
    sample_location: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def tasks_parent(self) -> int:
        """The queue node the tasks this workflow adds go under: ``tasks_parent_id``
        (its Workflow node: they are nested under it), else the sample."""
        return self.tasks_parent_id if self.tasks_parent_id is not None else self.sample_node_id

    @classmethod
    def from_inputs(cls, inputs: Mapping[str, Any], gui: Gui | None = None) -> StepContext:
        """From a node's inputs (missing optional ones take their defaults); a
        ``WorkflowError`` names a missing or bad input."""
        for name in ("sample_node_id", "directory", "prefix"):
            if inputs.get(name) in (None, ""):
                raise WorkflowError(f"workflow input {name!r} is missing")
        params = inputs.get("workflow_parameters") or {}
        if not isinstance(params, Mapping):
            raise WorkflowError(
                f"workflow input 'workflow_parameters' must be a dict, got {params!r}"
            )
        workflow_node = inputs.get("workflow_node_id")
        tasks_parent = inputs.get("tasks_parent_id")
        try:
            return cls(
                gui=gui if gui is not None else connect(),
                sample_node_id=int(inputs["sample_node_id"]),
                directory=str(inputs["directory"]),
                prefix=str(inputs["prefix"]),
                run_number=int(inputs.get("run_number") or 1),
                shape_id=str(inputs.get("shape_id") or ""),
                workflow_node_id=None if workflow_node in (None, "") else int(workflow_node),
                tasks_parent_id=None if tasks_parent in (None, "") else int(tasks_parent),
                sample_location=str(inputs.get("sample_location") or ""),
                # None (a field left empty, e.g. detector_distance) is "not set"
                parameters={str(k): v for k, v in params.items() if v is not None},
            )
        except (TypeError, ValueError) as exc:
            raise WorkflowError(f"workflow inputs: {exc}") from None

    # parameters -------------------------------------------------------------------------------
    def number(self, name: str, default: float, minimum: float = 0.0) -> float:
        """Workflow parameter ``name`` as a number > ``minimum`` (``default`` when unset)."""
        value = self.parameters.get(name, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise WorkflowError(f"workflow parameter {name}: {value!r} is not a number") from None
        if not (math.isfinite(number) and number > minimum):
            raise WorkflowError(f"workflow parameter {name}: {value!r} must be above {minimum:g}")
        return number

    def integer(self, name: str, default: int, minimum: int = 1) -> int:
        """Workflow parameter ``name`` as a whole number >= ``minimum``."""
        value = self.parameters.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise WorkflowError(f"workflow parameter {name}: {value!r} is not a whole number")
        try:
            number = int(value)
        except ValueError:
            raise WorkflowError(
                f"workflow parameter {name}: {value!r} is not a whole number"
            ) from None
        if number != float(value) or number < minimum:
            raise WorkflowError(
                f"workflow parameter {name}: {value!r} must be a whole number >= {minimum}"
            )
        return number

    def flag(self, name: str, default: bool = False) -> bool:
        """Workflow parameter ``name`` as a boolean (true/false, yes/no, 1/0)."""
        value = self.parameters.get(name, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "yes", "1", "on"):
            return True
        if isinstance(value, str) and value.strip().lower() in ("false", "no", "0", "off", ""):
            return False
        raise WorkflowError(f"workflow parameter {name}: {value!r} is not true or false")

    def task_parameters(self, prefix_marker: str = "", **overrides: object) -> dict[str, Any]:
        """Path and acquisition fields for a task this workflow adds: the workflow's
        directory, prefix (with ``prefix_marker`` in front, e.g. ``mesh-``) and run
        number, then ``exp_time`` / ``transmission`` / ``energy`` / ``resolution`` /
        ``detector_distance`` / ``take_snapshots`` / ``detector_roi_mode`` when the
        workflow parameters set them, then ``overrides``."""
        values: dict[str, Any] = {
            "directory": self.directory,
            "prefix": f"{prefix_marker}{self.prefix}",
            "run_number": self.run_number,
        }
        for name in ("exp_time", "transmission", "energy", "resolution", "detector_distance"):
            if name in self.parameters:
                values[name] = self.number(name, 0.0)
        if "take_snapshots" in self.parameters:
            values["take_snapshots"] = self.integer("take_snapshots", 0, minimum=0)
        if "detector_roi_mode" in self.parameters:
            values["detector_roi_mode"] = str(self.parameters["detector_roi_mode"])
        values.update(overrides)
        return values

    # diffractometer --------------------------------------------------------------------------
    def positions(self) -> dict[str, float]:
        """The diffractometer's motor positions now."""
        return {str(k): v for k, v in dict(self.gui.get_diffractometer_positions()).items()}

    def move(self, position: Mapping[str, Any], what: str) -> None:
        """Move the diffractometer to ``position`` (its known motors only)."""
        target = {
            m: float(position[m])
            for m in MOTORS
            if isinstance(position.get(m), (int, float)) and not isinstance(position[m], bool)
        }
        if not target:
            raise WorkflowError(f"{what}: no motor position in {dict(position)!r}")
        try:
            self.gui.move_diffractometer(target)
        except (xmlrpc.client.Fault, OSError) as exc:
            raise WorkflowError(f"{what}: the move failed: {exc}") from None
