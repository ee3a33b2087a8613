"""Mesh scoring as it scales: the GUI's own scorer, then 1 and 2 ewoksjob workers.

Simulated images (``hardware_objects.simulated.diffraction``, a crystal in the beam, as
``benchmarks/scoring.py``) are written as CBF files, 1M (1,030 x 1,065, the detector's
default region) and 4M (2,068 x 2,162); ``--images`` distinct files of each, scored
``--scores`` times in turn. The files stay in the page cache, as a mesh's images just
written do.

- ``gui``: :func:`mxscore.scoring.assess_image` in one thread, as the ``MeshScorer`` does
  without a broker;
- ``workers_1`` / ``workers_2``: :class:`mxgui.core.scoring_remote.RemoteScoring` (the
  MeshScorer's remote path: batches of ``--batch`` images, ``--in-flight`` jobs at once)
  sending to 1 or 2 real Celery workers of ewoksjob (one pool process each) on a private
  ``redis-server``, started here;
- the per-job overhead: the median round trip of a job of no image (send, a worker
  takes it, ewoks runs the one-node graph, the result stored and seen here);
- what a score costs on a worker: reading the file, and the score itself.

From these, the projection for a cluster: workers needed for 500 frames/s (EMBL-HH's
figure) of 1M and 4M images (at this machine's speed per core), the jobs per second
the GUI then sends, and the GUI's CPU for them: this process's share of a core while
the workers scored (polling the states, handing on the scores) and its CPU time to
send one job. The time a worker spends scoring (the task's own measure) against its
throughput says what Celery and ewoks add.

Run: ``python benchmarks/scoring_scale.py`` (about 2 minutes; it needs ``redis-server``
and the ``distributed`` extra, both installed by ``scripts/setup.sh``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT / "tests"))  # the tests' Redis and Celery workers

import numpy as np  # noqa: E402
from celery_servers import CeleryWorker, RedisServer, new_queue  # noqa: E402

from hardware_objects.simulated.diffraction import (  # noqa: E402
    DetectorGeometry,
    DiffractionSimulator,
)
from mxgui.core import scoring_remote  # noqa: E402
from mxgui.core.scoring_remote import RemoteScoring  # noqa: E402
from mxgui.core.workflow.ewoksjob import EwoksJobConfig  # noqa: E402
from mxscore.scoring import assess_counts, assess_image, read_counts  # noqa: E402

DETECTORS = {
    "1m": DetectorGeometry(1030, 1065, 0.075, 0.075, 150.0, 515.0, 532.0, 0.98),
    "4m": DetectorGeometry(2068, 2162, 0.075, 0.075, 150.0, 1034.0, 1081.0, 0.98),
}
#: frames per second to keep up with (EMBL-HH's processing of a fast mesh)
CLUSTER_TARGET = 500.0


def emit(name: str, value: float, unit: str, target: str = "") -> None:
    line = {"name": name, "value": round(value, 3), "unit": unit, "target": target}
    print(json.dumps(line), flush=True)


def write_images(directory: Path, geometry: DetectorGeometry, count: int) -> list[str]:
    """``count`` CBF files of a crystal in the beam (no header: the scorer reads none)."""
    from fabio.cbfimage import CbfImage

    simulator = DiffractionSimulator(geometry, 7)
    paths = []
    for n in range(1, count + 1):
        data = np.ascontiguousarray(simulator.image(n, 0.0, 1.0, 1.0), dtype=np.int32)
        path = directory / f"scale_{geometry.width}_{n:05d}.cbf"
        CbfImage(data=data).write(str(path))
        paths.append(str(path))
    return paths


def gui_rate(paths: list[str], scores: int) -> float:
    started = time.perf_counter()
    for k in range(scores):
        assess_image(paths[k % len(paths)])
    return scores / (time.perf_counter() - started)


def read_and_score_ms(paths: list[str], repeat: int) -> tuple[float, float]:
    reads, scores = [], []
    for k in range(repeat):
        started = time.perf_counter()
        data = read_counts(paths[k % len(paths)])
        read = time.perf_counter()
        assess_counts(data)
        reads.append(read - started)
        scores.append(time.perf_counter() - read)
    return statistics.median(reads) * 1e3, statistics.median(scores) * 1e3


def remote_rate(
    settings: EwoksJobConfig, paths: list[str], scores: int, batch: int, in_flight: int
) -> tuple[float, float, RemoteScoring]:
    """Scores per second through the workers, and the share of a core this process used
    meanwhile (sending, polling, handing the scores on)."""
    answered: list[int] = []
    remote = RemoteScoring(
        settings,
        lambda index, path, score, spots: answered.append(index),
        lambda index, path, reason: answered.append(index),
        "benchmark",
        batch_size=batch,
        max_in_flight=in_flight,
    )
    started = time.perf_counter()
    cpu = time.process_time()
    for k in range(scores):
        remote.add(k + 1, paths[k % len(paths)])
    while not remote.idle:
        remote.poll(ending=True)
        time.sleep(scoring_remote.POLL_PERIOD)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if len(answered) != scores or remote.tally.local:
        raise SystemExit(f"benchmark: {remote.tally.summary()}")
    return scores / elapsed, cpu / elapsed, remote


def job_overhead_ms(settings: EwoksJobConfig, repeat: int) -> float:
    app = scoring_remote.celery_app(settings)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        job_id = scoring_remote.submit_batch(settings, [])
        result = app.AsyncResult(job_id)
        while result.state != "SUCCESS":
            time.sleep(0.001)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e3


def submit_cpu_ms(settings: EwoksJobConfig, repeat: int) -> float:
    """This process's CPU time to send one job of ``--batch`` images (median)."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        scoring_remote.submit_batch(settings, ["/nonexistent.cbf"] * scoring_remote.BATCH_SIZE)
        times.append(time.process_time() - started)
    return statistics.median(times) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=16, help="distinct files per size")
    parser.add_argument("--scores", type=int, default=96, help="scores per measurement")
    parser.add_argument("--batch", type=int, default=scoring_remote.BATCH_SIZE)
    parser.add_argument("--in-flight", type=int, default=scoring_remote.MAX_IN_FLIGHT)
    args = parser.parse_args()
    emit("scoring_scale_cores", float(os.cpu_count() or 1), "cores")
    with tempfile.TemporaryDirectory(prefix="mxgui-scoring-scale-") as scratch:
        directory = Path(scratch)
        redis = RedisServer(directory)
        redis.start()
        workers: list[CeleryWorker] = []
        queue = new_queue()
        try:
            settings = EwoksJobConfig(redis.url(0), redis.url(1), queue)
            images = {
                size: write_images(directory, g, args.images) for size, g in DETECTORS.items()
            }
            rates: dict[tuple[str, str], float] = {}
            cpu_share_max = 0.0  # this process's share of a core while workers scored
            for size, paths in images.items():
                read_ms, score_ms = read_and_score_ms(paths, 2 * args.images)
                emit(f"scoring_scale_{size}_read_file", read_ms, "ms")
                emit(f"scoring_scale_{size}_score_counts", score_ms, "ms")
                rates[(size, "gui")] = gui_rate(paths, args.scores)
            for count in (1, 2):
                while len(workers) < count:
                    worker = CeleryWorker(redis, directory, queue)
                    worker.name = f"{queue}-{len(workers) + 1}@127.0.0.1"
                    worker.start()
                    workers.append(worker)
                if count == 1:
                    job_overhead_ms(settings, 5)  # warm-up: connections, the worker's imports
                    emit("scoring_scale_job_overhead", job_overhead_ms(settings, 30), "ms", "<= 30")
                for size, paths in images.items():
                    remote_rate(settings, paths, args.batch * count, args.batch, args.in_flight)
                    rate, cpu_share, remote = remote_rate(
                        settings, paths, args.scores, args.batch, args.in_flight
                    )
                    rates[(size, f"workers_{count}")] = rate
                    cpu_share_max = max(cpu_share_max, cpu_share)
                    on_worker = remote.tally.worker_seconds / args.scores * 1e3
                    emit(
                        f"scoring_scale_{size}_workers_{count}_ms_per_score_on_worker",
                        on_worker,
                        "ms",
                    )
                    busy = len(remote.tally.by_worker)
                    emit(f"scoring_scale_{size}_workers_{count}_used", float(busy), "workers")
            for (size, who), rate in rates.items():
                emit(f"scoring_scale_{size}_{who}", rate, "scores/s")
            for size in DETECTORS:
                per_worker = rates[(size, "workers_1")]
                emit(f"scoring_scale_{size}_per_worker", per_worker, "scores/s")
                needed = CLUSTER_TARGET / per_worker
                emit(f"scoring_scale_{size}_workers_for_500_fps", needed, "workers")
            jobs_per_s = CLUSTER_TARGET / args.batch
            emit("scoring_scale_jobs_per_s_at_500_fps", jobs_per_s, "jobs/s")
            emit(
                "scoring_scale_gui_cpu_while_workers_score",
                cpu_share_max * 100,
                "% of a core",
                "<= 5",
            )
            submit_ms = submit_cpu_ms(settings, 30)
            emit("scoring_scale_gui_cpu_per_job_sent", submit_ms, "ms")
            emit(
                "scoring_scale_gui_cpu_sending_at_500_fps",
                jobs_per_s * submit_ms / 10,
                "% of a core",
                "<= 10",
            )
        finally:
            for worker in workers:
                worker.stop()
            redis.stop()


if __name__ == "__main__":
    main()
