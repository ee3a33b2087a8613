"""The queue engine and model are composed of parts that own their state.

No import circle inside ``mxgui.core.queue``, no class using private state it does not
define (what mixins sharing an engine's ``_cond`` did), no object reading another's
private attribute; and the parts themselves: the run control's order of events, the
status editor through the model, the result tasks' explicit factory.
"""

from __future__ import annotations

import ast
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import grimp
import pytest

from mxgui.core.errors import Refused
from mxgui.core.queue import QueueModel
from mxgui.core.queue.entries.base import SKIPPED_BY_USER, STOPPED_BY_USER
from mxgui.core.queue.history import History
from mxgui.core.queue.nodes import NOT_EXECUTED, RUNNING, SKIPPED, STOPPED, SUCCESS
from mxgui.core.queue.result_tasks import ResultTasks
from mxgui.core.queue.run_control import RunControl, Stopped

QUEUE = Path(__file__).parents[1] / "mxgui" / "core" / "queue"
PACKAGE = "mxgui.core.queue"


# structure ---------------------------------------------------------------------------------
def import_cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Every direct import ``a -> b`` inside ``package`` that ``b`` leads back to ``a``."""
    inside = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    cycles = []
    for importer in inside:
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if imported not in inside or imported == importer:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append([importer, *back])
    return cycles


def test_the_queue_package_imports_no_circle():
    graph = grimp.build_graph("mxgui", cache_dir=None)
    assert f"{PACKAGE}.engine" in graph.modules
    assert import_cycles(graph, PACKAGE) == []


def test_an_import_circle_would_be_found():
    """The check bites: the circle the engine had (engine -> engine_run -> engine)."""
    graph = grimp.build_graph("mxgui", cache_dir=None)
    graph.add_import(importer=f"{PACKAGE}.engine_run", imported=f"{PACKAGE}.engine")
    cycles = import_cycles(graph, PACKAGE)
    assert [f"{PACKAGE}.engine_run", f"{PACKAGE}.engine", f"{PACKAGE}.engine_run"] in cycles


def foreign_private_state(source: str) -> list[str]:
    """``self._x`` read in a class that neither sets ``_x`` nor defines it (nor a base
    of the same source does), and ``obj._x`` for any ``obj`` but ``self`` / ``cls``."""
    tree = ast.parse(source)
    owned: dict[str, set[str]] = {}
    bases: dict[str, list[str]] = {}
    reads: dict[str, list[tuple[int, str]]] = {}
    found = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        own, used = set(), []
        for node in ast.walk(cls):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                own.add(node.name)
            elif isinstance(node, ast.Attribute) and _private(node.attr):
                if isinstance(node.value, ast.Name) and node.value.id == "self":
                    if isinstance(node.ctx, ast.Store):
                        own.add(node.attr)
                    else:
                        used.append((node.lineno, node.attr))
        own.update(
            target.id
            for stmt in cls.body
            if isinstance(stmt, (ast.Assign, ast.AnnAssign))
            for target in (stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target])
            if isinstance(target, ast.Name)
        )
        owned[cls.name], reads[cls.name] = own, used
        bases[cls.name] = [ast.unparse(b).split(".")[-1] for b in cls.bases]
    for name, used in reads.items():
        available, todo = set(owned[name]), list(bases[name])
        while todo:
            base = todo.pop()
            available |= owned.get(base, set())
            todo += bases.get(base, [])
        found += [f"{line}: {name} uses self.{a}" for line, a in used if a not in available]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_queue_class_uses_private_state_of_another():
    found = {
        str(path.relative_to(QUEUE)): problems
        for path in sorted(QUEUE.rglob("*.py"))
        if (problems := foreign_private_state(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_a_mixin_sharing_private_state_would_be_found():
    """The check bites on what ``CentringHost`` was, and on reading another's lock."""
    mixin = (
        "class CentringHost:\n"
        "    def provide(self):\n"
        "        with self._cond:\n"
        "            return self._centring\n"
    )
    assert foreign_private_state(mixin) == [
        "3: CentringHost uses self._cond",
        "4: CentringHost uses self._centring",
    ]
    assert foreign_private_state("def f(model):\n    return model._lock\n") == ["2: model._lock"]
    inherited = "class A:\n    _x = 1\nclass B(A):\n    def f(self):\n        return self._x\n"
    assert foreign_private_state(inherited) == []


