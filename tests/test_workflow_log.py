"""The workflow execution log: runs and steps kept across a restart, statistics, a
corrupt file set aside, use from several threads."""

from __future__ import annotations

import logging
import sqlite3
import subprocess
import sys
import threading

import pytest

from mxgui.core.workflow_log import ABANDONED, WorkflowLog, WorkflowLogError, default_path


def _record_xray_centring(log: WorkflowLog, start: float, fail: bool = False) -> int:
    run = log.start_run("XrayCentring", {"sample": "1:01", "prefix": "x1"}, started=start)
    log.step_started(run, "mesh_horizontal", t=start + 1)
    log.step_finished(run, "mesh_horizontal", "success", t=start + 11)
    log.step_started(run, "mesh_vertical", t=start + 12)
    if fail:
        log.step_finished(run, "mesh_vertical", "failed", "no diffraction", t=start + 20)
        log.finish_run(run, "failed", "no crystal found", t=start + 21)
    else:
        log.step_finished(run, "mesh_vertical", "success", t=start + 22)
        log.finish_run(run, "success", t=start + 30)
    return run


def test_runs_and_steps_survive_a_restart(tmp_path):
    path = tmp_path / "log" / "workflows.sqlite"
    log = WorkflowLog(path)
    good = _record_xray_centring(log, 1000.0)
    bad = _record_xray_centring(log, 2000.0, fail=True)
    log.close()

    reopened = WorkflowLog(path)
    assert reopened.problem == ""
    runs = reopened.runs()
    assert [r.id for r in runs] == [bad, good]  # newest first
    failed, succeeded = runs
    assert (succeeded.name, succeeded.status, succeeded.duration) == (
        "XrayCentring",
        "success",
        30.0,
    )
    assert succeeded.info == {"sample": "1:01", "prefix": "x1"}
    assert succeeded.failed_step == ""
    assert (failed.status, failed.message, failed.failed_step) == (
        "failed",
        "no crystal found",
        "mesh_vertical",
    )
    steps = reopened.steps(good)
    assert [(s.step, s.status, s.duration) for s in steps] == [
        ("mesh_horizontal", "success", 10.0),
        ("mesh_vertical", "success", 10.0),
    ]
    assert reopened.steps(bad)[1].message == "no diffraction"
    # the new runs continue after the old ones
    assert reopened.start_run("MeshScan", {}) > bad
    reopened.close()


def test_a_run_killed_mid_step_names_the_running_step_and_closes_it(tmp_path):
    log = WorkflowLog(tmp_path / "w.sqlite")
    run = log.start_run("MXPressA", {}, started=10.0)
    log.step_started(run, "characterisation", t=12.0)
    assert log.run(run).status == "running" and log.run(run).duration is None
    assert log.steps(run)[0].duration is None
    log.finish_run(run, "failed", "workflow process exited with code -9", t=15.0)
    record = log.run(run)
    assert (record.failed_step, record.duration) == ("characterisation", 5.0)
    step = log.steps(run)[0]
    assert (step.status, step.duration) == ("failed", 3.0)


def test_a_step_finished_without_a_start_is_still_recorded(tmp_path):
    log = WorkflowLog(tmp_path / "w.sqlite")
    run = log.start_run("Characterisation", {}, started=0.0)
    log.step_finished(run, "edna", "success", t=4.0)
    assert [(s.step, s.started, s.duration) for s in log.steps(run)] == [("edna", 4.0, 0.0)]


def test_the_step_that_called_workflow_end_is_recorded_once(tmp_path):
    """workflow_end ends the run from within the last step; the process reports that
    step's end afterwards: one row, never a duration below zero."""
    log = WorkflowLog(tmp_path / "w.sqlite")
    run = log.start_run("XrayCentring", {}, started=0.0)
    log.step_started(run, "xray_centring", t=1.0)
    log.step_finished(run, "xray_centring", "success", t=9.0)
    log.step_started(run, "end", t=9.5)
    log.finish_run(run, "success", "workflow ended", t=9.4)  # its clock read a bit earlier
    log.step_finished(run, "end", "success", t=9.6)
    steps = log.steps(run)
    assert [(s.step, s.status) for s in steps] == [
        ("xray_centring", "success"),
        ("end", "success"),
    ]
    assert all(s.duration is not None and s.duration >= 0 for s in steps)


def test_statistics_per_workflow(tmp_path):
    log = WorkflowLog(tmp_path / "w.sqlite")
    _record_xray_centring(log, 0.0)  # 30 s
    _record_xray_centring(log, 100.0, fail=True)  # 21 s
    aborted = log.start_run("XrayCentring", {}, started=200.0)
    log.finish_run(aborted, "aborted", "stopped by the user", t=209.0)  # 9 s
    log.start_run("XrayCentring", {}, started=300.0)  # still running: not in the mean
    mesh = log.start_run("MeshScan", {}, started=0.0)
    log.finish_run(mesh, "warning", "2 cells unreadable", t=50.0)
    stats = {s.name: s for s in log.statistics()}
    assert set(stats) == {"MeshScan", "XrayCentring"}
    xc = stats["XrayCentring"]
    assert (xc.runs, xc.successes, xc.failures) == (4, 1, 2)
    assert xc.mean_duration == pytest.approx(20.0)
    ms = stats["MeshScan"]
    assert (ms.runs, ms.successes, ms.failures, ms.mean_duration) == (1, 1, 0, 50.0)


def test_runs_filtered_by_name_and_limited(tmp_path):
    log = WorkflowLog(tmp_path / "w.sqlite")
    for i in range(5):
        log.start_run("A" if i % 2 else "B", {"i": i}, started=float(i))
    assert [r.info["i"] for r in log.runs(name="A")] == [3, 1]
    assert [r.info["i"] for r in log.runs(limit=2)] == [4, 3]


