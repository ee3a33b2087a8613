"""The EnergyScan entry, and the MAD collections made from its result.

The scan runs on the ``energy_scan`` hardware object (see
``hardware_objects/abstract/energy_scan.py``): its points arrive as ``scanPoint`` (a
plot follows them; the entry turns them into progress), its result goes into the
node's results (``peak``, ``inflection``, ``remote``, ``edge_energy``, ``edge_jump``,
``energies``, ``counts``) and its data file into the node's files. A stop calls
``stop_energy_scan``; a stopped scan writes no file.

:func:`add_mad_collections` makes one DataCollection per chosen energy (peak,
inflection, remote) right after the scan, with prefixes ``<prefix>-pk``, ``-ip``,
``-rm`` (mxcubeqt's names) and run numbers nothing uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from mxgui.core.errors import Refused
from mxgui.core.queue.entries.base import Entry, EntryContext, Outcome
from mxgui.core.queue.entries.collection import path_of
from mxgui.core.queue.history import History
from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.nodes import thaw
from mxgui.core.queue.runs import with_free_run_number
from mxgui.core.roles.collect import SessionRole

#: the energies a MAD collection may use, with the suffix of their prefix
MAD_ENERGIES = {"peak": "pk", "inflection": "ip", "remote": "rm"}
_SCAN_FIELDS = (
    "element",
    "edge",
    "start_energy",
    "end_energy",
    "step_ev",
    "count_time",
    "transmission",
)


class EnergyScanEntry(Entry):
    """A fluorescence scan across the node's edge; peak, inflection and remote."""

    holds_interlock = True

    def run(self, ctx: EntryContext) -> Outcome:
        scanner = ctx.require("energy_scan", "an energy scan")
        p = ctx.parameters
        parameters = {k: p[k] for k in _SCAN_FIELDS}
        path = path_of(p)
        start = parameters["start_energy"]
        span = max(parameters["end_energy"] - start, 1e-9)

        def on_point(energy: float, _counts: float) -> None:
            ctx.progress((energy - start) / span)

        scanner.connect("scanPoint", on_point)
        try:
            result = ctx.start(
                lambda: scanner.start_energy_scan(parameters, path),
                "energy scan",
                abort=scanner.stop_energy_scan,
            )
        finally:
            scanner.disconnect("scanPoint", on_point)
        if result.get("file"):
            ctx.files.append(str(result["file"]))
        keys = ("peak", "inflection", "remote", "edge_energy", "edge_jump", "energies", "counts")
        ctx.model.update_results(ctx.node.id, {k: result[k] for k in keys if k in result})
        return Outcome(
            message=(
                f"{p['element']} {p['edge']}: peak {result['peak']:.4f}, "
                f"inflection {result['inflection']:.4f}, remote {result['remote']:.4f} keV"
            )
        )


def add_mad_collections(
    model: QueueModel,
    history: History | None,
    scan_id: int,
    base: Mapping[str, Any],
    energies: Sequence[str] = ("peak", "inflection", "remote"),
    session: SessionRole | None = None,
) -> list[int]:
    """Add one DataCollection per energy of ``energies`` (names of
    :data:`MAD_ENERGIES`) after the energy scan ``scan_id``; return their ids.

    ``base`` holds the collection's parameters (the task toolbox's defaults for the
    sample, say); its ``prefix`` (else the scan's) gets the energy's suffix. ``Refused``
    when the scan has no result or a name is unknown; the model's ``ParameterError``
    when an energy is outside the limits.
    """
    scan = model.get_node(scan_id)
    if scan.type != "EnergyScan":
        raise Refused(f"{scan.describe()} is not an energy scan")
    unknown = [name for name in energies if name not in MAD_ENERGIES]
    if unknown or not energies:
        raise Refused(
            f"MAD energies: {', '.join(unknown) or 'none chosen'}; "
            f"choose among {', '.join(MAD_ENERGIES)}"
        )
    missing = [name for name in energies if not isinstance(scan.results.get(name), float)]
    if missing:
        raise Refused(f"{scan.describe()} has no {', '.join(missing)} energy: run the scan first")
    scan_params = thaw(scan.parameters)
    prefix = str(base.get("prefix") or scan_params.get("prefix") or "mad")
    parent, row = model.row_of(scan_id)
    added: list[int] = []
    for offset, name in enumerate(energies, start=1):
        values = dict(base)
        values.update(
            energy=round(float(scan.results[name]), 5),
            prefix=f"{prefix}-{MAD_ENERGIES[name]}",
            directory=str(base.get("directory") or scan_params.get("directory", "")),
        )
        values = with_free_run_number(values, model, history, session)
        added.append(model.add(parent, "DataCollection", values, index=row + offset))
    return added
