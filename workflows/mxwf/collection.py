"""Characterisation, the user's say on the strategy, and the data collection.

- :func:`characterise` adds a Characterisation task under the sample (reference images
  at the current position), runs it, and returns the strategy the GUI's characterisation
  proposed (``results.strategy`` of its node: see
  ``mxgui/core/queue/entries/strategy.py`` for the rule).
- :func:`confirm_strategy` asks the user, through ``open_dialog``, to confirm or change
  the number of images and the exposure time; Cancel raises :class:`WorkflowCancelled`;
  a dialog that times out answers the defaults (the server does that).
- :func:`collect` adds and runs a DataCollection with the strategy at the current
  position and returns the files it wrote.

Workflow parameters: ``characterisation_images`` (the task's default: 4),
``characterisation_angle_step``, ``characterisation_osc_range``, ``dialog_timeout`` (s).
"""

from __future__ import annotations

import os
import xmlrpc.client
from collections.abc import Mapping
from typing import Any

from mxwf.analysis import strategy_of
from mxwf.client import WorkflowCancelled, WorkflowError
from mxwf.context import StepContext

REFERENCE_MARKER = "ref-"
CANCEL_KEY = "__cancelled__"


def characterise(ctx: StepContext) -> dict[str, Any]:
    """``{"strategy": {...}, "node_id": n, "message": ...}`` (module doc)."""
    overrides: dict[str, Any] = {}
    if "characterisation_images" in ctx.parameters:
        overrides["num_images"] = ctx.integer("characterisation_images", 4)
    if "characterisation_angle_step" in ctx.parameters:
        overrides["angle_step"] = ctx.number("characterisation_angle_step", 90.0)
    if "characterisation_osc_range" in ctx.parameters:
        overrides["osc_range"] = ctx.number("characterisation_osc_range", 1.0)
    params = ctx.task_parameters(REFERENCE_MARKER, **overrides)
    node = ctx.gui.run_task(ctx.tasks_parent, "Characterisation", params, "the characterisation")
    strategy = strategy_of(node)
    ctx.gui.log(f"characterisation {node['id']}: {node.get('message', '')}")
    return {"strategy": strategy, "node_id": int(node["id"]), "message": node.get("message", "")}


def strategy_dialog(strategy: Mapping[str, Any], timeout: float | None) -> dict[str, Any]:
    """The ``open_dialog`` form for :func:`confirm_strategy`."""
    form: dict[str, Any] = {
        "title": "Data collection",
        "message": (
            "The characterisation proposes this data collection "
            f"({strategy['num_images']} x {float(strategy['osc_range']):g} deg). "
            "Change it or accept it; Cancel stops the workflow."
        ),
        "fields": [
            {
                "name": "num_images",
                "label": "Number of images",
                "type": "integer",
                "default": int(strategy["num_images"]),
                "min": 1,
                "max": 100000,
            },
            {
                "name": "exp_time",
                "label": "Exposure time per image (s)",
                "type": "float",
                "default": float(strategy["exp_time"]),
                "min": 0.0001,
                "max": 3600.0,
            },
        ],
    }
    if timeout is not None:
        form["timeout"] = timeout
    return form


def answer_to_strategy(strategy: Mapping[str, Any], answer: object) -> dict[str, Any]:
    """``strategy`` changed by the dialog's ``answer``; :class:`WorkflowCancelled` for the
    cancel marker, ``WorkflowError`` for an answer that is not numbers > 0."""
    if not isinstance(answer, Mapping):
        raise WorkflowError(f"the dialog answered {answer!r}, not a dict of values")
    if answer.get(CANCEL_KEY):
        raise WorkflowCancelled("the user cancelled the data collection; nothing was collected")
    changed = dict(strategy)
    try:
        if "num_images" in answer:
            changed["num_images"] = int(answer["num_images"])
        if "exp_time" in answer:
            changed["exp_time"] = float(answer["exp_time"])
    except (TypeError, ValueError):
        raise WorkflowError(f"the dialog answered {dict(answer)!r}: not numbers") from None
    if changed["num_images"] < 1 or not changed["exp_time"] > 0:
        raise WorkflowError(f"the dialog answered {dict(answer)!r}: values must be above 0")
    return changed


def adjust_strategy(ctx: StepContext, strategy: Mapping[str, Any]) -> dict[str, Any]:
    """The strategy with workflow parameter ``collection_num_images`` (a shorter
    collection: previews, tests) in place of the proposed number of images."""
    changed = dict(strategy)
    if "collection_num_images" in ctx.parameters:
        changed["num_images"] = ctx.integer("collection_num_images", 1)
    return changed


def confirm_strategy(ctx: StepContext, strategy: Mapping[str, Any]) -> dict[str, Any]:
    """Ask the user (module doc); the strategy to collect."""
    timeout = ctx.number("dialog_timeout", 1.0) if "dialog_timeout" in ctx.parameters else None
    try:
        answer = ctx.gui.open_dialog(strategy_dialog(strategy, timeout))
    except xmlrpc.client.Fault as fault:
        raise WorkflowError(f"asking the user: {fault.faultString}") from None
    changed = answer_to_strategy(strategy, answer)
    ctx.gui.log(
        f"data collection: {changed['num_images']} images of {changed['exp_time']:g} s "
        f"(proposed {strategy['num_images']} of {float(strategy['exp_time']):g} s)"
    )
    return changed


def collect(ctx: StepContext, strategy: Mapping[str, Any]) -> dict[str, Any]:
    """Run the data collection; ``{"node_id": n, "files": [...]}`` (files that exist)."""
    for name in ("num_images", "exp_time", "osc_range"):
        if name not in strategy:
            raise WorkflowError(f"the strategy has no {name}: {dict(strategy)!r}")
    overrides = {k: v for k, v in strategy.items() if v is not None}
    params = ctx.task_parameters("", **overrides)
    node = ctx.gui.run_task(ctx.tasks_parent, "DataCollection", params, "the data collection")
    files = [str(f) for f in node.get("files") or [] if os.path.exists(str(f))]
    if not any(f.endswith((".cbf", ".h5")) for f in files):
        raise WorkflowError(f"the data collection (node {node['id']}) wrote no image file")
    ctx.gui.log(f"data collection {node['id']}: {len(files)} files in {os.path.dirname(files[0])}")
    return {"node_id": int(node["id"]), "files": files}
