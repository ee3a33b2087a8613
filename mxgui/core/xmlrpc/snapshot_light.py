"""The back light for snapshots (mxcubecore's ``handle_light``), shared by every caller.

Several workflows may take snapshots at once (the server answers calls in parallel).
One :class:`SnapshotLight` per server counts the snapshots under way: the first one
turns an off back light on (and waits for the camera to show it lit), later ones take
their picture in that light, and the last one to finish turns it off again. So no
snapshot sees a light half-way up, and none is taken after another caller has turned
the light off.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from mxgui.core.hardware_object import HardwareObject
from mxgui.core.roles import ActuatorRole
from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.dispatch import Unavailable

#: the user's log (the GUI's log shows it, as ``log_message``'s)
user_log = logging.getLogger("mxgui.workflow")
#: the back light level (%) a snapshot is taken at when the light is off
SNAPSHOT_BACKLIGHT = 50.0
#: a light within this of :data:`SNAPSHOT_BACKLIGHT` (%) is still as the snapshot set it
LEVEL_TOLERANCE = 0.5


class SnapshotLight:
    """Lights the sample while snapshots are taken, for all callers together.

    Parameters
    ----------
    ctx
        The server's context (waiting for the light, the move timeout).
    settled
        Called once the light is on, to wait until the camera shows it.
    """

    def __init__(self, ctx: ServiceContext, settled: Callable[[], None]) -> None:
        self.ctx = ctx
        self._settled = settled
        self._lock = threading.Lock()
        self._users = 0
        #: the level to go back to once the last user leaves (None: the light was
        #: left as it was, nothing to undo)
        self._restore: float | None = None

    @contextmanager
    def lit(self, light: object) -> Iterator[None]:
        """Within the block the sample is lit by ``light`` (the back light, or ``None``
        when the diffractometer has none) if it was off."""
        with self._lock:
            if self._users == 0:
                self._restore = self._turn_on(light)
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0 and self._restore is not None:
                    restore, self._restore = self._restore, None
                    self._turn_off(light, restore)

    def _turn_on(self, light: object) -> float | None:
        """Turn ``light`` on if it is off and may be touched; the level to restore.
        If turning it on fails or times out, it is put back before the error goes on."""
        if not isinstance(light, ActuatorRole):
            return None
        level = _level(light)
        if level is None or level > 0:
            return None
        running = light.interlock.holder if isinstance(light, HardwareObject) else None
        if running is not None:
            user_log.warning(
                "snapshot: the back light is off and was left off: %s is running", running
            )
            return None
        issued = False
        try:
            turning = light.set_value(SNAPSHOT_BACKLIGHT)
            issued = True
            self.ctx.wait(turning, self.ctx.move_timeout, "the back light")
            self._settled()
        except BaseException:
            if issued:
                self._put_back(light, level)
            raise
        return level

    def _turn_off(self, light: object, level: float) -> None:
        """Put ``light`` back to ``level``, unless someone set it to another level
        meanwhile (the user's change stays)."""
        if not isinstance(light, ActuatorRole):
            return
        now = _level(light)
        if now is not None and abs(now - SNAPSHOT_BACKLIGHT) > LEVEL_TOLERANCE:
            user_log.info("snapshot: the back light was set to %g meanwhile; left there", now)
            return
        restoring = light.set_value(level)
        self.ctx.wait(restoring, self.ctx.move_timeout, "the back light going off")

    def _put_back(self, light: ActuatorRole, level: float) -> None:
        """After a failed turn-on: the light back to ``level``; a failure is logged (the
        turn-on's error is the one the caller gets)."""
        try:
            self.ctx.wait(light.set_value(level), self.ctx.move_timeout, "the back light")
        except (TimeoutError, Unavailable, ValueError) as exc:
            user_log.warning("snapshot: the back light could not be put back to %g: %s", level, exc)


def _level(light: ActuatorRole) -> float | None:
    """The light's level in %; ``None`` when unknown or not a level (mxcubecore's
    in/out back lights: ``"in"``, ``"out"``), which is logged: such a light is left as
    it is."""
    value = light.get_value()
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        user_log.info(
            "snapshot: the back light %s is %r, not a level; mxgui leaves it as it is",
            light.username,
            value,
        )
        return None
