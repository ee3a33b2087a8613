"""The Workflow and XrayCentring entries: an external workflow, waited for in the queue.

The entry starts the workflow through the workflow client (role ``workflow``) with the
inputs every node of the workflow may declare: ``sample_node_id``, ``workflow_node_id``,
``tasks_parent_id`` (where the tasks it adds go: the Workflow node itself, so that they
are nested under it; for XrayCentring the sample or group holding it),
``sample_location`` (``""`` for a sample mounted by hand), ``directory``, ``prefix``,
``run_number``, ``shape_id`` (``""`` for none) and ``workflow_parameters``. Then it
waits, hosting the queue nodes the workflow asks to execute (``nested.py``): they run
here, in the engine's thread. It ends when the workflow ends (``workflow_end`` or the
process's exit): success, or FAILED with the workflow's reason (the failed step named).
Stopping the queue aborts the workflow, and a nested entry running at that moment; a
workflow that dies (killed, crashed) while a nested entry runs stops that entry, and
this entry fails with the workflow's reason.

The shape: a workflow that requires a point or a grid (workflow.xml) uses
``workflow_parameters["shape_id"]``, else the selected shape of that kind, else the last
one drawn; with none, the entry fails before starting, saying so. XrayCentring starts
the workflow named by the client's ``xray_centring_workflow`` property on its
``shape_id`` (none: the workflow decides), its acquisition fields passed as
``workflow_parameters``.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from mxgui.core.errors import Refused
from mxgui.core.queue.entries.base import Entry, EntryContext, EntryFailed, Outcome
from mxgui.core.queue.fields import ACQUISITION_FIELDS
from mxgui.core.roles.workflow import WorkflowClientRole
from mxgui.core.shapes import Grid, Point
from mxgui.core.workflow.catalog import WorkflowInfo

_KINDS = {"grid": Grid, "point": Point}


class WorkflowEntry(Entry):
    """A ``Workflow`` node: the workflow ``workflow_name`` with ``workflow_parameters``."""

    def workflow_name(self, ctx: EntryContext, client: WorkflowClientRole) -> str:
        """The name of the workflow to start."""
        return str(ctx.parameters.get("workflow_name") or "")

    def tasks_parent(self, ctx: EntryContext) -> int:
        """The node the tasks the workflow adds go under: this Workflow node."""
        return ctx.node.id

    def workflow_parameters(self, ctx: EntryContext) -> dict[str, Any]:
        """What goes to the workflow as ``workflow_parameters``."""
        return dict(ctx.parameters.get("workflow_parameters") or {})

    def given_shape(self, ctx: EntryContext) -> str | None:
        """The shape the node names, if any."""
        value = (ctx.parameters.get("workflow_parameters") or {}).get("shape_id")
        return str(value) if value else None

    def run(self, ctx: EntryContext) -> Outcome:
        client: WorkflowClientRole | None = ctx.role("workflow")
        if client is None:
            raise EntryFailed(
                f"{ctx.node.type} needs the workflow client (role workflow); the beamline has none"
            )
        name = self.workflow_name(ctx, client)
        try:
            info = client.get_workflow(name)
        except KeyError as exc:
            raise EntryFailed(str(exc.args[0])) from None
        inputs = {
            "sample_node_id": ctx.sample_id if ctx.sample_id is not None else 0,
            "workflow_node_id": ctx.node.id,
            "tasks_parent_id": self.tasks_parent(ctx),
            "sample_location": self._location(ctx),
            "directory": str(ctx.parameters.get("directory", "")),
            "prefix": str(ctx.parameters.get("prefix", "")),
            "run_number": int(ctx.parameters.get("run_number") or 0),
            "shape_id": self._shape(ctx, info) or "",
            "workflow_parameters": self.workflow_parameters(ctx),
        }
        what = f"workflow {info.title}"
        ctx.check_interrupt()
        try:
            started = client.start(name, inputs)
        except (Refused, ValueError, RuntimeError) as exc:
            raise EntryFailed(f"{what}: {exc}") from None
        run_id = client.current_run_id
        if run_id is not None:
            ctx.model.update_results(ctx.node.id, {"workflow_run_id": run_id})
        status, message = ctx.wait_hosting(started, what, abort=client.abort, judge=_ended_badly)
        if status == "success":
            return Outcome(message=f"{what}: {message}" if message else what)
        ctx.check_interrupt()  # aborted because the user stopped: "stopped by user"
        raise EntryFailed(f"{what} {status}: {message}" if message else f"{what} {status}")

    def _location(self, ctx: EntryContext) -> str:
        if ctx.sample_id is None:
            return ""
        return str(ctx.model.get_node(ctx.sample_id).parameters.get("location") or "")

    def _shape(self, ctx: EntryContext, info: WorkflowInfo) -> str | None:
        given = self.given_shape(ctx)
        kind = _KINDS.get(info.requires)
        if kind is None:
            return given
        what = f"workflow {info.title} (it needs a {info.requires})"
        # a shape id names one of its sample's shapes; else the mounted sample's are used
        shapes = ctx.sample_shapes(what) if given else ctx.require("shapes", what)
        if given:
            try:
                shape = shapes.get(given)
            except KeyError:
                raise EntryFailed(
                    f"workflow {info.title} needs a {info.requires}: there is no {given} "
                    "on the sample"
                ) from None
            if not isinstance(shape, kind):
                raise EntryFailed(
                    f"workflow {info.title} needs a {info.requires}: {given} is a "
                    f"{type(shape).__name__.lower()}"
                )
            return given
        candidates = shapes.shapes(kind)
        chosen_ids = set(shapes.selected())
        selected = [s for s in candidates if s.id in chosen_ids]
        chosen = (selected or candidates)[-1:] if candidates else []
        if not chosen:
            raise EntryFailed(
                f"workflow {info.title} needs a {info.requires} and the sample has none: "
                f"draw one in the sample view (or give shape_id in workflow_parameters)"
            )
        shape_id: str = chosen[0].id
        return shape_id


def _ended_badly(ended: Future[tuple[str, str]]) -> str | None:
    """Why the workflow client's ``(status, message)`` Future says the workflow did not
    succeed (its nested entries are then stopped), or ``None``."""
    error = None if ended.cancelled() else ended.exception()
    if ended.cancelled() or error is not None:
        return f"failed: {error or 'cancelled'}"
    status, message = ended.result()
    if status == "success":
        return None
    return f"{status}: {message}" if message else str(status)


class XrayCentringEntry(WorkflowEntry):
    """An ``XrayCentring`` node: the client's X-ray centring workflow on ``shape_id``."""

    def tasks_parent(self, ctx: EntryContext) -> int:
        """Its tasks go beside it (an XrayCentring node holds no tasks)."""
        parent = ctx.node.parent
        return parent if parent is not None else super().tasks_parent(ctx)

    def workflow_name(self, ctx: EntryContext, client: WorkflowClientRole) -> str:
        name = str(client.get_property("xray_centring_workflow") or "")
        if not name:
            raise EntryFailed(
                "X-ray centring: the workflow client names no X-ray centring workflow"
            )
        return name

    def workflow_parameters(self, ctx: EntryContext) -> dict[str, Any]:
        return {k: ctx.parameters[k] for k in ACQUISITION_FIELDS if k in ctx.parameters}

    def given_shape(self, ctx: EntryContext) -> str | None:
        value = ctx.parameters.get("shape_id")
        return str(value) if value else None
