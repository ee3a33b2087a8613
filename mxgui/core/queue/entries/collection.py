"""The DataCollection entry: one rotation data set through the collect object.

``collect.collect(parameters, path, centred_position)`` does the whole sequence
(directories, shutters, centred position, snapshots, energy / transmission /
resolution, images); this entry waits for it, passes its progress on, and records the
files written (images, then snapshots) on the node. A stop calls
``collect.stop_collect()``: the collection ends between two images, and the node keeps
the complete files written until then.

Helical collections (``helical_start`` / ``helical_end``) are **not available yet**: the
collect interface has no way to translate the sample between two points during the
rotation, and the simulated collect cannot append images to a run, so a helical task
fails at once with that reason rather than collecting something else.
"""

from __future__ import annotations

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

HELICAL_UNAVAILABLE = (
    "helical collection is not available yet: the collect object cannot move the "
    "sample between two points during the rotation (collect from one point instead)"
)


def acquisition_of(parameters: dict[str, Any]) -> AcquisitionParameters:
    """The acquisition fields of a task's parameters."""
    return AcquisitionParameters(**{k: parameters[k] for k in ACQUISITION_FIELDS})


def path_of(parameters: dict[str, Any]) -> PathTemplate:
    """The path fields of a task's parameters."""
    return PathTemplate(**{k: parameters[k] for k in PATH_FIELDS})


class DataCollectionEntry(Entry):
    """A standard rotation collection (helical: see the module docstring)."""

    def run(self, ctx: EntryContext) -> Outcome:
        p = ctx.parameters
        if p.get("helical_start") is not None or p.get("helical_end") is not None:
            raise EntryFailed(HELICAL_UNAVAILABLE)
        collect = ctx.require("collect", "a data collection")
        params, path = acquisition_of(p), path_of(p)
        centred = resolve_position(ctx, p.get("centred_position"), "centred_position")
        info = run_collection(ctx, collect, params, path, centred)
        taken = info.get("images_taken", params.num_images)
        return Outcome(message=f"{taken} images of run {path.run_number} in {path.directory}")


def run_collection(
    ctx: EntryContext,
    collect: Any,
    params: AcquisitionParameters,
    path: PathTemplate,
    centred: CentredPosition | None,
    span: tuple[float, float] = (0.0, 1.0),
) -> dict[str, Any]:
    """One ``collect.collect`` call, waited for; its files are added to ``ctx.files``
    (those written before a failure or a stop too). ``span`` is the part of the entry's
    progress this collection covers. Returns the collect's ``info``."""
    low, high = span

    def on_progress(fraction: float) -> None:
        ctx.progress(low + (high - low) * fraction)

    collect.connect("progressChanged", on_progress)
    try:

        def start() -> Future:
            return collect.collect(params, path, centred)

        try:
            info = ctx.start(start, "data collection", abort=collect.stop_collect)
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
