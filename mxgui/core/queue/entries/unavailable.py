"""Entries whose execution belongs to later issues: they fail at once, saying so.

A node type listed in :data:`LATER` is kept in the queue and saved with it, and running
it marks it FAILED with the reason below (nothing moves, nothing is written): an honest
"not yet" rather than a pretend result. Every node type runs now (MeshScan since issue
7, Workflow and XrayCentring since issue 6), so the list is empty.
"""

from __future__ import annotations

from mxgui.core.queue.entries.base import Entry, EntryContext, EntryFailed, Outcome

#: node type -> (issue number, what that issue is about)
LATER: dict[str, tuple[int, str]] = {}


def unavailable_message(node_type: str) -> str:
    """``MeshScan execution is not available yet (issue 7: mesh scans ...)``."""
    issue, topic = LATER[node_type]
    return f"{node_type} execution is not available yet (issue {issue}: {topic})"


class UnavailableEntry(Entry):
    """Fails with :func:`unavailable_message` (the parameters are not even checked)."""

    writes_files = False

    def prepare(self, ctx: EntryContext) -> None:
        """Nothing to check: the entry does not run."""

    def run(self, ctx: EntryContext) -> Outcome:
        raise EntryFailed(unavailable_message(ctx.node.type))
