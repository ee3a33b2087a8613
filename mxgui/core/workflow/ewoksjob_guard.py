"""The guard of an ``ewoksjob`` job: a small process beside the job, on the worker.

The job's task (``ewoksjob_task.py``) puts itself in a process group of its own while
the graph runs (the workflow's subprocesses join it) and starts
``python -m mxgui.core.workflow.ewoksjob_guard`` in a session of its own, writing
the guard's settings as one JSON line to its stdin (the Redis URL stays out of the
process list). The guard, every :data:`BEATS_PER_PERIOD`-th of the heartbeat period:

- sets the job's heartbeat key (``heartbeat`` s to live). It runs in a process of its
  own, so a job holding the GIL (C code, slow I/O) or stopped does not stop the beat:
  only a guard (or machine) stalled for most of ``heartbeat`` s lets the key expire;
- reads the job's cancel key: the GUI sets it on a stop and whenever the run ends
  without the job's own end (lost worker, Redis out of reach, start timeout, end grace
  over). The job's process group is then ended (SIGTERM, SIGKILL after ``kill_grace``
  s), whether or not Celery's revoke (a broadcast) reached the worker;
- reads the GUI's key (:func:`~mxgui.core.workflow.ewoksjob.gui_key`), which the GUI's
  watcher renews with each look: not seen for ``gui_timeout`` s (the GUI died, or this
  Redis is out of reach), the job is ended: no job runs on unwatched;
- checks the worker's main process: gone (the worker killed; the job's own process
  group kept the job out of its group's kill), the job is ended with SIGKILL.

The job's process closing the guard's stdin without the word ``done`` (it was killed,
by a revoke with SIGTERM or SIGKILL, or by anything) ends the rest of its group too.
Once the group is gone the heartbeat key is removed (the GUI knows at once).
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import sys
import time
from dataclasses import dataclass

import redis

from mxgui.core.workflow.ewoksjob import cancel_key, gui_key, heartbeat_key

log = logging.getLogger("mxgui.workflow.ewoksjob_guard")

#: heartbeats per heartbeat period (the key's time to live): 6 tolerates a guard stalled
#: for 5/6 of it
BEATS_PER_PERIOD = 6
#: what the job writes to the guard's stdin when the graph has ended by itself
DONE = "done"
#: seconds to wait for a group that was sent SIGKILL to be gone
KILLED_WAIT_S = 1.0


@dataclass(frozen=True)
class GuardSettings:
    """What the guard watches (see the module docstring)."""

    backend: str
    job_id: str
    beat: str
    heartbeat: float
    kill_grace: float
    group: int
    job_pid: int
    worker_pid: int  # 0: none to watch (a solo pool: the job runs in the worker)
    gui_timeout: float = 0.0  # 0: the GUI gave no key to watch (an older GUI)

    @classmethod
    def from_json(cls, line: str) -> GuardSettings:
        """The settings from the job's JSON line."""
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError(f"a JSON object was expected, not {type(data).__name__}")
        return cls(
            backend=str(data["backend"]),
            job_id=str(data["job_id"]),
            beat=str(data["beat"]),
            heartbeat=float(data["heartbeat"]),
            kill_grace=float(data["kill_grace"]),
            group=int(data["group"]),
            job_pid=int(data["job_pid"]),
            worker_pid=int(data["worker_pid"]),
            gui_timeout=float(data.get("gui_timeout", 0.0)),
        )

    def to_json(self) -> str:
        """One line for the guard's stdin."""
        return json.dumps(self.__dict__)


