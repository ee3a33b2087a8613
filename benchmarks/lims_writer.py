"""The LIMS writer: how long one ISPyB write takes, and rows written per second.

A private MariaDB (``mariadbd`` on 127.0.0.1, as the tests start it) with ISPyB's
schema, then the embedded SQLite file: ``--collections`` times the writes of one
collection (group, collection, a batch of ``--images`` scores, end of both), each
operation its own transaction as the outbox sends them, the first attempt and then a
retry (``attempts=1``: the row looked up by its natural key, nothing written).

Figures (one JSON line each, see docs/contracts.md): the median and p99 time of a
``data_collection`` write, the time of a retry, and rows written per second, per
database. The targets keep the writer well below what a collection produces (a
collection every few seconds, a batch of scores every 0.1 s).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from mxgui.core.lims import records
from mxgui.core.lims.database import create_schema, make_engine
from mxgui.core.lims.ispyb_writer import IspybWriter
from mxgui.demo_servers.mariadb import PrivateMariaDB

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from lims_seed import seed  # noqa: E402 - the tests' seed: a proposal, session, sample


@dataclass(frozen=True)
class Op:
    kind: str
    payload: dict[str, object]
    attempts: int = 0


def info(run: int, images: int) -> dict[str, object]:
    return {
        "parameters": {
            "osc_start": 0.0,
            "osc_range": 0.1,
            "num_images": images,
            "exp_time": 0.01,
            "energy": 12.7,
            "transmission": 50.0,
            "resolution": 2.0,
            "detector_distance": 200.0,
        },
        "path": {"directory": "/data/bench", "prefix": "bench", "run_number": run},
        "directory": "/data/bench",
        "prefix": "bench",
        "run_number": run,
        "num_images": images,
        "first_image": 1,
        "images_taken": images,
        "snapshots": ["/data/bench/bench_snapshot_1.png"],
        "started": time.time(),
        "elapsed": 10.0,
        "state": "finished",
    }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(engine: Engine, name: str, collections: int, images: int) -> None:
    ids = seed(engine)
    writer = IspybWriter(engine)
    collection_times, retry_times = [], []
    rows_written = 0
    started = time.perf_counter()
    for run in range(1, collections + 1):
        i = info(run, images)
        group_payload = records.group_started(ids.session_id, ids.sample_id, "OSC", time.time())
        group = writer.send(Op("data_collection_group", group_payload))["id"]
        payload = records.collection_started(
            i, session_id=ids.session_id, sample_id=ids.sample_id, group=group
        )
        t0 = time.perf_counter()
        collection = writer.send(Op("data_collection", payload))["id"]
        collection_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        writer.send(Op("data_collection", payload, attempts=1))
        retry_times.append(time.perf_counter() - t0)
        scores = {n: float(n % 7) for n in range(1, images + 1)}
        writer.send(Op("image_quality_indicators", records.quality_indicators(collection, scores)))
        writer.send(Op("data_collection_end", records.collection_ended(collection, i)))
        writer.send(Op("data_collection_group_end", records.group_ended(group, time.time())))
        rows_written += 2 + images
    elapsed = time.perf_counter() - started
    figures = [
        (
            f"lims_write_data_collection_median_{name}",
            statistics.median(collection_times) * 1e3,
            "ms",
            "<= 20",
        ),
        (
            f"lims_write_data_collection_p99_{name}",
            percentile(collection_times, 0.99) * 1e3,
            "ms",
            "<= 100",
        ),
        (
            f"lims_write_retry_lookup_median_{name}",
            statistics.median(retry_times) * 1e3,
            "ms",
            "<= 20",
        ),
        (f"lims_write_rows_per_second_{name}", rows_written / elapsed, "rows/s", ">= 1000"),
    ]
    for figure, value, unit, target in figures:
        print(
            json.dumps({"name": figure, "value": round(value, 2), "unit": unit, "target": target})
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", type=int, default=200)
    parser.add_argument("--images", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lims-bench-") as tmp:
        server = PrivateMariaDB(Path(tmp) / "mariadb")
        server.start()
        try:
            server.create_database("ispyb")
            engine = make_engine(server.url("ispyb"))
            create_schema(engine)
            measure(engine, "mariadb", args.collections, args.images)
            engine.dispose()
        finally:
            server.stop()
        engine = make_engine(f"sqlite:///{Path(tmp) / 'lims.sqlite'}")
        create_schema(engine)
        measure(engine, "sqlite", args.collections, args.images)
        engine.dispose()


if __name__ == "__main__":
    main()
