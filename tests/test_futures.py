"""mxgui.core.futures: finished Futures, chains, all-of and the timeout convention."""

from __future__ import annotations

import threading
import time
from concurrent.futures import CancelledError, Future

import pytest

from mxgui.core import futures


def later(seconds: float, action) -> None:
    threading.Timer(seconds, action).start()


def test_done_and_failed_are_finished():
    assert futures.done(3).result(timeout=0) == 3
    assert futures.done().result(timeout=0) is None
    error = ValueError("no")
    assert futures.failed(error).exception(timeout=0) is error


def test_attempt_turns_a_refusal_into_a_failed_future():
    started = futures.done(1)
    assert futures.attempt(lambda: started) is started

    def refuse() -> Future:
        raise ValueError("above the high limit")

    with pytest.raises(ValueError, match="above the high limit"):
        futures.attempt(refuse).result(timeout=0)


def test_then_follows_the_inner_future_in_its_thread():
    inner: Future = Future()
    threads = []

    def on_done(ended: Future) -> int:
        threads.append(threading.current_thread())
        return ended.result() * 2

    outer = futures.then(inner, on_done)
    assert not outer.done()
    assert not outer.cancel(), "the holder cannot cancel it"
    worker = threading.Thread(target=inner.set_result, args=(21,))
    worker.start()
    worker.join()
    assert outer.result(timeout=1) == 42
    assert threads == [worker]


def test_then_passes_on_a_failure_and_what_on_done_raises():
    inner = futures.failed(RuntimeError("tripped"))
    with pytest.raises(RuntimeError, match="tripped"):
        futures.then(inner, lambda ended: ended.result()).result(timeout=0)

    def refuse(_ended: Future) -> None:
        raise ValueError("not now")

    with pytest.raises(ValueError, match="not now"):
        futures.then(futures.done(), refuse).result(timeout=0)


def test_all_of_ends_when_the_last_one_ends():
    members = [Future() for _ in range(3)]
    combined = futures.all_of(members)
    for i, member in enumerate(members):
        assert not combined.done(), i
        later(0.01 * i, lambda m=member: m.set_result(None))
    assert combined.result(timeout=1) is None
    assert all(member.done() for member in members)
    assert futures.all_of([]).result(timeout=0) is None


@pytest.mark.parametrize("how", ["failure", "cancellation"])
def test_all_of_fails_at_the_first_failure_and_calls_on_failure_once(how):
    first, second, slow = Future(), Future(), Future()
    calls = []
    combined = futures.all_of([first, second, slow], on_failure=lambda: calls.append(1))
    if how == "failure":
        first.set_exception(RuntimeError("motor tripped"))
        expected = RuntimeError
    else:
        first.cancel()
        expected = CancelledError
    second.set_exception(RuntimeError("second failure"))
    with pytest.raises(expected):
        combined.result(timeout=0)
    assert calls == [1]
    assert not slow.done(), "it does not wait for the others"


def test_wait_follows_the_timeout_convention():
    pending: Future = Future()
    assert futures.wait(pending, 0) is pending  # 0: at once
    with pytest.raises(TimeoutError):
        futures.wait(pending, 0.05)
    later(0.05, lambda: pending.set_result(5))
    start = time.monotonic()
    assert futures.wait(pending, None) is pending  # None: until the end
    assert pending.result(timeout=0) == 5 and time.monotonic() - start >= 0.04
    with pytest.raises(RuntimeError, match="tripped"):
        futures.wait(futures.failed(RuntimeError("tripped")), 1)
