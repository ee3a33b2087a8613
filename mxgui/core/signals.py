"""Thread-safe named signals for Qt-free objects.

Each class declares the signals it emits in a ``SIGNALS`` tuple; the declared names of
a class are those of its own ``SIGNALS`` plus those of its bases. Connecting to, or
emitting, an undeclared name raises :class:`UnknownSignalError` at once, so a typo is
found when a brick binds, not at the moment the signal would have fired.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import ClassVar

from mxgui.core.errors import UnknownSignalError

log = logging.getLogger(__name__)

#: a receiver: called with the signal's arguments, its result unused
Callback = Callable[..., object]


class SignalEmitter:
    """Mixin giving ``connect`` / ``disconnect`` / ``emit`` by declared signal name.

    Callbacks run in the emitting thread. A callback that raises is logged with the
    signal name and the emitter, and does not stop the other callbacks.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = ()

    def __init__(self) -> None:
        self._callbacks: dict[str, list[Callback]] = {}
        self._callbacks_lock = threading.Lock()

    @classmethod
    def declared_signals(cls) -> frozenset[str]:
        """All signal names this class may emit (its own and its bases')."""
        names: set[str] = set()
        for klass in cls.__mro__:
            names.update(klass.__dict__.get("SIGNALS", ()))
        return frozenset(names)

    def _check_signal(self, signal: str) -> None:
        if signal not in self.declared_signals():
            raise UnknownSignalError(
                f"{type(self).__name__} has no signal {signal!r}; "
                f"it declares: {', '.join(sorted(self.declared_signals())) or 'none'}"
            )

    def connect(self, signal: str, callback: Callback) -> None:
        """Call ``callback(*args)`` each time ``signal`` is emitted."""
        self._check_signal(signal)
        with self._callbacks_lock:
            callbacks = self._callbacks.setdefault(signal, [])
            if callback not in callbacks:
                callbacks.append(callback)

    def disconnect(self, signal: str, callback: Callback) -> None:
        """Stop calling ``callback`` for ``signal``; unknown pairs are ignored."""
        self._check_signal(signal)
        with self._callbacks_lock:
            callbacks = self._callbacks.get(signal, [])
            if callback in callbacks:
                callbacks.remove(callback)

    def receivers(self, signal: str) -> int:
        """Number of callbacks connected to ``signal``."""
        with self._callbacks_lock:
            return len(self._callbacks.get(signal, ()))

    def emit(self, signal: str, *args: object) -> None:
        """Call every callback connected to ``signal`` with ``args``."""
        self._check_signal(signal)
        with self._callbacks_lock:
            callbacks = list(self._callbacks.get(signal, ()))
        for callback in callbacks:
            try:
                callback(*args)
            except Exception:
                log.exception("%r: a receiver of %r failed", self, signal)
