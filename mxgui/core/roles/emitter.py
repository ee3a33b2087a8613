"""What a signal source offers its listeners (``mxgui.core.signals.SignalEmitter``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Emitter(Protocol):
    """An object whose named signals callbacks connect to (any thread may emit)."""

    def connect(self, signal: str, callback: Callable[..., object]) -> None: ...

    def disconnect(self, signal: str, callback: Callable[..., object]) -> None: ...
