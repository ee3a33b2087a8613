"""Steps of a collection that need no thread: file-system checks, detector set-up.

The checks raise :class:`~hardware_objects.abstract.collect.CollectionError` with a
reason that names the path.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from hardware_objects.abstract.collect import CollectionError
from hardware_objects.abstract.detector import AbstractDetector
from hardware_objects.simulated.diffraction import DetectorGeometry
from hardware_objects.simulated.image_writer import ImageHeader
from mxgui.core.acquisition import AcquisitionParameters, PathTemplate


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


def make_directories(path: PathTemplate) -> None:
    """Create the image directory (and the processing one, if set); check it is writable."""
    for directory in (path.directory, path.process_directory):
        if not directory:
            continue
        try:
            Path(directory).mkdir(parents=True, exist_ok=True)
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
    distance = float(detector.get_distance())
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
