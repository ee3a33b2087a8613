"""Sample-changer robot actions (sample tracking), recorded as ISPyB stores them.

:class:`RobotRecording` listens to the ``sample_changer`` role of the LIMS object:
each ``robotActionEnded(action)`` (a load or unload that started, at its end: see
:func:`hardware_objects.abstract.sample_changer.robot_action`) becomes one
``robot_action`` operation - written once, at the end, because ISPyB's ``RobotAction``
resets its start time on every update. The sample's ``blSampleId`` is the one the LIMS
gave for its address, when it did.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from hardware_objects.abstract.sample_changer import AbstractSampleChanger
from hardware_objects.role_objects import optional_role_object
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.lims import records
from mxgui.core.lims.recorder import LimsRecorder

log = logging.getLogger(__name__)


class RobotRecording:
    """Records the loads and unloads of the ``sample_changer`` role (see the module)."""

    def __init__(self, recorder: LimsRecorder, changer: AbstractSampleChanger) -> None:
        self._recorder = recorder
        self._changer = changer
        changer.connect("robotActionEnded", self._on_ended)

    @classmethod
    def start(cls, lims: HardwareObject, recorder: LimsRecorder) -> RobotRecording | None:
        """The recording of ``lims``'s ``sample_changer`` role; None without one."""
        changer = optional_role_object(lims, "sample_changer", AbstractSampleChanger)
        return None if changer is None else cls(recorder, changer)

    def stop(self) -> None:
        self._changer.disconnect("robotActionEnded", self._on_ended)

    def _on_ended(self, action: Mapping[str, object]) -> None:
        ended = dict(action)
        self._recorder.defer(lambda: self._record(ended))

    def _record(self, action: dict[str, object]) -> None:
        """In the recorder's thread."""
        session = self._recorder.session_ref()
        if session is None:
            log.debug("LIMS: nobody logged in; robot action %s not recorded", action)
            return
        started, ended = action.get("started"), action.get("ended")
        address, kind = action.get("address"), action.get("action")
        if not (
            isinstance(started, (int, float))
            and isinstance(ended, (int, float))
            and isinstance(address, str)
            and isinstance(kind, str)
        ):
            log.error("LIMS: robot action %r not recorded: no action, address or times", action)
            return
        error = "" if action.get("status") == "SUCCESS" else str(action.get("message") or "failed")
        payload = records.robot_action(
            session_id=session,
            sample_id=self._recorder.sample_id(address),
            action=kind,
            started=started,
            ended=ended,
            error=error,
            address=address,
            barcode=str(action.get("barcode") or ""),
        )
        self._recorder.record("robot_action", payload, f"robot:{kind}:{address}@{started:.6f}")
