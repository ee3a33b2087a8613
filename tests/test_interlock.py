"""Issue 11, item 6: while a collection or mesh runs, nobody else moves the beamline.

The attack, repeated over real XML-RPC against the simulated beamline: during a
running collection, move phiy by 0.3 mm, sampx by 0.2 mm and change the aperture. Each
call is refused with a fault naming the running entry, the motors stay where they were,
and the collection completes. The same for a mesh scan, and for a user's clicks on
the bricks (refused with a visible message naming what runs; usable afterwards).
"""

from __future__ import annotations

import threading

import pytest
from xmlrpc_fixtures import QUICK, fault_of

from mxgui.core.interlock import Interlock, InterlockRefused, calling_as, current_caller

from helpers import type_into, wait_for

pytest_plugins = ("xmlrpc_fixtures",)  # the beamline and proxy fixtures

#: long enough to be attacked while it runs, still a few seconds at most
LONG = {**QUICK, "num_images": 400, "exp_time": 0.005, "osc_range": 0.1}


def wait_idle(queue, timeout: float = 120.0) -> None:
    wait_for(lambda: not queue.engine.is_running(), "the end of the queue", timeout)


# the interlock itself -----------------------------------------------------------------------
def in_a_new_thread(function) -> None:
    """Run ``function`` in a thread of its own (no caller: the main thread may have
    been marked as the GUI's by an earlier test) and re-raise what it raised."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            function()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failures.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if failures:
        raise failures[0]


def test_only_outside_callers_are_refused_and_only_while_it_is_held():
    def attack() -> None:
        interlock = Interlock()
        with calling_as("a client"):
            interlock.check("phiy: the move")  # nothing runs: allowed
        with interlock.hold("DataCollection 3 'p_1'"):
            interlock.check("phiy: the move")  # the run's own thread: allowed
            with calling_as("a client"):
                assert current_caller() == "a client"
                with pytest.raises(InterlockRefused) as refused:
                    interlock.check("phiy: the move")
            assert "DataCollection 3 'p_1' is running" in str(refused.value)
            assert "phiy: the move refused" in str(refused.value)
            assert "a client" in str(refused.value)
        assert current_caller() is None and interlock.holder is None
        with calling_as("a client"):
            interlock.check("phiy: the move")  # ended: allowed again

    in_a_new_thread(attack)


def test_a_thread_started_by_an_outside_caller_is_not_the_caller():
    """The queue engine's thread may be started from an XML-RPC request: it is the
    run's own (the engine clears the caller at its start), not the client's."""
    seen = []

    def ask() -> None:
        with calling_as("a client"):
            thread = threading.Thread(target=lambda: seen.append(current_caller()))
            thread.start()
            thread.join()
        seen.append(current_caller())

    in_a_new_thread(ask)
    assert seen == [None, None]


# the attack over XML-RPC -------------------------------------------------------------------------
def start_long_collection(proxy, queue) -> int:
    sample = proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
    task = proxy.queue_add_child(sample, {"type": "DataCollection", "parameters": LONG})
    assert proxy.queue_execute_entry_with_id(sample, True) is True
    collect = queue.get_object_by_role("collect")
    wait_for(
        lambda: collect.is_collecting() and (collect.get_collection_info() or {}).get("files"),
        what="the first image of the collection",
    )
    return task


def test_moves_over_xmlrpc_during_a_collection_are_refused_and_it_completes(
    beamline, proxy, tmp_path
):
    queue = beamline.get("queue")
    diffractometer = beamline.get("diffractometer")
    beam = beamline.get("beam")
    task = start_long_collection(proxy, queue)
    before = diffractometer.get_positions()
    aperture = beam.get_aperture()
    other = next(name for name in beam.get_aperture_list() if name != aperture)
    running = f"DataCollection {task} "

    attacks = [
        (proxy.move_diffractometer, {"phiy": before["phiy"] + 0.3}),
        (proxy.move_diffractometer, {"sampx": before["sampx"] + 0.2}),
        (proxy.set_aperture, other),
        (proxy.set_beam_size, [0.01, 0.01]),
        (proxy.save_multiple_snapshots, [[before["phi"] + 90, str(tmp_path / "data" / "s.png")]]),
    ]
    for call, argument in attacks:
        fault = fault_of(call, argument)
        assert fault.faultCode == -32500, fault.faultString
        assert running in fault.faultString and "is running" in fault.faultString
    assert queue.model.get_node(task).status == "running", "the attacks ran while it ran"

    after = diffractometer.get_positions()
    for role in ("phiy", "phiz", "sampx", "sampy"):
        assert after[role] == pytest.approx(before[role], abs=1e-9), role
    assert beam.get_aperture() == aperture
    assert not (tmp_path / "data" / "s.png").exists()
    wait_idle(queue)
    node = queue.model.get_node(task)
    assert node.status == "success", node.message
    assert len(node.files) == LONG["num_images"]
    # afterwards the same calls work again
    assert proxy.move_diffractometer({"phiy": before["phiy"] + 0.3}) is True
    assert diffractometer.get_positions()["phiy"] == pytest.approx(before["phiy"] + 0.3)
    assert proxy.set_aperture(other) is True and beam.get_aperture() == other


def test_the_other_interlocked_hardware_refuses_an_outside_caller(beamline, proxy):
    """Energy, resolution, detector distance and ROI mode, the sample changer: asked from an
    outside caller's thread (as an XML-RPC method or a brick would) while it runs."""
    queue = beamline.get("queue")
    task = start_long_collection(proxy, queue)
    energy, resolution = beamline.get("energy"), beamline.get("resolution")
    distance, changer = beamline.get("detector_distance"), beamline.get("sample_changer")
    detector = beamline.get("detector")
    zoom = beamline.get("zoom")
    values = (energy.get_value(), resolution.get_value(), distance.get_value())
    with calling_as("a test client"):
        for move in (
            lambda: energy.set_value(energy.get_value() + 0.5),
            lambda: resolution.set_value(resolution.get_value() + 0.3),
            lambda: distance.set_value(distance.get_value() + 20),
            lambda: detector.set_roi_mode("4M"),
            lambda: changer.load("2:01"),
            changer.unload,
        ):
            with pytest.raises(InterlockRefused, match=f"DataCollection {task} .* is running"):
                move()
        # zoom and lights are not interlocked: the user may look at the crystal
        level = next(z for z in zoom.get_values() if z != zoom.get_value())
        zoom.set_value(level, timeout=10)
    assert (energy.get_value(), resolution.get_value(), distance.get_value()) == values
    wait_idle(queue)
    assert queue.model.get_node(task).status == "success"


