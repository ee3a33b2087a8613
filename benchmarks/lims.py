"""The LIMS and the collection: a 100-image collection with every ISPyB write slowed to
200 ms takes as long as with no LIMS; and the outbox's throughput.

A private MariaDB (``mariadbd`` on 127.0.0.1, as the tests start it) with ISPyB's schema
and the demo proposal. Two simulated beamlines in one process: one without a ``lims``
object, one whose ``lims`` records on that MariaDB, logged in. Every table the
recording writes gets ``BEFORE INSERT`` and ``BEFORE UPDATE`` triggers doing ``DO
SLEEP(0.2)``, so each write waits 200 ms on the server. The collections alternate
between the two beamlines (``--pairs`` of each, 100 images of the default 1M region,
``exp_time`` 0.01 s, the crystal centred); each is timed from ``collect()`` to its
Future's result, and before the next one starts the LIMS beamline's writes are all sent
(the JPEGs too), so that no collection overlaps the one before's background work.

Figures (one JSON line each, see docs/contracts.md): the median collection time with
the slowed LIMS as a percentage of the median without (target: within 2 %, i.e. <= 102),
both medians, the same for ``--pairs`` collections back to back (as a queue runs them:
the writes and JPEGs of one still going on while the next collects), how long the
slowed writes took to reach the database after the
collection ended (the proof that they were slowed), and the outbox's throughput:
``--operations`` data-collection groups put at once and sent to MariaDB (no slowing),
rows per second.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# benchmarks/queue.py would hide the standard library's queue (the recorder's)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))  # this checkout, also where another one is installed

from hardware_objects.lims.ispyb_lims import IspybLims  # noqa: E402
from mxgui.core.acquisition import AcquisitionParameters  # noqa: E402
from mxgui.core.centring import CentredPosition  # noqa: E402
from mxgui.core.hardware_object import HardwareObject  # noqa: E402
from mxgui.core.lims import records  # noqa: E402
from mxgui.core.lims.database import create_schema, make_engine  # noqa: E402
from mxgui.core.lims.demo_data import seed_demo  # noqa: E402
from mxgui.core.lims.ispyb_writer import IspybWriter  # noqa: E402
from mxgui.core.lims.outbox import Outbox, OutboxFault  # noqa: E402
from mxgui.core.lims.recorder import collection_key  # noqa: E402
from mxgui.core.repository import HardwareRepository  # noqa: E402
from mxgui.demo_servers.mariadb import PrivateMariaDB  # noqa: E402

SIMULATED = ROOT / "HardwareRepository" / "simulated"
BEAMLINE = "SIM-MX"
#: the tables a collection's recording writes
SLOWED = ("DataCollectionGroup", "DataCollection", "Image", "GridInfo", "ImageQualityIndicators")


def beamline(base: Path, name: str, lims_url: str | None) -> HardwareRepository:
    overrides = base / name
    overrides.mkdir()
    (overrides / "session.xml").write_text(
        '<object class="simulated.session.SimulatedSession">'
        f"<base_directory>{base / name / 'data'}</base_directory></object>"
    )
    if lims_url is not None:
        text = (SIMULATED / "lims.xml").read_text()
        text = text.replace("<url></url>", f"<url>{lims_url}</url>")
        # the benchmark's own database: anyone may log in
        text = text.replace(
            "<password_check></password_check>", "<password_check>none</password_check>"
        )
        text = text.replace(
            "<outbox_file></outbox_file>", f"<outbox_file>{base / name / 'outbox'}</outbox_file>"
        )
        (overrides / "lims.xml").write_text(text)
    return HardwareRepository([overrides, SIMULATED])


def centred(repo: HardwareRepository) -> CentredPosition:
    diffractometer = repo.get("diffractometer")
    centring = {k: float(v) for k, v in diffractometer.scene.centring_positions().items()}
    return CentredPosition(**{"phi": 0.0, **centring})


def collect_once(repo: HardwareRepository, run: int, images: int) -> tuple[float, str, str]:
    """Seconds of one collection; its directory and prefix."""
    collect = repo.get("collect")
    path = collect.get_default_path_template(prefix="bench").with_run_number(run)
    params = AcquisitionParameters(
        osc_start=0.0,
        osc_range=0.1,
        num_images=images,
        exp_time=0.01,
        energy=12.7,
        detector_distance=150.0,
        take_snapshots=0,
    )
    started = time.perf_counter()
    collect.collect(params, path, centred(repo)).result(timeout=600)
    return time.perf_counter() - started, path.directory, path.prefix


def wait_stored(lims: HardwareObject, directory: str, prefix: str, run: int) -> None:
    """Until the collection's JPEGs (its last write) are in the database."""
    assert isinstance(lims, IspybLims)
    outbox = lims.recorder.outbox
    assert outbox is not None
    key = collection_key("jpegs", directory, prefix, run)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        lims.recorder.flush()
        try:
            if outbox.status_of(key)[0] == "stored":
                return
        except KeyError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the LIMS writes of {prefix}_{run} were not all sent in 120 s")


