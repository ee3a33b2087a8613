"""Energy scans, recorded as ISPyB stores them.

:class:`EnergyScanRecording` listens to the ``energy_scan`` role of the LIMS object.
At ``scanStarted`` it notes the time, the beam size (``beam`` role), the flux (``flux``)
and the sample loaded (``sample_changer``); at ``scanFinished(result)`` it puts one
``energy_scan`` operation: edge, element, peak / inflection / remote energies, the
scan file, exposure time, transmission, start and end time and the sample's
``blSampleId`` when the LIMS gave it. A failed or stopped scan (``scanFailed``) is not
stored: schema 5.2.0's ``EnergyScan`` has no status column, and a row without its
energies would read as a scan that found them.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

from hardware_objects.abstract.beam import AbstractBeam
from hardware_objects.abstract.energy_scan import AbstractEnergyScan
from hardware_objects.abstract.flux import AbstractFlux
from hardware_objects.abstract.sample_changer import AbstractSampleChanger
from hardware_objects.role_objects import optional_role_object
from mxgui.core.hardware_object import HardwareObject
from mxgui.core.lims import records
from mxgui.core.lims.recorder import LimsRecorder, short_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Scan:
    """What was true when a scan started."""

    started: float
    beam_size: tuple[float, float] | None
    flux: float | None
    address: str | None


class EnergyScanRecording:
    """Records the finished scans of the ``energy_scan`` role (see the module)."""

    def __init__(
        self, lims: HardwareObject, recorder: LimsRecorder, scanner: AbstractEnergyScan
    ) -> None:
        self._recorder = recorder
        self._scanner = scanner
        self._beam = optional_role_object(lims, "beam", AbstractBeam)
        self._flux = optional_role_object(lims, "flux", AbstractFlux)
        self._changer = optional_role_object(lims, "sample_changer", AbstractSampleChanger)
        self._lock = threading.Lock()
        self._scan: _Scan | None = None
        scanner.connect("scanStarted", self._on_started)
        scanner.connect("scanFinished", self._on_finished)
        scanner.connect("scanFailed", self._on_failed)

    @classmethod
    def start(cls, lims: HardwareObject, recorder: LimsRecorder) -> EnergyScanRecording | None:
        """The recording of ``lims``'s ``energy_scan`` role; None without one."""
        scanner = optional_role_object(lims, "energy_scan", AbstractEnergyScan)
        return None if scanner is None else cls(lims, recorder, scanner)

    def stop(self) -> None:
        self._scanner.disconnect("scanStarted", self._on_started)
        self._scanner.disconnect("scanFinished", self._on_finished)
        self._scanner.disconnect("scanFailed", self._on_failed)

    # the signals (the scan's thread) --------------------------------------------------------
    def _on_started(self, parameters: Mapping[str, object]) -> None:
        beam_size = self._beam.get_beam_size() if self._beam is not None else None
        flux = self._flux.get_value() if self._flux is not None else None
        loaded = self._changer.get_loaded_sample() if self._changer is not None else None
        scan = _Scan(
            time.time(),
            beam_size,
            flux if flux is not None and math.isfinite(flux) else None,
            loaded.address if loaded is not None else None,
        )
        with self._lock:
            self._scan = scan

    def _on_failed(self, reason: str) -> None:
        with self._lock:
            self._scan = None
        log.info("LIMS: a failed energy scan is not stored (%s)", reason)

    def _on_finished(self, result: Mapping[str, object]) -> None:
        ended = time.time()
        with self._lock:
            scan, self._scan = self._scan, None
        if scan is None:  # started before this source: its start is the end's best guess
            scan = _Scan(ended, None, None, None)
        finished = dict(result)
        self._recorder.defer(lambda: self._record(finished, scan, ended))

    # the recorder's thread -------------------------------------------------------------------
    def _record(self, result: dict[str, object], scan: _Scan, ended: float) -> None:
        session = self._recorder.session_ref()
        if session is None:
            log.debug("LIMS: nobody logged in; energy scan %s not recorded", result.get("file"))
            return
        try:
            payload = records.energy_scan(
                result,
                session_id=session,
                sample_id=self._recorder.sample_id(scan.address),
                started=scan.started,
                ended=ended,
                beam_size=scan.beam_size,
                flux=scan.flux,
            )
        except (KeyError, ValueError) as exc:
            log.error("LIMS: energy scan %s not recorded: %s", result.get("file"), exc)
            return
        key = short_key(f"escan:{result.get('file') or scan.started}")
        self._recorder.record("energy_scan", payload, key)
