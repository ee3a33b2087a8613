"""Issue 15, the review of the queue core (review 15b): a task never runs on another
sample's crystal, a second hand-mounted sample is centred, a failed sample's other
selected tasks stay not run, a workflow's nested tasks sum up into it, and Run
selected's refusal names every node."""

from __future__ import annotations

import pytest
from queue_engine_fixtures import add_sample, add_task
from test_queue_run_shift import count_loads

from mxgui.core.centring import CentredPosition
from mxgui.core.errors import Refused
from mxgui.core.queue import queue_file
from mxgui.core.queue.engine_run import Run
from mxgui.core.queue.entries.base import Entry, EntryContext, Outcome
from mxgui.core.queue.nodes import QueueNode
from mxgui.core.queue.summary import summarise

FAULT = "detector stopped answering"


def test_a_second_hand_mounted_sample_is_asked_for_its_centring(bl):
    bl.sample_changer.unload().result(timeout=30)
    first = add_sample(bl, None, centring="manual", name="crystal-X")
    second = add_sample(bl, None, centring="manual", name="crystal-Y")
    for sample in (first, second):
        add_task(bl, sample, prefix=f"t{sample}")
    asked: list[int] = []

    def answer(node_id: int, _location: str) -> None:  # nothing mounted: where it is now
        asked.append(node_id)
        here = bl.diffractometer.get_positions()
        position = {k: here[k] for k in ("phiy", "phiz", "sampx", "sampy")}
        bl.engine.provide_centring(node_id, CentredPosition(phi=0.0, **position))

    bl.engine.connect("centringRequested", answer)
    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    assert asked == [first, second]
    assert bl.model.get_node(second).message == "mounted by hand, centred by hand"
    # the last one stays centred while it is the current one; the first one is not
    assert bl.engine.is_centred(None, second) and not bl.engine.is_centred(None, first)
    assert not bl.engine.is_centred(None)


def test_run_selected_refuses_a_task_of_a_sample_not_mounted(bl):
    assert bl.sample_changer.get_loaded_sample().address == "1:01"
    mounted = add_sample(bl, "1:01")
    other = add_sample(bl, "1:02")
    a = add_task(bl, mounted, prefix="a")
    b = add_task(bl, other, prefix="b")
    with pytest.raises(Refused, match=r"b.*belongs to 1:02 s1-02, which is not mounted"):
        bl.engine.run_nodes([a, b])
    assert bl.model.get_node(b).status == "not_executed"
    # the confirmation lists the sample of each selected task and whether it is mounted
    summary = summarise(bl.model, [a, b], alone=False, is_centred=bl.engine.is_centred)
    assert [(s["node_id"], s["centring"]) for s in summary["samples"]] == [
        (mounted, "none (its selected tasks run on the crystal mounted now)"),
        (other, "none (its selected tasks run on the crystal mounted now)"),
    ]


def test_run_selected_mounts_a_selected_sample_before_its_own_task(bl):
    """A task of a sample selected with it runs with it, on its own crystal."""
    other = add_sample(bl, "1:02")
    b = add_task(bl, other, prefix="b")
    mounted = add_sample(bl, "1:01")
    a = add_task(bl, mounted, prefix="a")
    loads = count_loads(bl)
    with pytest.raises(Refused, match=r"a.*belongs to 1:01 s1-01, which is not mounted"):
        bl.engine.run_nodes([other, a])  # 1:02 mounts first: a would run on it
    summary = summarise(bl.model, [a, other], alone=False, is_centred=bl.engine.is_centred)
    assert [(s["node_id"], s["centring"]) for s in summary["samples"]] == [
        (other, "none"),  # in queue order, as the run would go
        (mounted, "none (its selected tasks run on the crystal mounted now)"),
    ]
    bl.engine.run_nodes([other, b])
    assert bl.events.wait_finished() == "success"
    assert loads == ["1:02"]
    assert bl.model.get_node(b).status == "success"


def test_a_task_whose_sample_was_swapped_meanwhile_fails_and_does_not_collect(bl):
    mounted = add_sample(bl, "1:01")
    a = add_task(bl, mounted, prefix="a")
    bl.sample_changer.load("1:02").result(timeout=30)  # swapped behind the queue's back
    run = Run(bl.engine, bl.engine.control)
    run.execute((a,))
    node = bl.model.get_node(a)
    assert (node.status, node.files) == ("failed", ())
    assert "1:01 s1-01 is not on the goniometer (1:02 is)" in node.message


