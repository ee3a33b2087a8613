"""The injectable clock: the real one by default, a manual one that tests step."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from hardware_objects.simulated.motion import SimulatedActuator
from hardware_objects.simulated.sample_camera import SimulatedSampleCamera
from hardware_objects.simulated.sample_changer import SimulatedSampleChanger
from mxgui.core.clock import REAL_CLOCK, ClockTimer, ManualClock, RealClock

from helpers import wait_for


def test_the_simulation_runs_on_the_real_clock_unless_given_another():
    assert isinstance(REAL_CLOCK, RealClock)
    for cls in (SimulatedActuator, SimulatedSampleCamera, SimulatedSampleChanger):
        assert cls.clock is REAL_CLOCK


def test_the_real_clock_waits_for_the_event_or_the_timeout():
    event = threading.Event()
    before = REAL_CLOCK.now()
    assert REAL_CLOCK.wait(event, 0.01) is False
    assert REAL_CLOCK.now() > before
    event.set()
    assert REAL_CLOCK.wait(event, 10.0) is True


def test_a_manual_clock_wakes_a_wait_only_when_advanced_past_its_deadline():
    clock = ManualClock(start=100.0)
    with ThreadPoolExecutor(1) as pool:
        waited = pool.submit(clock.wait, threading.Event(), 1.0)
        clock.wait_for_waiters(1)
        clock.advance(0.5)
        clock.wait_for_waiters(1)  # still waiting: half the time has passed
        assert not waited.done()
        clock.advance(0.5)
        assert waited.result(timeout=5) is False
    assert clock.now() == 101.0
    assert clock.waiters() == 0


def test_a_manual_clock_wait_ends_when_its_event_is_set_without_advancing():
    clock = ManualClock()
    event = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        waited = pool.submit(clock.wait, event, 60.0)
        clock.wait_for_waiters(1)
        event.set()
        assert waited.result(timeout=5) is True
    assert clock.now() == 0.0


def test_a_manual_clock_never_goes_back_and_says_who_it_waited_for():
    clock = ManualClock()
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1.0)
    with pytest.raises(TimeoutError, match="0 thread.*expected 1"):
        clock.wait_for_waiters(1, timeout=0.01)


def test_a_clock_timer_fires_on_its_clock_and_not_after_cancel():
    clock = ManualClock()
    fired: list[str] = []
    kept = ClockTimer(clock, 2.0, fired.append, ("kept",))
    cancelled = ClockTimer(clock, 2.0, fired.append, ("cancelled",))
    kept.start()
    cancelled.start()
    clock.wait_for_waiters(2)
    clock.advance(1.0)
    cancelled.cancel()
    cancelled.join(timeout=5)
    assert fired == []
    clock.advance(1.0)
    kept.join(timeout=5)
    assert fired == ["kept"]


def test_stepping_to_the_next_deadline_runs_waits_in_the_order_of_their_deadlines():
    clock = ManualClock()
    woke: list[tuple[str, float]] = []

    def sleeper(name: str, seconds: float) -> None:
        clock.sleep(seconds)
        woke.append((name, clock.now()))

    threads = [
        threading.Thread(target=sleeper, args=(name, seconds))
        for name, seconds in (("late", 3.0), ("early", 1.0), ("middle", 2.0))
    ]
    for thread in threads:
        thread.start()
    for pending in (3, 2, 1):
        clock.wait_for_waiters(pending)
        clock.advance_to_next_deadline()
        wait_for(lambda woken=4 - pending: len(woke) == woken, "the next sleeper waking")
    for thread in threads:
        thread.join(timeout=5)
    assert woke == [("early", 1.0), ("middle", 2.0), ("late", 3.0)]


def test_a_wait_shorter_than_the_clock_can_show_still_needs_the_clock_to_move():
    clock = ManualClock(start=1.0e6)  # 1e-12 s is below a float's resolution here
    with ThreadPoolExecutor(1) as pool:
        waited = pool.submit(clock.wait, threading.Event(), 1.0e-12)
        clock.wait_for_waiters(1)  # a deadline ahead of now, not one already passed
        clock.advance_to_next_deadline()
        assert waited.result(timeout=5) is False
    assert clock.now() > 1.0e6
