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
  worker each), s. Target (issue 16): <= 5 s.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/xmlrpc.py would shadow the standard library's xmlrpc (the tests' helpers')
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the servers of the tests and their helpers

from celery_servers import CeleryWorker, RedisServer, new_queue  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10, help="jobs timed on one worker")
    parser.add_argument("--rounds", type=int, default=3, help="workers killed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mxgui-ewoksjob-") as tmp:
        base = Path(tmp)
        (base / "redis").mkdir()
        redis = RedisServer(base / "redis")
        redis.start()
        try:
            starts, trips = job_times(base, redis, args.jobs)
            lost = lost_worker_times(base, redis, args.rounds)
        finally:
            redis.stop()
    emit("ewoksjob_job_started", statistics.median(starts), "s", "<= 1")
    emit("ewoksjob_job_round_trip", statistics.median(trips), "s", "<= 2")
    emit("ewoksjob_lost_worker_noticed", statistics.median(lost), "s", "<= 5")
    emit("ewoksjob_lost_worker_noticed_worst", max(lost), "s", "<= 5")


if __name__ == "__main__":
    main()
