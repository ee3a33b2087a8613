"""Which queue tasks the shapes selected in the sample view make, and how to say it.

One task per shape that fits the task type: a data collection or a characterisation on
each point (its ``centred_position`` is the point's id, so a renamed point still
resolves), a helical data collection on each line (from the line's start to its end),
a mesh scan on each grid, an X-ray centring on each grid or line. Qt-free: the task
toolbox and the shapes' right-click menu both read it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field

from mxgui.core.queue.nodes import QueueNode
from mxgui.core.shapes import Grid, Line, Point, Shape

#: the name of each task type on buttons and menus
TASK_TITLES = {
    "DataCollection": "Data collection",
    "Characterisation": "Characterisation",
    "EnergyScan": "Energy scan",
    "MeshScan": "Mesh scan",
    "XrayCentring": "X-ray centring",
    "Workflow": "Workflow",
}
#: the task types a shape can carry, with the shape kinds each takes
SHAPE_TASK_KINDS: dict[str, tuple[type[Shape], ...]] = {
    "DataCollection": (Point, Line),
    "Characterisation": (Point,),
    "MeshScan": (Grid,),
    "XrayCentring": (Grid, Line),
}
#: how one task of a type on a kind of shape is called: (singular, plural)
_NOUNS: dict[tuple[str, type[Shape]], tuple[str, str]] = {
    ("DataCollection", Point): ("a data collection", "data collections"),
    ("DataCollection", Line): ("a helical collection", "helical collections"),
    ("Characterisation", Point): ("a characterisation", "characterisations"),
    ("MeshScan", Grid): ("a mesh scan", "mesh scans"),
    ("XrayCentring", Grid): ("an X-ray centring", "X-ray centrings"),
    ("XrayCentring", Line): ("an X-ray centring", "X-ray centrings"),
}


def task_parameters(task_type: str, shape: Shape) -> dict[str, object]:
    """The parameters that put a ``task_type`` on ``shape`` (``ValueError`` if it does
    not fit: see :data:`SHAPE_TASK_KINDS`)."""
    if not isinstance(shape, SHAPE_TASK_KINDS.get(task_type, ())):
        raise ValueError(f"a {task_type} cannot go on {shape.KIND} {shape.name}")
    if task_type == "MeshScan":
        return {"grid_id": shape.id}
    if task_type == "XrayCentring":
        return {"shape_id": shape.id}
    if isinstance(shape, Line):
        return {"helical_start": shape.start.to_dict(), "helical_end": shape.end.to_dict()}
    return {"centred_position": shape.id}


@dataclass(frozen=True)
class ShapeTaskPlan:
    """The tasks a click adds: one ``parameters`` dict per shape of ``shapes``."""

    task_type: str
    shapes: tuple[Shape, ...]
    parameters: tuple[dict[str, object], ...] = field(default=())

    @property
    def description(self) -> str:
        """What the click does, in words: "3 data collections, one per point P1 P2
        P3", "a helical collection on L1"."""
        groups: dict[tuple[str, str], list[Shape]] = {}
        for kind in SHAPE_TASK_KINDS.get(self.task_type, ()):
            found = [s for s in self.shapes if isinstance(s, kind)]
            if found:  # kinds with the same noun (X-ray centrings) are told together
                groups.setdefault(_NOUNS[(self.task_type, kind)], []).extend(found)
        parts = []
        for (one, many), shapes in groups.items():
            if len(shapes) == 1:
                parts.append(f"{one} on {shapes[0].name}")
                continue
            kinds = {s.KIND for s in shapes}
            each = kinds.pop() if len(kinds) == 1 else "shape"
            names = shape_names([s for s in self.shapes if s in shapes])
            parts.append(f"{len(shapes)} {many}, one per {each} {names}")
        return " and ".join(parts)


#: the most shape names a description lists (a box around hundreds of shapes)
MAX_NAMES = 8


def shape_names(shapes: Sequence[Shape]) -> str:
    """The shapes' names, the first :data:`MAX_NAMES` of them and how many more."""
    shown = " ".join(s.name for s in shapes[:MAX_NAMES])
    return shown + (f" … ({len(shapes) - MAX_NAMES} more)" if len(shapes) > MAX_NAMES else "")


def why_not_on(task_type: str, selected: Sequence[Shape]) -> str:
    """Why ``task_type`` takes none of the ``selected`` shapes: "a data collection goes
    on points or lines, not on G1" ("" when one fits, or the type takes no shapes)."""
    kinds = SHAPE_TASK_KINDS.get(task_type)
    if kinds is None or not selected or plan_for(task_type, selected) is not None:
        return ""
    one = _NOUNS[(task_type, kinds[0])][0]
    goes_on = " or ".join(f"{kind.KIND}s" for kind in kinds)
    return f"{one} goes on {goes_on}, not on {shape_names(selected)}"


def plan_for(task_type: str, selected: Sequence[Shape]) -> ShapeTaskPlan | None:
    """The tasks ``task_type`` makes on the ``selected`` shapes that fit it, in the
    order selected; ``None`` when none fits (the task goes where the sample is)."""
    kinds = SHAPE_TASK_KINDS.get(task_type)
    if kinds is None:
        return None
    fitting = tuple(s for s in selected if isinstance(s, kinds))
    if not fitting:
        return None
    return ShapeTaskPlan(task_type, fitting, tuple(task_parameters(task_type, s) for s in fitting))


#: the task parameters that name a shape by its id
SHAPE_REFERENCES = ("centred_position", "helical_start", "helical_end", "grid_id", "shape_id")


def tasks_using(nodes: Iterable[QueueNode], shape_ids: Collection[str]) -> dict[str, list[str]]:
    """The tasks not yet run among ``nodes`` whose parameters name one of ``shape_ids``:
    their names by shape id, in the nodes' order (a shape no task names is left out).
    A task that has run keeps its record, so it does not count."""
    wanted = set(shape_ids)
    found: dict[str, list[str]] = {}
    for node in nodes:
        if not node.is_task or node.has_run:
            continue
        for name in SHAPE_REFERENCES:
            value = node.parameters.get(name)
            if isinstance(value, str) and value in wanted:
                users = found.setdefault(value, [])
                if node.name not in users:
                    users.append(node.name)
    return found
