"""The Characterisation entry: reference images, then a proposed data collection.

``num_images`` reference images of ``osc_range`` each, ``angle_step`` degrees apart
(by default 4 images 90 degrees apart), each through ``collect.collect``. The collect
never adds images to a run that has files (it never overwrites), so each reference
image is its own run: ``<prefix>_<r>_00001``, ``<prefix>_<r+1>_00001``..., each run
number free on disk and in the history; the node's ``run_number`` is the first.

The images are analysed and a data collection proposed by the documented rule of
:mod:`~mxgui.core.queue.entries.strategy`; the node's results hold ``strategy`` (the
parameters), ``reference`` (what each image showed), ``reference_runs`` and ``rule``.
:func:`accept_strategy` adds that collection to the queue right after the
characterisation. No diffraction: the entry ends with a warning and no strategy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mxgui.core.errors import Refused
from mxgui.core.queue.entries.base import Entry, EntryContext, EntryFailed, Outcome
from mxgui.core.queue.entries.collection import acquisition_of, path_of, run_collection
from mxgui.core.queue.entries.sample import resolve_position
from mxgui.core.queue.entries.strategy import (
    RULE,
    analyse,
    propose_strategy,
    reaches_edge,
    read_frames,
)
from mxgui.core.queue.fields import ACQUISITION_FIELDS, PATH_FIELDS
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import WARNING, thaw
from mxgui.core.queue.runs import next_run_number, with_free_run_number
from mxgui.core.roles.collect import CollectRole, SessionRole

#: the prefix the toolbox gives reference images (taken off the proposed collection's)
REFERENCE_PREFIX = "ref-"


class CharacterisationEntry(Entry):
    """Reference images, their analysis and the proposed strategy."""

    holds_interlock = True

    def run(self, ctx: EntryContext) -> Outcome:
        p = ctx.parameters
        collect = ctx.require("collect", "a characterisation")
        count, step = int(p["num_images"]), float(p["angle_step"])
        base = dataclasses.replace(acquisition_of(p), num_images=1, first_image=1)
        path = path_of(p)
        centred = resolve_position(ctx, p.get("centred_position"), "centred_position")
        runs: list[int] = []
        images: list[str] = []
        for k in range(count):
            run = path.run_number
            if k:
                run = next_run_number(
                    path.directory, path.prefix, None, ctx.history, proposed=runs[-1] + 1
                )
            params = dataclasses.replace(
                base,
                osc_start=base.osc_start + k * step,
                take_snapshots=base.take_snapshots if k == 0 else 0,
            )
            before = len(ctx.files)
            runs.append(run)
            ctx.model.update_results(ctx.node.id, {"reference_runs": runs})
            span = (k / count, (k + 1) / count)
            run_collection(ctx, collect, params, path.with_run_number(run), centred, span)
            images.extend(f for f in ctx.files[before:] if not f.endswith(".png"))
        ctx.check_interrupt()
        try:
            analyses = [analyse(frame) for image in images for frame in read_frames(image)]
        except ValueError as exc:
            raise EntryFailed(f"analysing the reference images: {exc}") from None
        limits = _limits(collect)
        strategy = propose_strategy(analyses, p, limits.get("resolution"), limits["exp_max"])
        spots = [a.spots for a in analyses]
        limited = strategy is not None and reaches_edge(analyses)
        ctx.model.update_results(
            ctx.node.id,
            {
                "reference": [a.to_dict() for a in analyses],
                "strategy": strategy,
                "limited_by_detector": limited,
                "rule": RULE,
            },
        )
        if strategy is None:
            return Outcome(
                WARNING,
                f"no diffraction on the {len(analyses)} reference images ({sum(spots)} spots): "
                "is the crystal in the beam? No strategy proposed",
            )
        edge = "; the spots reach the edge of the images" if limited else ""
        return Outcome(message=f"{sum(spots)} spots{edge}; proposed: {describe(strategy)}")


def _limits(collect: CollectRole) -> dict[str, Any]:
    """The resolution range and longest exposure time of the beamline now."""
    try:
        limits = collect.get_acquisition_limits()
    except (AttributeError, ValueError, RuntimeError):
        return {"resolution": None, "exp_max": 3600.0}
    exp = limits.exp_time
    return {"resolution": limits.resolution, "exp_max": exp[1] if exp else 3600.0}


def describe(strategy: Mapping[str, object]) -> str:
    """``1800 x 0.1 deg, 0.01 s, 12.5 %, 2.1 A``."""
    s = strategy
    return (
        f"{s['num_images']} x {s['osc_range']:g} deg, {s['exp_time']:g} s, "
        f"{s['transmission']:g} %, {s['resolution']:g} A"
    )


def strategy_parameters(model: QueueModel, node_id: int) -> dict[str, Any]:
    """The DataCollection parameters the characterisation ``node_id`` proposes: its own
    acquisition and path fields, changed as the strategy says, the ``ref-`` prefix
    taken off. ``Refused`` when there is no strategy."""
    node = model.get_node(node_id)
    if node.type != "Characterisation":
        raise Refused(f"{node.describe()} is not a characterisation")
    strategy = node.results.get("strategy")
    if not strategy:
        why = "it has not run" if not node.has_run else "it proposed none (no diffraction?)"
        raise Refused(f"{node.describe()} has no strategy to accept: {why}")
    p = thaw(node.parameters)
    values = {k: p[k] for k in (*ACQUISITION_FIELDS, *PATH_FIELDS) if k in p}
    values.update(thaw(strategy))
    prefix = str(values.get("prefix", ""))
    if prefix.startswith(REFERENCE_PREFIX) and len(prefix) > len(REFERENCE_PREFIX):
        values["prefix"] = prefix[len(REFERENCE_PREFIX) :]
    values["centred_position"] = p.get("centred_position")
    return values


def accept_strategy(
    model: QueueModel, history: History | None, node_id: int, session: SessionRole | None = None
) -> int:
    """Add the DataCollection that characterisation ``node_id`` proposes right after it
    (same parent), with a run number nothing uses; return its id.

    Raises ``Refused`` without a strategy, and the model's errors (``ParameterError``
    naming the field) when the strategy does not fit the limits now.
    """
    values = with_free_run_number(
        strategy_parameters(model, node_id), model, history, session, exclude=()
    )
    parent, row = model.row_of(node_id)
    new_id = model.add(parent, "DataCollection", values, index=row + 1)
    accepted = list(model.get_node(node_id).results.get("accepted", ())) + [new_id]
    model.update_results(node_id, {"accepted": accepted})
    return new_id
