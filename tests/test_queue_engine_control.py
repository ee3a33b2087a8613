"""The queue engine's control, with stub hardware: refusals, stop and run again, live
edits of the tree, failures, bugs, an abort the hardware never confirms, shutdown.
Qt-free and quick (no simulated beamline)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future

import pytest
from queue_engine_fixtures import Recorder

from mxgui.core.errors import Refused
from mxgui.core.queue import History, QueueModel
from mxgui.core.queue.engine import QueueEngine
from mxgui.core.queue.entries import Entry, EntryContext, Outcome
from mxgui.core.queue.entries import base as entries_base

#: a sample mounted by hand, not centred: nothing waits for a user
UNATTENDED = {"centring": "none"}


class StubHardware:
    """An operation per entry that ends when the test says (or when aborted)."""

    def __init__(self) -> None:
        self.futures: list[Future] = []
        self.aborts = 0
        self.confirm_abort = True
        self.started = threading.Semaphore(0)

    def start(self) -> Future:
        future: Future = Future()
        self.futures.append(future)
        self.started.release()
        return future

    def abort(self) -> None:
        self.aborts += 1
        if self.confirm_abort:
            self.futures[-1].set_exception(RuntimeError("aborted"))

    def wait_started(self, timeout: float = 5.0) -> Future:
        assert self.started.acquire(timeout=timeout), "no operation started"
        return self.futures[-1]


class StubEntry(Entry):
    """Waits for the stub hardware; fails with its reason, or raises a bug when told."""

    writes_files = False

    def __init__(self, hardware: StubHardware) -> None:
        self.hardware = hardware

    def run(self, ctx: EntryContext) -> Outcome:
        if ctx.parameters.get("comments") == "bug":
            raise KeyError("a bug in the entry")
        result = ctx.start(self.hardware.start, "the stub operation", abort=self.hardware.abort)
        ctx.progress(1.0)
        return Outcome(message=f"done: {result}")


@pytest.fixture
def queue(tmp_path):
    hardware = StubHardware()
    model, history = QueueModel(), History()
    engine = QueueEngine(model, history, None, entries={"DataCollection": StubEntry(hardware)})
    events = Recorder(engine)
    directory = str(tmp_path / "data")

    def task(sample: int, **given) -> int:
        params = {"directory": directory, "prefix": "p", "exp_time": 0.01, **given}
        return model.add(sample, "DataCollection", params)

    yield model, history, engine, hardware, events, task
    engine.shutdown()


def test_run_refuses_what_cannot_run(queue):
    model, _history, engine, hardware, events, task = queue
    with pytest.raises(Refused, match="nothing to run"):
        engine.run_all()
    sample = model.add(0, "Sample", UNATTENDED)
    first = task(sample)
    with pytest.raises(Refused, match="no queue node 99"):
        engine.run(99)
    model.set_enabled(first, False)
    with pytest.raises(Refused, match="is disabled"):
        engine.run(first)
    model.set_enabled(first, True)
    engine.run(first)
    with pytest.raises(Refused, match="already running"):
        engine.run_all()
    hardware.wait_started().set_result(1)
    assert events.wait_finished() == "success"
    assert model.get_node(sample).status == "not_executed"  # a task run alone
    with pytest.raises(Refused, match=r"it has run \(success\)"):
        engine.run(first)


def test_stop_never_waits_and_running_again_works_every_time(queue):
    model, history, engine, hardware, events, task = queue
    sample = model.add(0, "Sample", UNATTENDED)
    tasks = [task(sample) for _ in range(4)]
    for round_ in range(3):
        engine.run_all()
        hardware.wait_started()
        started = time.monotonic()
        engine.stop()
        engine.stop()  # twice is harmless
        assert time.monotonic() - started < 0.05
        assert events.wait_finished() == "stopped"
        assert hardware.aborts == round_ + 1
        node = model.get_node(tasks[round_])
        assert (node.status, node.message) == ("stopped", "stopped by user")
        assert [model.get_node(t).status for t in tasks[round_ + 1 :]] == ["not_executed"] * (
            3 - round_
        )
        assert not engine.is_running()
    engine.run_all()
    hardware.wait_started().set_result("last")
    assert events.wait_finished() == "success"
    assert model.get_node(tasks[3]).message == "done: last"
    assert [e.message for e in history.entries() if e.type == "DataCollection"] == [
        "stopped by user",
        "stopped by user",
        "stopped by user",
        "done: last",
    ]


def test_the_tree_is_read_live_during_a_run(queue):
    model, _history, engine, hardware, events, task = queue
    sample = model.add(0, "Sample", UNATTENDED)
    first, second, third = task(sample), task(sample), task(sample)
    engine.run_all()
    hardware.wait_started()
    added = task(sample)  # added at the end while the first runs
    model.set_enabled(second, False)  # disabled before its turn
    model.remove([third])  # removed before its turn
    other = model.add(0, "Sample", UNATTENDED)  # a new sample
    later = task(other)
    hardware.futures[-1].set_result(1)
    hardware.wait_started().set_result(2)
    hardware.wait_started().set_result(3)
    assert events.wait_finished() == "success"
    assert [model.get_node(n).status for n in (first, second, added, later)] == [
        "success",
        "not_executed",
        "success",
        "success",
    ]
    assert third not in model


def test_a_failure_goes_on_or_stops_as_chosen(queue):
    model, _history, engine, hardware, events, task = queue
    samples = [model.add(0, "Sample", UNATTENDED) for _ in range(3)]
    tasks = [[task(s), task(s)] for s in samples]
    for go_on, expected in ((True, "success"), (False, "not_executed")):
        engine.set_continue_on_failure(go_on)
        assert engine.continue_on_failure is go_on
        model.reset_status(samples)
        engine.run_all()
        hardware.wait_started().set_result(1)
        hardware.wait_started().set_result(1)
        hardware.wait_started().set_exception(RuntimeError("the detector is not armed"))
        if go_on:
            hardware.wait_started().set_result(1)
            hardware.wait_started().set_result(1)
        assert events.wait_finished() == "failed"
        assert model.get_node(tasks[1][0]).message == (
            "the stub operation: the detector is not armed"
        )
        assert model.get_node(tasks[1][1]).status == "not_executed"  # left with its sample
        assert model.get_node(samples[1]).message.endswith("; 1 entries not run")
        assert model.get_node(tasks[2][1]).status == expected


def test_a_bug_in_an_entry_fails_that_entry_only(queue):
    model, _history, engine, hardware, events, task = queue
    sample = model.add(0, "Sample", UNATTENDED)
    buggy, fine = task(sample, comments="bug"), model.add(0, "Sample", UNATTENDED)
    after = task(fine)
    engine.run_all()
    hardware.wait_started().set_result(1)
    assert events.wait_finished() == "failed"
    assert model.get_node(buggy).message == "KeyError: 'a bug in the entry'"
    assert model.get_node(after).status == "success"


def test_an_abort_the_hardware_never_confirms_ends_the_entry_after_a_grace(queue, monkeypatch):
    model, _history, engine, hardware, events, task = queue
    monkeypatch.setattr(entries_base, "ABORT_GRACE_S", 0.2)
    hardware.confirm_abort = False
    sample = model.add(0, "Sample", UNATTENDED)
    first = task(sample)
    engine.run_all()
    hardware.wait_started()
    engine.stop()
    assert events.wait_finished(5) == "stopped"
    assert model.get_node(first).message == (
        "stopped by user (the stub operation did not confirm the stop within 0.2 s)"
    )


def test_stop_while_paused_ends_the_run_and_skip_needs_a_running_entry(queue):
    model, _history, engine, hardware, events, task = queue
    sample = model.add(0, "Sample", UNATTENDED)
    first, second = task(sample), task(sample)
    engine.run_all()
    hardware.wait_started()
    engine.pause()
    paused = events.when(lambda name, _args: name == "executionPaused")
    hardware.futures[-1].set_result(1)
    assert paused.wait(5)
    assert engine.current_node() is None and engine.skip() is False
    engine.stop()
    assert events.wait_finished() == "stopped"
    assert "executionResumed" not in events.names()
    assert not engine.is_paused()
    assert model.get_node(first).status == "success"
    assert model.get_node(second).status == "not_executed"
    assert model.get_node(sample).message == "stopped by user"


def test_progress_is_rate_limited(queue):
    model, _history, engine, _hardware, _events, _task = queue
    seen = []
    engine.connect("progressChanged", lambda node_id, fraction: seen.append(fraction))
    for i in range(1001):
        engine.report_progress(7, i / 1000)
    assert 100 <= len(seen) <= 102 and seen[-1] == 1.0


def test_shutdown_stops_and_joins_the_worker(queue):
    model, _history, engine, hardware, events, task = queue
    sample = model.add(0, "Sample", UNATTENDED)
    task(sample)
    engine.run_all()
    hardware.wait_started()
    workers = [t for t in threading.enumerate() if t.name == "queue engine"]
    assert len(workers) == 1
    engine.shutdown()
    assert not workers[0].is_alive()
    assert events.args("executionFinished") == [("stopped",)]
    with pytest.raises(Refused, match="shut down"):
        engine.run_all()