def test_run_selected_next_sample_skips_the_rest_of_the_failed_sample(bl):
    first = add_sample(bl, None)
    second = add_sample(bl, None, name="second")
    a = add_task(bl, first, prefix="a")
    b = add_task(bl, first, prefix="b")
    c = add_task(bl, second, prefix="c")
    bl.engine.set_continue_on_failure(True)
    bl.collect.inject_fault(FAULT, after_images=0)
    bl.engine.connect("entryFinished", lambda n, *_: bl.collect.inject_fault(None))
    bl.engine.run_nodes([a, b, c])
    assert bl.events.wait_finished() == "failed"
    assert bl.model.get_node(a).status == "failed"
    assert bl.model.get_node(b).status == "not_executed"  # the rest of that sample
    assert bl.model.get_node(c).status == "success"  # the next sample goes on


def _ran_workflow(bl, sample: int) -> int:
    workflow = bl.model.add(
        sample, "Workflow", bl.factory.create("Workflow", {"workflow_name": "MXPressA"})
    )
    bl.model.set_status(workflow, "running")
    bl.model.set_status(workflow, "success", "done")
    return workflow


def test_a_failed_task_under_a_workflow_that_ran_fails_it_and_stops_its_sample(bl):
    sample = add_sample(bl, None)
    workflow = _ran_workflow(bl, sample)
    nested = add_task(bl, workflow, prefix="nested")
    after = add_task(bl, sample, prefix="after")
    bl.collect.inject_fault(FAULT, after_images=0)
    bl.engine.run_all()
    assert bl.events.wait_finished() == "failed"
    assert bl.model.get_node(nested).status == "failed"
    assert bl.model.get_node(workflow).status == "failed"
    assert bl.model.get_node(after).status == "not_executed"
    assert bl.model.get_node(sample).status == "failed"


class AddsATaskAndWarns(Entry):
    """A workflow entry that adds a collection under its own node, does not run it, and
    ends ``warning`` (finding 4b)."""

    writes_files = False

    def __init__(self, bl) -> None:
        self.bl = bl
        self.added: list[int] = []

    def run(self, ctx: EntryContext) -> Outcome:
        self.added.append(add_task(self.bl, ctx.node.id, prefix="added"))
        return Outcome(status="warning", message="a step warned")


def test_tasks_a_workflow_that_warned_added_and_did_not_run_run_after_it(bl):
    sample = add_sample(bl, None)
    workflow = bl.model.add(
        sample, "Workflow", bl.factory.create("Workflow", {"workflow_name": "MXPressA"})
    )
    entry = AddsATaskAndWarns(bl)
    bl.engine.entries["Workflow"] = entry
    bl.engine.run_all()
    assert bl.events.wait_finished() == "success"
    (added,) = entry.added
    assert bl.model.get_node(added).status == "success"
    node = bl.model.get_node(workflow)
    assert (node.status, node.message) == ("warning", "a step warned")  # its own warning kept
    assert bl.model.get_node(sample).status == "warning"


def test_run_selected_refusal_names_every_node_and_says_what_to_do(bl):
    samples = [add_sample(bl, None, name=f"s{i}") for i in (2, 3)]
    for sample in samples:
        bl.model.set_enabled(add_task(bl, sample), False)
    with pytest.raises(Refused) as refused:
        bl.engine.run_nodes(samples)
    text = str(refused.value)
    assert "s2" in text and "s3" in text
    assert "no enabled task to run" in text and "enable or add a task" in text
    assert "reset its status" not in text


def test_a_queue_file_of_this_issue_is_format_2_and_a_format_1_file_still_reads(tmp_path):
    root = QueueNode(id=0, type="Root", name="", parameters={}, children=())
    text = queue_file.dumps([root], 1, [])
    assert text.startswith('{"format_version":2,')
    older = tmp_path / "queue.json"
    older.write_text(text.replace('"format_version":2', '"format_version":1', 1))
    assert [n.id for n in queue_file.read(older).nodes] == [0]
