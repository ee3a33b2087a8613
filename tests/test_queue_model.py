"""The queue model: tree rules, ids, signals (in order, replayable), edits, threads."""

from __future__ import annotations

import random
import threading

import pytest

from mxgui.core.acquisition import ParameterError
from mxgui.core.queue import QueueError, QueueModel, UnknownNodeError
from mxgui.core.queue.nodes import ROOT_ID


def dc(**overrides) -> dict:
    """DataCollection parameters that pass the static checks."""
    values = {"directory": "/data/mx1234/RAW_DATA", "prefix": "lyso", "num_images": 10}
    values.update(overrides)
    return values


class Recorder:
    def __init__(self, model: QueueModel) -> None:
        self.events: list[tuple] = []
        for signal in model.declared_signals():
            model.connect(signal, lambda *args, s=signal: self.events.append((s, *args)))


class Mirror:
    """What a Qt adapter keeps: children lists rebuilt only from the signals."""

    def __init__(self, model: QueueModel) -> None:
        self.model = model
        self.children: dict[int, list[int]] = {ROOT_ID: []}
        self.lock = threading.Lock()
        for signal, slot in (
            ("nodeAdded", self.added),
            ("nodeRemoved", self.removed),
            ("nodeMoved", self.moved),
        ):
            model.connect(signal, slot)

    def added(self, parent: int, row: int, node_id: int) -> None:
        with self.lock:
            self.children[parent].insert(row, node_id)
            self.children[node_id] = []

    def removed(self, parent: int, row: int, node_id: int) -> None:
        with self.lock:
            assert self.children[parent].pop(row) == node_id
            stack = [node_id]
            while stack:
                stack.extend(self.children.pop(stack.pop()))

    def moved(self, old_parent: int, old_row: int, new_parent: int, new_row: int, node_id: int):
        with self.lock:
            assert self.children[old_parent].pop(old_row) == node_id
            self.children[new_parent].insert(new_row, node_id)

    def matches(self) -> bool:
        nodes, _, _ = self.model.snapshot()
        return self.children == {i: list(n.children) for i, n in nodes.items()}


@pytest.fixture
def model() -> QueueModel:
    return QueueModel()


def test_tree_rules_refuse_a_wrong_parent_with_a_clear_message(model):
    sample = model.add(ROOT_ID, "Sample", {"location": "3:05"})
    group = model.add(sample, "TaskGroup")
    task = model.add(group, "DataCollection", dc())
    model.add(sample, "Characterisation", dc(prefix="ref-lyso"))
    with pytest.raises(QueueError, match="a DataCollection goes under a Sample or a TaskGroup"):
        model.add(ROOT_ID, "DataCollection", dc())
    with pytest.raises(QueueError, match=r"a Sample goes under the queue root \(0\), not under"):
        model.add(sample, "Sample")
    with pytest.raises(
        QueueError, match=f"an EnergyScan goes under .* not under DataCollection {task} 'lyso_1'"
    ):
        model.add(task, "EnergyScan")
    with pytest.raises(QueueError, match="a TaskGroup goes under a Sample"):
        model.add(group, "TaskGroup")
    with pytest.raises(QueueError, match="unknown node type 'Collection'"):
        model.add(sample, "Collection", dc())
    with pytest.raises(UnknownNodeError, match="there is no queue node 99"):
        model.add(99, "DataCollection", dc())
    with pytest.raises(QueueError, match="index 5 is outside 0..2"):
        model.add(sample, "DataCollection", dc(), index=5)
    assert model.counts() == {
        "nodes": 4,
        "types": {"Sample": 1, "TaskGroup": 1, "DataCollection": 1, "Characterisation": 1},
        "statuses": {"not_executed": 4},
    }


def test_ids_are_never_reused_even_after_remove_clear_or_refusal(model):
    sample = model.add(ROOT_ID, "Sample")
    first = model.add(sample, "DataCollection", dc())
    model.remove([first])
    with pytest.raises(ParameterError):
        model.add(sample, "DataCollection", dc(num_images=0))  # refused: no id used
    second = model.add(sample, "DataCollection", dc())
    assert (sample, first, second) == (1, 2, 3)
    model.clear()
    assert model.add(ROOT_ID, "Sample") == 4
    with pytest.raises(UnknownNodeError):
        model.get_node(first)


