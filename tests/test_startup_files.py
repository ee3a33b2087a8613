"""Files read at start, attacked as issue 11 (item 8) did: a packed range to
300,000,000, deep nesting in the queue, shapes and layout files, a YAML alias bomb and
a 20000 x 20000 grid. Each ends in a message naming the file (and line), the file set
aside where that applies, and the application up."""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt5.QtWidgets import QPlainTextEdit
from xmlrpc_fixtures import fault_of

from mxgui.core.centring import CentredPosition
from mxgui.core.hardware_object import HardwareObjectState
from mxgui.core.queue import History, QueueModel, queue_file
from mxgui.core.repository import HardwareRepository
from mxgui.core.shapes import MAX_GRID_CELLS, ShapesModel
from mxgui.core.shapes_file import ShapesFileError, dumps, read

from helpers import SIMULATED, TEST_LAYOUTS, line_of

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures

QUEUE_LAYOUT = TEST_LAYOUTS / "queue.yml"
CENTRE = CentredPosition(phi=0.0, phiy=0.0, phiz=0.0, sampx=0.0, sampy=0.0)


def data_dir() -> Path:
    return Path(os.environ["MXGUI_DATA_DIR"])


# the queue file ------------------------------------------------------------------------------
def saved_queue_text() -> str:
    """A queue file as mxgui writes it: a sample with a collection of 1800 images."""
    model = QueueModel()
    sample = model.add(0, "Sample", {"name": "x1"})
    done = model.add(
        sample, "DataCollection", {"directory": "/data", "prefix": "lyso", "num_images": 1800}
    )
    model.set_status(done, "running")
    files = [f"/data/lyso_1_{n:05d}.cbf" for n in range(1, 1801)]
    model.set_status(done, "success", "1800 images", files)
    nodes, next_id, _ = model.snapshot()
    return queue_file.dumps(nodes.values(), next_id, [])


def range_to_300_million() -> tuple[str, str, str]:
    """The 130-byte edit: the range's end typed as 300,000,000 (what the line holds,
    and what the message says)."""
    text = saved_queue_text()
    assert '"last":1800' in text
    return text.replace('"last":1800', '"last":300000000'), '"last":300000000', "300,000,000"


def deeply_nested() -> tuple[str, str, str]:
    """A parameter nested 100,000 deep (a RecursionError in json.loads)."""
    text = saved_queue_text().replace(
        '"name":"x1"', '"name":"x1","x":' + "[" * 100_000 + "]" * 100_000
    )
    return text, '"x":[[[', "nested deeper than 64 levels"


@pytest.mark.parametrize("attack", [range_to_300_million, deeply_nested])
def test_a_queue_file_asking_too_much_is_set_aside_and_mxgui_starts(make_app, qtbot, attack):
    text, where, says = attack()
    path = data_dir() / ".mxgui" / "queue.json"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    line = line_of(path, where)
    app = make_app(QUEUE_LAYOUT)
    queue = app.repository.get("/queue")
    assert queue.get_state() is HardwareObjectState.READY and len(queue.model) == 0
    assert app.windows[0].isVisible()
    bad = list(path.parent.glob("queue.json.bad-*"))
    assert len(bad) == 1 and bad[0].read_text() == text  # kept, byte for byte
    message = app.queue_prompt.dialog.text()
    assert f"{path}:{line}: " in message and says in message, message
    assert f"it was kept as {bad[0]}" in message
    # the queue goes on: a sample added now is saved in a new file
    queue.add_sample(None, "fresh")
    qtbot.waitUntil(lambda: path.exists() and "fresh" in path.read_text(), timeout=5000)


