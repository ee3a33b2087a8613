"""The XML-RPC worker pool: a call waits for a worker only when every worker is busy."""

from __future__ import annotations

import threading
import time

from mxgui.core.xmlrpc.worker_pool import WorkerPool


def test_a_call_submitted_behind_a_long_one_gets_its_own_worker() -> None:
    pool: WorkerPool[str] = WorkerPool(4, idle_seconds=5.0, name="test worker")
    release = threading.Event()
    second_ran = threading.Event()
    try:
        # submitted back to back: the first thread has not yet taken the long call
        pool.submit("long", release.wait)
        pool.submit("short", second_ran.set)
        assert second_ran.wait(2.0), "the short call waited for the long one to end"
        assert pool.threads == 2
    finally:
        release.set()
        pool.stop(2.0)


def test_no_more_threads_than_max_workers_and_the_rest_wait_in_order() -> None:
    pool: WorkerPool[int] = WorkerPool(2, idle_seconds=5.0, name="test worker")
    release = threading.Event()
    order: list[int] = []
    try:
        pool.submit(0, release.wait)
        pool.submit(1, release.wait)
        for key in (2, 3):
            pool.submit(key, lambda key=key: order.append(key))
        time.sleep(0.2)
        assert pool.threads == 2 and order == []
        assert pool.expire(time.monotonic()) == [2, 3]  # still waiting: taken back
        pool.submit(4, lambda: order.append(4))
        release.set()
        deadline = time.monotonic() + 2.0
        while order != [4] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert order == [4]
    finally:
        release.set()
        pool.stop(2.0)


def test_idle_workers_are_reused_and_end_when_idle() -> None:
    pool: WorkerPool[int] = WorkerPool(8, idle_seconds=0.3, name="test worker")
    done = threading.Semaphore(0)
    try:
        for key in range(5):
            pool.submit(key, done.release)
            assert done.acquire(timeout=2.0)
            time.sleep(0.02)  # the worker is idle again before the next call
        assert pool.threads == 1
        deadline = time.monotonic() + 3.0
        while pool.threads and time.monotonic() < deadline:
            time.sleep(0.05)
        assert pool.threads == 0
    finally:
        pool.stop(2.0)
