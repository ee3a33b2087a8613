"""What a run of the queue will do, for the confirmation dialog: tasks, images, time,
disk space, and every run-number collision.

Constant work per task (no per-image loop, one directory listing per directory), so
confirming a 100,000-image collection takes milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from mxgui.core.queue.engine_run import has_work, in_queue_order, worth_running
from mxgui.core.queue.history import History, sample_label
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import NOT_EXECUTED, ROOT_ID, SAMPLE, QueueNode, walk
from mxgui.core.queue.run_index import QueueRuns
from mxgui.core.queue.runs import DiskRuns, collisions_of
from mxgui.core.queue.tasks import shapes_of_sample
from mxgui.core.roles.shapes import ShapesRole
from mxgui.core.shapes import Grid

#: a CBF image of the 1M ROI mode (1030 x 1065 pixels, about 1.1 bytes per pixel)
DEFAULT_BYTES_PER_IMAGE = 1030 * 1065 * 1.1
#: seconds per task besides the exposures (moves, snapshots, shutters, detector set-up)
DEFAULT_TASK_OVERHEAD_S = 10.0
#: seconds per energy-scan point besides the counting (the monochromator move)
ENERGY_STEP_OVERHEAD_S = 0.2
_ACQUISITIONS = ("DataCollection", "Characterisation", "MeshScan", "XrayCentring")


def images_of(node: QueueNode, shapes: ShapesRole | None = None) -> int:
    """Images a task writes (0 for an energy scan or a workflow, which decides itself).

    A mesh scan or an X-ray centring on a grid counts the grid's cells when ``shapes``
    (its sample's) has the grid, else its ``num_images``.
    """
    p = node.parameters
    if node.type not in _ACQUISITIONS:
        return 0
    shape_id = p.get("grid_id") or p.get("shape_id")
    if shapes is not None and shape_id:
        try:
            shape = shapes.get(shape_id)
        except KeyError:
            shape = None
        if isinstance(shape, Grid):
            return shape.num_cells
    passes = int(p.get("num_passes", 1)) if node.type == "DataCollection" else 1
    return int(p.get("num_images", 0)) * max(passes, 1)


def _shapes_of_node(
    model: QueueModel, node: QueueNode, shapes: ShapesRole | None
) -> ShapesRole | None:
    """``shapes`` if they are those of ``node``'s sample (looked up only for a task
    that names a shape: the summary stays constant work per task)."""
    p = node.parameters
    if shapes is None or not (p.get("grid_id") or p.get("shape_id")):
        return shapes
    return shapes_of_sample(shapes, model.sample_parameters(node.id))


def time_of(node: QueueNode, images: int, overhead_s: float) -> float | None:
    """Estimated seconds for a task; ``None`` when unknown (a workflow)."""
    p = node.parameters
    if node.type in _ACQUISITIONS:
        return images * float(p.get("exp_time", 0.0)) + overhead_s
    if node.type == "EnergyScan":
        points = (p["end_energy"] - p["start_energy"]) * 1000.0 / p["step_ev"] + 1
        return float(points * (p["count_time"] + ENERGY_STEP_OVERHEAD_S) + overhead_s)
    return None


def tasks_to_run(
    model: QueueModel, node_ids: Iterable[int], pending_only: bool = True
) -> tuple[list[QueueNode], list[QueueNode]]:
    """The enabled tasks in and below ``node_ids``, in execution order, without
    repeats: ``(to run, already run)`` (with ``pending_only`` a task that has run is
    not run again)."""
    seen: set[int] = set()
    run: list[QueueNode] = []
    done: list[QueueNode] = []
    nodes, _, _ = model.snapshot()  # one consistent view for every start
    for start in node_ids:
        for node in walk(nodes, start, enabled_only=True):
            if not node.is_task or node.id in seen:
                continue
            seen.add(node.id)
            (done if pending_only and node.status != NOT_EXECUTED else run).append(node)
    return run, done


#: the centring of the sample of a selected task: the run neither mounts nor centres it
NOT_MOUNTED_HERE = "none (its selected tasks run on the crystal mounted now)"


def sample_plan(
    model: QueueModel,
    node_ids: Sequence[int],
    alone: bool,
    is_centred: Callable[[str | None, int | None], bool] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(samples, skipped)``: the samples a run of ``node_ids`` mounts (and those of
    selected tasks: :data:`NOT_MOUNTED_HERE`), each with how it is centred
    (``centring``: ``"3 clicks"``, ``"kept (centred on this mount)"``,
    ``"saved point P1"`` or ``"none"``), and those it leaves out (``reason``: ``"no
    enabled task"``), as the engine decides (``engine_run.worth_running``; ``alone``:
    one node run on its own). ``is_centred(location, node_id)``: the engine's ``is_centred``."""
    starts: list[int] = []
    holders: set[int] = set()  # samples of selected tasks and groups: not mounted by the run
    for node_id in node_ids:
        node = model.get_node(node_id)
        if node.id == ROOT_ID:
            starts.extend(node.children)
        elif node.type == SAMPLE:
            starts.append(node.id)
        elif (sample_id := model.sample_of(node.id)) is not None:
            starts.append(sample_id)
            holders.add(sample_id)
    alone = alone and len(starts) == 1 and ROOT_ID not in node_ids and not holders
    if ROOT_ID in node_ids:
        holders.clear()  # Run all mounts every sample
    holders.difference_update(n for n in node_ids if n in holders)  # selected themselves
    samples: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for sample_id in dict.fromkeys(starts):  # in queue order, as node_ids
        node = model.get_node(sample_id)
        if not node.enabled or not has_work(model, sample_id):
            continue
        entry: dict[str, Any] = {"node_id": node.id, "name": sample_label(node)}
        if sample_id in holders:
            samples.append({**entry, "centring": NOT_MOUNTED_HERE})
            continue
        if not worth_running(model, sample_id, alone):
            skipped.append({**entry, "reason": "no enabled task"})
            continue
        p = node.parameters
        centring = p.get("centring", "none")
        if (
            centring == "manual"
            and is_centred is not None
            and is_centred(p.get("location"), node.id)
        ):
            how = "kept (centred on this mount)"
        elif centring in ("manual", "recentre"):
            how = "3 clicks"
        elif centring == "point":
            how = f"saved point {p.get('point_id')}"
        else:
            how = "none"
        samples.append({**entry, "centring": how})
    return samples, skipped


