"""3-click centring as the user drives it from the sample view."""

from __future__ import annotations

import enum
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from typing import Any

from PyQt5.QtCore import QObject, pyqtSignal

from mxgui.core.centring import CentredPosition
from mxgui.gui.bridge import GuiBridge


class CentringStep(enum.Enum):
    """Where the centring started from this view is."""

    IDLE = "no centring"
    STARTING = "starting"
    WAITING_CLICK = "waiting for a click"
    TURNING = "turning"
    MOVING = "moving the crystal to the beam"
    CENTRED = "centred: accept or reject"


class CentringWorkflow(QObject):
    """Start, three clicks with the turns between them, accept or reject, cancel.

    Drives the diffractometer's manual centring (``start_manual_centring``,
    ``image_clicked``, ``accept_centring``, ``reject_centring``, ``cancel_centring``)
    and never waits for it: each step's Future reports back on the GUI thread through
    the bridge. Clicks are taken only while the diffractometer waits for one; a click
    during a turn is refused with a message, never queued.

    Signals: ``stepChanged(CentringStep)``, ``messagePosted(text)`` (a problem),
    ``newsPosted(text)`` (true for a moment: "Centring cancelled"),
    ``marksChanged(points)`` (the clicks of this centring, image pixels),
    ``centringAccepted(CentredPosition)``, ``centringEnded(reason)`` (``accepted``,
    ``rejected``, ``cancelled`` or ``failed``).
    """

    stepChanged = pyqtSignal(object)
    messagePosted = pyqtSignal(str)
    newsPosted = pyqtSignal(str)
    marksChanged = pyqtSignal(list)
    centringAccepted = pyqtSignal(object)
    centringEnded = pyqtSignal(str)

    def __init__(self, bridge: GuiBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.diffractometer: Any = None
        self.n_clicks = 3
        self.angle_step = 90.0
        self.step = CentringStep.IDLE
        self.marks: list[tuple[float, float]] = []
        self._generation = 0
        self.closed = False

    # state ------------------------------------------------------------------------------------
    def _set_step(self, step: CentringStep) -> None:
        if step is not self.step:
            self.step = step
            self.stepChanged.emit(step)

    def status(self) -> str:
        """What the user should do now, for the mode line."""
        if self.step is CentringStep.WAITING_CLICK:
            return f"click the crystal ({len(self.marks) + 1} of {self.n_clicks})"
        if self.step is CentringStep.TURNING:
            return f"turning omega by {self.angle_step:g} degrees: wait"
        return self.step.value

    def _end(self, reason: str) -> None:
        self._generation += 1
        self.marks = []
        self.marksChanged.emit([])
        self._set_step(CentringStep.IDLE)
        self.centringEnded.emit(reason)

    def _when_done(self, future: Future, handler: Callable[[Future], None]) -> None:
        """Run ``handler(future)`` on the GUI thread once ``future`` has ended, unless
        the centring ended or the view closed in between."""
        generation = self._generation

        def relay(ended: Future) -> None:
            self.bridge.post(deliver, ended)

        def deliver(ended: Future) -> None:
            if not self.closed and generation == self._generation:
                handler(ended)

        future.add_done_callback(relay)

    @staticmethod
    def _error(future: Future) -> BaseException | None:
        return CancelledError() if future.cancelled() else future.exception()

    def _fail(self, what: str, error: BaseException) -> None:
        self.messagePosted.emit(f"Centring {what}: {error or type(error).__name__}")
        self._end("failed")

    # user actions ---------------------------------------------------------------------------------
    def start(self) -> bool:
        """Begin a centring; False (with a message) when it cannot start."""
        if self.diffractometer is None:
            self.messagePosted.emit("Centring: no diffractometer")
            return False
        if self.step is not CentringStep.IDLE:
            self.messagePosted.emit(f"Centring: already in progress ({self.step.value})")
            return False
        try:
            future = self.diffractometer.start_manual_centring(self.n_clicks, self.angle_step)
        except (ValueError, RuntimeError) as exc:
            self.messagePosted.emit(f"Centring could not start: {exc}")
            return False
        self._generation += 1
        self.marks = []
        self._set_step(CentringStep.STARTING)
        self._when_done(future, self._started)
        return True

    def _started(self, future: Future) -> None:
        error = self._error(future)
        if error is not None:
            self._fail("could not start", error)
            return
        self._set_step(CentringStep.WAITING_CLICK)

    def click(self, x: float, y: float) -> bool:
        """A click on the image at ``(x, y)``; False (with a message) when refused."""
        if self.step is not CentringStep.WAITING_CLICK:
            reason = {
                CentringStep.IDLE: "no centring in progress: press Start first",
                CentringStep.STARTING: "the centring is starting: wait for it",
                CentringStep.TURNING: "the goniometer is turning: click again when it stops",
                CentringStep.MOVING: "the crystal is being moved to the beam: wait",
                CentringStep.CENTRED: "the crystal is centred: accept or reject first",
            }[self.step]
            self.messagePosted.emit(f"Click ignored: {reason}")
            return False
        try:
            future = self.diffractometer.image_clicked(x, y)
        except (ValueError, RuntimeError) as exc:
            self.messagePosted.emit(f"Click refused: {exc}")
            return False
        self.marks.append((x, y))
        self.marksChanged.emit(list(self.marks))
        last = len(self.marks) >= self.n_clicks
        self._set_step(CentringStep.MOVING if last else CentringStep.TURNING)
        self._when_done(future, self._clicked)
        return True

    def _clicked(self, future: Future) -> None:
        error = self._error(future)
        if error is not None:
            self._fail("failed", error)
        elif isinstance(future.result(), CentredPosition):
            self._set_step(CentringStep.CENTRED)
        else:
            self._set_step(CentringStep.WAITING_CLICK)

    def accept(self) -> CentredPosition | None:
        """Keep the result: ``centringAccepted(position)``, then the centring ends."""
        if self.step is not CentringStep.CENTRED:
            self.messagePosted.emit(f"Accept: nothing to accept ({self.step.value})")
            return None
        try:
            position = self.diffractometer.accept_centring()
        except RuntimeError as exc:
            self.messagePosted.emit(f"Accept refused: {exc}")
            return None
        self.centringAccepted.emit(position)
        self._end("accepted")
        return position

    def reject(self) -> None:
        """Drop the result; the diffractometer moves back to where the centring began."""
        if self.step is not CentringStep.CENTRED:
            self.messagePosted.emit(f"Reject: nothing to reject ({self.step.value})")
            return
        try:
            future = self.diffractometer.reject_centring()
        except RuntimeError as exc:
            self.messagePosted.emit(f"Reject refused: {exc}")
            return
        self._end("rejected")
        self._report_move_back(future)

    def cancel(self) -> None:
        """Stop the centring at any step and move back to where it began."""
        if self.step is CentringStep.IDLE:
            return
        future = self.diffractometer.cancel_centring()
        self._end("cancelled")
        self.newsPosted.emit("Centring cancelled: moving back to where it started")
        self._report_move_back(future)

    def _report_move_back(self, future: Future) -> None:
        def report(ended: Future) -> None:
            error = self._error(ended)
            if error is not None and not self.closed:
                self.messagePosted.emit(f"Moving back after the centring failed: {error}")

        future.add_done_callback(lambda ended: self.bridge.post(report, ended))

    # the diffractometer's own signals ------------------------------------------------------------
    def on_centring_failed(self, reason: str) -> None:
        """``centringFailed`` from the diffractometer (a motor fault, say)."""
        if self.step is not CentringStep.IDLE and reason not in ("cancelled", "rejected"):
            self.messagePosted.emit(f"Centring failed: {reason}")
            self._end("failed")

    def close(self) -> None:
        """Drop later reports (the view is going); a centring in progress is cancelled."""
        if self.step is not CentringStep.IDLE and self.diffractometer is not None:
            self.diffractometer.cancel_centring()
        self.closed = True
