"""The distributed workflow engine (``ewoksjob``): ewoks graphs on real Celery workers
with a real Redis as broker and result backend (``tests/celery_servers.py``).

One worker serves the module; the test that kills a worker starts its own. What is
asserted: the shipped X-ray centring workflow run from the queue puts the crystal on the
beam (as with the local engine); the worker gets the local engine's inputs and the GUI's
address and token; a failing step fails the entry with the workflow's error; a stop
ends the job's process; a worker killed mid-run fails the entry within 5 s naming it;
a job no worker takes fails saying so; the GUI's start-up imports no Celery.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path

import pytest
from celery_servers import (
    DISTRIBUTED_MODULES,
    ROOT,
    CeleryWorker,
    RedisServer,
    client_app,
    descendants,
    installation_problem,
    new_queue,
)
from control_servers import free_port
from test_workflows_run import QUICK, children, off_beam
from workflow_fixtures import WORKFLOWS, gone, started, wait_params
from xmlrpc_fixtures import client as xmlrpc_client

from mxgui.core.errors import HardwareObjectError
from mxgui.core.repository import HardwareRepository
from mxgui.core.workflow.ewoksjob import EwoksJobConfig, EwoksJobRun

from helpers import SIMULATED, quick_collect_overrides, speed_up, wait_for

pytest_plugins = ("celery_servers",)

DISTRIBUTED = ROOT / "HardwareRepository" / "distributed" / "workflow.xml"
#: what the client gives as the GUI's address and token (no server: the test tasks
#: only report them)
CALLBACK = ("http://127.0.0.1:9/RPC2", "a-token-for-the-workers-to-send")

CLIENT_XML = """<object class="workflow_client.WorkflowClient">
  <workflows_dir>{workflows}</workflows_dir>
  <log_file>{log}</log_file>
  <end_grace>0.5</end_grace>
  <kill_grace>1.0</kill_grace>
  <xmlrpc_url>{url}</xmlrpc_url>
  <xmlrpc_token>{token}</xmlrpc_token>
  <ewoksjob_broker>{broker}</ewoksjob_broker>
  <ewoksjob_backend>{backend}</ewoksjob_backend>
  <ewoksjob_queue>{queue}</ewoksjob_queue>
  <ewoksjob_start_timeout>{start_timeout}</ewoksjob_start_timeout>
  <ewoksjob_gui_timeout>{gui_timeout}</ewoksjob_gui_timeout>
  <workflow><name>Wait</name><engine>ewoksjob</engine><graph>wait.json</graph></workflow>
  <workflow><name>Fail</name><engine>ewoksjob</engine><graph>fail.json</graph></workflow>
</object>
"""

INPUTS = {
    "sample_node_id": 1,
    "workflow_node_id": 2,
    "tasks_parent_id": 2,
    "sample_location": "1:02",
    "directory": "/tmp/x",
    "prefix": "p",
    "run_number": 3,
    "shape_id": "",
}


def client_repository(
    tmp_path: Path,
    redis: RedisServer,
    queue: str,
    start_timeout: float = 60.0,
    name: str = "ewoksjob-repo",
    broker: str = "",
    gui_timeout: float = 10.0,
) -> HardwareRepository:
    """A repository (directory ``name``) whose ``workflow`` object runs the test
    workflows on ``queue`` of ``redis`` (or of ``broker``); its jobs are ended when it
    has not looked at them for ``gui_timeout`` s."""
    directory = tmp_path / name
    directory.mkdir()
    (directory / "workflow.xml").write_text(
        CLIENT_XML.format(
            workflows=WORKFLOWS,
            log=tmp_path / f"{name}.sqlite",
            url=CALLBACK[0],
            token=CALLBACK[1],
            broker=broker or redis.url(0),
            backend=broker or redis.url(1),
            queue=queue,
            start_timeout=start_timeout,
            gui_timeout=gui_timeout,
        )
    )
    return HardwareRepository([directory])


@pytest.fixture
def client(tmp_path, celery_worker: CeleryWorker):
    repo = client_repository(tmp_path, celery_worker.redis, celery_worker.queue)
    yield repo.get("workflow")
    repo.shutdown()


def test_a_worker_runs_an_ewoks_graph(celery_worker: CeleryWorker) -> None:
    """The fixtures' worker takes an ewoks graph from its queue and answers its result:
    ewoksjob's own task, Redis as broker and backend."""
    graph = {
        "graph": {"id": "hypot"},
        "nodes": [{"id": "hypot", "task_type": "method", "task_identifier": "math.hypot"}],
    }
    inputs = [
        {"id": "hypot", "name": 0, "value": 3},
        {"id": "hypot", "name": 1, "value": 4},
    ]
    app = client_app(celery_worker.redis)
    try:
        job = app.send_task(
            "ewoksjob.apps.ewoks.execute_graph",
            args=(graph,),
            kwargs={"inputs": inputs},
            queue=celery_worker.queue,
        )
        assert job.get(timeout=60) == {"return_value": 5.0}
    finally:
        app.close()