def test_unknown_run_is_refused_with_its_id(tmp_path):
    log = WorkflowLog(tmp_path / "w.sqlite")
    with pytest.raises(ValueError, match="no run 42"):
        log.step_started(42, "x")
    with pytest.raises(ValueError, match="no run 42"):
        log.finish_run(42, "success")
    with pytest.raises(ValueError, match="no run 7"):
        log.run(7)


def test_a_corrupt_file_is_moved_aside_and_a_new_log_started(tmp_path, caplog):
    path = tmp_path / "workflows.sqlite"
    path.write_bytes(b"this is not an SQLite database" * 200)
    with caplog.at_level(logging.ERROR):
        log = WorkflowLog(path)
    assert str(path) in log.problem and "unusable" in log.problem
    assert str(path) in caplog.text
    aside = list(tmp_path.glob("workflows.sqlite.unusable-*"))
    assert len(aside) == 1 and aside[0].name in log.problem
    assert aside[0].read_bytes().startswith(b"this is not")
    run = log.start_run("XrayCentring", {})
    assert [r.id for r in log.runs()] == [run]


def test_a_log_from_a_newer_mxgui_is_set_aside(tmp_path):
    path = tmp_path / "workflows.sqlite"
    WorkflowLog(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE schema_version SET version = 99")
    log = WorkflowLog(path)
    assert "schema version 99" in log.problem
    assert log.runs() == []


def test_a_write_that_sqlite_refuses_names_the_file(tmp_path):
    path = tmp_path / "w.sqlite"
    log = WorkflowLog(path)
    log.close()
    with pytest.raises(WorkflowLogError, match=str(path)):
        log.start_run("A", {})


def test_default_path_is_under_the_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("MXGUI_DATA_DIR", str(tmp_path))
    assert default_path() == tmp_path / ".mxgui" / "workflows.sqlite"
    log = WorkflowLog()
    assert log.path == default_path() and default_path().exists()


def test_several_threads_record_at_once(tmp_path):
    log = WorkflowLog(tmp_path / "w.sqlite")
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(20):
                run = log.start_run(f"W{n}", {"i": i})
                log.step_started(run, "s")
                log.step_finished(run, "s", "success")
                log.finish_run(run, "success")
        except Exception as exc:  # reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted((s.name, s.runs, s.successes) for s in log.statistics()) == [
        (f"W{n}", 20, 20) for n in range(4)
    ]


def _recorder(path, started: float) -> subprocess.Popen:
    """A real process (as an mxgui) that starts a run and its step ``collect`` in the log
    at ``path``, prints the run id, and waits to be killed."""
    script = (
        "import sys, time\n"
        "from mxgui.core.workflow_log import WorkflowLog\n"
        f"log = WorkflowLog({str(path)!r})\n"
        f"run = log.start_run('MXPressA', started={started})\n"
        f"log.step_started(run, 'collect', t={started + 5})\n"
        "print(run, flush=True)\n"
        "time.sleep(120)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    process.run_id = int(process.stdout.readline())  # type: ignore[attr-defined]
    return process


def test_a_run_whose_mxgui_was_killed_is_closed_when_the_log_opens(tmp_path, caplog):
    """Issue 11, item 11: the mxgui running a workflow is killed (SIGKILL); the next
    one to open the log closes that run (failed, saying why, ending when it was last
    heard of) and leaves the run of an mxgui still alive running."""
    path = tmp_path / "workflows.sqlite"
    killed = _recorder(path, 1000.0)
    alive = _recorder(path, 2000.0)
    try:
        killed.kill()
        killed.wait(10)
        with caplog.at_level(logging.WARNING, logger="mxgui.core.workflow_log"):
            log = WorkflowLog(path)
        assert log.closed_runs == [killed.run_id]
        run = log.run(killed.run_id)
        assert (run.status, run.message) == ("failed", ABANDONED)
        assert run.finished == 1005.0 and run.failed_step == "collect"
        assert [(s.step, s.status) for s in log.steps(killed.run_id)] == [("collect", "failed")]
        assert f"run {killed.run_id} (MXPressA) was left running by a stopped mxgui" in caplog.text
        assert log.run(alive.run_id).status == "running"  # its mxgui still runs
        assert log.run(alive.run_id).finished is None
        log.close()
    finally:
        alive.kill()
        alive.wait(10)
    reopened = WorkflowLog(path)
    assert reopened.closed_runs == [alive.run_id]
    assert reopened.run(alive.run_id).status == "failed"
    reopened.close()


def test_a_log_of_schema_1_gets_owners_and_its_open_runs_are_closed(tmp_path):
    path = tmp_path / "workflows.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1);"
        "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, "
        "info TEXT NOT NULL DEFAULT '{}', started REAL NOT NULL, finished REAL, "
        "status TEXT NOT NULL DEFAULT 'running', message TEXT NOT NULL DEFAULT '', "
        "failed_step TEXT NOT NULL DEFAULT '');"
        "INSERT INTO runs (name, started) VALUES ('XrayCentring', 50.0);"
    )
    old.commit()
    old.close()
    log = WorkflowLog(path)
    assert log.problem == "" and log.closed_runs == [1]
    assert (log.run(1).status, log.run(1).finished) == ("failed", 50.0)
    mine = log.start_run("MXPressA")
    log.close()
    reopened = WorkflowLog(path)
    assert reopened.closed_runs == [] and reopened.run(mine).status == "running"
    version = sqlite3.connect(path).execute("SELECT version FROM schema_version").fetchone()
    assert version == (2,)
