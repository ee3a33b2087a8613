"""Mesh scoring on the ewoksjob workers (``mxgui/core/scoring_remote.py``): a real Redis and
real Celery workers (``tests/celery_servers.py``), the simulated beamline's mesh scans.
Qt-free."""

from __future__ import annotations

import logging
import os
import re
import socket
from pathlib import Path

import numpy as np
import pytest
from celery_servers import CeleryWorker, RedisServer, client_app, new_queue
from control_servers import free_port
from queue_engine_fixtures import add_sample, add_task, close_beamline, make_beamline
from test_mesh_scan import MESH, grid_near_crystal, run_and_wait

from mxgui.core.scoring_remote import RemoteScoring, celery_app, submit_batch
from mxgui.core.workflow.ewoksjob import EwoksJobConfig
from mxscore.scoring import assess_image

from helpers import wait_for

pytest_plugins = ("celery_servers",)

#: a mesh of small images (the detector's 256 x 256 test region), 0.02 s a cell
SLOW_SMALL_MESH = dict(MESH, exp_time=0.02, detector_roi_mode="test")
#: the tally the scorer logs at the end of a mesh (see RemoteTally.summary)
TALLY = re.compile(r"(\d+) images scored by workers \((.*)\) in (\d+) jobs, (\d+) locally")


def workflow_xml(broker: str, backend: str, queue: str) -> str:
    """A workflow client whose XML names the ewoksjob workers (no workflow listed)."""
    return (
        '<object class="workflow_client.WorkflowClient">'
        f"<ewoksjob_broker>{broker}</ewoksjob_broker>"
        f"<ewoksjob_backend>{backend}</ewoksjob_backend>"
        f"<ewoksjob_queue>{queue}</ewoksjob_queue>"
        "</object>"
    )


def beamline_with_workers(tmp_path: Path, broker: str, backend: str, queue: str):
    """The queue-engine beamline with a workflow client configured for the workers."""
    bl = make_beamline(tmp_path)
    (tmp_path / "repo" / "workflow.xml").write_text(workflow_xml(broker, backend, queue))
    bl.roles["workflow"] = bl.repo.get("workflow")
    return bl


@pytest.fixture
def worker(redis_server: RedisServer, celery_worker_factory) -> CeleryWorker:
    return celery_worker_factory()


@pytest.fixture
def bl_workers(tmp_path, worker: CeleryWorker):
    bl = beamline_with_workers(tmp_path, worker.redis.url(0), worker.redis.url(1), worker.queue)
    yield bl
    close_beamline(bl)


def scored_cells(bl, grid) -> int:
    results = bl.shapes.grid_results(grid.id)
    return 0 if results is None else int(np.count_nonzero(~np.isnan(results.scores)))


def tally_of(caplog) -> tuple[int, str, int, int]:
    """(images scored by workers, the workers, jobs, images scored here) of the last mesh."""
    lines = [r.getMessage() for r in caplog.records if TALLY.search(r.getMessage())]
    assert lines, "the scorer logged no tally"
    found = TALLY.search(lines[-1])
    assert found is not None
    return int(found[1]), found[2], int(found[3]), int(found[4])


def assert_scores_are_the_local_scorers(bl, grid, task) -> None:
    """Every cell's score and spot count equal what this process computes for its image."""
    results = bl.shapes.grid_results(grid.id)
    files = sorted(bl.model.get_node(task).files)
    assert results.count == len(files) and not np.isnan(results.scores).any()
    for number, path in enumerate(files, start=1):
        cell = grid.index_of_cell(*grid.cell_of_index(number)) - 1  # the grid's own order
        expected = assess_image(path)
        assert results.scores[cell] == pytest.approx(expected.score, rel=1e-9), path
        assert results.spots[cell] == expected.spots, path


def test_a_worker_scores_a_batch_as_this_process_would(redis_server, worker, tmp_path):
    """The ewoks task on a real worker: scores in order, the reason for a bad file, and
    the worker's own name (not this process)."""
    good = write_images(tmp_path, 3)
    missing = str(tmp_path / "missing.cbf")
    settings = EwoksJobConfig(worker.redis.url(0), worker.redis.url(1), worker.queue)
    app = celery_app(settings)
    job_id = submit_batch(settings, [*good, missing])
    outputs = app.AsyncResult(job_id).get(timeout=60)
    results = outputs["results"]
    for path, result in zip(good, results[:3], strict=True):
        expected = assess_image(path)
        assert result == [pytest.approx(expected.score, rel=1e-9), expected.spots]
    assert "missing.cbf" in results[3] and "cannot read" in results[3]
    host, pid = outputs["worker"].rsplit(":", 1)
    assert host == socket.gethostname() and int(pid) != os.getpid()


