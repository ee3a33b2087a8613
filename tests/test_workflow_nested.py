"""Nested execution: queue nodes run inside an entry waiting for its workflow (the
engine's ``execute_entry``), and ``execute_entry`` / ``is_executing`` when idle or busy.
Qt-free; the "workflow" is a Future the test ends, the host entry a small stand-in."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
from queue_engine_fixtures import add_sample, add_task, close_beamline, make_beamline

from mxgui.core.errors import Refused
from mxgui.core.queue.entries.base import Entry, EntryContext, Outcome


class HostEntry(Entry):
    """Waits for ``self.workflow`` (a Future) hosting nested runs, like a Workflow."""

    writes_files = False

    def __init__(self) -> None:
        self.workflow: Future = Future()
        self.waiting = threading.Event()
        self.aborted = threading.Event()

    def prepare(self, ctx: EntryContext) -> None:
        """Nothing to check."""

    def run(self, ctx: EntryContext) -> Outcome:
        self.waiting.set()

        def abort() -> None:
            self.aborted.set()
            self.workflow.cancel()

        return Outcome(message=ctx.wait_hosting(self.workflow, "the workflow", abort=abort))


def hosting(bl, timeout: float = 10.0) -> bool:
    """The workflow entry runs and hosts nested runs: its ``run`` started, and the
    engine took it as the host (a moment later: ``wait_hosting`` opens it)."""
    if not bl.host.waiting.wait(timeout):
        return False
    end = time.monotonic() + timeout
    while bl.engine.nested.host is None:
        if time.monotonic() > end:
            return False
        time.sleep(0.005)
    return True


@pytest.fixture
def bl(tmp_path):
    beamline = make_beamline(tmp_path)
    beamline.host = HostEntry()
    beamline.engine.entries["Workflow"] = beamline.host
    yield beamline
    close_beamline(beamline)


def workflow_under_sample(bl) -> tuple[int, int]:
    sample = add_sample(bl, None)
    workflow = bl.model.add(
        sample, "Workflow", bl.factory.create("Workflow", {"workflow_name": "test"})
    )
    return sample, workflow


def test_nested_collection_runs_inside_the_waiting_workflow_and_never_again(bl):
    sample, workflow = workflow_under_sample(bl)
    bl.engine.run_all()
    assert hosting(bl)
    assert bl.engine.is_executing(workflow) and bl.engine.is_executing(sample)
    # the workflow adds a collection under the sample and asks the GUI to run it
    collection = add_task(bl, sample)
    assert not bl.engine.is_executing(collection)
    status = bl.engine.execute_entry(collection).result(timeout=30)
    assert status == "success"
    node = bl.model.get_node(collection)
    images = [Path(f) for f in node.files if f.endswith(".cbf")]
    assert len(images) == 3 and all(f.is_file() for f in images)
    # the workflow is still waiting; it ends, and the collection is not run again
    assert bl.engine.is_executing(workflow)
    bl.host.workflow.set_result("workflow done")
    assert bl.events.wait_finished() == "success"
    started = [args[0] for args in bl.events.args("entryStarted")]
    assert started.count(collection) == 1
    assert started == [sample, workflow, collection]
    assert bl.model.get_node(workflow).status == "success"
    assert bl.model.get_node(workflow).message == "workflow done"
    recorded = [entry.node_id for entry in bl.history.entries()]
    assert recorded.count(collection) == 1


def test_a_workflow_cannot_mount_another_sample_or_run_its_tasks(bl):
    """Nested runs stay on the workflow's sample: another sample (a mount mid-workflow)
    and a task of another sample are refused, saying why; nothing else moves."""
    sample, workflow = workflow_under_sample(bl)
    other = add_sample(bl, None)
    others_task = add_task(bl, other)
    bl.engine.run_all()
    assert hosting(bl)
    with pytest.raises(Refused, match="is a sample: a workflow runs tasks on its own sample"):
        bl.engine.execute_entry(other)
    with pytest.raises(Refused, match="belongs to another sample than the running workflow"):
        bl.engine.execute_entry(others_task)
    own = add_task(bl, sample)
    assert bl.engine.execute_entry(own).result(timeout=30) == "success"
    bl.host.workflow.set_result("done")
    bl.events.wait_finished()
    assert bl.model.get_node(own).status == "success"


def test_stop_aborts_the_nested_entry_and_the_workflow(bl):
    sample, workflow = workflow_under_sample(bl)
    bl.engine.run_all()
    assert hosting(bl)
    slow = add_task(bl, sample, num_images=200, exp_time=0.05)
    future = bl.engine.execute_entry(slow)
    started = bl.events.when(lambda name, args: name == "entryStarted" and args == (slow,))
    assert started.wait(10)
    bl.engine.stop()
    assert future.result(timeout=30) == "stopped"
    assert bl.events.wait_finished() == "stopped"
    assert bl.host.aborted.is_set()
    assert bl.model.get_node(slow).message.startswith("stopped by user")
    assert bl.model.get_node(workflow).status == "stopped"


def test_a_workflow_dying_during_its_nested_entry_stops_it_and_the_queue_goes_on(bl):
    """Issue 11, item 10 (Qt-free): the workflow's Future fails while its nested
    collection runs. The collection is stopped (FAILED, saying why), the workflow entry
    fails with the reason, the next sample runs, and the queue can run again."""
    sample, workflow = workflow_under_sample(bl)
    next_sample = add_sample(bl, None, name="next")
    after = add_task(bl, next_sample)
    bl.engine.run_all()
    assert hosting(bl)
    slow = add_task(bl, sample, num_images=400, exp_time=0.05)
    nested = bl.engine.execute_entry(slow)
    imaging = bl.events.when(
        lambda name, args: name == "progressChanged" and args[0] == slow and args[1] > 0
    )
    assert imaging.wait(20)
    bl.host.workflow.set_exception(RuntimeError("the workflow process was killed by signal 9"))
    assert nested.result(timeout=10) == "failed"
    node = bl.model.get_node(slow)
    assert node.message == (
        "stopped: the workflow failed: the workflow process was killed by signal 9"
    )
    images = sorted(f for f in node.files if f.endswith(".cbf"))
    assert 0 < len(images) < 400
    assert bl.events.wait_finished() == "failed"  # the workflow's sample failed, not stuck
    directory, prefix, run = (node.parameters[k] for k in ("directory", "prefix", "run_number"))
    on_disk = sorted(map(str, Path(directory).glob(f"{prefix}_{run}_*.cbf")))
    assert on_disk == images  # nothing written after the stop
    failed = bl.model.get_node(workflow)
    assert failed.status == "failed" and "killed by signal 9" in failed.message
    assert bl.model.get_node(after).status == "success"  # the queue went on
    finished = [args[0] for args in bl.events.args("entryFinished")]
    assert finished.index(slow) < finished.index(workflow) < finished.index(after)
    again = add_task(bl, next_sample)
    bl.engine.run_all()  # not "already running"
    assert bl.events.wait_finished() == "success"
    assert bl.model.get_node(again).status == "success"


def test_a_workflow_ending_well_lets_its_nested_entry_finish(bl):
    """Only a bad end stops a nested entry: a workflow that says it has ended while the
    collection it asked for runs leaves that collection to complete."""
    sample, workflow = workflow_under_sample(bl)
    bl.engine.run_all()
    assert hosting(bl)
    task = add_task(bl, sample, num_images=20, exp_time=0.02)
    nested = bl.engine.execute_entry(task)
    started = bl.events.when(lambda name, args: name == "entryStarted" and args == (task,))
    assert started.wait(10)
    bl.host.workflow.set_result("workflow done")
    assert nested.result(timeout=30) == "success"
    assert len([f for f in bl.model.get_node(task).files if f.endswith(".cbf")]) == 20
    assert bl.events.wait_finished() == "success"
    assert bl.model.get_node(workflow).message == "workflow done"


def test_execute_entry_when_idle_runs_the_node(bl):
    sample = add_sample(bl, None)
    task = add_task(bl, sample)
    assert not bl.engine.is_executing()
    assert bl.engine.execute_entry(task).result(timeout=30) == "success"
    assert bl.model.get_node(task).status == "success"
    with pytest.raises(Refused, match="has run"):
        bl.engine.execute_entry(task)
    with pytest.raises(Refused, match="no queue node 999"):
        bl.engine.execute_entry(999)


def test_execute_entry_while_busy_without_a_workflow_is_refused(bl):
    first = add_sample(bl, None)
    add_task(bl, first, num_images=200, exp_time=0.05)
    other = add_task(bl, add_sample(bl, None))
    bl.engine.run_all()
    started = bl.events.when(lambda name, args: name == "entryStarted" and args != (first,))
    assert started.wait(10)
    with pytest.raises(Refused, match="busy"):
        bl.engine.execute_entry(other)
    bl.engine.stop()
    bl.events.wait_finished()


def test_requests_left_when_the_workflow_ends_are_refused(bl):
    sample, _workflow = workflow_under_sample(bl)
    bl.engine.run_all()
    assert hosting(bl)
    # the workflow running itself (its sample) is refused at once
    with pytest.raises(Refused, match="running"):
        bl.engine.execute_entry(sample)
    bl.host.workflow.set_result("done")
    assert bl.events.wait_finished() == "success"


def test_queue_object_gives_execute_entry_and_is_executing(repo):
    queue = repo.get("/queue")
    assert queue.is_executing() is False and queue.is_executing(0) is False
    with pytest.raises(Refused, match="no queue node 999"):
        queue.execute_entry(999)