def test_ranges_are_counted_for_the_whole_file_before_any_name_is_made(tmp_path):
    """Four ranges each below the bound still add up: the file is refused, naming the
    line of the range that went over, before its names are made."""
    model = QueueModel()
    sample = model.add(0, "Sample", {"name": "x1"})
    for run in range(1, 5):
        done = model.add(
            sample, "DataCollection", {"directory": "/data", "prefix": "x", "run_number": run}
        )
        model.set_status(done, "running")
        model.set_status(done, "success", "", [f"/data/x_{run}_{n:05d}.cbf" for n in (1, 2)])
    nodes, next_id, _ = model.snapshot()
    text = queue_file.dumps(nodes.values(), next_id, [])
    third = queue_file.MAX_FILE_NAMES // 3 - 10
    for run in range(1, 5):  # ends 666,657 .. 666,660: the fourth passes 2,000,000
        text = text.replace(
            f'x_{run}_%05d.cbf","first":1,"last":2',
            f'x_{run}_%05d.cbf","first":1,"last":{third + run}',
        )
    path = tmp_path / "queue.json"
    path.write_text(text)
    with pytest.raises(queue_file.QueueFileError, match="more than 2,000,000 file names") as error:
        queue_file.read(path)
    assert error.value.line == line_of(path, f'"last":{third + 4}')


def test_a_range_pattern_that_is_not_a_numbered_name_is_refused(tmp_path):
    path = tmp_path / "queue.json"
    path.write_text(saved_queue_text().replace("%05d", "%0999999d"))
    with pytest.raises(queue_file.QueueFileError, match="one %0<width>d"):
        queue_file.read(path)


def test_a_queue_saved_and_read_again_still_round_trips(tmp_path):
    path = tmp_path / "queue.json"
    path.write_text(saved_queue_text())
    data = queue_file.read(path)
    model, history = QueueModel(), History()
    model.load(data.nodes, data.next_id)
    history.load(data.history)
    assert len(model.get_node(2).files) == 1800


# the shapes file -----------------------------------------------------------------------------
def mounted_sample_shapes_file() -> Path:
    """The shapes file of the sample the simulated beamline starts with."""
    repository = HardwareRepository([SIMULATED])
    try:
        return repository.get("/shapes").saver.path
    finally:
        repository.shutdown()


def test_a_deeply_nested_shapes_file_leaves_shapes_working(caplog):
    path = mounted_sample_shapes_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = '{"format": 1, "sample": "1:01",\n"shapes": [' + "[" * 50_000 + "]" * 50_000 + "]}"
    path.write_text(text)
    caplog.set_level(logging.ERROR)
    repository = HardwareRepository([SIMULATED])
    try:
        shapes = repository.get("/shapes")
        assert "/shapes" not in repository.failures
        assert shapes.get_state() is HardwareObjectState.READY
        assert f"shapes file {path}:2: nested deeper than 32 levels" in caplog.text
        point = shapes.add_point(CENTRE)  # shapes work; the bad file goes aside when saved
        assert shapes.saver.flush()
        bad = list(path.parent.glob(f"{path.name}.bad-*"))
        assert len(bad) == 1 and bad[0].read_text() == text
        assert [s.id for s in read(path)[0]] == [point.id]
    finally:
        repository.shutdown()


def test_a_deeply_nested_run_number_record_is_set_aside_and_runs_go_on(caplog):
    repository = HardwareRepository([SIMULATED])
    try:
        session = repository.get("/session")
        path = session.run_record_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"format_version": 1,\n"runs": ' + "[" * 100_000 + "]" * 100_000 + "}")
        template = session.get_default_path_template(prefix="lyso")
        assert template.run_number == 1
        assert f"run-number record {path} is unreadable (line 2: nested deeper than 16" in (
            caplog.text
        )
        assert len(list(path.parent.glob(f"{path.name}.unreadable-*"))) == 1
    finally:
        repository.shutdown()


# grids ---------------------------------------------------------------------------------------
def test_a_20000_by_20000_grid_is_refused_and_1000_by_1000_still_made():
    model = ShapesModel()
    with pytest.raises(
        ValueError, match=f"400,000,000 cells; a grid has at most {MAX_GRID_CELLS:,}"
    ):
        model.add_grid(CENTRE, 20000, 20000, 0.001, 0.001)
    assert len(model) == 0
    grid = model.add_grid(CENTRE, 1000, 1000, 0.001, 0.001)
    assert grid.num_cells == MAX_GRID_CELLS and grid.id == "G1"


def test_a_huge_grid_over_xmlrpc_is_a_fault_and_the_server_goes_on(proxy):
    fault = fault_of(proxy.shape_history_add_grid, {"num_cols": 20000, "num_rows": 20000})
    assert "400,000,000 cells" in fault.faultString
    assert "at most 1,000,000 cells" in fault.faultString
    grid_id = proxy.shape_history_add_grid({"num_cols": 10, "num_rows": 5})
    assert proxy.shape_history_get_grid(grid_id)["steps_x"] == 10