def write_images(directory: Path, count: int) -> list[str]:
    """``count`` simulated 256 x 256 CBF images (the first background only)."""
    from fabio.cbfimage import CbfImage

    from hardware_objects.simulated.diffraction import DetectorGeometry, DiffractionSimulator

    geometry = DetectorGeometry(256, 256, 0.075, 0.075, 150.0, 128.0, 128.0, 0.98)
    simulator = DiffractionSimulator(geometry, 3)
    paths = []
    for n in range(count):
        data = simulator.image(n + 1, 0.0, 1.0, 1.0 if n else 0.0).astype(np.int32)
        path = directory / f"image_{n + 1:05d}.cbf"
        CbfImage(data=data).write(str(path))
        paths.append(str(path))
    return paths


def test_a_mesh_with_the_broker_configured_is_scored_by_the_worker(bl_workers, caplog):
    bl = bl_workers
    caplog.set_level(logging.INFO, logger="mxgui")
    grid, _ = grid_near_crystal(bl, 8, 5)
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **MESH)
    assert run_and_wait(bl) == "success"
    assert_scores_are_the_local_scorers(bl, grid, task)
    by_workers, workers, jobs, here = tally_of(caplog)
    # every image went to the worker (another process), in batches
    assert (by_workers, here) == (40, 0), workers
    assert f"{socket.gethostname()}:{os.getpid()}" not in workers
    assert 40 / 16 <= jobs < 40
    node = bl.model.get_node(task)
    assert node.results["cells_scored"] == 40
    assert node.results["best_cell"] == bl.shapes.grid_results(grid.id).best_cells(1)[0]


def test_killing_the_worker_mid_mesh_still_scores_every_image(bl_workers, worker, caplog):
    bl = bl_workers
    caplog.set_level(logging.INFO, logger="mxgui")
    grid, _ = grid_near_crystal(bl, 20, 15)
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **SLOW_SMALL_MESH)
    bl.engine.run_all()
    # once the worker has answered a few batches, it goes (SIGKILL: its pool too)
    wait_for(lambda: scored_cells(bl, grid) >= 32, "the worker's first scores", timeout=120)
    worker.kill()
    assert bl.events.wait_finished(180.0) == "success"
    assert_scores_are_the_local_scorers(bl, grid, task)
    by_workers, _, _, here = tally_of(caplog)
    assert by_workers >= 32 and here > 0 and by_workers + here == 300
    said = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    # the batches in flight were started by the worker (it has gone) or waiting for it
    assert any(why in said for why in ("no worker answers", "has gone", "no worker took")), said


def test_an_unreachable_broker_leaves_the_scoring_here_and_says_why(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="mxgui")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    bl = beamline_with_workers(tmp_path, dead, dead, new_queue())
    try:
        grid, _ = grid_near_crystal(bl, 4, 3)
        sample = add_sample(bl, None)
        task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **MESH)
        assert run_and_wait(bl) == "success"
        assert_scores_are_the_local_scorers(bl, grid, task)
        assert tally_of(caplog)[0] == 0 and tally_of(caplog)[3] == 12
        said = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
        assert f"cannot send to the broker {dead}" in said
    finally:
        close_beamline(bl)


def score_remotely(settings: EwoksJobConfig, items: list[tuple[int, object]], **options):
    """Score ``items`` with a RemoteScoring (``options``: its own) as the MeshScorer
    drives it; what it told, ``{index: (score, spots) or reason}``, and the scorer."""
    told: dict[int, object] = {}
    remote = RemoteScoring(
        settings,
        lambda index, path, score, spots: told.__setitem__(index, (score, spots)),
        lambda index, path, reason: told.__setitem__(index, reason),
        "test",
        **options,
    )
    for index, path in items:
        remote.add(index, path)  # type: ignore[arg-type]  # a bad path on purpose
    wait_for(lambda: remote.poll(ending=True) or remote.idle, "every image answered", 120)
    return told, remote


