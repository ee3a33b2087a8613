"""Manual (3-click) centring of the diffractometer, as one state machine."""

from __future__ import annotations

import enum
import logging
import math
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, SupportsFloat, SupportsIndex, TypeVar

from hardware_objects.abstract.motor import AbstractMotor
from mxgui.core.centring import (
    CentredPosition,
    CentringError,
    Click,
    centre_from_clicks,
    check_angles,
)
from mxgui.core.errors import Refused
from mxgui.core.futures import all_of, attempt, done, then

if TYPE_CHECKING:
    from mxgui.core.centring import ImageGeometry

__all__ = ["CentringCancelled", "CentringState", "ManualCentringMixin", "finite_click"]

S = TypeVar("S")
T = TypeVar("T")

log = logging.getLogger(__name__)


class CentringState(enum.Enum):
    """Where a manual centring is: one state, no flags."""

    IDLE = "idle"  # no centring
    STARTING = "starting"  # waiting for the phase change or a restore to end
    WAITING_CLICK = "waiting for a click"
    MOVING = "moving"  # rotating omega, or moving to the centred position
    CENTRED = "centred"  # result reached: accept or reject it


class CentringCancelled(RuntimeError):
    """The centring step was cancelled (the Future of a step that never finished)."""


@dataclass
class _Session:
    n_clicks: int
    angle_step: float
    state: CentringState = CentringState.STARTING
    start: dict[str, float] | None = None
    clicks: list[Click] = field(default_factory=list)
    result: CentredPosition | None = None
    cancelled: bool = False


def finite_click(x: object, y: object) -> tuple[float, float]:
    """``(x, y)`` of an image point as two finite floats, or ``ValueError`` saying why not
    (any value may come in: a click, an XML-RPC argument)."""
    not_numbers = ValueError(f"an image point is two numbers, got ({x!r}, {y!r})")
    numbers = (str, bytes, SupportsFloat, SupportsIndex)
    if not (isinstance(x, numbers) and isinstance(y, numbers)):
        raise not_numbers
    try:
        x_mm, y_mm = float(x), float(y)
    except (TypeError, ValueError):
        raise not_numbers from None
    if not (math.isfinite(x_mm) and math.isfinite(y_mm)):
        raise ValueError(f"an image point must be finite, got ({x_mm}, {y_mm})")
    return x_mm, y_mm


