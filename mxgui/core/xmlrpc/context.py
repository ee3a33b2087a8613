"""What the XML-RPC methods share: the beamline's objects by role, GUI handlers, waits."""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Literal, TypeVar, overload

from mxgui.core.roles import (
    BeamRole,
    CollectRole,
    DiffractometerRole,
    FluxRole,
    QueueRole,
    ResolutionRole,
    SampleCameraRole,
    SessionRole,
    ShapesRole,
    WorkflowClientRole,
)
from mxgui.core.xmlrpc.dialog_turns import DialogTurns
from mxgui.core.xmlrpc.dispatch import Unavailable

log = logging.getLogger(__name__)

#: seconds ``open_dialog`` waits for the user when neither the dialog nor the XML sets it
DEFAULT_DIALOG_TIMEOUT = 600.0
#: seconds between two looks at whether the caller of a long wait is still there
ABANDON_POLL = 0.25

T = TypeVar("T")


class OperationFailed(Unavailable):
    """A hardware operation (a move, an aperture change...) failed; says why."""


class CallerGone(Unavailable):
    """The caller stopped waiting (it disconnected): what it waited for was cancelled."""


class ServiceContext:
    """The roles the methods reach, the handlers the GUI installed, and waiting.

    The object of a role is typed by the role's protocol (``mxgui.core.roles``): the
    server's XML names which object plays it, and the tests check that each object of
    the simulated beamline satisfies its protocol.

    Parameters
    ----------
    roles
        ``roles(name)`` is the object under role ``name`` or ``None``.
    move_timeout
        Seconds a method waits for a move, an aperture or a zoom change.
    dialog_timeout
        Seconds ``open_dialog`` waits for the user when the dialog sets none
        (0: until the caller disconnects).
    """

    def __init__(
        self,
        roles: Callable[[str], object | None],
        move_timeout: float = 120.0,
        dialog_timeout: float = DEFAULT_DIALOG_TIMEOUT,
        snapshot_timeout: float = 30.0,
    ) -> None:
        self._roles = roles
        self.move_timeout = move_timeout
        self.dialog_timeout = dialog_timeout
        self.snapshot_timeout = snapshot_timeout
        self._handlers: dict[str, Callable[..., Future[Any]]] = {}
        self._lock = threading.Lock()
        self._stopping: Future[None] = Future()
        #: one workflow dialog open at a time
        self.dialog_turns = DialogTurns()

    # objects -------------------------------------------------------------------------------
    @overload
    def role(self, name: Literal["queue"]) -> QueueRole: ...
    @overload
    def role(self, name: Literal["diffractometer"]) -> DiffractometerRole: ...
    @overload
    def role(self, name: Literal["shapes"]) -> ShapesRole: ...
    @overload
    def role(self, name: Literal["beam"]) -> BeamRole: ...
    @overload
    def role(self, name: Literal["flux"]) -> FluxRole: ...
    @overload
    def role(self, name: Literal["session"]) -> SessionRole: ...
    @overload
    def role(self, name: Literal["collect"]) -> CollectRole: ...
    @overload
    def role(self, name: Literal["resolution"]) -> ResolutionRole: ...
    @overload
    def role(self, name: Literal["sample_camera"]) -> SampleCameraRole: ...
    @overload
    def role(self, name: Literal["workflow"]) -> WorkflowClientRole: ...
    @overload
    def role(self, name: str) -> object: ...
    def role(self, name: str) -> object:
        """The object under role ``name``; :class:`Unavailable` naming the role if none."""
        obj = self._roles(name)
        if obj is None:
            raise Unavailable(
                f"this beamline has no {name} (role {name!r} of the XML-RPC server's XML "
                "is missing or failed to load)"
            )
        return obj

    @overload
    def optional(self, name: Literal["beam"]) -> BeamRole | None: ...
    @overload
    def optional(self, name: Literal["sample_camera"]) -> SampleCameraRole | None: ...
    @overload
    def optional(self, name: str) -> object | None: ...
    def optional(self, name: str) -> object | None:
        """The object under role ``name``, or ``None``."""
        return self._roles(name)

    # GUI handlers -------------------------------------------------------------------------
    def set_handler(self, name: str, handler: Callable[..., Future[Any]] | None) -> None:
        """Install ``handler`` for ``name`` (``None`` removes it)."""
        with self._lock:
            if handler is None:
                self._handlers.pop(name, None)
            else:
                self._handlers[name] = handler

    def remove_handler(self, name: str, handler: Callable[..., Future[Any]]) -> None:
        """Remove ``handler`` if it is the one installed for ``name``."""
        with self._lock:
            if self._handlers.get(name) == handler:
                del self._handlers[name]

    def handler(self, name: str) -> Callable[..., Future[Any]] | None:
        """The handler installed for ``name``, or ``None``."""
        with self._lock:
            return self._handlers.get(name)

    # waiting ---------------------------------------------------------------------------------
    @property
    def stopping(self) -> bool:
        return self._stopping.done()

    def stop(self) -> None:
        """End every wait now (the server is shutting down)."""
        if not self._stopping.done():
            self._stopping.set_result(None)

    def wait(
        self,
        future: Future[T],
        timeout: float | None,
        what: str,
        abandoned: Callable[[], bool] | None = None,
    ) -> T:
        """The result of ``future``, waiting at most ``timeout`` s (``None``: for ever).

        ``abandoned()``, when given, is asked every :data:`ABANDON_POLL` s; once it is
        true the wait ends (the caller has gone, nobody would read the result).

        Raises
        ------
        TimeoutError
            naming ``what`` when it has not ended in time (the future is cancelled,
            which stops what has not started).
        OperationFailed
            with the reason when the future failed or was cancelled.
        Unavailable
            when the server shuts down meanwhile.
        CallerGone
            when ``abandoned()`` became true (the future is cancelled).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        either: list[Future[Any]] = [future, self._stopping]
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            step = left
            if abandoned is not None:
                step = ABANDON_POLL if left is None else min(left, ABANDON_POLL)
            concurrent.futures.wait(either, step, return_when=concurrent.futures.FIRST_COMPLETED)
            if abandoned is None or future.done() or self._stopping.done():
                break
            if left is not None and step is not None and left <= step:  # deadline passed
                break
            if abandoned():
                future.cancel()
                raise CallerGone(f"{what}: the caller disconnected; {what} was withdrawn")
        if not future.done():
            future.cancel()
            if self._stopping.done():
                raise Unavailable(f"{what}: the XML-RPC server is shutting down")
            raise TimeoutError(f"{what} did not end within {timeout:g} s")
        if future.cancelled():
            raise OperationFailed(f"{what} was cancelled")
        error = future.exception()
        if error is not None:
            raise OperationFailed(f"{what} failed: {error}")
        return future.result()
