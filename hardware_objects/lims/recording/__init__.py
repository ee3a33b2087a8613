"""What the LIMS object records, source by source.

Each entry of :data:`SOURCES` is a factory ``(lims, recorder) -> source or None``: it
subscribes to the hardware objects it records (roles of the ``lims`` object) and puts
their operations through the :class:`~mxgui.core.lims.recorder.LimsRecorder`; None when
the roles it needs are not configured. The LIMS object starts them all after its
``init()`` and stops them at ``shutdown()``. The collections come first: the
workflows and screening sources refer to the collections it has put.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from hardware_objects.lims.recording.collections import CollectionRecording
from hardware_objects.lims.recording.energy_scans import EnergyScanRecording
from hardware_objects.lims.recording.robot import RobotRecording
from hardware_objects.lims.recording.screening import ScreeningRecording
from hardware_objects.lims.recording.workflows import WorkflowRecording
from mxgui.core.errors import ConfigError
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.lims.recorder import LimsRecorder

log = logging.getLogger(__name__)


class RecordingSource(Protocol):
    """A source of LIMS records: subscribed until :meth:`stop`."""

    def stop(self) -> None: ...


SourceFactory = Callable[[HardwareObject, LimsRecorder], RecordingSource | None]

#: the sources the LIMS object starts, in this order
SOURCES: tuple[SourceFactory, ...] = (
    CollectionRecording.start,
    RobotRecording.start,
    EnergyScanRecording.start,
    WorkflowRecording.start,
    ScreeningRecording.start,
)


def start_sources(lims: HardwareObject, recorder: LimsRecorder) -> list[RecordingSource]:
    """Start every source of :data:`SOURCES` for ``lims``; a role holding the wrong
    object is a ``ConfigError`` naming the file, any other failure is logged and that
    source left out."""
    started: list[RecordingSource] = []
    for factory in SOURCES:
        try:
            source = factory(lims, recorder)
        except ConfigError:
            for done in started:
                done.stop()
            raise
        except Exception:
            log.exception("%s: the LIMS recording source %r failed to start", lims.name, factory)
            continue
        if source is not None:
            started.append(source)
    return started


def stop_sources(sources: list[RecordingSource]) -> None:
    """Stop ``sources`` (a failure is logged)."""
    for source in sources:
        try:
            source.stop()
        except Exception:
            log.exception("stopping the LIMS recording source %r failed", source)
