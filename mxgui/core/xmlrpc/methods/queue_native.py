"""mxcubecore's native queue API and its other queue methods, on mxgui's queue.

mxcubecore's XMLRPCServer registers the functions of a module named in its ``<apis>``
element (``queue_set_serialisation``... ``queue_get_model_code``: the serialisation
three are in :mod:`~mxgui.core.xmlrpc.methods.queue`, with ``queue_add_child`` and
``queue_get_node``) and a few queue methods of its own (``add_xray_centring``,
``set_characterisation_result``, ``add_gphl_workflow``), some also under their older
camel-case names. Each does the real thing on mxgui's queue, or faults saying what
mxgui does not do.
"""

from __future__ import annotations

import xml.sax.saxutils
from collections.abc import Iterable
from typing import ClassVar

from mxgui.core.queue.mounts import loaded_address
from mxgui.core.queue.nodes import ROOT_ID, RUNNING, SAMPLE, TASK_GROUP, QueueNode
from mxgui.core.roles import QueueRole
from mxgui.core.xmlrpc.args import as_bool, as_int, as_str, as_struct
from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.dispatch import BadArgument, Unavailable
from mxgui.core.xmlrpc.jsonpickle_queue import DocumentError, decode_task
from mxgui.core.xmlrpc.methods.queue import add_native_task

#: characters kept of an HTML report or a characterisation result (both kept with the node)
MAX_REPORT_CHARS = 1_000_000
#: task types whose results take an HTML report (mxcubecore: a DataCollection's)
REPORTED_TYPES = ("DataCollection", "MeshScan")
_CENTRING_KEYS = ("name", "motor_positions", "grid_size")


