"""Online processing's calls (mxcubecore's names and arguments): per-frame Dozor
scores, Dozor's and the processing pipelines' status, and the image the collection
reached."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import ClassVar, cast

from mxgui.core.grid_results import LATE_RESULTS_GRACE, NoScanError
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import RUNNING, thaw
from mxgui.core.roles import CollectRole, ShapesRole
from mxgui.core.xmlrpc.args import as_int, as_str
from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.dispatch import BadArgument, Unavailable
from mxgui.core.xmlrpc.dozor_batch import BATCH_NAME as _BATCH
from mxgui.core.xmlrpc.dozor_batch import dozor_scores

#: where the processing status goes (the GUI's log shows it, as ``log_message``'s)
user_log = logging.getLogger("mxgui.workflow")
#: the longest status or message text kept (a longer one is cut, saying so)
MAX_TEXT = 2_000
#: processing messages kept on a queue entry (the oldest go first)
MAX_PROCESSING_MESSAGES = 100
#: skipped Dozor items named in the log line (the count says how many in all)
MAX_SKIPPED_SHOWN = 5
#: the entries whose images Dozor processes (its status becomes their message)
DOZOR_TASKS = ("DataCollection", "Characterisation", "MeshScan", "XrayCentring")
#: Dozor's statuses that say it sends no more results
DOZOR_DONE = ("success", "failed")
#: statuses that are a failure (logged as errors)
FAILED_STATUSES = ("failed", "error", "aborted")


def _text(value: object, name: str, allow_empty: bool = False) -> str:
    """``value`` as text of at most :data:`MAX_TEXT` characters (cut, marked ``...``)."""
    text = as_str(value, name, allow_empty=allow_empty)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _level(status: str) -> int:
    return logging.ERROR if status.lower() in FAILED_STATUSES else logging.INFO


class ProcessingMethods:
    """``dozor_batch_processed``, ``dozor_status_changed``,
    ``processing_status_changed``, ``get_image_num``."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "dozor_batch_processed",
        "dozor_status_changed",
        "processing_status_changed",
        "get_image_num",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def dozor_batch_processed(self, dozor_batch_dict: object) -> int:
        """Per-frame results of online processing, stored on the grid the running mesh
        scan collects (its image first_image + n - 1 = its cell n in the scan's order),
        or the scan that just ended (results lag the detector) until Dozor's status
        says Success or Failed, another scan starts, or 120 s pass; with no such scan,
        on the rotation collection running or just ended (``results["dozor_scores"]``).
        Items as mxgui (``image_num`` and ``score``), edna-mx's Dozor plugins
        (``index``, ``dozor_score``, ``dozorSpotsNumOf``...) or mxcubecore (arrays
        ``[image_num, spots_num, spots_int_aver, spots_resolution, score]``) send them:
        ``mxgui.core.xmlrpc.dozor_batch``. Returns how many frames were stored: an item
        whose score is NaN, inf or negative is skipped, and named in the GUI's log."""
        batch = dozor_scores(dozor_batch_dict)
        scores = batch.scores
        if batch.skipped:
            user_log.warning(
                "dozor_batch_processed: %d item(s) skipped, the other %d kept: %s",
                len(batch.skipped),
                len(scores),
                "; ".join(batch.skipped[:MAX_SKIPPED_SHOWN])
                + ("; ..." if len(batch.skipped) > MAX_SKIPPED_SHOWN else ""),
            )
        shapes = self.ctx.optional("shapes")
        try:  # image numbers from the scan's first_image -> cells, in one locked step
            if shapes is None:
                raise NoScanError("this beamline has no shapes: no mesh scan")
            cast("ShapesRole", shapes).add_scan_results(scores, batch.spots, batch.places)
        except NoScanError as exc:  # a rotation collection's frames, else nowhere to go
            if not self._collection_scores(scores, batch.places):
                raise Unavailable(f"{exc}, and no collection is running or just ended") from None
        return len(scores)

    def _collection_scores(self, scores: Mapping[int, float], places: Mapping[int, str]) -> bool:
        """Store per-frame ``scores`` on the collection entry running, or ended less
        than :data:`LATE_RESULTS_GRACE` s ago, under ``results["dozor_scores"]``
        (``{"<image>": score}``, at most one per image of the collection); whether
        there was one. ``BadArgument`` naming an image outside the collection."""
        collect = self.ctx.optional("collect")
        info = None if collect is None else cast("CollectRole", collect).get_collection_info()
        if not info or info.get("mesh"):
            return False
        ended = float(info.get("started", 0.0)) + float(info.get("elapsed", 0.0))
        if info.get("state") != "running" and time.time() - ended > LATE_RESULTS_GRACE:
            return False
        first, count = int(info.get("first_image", 1)), int(info.get("num_images", 0))
        for image in scores:
            if not first <= image < first + count:
                raise BadArgument(
                    f"{_BATCH}: image {image} is outside the collection's images "
                    f"{first}..{first + count - 1} ({info.get('prefix')}_{info.get('run_number')}; "
                    f"{places.get(image, _BATCH)})"
                )
        model = self.ctx.role("queue").model
        where = (str(info.get("directory")), str(info.get("prefix")), info.get("run_number"))
        with model.locked():
            node_id = next(
                (
                    n.id
                    for n in model.iter_nodes()
                    if n.is_task
                    and (str(n.parameters.get("directory")), str(n.parameters.get("prefix")),
                         n.parameters.get("run_number")) == where
                ),
                None,
            )  # fmt: skip
            if node_id is None:
                return False
            kept = thaw(model.get_node(node_id).results.get("dozor_scores", {}))
            kept.update({str(image): score for image, score in scores.items()})
            model.update_results(node_id, {"dozor_scores": kept})
        return True

    def dozor_status_changed(self, status: object) -> bool:
        """Dozor's status (``Success``, ``Failed``...): shown in the GUI's log, and as
        the message of the collection (or mesh) entry running now, if one is."""
        text = _text(status, "status")
        user_log.log(_level(text), "Dozor: %s", text)
        if text.lower() in DOZOR_DONE:  # no more results: the ended scan takes no more
            try:
                self.ctx.role("shapes").close_scan()
            except Unavailable:
                pass  # no shapes: no scan to close
        try:
            queue = self.ctx.role("queue")
        except Unavailable:  # no queue: the log is where the status shows
            return True
        node_id = None if queue.engine is None else queue.engine.current_node()
        if node_id is not None:
            model = queue.model
            with model.locked():  # the entry may end meanwhile: only a running one
                node = model.get_node(node_id) if node_id in model else None
                if node is not None and node.status == RUNNING and node.type in DOZOR_TASKS:
                    model.set_status(node_id, RUNNING, f"Dozor: {text}")
        return True

    def processing_status_changed(
        self, collection_id: object, method: object, status: object, msg: object = ""
    ) -> bool:
        """The status of a processing pipeline (``method``: EDNAproc, autoPROC...) for
        the collection whose LIMS ``DataCollection`` id is ``collection_id`` (what
        mxcubecore's callers send), else whose queue node id it is: shown in the GUI's
        log (``failed`` as an error) and kept in the entry's results under
        ``processing`` (time, method, status, message; the last
        :data:`MAX_PROCESSING_MESSAGES`). An id of no collection here (another
        session's data) is logged and ignored, as mxcubecore does."""
        wanted = as_int(collection_id, "collection_id")
        method_text = _text(method, "method")
        status_text = _text(status, "status")
        message = _text(msg, "msg", allow_empty=True)
        model = self.ctx.role("queue").model
        found = self._collection_node(model, wanted)
        with model.locked():  # the node may have gone meanwhile
            node_id = found if found is not None and found in model else None
            if node_id is None:
                user_log.info(
                    "%s: %s%s for collection %d, which is not in the queue: ignored",
                    method_text,
                    status_text,
                    f": {message}" if message else "",
                    wanted,
                )
                return True
            node = model.get_node(node_id)
            entry = {
                "time": time.strftime("%Y-%m-%d %H:%M:%S"),
                "method": method_text,
                "status": status_text,
                "message": message,
            }
            kept = thaw(node.results.get("processing", ()))[-(MAX_PROCESSING_MESSAGES - 1) :]
            model.update_results(node_id, {"processing": [*kept, entry]})
        user_log.log(
            _level(status_text),
            "%s: processing of %s %s%s",
            method_text,
            node.describe(),
            status_text,
            f": {message}" if message else "",
        )
        return True

    def _collection_node(self, model: QueueModel, wanted: int) -> int | None:
        """The task node whose collection has the LIMS id ``wanted``, else the task
        node of that id, else ``None`` (the LIMS is asked outside the model's lock)."""
        with model.locked():
            runs = [
                (node.id, str(p["directory"]), str(p["prefix"]), int(p.get("run_number", 1)))
                for node in model.iter_nodes()
                if node.is_task and "directory" in (p := node.parameters) and "prefix" in p
            ]
            is_node = wanted in model and model.get_node(wanted).is_task
        collection_ids = getattr(self.ctx.optional("lims"), "collection_ids", None)
        if callable(collection_ids):  # the LIMS object (hardware_objects.abstract.lims)
            for node_id, directory, prefix, run in runs:
                if wanted in collection_ids(directory, prefix, run):
                    return node_id
        return wanted if is_node else None

    def get_image_num(self) -> int:
        """The number of the last image the current (or last) collection wrote; 0
        before any collection or before its first image (as mxcubecore answers)."""
        info = self.ctx.role("collect").get_collection_info()
        if not info:
            return 0
        taken = int(info.get("images_taken", 0))
        if taken <= 0:
            return 0
        return int(info.get("first_image", 1)) + taken - 1
