"""One collection in progress on the simulated beamline: what the collect object's
worker thread and its steps (:mod:`.collect_steps`, :mod:`.collect_mesh`) share."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from hardware_objects.simulated.image_writer import NexusWriter, StagingDirectory
from mxgui.core.acquisition import AcquisitionParameters, PathTemplate
from mxgui.core.centring import CentredPosition


@dataclasses.dataclass
class CollectionJob:
    """One collection in progress (owned by the collect object's worker thread).

    ``info`` is what ``get_collection_info`` reports (plain types); ``future`` ends with
    it; ``stop`` is set to stop between two images.
    """

    parameters: AcquisitionParameters
    path: PathTemplate
    centred_position: CentredPosition | Mapping[str, object] | None
    future: Future[dict[str, Any]]
    stop: threading.Event
    info: dict[str, Any]
    writer: NexusWriter | None = None
    staging: StagingDirectory | None = None
    omega_velocity: float | None = None
    helical_end: CentredPosition | Mapping[str, object] | None = None
    mesh: list[CentredPosition] | None = None
    #: one wedge per image from these angles (a characterisation), else one sweep
    image_starts: list[float] | None = None

    def first_angle(self) -> float:
        """Where omega starts: the first wedge's angle, else ``osc_start``."""
        if self.image_starts:
            return self.image_starts[0]
        return self.parameters.osc_start
