"""The ewoks tasks of the shipped workflows (``task_identifier`` ``mxwf.tasks.<Class>``).

Every task declares the common inputs the workflow client gives every node
(:data:`mxwf.context.COMMON_INPUTS`), builds a :class:`~mxwf.context.StepContext`
and runs one step; the work itself is in ``centring``, ``mesh`` and ``collection``.
A step that cannot go on raises :class:`~mxwf.client.WorkflowError` with a message
for the user: the run ends failed with it and that step named.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mxwf.analysis import beam_size, cells_for
from mxwf.context import COMMON_INPUTS, StepContext

if TYPE_CHECKING:  # ewokscore has no types: what these tasks use of its Task, typed

    class _Variables:
        """``Task.inputs`` / ``Task.outputs``: one attribute per declared name, holding
        whatever the graph passes (a workflow's values are plain data of any shape)."""

        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: object) -> None: ...

    class Task:
        """What ``ewokscore.Task`` offers the tasks here."""

        inputs: _Variables
        outputs: _Variables

        def __init_subclass__(
            cls,
            *,
            register: bool = True,
            input_names: Sequence[str] = (),
            optional_input_names: Sequence[str] = (),
            output_names: Sequence[str] = (),
        ) -> None: ...

        def get_input_value(self, name: str, default: object = None) -> object: ...

else:
    from ewokscore import Task

#: mesh size when the MeshScan workflow draws its own grid, mm
MESH_WIDTH_MM = 0.4
MESH_HEIGHT_MM = 0.3


class _Step(Task, register=False, optional_input_names=COMMON_INPUTS):
    """The base of the tasks here (not a task itself: ``register=False``): the common
    inputs, and :meth:`context` to read them as a :class:`StepContext`."""

    def context(self) -> StepContext:
        values = {name: self.get_input_value(name, None) for name in COMMON_INPUTS}
        return StepContext.from_inputs(values)


class XrayCentring(
    _Step,
    optional_input_names=COMMON_INPUTS,
    output_names=["centred_position", "grids"],
):
    """Two orthogonal scans, then the crystal on the beam (``mxwf.centring``)."""

    def run(self) -> None:
        from mxwf.centring import xray_centring

        done = xray_centring(self.context())
        self.outputs.centred_position = done["centred_position"]
        self.outputs.grids = done["grids"]


class MeshScan(
    _Step,
    optional_input_names=COMMON_INPUTS,
    output_names=["grid_id", "best_cell", "best_position", "scores"],
):
    """Scan the grid ``shape_id`` (or a new one around the current position), score each
    image here, show the scores on the grid, move to the best cell.

    Workflow parameters when it draws the grid: ``mesh_width_mm`` (0.4),
    ``mesh_height_mm`` (0.3); cells are the beam size.
    """

    def run(self) -> None:
        from mxwf.mesh import move_to_best, new_grid, scan_grid

        ctx = self.context()
        grid_id = ctx.shape_id
        if not grid_id:
            cell = beam_size(ctx.gui.get_beam_size())
            cols = cells_for(ctx.number("mesh_width_mm", MESH_WIDTH_MM), cell[0])
            rows = cells_for(ctx.number("mesh_height_mm", MESH_HEIGHT_MM), cell[1])
            grid_id = new_grid(ctx, cols, rows, cell, "mesh scan")
        scan = scan_grid(ctx, grid_id)
        position = move_to_best(ctx, scan)
        self.outputs.grid_id = grid_id
        self.outputs.best_cell = scan.best()
        self.outputs.best_position = position
        self.outputs.scores = {str(c): s for c, s in scan.scores.items()}


class Characterisation(
    _Step,
    optional_input_names=[*COMMON_INPUTS, "centred_position"],
    output_names=["strategy", "characterisation_node_id"],
):
    """Reference images and the proposed strategy (``mxwf.collection.characterise``)."""

    def run(self) -> None:
        from mxwf.collection import characterise

        done = characterise(self.context())
        self.outputs.strategy = done["strategy"]
        self.outputs.characterisation_node_id = done["node_id"]


class ConfirmStrategy(
    _Step,
    input_names=["strategy"],
    optional_input_names=COMMON_INPUTS,
    output_names=["strategy"],
):
    """With workflow parameter ``ask_user`` true, the user confirms or changes the
    number of images and exposure time (``open_dialog``); otherwise passes it on
    (``collection_num_images`` replaces the proposed number of images first)."""

    def run(self) -> None:
        from mxwf.collection import adjust_strategy, confirm_strategy

        ctx = self.context()
        strategy: dict[str, Any] = adjust_strategy(ctx, self.inputs.strategy)
        if ctx.flag("ask_user", False):
            strategy = confirm_strategy(ctx, strategy)
        self.outputs.strategy = strategy


class DataCollection(
    _Step,
    input_names=["strategy"],
    optional_input_names=COMMON_INPUTS,
    output_names=["files", "collection_node_id"],
):
    """The data collection with ``strategy`` at the current position."""

    def run(self) -> None:
        from mxwf.collection import collect

        done = collect(self.context(), self.inputs.strategy)
        self.outputs.files = done["files"]
        self.outputs.collection_node_id = done["node_id"]


class WorkflowEnd(
    _Step,
    optional_input_names=[*COMMON_INPUTS, "message"],
    output_names=["ended"],
):
    """The last node of every graph: tells the GUI the workflow is done
    (``workflow_end``)."""

    def run(self) -> None:
        ctx = self.context()
        message = self.get_input_value("message", None)
        if message:
            ctx.gui.log(str(message))
        ctx.gui.workflow_end()
        self.outputs.ended = True
