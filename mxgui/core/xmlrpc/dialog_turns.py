"""One workflow dialog open at a time: who may ask the user now, who waits, who is refused.

A workflow run is what asks the user, and runs do not overlap: the queue executes one
entry at a time, and a workflow entry's dialogs come from that entry's workflow. The
server cannot tell two runs' calls apart (the workflows mxgui starts share its token),
so it keeps the rule simplest to reason about: **one open dialog in all**. A second
``open_dialog`` waits its turn for at most :attr:`DialogTurns.turn_wait` s (so a
workflow that asks again right after an answer, or after its previous call was
abandoned, is served), with at most :attr:`DialogTurns.max_waiting` callers in line;
anyone else gets a Fault at once naming the dialog that is open. A waiting caller that
hangs up leaves the line.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mxgui.core.xmlrpc.dispatch import Unavailable

#: seconds a second dialog waits for the open one to end before it is refused
TURN_WAIT = 5.0
#: callers that may wait in line at once (each holds a server thread while it waits)
MAX_WAITING = 2
_POLL = 0.25


class DialogBusy(Unavailable):
    """Another workflow dialog is open; this one was not shown."""


class DialogTurns:
    """Lets one dialog be open at a time (see the module's docstring)."""

    def __init__(self, turn_wait: float = TURN_WAIT, max_waiting: int = MAX_WAITING) -> None:
        self.turn_wait = turn_wait
        self.max_waiting = max_waiting
        self._state = threading.Condition()  # guards the two fields below
        self._waiting = 0
        #: the title of the dialog open now (``None``: none); its call holds the turn
        self.open_title: str | None = None

    @property
    def waiting(self) -> int:
        """How many callers wait for their turn now."""
        with self._state:
            return self._waiting

    @contextmanager
    def turn(
        self, title: str, abandoned: Callable[[], bool], stopping: Callable[[], bool]
    ) -> Iterator[None]:
        """Hold the one dialog turn for the block, after waiting for it if needed.

        Raises
        ------
        DialogBusy
            when the line is full or the turn did not come within ``turn_wait`` s.
        Unavailable
            when ``stopping()`` (the server shuts down) or ``abandoned()`` (the caller
            has gone) becomes true while waiting.
        """
        with self._state:
            if self.open_title is not None:
                if self._waiting >= self.max_waiting:
                    raise self._busy(title, "")
                self._waiting += 1
                try:
                    self._wait_for_turn(title, abandoned, stopping)
                finally:
                    self._waiting -= 1
            self.open_title = title
        try:
            yield
        finally:
            with self._state:
                self.open_title = None
                self._state.notify_all()

    def _wait_for_turn(
        self, title: str, abandoned: Callable[[], bool], stopping: Callable[[], bool]
    ) -> None:
        """Wait (``_state`` held) until no dialog is open."""
        deadline = time.monotonic() + self.turn_wait
        while self.open_title is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._busy(title, f" after waiting {self.turn_wait:g} s")
            if stopping():
                raise Unavailable("the XML-RPC server is shutting down")
            if abandoned():
                raise Unavailable(f"the caller of dialog {title!r} disconnected")
            self._state.wait(min(_POLL, left))

    def _busy(self, title: str, waited: str) -> DialogBusy:
        return DialogBusy(
            f"dialog {title!r} not shown{waited}: the dialog {self.open_title!r} is open, and "
            "workflow dialogs are shown one at a time; ask again once it is answered"
        )