def distributed_beamline(tmp_path: Path, worker: CeleryWorker) -> HardwareRepository:
    """The simulated beamline (quick, as ``quick_repository``) with the workflow client
    of HardwareRepository/distributed, on ``worker``'s Redis and queue."""
    overrides = quick_collect_overrides(tmp_path)
    text = DISTRIBUTED.read_text()
    for old, new in (
        ("redis://127.0.0.1:6379/0", worker.redis.url(0)),
        ("redis://127.0.0.1:6379/1", worker.redis.url(1)),
        ("<ewoksjob_queue>mxgui<", f"<ewoksjob_queue>{worker.queue}<"),
    ):
        assert old in text, f"{DISTRIBUTED} has no {old}"
        text = text.replace(old, new)
    (overrides / "workflow.xml").write_text(text)
    repo = HardwareRepository([overrides, SIMULATED])
    speed_up(repo.get("diffractometer"))
    return repo


def test_the_shipped_xray_centring_runs_on_a_worker_from_the_queue(tmp_path, celery_worker):
    """The queue's XrayCentring task on the workflow client of
    HardwareRepository/distributed: the graph runs on the worker, calls the GUI back over
    XML-RPC, and the crystal ends on the beam in all three axes."""
    repo = distributed_beamline(tmp_path, celery_worker)
    try:
        bl = repo.beamline
        assert bl.role("workflow").get_workflow("XrayCentring").engine == "ewoksjob"
        assert off_beam(bl), "the crystal must start off the beam"
        queue = bl.role("queue")
        sample = queue.model.add(0, "Sample", queue.factory.create("Sample", {"centring": "none"}))
        task = queue.add_task(sample, "XrayCentring", QUICK)
        queue.execute_entry(task).result(timeout=300)
        node = queue.model.get_node(task)
        assert node.status == "success", node.message
        assert not off_beam(bl)
        assert [n.type for n in children(bl, sample)] == ["XrayCentring", "MeshScan", "MeshScan"]
        workflow_log = bl.role("workflow").log
        run = workflow_log.runs()[0]
        assert (run.name, run.status) == ("XrayCentring", "success")
        steps = [(s.step, s.status) for s in workflow_log.steps(run.id)]
        # the end step calls workflow_end, which ends the run: its own events may come later
        assert steps[0] == ("xray_centring", "success")
        assert "mxgui.workflow.execute_graph[" in celery_worker.log_text()
    finally:
        repo.shutdown()


def test_the_worker_gets_the_inputs_and_a_failing_step_fails_the_entry(tmp_path, client):
    marker = tmp_path / "marker"
    params = wait_params(marker, seconds=0, reason="no diffraction in the grid")
    done = client.start("Fail", {**INPUTS, "workflow_parameters": params})
    assert done.result(timeout=60) == (
        "failed",
        "step index_crystal failed: no diffraction in the grid",
    )
    info = started(marker)
    assert info["inputs"] == {**INPUTS, "workflow_parameters": params}
    assert (info["url"], info["token"]) == CALLBACK
    assert not gone(info["pid"], timeout=0.1), "the pool process goes on after a job"
    run = client.log.runs()[0]
    assert (run.status, run.failed_step) == ("failed", "index_crystal")
    steps = [(s.step, s.status) for s in client.log.steps(run.id)]
    assert steps == [("prepare", "success"), ("index_crystal", "failed")]