class QueueNativeMethods:
    """``queue_add_node``, ``queue_update_result``, ``queue_get_full_path``,
    ``queue_get_model_code``, ``add_xray_centring`` / ``addXrayCentring``,
    ``set_characterisation_result`` / ``setCharacterisationResult``,
    ``add_gphl_workflow``."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "queue_add_node",
        "queue_update_result",
        "queue_get_full_path",
        "queue_get_model_code",
        "add_xray_centring",
        "addXrayCentring",
        "set_characterisation_result",
        "setCharacterisationResult",
        "add_gphl_workflow",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @property
    def queue(self) -> QueueRole:
        return self.ctx.role("queue")

    def queue_add_node(self, task_node: object, set_on: object = True) -> bool:
        """Add mxcubecore's jsonpickle queue object ``task_node`` (with its children):
        a Sample under the queue root, anything else under the mounted sample's node
        (as mxcubecore does; the last such node), else under the last sample of the
        queue; enabled if ``set_on``."""
        enabled = as_bool(set_on, "set_on")
        try:
            task = decode_task(task_node, "task_node")
        except DocumentError as exc:
            raise BadArgument(str(exc)) from None
        queue = self.queue
        parent = ROOT_ID if task.type == SAMPLE else self._mounted_sample(queue)
        task.enabled = task.enabled and enabled
        add_native_task(queue, parent, task)
        return True

    def _mounted_sample(self, queue: QueueRole) -> int:
        model = queue.model
        samples = [model.get_node(n) for n in model.children(ROOT_ID)]
        samples = [n for n in samples if n.type == SAMPLE]
        if not samples:
            raise Unavailable(
                "the queue has no sample to add the task to; add one first, or give the "
                "parent with queue_add_child(parent_id, task)"
            )
        # the queue's own sample changer (the server's XML names no such role)
        loaded = loaded_address(getattr(queue, "sample_changer", None))
        mounted = [n for n in samples if loaded and n.parameters.get("location") == loaded]
        return (mounted or samples)[-1].id

    def queue_update_result(self, node_id: object, html_report: object) -> bool:
        """Keep ``html_report`` (text) with collection ``node_id``'s results; False (and
        nothing kept) for a node that is not a collection, as mxcubecore answers."""
        node = as_int(node_id, "node_id")
        report = as_str(html_report, "html_report", allow_empty=True)
        if len(report) > MAX_REPORT_CHARS:
            raise BadArgument(
                f"html_report: {len(report)} characters, over the limit of {MAX_REPORT_CHARS}"
            )
        model = self.queue.model
        if model.get_node(node).type not in REPORTED_TYPES:
            return False
        model.update_results(node, {"html_report": report})
        return True

    def queue_get_full_path(self, node_id: object) -> list[str]:
        """The names from node ``node_id`` up to its sample (the root left out): where
        the node is in the queue, as mxcubecore's ``TaskNode.get_full_name`` lists it."""
        model = self.queue.model
        node = model.get_node(as_int(node_id, "node_id"))
        names = []
        while node.parent is not None:
            names.append(node.name)
            node = model.get_node(node.parent)
        return names

    def queue_get_model_code(self) -> list[list[str]]:
        """Refused: mxcubecore sends its queue model's Python source for the client to
        execute; mxgui sends no code."""
        raise Unavailable(
            "mxgui does not send Python code for a client to execute; build the queue "
            "objects from your own classes of mxcubecore's names "
            "(mxcubecore.model.queue_model_objects.DataCollection...) and send them "
            'jsonpickle-encoded, or send mxgui\'s JSON {"type": ..., "parameters": {...}}'
        )

    def add_xray_centring(self, parent_node_id: object, centring_parameters: object = None) -> int:
        """Add an X-ray centring under sample or group ``parent_node_id``; returns its id.
        mxcubecore's keyword arguments come as an optional struct: ``name`` names the
        node; ``motor_positions`` and ``grid_size`` are refused (mxgui's X-ray centring
        starts where the sample is, on a drawn grid or a grid of its own)."""
        parent = as_int(parent_node_id, "parent_node_id")
        given = (
            {}
            if centring_parameters is None
            else as_struct(centring_parameters, "centring_parameters")
        )
        unknown = sorted(set(given) - set(_CENTRING_KEYS))
        if unknown:
            raise BadArgument(
                f"centring_parameters: unknown key(s) {', '.join(unknown)}; "
                f"expected {', '.join(_CENTRING_KEYS)}"
            )
        for key in ("motor_positions", "grid_size"):
            if given.get(key):
                raise BadArgument(
                    f"centring_parameters.{key}: mxgui's X-ray centring starts where the "
                    "sample is (move first with move_diffractometer) and scans a drawn "
                    "grid or one of its own; send no motor_positions or grid_size"
                )
        name = given.get("name")
        queue = self.queue
        kind = queue.model.get_node(parent).type
        if kind not in (SAMPLE, TASK_GROUP):
            raise BadArgument(f"parent_node_id: node {parent} is a {kind}, not a sample or group")
        node_id = queue.add_task(parent, "XrayCentring", {})
        if name is not None:
            queue.model.rename(node_id, as_str(name, "centring_parameters.name"))
        return node_id

    def addXrayCentring(self, parent_node_id: object, centring_parameters: object = None) -> int:  # noqa: N802 - mxcubecore's name
        """:meth:`add_xray_centring` under mxcubecore's older name."""
        return self.add_xray_centring(parent_node_id, centring_parameters)

    def set_characterisation_result(self, characterisation_result: object) -> bool:
        """Keep the characterisation result (EDNA's XML, XML-escaped as mxcubecore's
        callers send it) with the characterisation that runs, else the one that ended
        last, under ``results["characterisation_result"]``."""
        text = as_str(characterisation_result, "characterisation_result", allow_empty=True)
        if len(text) > MAX_REPORT_CHARS:
            raise BadArgument(
                f"characterisation_result: {len(text)} characters, over the limit of "
                f"{MAX_REPORT_CHARS}"
            )
        model = self.queue.model
        target = _current_characterisation(model.iter_nodes())
        if target is None:
            raise Unavailable("there is no characterisation in the queue to give this result to")
        model.update_results(target, {"characterisation_result": xml.sax.saxutils.unescape(text)})
        return True

    def setCharacterisationResult(self, characterisation_result: object) -> bool:  # noqa: N802 - mxcubecore's name
        """:meth:`set_characterisation_result` under mxcubecore's older name."""
        return self.set_characterisation_result(characterisation_result)

    def add_gphl_workflow(
        self, parent_node_id: object, task_dict: object, workflow_id: object
    ) -> int:
        """Refused: mxgui has no GPhL workflow."""
        raise Unavailable(
            "mxgui has no GPhL workflow (no gphl_workflow object); run one of the "
            "workflows its workflow client lists instead"
        )


def _current_characterisation(nodes: Iterable[QueueNode]) -> int | None:
    """The running Characterisation's id, else the one that finished last, else None."""
    best: tuple[float, int] | None = None
    for node in nodes:
        if node.type != "Characterisation":
            continue
        if node.status == RUNNING:
            return node.id
        if node.finished is not None and (best is None or node.finished >= best[0]):
            best = (node.finished, node.id)
    return None if best is None else best[1]


__all__ = ["MAX_REPORT_CHARS", "QueueNativeMethods", "REPORTED_TYPES"]
