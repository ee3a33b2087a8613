"""A channel bound to a PV of another kind (text where a number belongs): a FAULT that
stays, named with the channel's file:line."""

from __future__ import annotations

import logging

from mxgui.core.channels import Channel
from mxgui.core.hardware_object import HardwareObject, HardwareObjectState

log = logging.getLogger(__name__)


class PvTypeFault(HardwareObject):
    """Put it before the interface (``class EpicsMotor(PvTypeFault, AbstractMotor)``).

    :meth:`wrong_type` puts the object in FAULT for good (the file must change), logs
    the reason once, and :meth:`startup_problems` (what ``mxgui --check`` prints) names
    it; :attr:`type_problem` tells the class's own state logic to stay in FAULT.
    """

    type_problem = ""

    def wrong_type(self, channel: Channel, error: TypeError) -> str:
        """Record that ``channel`` gave a value of the wrong kind; return the reason."""
        reason = f"{channel.spec.where}: {error} (expected by {type(self).__name__})"
        if not self.type_problem:
            self.type_problem = reason
            log.error("%s: %s", self.name, reason)
        self.set_state(HardwareObjectState.FAULT)
        return reason

    def startup_problems(self) -> list[str]:
        problems = super().startup_problems()
        return [*problems, self.type_problem] if self.type_problem else problems