def test_signals_come_one_per_change_in_order_with_the_right_arguments(model):
    events = Recorder(model).events
    sample = model.add(ROOT_ID, "Sample", {"name": "x1"})
    a = model.add(sample, "DataCollection", dc(run_number=1))
    b = model.add(sample, "DataCollection", dc(run_number=2), index=0)
    group = model.add(sample, "TaskGroup")
    model.move(a, group)
    model.update_parameters(b, {"run_number": 7})
    model.update_parameters(b, {"run_number": 7})  # no change: no signal
    model.set_enabled(b, False)
    model.rename(sample, "crystal 1")
    model.set_status(b, "running")
    model.set_status(b, "failed", "detector error")
    model.remove([b, group])
    model.clear()
    assert events == [
        ("nodeAdded", 0, 0, sample),
        ("nodeAdded", sample, 0, a),
        ("nodeAdded", sample, 0, b),
        ("nodeAdded", sample, 2, group),
        ("nodeMoved", sample, 1, group, 0, a),
        ("nodeChanged", b, ("parameters", "name")),
        ("nodeChanged", b, ("enabled",)),
        ("nodeChanged", sample, ("name",)),
        ("statusChanged", b, "running", ""),
        ("statusChanged", b, "failed", "detector error"),
        ("nodeRemoved", sample, 1, group),  # descending rows under one parent
        ("nodeRemoved", sample, 0, b),
        ("modelReset",),
    ]
    assert b not in model and len(model) == 0


def test_move_reorders_and_moves_between_parents_and_refuses_what_makes_no_sense(model):
    sample = model.add(ROOT_ID, "Sample")
    other = model.add(ROOT_ID, "Sample")
    tasks = [model.add(sample, "DataCollection", dc(run_number=i)) for i in range(1, 5)]
    model.move(tasks[0], sample, 3)  # index counts once the node is out: to the end
    assert model.children(sample) == (tasks[1], tasks[2], tasks[3], tasks[0])
    model.move(tasks[3], sample, 0)
    assert model.children(sample) == (tasks[3], tasks[1], tasks[2], tasks[0])
    model.move(tasks[1], other)
    assert model.children(other) == (tasks[1],)
    assert model.get_node(tasks[1]).parent == other
    assert model.row_of(tasks[1]) == (other, 0)
    with pytest.raises(QueueError, match="a Sample goes under the queue root"):
        model.move(other, sample)
    group = model.add(sample, "TaskGroup")
    with pytest.raises(QueueError, match="a TaskGroup goes under a Sample"):
        model.move(group, group)
    with pytest.raises(QueueError, match="index 9 is outside 0..1"):
        model.move(tasks[2], other, 9)
    model.set_status(tasks[2], "running")
    with pytest.raises(QueueError, match="it is running"):
        model.move(tasks[2], other)


def test_remove_takes_whole_subtrees_all_or_nothing(model):
    sample = model.add(ROOT_ID, "Sample")
    group = model.add(sample, "TaskGroup")
    inner = [model.add(group, "DataCollection", dc(run_number=i)) for i in range(1, 4)]
    keep = model.add(sample, "DataCollection", dc(run_number=9))
    model.set_status(keep, "running")
    with pytest.raises(QueueError, match="it is running; stop the queue first"):
        model.remove([sample])
    assert len(model) == 6  # nothing removed
    with pytest.raises(UnknownNodeError):
        model.remove([group, 1234])
    assert model.remove([inner[1], group]) == [group]  # inner[1] went with its group
    assert model.children(sample) == (keep,)
    for node_id in (group, *inner):
        assert node_id not in model
    assert model.counts()["types"] == {"Sample": 1, "DataCollection": 1}
    with pytest.raises(QueueError, match="root cannot be removed"):
        model.remove([ROOT_ID])


def test_parameters_are_read_only_once_the_node_has_run(model):
    sample = model.add(ROOT_ID, "Sample")
    task = model.add(sample, "DataCollection", dc())
    model.set_status(task, "running")
    with pytest.raises(QueueError, match="is running: its parameters are read-only"):
        model.update_parameters(task, {"num_images": 20})
    model.set_status(task, "success", "10 images", ["/d/lyso_1_00001.cbf"])
    with pytest.raises(QueueError, match=r"has run \(success\): .* read-only after execution"):
        model.update_parameters(task, {"num_images": 20})
    assert model.get_node(task).parameters["num_images"] == 10
    model.reset_status([sample])
    node = model.update_parameters(task, {"num_images": 20})
    assert node.parameters["num_images"] == 20
    assert (node.status, node.files, node.started, node.finished) == (
        "not_executed",
        (),
        None,
        None,
    )


def test_a_refused_edit_names_the_field_and_changes_nothing(model):
    sample = model.add(ROOT_ID, "Sample")
    task = model.add(sample, "DataCollection", dc())
    with pytest.raises(ParameterError, match=r"transmission: 150 % is above"):
        model.update_parameters(task, {"transmission": 150.0})
    with pytest.raises(ParameterError, match="unknown field 'osc_rnage' .did you mean osc_range"):
        model.update_parameters(task, {"osc_rnage": 1.0})
    assert model.get_node(task).parameters["transmission"] == 100.0


