"""Steps of a collection that need no thread: file-system checks, detector set-up,
the positions of a helical collection, the strength of the images.

The checks raise :class:`~hardware_objects.abstract.collect.CollectionError` with a
reason that names the path.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from hardware_objects.abstract.beam import AbstractBeam
from hardware_objects.abstract.collect import CollectionError
from hardware_objects.abstract.detector import AbstractDetector
from hardware_objects.abstract.diffractometer import AbstractDiffractometer
from hardware_objects.simulated.collect_job import CollectionJob
from hardware_objects.simulated.diffraction import DetectorGeometry
from hardware_objects.simulated.image_writer import ImageHeader
from hardware_objects.simulated.sample_geometry import Scene
from mxgui.core.acquisition import AcquisitionParameters, PathTemplate
from mxgui.core.centring import CentredPosition
from mxgui.core.data_roots import DataRoots, OutsideDataRoots


def existing_run_file(directory: Path, path: PathTemplate) -> Path | None:
    """The first file of ``path``'s run already in ``directory`` (images, master file,
    snapshots), or ``None``. One directory listing, whatever the number of images."""
    try:
        with os.scandir(directory) as entries:
            names = sorted(e.name for e in entries if path.belongs_to_run(e.name))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CollectionError(f"cannot read directory {directory}: {exc.strerror}") from None
    return directory / names[0] if names else None


def wedge_problems(job: CollectionJob) -> list[str]:
    """What is wrong with ``job.image_starts`` (one finite angle per image, not with a
    helical collection or a mesh); ``[]`` when the run is one sweep."""
    starts = job.image_starts
    if starts is None:
        return []
    found = []
    n = job.parameters.num_images
    if len(starts) != n:
        found.append(f"image_starts: {len(starts)} start angles for {n} images")
    bad = [a for a in starts if not math.isfinite(a)]
    if bad:
        found.append(f"image_starts: {bad[0]} is not a finite angle")
    if job.helical_end is not None or job.mesh is not None:
        found.append("image_starts: wedges are for a rotation collection, not helical or mesh")
    return found


def check_space(directory: Path, needed_bytes: float) -> None:
    """Refuse when the file system of ``directory`` (or of its nearest existing parent)
    has less than ``needed_bytes`` free."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        free = shutil.disk_usage(existing).free
    except OSError:
        return  # creating the directory will say what is wrong
    if needed_bytes > free:
        raise CollectionError(
            f"not enough space in {existing}: about {needed_bytes / 1e9:.2f} GB needed, "
            f"{free / 1e9:.2f} GB free"
        )


def make_directories(path: PathTemplate, roots: DataRoots) -> None:
    """Create the image directory (and the processing one, if set) inside the data
    ``roots`` (links followed, checked again after); check it is writable."""
    for name in ("directory", "process_directory"):
        directory = getattr(path, name)
        if not directory:
            continue
        try:
            roots.make_directory(directory, name)
        except OutsideDataRoots as exc:
            raise CollectionError(str(exc)) from None
        except OSError as exc:
            raise CollectionError(
                f"cannot create directory {directory}: {exc.strerror or exc}"
            ) from None
    if not os.access(path.directory, os.W_OK | os.X_OK):
        raise CollectionError(f"directory {path.directory} is not writable")


def detector_setup(
    detector: AbstractDetector,
    wavelength: float,
    transmission: float,
    positions: dict[str, float],
    params: AcquisitionParameters,
) -> tuple[DetectorGeometry, ImageHeader]:
    """The geometry images are computed for and the header of the first image, from
    the detector as it is now (ROI mode, distance, beam centre)."""
    distance = float(detector.get_distance_motor().get_known_value())
    beam_x, beam_y = detector.get_beam_centre(distance)
    pixel_x, pixel_y = detector.get_pixel_size()
    geometry = DetectorGeometry(
        width=detector.get_width(),
        height=detector.get_height(),
        pixel_size_x=pixel_x,
        pixel_size_y=pixel_y,
        distance=distance,
        beam_x=beam_x,
        beam_y=beam_y,
        wavelength=wavelength,
    )
    header = ImageHeader(
        detector=detector.get_model() or detector.username,
        pixel_size_x=pixel_x,
        pixel_size_y=pixel_y,
        distance=distance,
        wavelength=wavelength,
        beam_x=beam_x,
        beam_y=beam_y,
        exposure_time=params.exp_time,
        exposure_period=params.exp_time,
        start_angle=params.osc_start,
        angle_increment=params.osc_range,
        transmission=transmission,
        kappa=float(positions.get("kappa", 0.0)),
        phi=float(positions.get("kappa_phi", 0.0)),
    )
    return geometry, header


#: the motors a helical collection translates (omega turns as usual)
HELICAL_MOTORS = ("phiy", "phiz", "sampx", "sampy")


def as_position(value: CentredPosition | Mapping[str, object], what: str) -> CentredPosition:
    """``value`` as a :class:`CentredPosition` (``CollectionError`` naming ``what``)."""
    if isinstance(value, CentredPosition):
        return value
    try:
        return CentredPosition.from_dict(value)
    except (TypeError, ValueError, KeyError) as exc:
        raise CollectionError(f"{what} {value!r}: {exc}") from None


def helical_positions(
    start: CentredPosition, end: CentredPosition, i: int, n: int
) -> dict[str, float]:
    """The translation motors for image ``i`` of ``n`` of a helical collection: on the
    straight line from ``start`` (first image) to ``end`` (last image)."""
    fraction = i / max(n - 1, 1)
    return {
        name: getattr(start, name) + (getattr(end, name) - getattr(start, name)) * fraction
        for name in HELICAL_MOTORS
    }


def helical_moves(
    diffractometer: AbstractDiffractometer, job: CollectionJob, i: int
) -> tuple[dict[str, float], list[tuple[str, Future[Any]]]]:
    """Start moving the translation motors to image ``i``'s point of the helical
    ``job`` (its ``centred_position`` the start, its ``helical_end`` the end): the
    positions and the ``(motor name, Future)`` of each move."""
    if job.centred_position is None or job.helical_end is None:
        raise CollectionError("a helical collection needs its start and its end")
    start = as_position(job.centred_position, "helical start")
    end = as_position(job.helical_end, "helical end")
    moved = helical_positions(start, end, i, job.parameters.num_images)
    moves = [(n, diffractometer.motor(n).set_value(v)) for n, v in moved.items()]
    return moved, moves


#: ``strength(omega, moved)`` of :func:`strength_function`
Strength = Callable[[float, Mapping[str, float] | None], float]


def strength_function(
    scene: Scene, factor: float, beam: AbstractBeam, positions: dict[str, float]
) -> Strength:
    """``strength(omega, moved)``: diffraction factor x the fraction of the beam on the
    crystal at that omega, the motors at ``positions`` updated by ``moved`` (or not)."""
    size, shape = beam.get_beam_size(), beam.get_beam_shape()
    if scene.sample is None or factor == 0:
        return lambda _omega, _moved: 0.0
    return lambda omega, moved: (
        factor
        * scene.illuminated_fraction({**positions, **(moved or {}), "phi": omega}, size, shape)
    )