# the run control ---------------------------------------------------------------------------
class Events:
    """What the run control reported, in order."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.paused = threading.Event()

    def control(self) -> RunControl:
        return RunControl(on_paused=self._paused, on_resumed=lambda: self.names.append("resumed"))

    def _paused(self) -> None:
        self.names.append("paused")
        self.paused.set()


def never_asked() -> str:
    raise AssertionError("nothing_to_run asked although a refusal came first")


def test_begin_refuses_in_order_closed_running_then_nothing_to_run():
    control = Events().control()
    with pytest.raises(Refused, match="nothing to do here"):
        control.begin(False, lambda: "nothing to do here")
    control.begin(True, never_asked)
    assert control.running
    with pytest.raises(Refused, match="already running"):
        control.begin(False, never_asked)
    assert control.finish() is False and not control.running
    control.close()
    with pytest.raises(Refused, match="shut down"):
        control.begin(True, never_asked)


def test_pause_holds_the_run_at_its_safe_point_until_resume():
    events = Events()
    control = events.control()
    control.begin(True, never_asked)
    control.safe_point()  # not paused: goes on at once
    control.pause()
    assert control.paused
    passed = threading.Event()

    def run() -> None:
        control.safe_point()
        events.names.append("went on")
        passed.set()

    worker = threading.Thread(target=run)
    worker.start()
    assert events.paused.wait(10)
    assert not passed.is_set() and events.names == ["paused"]
    control.resume()
    assert passed.wait(10)
    worker.join(10)
    assert events.names == ["paused", "resumed", "went on"]
    assert not control.paused


def test_stop_while_paused_ends_the_wait_with_stopped_and_finish_says_so():
    events = Events()
    control = events.control()
    control.begin(True, never_asked)
    control.pause()
    raised: list[BaseException] = []

    def run() -> None:
        try:
            control.safe_point()
        except Stopped as exc:
            raised.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert events.paused.wait(10)
    control.stop()
    worker.join(10)
    assert len(raised) == 1 and not raised[0].failed
    assert events.names == ["paused"]  # stopped: never resumed
    assert control.wake.is_set() and control.stop_requested()
    interruption = control.interruption(7)
    assert interruption is not None
    assert (interruption.status, interruption.reason) == (STOPPED, STOPPED_BY_USER)
    assert control.finish() is True
    assert not control.running and not control.paused and control.current is None


def test_stop_and_pause_do_nothing_while_idle():
    control = Events().control()
    control.pause()
    control.stop()
    assert not control.paused and not control.stop_requested() and not control.wake.is_set()
    control.safe_point()  # idle and not stopped: returns


def test_skip_ends_only_the_entry_executing_when_it_was_asked():
    control = Events().control()
    control.begin(True, never_asked)
    assert control.skip() is False  # nothing executing
    control.set_current(3)
    assert control.skip() is True and control.wake.is_set()
    skipped = control.interruption(3)
    assert skipped is not None and (skipped.status, skipped.reason) == (SKIPPED, SKIPPED_BY_USER)
    assert control.interruption(4) is None
    control.set_current(None)  # between entries: the skip stays for no one else
    control.set_current(4)
    assert control.interruption(3) is None and control.interruption(4) is None


# the model's status editor -----------------------------------------------------------------
def test_status_changes_go_through_the_model_and_keep_its_counts():
    model = QueueModel(validator=None)
    sample = model.add(0, "Sample", {"location": "1:01"})
    task = model.add(sample, "TaskGroup")
    seen: list[tuple[Any, ...]] = []
    model.connect("statusChanged", lambda *args: seen.append(args))
    version = model.version
    model.set_status(task, RUNNING)
    model.set_status(task, SUCCESS, "done", files=["/data/a_1_00001.cbf"])
    assert model.counts()["statuses"] == {NOT_EXECUTED: 1, SUCCESS: 1}
    assert model.get_node(task).files == ("/data/a_1_00001.cbf",)
    model.reset_status([sample])
    assert model.counts()["statuses"] == {NOT_EXECUTED: 2}
    assert seen == [
        (task, RUNNING, ""),
        (task, SUCCESS, "done"),
        (task, NOT_EXECUTED, ""),
    ]
    assert model.version == version + 3
    assert model.subtree(sample) == [sample, task]


# the tasks a result proposes ---------------------------------------------------------------
class SampleDefaults:
    """A :class:`~mxgui.core.queue.result_tasks.TaskDefaults` recording what it was asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, dict[str, Any] | None]] = []

    def defaults_for(
        self, node_type: str, sample: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        self.asked.append((node_type, None if sample is None else dict(sample)))
        return {"prefix": f"mad-{(sample or {}).get('name', '')}"}


def test_collection_defaults_come_from_the_factory_given_for_the_sample():
    model = QueueModel(validator=None)
    sample = model.add(0, "Sample", {"name": "lyso"})
    group = model.add(sample, "TaskGroup")
    factory = SampleDefaults()
    assert ResultTasks(model, History(), factory).collection_defaults(group) == {
        "prefix": "mad-lyso"
    }
    assert factory.asked == [("DataCollection", {"name": "lyso"})]
    assert ResultTasks(model, History()).collection_defaults(group) == {}