def test_a_shapes_file_with_a_huge_grid_is_refused_naming_the_file(tmp_path):
    model = ShapesModel()
    model.add_grid(CENTRE, 10, 10, 0.001, 0.001)
    path = tmp_path / "manual.json"
    shapes, results = model.snapshot()
    text = dumps("manual", shapes, results).replace('"num_cols": 10', '"num_cols": 20000')
    path.write_text(text.replace('"num_rows": 10', '"num_rows": 20000'))
    with pytest.raises(ShapesFileError, match=f"shapes file {path}: .*400,000,000 cells"):
        read(path)


def test_grid_results_longer_than_the_grid_are_refused_before_decoding(tmp_path):
    model = ShapesModel()
    grid = model.add_grid(CENTRE, 10, 10, 0.001, 0.001)
    model.set_grid_results(grid.id, {n: 1.0 for n in range(1, 101)})
    shapes, results = model.snapshot()
    document = json.loads(dumps("manual", shapes, results))
    scores = document["shapes"][0]["results"]["scores"]
    scores["b64"] = [base64.b64encode(np.zeros(1_000_000, "<f8").tobytes()).decode()]
    path = tmp_path / "manual.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ShapesFileError, match="scores: more data than 100 values"):
        read(path)


# layouts -------------------------------------------------------------------------------------
def nested_layout(path: Path, depth: int = 400) -> int:
    """A layout with containers nested ``depth`` deep; returns the line of the
    mapping that is one level too deep for the loader."""
    lines = ["windows:", "- name: main", "  content:"]
    indent = "    "
    for _ in range(depth):
        lines += [f"{indent}type: vbox", f"{indent}children:", f"{indent}-"]
        indent += "  "
    lines += [f"{indent}class: LogBrick", f"{indent}name: log"]
    path.write_text("\n".join(lines) + "\n")
    # levels: windows list, window, then per container its mapping and its children
    # list; the 65th level is the mapping under the 31st container's list
    return 3 + 3 * 30 + 1


def alias_bomb_layout(path: Path) -> int:
    """A layout whose brick property is nine aliases of nine aliases ... (9**9 strings);
    returns the line where the expansion passes the bound."""
    lines = ['x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"x{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    lines += [
        "windows:",
        "- name: main",
        "  content:",
        "    type: vbox",
        "    children:",
        "    - class: LogBrick",
        "      name: log",
        "      properties:",
        "        level: *a8",
    ]
    path.write_text("\n".join(lines) + "\n")
    assert len(path.read_bytes()) < 800
    return 6  # x5: 9 * 9**5 = 531,441 values, over 100,000


@pytest.mark.parametrize(
    "attack, says",
    [
        (nested_layout, "nested deeper than 64 levels"),
        (alias_bomb_layout, "the document stands for more than 100,000 values"),
    ],
)
def test_a_layout_asking_too_much_shows_the_error_and_the_beamline_is_up(
    make_app, tmp_path, attack, says
):
    layout = tmp_path / "attack.yml"
    line = attack(layout)
    app = make_app(layout)
    assert app.windows[0].isVisible()
    view = app.windows[0].findChild(QPlainTextEdit)
    assert f"{layout}:{line}: bad YAML: {says}" in view.toPlainText()
    assert app.repository.get("/queue").get_state() is HardwareObjectState.READY
    assert not app.repository.failures


def _limit_memory() -> None:
    limit = 2 * 1024**3  # a regression ends in a MemoryError, not in a full machine
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def test_check_with_a_yaml_alias_bomb_fails_naming_file_and_line(tmp_path):
    layout = tmp_path / "bomb.yml"
    line = alias_bomb_layout(layout)
    result = subprocess.run(
        [sys.executable, "-m", "mxgui", "--check", "--layout", str(layout)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_limit_memory,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{layout}:{line}: bad YAML: the document stands for more than 100,000" in result.stdout
    assert re.search(r"^OK\s+/queue\b", result.stdout, re.M)  # objects checked all the same
    assert "MemoryError" not in result.stdout + result.stderr
