"""Named, declared, thread-safe signals of Qt-free objects."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from hardware_objects.simulated.energy import SimulatedEnergy
from hardware_objects.simulated.motor import SimulatedMotor
from mxgui.core.errors import UnknownSignalError
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.signals import SignalEmitter


class Base(SignalEmitter):
    SIGNALS = ("started", "finished")


class Middle(Base):
    SIGNALS = ("progress",)


class Leaf(Middle):
    """Declares nothing of its own: inherits everything."""


class Other(SignalEmitter):
    SIGNALS = ("elsewhere",)


def test_declared_signals_are_merged_along_the_class_hierarchy():
    assert Base.declared_signals() == {"started", "finished"}
    assert Middle.declared_signals() == {"started", "finished", "progress"}
    assert Leaf.declared_signals() == Middle.declared_signals()
    assert Leaf().declared_signals() == Middle.declared_signals()
    # a base never gets the signals of its subclasses, nor a sibling's
    assert "progress" not in Base.declared_signals()
    assert "elsewhere" not in Leaf.declared_signals()


def test_hardware_object_signals_follow_the_interfaces():
    # availabilityChanged: every object may lose its device (issue 13's connection watch)
    base = {"stateChanged", "availabilityChanged"}
    assert HardwareObject.declared_signals() == base
    assert SimulatedMotor.declared_signals() == {*base, "valueChanged", "limitsChanged"}
    assert SimulatedEnergy.declared_signals() == {
        *base,
        "valueChanged",
        "limitsChanged",
        "wavelengthChanged",
    }


def test_undeclared_name_fails_at_connect_time():
    emitter = Leaf()
    with pytest.raises(UnknownSignalError) as info:
        emitter.connect("progres", print)
    # the message names the mistake and what is declared
    message = str(info.value)
    assert "Leaf has no signal 'progres'" in message
    assert "finished, progress, started" in message
    assert isinstance(info.value, ValueError)
    assert emitter.receivers("progres") == 0
    with pytest.raises(UnknownSignalError):
        emitter.disconnect("progres", print)
    with pytest.raises(UnknownSignalError):
        emitter.emit("progres", 1)
    with pytest.raises(UnknownSignalError, match="declares: none"):
        SignalEmitter().connect("anything", print)


def test_callbacks_get_the_arguments_in_order_and_disconnect_stops_them():
    emitter = Leaf()
    calls = []

    def first(*args):
        calls.append(("first", args))

    def second(*args):
        calls.append(("second", args))

    emitter.connect("progress", first)
    emitter.connect("progress", second)
    emitter.connect("progress", first)  # connecting twice calls once
    assert emitter.receivers("progress") == 2
    emitter.emit("progress", 1, "two")
    assert calls == [("first", (1, "two")), ("second", (1, "two"))]

    calls.clear()
    emitter.disconnect("progress", first)
    emitter.disconnect("progress", first)  # an unknown pair is ignored
    emitter.emit("progress", 3)
    emitter.emit("started")  # nobody listens: nothing happens
    assert calls == [("second", (3,))]


def test_callback_runs_in_the_emitting_thread():
    emitter = Leaf()
    seen = []
    emitter.connect("started", lambda: seen.append(threading.current_thread()))
    worker = threading.Thread(target=emitter.emit, args=("started",))
    worker.start()
    worker.join(timeout=5)
    assert seen == [worker]


def test_callback_may_disconnect_itself_while_being_called():
    emitter = Leaf()
    calls = []

    def once():
        calls.append("once")
        emitter.disconnect("finished", once)
        emitter.connect("finished", later)  # connect from a callback: no deadlock

    def later():
        calls.append("later")

    emitter.connect("finished", once)
    emitter.emit("finished")
    emitter.emit("finished")
    assert calls == ["once", "later"]


def test_emit_from_many_threads_while_others_connect_and_disconnect():
    emitter = Leaf()
    emitters, emits_each, churners = 6, 300, 4
    counted = []
    errors = []
    start = threading.Barrier(emitters + churners)
    # each receiver yields the GIL, so that emits and (dis)connects interleave
    churn_callbacks = [lambda *args: time.sleep(0) for _ in range(churners)]
    # connected before the permanent callback, so that a callback removed while an
    # emit runs would shift it and make the emit skip it
    for callback in churn_callbacks:
        emitter.connect("progress", callback)
    emitter.connect("progress", counted.append)

    def emit_many(thread_index):
        try:
            start.wait()
            for i in range(emits_each):
                emitter.emit("progress", (thread_index, i))
        except Exception as exc:  # reported below
            errors.append(exc)

    def churn(callback):
        try:
            start.wait()
            for _ in range(emits_each):
                emitter.disconnect("progress", callback)
                emitter.connect("progress", callback)
            emitter.disconnect("progress", callback)
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=emit_many, args=(i,)) for i in range(emitters)]
    threads += [threading.Thread(target=churn, args=(cb,)) for cb in churn_callbacks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    # the permanent callback got every emit exactly once
    assert len(counted) == emitters * emits_each
    assert set(counted) == {(t, i) for t in range(emitters) for i in range(emits_each)}
    assert emitter.receivers("progress") == 1


def test_raising_callback_is_logged_and_does_not_stop_the_others(caplog):
    emitter = Leaf()
    calls = []

    def broken(value):
        raise ZeroDivisionError("receiver bug")

    emitter.connect("progress", lambda value: calls.append(("before", value)))
    emitter.connect("progress", broken)
    emitter.connect("progress", lambda value: calls.append(("after", value)))
    with caplog.at_level(logging.ERROR, logger="mxgui.core.signals"):
        emitter.emit("progress", 42)  # does not raise
    assert calls == [("before", 42), ("after", 42)]
    (record,) = caplog.records
    assert record.levelno == logging.ERROR
    assert "'progress'" in record.getMessage() and "Leaf" in record.getMessage()
    assert record.exc_info[0] is ZeroDivisionError
    assert "receiver bug" in caplog.text