def test_stop_cancels_the_job_and_the_worker_takes_the_next(tmp_path, client):
    """The job's process and the subprocess the workflow started both end (the job's
    process group, as with the local engine)."""
    marker = tmp_path / "marker"
    params = wait_params(marker, 120, spawn_child=True)
    done = client.start("Wait", {**INPUTS, "workflow_parameters": params})
    info = started(marker)
    pid = info["pid"]
    client.abort()
    assert done.result(timeout=30) == ("aborted", "aborted by user")
    assert gone(pid), "the job's process must end when the job is stopped"
    assert gone(info["child"]), "the workflow's subprocess must end when the job is stopped"
    assert client.running is None
    again = tmp_path / "again"
    done = client.start("Wait", {**INPUTS, "workflow_parameters": wait_params(again, 0)})
    assert done.result(timeout=60) == ("success", "workflow finished")
    assert started(again)["pid"] != pid


def test_workflow_end_ends_the_run_and_the_job_gets_its_grace(tmp_path, client):
    marker = tmp_path / "marker"
    done = client.start("Wait", {**INPUTS, "workflow_parameters": wait_params(marker, 120)})
    pid = started(marker)["pid"]
    client.workflow_end()  # what the workflow's last step calls over XML-RPC
    assert done.result(timeout=10) == ("success", "workflow ended")
    assert gone(pid), "still waiting: the job must be ended after end_grace"


def test_a_job_ignoring_sigterm_after_workflow_end_is_killed(tmp_path, client):
    """After workflow_end and end_grace the job gets SIGTERM, and SIGKILL after
    kill_grace when it ignores SIGTERM (a workflow stuck in C code)."""
    marker = tmp_path / "marker"
    params = wait_params(marker, 120, ignore_sigterm=True)
    done = client.start("Wait", {**INPUTS, "workflow_parameters": params})
    pid = started(marker)["pid"]
    client.workflow_end()
    assert done.result(timeout=10) == ("success", "workflow ended")
    assert gone(pid, timeout=15), "a job ignoring SIGTERM must get SIGKILL after kill_grace"


def test_a_pool_process_killed_under_its_job_fails_the_entry(tmp_path, client):
    """The worker's main process lives on (and starts a new pool process); the one that
    ran the job is gone: the entry fails as lost, and the worker takes the next job."""
    marker = tmp_path / "marker"
    params = wait_params(marker, 120, spawn_child=True)
    done = client.start("Wait", {**INPUTS, "workflow_parameters": params})
    info = started(marker)
    os.kill(info["pid"], signal.SIGKILL)
    status, message = done.result(timeout=30)
    assert status == "failed"
    assert "was lost during step wait" in message
    assert gone(info["child"]), "the subprocess of a killed job must end too"
    again = tmp_path / "again"
    done = client.start("Wait", {**INPUTS, "workflow_parameters": wait_params(again, 0)})
    assert done.result(timeout=60) == ("success", "workflow finished")


