"""What the beamline does, put into the LIMS outbox (Qt-free).

:class:`LimsRecorder` is what the recording sources (``hardware_objects.lims.recording``)
write through. :meth:`LimsRecorder.record` stores one operation in the
:class:`~mxgui.core.lims.outbox.Outbox` and never raises to its caller: a refused put
is logged once per kind with the reason and counted (:attr:`LimsRecorder.refused`), so
that a collection goes on whatever the LIMS does. Sources do their work in the
recorder's one thread (:meth:`LimsRecorder.defer`): a signal handler in the collect
thread only hands it over, and operations are put in the order the events came.

The session rows refer to (:meth:`LimsRecorder.session_ref`) is the chosen session's id
when logged in online; without one (a local login while the database was away, or no
session chosen) it is a reference to a ``session_lookup`` operation (the proposal's
session on this beamline running at the record's time, one lookup per hour), so that
what is collected offline is stored under the right session once the database answers
again.

Keys are deterministic per collection (:func:`collection_key`): a repeated signal puts
nothing twice, and :meth:`LimsRecorder.record_status` answers for a collection from its
directory, prefix and run number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping

from mxgui.core.lims.outbox import Outbox
from mxgui.core.lims.records import Payload, lims_time, session_lookup

log = logging.getLogger(__name__)

#: the operations of one collection, by the tag of their key
COLLECTION_TAGS = ("dcg", "dc", "grid", "dc-end", "dcg-end", "jpegs")
_MAX_KEY = 200
#: what the outbox's statuses mean for a collection, worst first
_SEVERITY = ("failed", "waiting", "stored")


#: attempts of one run looked for (a run that wrote nothing is collected again under
#: its number: each attempt is its own collection in the LIMS)
MAX_ATTEMPTS = 1000


def collection_key(tag: str, directory: str, prefix: str, run_number: int, attempt: int = 0) -> str:
    """The outbox key of a collection's operation ``tag`` (``dc``, ``dcg``, ``dc-end``...):
    ``dc:/data/visit/lyso_3``, and ``dc:/data/visit/lyso_3#1`` for the second attempt of
    that run (a retry of a collection that wrote nothing keeps its run number); a key
    too long for the outbox ends in a hash instead."""
    again = f"#{attempt}" if attempt else ""
    return short_key(f"{tag}:{directory.rstrip('/')}/{prefix}_{run_number}{again}")


def short_key(text: str, room: int = 0) -> str:
    """``text`` as an outbox key, leaving ``room`` characters for a suffix added later
    (``"/end"``): itself when short enough, else its start and a hash of all of it."""
    limit = _MAX_KEY - room
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()
    return f"{text[: limit - len(digest) - 1]}#{digest}"


def reference(key: str, field: str = "id") -> dict[str, object]:
    """A payload value the outbox replaces by ``field`` of the result of ``key``."""
    return {"$ref": key, "field": field}


class LimsRecorder:
    """Puts the LIMS writes of the recording sources into an outbox (see the module).

    ``outbox`` may be ``None`` (the outbox could not be opened: ``problem`` says why);
    every record is then refused, counted and logged once per kind. ``changed`` is
    called (from any thread) when :attr:`refused` grows.
    """

    def __init__(
        self,
        outbox: Outbox | None,
        problem: str = "",
        changed: Callable[[], None] | None = None,
    ) -> None:
        self.outbox = outbox
        self.problem = problem
        self._changed = changed
        self._lock = threading.Lock()
        self._refused = 0
        self._told: set[str] = set()
        self._session_id: int | None = None
        self._proposal: tuple[str, str] | None = None
        self._beamline = ""
        self._samples: dict[str, int] = {}
        self._work: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False

    def set_outbox(self, outbox: Outbox | None, problem: str = "") -> None:
        """Record into ``outbox`` from now on (opened later than the recorder was
        made), or into none because of ``problem``."""
        with self._lock:
            self.outbox, self.problem = outbox, problem

    # who and what ------------------------------------------------------------------------
    def set_login(
        self,
        session_id: int | None,
        proposal: tuple[str, str] | None,
        beamline: str,
    ) -> None:
        """The login now: the chosen session's id (None offline or not chosen), the
        proposal's code and number (None: nobody logged in) and this beamline's name."""
        with self._lock:
            if proposal != self._proposal:  # another proposal's ids are not these
                self._samples = {}
            self._session_id, self._proposal, self._beamline = session_id, proposal, beamline

    def set_samples(self, samples: Mapping[str, int]) -> None:
        """``{sample-changer address ("3:05"): blSampleId}`` of the proposal's samples."""
        with self._lock:
            self._samples = dict(samples)

    def sample_id(self, address: str | None) -> int | None:
        """The ``blSampleId`` of the sample at ``address``, when the LIMS gave it."""
        if address is None:
            return None
        with self._lock:
            return self._samples.get(address)

    def session_ref(self) -> int | dict[str, object] | None:
        """The session rows refer to (see the module); None when nobody is logged in
        (nothing can be stored then)."""
        with self._lock:
            session_id, proposal, beamline = self._session_id, self._proposal, self._beamline
        if session_id is not None:
            return session_id
        if proposal is None:
            return None
        now = time.time()
        day = dt.date.fromtimestamp(now).isoformat()
        hour = time.strftime("%H", time.localtime(now))
        # one lookup per hour, made at the first record's time: a session that changes
        # on the hour (08:00 to 08:00) is found for what comes after the change
        key = f"session:{proposal[0]}{proposal[1]}@{beamline}/{day}T{hour}"
        lookup = session_lookup(*proposal, beamline, day, at=lims_time(now))
        if self.record("session_lookup", lookup, key) is None:
            return None
        return reference(key)

    # writing -------------------------------------------------------------------------------
    def record(self, kind: str, payload: Payload, key: str | None = None) -> str | None:
        """Put one operation; its key, or None when it was refused (logged once per
        kind with the reason, counted in :attr:`refused`). Never raises."""
        outbox = self.outbox
        if outbox is None:
            self._refuse(kind, key, self.problem or "the LIMS outbox is not open")
            return None
        try:
            return outbox.put(kind, payload, key)
        except (ValueError, OSError, RuntimeError) as exc:
            self._refuse(kind, key, str(exc))
        except Exception as exc:  # a fault of ours must not reach the collection
            log.exception("LIMS: %s %s could not be put in the outbox", kind, key)
            self._refuse(kind, key, f"{type(exc).__name__}: {exc}")
        return None

    @property
    def refused(self) -> int:
        """How many records were refused since the start."""
        with self._lock:
            return self._refused

    def _refuse(self, kind: str, key: str | None, reason: str) -> None:
        with self._lock:
            self._refused += 1
            first = kind not in self._told
            self._told.add(kind)
        if first:
            log.error("LIMS: %s %s not recorded: %s", kind, key or "", reason)
        else:
            log.debug("LIMS: %s %s not recorded: %s", kind, key or "", reason)
        if self._changed is not None:
            self._changed()

    def holds(self, key: str) -> bool:
        """True when the outbox holds an operation under ``key``."""
        outbox = self.outbox
        if outbox is None:
            return False
        try:
            outbox.status_of(key)
        except (KeyError, RuntimeError):
            return False
        except sqlite3.Error as exc:
            log.debug("LIMS: %s cannot be looked up: %s", key, exc)
            return False
        return True

    def attempts(self, directory: str, prefix: str, run_number: int) -> int:
        """How many collections of that run the outbox holds (their groups counted)."""
        count = 0
        while count < MAX_ATTEMPTS and self.holds(
            collection_key("dcg", directory, prefix, run_number, count)
        ):
            count += 1
        return count

    def collection_ids(self, directory: str, prefix: str, run_number: int) -> list[int]:
        """The LIMS ``DataCollection`` ids of that run's collections the database has
        (one per attempt; none before the outbox sent them). Read-only, no database call."""
        outbox = self.outbox
        if outbox is None:
            return []
        ids: list[int] = []
        for attempt in range(self.attempts(directory, prefix, run_number)):
            key = collection_key("dc", directory, prefix, run_number, attempt)
            try:
                result = outbox.result_of(key)
            except (KeyError, RuntimeError, ValueError):
                continue
            except sqlite3.Error as exc:
                log.debug("LIMS: the id of %s cannot be read: %s", key, exc)
                continue
            found = None if result is None else result.get("id")
            if isinstance(found, int) and not isinstance(found, bool):
                ids.append(found)
        return ids

    def record_status(self, directory: str, prefix: str, run_number: int) -> tuple[str, str]:
        """``("stored" | "waiting" | "failed", reason)`` of the collection's operations
        (the worst of them), ``("", "")`` when the outbox holds none of them."""
        outbox = self.outbox
        if outbox is None:
            return "", ""
        found: list[tuple[str, str]] = []
        attempt = max(self.attempts(directory, prefix, run_number) - 1, 0)  # the latest
        for tag in COLLECTION_TAGS:
            key = collection_key(tag, directory, prefix, run_number, attempt)
            try:
                found.append(outbox.status_of(key))
            except (KeyError, RuntimeError):
                continue
            except sqlite3.Error as exc:  # asked at each repaint: said, never raised
                log.debug("LIMS: the status of %s cannot be read: %s", key, exc)
                return "", ""
        for state in _SEVERITY:
            reasons = [reason for s, reason in found if s == state]
            if reasons:
                return state, next((r for r in reasons if r), "")
        return "", ""

    # the recording thread --------------------------------------------------------------------
    def defer(self, work: Callable[[], None]) -> None:
        """Run ``work`` in the recorder's thread, after what was deferred before (an
        exception is logged). Dropped after :meth:`close`."""
        with self._lock:
            if self._closed:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="LIMS recording", daemon=True
                )
                self._thread.start()
        self._work.put(work)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until what was deferred so far has run; whether it did in time."""
        done = threading.Event()
        with self._lock:
            if self._closed:
                return False
        self.defer(done.set)
        return done.wait(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Run what was deferred (up to ``timeout`` s) and end the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        if thread is not None:
            self._work.put(None)
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            work = self._work.get()
            if work is None:
                return
            try:
                work()
            except Exception:
                log.exception("LIMS: recording failed")
