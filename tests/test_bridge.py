"""Hardware-object signals reach bricks on the GUI thread, never on a worker thread."""

from __future__ import annotations

import threading

from mxgui.core.signals import SignalEmitter
from mxgui.gui.bridge import GuiBridge

from helpers import events_delivered


class Emitter(SignalEmitter):
    SIGNALS = ("valueChanged",)


def test_signal_emitted_from_worker_threads_is_delivered_on_the_gui_thread(qtbot):
    bridge = GuiBridge()
    emitter = Emitter()
    received: list[tuple[int, threading.Thread]] = []
    bridge.connect(
        emitter, "valueChanged", lambda v: received.append((v, threading.current_thread()))
    )
    workers = [threading.Thread(target=emitter.emit, args=("valueChanged", i)) for i in range(20)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert received == [], "delivery must be queued, not run in the emitting thread"
    qtbot.waitUntil(lambda: len(received) == 20, timeout=2000)
    assert sorted(v for v, _ in received) == list(range(20))
    assert {thread for _, thread in received} == {threading.main_thread()}


def test_cancelled_subscription_drops_deliveries_already_queued(qtbot):
    bridge = GuiBridge()
    emitter = Emitter()
    received = []
    subscription = bridge.connect(emitter, "valueChanged", received.append)
    emitter.emit("valueChanged", 1)  # queued, not yet delivered
    subscription.cancel()
    emitter.emit("valueChanged", 2)
    assert emitter.receivers("valueChanged") == 0
    events_delivered(qtbot)
    assert received == []


def test_a_failing_slot_is_logged_and_later_deliveries_still_arrive(qtbot, caplog):
    bridge = GuiBridge()
    emitter = Emitter()
    received = []

    def slot(value):
        if value == 1:
            raise RuntimeError("slot broke")
        received.append(value)

    bridge.connect(emitter, "valueChanged", slot)
    emitter.emit("valueChanged", 1)
    emitter.emit("valueChanged", 2)
    qtbot.waitUntil(lambda: received == [2], timeout=1000)
    assert any("slot broke" in (r.exc_text or "") or r.exc_info for r in caplog.records)
