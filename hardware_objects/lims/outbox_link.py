"""The LIMS object's outbox: opened cheaply at init, an ISPyB sender built on first send,
and its status handed on at most a few times a second.

The outbox (:class:`mxgui.core.lims.outbox.Outbox`: sqlite3 only) is opened when the
``lims`` object initialises. Its sender is made in the outbox's worker thread the first
time something is sent: the engine comes from the LIMS object (``connect``), the writer
is :class:`mxgui.core.lims.ispyb_writer.IspybWriter`; SQLAlchemy and ISPyB's models are
not imported before. The outbox calls its listeners once per operation; :class:`Throttle`
hands the status on at most every ``interval`` seconds, the last one always.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import CancelledError
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from mxgui.core.lims.outbox import Operation, Outbox, OutboxFault, OutboxStatus

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from mxgui.core.lims.ispyb_writer import IspybWriter

log = logging.getLogger(__name__)
T = TypeVar("T")

#: seconds between two status deliveries at most
STATUS_INTERVAL = 0.25


class Throttle(Generic[T]):
    """Calls ``deliver(value)`` at most every ``interval`` seconds with the latest value
    pushed; the last value pushed is always delivered (by a timer thread when it came too
    soon). :meth:`close` cancels a pending delivery."""

    def __init__(self, deliver: Callable[[T], None], interval: float = STATUS_INTERVAL) -> None:
        self._deliver = deliver
        self._interval = interval
        self._lock = threading.Lock()
        self._last = -float("inf")
        self._pending: T | None = None
        self._timer: threading.Timer | None = None
        self._closed = False

    def push(self, value: T) -> None:
        with self._lock:
            if self._closed:
                return
            self._pending = value
            if self._timer is not None:
                return  # the timer delivers the latest
            wait = self._last + self._interval - time.monotonic()
            if wait > 0:
                self._timer = threading.Timer(wait, self._flush)
                self._timer.daemon = True
                self._timer.start()
                return
        self._flush(from_timer=False)

    def _flush(self, from_timer: bool = True) -> None:
        with self._lock:
            if from_timer:
                self._timer = None
            value, self._pending = self._pending, None
            if value is None or self._closed:
                return
            self._last = time.monotonic()
        try:
            self._deliver(value)
        except Exception:
            log.exception("delivering %r failed", value)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            timer.join(1.0)


class OutboxLink:
    """The outbox of a LIMS object (see the module docstring).

    ``connect`` gives the engine to write with (called in the outbox's thread; its
    exceptions mean what :meth:`classify` says); ``on_status`` gets the outbox's status
    as plain values (``waiting``, ``failed``, ``online``, ``reason``), throttled.
    ``OSError`` when the file cannot be opened.
    """

    def __init__(
        self,
        path: Path,
        connect: Callable[[], Engine],
        on_status: Callable[[dict[str, object]], None],
        name: str = "LIMS",
    ) -> None:
        self._connect = connect
        self._writer: IspybWriter | None = None
        self._throttle: Throttle[dict[str, object]] = Throttle(on_status)
        self.outbox = Outbox(path, self._send, self.classify, name=name)
        #: what was wrong with the file found at ``path`` (set aside), else ""
        self.problem = self.outbox.problem
        if self.problem:
            log.error("%s", self.problem)
        self.outbox.add_listener(self._on_outbox_status)
        self.outbox.start()

    def _send(self, operation: Operation) -> dict[str, object]:
        writer = self._writer
        if writer is None:
            from mxgui.core.lims.ispyb_writer import IspybWriter

            writer = self._writer = IspybWriter(self._connect())
        return writer.send(operation)

    def classify(self, exc: BaseException) -> OutboxFault:
        """RETRY while the database is away (or the LIMS object shuts down), else
        PERMANENT (a bad payload, a schema too old: the reason names it)."""
        if isinstance(exc, CancelledError):
            return OutboxFault.RETRY
        writer = self._writer
        if writer is not None:
            return OutboxFault(writer.classify(exc))
        from mxgui.core.lims.database import is_transient

        return OutboxFault.RETRY if is_transient(exc) else OutboxFault.PERMANENT

    def _on_outbox_status(self, status: OutboxStatus) -> None:
        values: dict[str, object] = {"waiting": status.waiting, "failed": status.failed}
        if status.online is not None:
            values["online"] = status.online
            values["reason"] = "" if status.online else status.reason
        self._throttle.push(values)

    def status(self) -> dict[str, object]:
        """The outbox's status now (unthrottled), as :meth:`_on_outbox_status` gives it."""
        status = self.outbox.status()
        return {"waiting": status.waiting, "failed": status.failed}

    def retry_now(self) -> None:
        self.outbox.retry_now()

    def retry_failed(self) -> int:
        """Send the failed operations again, each in its place; how many (0 once the
        outbox is closed)."""
        try:
            return self.outbox.send_failed_again()
        except RuntimeError as exc:  # closed at shutdown
            log.info("%s: failed LIMS writes not sent again: %s", self.outbox.name, exc)
            return 0

    def close(self, timeout: float = 5.0) -> None:
        """Close the outbox (what waits stays in its file) and stop the status timer."""
        self.outbox.close(timeout)
        self._throttle.close()
        writer = self._writer
        if writer is not None:  # the outbox's own engine (see IspybLims._writer_engine)
            writer.engine.dispose()
