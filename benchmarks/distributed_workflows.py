"""The distributed workflow engine (``ewoksjob``) on a private Redis and real Celery
workers (``tests/celery_servers.py``), all on 127.0.0.1.

The workflow client (Qt-free) runs the ``Wait`` test task (``tests/data/workflows``) on
the engine ``ewoksjob`` with its default heartbeat (3 s). Figures:

- ``ewoksjob_job_started``: ``start()`` -> the task running on the worker (it writes its
  marker file), median of N, s;
- ``ewoksjob_job_round_trip``: ``start()`` -> the run's end seen by the GUI for a task
  that returns at once, median of N, s;
- ``ewoksjob_lost_worker_noticed``: the worker (and its pool process) killed with
  SIGKILL mid-run -> the entry failed naming it, median and worst of N rounds (a new
  worker each), s. Target (issue 16): <= 5 s;
- ``ewoksjob_false_loss_job_stalled_<S>s``: the job's process stopped (SIGSTOP) for S s
  mid-run, as C code holding the GIL or a slow file system does: share of the rounds
  whose entry failed as lost although the job ran on, target 0;
- ``ewoksjob_false_loss_all_stalled_<S>s``: the same with the job's guard stopped too
  (a paused virtual machine, heavy swapping): the heartbeat (3 s to live, renewed every
  0.5 s) tolerates up to about 2.5 s (measured at 1.5 and 2 s); a longer stall is a
  loss, which ends the job (safe, not silent);
- with ``--load N``: N busy processes on the machine meanwhile (``nice`` 0).

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/xmlrpc.py would shadow the standard library's xmlrpc (the tests' helpers')
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the servers of the tests and their helpers

from celery_servers import CeleryWorker, RedisServer, descendants, new_queue  # noqa: E402
from test_workflow_ewoksjob import INPUTS, client_repository  # noqa: E402
from workflow_fixtures import started, wait_params  # noqa: E402


def emit(name: str, value: float, unit: str, target: str) -> None:
    """Print one figure as a JSON line (see docs/contracts.md)."""
    print(
        json.dumps({"name": name, "value": round(value, 4), "unit": unit, "target": target}),
        flush=True,
    )


def job_times(base: Path, redis: RedisServer, rounds: int) -> tuple[list[float], list[float]]:
    """Start and round-trip times of ``rounds`` jobs on one worker."""
    worker = CeleryWorker(redis, base, new_queue())
    worker.start()
    repo = client_repository(base, redis, worker.queue, name="jobs")
    starts, trips = [], []
    try:
        client = repo.get("workflow")
        for index in range(rounds):
            marker = base / f"job{index}"
            began = time.monotonic()
            done = client.start("Wait", {**INPUTS, "workflow_parameters": wait_params(marker, 0)})
            started(marker)
            starts.append(time.monotonic() - began)
            status, message = done.result(timeout=60)
            trips.append(time.monotonic() - began)
            if status != "success":
                raise RuntimeError(f"job {index} ended {status}: {message}")
    finally:
        repo.shutdown()
        worker.stop()
    return starts, trips


def lost_worker_times(base: Path, redis: RedisServer, rounds: int) -> list[float]:
    """Seconds from SIGKILL of the worker to the entry failed, one worker per round."""
    times = []
    for index in range(rounds):
        directory = base / f"lost{index}"
        directory.mkdir()
        worker = CeleryWorker(redis, directory, new_queue())
        worker.start()
        repo = client_repository(directory, redis, worker.queue)
        try:
            client = repo.get("workflow")
            marker = directory / "marker"
            params = wait_params(marker, 120)
            done = client.start("Wait", {**INPUTS, "workflow_parameters": params})
            started(marker)
            time.sleep(0.5)  # mid-run, the GUI has seen the job running
            worker.kill()
            killed = time.monotonic()
            status, message = done.result(timeout=60)
            times.append(time.monotonic() - killed)
            if status != "failed" or worker.name not in message:
                raise RuntimeError(f"round {index}: {status}: {message}")
        finally:
            repo.shutdown()
            worker.stop()
    return times


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def false_losses(
    base: Path, redis: RedisServer, stall: float, whole_tree: bool, rounds: int
) -> float:
    """Share of ``rounds`` jobs failed as lost when stopped for ``stall`` s mid-run
    (the job's process, or with ``whole_tree`` its guard and children too)."""
    directory = base / f"stall-{stall}-{whole_tree}"
    directory.mkdir()
    worker = CeleryWorker(redis, directory, new_queue())
    worker.start()
    repo = client_repository(directory, redis, worker.queue)
    lost = 0
    try:
        client = repo.get("workflow")
        for index in range(rounds):
            marker = directory / f"round{index}"
            params = wait_params(marker, stall + 1.0)
            done = client.start("Wait", {**INPUTS, "workflow_parameters": params})
            pid = started(marker)["pid"]
            time.sleep(0.3)  # mid-run: a few beats done
            stopped = [pid, *descendants(pid)] if whole_tree else [pid]
            _signal_all(stopped, signal.SIGSTOP)
            try:
                time.sleep(stall)
            finally:
                _signal_all(stopped, signal.SIGCONT)
            status, message = done.result(timeout=60)
            if status == "failed" and "was lost" in message:
                lost += 1
            elif status != "success":
                raise RuntimeError(f"stall round {index}: {status}: {message}")
    finally:
        repo.shutdown()
        worker.stop()
    return lost / rounds


@contextlib.contextmanager
def busy_processes(count: int) -> Iterator[None]:
    """``count`` processes spinning on a CPU each while the block runs."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="jobs timed on one worker")
    parser.add_argument("--rounds", type=int, default=3, help="workers killed")
    parser.add_argument("--stall-rounds", type=int, default=5, help="stalls per figure")
    parser.add_argument("--load", type=int, default=0, help="busy processes meanwhile")
    args = parser.parse_args()
    stalls: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="mxgui-ewoksjob-") as tmp:
        base = Path(tmp)
        (base / "redis").mkdir()
        redis = RedisServer(base / "redis")
        redis.start()
        try:
            with busy_processes(args.load):
                starts, trips = job_times(base, redis, args.jobs)
                lost = lost_worker_times(base, redis, args.rounds)
                for stall, tree in ((2.5, False), (1.5, True), (2.0, True)):
                    what = "all" if tree else "job"
                    name = f"ewoksjob_false_loss_{what}_stalled_{stall:g}s"
                    stalls[name] = false_losses(base, redis, stall, tree, args.stall_rounds)
        finally:
            redis.stop()
    emit("ewoksjob_job_started", statistics.median(starts), "s", "<= 1")
    emit("ewoksjob_job_round_trip", statistics.median(trips), "s", "<= 2")
    emit("ewoksjob_lost_worker_noticed", statistics.median(lost), "s", "<= 5")
    emit("ewoksjob_lost_worker_noticed_worst", max(lost), "s", "<= 5")
    for name, share in stalls.items():
        emit(name, share, "share of rounds", "<= 0")


if __name__ == "__main__":
    main()
