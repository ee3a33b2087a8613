"""The data-collection interface: one rotation collection at a time, in a worker thread."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any, ClassVar, cast

from hardware_objects.abstract.detector import AbstractDetector
from hardware_objects.abstract.diffractometer import AbstractDiffractometer
from hardware_objects.abstract.energy import AbstractEnergy
from hardware_objects.abstract.resolution import AbstractResolution
from hardware_objects.abstract.session import AbstractSession
from hardware_objects.abstract.transmission import AbstractTransmission
from mxgui.core.acquisition import AcquisitionLimits, AcquisitionParameters, PathTemplate
from mxgui.core.centring import CentredPosition
from mxgui.core.hardware_object import HardwareObject, HOProperty
from mxgui.core.snapshot_geometry import SnapshotGeometry

#: the reason given when the user stops a collection
STOPPED_BY_USER = "stopped by user"


class CollectionError(RuntimeError):
    """A collection failed; ``reason`` says why (the text of ``collectOscillationFailed``)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class CollectionStopped(CollectionError):
    """The collection was stopped by :meth:`AbstractCollect.stop_collect`."""

    def __init__(self, reason: str = STOPPED_BY_USER) -> None:
        super().__init__(reason)


class AbstractCollect(HardwareObject):
    """Runs data collections: the sequence of docs/domain.md, one collection at a time.

    :meth:`collect` returns at once with a :class:`~concurrent.futures.Future`; the
    collection runs in a worker thread: checks (parameters within the hardware limits,
    no file of the run exists, space on disk), directories, safety shutter, centred
    position, phase DataCollection, crystal snapshots, transmission / energy /
    resolution (each waited for), the images, fast shutter closed. The Future ends with
    the ``info`` dict of ``collectOscillationFinished``, or raises
    :class:`CollectionError` (:class:`CollectionStopped` after :meth:`stop_collect`).

    Roles: ``diffractometer``, ``detector``, ``energy``, ``resolution``,
    ``transmission``, ``beam``, ``safety_shutter``, ``fast_shutter``, ``session``.

    Signals (plain-type arguments; ``info`` is described at :meth:`get_collection_info`):

    - ``collectStarted(info)``: a collection began;
    - ``snapshotTaken(path)``: a crystal snapshot was written;
    - ``collectImageTaken(count)``: ``count`` images (1-based) are written;
    - ``progressChanged(fraction)``: 0..1 of the images written;
    - ``collectOscillationFinished(info)``: all images written, ``info["files"]`` lists them;
    - ``collectOscillationFailed(reason)``: stopped or failed, with the reason;
    - ``collectEnded(success)``: after either of the two above, the collection is over.
    """

    SIGNALS: ClassVar[tuple[str, ...]] = (
        "collectStarted",
        "collectImageTaken",
        "progressChanged",
        "collectOscillationFinished",
        "collectOscillationFailed",
        "collectEnded",
        "snapshotTaken",
    )
    PROPERTIES: ClassVar[dict[str, HOProperty]] = {
        "username": HOProperty(str, "Data collection", "name shown to the user"),
        "default_osc_range": HOProperty(float, 0.1, "degrees per image by default"),
        "default_num_images": HOProperty(int, 1800, "images per collection by default"),
        "default_exp_time": HOProperty(float, 0.01, "seconds per image by default"),
        "default_transmission": HOProperty(float, 100.0, "percent, by default"),
    }
    REQUIRED_ROLES: ClassVar[tuple[str, ...]] = (
        "diffractometer",
        "detector",
        "energy",
        "resolution",
        "transmission",
        "beam",
        "safety_shutter",
        "fast_shutter",
        "session",
    )

    # the parts ------------------------------------------------------------------------------
    @property
    def username(self) -> str:
        """Name shown to the user."""
        return self.get_property("username") or self.name.strip("/")

    @property
    def diffractometer(self) -> AbstractDiffractometer:
        return cast("AbstractDiffractometer", self.get_object_by_role("diffractometer"))

    @property
    def detector(self) -> AbstractDetector:
        return cast("AbstractDetector", self.get_object_by_role("detector"))

    @property
    def energy(self) -> AbstractEnergy:
        return cast("AbstractEnergy", self.get_object_by_role("energy"))

    @property
    def resolution(self) -> AbstractResolution:
        return cast("AbstractResolution", self.get_object_by_role("resolution"))

    @property
    def transmission(self) -> AbstractTransmission:
        return cast("AbstractTransmission", self.get_object_by_role("transmission"))

    @property
    def session(self) -> AbstractSession:
        return cast("AbstractSession", self.get_object_by_role("session"))

    # parameters --------------------------------------------------------------------------------
    def get_acquisition_limits(self) -> AcquisitionLimits:
        """The hardware limits parameters are checked against (the current ROI mode's
        exposure-time range, energy, transmission, resolution, detector distance)."""
        return AcquisitionLimits(
            exp_time=self.detector.get_exposure_time_limits(),
            energy=self.energy.get_limits(),
            transmission=self.transmission.get_limits(),
            resolution=_ordered(self.resolution.get_limits()),
            detector_distance=self.detector.get_distance_motor().get_limits(),
        )

    def get_default_acquisition_parameters(self) -> AcquisitionParameters:
        """Parameters for a new collection: the beamline as it is now, the XML defaults."""
        resolution = self.resolution.get_value()
        return AcquisitionParameters(
            osc_start=float(self.diffractometer.get_positions().get("phi", 0.0)),
            osc_range=self.get_property("default_osc_range"),
            num_images=self.get_property("default_num_images"),
            exp_time=self.get_property("default_exp_time"),
            energy=float(self.energy.get_known_value()),
            transmission=self.get_property("default_transmission"),
            resolution=float(resolution) if resolution is not None else 2.0,
            detector_roi_mode=self.detector.get_roi_mode(),
        )

    def get_default_path_template(self, sub_dir: str = "", prefix: str = "") -> PathTemplate:
        """The session's path template in the detector's file format."""
        return self.session.get_default_path_template(
            sub_dir=sub_dir, prefix=prefix, suffix=self.detector.get_file_suffix()
        )

    # collecting --------------------------------------------------------------------------------
    @abc.abstractmethod
    def collect(
        self,
        parameters: AcquisitionParameters,
        path: PathTemplate,
        centred_position: CentredPosition | None = None,
        helical_end: CentredPosition | None = None,
        image_starts: Sequence[float] | None = None,
    ) -> Future[Any]:
        """Start a collection; ``RuntimeError`` at once if one is running.

        With ``image_starts`` the run is not one continuous sweep but one wedge per
        image (a characterisation's reference images): image ``i`` covers
        ``[image_starts[i], image_starts[i] + osc_range)``, omega moving between two
        images with the shutter closed; there must be ``num_images`` of them, each
        finite, and ``info["image_starts"]`` lists them. Without, image ``i`` covers
        :meth:`AcquisitionParameters.image_range` as usual.

        With ``helical_end`` the collection is helical: ``centred_position`` is the
        start and image ``i`` of ``n`` is taken with phiy, phiz, sampx and sampy at
        ``start + (end - start) * i / max(n - 1, 1)`` (omega as usual), so the beam
        sweeps along the crystal.

        Everything else (bad parameters, existing files, hardware faults) is reported
        through ``collectOscillationFailed(reason)`` and the Future. File numbers start
        at ``parameters.first_image`` (``path.start_num`` is set to it).
        """

    def collect_mesh(
        self,
        parameters: AcquisitionParameters,
        path: PathTemplate,
        positions: Sequence[CentredPosition],
        grid: Mapping[str, object] | None = None,
    ) -> Future[Any]:
        """Start a mesh acquisition: image ``k`` (numbered ``parameters.first_image +
        k``) at ``positions[k]``, each over ``[osc_start, osc_start + osc_range)`` with
        ``exp_time``; ``parameters.num_images`` must be ``len(positions)``. Signals,
        the Future, stop and ``info`` as for :meth:`collect` (``info["mesh"]`` is
        true; ``info["grid"]`` is ``grid``, the grid as scanned, when given: for the
        LIMS). ``RuntimeError`` at once if a collection runs or mesh scans are not
        supported (this default).
        """
        raise RuntimeError(f"{self.username}: mesh scans are not supported by this beamline")

    @abc.abstractmethod
    def stop_collect(self) -> None:
        """Stop the running collection at once (between two images; never a partial file)."""

    @abc.abstractmethod
    def is_collecting(self) -> bool:
        """True from :meth:`collect` until ``collectEnded``."""

    @abc.abstractmethod
    def get_collection_info(self) -> dict[str, Any] | None:
        """The current (or last) collection, as plain types, or ``None`` before any.

        Keys: ``parameters`` and ``path`` (their ``to_dict()``), ``template`` (full
        printf-style image path), ``directory``, ``prefix``, ``run_number``,
        ``num_images``, ``first_image``, ``images_taken``, ``files`` (written so far),
        ``snapshots``, ``started`` (epoch seconds), ``elapsed`` (s), ``state``
        (``running``, ``finished``, ``failed``, ``stopped``) and ``reason``;
        ``image_starts`` (a list, or ``None`` for one continuous sweep); once the
        first snapshot is taken, ``snapshot_geometry``: :meth:`snapshot_geometry` read
        as it was taken (what draws a mesh's grid over it in the LIMS).
        """

    def snapshot_geometry(self) -> dict[str, object]:
        """The diffractometer's image geometry (calibration and beam position at the
        zoom of now) and motor positions, as
        :meth:`~mxgui.core.snapshot_geometry.SnapshotGeometry.to_dict`: read just
        before taking a crystal snapshot."""
        diffractometer = self.diffractometer
        geometry = diffractometer.get_image_geometry()
        return SnapshotGeometry(
            geometry.pixels_per_mm, geometry.beam_position, diffractometer.get_positions()
        ).to_dict()


def _ordered(limits: tuple[float, float]) -> tuple[float, float]:
    low, high = limits
    return (low, high) if low <= high else (high, low)
