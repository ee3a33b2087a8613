"""What the queue tree says about a node, Qt-free: a task's result, a parent's tally;
subtrees removed and put back at their places (the core of undoing a delete)."""

from __future__ import annotations

import pytest

from mxgui.core.queue.model import QueueModel
from mxgui.core.queue.node_text import result_text, shown_status, tally_text
from mxgui.core.queue.nodes import ROOT_ID, QueueError, QueueNode, freeze
from mxgui.core.queue.subtree import remove_subtrees, restore_subtree


def node(node_type: str, status: str, message: str = "", files=(), results=None, **params):
    return QueueNode(
        7,
        node_type,
        "n",
        freeze(params),
        status=status,
        message=message,
        files=tuple(files),
        results=freeze(results or {}),
    )


def test_a_task_says_what_it_did():
    cbf = [f"/d/x_1_{n:05d}.cbf" for n in range(1, 101)] + ["/d/x_1_snapshot_1.png"]
    assert result_text(node("DataCollection", "not_executed", num_images=100)) is None
    assert result_text(node("DataCollection", "running", num_images=100)) is None
    assert result_text(node("DataCollection", "success", "", cbf, num_images=100)) == (
        "100 images written"
    )
    one = node("DataCollection", "success", "", cbf[:1], num_images=1)
    assert result_text(one) == "1 image written"
    # an HDF5 master file holds them all: the collection's message counts them
    h5 = node("DataCollection", "success", "100 images of run 1 in /d", ["/d/x_1_master.h5"])
    assert result_text(h5) == "100 images written"
    stopped = node("DataCollection", "stopped", "stopped by user", cbf[:40], num_images=100)
    assert result_text(stopped) == "stopped after 40 of 100 images"
    failed = node("DataCollection", "failed", "stopped by user", cbf[:40], num_images=100)
    assert result_text(failed) == "stopped by user after 40 of 100 images"
    early = node("DataCollection", "failed", "detector not armed", num_images=100)
    assert result_text(early) == "detector not armed"
    strategy = {"num_images": 1800, "osc_range": 0.1, "resolution": 2.1, "exp_time": 0.01}
    characterised = node("Characterisation", "success", "x", results={"strategy": strategy})
    assert result_text(characterised) == "strategy: 1800 x 0.1 deg, 2.1 Å"
    low_pass = dict(strategy, resolution=4.2, num_images=900)
    few = {"strategy": strategy, "strategy_sweeps": [strategy, low_pass]}
    few_sweeps = node("Characterisation", "success", "x", results=few)
    assert result_text(few_sweeps) == "strategy: 1800 x 0.1 deg, 2.1 Å + 1 low-resolution pass"
    for stopped_type in ("Characterisation", "MeshScan", "Workflow", "XrayCentring"):
        user_stop = node(stopped_type, "stopped", "stopped by user")
        assert result_text(user_stop) == "stopped by user"
    assert result_text(node("Workflow", "stopped", "timed out")) == "stopped: timed out"
    no_strategy = node("Characterisation", "warning", "no diffraction", results={"strategy": None})
    assert result_text(no_strategy) == "no strategy proposed (no diffraction?)"
    mesh = node(
        "MeshScan", "success", results={"best_cell": 37, "best_score": 12.43, "cells_scored": 400}
    )
    assert result_text(mesh) == "best cell 37 (score 12.4), 400 cells scored"
    scan = node("EnergyScan", "success", results={"peak": 12.6633, "inflection": 12.66})
    assert result_text(scan) == "peak 12.6633, inflection 12.6600 keV"
    workflow = node("Workflow", "failed", "workflow MXPressA failed: no crystal")
    assert result_text(workflow) == "workflow MXPressA failed: no crystal"
    assert result_text(node("XrayCentring", "skipped")) == "skipped"


