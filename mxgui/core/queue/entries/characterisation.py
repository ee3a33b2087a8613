"""The Characterisation entry: reference images, then a proposed data collection.

``num_images`` reference images of ``osc_range`` each, ``angle_step`` degrees apart
(by default 4 images 90 degrees apart), are one run: one ``collect.collect`` call
with one wedge per image (``image_starts``), so the files are ``<prefix>_<r>_00001``
... ``<prefix>_<r>_0000n``, each with its own start angle in its header; the node's
``run_number`` is ``r`` (``reference_runs`` is ``[r]``).

The images are analysed and a data collection proposed by the documented rule of
:mod:`~mxgui.core.queue.entries.strategy`, which uses the user's ``space_group``
(empty: unknown), ``anomalous`` and ``strategy_complexity``; the node's results hold
``strategy`` (the first sweep's parameters), ``strategy_sweeps`` (every sweep, that
one first), ``strategy_reasons`` and ``strategy_warnings`` (why, and what to watch),
``reference`` (what each image showed), ``reference_runs`` and ``rule``.
:func:`accept_strategy` adds those collections to the queue right after the
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
    propose,
    reaches_edge,
    read_frames,
)
from mxgui.core.queue.fields import ACQUISITION_FIELDS, PATH_FIELDS
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import WARNING, thaw
from mxgui.core.queue.runs import with_free_run_number
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
        params = dataclasses.replace(acquisition_of(p), first_image=1)
        starts = reference_angles(params.osc_start, step, count)
        path = path_of(p)
        centred = resolve_position(ctx, p.get("centred_position"), "centred_position")
        ctx.model.update_results(ctx.node.id, {"reference_runs": [path.run_number]})
        before = len(ctx.files)
        run_collection(ctx, collect, params, path, centred, image_starts=starts)
        images = [f for f in ctx.files[before:] if not f.endswith(".png")]
        ctx.check_interrupt()
        try:
            analyses = [analyse(frame) for image in images for frame in read_frames(image)]
        except ValueError as exc:
            raise EntryFailed(f"analysing the reference images: {exc}") from None
        limits = _limits(collect)
        proposal = propose(analyses, p, limits.get("resolution"), limits["exp_max"])
        strategy = proposal.parameters
        spots = [a.spots for a in analyses]
        limited = strategy is not None and reaches_edge(analyses)
        ctx.model.update_results(
            ctx.node.id,
            {
                "reference": [a.to_dict() for a in analyses],
                "strategy": strategy,
                "strategy_sweeps": proposal.sweeps,
                "strategy_reasons": proposal.reasons,
                "strategy_warnings": proposal.warnings,
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


def reference_angles(osc_start: float, angle_step: float, count: int) -> list[float]:
    """The start angle of each reference image: ``angle_step`` apart from ``osc_start``."""
    return [osc_start + k * angle_step for k in range(count)]


def _limits(collect: CollectRole) -> dict[str, Any]:
    """The resolution range and longest exposure time of the beamline now."""
    try:
        limits = collect.get_acquisition_limits()
    except (AttributeError, ValueError, RuntimeError):
        return {"resolution": None, "exp_max": 3600.0}
    exp = limits.exp_time
    return {"resolution": limits.resolution, "exp_max": exp[1] if exp else 3600.0}


def describe(strategy: Mapping[str, object]) -> str:
    """``1800 x 0.1 deg, 0.01 s, 12.5 %, 2.1 Å``."""
    s = strategy
    return (
        f"{s['num_images']} x {s['osc_range']:g} deg, {s['exp_time']:g} s, "
        f"{s['transmission']:g} %, {s['resolution']:g} Å"
    )


def strategy_parameters(model: QueueModel, node_id: int) -> list[dict[str, Any]]:
    """The DataCollection parameters of each sweep the characterisation ``node_id``
    proposes: its own acquisition and path fields, changed as the sweep says, the
    ``ref-`` prefix taken off. ``Refused`` when there is no strategy."""
    node = model.get_node(node_id)
    if node.type != "Characterisation":
        raise Refused(f"{node.describe()} is not a characterisation")
    strategy = node.results.get("strategy")
    if not strategy:
        why = "it has not run" if not node.has_run else "it proposed none (no diffraction?)"
        raise Refused(f"{node.describe()} has no strategy to accept: {why}")
    sweeps = thaw(node.results.get("strategy_sweeps")) or [thaw(strategy)]
    p = thaw(node.parameters)
    base = {k: p[k] for k in (*ACQUISITION_FIELDS, *PATH_FIELDS) if k in p}
    prefix = str(base.get("prefix", ""))
    if prefix.startswith(REFERENCE_PREFIX) and len(prefix) > len(REFERENCE_PREFIX):
        base["prefix"] = prefix[len(REFERENCE_PREFIX) :]
    base["centred_position"] = p.get("centred_position")
    return [{**base, **sweep} for sweep in sweeps]


def accept_strategy(
    model: QueueModel, history: History | None, node_id: int, session: SessionRole | None = None
) -> int:
    """Add the DataCollections that characterisation ``node_id`` proposes right after
    it (same parent), one per sweep in order, each with a run number nothing uses;
    return the first's id (``results["accepted"]`` lists them all).

    Raises ``Refused`` without a strategy, and the model's errors (``ParameterError``
    naming the field) when a sweep does not fit the limits now: then none is added.
    """
    parent, row = model.row_of(node_id)
    added: list[int] = []
    try:
        for values in strategy_parameters(model, node_id):
            values = with_free_run_number(values, model, history, session, exclude=())
            added.append(model.add(parent, "DataCollection", values, index=row + 1 + len(added)))
    except Exception:
        model.remove(added)  # all the sweeps or none
        raise
    accepted = list(model.get_node(node_id).results.get("accepted", ())) + added
    model.update_results(node_id, {"accepted": accepted})
    return added[0]
