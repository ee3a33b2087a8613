"""The types of the LIMS outbox's contract with its sender (Qt-free): what an operation
is, what a sender's exception means, and the status the user sees.
:mod:`mxgui.core.lims.outbox` re-exports them."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Classifier", "Operation", "OutboxFault", "OutboxStatus", "Sender"]


class OutboxFault(enum.Enum):
    """What a sender's exception means for the operation it was sending."""

    RETRY = "retry"  # the database could not be reached: try the same operation again
    PERMANENT = "permanent"  # the database refused it: it fails, the line goes on


@dataclass(frozen=True)
class Operation:
    """One write as handed to the sender.

    ``attempts`` counts the attempts before this one: above 0, an earlier attempt may
    have committed on the server, so the sender looks for the row before inserting it.
    ``payload`` has its references resolved; ``created`` is the epoch time of the put.
    """

    key: str
    kind: str
    payload: dict[str, object]
    attempts: int
    created: float


#: writes one operation to the database and returns its result (JSON-able)
Sender = Callable[[Operation], dict[str, object]]
#: what a sender's exception means
Classifier = Callable[[BaseException], OutboxFault]


@dataclass(frozen=True)
class OutboxStatus:
    """The outbox as the user sees it.

    ``online`` is ``None`` before the first attempt, ``False`` while retrying (``reason``
    holds the last error, ``next_retry`` the epoch time of the next attempt).
    """

    waiting: int
    failed: int
    sent: int
    online: bool | None
    reason: str
    next_retry: float | None
