"""The execution-log brick: runs newest first, the steps of the selected run,
statistics, live updates from the workflow client's signals."""

from __future__ import annotations

import threading

import pytest
from PyQt5.QtCore import Qt

from bricks.workflow_log_brick import WorkflowLogBrick
from mxgui.core.repository import HardwareRepository
from mxgui.core.signals import SignalEmitter
from mxgui.core.workflow_log import WorkflowLog
from mxgui.gui.brick import BrickContext
from mxgui.gui.bridge import GuiBridge
from mxgui.gui.workflow_log_models import format_duration


class FakeWorkflowClient(SignalEmitter):
    """What the brick needs of the workflow client: its log and its signals; records
    like the client does (log first, then the signal, from a worker thread)."""

    SIGNALS = ("workflowStarted", "workflowStepChanged", "workflowFinished")

    def __init__(self, log: WorkflowLog) -> None:
        super().__init__()
        self.log = log

    def start(self, name: str, t: float) -> int:
        run_id = self.log.start_run(name, {"sample": "1:01"}, started=t)
        self.emit("workflowStarted", run_id, name)
        return run_id

    def step(self, run_id: int, step: str, status: str, t: float, message: str = "") -> None:
        if status == "running":
            self.log.step_started(run_id, step, t=t)
        else:
            self.log.step_finished(run_id, step, status, message, t=t)
        self.emit("workflowStepChanged", run_id, step, status)

    def finish(self, run_id: int, status: str, message: str, t: float) -> None:
        self.log.finish_run(run_id, status, message, t=t)
        self.emit("workflowFinished", run_id, status, message)


@pytest.fixture
def brick(qtbot, tmp_path):
    context = BrickContext(HardwareRepository([tmp_path / "repository"]), GuiBridge())
    brick = WorkflowLogBrick(context, "execution_log")
    qtbot.addWidget(brick)
    brick.set_property("workflow", "")
    yield brick
    brick.cleanup()


def _texts(model, column_titles=None) -> list[list[str]]:
    titles = [model.headerData(c, Qt.Horizontal) for c in range(model.columnCount())]
    columns = [titles.index(t) for t in column_titles] if column_titles else range(len(titles))
    return [[model.data(model.index(row, c)) for c in columns] for row in range(model.rowCount())]


def _fill(client: FakeWorkflowClient) -> tuple[int, int]:
    good = client.start("XrayCentring", 1000.0)
    client.step(good, "mesh_horizontal", "running", 1001.0)
    client.step(good, "mesh_horizontal", "success", 1013.0)
    client.step(good, "mesh_vertical", "running", 1014.0)
    client.step(good, "mesh_vertical", "success", 1024.0)
    client.finish(good, "success", "centred", 1030.0)
    bad = client.start("MXPressA", 2000.0)
    client.step(bad, "characterisation", "running", 2001.0)
    client.step(bad, "characterisation", "failed", 2091.0, "no strategy")
    client.finish(bad, "failed", "characterisation failed", 2095.0)
    return good, bad


def test_no_client_shows_empty_tables_and_says_so(brick):
    assert brick.runs.rowCount() == 0 and brick.statistics.rowCount() == 0
    assert brick.message.text() == "No workflow client"


def test_runs_newest_first_with_duration_status_and_failed_step(brick, tmp_path):
    client = FakeWorkflowClient(WorkflowLog(tmp_path / "w.sqlite"))
    _fill(client)
    brick.set_client(client)
    assert _texts(brick.runs, ["Workflow", "Duration", "Status", "Failed step", "Message"]) == [
        ["MXPressA", "1 min 35 s", "failed", "characterisation", "characterisation failed"],
        ["XrayCentring", "30.0 s", "success", "", "centred"],
    ]
    assert str(tmp_path / "w.sqlite") in brick.message.text()


def test_selecting_a_run_shows_its_steps_with_durations(brick, qtbot, tmp_path):
    client = FakeWorkflowClient(WorkflowLog(tmp_path / "w.sqlite"))
    good, _bad = _fill(client)
    brick.set_client(client)
    brick.show()
    assert brick.steps.rowCount() == 0
    row = brick.runs.row_of(good)
    rect = brick.runs_view.visualRect(brick.runs.index(row, 0))
    qtbot.mouseClick(brick.runs_view.viewport(), Qt.LeftButton, pos=rect.center())
    assert brick.selected_run() == good
    assert _texts(brick.steps, ["Step", "Duration", "Status"]) == [
        ["mesh_horizontal", "12.0 s", "success"],
        ["mesh_vertical", "10.0 s", "success"],
    ]


def test_statistics_per_workflow(brick, tmp_path):
    client = FakeWorkflowClient(WorkflowLog(tmp_path / "w.sqlite"))
    _fill(client)
    extra = client.start("XrayCentring", 3000.0)
    client.finish(extra, "failed", "no diffraction", 3010.0)
    brick.set_client(client)
    assert _texts(brick.statistics) == [
        ["MXPressA", "1", "0", "1", "1 min 35 s", "0 %"],
        ["XrayCentring", "2", "1", "1", "20.0 s", "50 %"],
    ]


def test_live_updates_from_the_clients_signals_keep_the_selection(brick, qtbot, tmp_path):
    client = FakeWorkflowClient(WorkflowLog(tmp_path / "w.sqlite"))
    good, _bad = _fill(client)
    brick.set_client(client)
    brick.select_run(good)
    run: list[int] = []

    def workflow_thread() -> None:  # the client reports from its own threads
        run.append(client.start("MeshScan", 5000.0))
        client.step(run[0], "collect", "running", 5001.0)

    thread = threading.Thread(target=workflow_thread)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: brick.runs.rowCount() == 3)
    assert _texts(brick.runs, ["Workflow", "Duration", "Status"])[0] == [
        "MeshScan",
        "running",
        "running",
    ]
    assert brick.selected_run() == good  # still the one the user chose
    brick.select_run(run[0])
    assert _texts(brick.steps, ["Step", "Duration"]) == [["collect", "running"]]
    threading.Thread(target=client.finish, args=(run[0], "success", "", 5042.0)).start()
    qtbot.waitUntil(lambda: brick.runs.record(0).status == "success")
    assert _texts(brick.steps, ["Step", "Status"]) == [["collect", "success"]]
    assert brick.selected_run() == run[0]


def test_a_log_set_aside_as_corrupt_is_reported_in_the_brick(brick, tmp_path):
    path = tmp_path / "w.sqlite"
    path.write_bytes(b"garbage" * 1000)
    brick.set_client(FakeWorkflowClient(WorkflowLog(path)))
    assert "unusable" in brick.message.text() and str(path) in brick.message.text()
    assert brick.runs.rowCount() == 0


def test_cleanup_ends_the_subscriptions(brick, tmp_path):
    client = FakeWorkflowClient(WorkflowLog(tmp_path / "w.sqlite"))
    brick.set_client(client)
    assert client.receivers("workflowFinished") == 1
    brick.cleanup()
    assert client.receivers("workflowFinished") == 0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, ""), (0.04, "0.0 s"), (59.9, "59.9 s"), (61, "1 min 01 s"), (3725, "1 h 02 min")],
)
def test_durations_read_as_a_user_expects(seconds, text):
    assert format_duration(seconds) == text