def process_alive(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc: kill(0) said it exists


class Guard:
    """The guard's loop (see the module docstring)."""

    def __init__(
        self, settings: GuardSettings, client: redis.Redis, stdin_fd: int, pending: bytes = b""
    ) -> None:
        self.settings = settings
        self._client = client
        self._stdin = stdin_fd
        self._gui_seen = time.monotonic()
        self._pending = pending  # what the job wrote after the settings

    def run(self) -> str:
        """Beat and watch until the job ends; why the guard stopped."""
        period = self.settings.heartbeat / BEATS_PER_PERIOD
        while True:
            ended = self._read_job(period)
            if ended == DONE:
                return "the job ended"
            if ended:
                self.end_job(signal.SIGTERM)
                return ended
            reason, sig = self._look()
            if reason:
                log.warning("job %s: %s: ending it", self.settings.job_id, reason)
                self.end_job(sig)
                return reason

    def _read_job(self, timeout: float) -> str:
        """``DONE``, a reason (the job's process has gone), or ``""`` (still running)."""
        readable, _, _ = select.select([self._stdin], [], [], timeout)
        if not readable:
            return ""
        chunk = os.read(self._stdin, 256)
        if not chunk:
            return DONE if DONE.encode() in self._pending else "the job's process has gone"
        self._pending += chunk
        return DONE if DONE.encode() in self._pending else ""

    def _look(self) -> tuple[str, int]:
        """One beat; a reason to end the job and the first signal, or ``("", 0)``."""
        keys = self.settings
        now = time.monotonic()
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.set(heartbeat_key(keys.job_id), keys.beat, px=max(1, int(keys.heartbeat * 1000)))
            pipe.exists(cancel_key(keys.job_id))
            pipe.exists(gui_key(keys.job_id))
            _, cancelled, gui = pipe.execute()
        except (redis.RedisError, OSError) as error:
            log.warning("job %s: Redis: %s", keys.job_id, error)
            cancelled, gui = 0, 0
        if cancelled:
            return "cancelled by the GUI", signal.SIGTERM
        if gui:
            self._gui_seen = now
        elif keys.gui_timeout > 0 and now - self._gui_seen > keys.gui_timeout:
            return f"the GUI has not looked at the job for {keys.gui_timeout:g} s", signal.SIGTERM
        if keys.worker_pid > 0 and not process_alive(keys.worker_pid):  # as if its machine had gone
            return f"the worker's main process {keys.worker_pid} has gone", signal.SIGKILL
        return "", 0

    def end_job(self, sig: int) -> None:
        """End the job's process group (``sig``, then SIGKILL after ``kill_grace`` s),
        then remove its heartbeat."""
        keys = self.settings
        if sig != signal.SIGKILL:
            self._signal(sig)
            deadline = time.monotonic() + keys.kill_grace
            while self._alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        self._signal(signal.SIGKILL)
        deadline = time.monotonic() + KILLED_WAIT_S
        while self._alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        try:
            self._client.delete(heartbeat_key(keys.job_id))
        except (redis.RedisError, OSError) as error:  # it expires by itself
            log.warning("job %s: heartbeat not removed: %s", keys.job_id, error)

    def _signal(self, sig: int) -> None:
        target = self.settings.group or self.settings.job_pid
        try:
            if self.settings.group:
                os.killpg(target, sig)
            else:
                os.kill(target, sig)
        except ProcessLookupError:
            pass
        except PermissionError as error:
            log.error("job %s: cannot signal %s: %s", self.settings.job_id, target, error)

    def _alive(self) -> bool:
        if self.settings.group:
            try:
                os.killpg(self.settings.group, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True
        return process_alive(self.settings.job_pid)


def main() -> int:
    """The guard's entry point: settings on the first line of stdin."""
    logging.basicConfig(level=logging.INFO, format="mxgui job guard: %(levelname)s %(message)s")
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a group's SIGTERM is for the job
    line = b""
    while not line.endswith(b"\n"):
        chunk = os.read(0, 4096)
        if not chunk:
            log.error("no settings on stdin")
            return 2
        line += chunk
    first, _, rest = line.partition(b"\n")
    try:
        settings = GuardSettings.from_json(first.decode("utf-8"))
    except (ValueError, KeyError, TypeError) as error:
        log.error("bad settings on stdin: %s", error)
        return 2
    client = redis.Redis.from_url(
        settings.backend, socket_timeout=settings.heartbeat, socket_connect_timeout=1.0
    )
    guard = Guard(settings, client, 0, rest)
    try:
        reason = guard.run()
    finally:
        client.close()
    log.info("job %s: %s", settings.job_id, reason)
    return 0


if __name__ == "__main__":
    sys.exit(main())
