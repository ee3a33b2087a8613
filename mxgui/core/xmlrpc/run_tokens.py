"""Tokens granted for the duration of one workflow run, besides the server's own token.

A workflow engine outside mxgui (the BES engine) hands each run a token of its own, as
mxcubecore does: the run's callers send it in the ``Token`` header, and the server
accepts it from the moment it is granted (before the run is asked to start) until it is
revoked (the run's end, whatever the end). The server's own token keeps working; a run
token is accepted only where a token is asked for at all, and only while granted.
Each accepted call tells the run (``on_call``): the engine knows its workflow is alive.
"""

from __future__ import annotations

import hmac
import logging
import threading
from collections.abc import Callable
from typing import Protocol, runtime_checkable

log = logging.getLogger(__name__)

#: a shorter token is refused: a run token must be as hard to guess as the server's
MIN_TOKEN_LENGTH = 16
#: at most this many runs hold a token at once (one runs at a time; the rest is slack)
MAX_TOKENS = 16


class RunTokens:
    """The run tokens a server accepts now (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, Callable[[], None] | None] = {}

    def grant(self, token: str, on_call: Callable[[], None] | None = None) -> None:
        """Accept ``token`` until :meth:`revoke`; ``on_call()`` on each call carrying it.

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
            self._tokens[token] = on_call

    def revoke(self, token: str) -> None:
        """Stop accepting ``token`` (nothing if it is not granted)."""
        with self._lock:
            self._tokens.pop(token, None)

    def accepts(self, given: str) -> bool:
        """Whether ``given`` is a granted token; its run is told of the call."""
        with self._lock:
            candidates = list(self._tokens.items())
        match: Callable[[], None] | None = None
        found = False
        for token, on_call in candidates:  # every one compared: no early exit to time
            if hmac.compare_digest(given.encode(), token.encode()):
                found, match = True, on_call
        if found and match is not None:
            try:
                match()
            except Exception:  # the run's bug must not refuse the call
                log.exception("run token: the run's call hook failed")
        return found

    def __len__(self) -> int:
        with self._lock:
            return len(self._tokens)


@runtime_checkable
class RunTokenIssuer(Protocol):
    """A server that accepts run tokens (the XML-RPC server hardware object)."""

    def grant_run_token(self, token: str, on_call: Callable[[], None] | None = None) -> None: ...

    def revoke_run_token(self, token: str) -> None: ...