def test_a_node_is_an_immutable_snapshot(model):
    sample = model.add(ROOT_ID, "Sample")
    start = {"phi": 0, "phiy": 0.1, "phiz": 0, "sampx": 0, "sampy": 0}
    task = model.add(sample, "DataCollection", dc(helical_start=start, helical_end="P2"))
    before = model.get_node(task)
    with pytest.raises(TypeError):
        before.parameters["num_images"] = 5
    with pytest.raises(TypeError):
        before.parameters["helical_start"]["phi"] = 5.0
    model.update_parameters(task, {"num_images": 5})
    assert before.parameters["num_images"] == 10
    plain = model.get_node(task).to_dict()
    plain["parameters"]["helical_start"]["phi"] = 99.0  # a copy: the model is unchanged
    assert model.get_node(task).parameters["helical_start"]["phi"] == 0.0
    assert set(plain) >= {"id", "type", "parameters", "status", "message", "children", "files"}


def test_iteration_is_in_execution_order_and_skips_disabled_subtrees(model):
    s1 = model.add(ROOT_ID, "Sample")
    t1 = model.add(s1, "DataCollection", dc(run_number=1))
    g1 = model.add(s1, "TaskGroup")
    t2 = model.add(g1, "DataCollection", dc(run_number=2))
    t3 = model.add(s1, "DataCollection", dc(run_number=3))
    s2 = model.add(ROOT_ID, "Sample")
    t4 = model.add(s2, "DataCollection", dc(run_number=4))
    assert [n.id for n in model.iter_nodes()] == [s1, t1, g1, t2, t3, s2, t4]
    model.set_enabled(g1, False)
    assert [n.id for n in model.iter_nodes(enabled_only=True)] == [s1, t1, t3, s2, t4]
    assert [n.id for n in model.iter_nodes(s2)] == [s2, t4]
    assert model.sample_of(t2) == s1 and model.sample_of(s2) == s2
    assert model.sample_of(ROOT_ID) is None


def test_status_stamps_times_and_files_and_refuses_unknown_statuses(model):
    sample = model.add(ROOT_ID, "Sample")
    task = model.add(sample, "DataCollection", dc())
    running = model.set_status(task, "running", "image 1/10")
    assert running.started is not None and running.finished is None
    done = model.set_status(task, "warning", "weak spots", ["/d/a.cbf", "/d/b.cbf"])
    assert done.finished >= done.started and done.files == ("/d/a.cbf", "/d/b.cbf")
    assert model.counts()["statuses"] == {"not_executed": 1, "warning": 1}
    with pytest.raises(QueueError, match="'done' is not one of running, success"):
        model.set_status(task, "done")
    with pytest.raises(QueueError, match="use reset_status"):
        model.set_status(task, "not_executed")
    model.update_results(task, {"lims_id": 1234})
    assert model.get_node(task).results == {"lims_id": 1234}


def test_a_mirror_built_from_the_signals_matches_the_model_under_two_threads(model):
    mirror = Mirror(model)
    samples = [model.add(ROOT_ID, "Sample") for _ in range(3)]
    errors: list[BaseException] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        mine: list[int] = []
        try:
            for i in range(300):
                action = rng.random()
                if action < 0.5 or not mine:
                    parent = rng.choice(samples)
                    row = rng.randint(0, len(model.children(parent)))
                    try:
                        mine.append(model.add(parent, "DataCollection", dc(run_number=i + 1), row))
                    except QueueError:
                        pass  # the row went away meanwhile: the other thread removed one
                elif action < 0.8:
                    node = rng.choice(mine)
                    target = rng.choice(samples)
                    try:
                        model.move(node, target, rng.randint(0, len(model.children(target))))
                    except QueueError:
                        pass
                else:
                    model.remove([mine.pop(rng.randrange(len(mine)))])
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert mirror.matches()


def test_the_engine_updates_statuses_while_the_gui_reads(model):
    sample = model.add(ROOT_ID, "Sample")
    tasks = [model.add(sample, "DataCollection", dc(run_number=i)) for i in range(1, 501)]
    stop = threading.Event()
    problems: list[str] = []

    def engine() -> None:
        for status in ("running", "success", "failed"):
            for task in tasks:
                model.set_status(task, status, f"{status} {task}")
        stop.set()

    thread = threading.Thread(target=engine)
    thread.start()
    reads = 0
    while not stop.is_set() or reads == 0:
        counts = model.counts()
        if sum(counts["statuses"].values()) != counts["nodes"]:
            problems.append(f"inconsistent counts {counts}")
        listed = [n for n in model.iter_nodes(sample) if n.is_task]
        if len(listed) != len(tasks):
            problems.append(f"{len(listed)} tasks listed")
        node = model.get_node(tasks[len(tasks) // 2])
        if node.status != "not_executed" and node.message != f"{node.status} {node.id}":
            problems.append(f"torn node {node}")
        reads += 1
    thread.join()
    assert not problems, problems[:3]
    assert model.counts()["statuses"] == {"not_executed": 1, "failed": 500}