def slow_down(server: PrivateMariaDB, seconds: float) -> None:
    connection = server.connect("ispyb")
    try:
        with connection.cursor() as cursor:
            for table in SLOWED:
                for when in ("INSERT", "UPDATE"):
                    cursor.execute(
                        f"CREATE TRIGGER slow_{table}_{when.lower()} BEFORE {when} ON `{table}`"
                        f" FOR EACH ROW DO SLEEP({seconds})"
                    )
    finally:
        connection.close()


def compare(base: Path, url: str, pairs: int, images: int) -> list[tuple[str, float, str, str]]:
    plain, recorded = beamline(base, "plain", None), beamline(base, "lims", url)
    try:
        lims = recorded.get("lims")
        assert isinstance(lims, IspybLims)
        lims.login("demo", "", "mx1234").result(timeout=60)
        collect_once(plain, 1, 5)  # warm up both: shutters, phase, the image simulator
        collect_once(recorded, 1, 5)
        wait_stored(lims, *collect_once(recorded, 2, 5)[1:], 2)
        without, with_lims, sending = [], [], []
        for pair in range(pairs):
            run = 3 + pair
            without.append(collect_once(plain, run, images)[0])
            seconds, directory, prefix = collect_once(recorded, run, images)
            with_lims.append(seconds)
            ended = time.perf_counter()
            wait_stored(lims, directory, prefix, run)
            sending.append(time.perf_counter() - ended)
        # back to back, as a queue runs them: the writes (and JPEGs) of one collection
        # still going on while the next collects
        first = 3 + pairs
        started = time.perf_counter()
        for run in range(first, first + pairs):
            collect_once(plain, run, images)
        plain_queue = time.perf_counter() - started
        started = time.perf_counter()
        for run in range(first, first + pairs):
            last = collect_once(recorded, run, images)
        lims_queue = time.perf_counter() - started
        wait_stored(lims, last[1], last[2], first + pairs - 1)
    finally:
        plain.shutdown()
        recorded.shutdown()
    a, b = statistics.median(without), statistics.median(with_lims)
    return [
        ("lims_collection_100_images_slowed_writes_percent_of_no_lims", 100 * b / a, "%", "<= 102"),
        ("lims_collection_100_images_seconds_no_lims", a, "s", "<= 60"),
        (
            "lims_back_to_back_collections_slowed_writes_percent_of_no_lims",
            100 * lims_queue / plain_queue,
            "%",
            "<= 102",
        ),  # fmt: skip
        ("lims_collection_100_images_seconds_slowed_lims", b, "s", "<= 60"),
        # how long the slowed writes took to be sent after the collection ended
        (
            "lims_slowed_writes_sent_after_collection_seconds",
            statistics.median(sending),
            "s",
            "<= 30",
        ),  # fmt: skip
    ]


def throughput(base: Path, url: str, operations: int) -> tuple[str, float, str, str]:
    engine = make_engine(url)
    writer = IspybWriter(engine)
    with engine.connect() as connection:
        session = connection.exec_driver_sql("SELECT MIN(sessionId) FROM BLSession").scalar()
    outbox = Outbox(
        base / "throughput.sqlite", writer.send, lambda e: OutboxFault(writer.classify(e))
    )
    try:
        for n in range(operations):
            payload = records.group_started(int(session), None, records.OSC, time.time(), f"{n}")
            outbox.put("data_collection_group", payload)
        started = time.perf_counter()
        outbox.start()
        if not outbox.wait_idle(600):
            raise RuntimeError("the outbox did not drain in 600 s")
        elapsed = time.perf_counter() - started
        if outbox.status().failed:
            raise RuntimeError(f"{outbox.status().failed} operations failed")
    finally:
        outbox.close()
        engine.dispose()
    return ("lims_outbox_rows_per_second_mariadb", operations / elapsed, "rows/s", ">= 100")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=5, help="collections with and without")
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--operations", type=int, default=2000)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="mxgui-lims-bench-"))
    server = PrivateMariaDB(base / "mariadb")
    server.start()
    figures = []
    try:
        server.create_database("ispyb")
        url = server.url("ispyb")
        engine = make_engine(url)
        create_schema(engine)
        seed_demo(engine, BEAMLINE, [])
        engine.dispose()
        figures.append(throughput(base, url, args.operations))
        slow_down(server, 0.2)
        figures[:0] = compare(base, url, args.pairs, args.images)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)
    for name, value, unit, target in figures:
        print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target}))


if __name__ == "__main__":
    main()