def test_a_parent_sums_up_its_tasks():
    assert tally_text({}) == "0 tasks"
    assert tally_text({"not_executed": 1}) == "1 task"
    assert tally_text({"not_executed": 3}) == "3 tasks"
    assert tally_text({"success": 2, "failed": 1}) == "2 of 3 done, 1 failed"
    assert tally_text({"success": 1, "warning": 1, "running": 1, "not_executed": 2}) == (
        "2 of 5 done, 1 running"
    )
    assert tally_text({"stopped": 1, "skipped": 2, "success": 0}) == (
        "0 of 3 done, 1 stopped, 2 skipped"
    )


def test_a_parent_row_shows_its_own_status_or_its_tasks_summed_up():
    assert shown_status("not_executed", None) == "not_executed"
    assert shown_status("not_executed", {"not_executed": 2}) == "not_executed"
    assert shown_status("not_executed", {"success": 1, "not_executed": 1}) == "success"
    assert shown_status("not_executed", {"success": 1, "failed": 1}) == "failed"
    assert shown_status("not_executed", {"success": 1, "running": 1}) == "running"
    assert shown_status("not_executed", {"skipped": 1}) == "warning"
    assert shown_status("warning", {"success": 1, "failed": 1}) == "warning"  # its own


def test_one_rule_of_done_for_the_tally_and_the_model_summary():
    model = QueueModel(validator=None)
    sample = model.add(ROOT_ID, "Sample", {})
    tasks = [model.add(sample, "DataCollection", {}) for _ in range(4)]
    for task, status in zip(tasks, ("success", "warning", "failed", "stopped")):
        model.set_status(task, status)
    counts = model.children_summary(sample)
    assert (counts["total"], counts["done"]) == (4, 2)
    by_status = {s: n for s, n in counts.items() if s not in ("total", "done") and n}
    assert tally_text(by_status) == "2 of 4 done, 1 failed, 1 stopped"


def test_subtrees_removed_and_put_back_at_their_places():
    model = QueueModel(validator=None)
    sample = model.add(ROOT_ID, "Sample", {"location": "1:01"})
    a = model.add(sample, "DataCollection", {"num_images": 1})
    group = model.add(sample, "TaskGroup", name="wedges")
    inner = model.add(group, "DataCollection", {"num_images": 2})
    c = model.add(sample, "DataCollection", {"num_images": 3})
    model.set_enabled(inner, False)
    model.set_status(inner, "running")
    model.set_status(inner, "success", "2 images", ["/d/i_1_00001.cbf"])
    model.update_results(inner, {"lims_id": 5})
    # the group and a task below it named too: one subtree, the group's
    removed = remove_subtrees(model, [inner, group, c])
    assert [(r.parent, r.row, r.copy.id) for r in removed] == [(sample, 1, group), (sample, 2, c)]
    assert removed[0].copy.ids() == [group, inner]
    assert model.children(sample) == (a,)
    new_ids = {}
    for r in removed:
        new_ids.update(restore_subtree(model, r.copy, r.parent, r.row))
    assert model.children(sample) == (a, new_ids[group], new_ids[c])
    back = model.get_node(new_ids[inner])
    assert back.parent == new_ids[group] and model.get_node(new_ids[group]).name == "wedges"
    assert (back.enabled, back.status, back.files) == (False, "success", ("/d/i_1_00001.cbf",))
    assert dict(back.results) == {"lims_id": 5} and dict(back.parameters) == {"num_images": 2}
    assert model.get_node(new_ids[c]).auto_name  # a derived name stays derived
    # a running node refuses the whole removal: nothing removed, nothing copied
    model.set_status(a, "running")
    with pytest.raises(QueueError, match="it is running"):
        remove_subtrees(model, [a, new_ids[c]])
    assert len(model.children(sample)) == 3
    # a refused restore takes back what it added
    copy = remove_subtrees(model, [new_ids[group]])[0].copy
    with pytest.raises(QueueError):
        restore_subtree(model, copy, ROOT_ID, 0)  # a group cannot go under the root
    assert model.children(ROOT_ID) == (sample,) and len(model) == 3