def test_moves_during_a_mesh_scan_are_refused_and_it_completes(beamline, proxy):
    queue = beamline.get("queue")
    diffractometer = beamline.get("diffractometer")
    sample = proxy.queue_add_child(0, {"type": "Sample", "parameters": {"centring": "none"}})
    grid_id = proxy.shape_history_add_grid({"num_cols": 20, "num_rows": 15})
    mesh = proxy.queue_add_child(
        sample,
        {
            "type": "MeshScan",
            "parameters": {
                **{k: v for k, v in QUICK.items() if k not in ("num_images", "osc_range")},
                "grid_id": grid_id,
                "exp_time": 0.005,
            },
        },
    )
    assert proxy.queue_execute_entry_with_id(sample, True) is True
    wait_for(lambda: queue.model.get_node(mesh).status == "running", what="the mesh start")
    wait_for(lambda: beamline.get("collect").is_collecting(), what="the mesh images")
    before = diffractometer.get_positions()
    fault = fault_of(proxy.move_diffractometer, {"phiz": before["phiz"] + 0.05})
    assert f"MeshScan {mesh} " in fault.faultString, fault.faultString
    assert diffractometer.get_positions()["phiz"] == pytest.approx(before["phiz"])
    wait_idle(queue)
    node = queue.model.get_node(mesh)
    assert node.status == "success", node.message
    assert node.results["cells_scored"] == 300


# a user's clicks on the bricks -----------------------------------------------------------------
def test_brick_clicks_during_a_collection_are_refused_with_what_runs(make_app, qtbot, caplog):
    app = make_app()
    queue = app.repository.get("queue")
    sampx, beam = app.repository.get("/sampx"), app.repository.get("beam")
    motor_brick, beam_brick = app.built.bricks["sampx"], app.built.bricks["beam"]
    sample = queue.model.add(0, "Sample", {"centring": "none", "name": "s1"})
    task = queue.add_task(sample, "DataCollection", dict(LONG))
    queue.engine.run(sample)
    collect = queue.get_object_by_role("collect")
    qtbot.waitUntil(collect.is_collecting, timeout=30000)
    running = f"DataCollection {task} "

    type_into(qtbot, motor_brick.position, "0.3")
    assert running in motor_brick.position.toolTip()
    assert "is running" in motor_brick.position.toolTip()
    assert any(running in r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    aperture = beam.get_aperture()
    beam_brick.set_aperture("A10")  # what choosing it in the combo box does
    assert running in beam_brick.aperture_box.toolTip()
    assert sampx.get_value() == 0.0 and beam.get_aperture() == aperture
    assert motor_brick.position.value() == 0.0  # the refused value is not left shown
    changer, changer_brick = (
        app.repository.get("sample_changer"),
        app.built.bricks["sample_changer"],
    )
    loaded = changer.get_loaded_sample()
    changer_brick.load_sample("2:01")  # what its Load button does
    assert running in changer_brick.info_label.text()
    assert changer.get_loaded_sample() == loaded

    qtbot.waitUntil(lambda: not queue.engine.is_running(), timeout=120000)
    assert queue.model.get_node(task).status == "success"
    type_into(qtbot, motor_brick.position, "0.3")  # the brick is usable again
    qtbot.waitUntil(lambda: abs(sampx.get_value() - 0.3) < 1e-9, timeout=5000)
