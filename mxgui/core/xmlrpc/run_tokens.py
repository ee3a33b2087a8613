"""Tokens granted for the duration of one workflow run, besides the server's own token.

A workflow engine outside mxgui (the BES engine, the ewoksjob engine) hands each run a
token of its own, as mxcubecore does: the run's callers send it in the ``Token`` header,
and the server accepts it from the moment it is granted (before the run is asked to
start) until it is revoked (the run's end, whatever the end: :class:`RunTokenGrant`).
The server's own token keeps working; a run token is accepted only where a token is asked
for at all, and only while granted.

Checking a token (:meth:`RunTokens.accepts`) has no side effect. A request that passed
every check and is being served tells its run (:meth:`RunTokens.serving`, around the
dispatch): :class:`RunCalls` counts the run's calls and those still in progress, so the
engine knows its workflow is alive while one of its calls (a dialog, a collection) lasts.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Protocol, TypeVar, runtime_checkable

from mxgui.core.xmlrpc.token_file import new_token

log = logging.getLogger(__name__)
T = TypeVar("T")

#: a shorter token is refused: a run token must be as hard to guess as the server's
MIN_TOKEN_LENGTH = 16
#: at most this many runs hold a token at once (one runs at a time; the rest is slack)
MAX_TOKENS = 16


class RunCalls:
    """The calls a run made with its token, as the server served them (thread-safe).

    :attr:`calls` counts calls served; :attr:`in_flight` those being served now. A run
    is silent only while none is in flight: :meth:`silent_for` is 0 meanwhile, and the
    silence restarts when a call starts or ends, or on :meth:`alive` (another sign of
    life, a STATUS answer say).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.in_flight = 0
        self._last_sign = time.monotonic()

    def started(self) -> None:
        """A call with the run's token is being served."""
        with self._lock:
            self.calls += 1
            self.in_flight += 1
            self._last_sign = time.monotonic()

    def ended(self) -> None:
        """That call has been answered."""
        with self._lock:
            self.in_flight -= 1
            self._last_sign = time.monotonic()

    def alive(self) -> None:
        """A sign of life that is not a call: the silence restarts."""
        with self._lock:
            self._last_sign = time.monotonic()

    def silent_for(self) -> float:
        """Seconds since the last sign of life; 0 while a call is in flight."""
        with self._lock:
            if self.in_flight > 0:
                return 0.0
            return time.monotonic() - self._last_sign


class RunTokens:
    """The run tokens a server accepts now (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, RunCalls | None] = {}

    def grant(self, token: str, calls: RunCalls | None = None) -> None:
        """Accept ``token`` until :meth:`revoke`; its served calls are told to ``calls``.

        ``ValueError`` for a token shorter than :data:`MIN_TOKEN_LENGTH`, one granted
        already, or more than :data:`MAX_TOKENS` at once.
        """
        if len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"a run token needs {MIN_TOKEN_LENGTH} characters or more")
        with self._lock:
            if token in self._tokens:
                raise ValueError("this run token is granted already")
            if len(self._tokens) >= MAX_TOKENS:
                raise ValueError(f"{MAX_TOKENS} run tokens are granted already")
            self._tokens[token] = calls

    def revoke(self, token: str) -> None:
        """Stop accepting ``token`` (nothing if it is not granted)."""
        with self._lock:
            self._tokens.pop(token, None)

    def _find(self, given: str) -> tuple[bool, RunCalls | None]:
        with self._lock:
            candidates = list(self._tokens.items())
        found, match = False, None
        for token, calls in candidates:  # every one compared: no early exit to time
            if hmac.compare_digest(given.encode(), token.encode()):
                found, match = True, calls
        return found, match

    def accepts(self, given: str) -> bool:
        """Whether ``given`` is a granted token (no side effect: a check, not a call)."""
        return self._find(given)[0]

    @contextlib.contextmanager
    def serving(self, given: str) -> Iterator[None]:
        """Around the dispatch of a request that carries ``given``: its run (if ``given``
        is granted) counts the call as in flight until the answer is ready."""
        calls = self._find(given)[1]
        if calls is None:
            yield
            return
        calls.started()
        try:
            yield
        finally:
            calls.ended()

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)


@runtime_checkable
class RunTokenIssuer(Protocol):
    """A server that accepts run tokens (the XML-RPC server hardware object)."""

    def grant_run_token(self, token: str, calls: RunCalls | None = None) -> None: ...

    def revoke_run_token(self, token: str) -> None: ...


class RunTokenGrant:
    """One run's own token on ``issuer``: a new token granted at once (before the run is
    asked to start; ``ValueError`` from the issuer when it refuses it), revoked once by
    :meth:`revoke` or when the future given to :meth:`revoke_when_done` ends - whatever
    the end. The engines of workflows outside mxgui (BES, ewoksjob) all take theirs here.
    """

    def __init__(self, issuer: RunTokenIssuer) -> None:
        self.token = new_token()
        #: the run's calls as the server served them (signs of life for the engine)
        self.calls = RunCalls()
        self._issuer = issuer
        self._lock = threading.Lock()
        self._revoked = False
        issuer.grant_run_token(self.token, self.calls)

    def revoke(self) -> None:
        """Stop the server accepting the token (once; later calls do nothing)."""
        with self._lock:
            if self._revoked:
                return
            self._revoked = True
        try:
            self._issuer.revoke_run_token(self.token)
        except Exception:  # the run still ends; a token left granted is said loudly
            log.exception("the run token could not be revoked")

    def revoke_when_done(self, future: Future[T]) -> None:
        """Revoke the token as soon as ``future`` (the run's) ends."""
        future.add_done_callback(lambda _ended: self.revoke())