def summarise(
    model: QueueModel,
    node_ids: Iterable[int],
    history: History | None = None,
    shapes: ShapesRole | None = None,
    bytes_per_image: float = DEFAULT_BYTES_PER_IMAGE,
    overhead_s: float = DEFAULT_TASK_OVERHEAD_S,
    check_disk: bool = True,
    pending_only: bool = True,
    runs: QueueRuns | None = None,
    alone: bool | None = None,
    is_centred: Callable[[str | None, int | None], bool] | None = None,
) -> dict[str, Any]:
    """What running ``node_ids`` (samples, groups or tasks) will do.

    Returns
    -------
    dict
        Plain types: ``tasks`` (number to run), ``images``, ``estimated_time_s``
        (exposures plus ``overhead_s`` per task; workflows not counted),
        ``disk_bytes`` (``images * bytes_per_image``), ``collisions`` (a list of
        :meth:`~mxgui.core.queue.runs.Collision.to_dict`: the run is used by another
        queue task, by the history or by files on disk), ``unknown_time`` (ids of
        tasks whose duration is not known), ``already_run`` (ids left out because
        they have run), ``unreadable_directories`` (directory: reason), ``task_ids``
        (the tasks to run, in order), ``samples`` and ``skipped_samples`` (see
        :func:`sample_plan`).

    ``runs`` is a following :class:`QueueRuns` of ``model`` (else the queue is looked
    through once, about 10 ms for 10,000 tasks). ``alone``: ``node_ids`` is one node
    run on its own (default: when there is one), not Run all nor several nodes.
    """
    node_ids = list(node_ids)
    if len(node_ids) > 1 and ROOT_ID not in node_ids:
        node_ids = in_queue_order(model, node_ids)  # as the engine runs several nodes
    samples, skipped = sample_plan(
        model, node_ids, len(node_ids) == 1 if alone is None else alone, is_centred
    )
    left_out = {s["node_id"] for s in skipped}
    run, done = tasks_to_run(model, node_ids, pending_only)
    if left_out:  # tasks of a skipped sample (none enabled and not run: those run)
        run = [n for n in run if model.sample_of(n.id) not in left_out]
    images = 0
    seconds = 0.0
    unknown: list[int] = []
    for node in run:
        count = images_of(node, _shapes_of_node(model, node, shapes))
        images += count
        duration = time_of(node, count, overhead_s)
        if duration is None:
            unknown.append(node.id)
        else:
            seconds += duration
    disk = DiskRuns() if check_disk else None
    queue = runs if runs is not None else QueueRuns(model)
    collisions = [c.to_dict() for node in run for c in collisions_of(node, queue, history, disk)]
    return {
        "tasks": len(run),
        "images": images,
        "estimated_time_s": seconds,
        "disk_bytes": images * float(bytes_per_image),
        "collisions": collisions,
        "unknown_time": unknown,
        "already_run": [node.id for node in done],
        "unreadable_directories": dict(disk.errors) if disk is not None else {},
        "task_ids": [node.id for node in run],
        "samples": samples,
        "skipped_samples": skipped,
    }


def describe(summary: Mapping[str, Any]) -> str:
    """The summary in one sentence, e.g. for a log line."""
    hours, rest = divmod(int(round(summary["estimated_time_s"])), 3600)
    text = (
        f"{summary['tasks']} tasks, {summary['images']} images, about {hours} h "
        f"{rest // 60:02d} min, {summary['disk_bytes'] / 1e9:.1f} GB"
    )
    if summary["collisions"]:
        text += f", {len(summary['collisions'])} run-number collisions"
    skipped = summary.get("skipped_samples") or []
    if skipped:
        names = ", ".join(s["name"] for s in skipped)
        text += f"; skipped: no enabled task: {names}"
    return text
