"""How each type of queue node is executed: one small module per task family.

- :mod:`.base`: the context an entry runs in (interruptible waits, files, progress),
  failures and interruptions, the free run number claimed before a run;
- :mod:`.sample`: mount and centre (manual, saved point or none);
- :mod:`.collection`: DataCollection (standard or helical);
- :mod:`.characterisation` and :mod:`.strategy`: reference images, the proposed
  collection and its documented rule, ``accept_strategy``;
- :mod:`.energy_scan`: EnergyScan and ``add_mad_collections``;
- :mod:`.mesh`: MeshScan (one image per grid cell, scored as they arrive);
- :mod:`.workflow`: Workflow and XrayCentring (an external workflow, waited for while
  it runs queue nodes nested);
- :mod:`.unavailable`: node types whose execution is for a later issue (none now).

:func:`default_entries` maps each node type to its entry; the engine takes another
mapping to replace some (tests, benchmarks, a site's own entry).
"""

from __future__ import annotations

from mxgui.core.queue.entries.base import (
    Entry,
    EntryContext,
    EntryFailed,
    EntryInterrupted,
    Outcome,
)
from mxgui.core.queue.entries.characterisation import CharacterisationEntry, accept_strategy
from mxgui.core.queue.entries.collection import DataCollectionEntry
from mxgui.core.queue.entries.energy_scan import EnergyScanEntry, add_mad_collections
from mxgui.core.queue.entries.mesh import MeshScanEntry
from mxgui.core.queue.entries.sample import SampleEntry
from mxgui.core.queue.entries.unavailable import LATER, UnavailableEntry
from mxgui.core.queue.entries.workflow import WorkflowEntry, XrayCentringEntry
from mxgui.core.queue.nodes import SAMPLE, TASK_GROUP


class TaskGroupEntry(Entry):
    """A task group does nothing itself: its children run after it."""

    writes_files = False

    def prepare(self, ctx: EntryContext) -> None:
        """Nothing to check."""

    def run(self, ctx: EntryContext) -> Outcome:
        return Outcome()


def default_entries() -> dict[str, Entry]:
    """The entry of every node type."""
    entries: dict[str, Entry] = {
        SAMPLE: SampleEntry(),
        TASK_GROUP: TaskGroupEntry(),
        "DataCollection": DataCollectionEntry(),
        "Characterisation": CharacterisationEntry(),
        "EnergyScan": EnergyScanEntry(),
        "MeshScan": MeshScanEntry(),
        "Workflow": WorkflowEntry(),
        "XrayCentring": XrayCentringEntry(),
    }
    entries.update({t: UnavailableEntry() for t in LATER if t not in entries})
    return entries


__all__ = [
    "Entry",
    "EntryContext",
    "EntryFailed",
    "EntryInterrupted",
    "Outcome",
    "TaskGroupEntry",
    "accept_strategy",
    "add_mad_collections",
    "default_entries",
]
