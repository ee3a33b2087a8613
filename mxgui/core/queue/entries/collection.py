"""The DataCollection entry: one rotation data set through the collect object.

``collect.collect(parameters, path, centred_position)`` does the whole sequence
(directories, shutters, centred position, snapshots, energy / transmission /
resolution, images); this entry waits for it, passes its progress on, and records the
files written (images, then snapshots) on the node. A stop calls
``collect.stop_collect()``: the collection ends between two images, and the node keeps
the complete files written until then.

A helical collection (``helical_start`` and ``helical_end``: saved point ids or
position dicts) is the same call with ``centred_position`` the start and
``helical_end`` the end: the collect object moves the sample linearly from one to the
other over the images.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from mxgui.core.acquisition import AcquisitionParameters, PathTemplate
from mxgui.core.centring import CentredPosition
from mxgui.core.queue.entries.base import (
    Entry,
    EntryContext,
    EntryFailed,
    EntryInterrupted,
    Outcome,
)
from mxgui.core.queue.entries.sample import resolve_position
from mxgui.core.queue.fields import ACQUISITION_FIELDS, PATH_FIELDS
from mxgui.core.roles.collect import CollectRole
from mxgui.core.words import counted


def acquisition_of(parameters: dict[str, Any]) -> AcquisitionParameters:
    """The acquisition fields of a task's parameters."""
    return AcquisitionParameters(**{k: parameters[k] for k in ACQUISITION_FIELDS})


def path_of(parameters: dict[str, Any]) -> PathTemplate:
    """The path fields of a task's parameters."""
    return PathTemplate(**{k: parameters[k] for k in PATH_FIELDS})


class DataCollectionEntry(Entry):
    """A rotation collection, standard or helical (see the module docstring)."""

    holds_interlock = True

    def run(self, ctx: EntryContext) -> Outcome:
        p = ctx.parameters
        collect = ctx.require("collect", "a data collection")
        params, path = acquisition_of(p), path_of(p)
        helical_end = None
        centred: CentredPosition | None
        if p.get("helical_start") is not None or p.get("helical_end") is not None:
            centred = helical_point(ctx, p.get("helical_start"), "helical_start")
            helical_end = helical_point(ctx, p.get("helical_end"), "helical_end")
        else:
            centred = resolve_position(ctx, p.get("centred_position"), "centred_position")
        info = run_collection(ctx, collect, params, path, centred, helical_end=helical_end)
        taken = info.get("images_taken", params.num_images)
        return Outcome(
            message=f"{counted(taken, 'image')} of run {path.run_number} in {path.directory}"
        )


def helical_point(ctx: EntryContext, value: object, what: str) -> CentredPosition:
    """One end of a helical collection: a saved point id or a position dict."""
    position = resolve_position(ctx, value, what)
    if position is None:
        raise EntryFailed(f"{what}: missing; a helical collection needs both ends")
    return position


def run_collection(
    ctx: EntryContext,
    collect: CollectRole,
    params: AcquisitionParameters,
    path: PathTemplate,
    centred: CentredPosition | None,
    span: tuple[float, float] = (0.0, 1.0),
    helical_end: CentredPosition | None = None,
    image_starts: Sequence[float] | None = None,
) -> dict[str, Any]:
    """One ``collect.collect`` call, waited for; its files are added to ``ctx.files``
    (those written before a failure or a stop too). ``span`` is the part of the entry's
    progress this collection covers; ``helical_end``, if given, makes it helical from
    ``centred``; ``image_starts``, one wedge per image from those angles. Returns the
    collect's ``info``."""
    low, high = span

    def on_progress(fraction: float) -> None:
        ctx.progress(low + (high - low) * fraction)

    collect.connect("progressChanged", on_progress)
    try:

        def start() -> Future[dict[str, Any]]:
            future: Future[dict[str, Any]]
            if helical_end is not None:
                future = collect.collect(params, path, centred, helical_end=helical_end)
            elif image_starts is not None:
                future = collect.collect(params, path, centred, image_starts=image_starts)
            else:
                future = collect.collect(params, path, centred)
            return future

        try:
            info: dict[str, Any] = ctx.start(start, "data collection", abort=collect.stop_collect)
        except (EntryFailed, EntryInterrupted):
            ctx.files.extend(files_written(collect.get_collection_info(), path))
            raise
    finally:
        collect.disconnect("progressChanged", on_progress)
    ctx.files.extend(files_written(info, path))
    return info


def files_written(info: dict[str, Any] | None, path: PathTemplate) -> list[str]:
    """The images then the snapshots of ``info`` if it is the collection of ``path``."""
    if not info or info.get("prefix") != path.prefix or info.get("run_number") != path.run_number:
        return []
    if info.get("directory") not in (None, path.directory):
        return []
    return [str(f) for f in info.get("files", ())] + [str(f) for f in info.get("snapshots", ())]