def test_a_job_that_fails_on_the_worker_is_scored_here(worker, tmp_path, caplog):
    """A batch holding a path that is not a string fails on the worker (the task refuses
    it): its images are scored here, the bad one reported unreadable."""
    good = write_images(tmp_path, 2)
    settings = EwoksJobConfig(worker.redis.url(0), worker.redis.url(1), worker.queue)
    told, remote = score_remotely(settings, [(1, good[0]), (2, 12345), (3, good[1])])
    tally = remote.tally
    assert told[1] == (assess_image(good[0]).score, assess_image(good[0]).spots)
    assert told[3] == (assess_image(good[1]).score, assess_image(good[1]).spots)
    assert "cannot read image 12345" in told[2]
    assert tally.local == 3 and not tally.by_worker and len(tally.jobs) == 1
    assert "ended FAILURE" in tally.reasons[0] and "paths" in tally.reasons[0]


def test_a_worker_lost_mid_mesh_its_batch_goes_to_the_other(
    tmp_path, redis_server, celery_worker_factory, caplog
):
    """Two workers on the queue; one is killed while it scores: its batch is sent again
    and the survivor scores it (or, the batch not yet started, it is scored here)."""
    caplog.set_level(logging.INFO, logger="mxgui")
    first = celery_worker_factory()
    # a second worker on the same queue, under a name of its own (the factory names a
    # worker after its queue, and a ping must tell the two apart)
    second = CeleryWorker(redis_server, tmp_path, first.queue)
    second.name = f"second-{first.queue}@127.0.0.1"
    bl = None
    try:
        second.start()
        bl = beamline_with_workers(tmp_path, redis_server.url(0), redis_server.url(1), first.queue)
        grid, _ = grid_near_crystal(bl, 12, 10)
        sample = add_sample(bl, None)
        task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **dict(MESH, exp_time=0.02))
        bl.engine.run_all()
        # 1M images: a batch keeps a worker busy long enough to be killed at it
        app = client_app(redis_server)
        try:
            wait_for(
                lambda: (
                    scored_cells(bl, grid) >= 16
                    and any(
                        (app.control.inspect([first.name], timeout=1.0).active() or {}).values()
                    )
                ),
                "the first worker at a batch, after the first scores",
                timeout=120,
            )
        finally:
            app.close()
        first.kill()
        assert bl.events.wait_finished(180.0) == "success"
        assert_scores_are_the_local_scorers(bl, grid, task)
        by_workers, workers, _, here = tally_of(caplog)
        assert by_workers + here == 120 and by_workers > 16
        assert workers.count(",") == 1, workers  # both workers scored (batches in flight)
        said = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
        assert f"while {second.name} is idle" in said and "sent again" in said, said
        assert second.running
    finally:
        if bl is not None:
            close_beamline(bl)
        second.stop()


def test_workers_busy_with_other_jobs_leave_the_mesh_to_this_process(bl_workers, worker, caplog):
    """The only worker runs a long job (a workflow waiting for this mesh, say): no
    scoring job starts, so after START_TIMEOUT the mesh is scored here, whole."""
    from ewoksjob.client import submit_test

    caplog.set_level(logging.INFO, logger="mxgui")
    app = celery_app(EwoksJobConfig(worker.redis.url(0), worker.redis.url(1), worker.queue))
    app.set_current()
    busy = submit_test(seconds=60, queue=worker.queue)
    wait_for(
        lambda: busy.uuid in str(app.control.inspect([worker.name], timeout=1.0).active()),
        "the long job running",
    )
    bl = bl_workers
    grid, _ = grid_near_crystal(bl, 6, 5)
    sample = add_sample(bl, None)
    task = add_task(bl, sample, "MeshScan", grid_id=grid.id, **MESH)
    assert run_and_wait(bl) == "success"
    assert_scores_are_the_local_scorers(bl, grid, task)
    assert tally_of(caplog)[0] == 0 and tally_of(caplog)[3] == 30
    said = " ".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert "no worker took" in said, said
    app.control.revoke(busy.uuid, terminate=True)


def test_jobs_in_flight_grow_to_two_per_worker_process(celery_worker_factory, tmp_path):
    """A worker of 3 pool processes: once the 4 first jobs are in flight, the scorer asks
    the pool sizes and keeps 6 in flight; every image is scored by the worker."""
    worker = celery_worker_factory(concurrency=3)
    paths = write_images(tmp_path, 4)
    settings = EwoksJobConfig(worker.redis.url(0), worker.redis.url(1), worker.queue)
    items = [(n, paths[n % 4]) for n in range(1, 41)]
    told, remote = score_remotely(settings, items, batch_size=2, max_in_flight=4)
    assert remote.max_in_flight == 6
    assert sorted(told) == list(range(1, 41)) and remote.tally.local == 0
    assert told[5] == tuple(assess_image(paths[1]))
