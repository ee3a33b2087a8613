"""Workflow and processing methods: messages for the user, dialogs, the end of a
workflow, and per-frame scores streamed by online processing (mxcubecore's names)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from mxgui.core.futures import attempt
from mxgui.core.xmlrpc.args import as_list, as_str, as_struct, cell_index
from mxgui.core.xmlrpc.caller import caller_gone
from mxgui.core.xmlrpc.context import CallerGone, ServiceContext
from mxgui.core.xmlrpc.dispatch import BadArgument, Unavailable

#: where ``log_message`` writes (the GUI's log shows it)
user_log = logging.getLogger("mxgui.workflow")
_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
    "critical": logging.CRITICAL,
}
#: the score of a dozor item: the first of these keys it has
SCORE_KEYS = ("score", "spots_num_of", "spots_num", "spots_int_aver")


def dozor_scores(items: object) -> dict[int, float]:
    """``{image_num: score}`` of a dozor batch (a list of structs, or a struct of
    structs), each item's score the first of :data:`SCORE_KEYS` it has."""
    if isinstance(items, Mapping):
        entries = list(items.values())
    else:
        entries = as_list(items, "dozor_batch_dict")
    scores: dict[int, float] = {}
    for n, item in enumerate(entries):
        where = f"dozor_batch_dict[{n}]"
        item = as_struct(item, where)
        if "image_num" not in item:
            raise BadArgument(f"{where}: no image_num")
        image = cell_index(item["image_num"], f"{where}.image_num")
        key = next((k for k in SCORE_KEYS if k in item), None)
        if key is None:
            raise BadArgument(f"{where}: no score (expected one of {', '.join(SCORE_KEYS)})")
        value = item[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise BadArgument(f"{where}.{key}: expected a number, got {value!r}")
        scores[image] = float(value)
    return scores


class WorkflowMethods:
    """``log_message``, ``open_dialog``, ``workflow_end``, ``dozor_batch_processed``."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "log_message",
        "open_dialog",
        "workflow_end",
        "dozor_batch_processed",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def log_message(self, message: object, level: object = "info") -> bool:
        """Show ``message`` in the GUI's log at ``level`` (debug, info, warning,
        error, critical)."""
        text = as_str(message, "message", allow_empty=True)
        name = as_str(level, "level").lower()
        if name not in _LEVELS:
            raise BadArgument(f"level: {level!r} is not one of {', '.join(_LEVELS)}")
        user_log.log(_LEVELS[name], "%s", text)
        return True

    def open_dialog(self, dict_dialog: object) -> dict[str, Any]:
        """Show a form to the user and return the values given; ``{"__cancelled__":
        True}`` when the user cancels; the defaults when the dialog's ``timeout`` (else
        the server's ``dialog_timeout``) passes. See ``mxgui.core.dialog_spec`` for the
        dict (the simple form or mxcubeweb's JSON schema) and its size limits.

        One dialog is open at a time (``mxgui.core.xmlrpc.dialog_turns``: a second call
        waits a few seconds for its turn, then gets a Fault), and a dialog whose caller
        disconnects is closed."""
        from mxgui.core.dialog_spec import CANCELLED, parse_dialog

        spec = parse_dialog(as_struct(dict_dialog, "dict_dialog"))  # ValueError names it
        handler = self.ctx.handler("open_dialog")
        if handler is None:
            raise Unavailable("no GUI is there to show the dialog (no open_dialog handler)")
        timeout = spec.timeout if spec.timeout is not None else (self.ctx.dialog_timeout or None)
        spec = dataclasses.replace(spec, timeout=timeout)  # the GUI counts down the same time
        with self.ctx.dialog_turns.turn(spec.title, caller_gone, lambda: self.ctx.stopping):
            asking = attempt(lambda: handler(spec))
            try:
                values = self.ctx.wait(asking, timeout, "the dialog", abandoned=caller_gone)
            except TimeoutError:
                asking.cancel()
                user_log.info("dialog %r: no answer in %g s; defaults used", spec.title, timeout)
                return spec.defaults()
            except CallerGone:
                user_log.info("dialog %r closed: its caller disconnected", spec.title)
                raise
        if values is None:
            return dict(CANCELLED)
        return spec.validate(values)

    def workflow_end(self) -> bool:
        """Tell the workflow client that the running workflow has ended."""
        self.ctx.role("workflow").workflow_end()
        return True

    def dozor_batch_processed(self, dozor_batch_dict: object) -> int:
        """Per-frame results of online processing (items with ``image_num`` and a
        score: ``score``, ``spots_num_of``, ``spots_num`` or ``spots_int_aver``),
        stored on the grid the running mesh scan collects (its image first_image + n - 1
        = its cell n in the scan's order).
        Returns how many cells were given."""
        scores = dozor_scores(dozor_batch_dict)
        shapes = self.ctx.role("shapes")
        grid_id = shapes.active_grid_id
        if grid_id is None:
            raise Unavailable("no mesh scan is collecting: there is no grid for these scores")
        if scores:  # image numbers from the scan's first_image -> cells
            shapes.set_grid_results(grid_id, shapes.scan_cells(grid_id, scores))
        return len(scores)
