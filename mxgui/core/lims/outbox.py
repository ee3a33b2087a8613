"""The LIMS outbox: every write stored locally first, then sent in order, exactly once
(Qt-free).

The LIMS client does not write to the database itself: it puts each write (an
*operation*: a kind and a JSON payload) into an :class:`Outbox`, which commits it to a
local SQLite file (:mod:`mxgui.core.lims.outbox_store`) before :meth:`Outbox.put`
returns, so a collection never waits on the database and nothing is lost when the
database, the network or mxgui goes away. A worker thread hands the operations, in the
order they were put, to a *sender* (a plain callable that writes one operation to the
database and returns its result, e.g. ``{"id": 42}``), and records the result.

- A payload value ``{"$ref": "<key>", "field": "id"}`` is replaced, when sent, by that
  field of the result of the operation ``key`` (a collection refers to its group).
- The *classifier* says what a sender's exception means. :attr:`OutboxFault.RETRY` (the
  database is away) stops the line: the same operation is tried again with exponential
  backoff and jitter until it goes through. :attr:`OutboxFault.PERMANENT` (the database
  refused this row) marks it failed, with the reason, and the line goes on; operations
  referring to it fail too, naming it.
- Exactly once: the attempt is counted and committed *before* the sender is called, and
  the result recorded in the transaction that marks the operation sent. After a crash
  between the database's commit and ours, the operation is sent again with
  ``attempts > 0``: the sender then looks for its row before inserting it. A result
  once recorded is never sent again.
- A new :class:`Outbox` on the same file (a restart) sends what was waiting and keeps
  the results, so references to operations sent in an earlier run still resolve.
  Operations sent more than ``keep_sent`` seconds ago are pruned unless a waiting one
  refers to them; failed ones are kept (they hold what the user did).
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from mxgui.core.lims.outbox_payload import decode_object, encode_payload, resolve_references
from mxgui.core.lims.outbox_store import (
    FAILED,
    SENT,
    WAITING,
    OutboxStore,
    StoredOperation,
    sent_payload,
)
from mxgui.core.lims.outbox_types import Classifier, Operation, OutboxFault, OutboxStatus, Sender

__all__ = ["Classifier", "Operation", "Outbox", "OutboxFault", "OutboxStatus", "Sender"]

log = logging.getLogger(__name__)

#: default bounds: one payload's JSON, the file when opened
MAX_PAYLOAD_BYTES = 1 << 20
MAX_FILE_BYTES = 1 << 30
#: sent operations are kept this long (seconds) for references and the history
KEEP_SENT = 30 * 86400.0
#: seconds between two prunes while running
_PRUNE_EVERY = 3600.0
_MAX_KEY_LENGTH = 200
#: characters of a failure's reason kept (a chain of dependents would repeat it)
_MAX_REASON = 1000
#: the share of ``max_file_bytes`` beyond which put() refuses: the file must not grow so
#: large that the next start sets it aside
_PUT_SHARE = 0.9


class _DependencyFailed(Exception):
    """An operation this one refers to failed or has no such result."""


class Outbox:
    """A durable, ordered store-and-forward queue of LIMS writes (see the module).

    Parameters
    ----------
    path
        The SQLite file (its directory is created; ``OSError`` naming the path when it
        cannot be written). A corrupt file is set aside (:attr:`problem` says where).
    sender, classify
        Writes one operation; says what its exceptions mean.
    name
        What log messages and the worker thread are called after.
    min_backoff, max_backoff
        Seconds between attempts while the database is away: doubling from the first to
        the second, each varied by up to 20 %.
    max_payload_bytes, max_file_bytes, keep_sent
        Bounds: one payload's JSON; the file when opened; how long sent operations are
        kept (seconds).
    """

    def __init__(
        self,
        path: Path,
        sender: Sender,
        classify: Classifier,
        *,
        name: str = "LIMS",
        min_backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        max_file_bytes: int = MAX_FILE_BYTES,
        keep_sent: float = KEEP_SENT,
    ) -> None:
        if not 0 < min_backoff <= max_backoff:
            raise ValueError(f"backoff: 0 < min ({min_backoff}) <= max ({max_backoff}) expected")
        self.name = name
        self.path = Path(path)
        self._sender = sender
        self._classify = classify
        self._min_backoff = float(min_backoff)
        self._max_backoff = float(max_backoff)
        self._max_payload_bytes = int(max_payload_bytes)
        self._max_put_bytes = int(_PUT_SHARE * max_file_bytes)
        self._keep_sent = float(keep_sent)
        self._store = OutboxStore(self.path, int(max_file_bytes), f"{name} outbox")
        #: what was wrong with the file found at ``path`` (set aside), else ""
        self.problem = self._store.problem
        self._condition = threading.Condition()
        self._listeners: list[Callable[[OutboxStatus], None]] = []
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._closed = False
        self._woken = False
        self._retry_now = False
        self._online: bool | None = None
        self._reason = ""
        self._next_retry: float | None = None
        self._failures = 0  # attempts in a row that asked for a retry
        self._published: OutboxStatus | None = None
        self._pruned_at = 0.0
        # the state and reason of the keys this run put, finished or looked up, so that
        # status_of (asked by the GUI thread for each history row) needs no SQL for them;
        # None: not held. _known_generation changes when a put or a requeue could make
        # a lookup already under way stale.
        self._known: dict[str, tuple[str, str] | None] = {}
        self._known_generation = 0
        self._sending: str | None = None  # the key at the head of the line being tried
        try:
            self._prune()
            self._counts = self._store.counts()
        except sqlite3.Error as exc:
            self._store.close()
            raise OSError(f"{name} outbox {self.path} cannot be read: {exc}") from exc

    def __repr__(self) -> str:
        return f"<Outbox {self.name} {self.path}>"

    # the caller's side ---------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread that sends (once)."""
        with self._condition:
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(
                target=self._run, name=f"{self.name} outbox", daemon=True
            )
            self._thread.start()

    def put(self, kind: str, payload: dict[str, object], key: str | None = None) -> str:
        """Store an operation (committed to the file before this returns); its key.

        ``ValueError`` names the field of a payload that is not JSON or too large, or a
        reference to a key the outbox does not hold. Putting again under a ``key`` already
        used with the same kind and payload changes nothing; with others it is refused.
        ``OSError`` when the file cannot be written; ``RuntimeError`` after :meth:`close`.
        """
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"kind: a non-empty string is expected, not {kind!r}")
        if key is None:
            key = uuid.uuid4().hex
        elif not isinstance(key, str) or not key or len(key) > _MAX_KEY_LENGTH:
            raise ValueError(f"key: a string of 1 to {_MAX_KEY_LENGTH} characters, not {key!r}")
        encoded = encode_payload(payload, self._max_payload_bytes)
        # counted as waiting before it is stored (so that wait_idle cannot end while it is
        # being stored), but the condition is not held across the disk write: status()
        # and the worker do not wait for a slow file
        with self._condition:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed: {kind} {key} was not stored")
            self._counts[WAITING] += 1
        earlier: StoredOperation | None = None
        stored = False
        try:
            self._check_room(kind, key, len(encoded.text))
            earlier = self._store.insert(key, kind, encoded.text, time.time(), encoded.references)
            stored = earlier is None
        except KeyError as exc:
            raise ValueError(f"payload of {kind} {key}: {exc.args[0]}") from None
        except sqlite3.Error as exc:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed: {kind} {key} was not stored") from exc
            raise OSError(
                f"{self.name} outbox {self.path}: {kind} {key} not stored: {exc}"
            ) from exc
        finally:
            with self._condition:
                if stored:
                    self._woken = True
                    self._known[key] = (WAITING, "")
                    self._known_generation += 1
                else:
                    self._counts[WAITING] -= 1
                self._condition.notify_all()
        if earlier is not None:
            same = earlier.payload in (encoded.text, sent_payload(encoded.text))
            if earlier.kind != kind or not same:
                raise ValueError(
                    f"key: {key} is already used by another operation ({earlier.kind})"
                )
        return key

    def status(self) -> OutboxStatus:
        """Waiting, failed and sent operations, and whether the database answers."""
        with self._condition:
            return self._status()

    def status_of(self, key: str) -> tuple[str, str]:
        """``("stored" | "waiting" | "failed", reason)`` of the operation ``key``;
        ``KeyError`` if the outbox does not hold it (never put, or pruned),
        ``RuntimeError`` after :meth:`close`. Read from the file once per run and key;
        then from memory (the outbox follows what it does to it)."""
        with self._condition:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed: {key} cannot be looked up")
            generation = self._known_generation
            held = key in self._known
            known = self._known.get(key)
        if not held:
            row = self._store.get(key)
            known = None if row is None else (row.state, row.reason)
            with self._condition:
                if self._known_generation == generation:
                    known = self._known.setdefault(key, known)
        if known is None:
            raise KeyError(f"{self.name} outbox {self.path} holds no operation {key!r}")
        state, reason = known
        if state == SENT:
            return "stored", ""
        if state == FAILED:
            return "failed", reason
        with self._condition:
            retrying = self._online is False and self._sending == key
            return "waiting", self._reason if retrying else ""

    def result_of(self, key: str) -> dict[str, object] | None:
        """The sender's result for ``key`` once sent, else ``None``; ``KeyError`` if the
        outbox does not hold it."""
        row = self._get(key)
        if row.state != SENT or row.result is None:
            return None
        return decode_object(row.result, f"the result of {row.kind} {key}")

    def add_listener(self, callback: Callable[[OutboxStatus], None]) -> None:
        """Call ``callback(status)`` from the worker thread whenever the status changes
        (a callback that raises is logged)."""
        with self._condition:
            self._listeners.append(callback)

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until nothing is waiting; whether that is so."""
        with self._condition:
            return self._condition.wait_for(lambda: self._counts[WAITING] == 0, timeout)

    def retry_now(self) -> None:
        """Try again at once instead of at the end of the backoff (the user asked, or
        the database was seen back)."""
        with self._condition:
            self._retry_now = True
            self._condition.notify_all()

    def send_failed_again(self) -> int:
        """Put the failed operations back in the line, each in its place (the fault was
        mended: a schema updated, a row the database lacked added); how many."""
        with self._condition:
            if self._closed:
                raise RuntimeError(f"{self!r} is closed: nothing can be sent again")
            again = self._store.requeue_failed()
            self._known_generation += 1
            for key, known in self._known.items():
                if known is not None and known[0] == FAILED:
                    self._known[key] = (WAITING, "")
            # by difference, not recounted: a put in progress is counted already
            self._counts[FAILED] -= again
            self._counts[WAITING] += again
            self._woken = True
            self._condition.notify_all()
        if again:
            log.info("%s outbox: %d failed operations are sent again", self.name, again)
        return again

    def close(self, timeout: float = 5.0) -> None:
        """Stop the worker (waiting up to ``timeout`` seconds for a send in progress) and
        close the file; waiting operations stay in it for the next start. If the sender
        does not return in time, the file is closed when it does."""
        with self._condition:
            if self._closed:
                return
            self._closed = self._stopping = True
            self._condition.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.warning(
                    "%s outbox: the sender did not return within %g s; %s is closed when it does",
                    self.name,
                    timeout,
                    self.path,
                )
                return
        self._store.close()

    # the worker ----------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while not self._stopping:
                self._publish()
                try:
                    self._step()
                except sqlite3.Error as exc:
                    self._retry_later(f"the outbox file {self.path}: {exc}", outage=False)
                except Exception as exc:  # a fault of ours: logged, and the line waits
                    log.exception("%s outbox: the worker failed", self.name)
                    self._retry_later(f"the outbox failed: {_describe(exc)}", outage=False)
            self._publish()
        finally:
            self._store.close()

    def _step(self) -> None:
        """Send the first waiting operation, or wait for one."""
        self._prune_now_and_then()
        row = self._store.first_waiting()
        if row is None:
            self._sleep_until_woken()
        else:
            self._send(row)

    def _send(self, row: StoredOperation) -> None:
        what = f"{row.kind} {row.key}"
        with self._condition:
            self._sending = row.key
        try:
            payload = decode_object(row.payload, f"the stored payload of {what}")
            resolved = resolve_references(payload, self._resolve)
        except (ValueError, _DependencyFailed) as exc:
            self._finish(row, FAILED, None, str(exc))
            return
        self._store.begin_attempt(row.seq)  # committed before the sender is called
        assert isinstance(resolved, dict)  # the payload decoded as an object
        operation = Operation(row.key, row.kind, resolved, row.attempts, row.created)
        try:
            result = self._sender(operation)
        except Exception as exc:  # the classifier decides what it means
            reason = _describe(exc)
            if self._fault(exc, what) is OutboxFault.PERMANENT:
                self._finish(row, FAILED, None, reason)
            else:
                self._retry_later(f"{what}: {reason}", outage=True)
            return
        self._went_through()
        self._finish(row, SENT, self._result_text(result, what), "")

    def _fault(self, exc: Exception, what: str) -> OutboxFault:
        """What the classifier says of ``exc``; RETRY (logged) when it cannot say."""
        try:
            fault = self._classify(exc)
        except Exception:
            log.exception(
                "%s outbox: the classifier failed on %r (%s): retrying", self.name, exc, what
            )
            return OutboxFault.RETRY
        if not isinstance(fault, OutboxFault):
            log.error("%s outbox: the classifier gave %r for %r: retrying", self.name, fault, exc)
            return OutboxFault.RETRY
        return fault

    def _result_text(self, result: object, what: str) -> str:
        if not isinstance(result, dict):
            log.error(
                "%s outbox: the sender returned %r for %s, not a dict", self.name, result, what
            )
            return "{}"
        return json.dumps(result, default=str)

    def _resolve(self, key: str, field: str) -> object:
        target = self._store.get(key)
        if target is None:
            raise _DependencyFailed(f"depends on {key}, which the outbox no longer holds")
        if target.state != SENT:
            raise _DependencyFailed(
                f"depends on {target.kind} {key}, which {target.state}: {target.reason}"
            )
        try:
            result = decode_object(target.result or "", f"the result of {target.kind} {key}")
        except ValueError as exc:
            raise _DependencyFailed(f"depends on {target.kind} {key}: {exc}") from None
        if field not in result:
            raise _DependencyFailed(
                f"depends on {target.kind} {key}, whose result has no field {field!r}"
            )
        return result[field]

    def _finish(self, row: StoredOperation, state: str, result: str | None, reason: str) -> None:
        if len(reason) > _MAX_REASON:
            reason = reason[: _MAX_REASON - 1] + "…"
        self._store.finish(row.seq, state, time.time(), result, reason)
        if state == FAILED:
            log.warning(
                "%s outbox: %s %s failed and will not be sent: %s",
                self.name,
                row.kind,
                row.key,
                reason,
            )
        with self._condition:
            self._counts[WAITING] -= 1
            self._counts[state] += 1
            self._known[row.key] = (state, reason)
            self._condition.notify_all()

    def _went_through(self) -> None:
        """The database answered."""
        with self._condition:
            if self._online is False:
                log.info(
                    "%s outbox: the database answers again after %d attempts; sending the %d "
                    "operations waiting",
                    self.name,
                    self._failures,
                    self._counts[WAITING],
                )
            self._online, self._reason, self._next_retry, self._failures = True, "", None, 0

    def _retry_later(self, reason: str, outage: bool) -> None:
        """Wait for the backoff (or :meth:`retry_now`, or :meth:`close`) before trying
        the same operation again; ``outage``: the database could not be reached."""
        with self._condition:
            self._failures += 1
            delay = min(self._max_backoff, self._min_backoff * 2.0 ** (self._failures - 1))
            delay = min(self._max_backoff, max(self._min_backoff, delay * random.uniform(0.8, 1.2)))
            first = self._failures == 1
            if outage:
                self._online = False
            self._reason = reason
            self._next_retry = time.time() + delay
        (log.warning if first else log.debug)(
            "%s outbox: %s; trying again in %.3g s (%d waiting in %s)",
            self.name,
            reason,
            delay,
            self._counts[WAITING],
            self.path,
        )
        deadline = time.monotonic() + delay
        while True:
            self._publish()
            with self._condition:
                if self._stopping or self._retry_now:
                    self._retry_now = False
                    return
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._woken = False
                self._condition.wait_for(
                    lambda: self._woken or self._stopping or self._retry_now, left
                )

    def _sleep_until_woken(self) -> None:
        with self._condition:
            self._condition.wait_for(lambda: self._woken or self._stopping)
            self._woken = False
            self._retry_now = False

    # status --------------------------------------------------------------------------------
    def _status(self) -> OutboxStatus:
        return OutboxStatus(
            waiting=self._counts[WAITING],
            failed=self._counts[FAILED],
            sent=self._counts[SENT],
            online=self._online,
            reason=self._reason,
            next_retry=self._next_retry,
        )

    def _publish(self) -> None:
        """Tell the listeners the status, if it changed since they were last told."""
        with self._condition:
            status = self._status()
            if status == self._published:
                return
            self._published = status
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:
                log.exception("%s outbox: listener %r failed", self.name, listener)

    # housekeeping --------------------------------------------------------------------------
    def _check_room(self, kind: str, key: str, size: int) -> None:
        """``OSError`` if storing ``size`` more bytes would make the file so large that
        the next start would set it aside."""
        held = self._store.size()
        if held + size > self._max_put_bytes:
            counts = self._counts
            raise OSError(
                f"{self.name} outbox {self.path} holds {held:,} bytes, near its bound: "
                f"{kind} {key} not stored ({counts[WAITING]} operations wait for the "
                f"database, {counts[FAILED]} failed, {counts[SENT]} sent are kept)"
            )

    def _get(self, key: str) -> StoredOperation:
        if self._closed:
            raise RuntimeError(f"{self!r} is closed: {key} cannot be looked up")
        row = self._store.get(key)
        if row is None:
            raise KeyError(f"{self.name} outbox {self.path} holds no operation {key!r}")
        return row

    def _prune(self) -> None:
        self._pruned_at = time.monotonic()
        deleted = self._store.prune(time.time() - self._keep_sent)
        if deleted:
            log.info("%s outbox: %d operations sent long ago pruned", self.name, deleted)

    def _prune_now_and_then(self) -> None:
        if time.monotonic() - self._pruned_at >= _PRUNE_EVERY:
            self._prune()
            sent = self._store.counts()[SENT]  # only sent ones are pruned
            with self._condition:
                self._counts[SENT] = sent


def _describe(exc: BaseException) -> str:
    """The exception's type and message; for a wrapper of a driver's error (SQLAlchemy's
    ``orig``), the driver's message alone, without the wrapper's SQL and parameters."""
    original = getattr(exc, "orig", None)
    text = str(original if isinstance(original, BaseException) else exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