def _signal_all(pids: list[int], sig: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def test_a_job_taken_for_lost_is_ended_when_it_runs_again(tmp_path, client):
    """The job's processes all stalled past the heartbeat (a paused machine): the entry
    fails as lost, and when they run again the job is ended (its subprocess too), not
    left to drive the beamline behind the failed entry."""
    marker = tmp_path / "marker"
    params = wait_params(marker, 120, spawn_child=True)
    done = client.start("Wait", {**INPUTS, "workflow_parameters": params})
    info = started(marker)
    stalled = [info["pid"], *descendants(info["pid"])]
    _signal_all(stalled, signal.SIGSTOP)
    try:
        status, message = done.result(timeout=20)
    finally:
        _signal_all(stalled, signal.SIGCONT)
    assert status == "failed"
    assert "was lost during step wait" in message
    assert gone(info["pid"]), "the job taken for lost must not run on"
    assert gone(info["child"]), "nor its subprocess"


def test_a_job_stalled_for_2_5_s_is_not_taken_for_lost(tmp_path, client):
    """The job's process stopped for 2.5 s (C code holding the GIL, a slow file
    system): its guard beats on, and the run ends as the workflow does."""
    marker = tmp_path / "marker"
    done = client.start("Wait", {**INPUTS, "workflow_parameters": wait_params(marker, 3.5)})
    pid = started(marker)["pid"]
    os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(2.5)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert done.result(timeout=30) == ("success", "workflow finished")


def test_a_worker_with_another_backend_runs_the_job_for_this_gui(tmp_path, celery_worker):
    """The GUI's backend (db 2) is not the worker's (db 1): the job writes its events
    and heartbeat where the GUI reads them, so the GUI sees it run and end."""
    redis = celery_worker.redis
    config = EwoksJobConfig(redis.url(0), redis.url(2), celery_worker.queue, start_timeout=20)
    marker = tmp_path / "marker"
    inputs = {**INPUTS, "workflow_parameters": wait_params(marker, 0)}
    run = EwoksJobRun(WORKFLOWS / "wait.json", inputs, lambda *step: None, config, CALLBACK)
    assert run.future.result(timeout=30).status == "success"


def test_a_finished_job_leaves_no_keys_behind(tmp_path, celery_worker):
    """Once the GUI has read the job's end, its events, worker name and GUI key go, and
    Celery stores no result (nothing reads it): only a cancel key would stay."""
    import redis as redis_client

    redis = celery_worker.redis
    config = EwoksJobConfig(redis.url(0), redis.url(1), celery_worker.queue)
    marker = tmp_path / "marker"
    inputs = {**INPUTS, "workflow_parameters": wait_params(marker, 0)}
    run = EwoksJobRun(WORKFLOWS / "wait.json", inputs, lambda *step: None, config, CALLBACK)
    assert run.future.result(timeout=30).status == "success"
    client = redis_client.Redis.from_url(redis.url(1))
    try:

        def left() -> list[bytes]:
            return client.keys(f"*{run.job_id}*")

        done = f"execute_graph[{run.job_id}] succeeded"
        # the worker logs the success after storing a result it would store
        wait_for(lambda: done in celery_worker.log_text(), "the worker's success line", 30)
        wait_for(lambda: not left(), "the job's keys gone", 10)
    finally:
        client.close()


GUI_THAT_DIES = """
import os, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from test_workflow_ewoksjob import INPUTS, client_repository
from workflow_fixtures import started

class Redis:
    def url(self, db=0):
        return {url!r}[:-1] + str(db)

repo = client_repository(Path({tmp!r}), Redis(), {queue!r}, gui_timeout={gui_timeout!r})
repo.get("workflow").start("Wait", {{**INPUTS, "workflow_parameters": {params!r}}})
started(Path({marker!r}))
os._exit(0)  # the GUI dies: no shutdown, no abort
"""


def test_a_job_whose_gui_died_is_ended(tmp_path, celery_worker):
    """A GUI that dies mid-run (kill -9, a crash) stops renewing its key: the job's guard
    ends the job and its subprocess ``gui_timeout`` s later."""
    marker = tmp_path / "marker"
    script = GUI_THAT_DIES.format(
        tests=str(ROOT / "tests"),
        url=celery_worker.redis.url(0),
        tmp=str(tmp_path),
        queue=celery_worker.queue,
        gui_timeout=2.0,
        params=wait_params(marker, 120, spawn_child=True),
        marker=str(marker),
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, timeout=120)
    info = started(marker)
    # gui_timeout (2 s) + kill_grace (1 s) and a margin for a loaded machine
    assert gone(info["pid"], timeout=15), "the job of a dead GUI must end"
    assert gone(info["child"], timeout=5)


def test_a_killed_worker_fails_the_entry_within_5_s(tmp_path, celery_worker_factory):
    worker = celery_worker_factory()
    repo = client_repository(tmp_path, worker.redis, worker.queue)
    try:
        client = repo.get("workflow")
        marker = tmp_path / "marker"
        done = client.start("Wait", {**INPUTS, "workflow_parameters": wait_params(marker, 120)})
        started(marker)
        worker.kill()  # SIGKILL: the worker and its pool process, no shutdown
        killed = time.monotonic()
        status, message = done.result(timeout=30)
        noticed = time.monotonic() - killed
        assert status == "failed"
        assert f"the worker {worker.name}" in message and "was lost during step wait" in message
        assert "its heartbeat key (3 s to live) has been missing for 1 s" in message
        assert noticed <= 5.0, f"the lost worker was noticed after {noticed:.1f} s"
        assert client.log.runs()[0].status == "failed"
    finally:
        repo.shutdown()


def test_redis_gone_mid_run_fails_the_entry_saying_so(tmp_path):
    """A Redis of its own (stopped mid-run, taking broker, events and heartbeat with it):
    the entry fails naming Redis after ``ewoksjob_heartbeat`` s without it."""
    (tmp_path / "redis").mkdir()
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    worker = CeleryWorker(redis, tmp_path, new_queue())
    repo = None
    try:
        worker.start()
        repo = client_repository(tmp_path, redis, worker.queue, gui_timeout=2.0)
        client = repo.get("workflow")
        marker = tmp_path / "marker"
        done = client.start("Wait", {**INPUTS, "workflow_parameters": wait_params(marker, 120)})
        started(marker)
        run_id = client.current_run_id
        # the GUI has read the step's start, and the heartbeat with it (the same look)
        wait_for(lambda: client.log.steps(run_id), "the step's start in the log", 10)
        pid = started(marker)["pid"]
        redis.stop()
        status, message = done.result(timeout=30)
        assert status == "failed"
        assert f"the Redis of the workers ({redis.url(1)}) cannot be reached for 3 s" in message
        assert worker.name in message  # the job, and where
        # its guard no longer sees the GUI's key: gui_timeout (2 s), kill_grace (1 s)
        assert gone(pid, timeout=15), "a job nobody can watch must not run on"
    finally:
        if repo is not None:
            repo.shutdown()
        worker.kill()
        redis.stop()


def test_a_job_no_worker_takes_fails_and_a_later_worker_drops_it(
    tmp_path, redis_server, celery_worker_factory
):
    """No worker on the queue: the entry fails saying so; a worker that comes later
    drops that job (it never runs behind the user's back) and runs the next."""
    queue = new_queue()  # nobody serves it yet
    repo = client_repository(tmp_path, redis_server, queue, start_timeout=1.0)
    later = client_repository(tmp_path, redis_server, queue, name="later")
    try:
        client = repo.get("workflow")
        first = tmp_path / "first"
        done = client.start("Wait", {**INPUTS, "workflow_parameters": wait_params(first, 0)})
        status, message = done.result(timeout=30)
        assert status == "failed"
        assert "no worker took the job within 1 s" in message and repr(queue) in message
        assert "a worker that had reserved it was lost" in message
        assert f"with {redis_server.url(1)} as its backend" in message
        celery_worker_factory(queue=queue)
        second = tmp_path / "second"
        done = later.get("workflow").start(
            "Wait", {**INPUTS, "workflow_parameters": wait_params(second, 0)}
        )
        assert done.result(timeout=60) == ("success", "workflow finished")
        assert started(second)
        assert not (first / "started.json").exists(), "the cancelled job ran"
    finally:
        repo.shutdown()
        later.shutdown()


def test_a_broker_out_of_reach_fails_the_entry_saying_so(tmp_path, redis_server):
    nobody = f"redis://127.0.0.1:{free_port()}/0"
    repo = client_repository(tmp_path, redis_server, new_queue(), broker=nobody)
    try:
        done = repo.get("workflow").start("Wait", {**INPUTS, "workflow_parameters": {}})
        status, message = done.result(timeout=60)
        assert status == "failed"
        assert f"the workflow could not be submitted to {nobody}" in message
    finally:
        repo.shutdown()


def test_an_ewoksjob_workflow_without_a_broker_is_refused_naming_the_line(tmp_path):
    directory = tmp_path / "repo"
    directory.mkdir()
    (directory / "workflow.xml").write_text(
        '<object class="workflow_client.WorkflowClient">\n'
        "  <workflow><name>Wait</name><engine>ewoksjob</engine>"
        f"<graph>{WORKFLOWS / 'wait.json'}</graph></workflow>\n"
        "</object>\n"
    )
    repo = HardwareRepository([directory])
    with pytest.raises(HardwareObjectError, match=r"workflow\.xml.*2") as error:
        repo.get("workflow")
    assert "<ewoksjob_broker>" in str(error.value)
    repo.shutdown()


def test_the_job_is_acknowledged_when_taken_whatever_the_site_configures(redis_server):
    """A site's Celery configuration with late acknowledgement and rejection on a lost
    worker would give a lost worker's job to another worker, to run behind the failed
    entry: the task pins early acknowledgement."""
    from celery import Celery

    import mxgui.core.workflow.ewoksjob_task as job_task

    app = Celery("site", broker=redis_server.url(0), set_as_current=False)
    app.conf.update(task_acks_late=True, task_reject_on_worker_lost=True)
    try:
        task = app.tasks[job_task.TASK_NAME]
        assert (task.acks_late, task.reject_on_worker_lost) == (False, False)
    finally:
        app.close()


def test_a_half_installed_setup_fails_the_tests_rather_than_skipping():
    """setup.sh installs redis-server and the distributed extra together, and .ci/run sets
    no CI: one without the other fails; nothing installed skips, unless under CI."""
    every = list(DISTRIBUTED_MODULES)
    assert installation_problem("/usr/bin/redis-server", [], ci=False) == ("", "")
    verdict, reason = installation_problem("/usr/bin/redis-server", ["ewoksjob"], ci=False)
    assert verdict == "fail" and "ewoksjob" in reason
    verdict, reason = installation_problem(None, [], ci=False)
    assert verdict == "fail" and "redis-server" in reason
    assert installation_problem(None, every, ci=False)[0] == "skip"
    assert installation_problem(None, every, ci=True)[0] == "fail"


def test_starting_the_gui_imports_no_celery():
    """The engine imports Celery, ewoksjob and redis with its first run: loading the
    beamline with ewoksjob workflows configured imports none of them."""
    script = (
        "import sys\n"
        "from mxgui.core.repository import HardwareRepository\n"
        f"repo = HardwareRepository([{str(DISTRIBUTED.parent)!r}, {str(SIMULATED)!r}])\n"
        "assert repo.get('workflow').get_workflow('MeshScan').engine == 'ewoksjob'\n"
        "repo.shutdown()\n"
        "names = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(names & {'celery', 'ewoksjob', 'kombu', 'redis'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_job_calls_back_with_a_run_token_refused_once_the_run_is_stopped(
    tmp_path, celery_worker
):
    """The job gets a token of its own run, not the server's: granted before the submit,
    revoked at the stop, so a job that outlives its stop (a worker that ignores the
    revoke) is refused by the real XML-RPC server."""
    overlay = quick_collect_overrides(tmp_path)
    text = CLIENT_XML.replace("  <xmlrpc_url>{url}</xmlrpc_url>\n", "").replace(
        "  <xmlrpc_token>{token}</xmlrpc_token>\n", ""
    )
    redis = celery_worker.redis
    (overlay / "workflow.xml").write_text(
        text.format(
            workflows=WORKFLOWS,
            log=tmp_path / "runs.sqlite",
            broker=redis.url(0),
            backend=redis.url(1),
            queue=celery_worker.queue,
            start_timeout=60,
            gui_timeout=10.0,
        )
    )
    repo = HardwareRepository([overlay, SIMULATED])
    try:
        client = repo.get("workflow")
        server = repo.get("xmlrpc_server")
        marker = tmp_path / "marker"
        done = client.start("Wait", {**INPUTS, "workflow_parameters": wait_params(marker, 120)})
        info = started(marker)
        assert info["url"] == server.url
        assert info["token"] != server.token and len(server.run_tokens) == 1
        with xmlrpc_client(server.url, info["token"]) as job:
            assert job.log_message("the job calls back") is True
        client.abort()
        assert done.result(timeout=30) == ("aborted", "aborted by user")
        with xmlrpc_client(server.url, info["token"]) as late:
            with pytest.raises(xmlrpc.client.ProtocolError) as refused:
                late.log_message("a job that outlived its stop")
        assert refused.value.errcode == 403
        assert len(server.run_tokens) == 0
    finally:
        repo.shutdown()