class ManualCentringMixin:
    """Manual centring, a base of the diffractometer (``AbstractDiffractometer``).

    :meth:`start_manual_centring`, then one :meth:`image_clicked` per click, each
    returning a Future; the next click is taken once the Future of the previous step
    is done. Then :meth:`accept_centring` or :meth:`reject_centring`;
    :meth:`cancel_centring` at any time. It emits ``centringStarted``,
    ``centringClickAccepted``, ``centringSuccessful``, ``centringFailed`` and
    ``centringAccepted`` (declared by the diffractometer).

    The class it is mixed into provides ``name``, ``emit``, ``motor``,
    ``get_positions``, ``get_image_geometry``, ``move_motors``, ``stop`` and
    ``_enter_centring_phase``; the mixin keeps the accepted result
    (:meth:`get_centred_position`).
    """

    if TYPE_CHECKING:  # what the diffractometer it is mixed into provides
        name: str

        def emit(self, signal: str, *args: object) -> None: ...

        def motor(self, role: str) -> AbstractMotor: ...

        def get_positions(self) -> dict[str, float]: ...

        def get_image_geometry(self) -> ImageGeometry: ...

        def move_motors(
            self, positions: Mapping[str, float], timeout: float | None = 0
        ) -> Future[Any]: ...

        def stop(self) -> None: ...

        def _enter_centring_phase(self) -> Future[Any]: ...

    def __init__(self, name: str) -> None:
        super().__init__(name)  # type: ignore[call-arg]  # the diffractometer's base takes it
        self._lock = threading.RLock()
        self._session: _Session | None = None
        self._restoring: Future[Any] = done()
        self._centred_position: CentredPosition | None = None

    def get_centred_position(self) -> CentredPosition | None:
        """The last accepted centred position."""
        return self._centred_position

    def get_centring_state(self) -> CentringState:
        """Where the manual centring is."""
        with self._lock:
            return self._session.state if self._session else CentringState.IDLE

    def start_manual_centring(self, n_clicks: int = 3, angle_step: float = 90.0) -> Future[Any]:
        """Begin a centring of ``n_clicks`` clicks, omega turning ``angle_step`` between them.

        Changes to the Centring phase first if needed. The Future ends when the first
        click can be taken. ``ValueError`` for angles that cannot centre (fewer than 3
        clicks, steps of 180 degrees) and ``RuntimeError`` while a centring runs.
        """
        if isinstance(n_clicks, bool) or int(n_clicks) != n_clicks:
            raise ValueError(f"n_clicks must be an integer, got {n_clicks!r}")
        n_clicks, angle_step = int(n_clicks), float(angle_step)
        try:
            check_angles([i * angle_step for i in range(n_clicks)])
        except CentringError as exc:
            raise ValueError(f"{self.name}: {exc}") from None
        with self._lock:
            if self._session is not None:
                raise Refused(
                    f"{self.name}: a centring is already in progress "
                    f"({self._session.state.value}): cancel it first"
                )
            session = self._session = _Session(n_clicks, angle_step)
            waits = [self._restoring]
        waits.append(attempt(self._enter_centring_phase))

        def ready(_ended: Future[None]) -> None:
            for waited in waits:
                waited.result()
            with self._lock:
                self._check_session(session)
                session.start = self.get_positions()
                session.state = CentringState.WAITING_CLICK

        future = self._step(session, all_of(waits), ready)
        self.emit("centringStarted", "manual", n_clicks)
        return future

    def image_clicked(self, x: float, y: float) -> Future[Any]:
        """Take a centring click at image ``(x, y)`` (pixels).

        After each click but the last, omega turns by the angle step; after the last,
        the centred position is computed and reached, and ``centringSuccessful`` is
        emitted. The Future ends with the click number, or with the
        :class:`CentredPosition` after the last click. ``RuntimeError`` when no
        centring waits for a click (wait for the previous step's Future).
        """
        x, y = finite_click(x, y)
        with self._lock:
            session = self._session
            if session is None:
                raise Refused(f"{self.name}: no centring in progress: start one first")
            if session.state is not CentringState.WAITING_CLICK:
                raise Refused(
                    f"{self.name}: not waiting for a click (the centring is "
                    f"{session.state.value}): wait until the previous step has ended"
                )
            positions = self.get_positions()
            session.clicks.append(Click(x, y, positions, self.get_image_geometry()))
            number = len(session.clicks)
            session.state = CentringState.MOVING
        self.emit("centringClickAccepted", number, x, y)
        if number < session.n_clicks:
            phi = self.motor("phi")
            inner = attempt(lambda: phi.set_value(positions["phi"] + session.angle_step))

            def rotated(ended: Future[object]) -> int:
                ended.result()
                with self._lock:
                    self._check_session(session)
                    session.state = CentringState.WAITING_CLICK
                return number

            return self._step(session, inner, rotated)

        inner = attempt(lambda: self.move_motors(centre_from_clicks(session.clicks)))

        def centred(ended: Future[object]) -> CentredPosition:
            ended.result()
            with self._lock:
                self._check_session(session)
                result = CentredPosition.from_dict(self.get_positions())
                session.result = result
                session.state = CentringState.CENTRED
            self.emit("centringSuccessful", result)
            return result

        return self._step(session, inner, centred)

    def accept_centring(self) -> CentredPosition:
        """Keep the centring result as the current centred position; emit ``centringAccepted``."""
        with self._lock:
            session = self._session
            result = None if session is None else session.result
            if session is None or session.state is not CentringState.CENTRED or result is None:
                raise Refused(f"{self.name}: no centring result to accept")
            self._session = None
            self._centred_position = result
        self.emit("centringAccepted", result)
        return result

    def reject_centring(self) -> Future[Any]:
        """Drop the centring result and move back to where the centring started."""
        with self._lock:
            session = self._session
            if session is None or session.state is not CentringState.CENTRED:
                raise Refused(f"{self.name}: no centring result to reject")
        return self._end(session, "rejected")

    def cancel_centring(self) -> Future[Any]:
        """Stop the centring at any point, move back to the start; ``centringFailed("cancelled")``.

        Without a centring in progress, nothing happens (the Future is already done).
        """
        with self._lock:
            session = self._session
        if session is None:
            return done()
        return self._end(session, "cancelled")

    def _drop_centring(self) -> None:
        """Forget a centring in progress without moving back (on shutdown)."""
        with self._lock:
            if self._session is not None:
                self._session.cancelled = True
                self._session = None

    def _refuse_during_centring(self, what: str) -> None:
        with self._lock:
            if self._session is not None:
                raise Refused(
                    f"{self.name}: cannot {what} during a centring "
                    f"({self._session.state.value}): accept, reject or cancel it first"
                )

    def _end(self, session: _Session, reason: str) -> Future[Any]:
        with self._lock:
            if self._session is not session:
                return done()
            session.cancelled = True
            self._session = None
        self.stop()
        start = session.start
        restore = done() if start is None else attempt(lambda: self.move_motors(start))
        with self._lock:
            self._restoring = restore
        self.emit("centringFailed", reason)
        return restore

    def _check_session(self, session: _Session) -> None:
        if session.cancelled or self._session is not session:
            raise CentringCancelled("the centring was cancelled")

    def _step(
        self, session: _Session, inner: Future[S], on_done: Callable[[Future[S]], T]
    ) -> Future[T]:
        """Run ``on_done`` when ``inner`` ends; a failure ends the centring with its reason."""

        def finish(ended: Future[S]) -> T:
            try:
                return on_done(ended)
            except CentringCancelled:
                raise
            except Exception as exc:
                if session.cancelled:
                    raise CentringCancelled("the centring was cancelled") from exc
                self._fail(session, str(exc) or type(exc).__name__)
                raise

        return then(inner, finish)

    def _fail(self, session: _Session, reason: str) -> None:
        with self._lock:
            if self._session is not session:
                return
            session.cancelled = True
            self._session = None
        log.warning("%s: centring failed: %s", self.name, reason)
        self.emit("centringFailed", reason)
