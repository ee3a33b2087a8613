"""Helpers to build and chain :class:`concurrent.futures.Future` objects.

Hardware objects start slow operations in worker threads and hand back a Future (see
docs/contracts.md, Concurrency). These helpers compose such Futures without blocking: a
Future that is already finished, one that ends when another has ended, one that ends
when several have, and the ``timeout`` convention of ``set_value`` and its kin.

The Futures made by :func:`then` and :func:`all_of` are running from the start: their
holder cannot cancel them (stop the action that they follow instead).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError, Future
from typing import Any, TypeVar, overload

__all__ = ["all_of", "attempt", "done", "failed", "then", "wait"]

T = TypeVar("T")
S = TypeVar("S")


@overload
def done() -> Future[None]: ...
@overload
def done(value: T) -> Future[T]: ...
def done(value: object = None) -> Future[Any]:
    """A Future already finished with ``value``.

    Parameters
    ----------
    value
        The result of the Future.
    """
    future: Future[Any] = Future()
    future.set_result(value)
    return future


def failed(error: BaseException) -> Future[Any]:
    """A Future already finished with the exception ``error`` (it stands for a Future of
    any result type)."""
    future: Future[Any] = Future()
    future.set_exception(error)
    return future


def attempt(start: Callable[[], Future[T]]) -> Future[T]:
    """``start()``, or a failed Future holding what it raised.

    For a step that must always hand back a Future, even when the call refuses at
    once (a ``ValueError`` for a target out of limits, say).
    """
    try:
        return start()
    except Exception as exc:
        return failed(exc)


def then(inner: Future[S], on_done: Callable[[Future[S]], T]) -> Future[T]:
    """A Future that ends with ``on_done(inner)`` once ``inner`` has ended.

    Parameters
    ----------
    inner
        The Future to follow.
    on_done
        Called with ``inner`` once it has ended, in the thread that ended it (or at
        once if it already has). What it returns is the result of the new Future; what
        it raises (``inner.result()`` re-raises ``inner``'s exception) is its exception.

    Returns
    -------
    Future
        A running Future that ends after ``on_done`` has.
    """
    outer: Future[T] = Future()
    outer.set_running_or_notify_cancel()

    def finish(ended: Future[S]) -> None:
        try:
            result = on_done(ended)
        except Exception as exc:
            outer.set_exception(exc)
        else:
            outer.set_result(result)

    inner.add_done_callback(finish)
    return outer


def all_of(
    futures: Sequence[Future[Any]], on_failure: Callable[[], None] | None = None
) -> Future[None]:
    """A Future that ends with ``None`` once every one of ``futures`` has ended.

    It fails with the exception of the first of ``futures`` to fail (a cancelled one
    fails it with ``CancelledError``), as soon as that one ends, calling
    ``on_failure()`` first (to stop the others, for example). With no futures it has
    already ended.

    Parameters
    ----------
    futures
        The Futures to wait for.
    on_failure
        Called once, in the thread that ended the first failing Future.
    """
    combined: Future[None] = Future()
    combined.set_running_or_notify_cancel()
    pending = len(futures)
    resolved = False
    lock = threading.Lock()

    def one_done(ended: Future[Any]) -> None:
        nonlocal pending, resolved
        error = CancelledError() if ended.cancelled() else ended.exception()
        with lock:
            pending -= 1
            if resolved or (error is None and pending > 0):
                return
            resolved = True  # only one callback resolves it, outside the lock
        if error is None:
            combined.set_result(None)
            return
        if on_failure is not None:
            on_failure()
        combined.set_exception(error)

    for future in futures:
        future.add_done_callback(one_done)
    if not futures:
        combined.set_result(None)
    return combined


def wait(future: Future[T], timeout: float | None = 0) -> Future[T]:
    """Return ``future``, after waiting for it as ``timeout`` says.

    The convention of ``set_value(value, timeout=0)`` and the other calls that start
    an action: ``0`` returns at once, ``None`` waits until the end, a number waits at
    most that many seconds.

    Raises
    ------
    TimeoutError
        When the future has not ended within ``timeout`` seconds.
    Exception
        The future's own exception, when it failed while waited for.
    """
    if timeout != 0:
        future.result(timeout)
    return future
