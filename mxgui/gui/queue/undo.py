"""Undo and redo of queue edits: Qt's ``QUndoStack`` over the queue model.

A delete and a move are commands; the edit is made first (a refusal raises and pushes
nothing), then pushed, so the stack holds only what happened. Undoing a delete puts
the subtrees back at their places with their parameters (:mod:`mxgui.core.queue.subtree`);
the nodes put back get new ids, and :class:`QueueEdits` maps the old ids to the new
ones so that older commands still find their nodes. A command that can no longer be
undone or redone (its node was removed by someone else, a parameter is refused now)
says why through ``refused`` and leaves the stack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from PyQt5.QtCore import QObject, pyqtSignal
from PyQt5.QtWidgets import QUndoCommand, QUndoStack

from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.subtree import Removed, remove_subtrees, restore_subtree
from mxgui.core.words import counted

#: commands kept for undo (each holds copies of what it removed)
UNDO_LIMIT = 100
#: one move: the node, ``(parent, row)`` before and after
Step = tuple[int, tuple[int, int], tuple[int, int]]


class QueueEdits(QObject):
    """The queue's undoable edits and their stack.

    ``restored(ids)`` gives the ids of the subtrees an undo of a delete put back;
    ``refused(reason)`` says why an undo or redo could not be made.
    """

    restored = pyqtSignal(list)
    refused = pyqtSignal(str)

    def __init__(self, model: QueueModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.stack = QUndoStack(self)
        self.stack.setUndoLimit(UNDO_LIMIT)
        self._new_ids: dict[int, int] = {}
        self._moves: list[Step] | None = None  # moves of one group, while it is made

    def current_id(self, node_id: int) -> int:
        """The id a node has now (it changes when an undo puts the node back)."""
        while node_id in self._new_ids:
            node_id = self._new_ids[node_id]
        return node_id

    def renumbered(self, new_ids: dict[int, int]) -> None:
        """Record the new ids of nodes put back."""
        self._new_ids.update((old, new) for old, new in new_ids.items() if old != new)

    def delete(self, node_ids: Iterable[int]) -> list[int]:
        """Remove ``node_ids`` with their subtrees (undoably); return the subtree roots
        removed. ``QueueError`` (nothing removed, nothing pushed) as ``QueueModel.remove``."""
        removed = remove_subtrees(self.model, node_ids)
        if removed:
            self.stack.push(DeleteCommand(self, removed))
        return [r.copy.id for r in removed]

    def move(self, node_id: int, new_parent: int, index: int | None = None) -> None:
        """``QueueModel.move`` (undoably); ``QueueError`` for a refused move."""
        before = self.model.row_of(node_id)
        self.model.move(node_id, new_parent, index)
        after = self.model.row_of(node_id)
        if after == before:
            return
        if self._moves is not None:
            self._moves.append((node_id, before, after))
        else:
            self.stack.push(MoveCommand(self, [(node_id, before, after)]))

    @contextmanager
    def grouped_moves(self) -> Iterator[None]:
        """The moves made inside are one command (those made before a refusal too)."""
        moves: list[Step] = []
        self._moves = moves
        try:
            yield
        finally:
            self._moves = None
            if moves:
                self.stack.push(MoveCommand(self, moves))

    def clear(self) -> None:
        """Forget every command (the queue was replaced: restored, cleared)."""
        self.stack.clear()
        self._new_ids.clear()


class _Command(QUndoCommand):
    """A command whose edit was made before it was pushed (its first redo does nothing)."""

    def __init__(self, edits: QueueEdits, text: str) -> None:
        super().__init__(text)
        self.edits = edits
        self._done = True

    def redo(self) -> None:
        if self._done:
            self._done = False
            return
        self._attempt("redo", self.apply)

    def undo(self) -> None:
        self._attempt("undo", self.revert)

    def _attempt(self, what: str, step: Callable[[], None]) -> None:
        try:
            step()
        except ValueError as exc:  # QueueError, ParameterError: the queue refused
            self.edits.refused.emit(f"cannot {what} {self.text().lower()}: {exc}")
            self.setObsolete(True)  # the stack drops it

    def apply(self) -> None:
        """Make the edit again."""

    def revert(self) -> None:
        """Take the edit back."""


class DeleteCommand(_Command):
    """Subtrees removed; undo puts them back at their rows under their parents."""

    def __init__(self, edits: QueueEdits, removed: list[Removed]) -> None:
        super().__init__(edits, f"Delete {counted(len(removed), 'node')}")
        self.removed = removed

    def apply(self) -> None:
        edits = self.edits
        ids = [edits.current_id(r.copy.id) for r in self.removed]
        self.removed = remove_subtrees(edits.model, ids)

    def revert(self) -> None:
        edits = self.edits
        tops = []
        for removed in self.removed:
            parent = edits.current_id(removed.parent)
            new_ids = restore_subtree(edits.model, removed.copy, parent, removed.row)
            edits.renumbered(new_ids)
            tops.append(new_ids[removed.copy.id])
        edits.restored.emit(tops)


class MoveCommand(_Command):
    """Nodes moved one after the other, each from ``before`` to ``after``."""

    def __init__(self, edits: QueueEdits, steps: list[Step]) -> None:
        super().__init__(edits, f"Move {counted(len(steps), 'node')}")
        self.steps = steps

    def _move_to(self, node_id: int, place: tuple[int, int]) -> None:
        edits = self.edits
        parent, row = place
        edits.model.move(edits.current_id(node_id), edits.current_id(parent), row)

    def apply(self) -> None:
        for node_id, _before, after in self.steps:
            self._move_to(node_id, after)

    def revert(self) -> None:
        for node_id, before, _after in reversed(self.steps):
            self._move_to(node_id, before)
