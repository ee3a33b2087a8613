"""Image files other programs open: CBF with a Pilatus header (fabio), HDF5/NXmx (h5py).

Every file appears whole or not at all: it is written under its final name inside a
hidden staging directory next to it, then hard-linked into place, which fails if a
file of that name exists, so nothing is ever overwritten, even by a race with another
writer. (On a file system without hard links: created with ``O_EXCL`` and copied, see
``mxgui.core.new_files``.)

h5py is imported the first time an HDF5 file is written, not before.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from hardware_objects.simulated.diffraction import COUNT_CUTOFF
from hardware_objects.simulated.nxmx_writer import KAPPA_ALPHA, utc_now, write_layout, write_scan
from mxgui.core.new_files import publish_new
from mxgui.core.staging import remove_stale, staging_prefix

if TYPE_CHECKING:
    import h5py  # for annotations only: imported at the first HDF5 file (NexusWriter)


class OverwriteRefused(FileExistsError):
    """A file of that name exists; the message names it."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        super().__init__(f"refusing to overwrite existing file {self.path}")

    def __str__(self) -> str:
        return self.args[0]


@dataclass(frozen=True)
class ImageHeader:
    """What an image file says about how it was taken.

    Lengths in mm, angles in degrees, times in s, wavelength in Angstrom, beam centre in
    pixels, transmission in percent. ``start_angle`` / ``angle_increment`` are the
    oscillation of this image (the omega axis). ``date``: when the collection started,
    ISO 8601 in UTC with the ``Z`` suffix, taken when the header is made (once per
    collection: :meth:`for_image` keeps it), so the CBF files and the HDF5 file of a
    collection carry the same time.
    """

    detector: str
    pixel_size_x: float
    pixel_size_y: float
    distance: float
    wavelength: float
    beam_x: float
    beam_y: float
    exposure_time: float
    exposure_period: float
    start_angle: float
    angle_increment: float
    transmission: float = 100.0
    flux: float = 0.0
    kappa: float = 0.0
    phi: float = 0.0
    count_cutoff: int = COUNT_CUTOFF
    sensor_thickness: float = 0.45
    date: str = dataclasses.field(default_factory=utc_now)

    def for_image(self, start_angle: float) -> ImageHeader:
        """The same header with another ``start_angle``."""
        return dataclasses.replace(self, start_angle=start_angle)

    def pilatus_text(self) -> str:
        """The ``_array_data.header_contents`` of a Pilatus CBF (PILATUS_1.2 convention)."""
        # Pilatus headers carry no zone; DIALS (dxtbx) reads this time as UTC
        date = self.date.removesuffix("Z")
        lines = [
            f"Detector: {self.detector}, S/N 00-0000",
            date,
            f"Pixel_size {self.pixel_size_x * 1e-3:.6g} m x {self.pixel_size_y * 1e-3:.6g} m",
            f"Silicon sensor, thickness {self.sensor_thickness * 1e-3:.6f} m",
            f"Exposure_time {self.exposure_time:.7f} s",
            f"Exposure_period {self.exposure_period:.7f} s",
            "Tau = 0 s",
            f"Count_cutoff {self.count_cutoff} counts",
            f"Threshold_setting: {0.5 * 12398.4 / self.wavelength:.0f} eV",
            f"Wavelength {self.wavelength:.5f} A",
            f"Detector_distance {self.distance * 1e-3:.5f} m",
            f"Beam_xy ({self.beam_x:.2f}, {self.beam_y:.2f}) pixels",
            f"Flux {self.flux:.6g}",
            f"Filter_transmission {self.transmission / 100.0:.4f}",
            f"Start_angle {self.start_angle:.4f} deg.",
            f"Angle_increment {self.angle_increment:.4f} deg.",
            "Detector_2theta 0.0000 deg.",
            "Polarization 0.990",
            f"Alpha {KAPPA_ALPHA:.4f} deg.",
            f"Kappa {self.kappa:.4f} deg.",
            f"Phi {self.phi:.4f} deg.",
            "Phi_increment 0.0000 deg.",
            f"Omega {self.start_angle:.4f} deg.",
            f"Omega_increment {self.angle_increment:.4f} deg.",
            "Chi 0.0000 deg.",
            "Chi_increment 0.0000 deg.",
            "Oscillation_axis X.CW",
            "N_oscillations 1",
        ]
        return "\r\n".join("# " + line for line in lines)


# atomic creation ---------------------------------------------------------------------------
def check_free(path: str | Path) -> None:
    """Raise :class:`OverwriteRefused` if ``path`` exists (a quick check before work)."""
    if os.path.lexists(path):
        raise OverwriteRefused(path)


class StagingDirectory:
    """A hidden directory next to the final files, shared by the files of a collection
    (one directory per file would cost a mkdir and an rmdir each).

    Its name carries this process's owner tag (``mxgui.core.staging``), so that one left
    by a crash is recognised and removed later. ``tidy``: first remove the staging
    directories that stopped processes left in ``directory`` (a collection does it
    once; a single file does not pay for the listing). ``close()`` removes it and
    whatever is still in it.
    """

    def __init__(self, directory: str | Path, tidy: bool = False) -> None:
        if tidy:
            remove_stale(directory)
        self.path = Path(tempfile.mkdtemp(prefix=staging_prefix(), dir=directory))

    def close(self) -> None:
        """Remove the directory and anything left in it."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> StagingDirectory:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class StagedFile:
    """A file being written under a temporary path, published whole or discarded.

    The temporary file has the final base name (inside a hidden staging directory in
    the same directory, ``staging`` or one of its own), so formats that record their
    own name record the right one. :meth:`publish` refuses to overwrite
    (:class:`OverwriteRefused`); :meth:`discard` (also after a failed publish) leaves
    nothing behind.
    """

    def __init__(self, path: str | Path, staging: StagingDirectory | None = None) -> None:
        self.path = Path(path)
        check_free(self.path)
        self._own = staging is None
        self._staging = StagingDirectory(self.path.parent) if staging is None else staging
        if self._staging.path.parent != self.path.parent:
            raise ValueError(f"staging directory {self._staging.path} is not beside {self.path}")
        self.temporary = self._staging.path / self.path.name

    def publish(self) -> Path:
        """Move the finished file to its final name (never over an existing file)."""
        try:
            try:
                publish_new(self.temporary, self.path)
            except FileExistsError:
                raise OverwriteRefused(self.path) from None
        finally:
            self.discard()
        return self.path

    def discard(self) -> None:
        """Remove the temporary file (and the staging directory if it is its own)."""
        if self._own:
            self._staging.close()
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temporary)


@contextlib.contextmanager
def staged(path: str | Path, staging: StagingDirectory | None = None) -> Iterator[Path]:
    """Yield a temporary path to write ``path``'s content to; publish it on success."""
    stage = StagedFile(path, staging)
    try:
        yield stage.temporary
        stage.publish()
    finally:
        stage.discard()  # after a failure; a no-op after publish


def write_staged(
    path: str | Path, write: Callable[[Path], object], staging: StagingDirectory | None = None
) -> Path:
    """Call ``write(temporary_path)`` and publish the result as ``path``."""
    with staged(path, staging) as temporary:
        write(temporary)
    return Path(path)


# CBF ----------------------------------------------------------------------------------------
def write_cbf(
    path: str | Path,
    data: np.ndarray,
    header: ImageHeader,
    staging: StagingDirectory | None = None,
) -> Path:
    """Write ``data`` (int32 counts) as a CBF with ``header``; never overwrites.

    ``staging``: a staging directory beside ``path`` to reuse (faster for many files).
    """
    from fabio.cbfimage import CbfImage  # deferred: ~0.1 s of start-up otherwise

    image = CbfImage(
        data=np.ascontiguousarray(data, dtype=np.int32),
        header={
            "_array_data.header_convention": "PILATUS_1.2",
            "_array_data.header_contents": header.pilatus_text(),
        },
    )
    return write_staged(path, lambda temporary: image.write(str(temporary)), staging)


# HDF5 / NXmx ------------------------------------------------------------------------------
class NoImageWritten(ValueError):
    """A master file was closed before its first image; the message names it."""


class NexusWriter:
    """Writes one NXmx master file holding every image of a collection.

    Images are appended with :meth:`add`; :meth:`close` records the omega angles of
    the images written, then publishes the file (it appears only then, whole);
    :meth:`abort` drops it. The layout is NXmx as DIALS' ``nxmx`` reader, XDS and
    fabio read it (``hardware_objects.simulated.nxmx_writer``), the images in
    ``/entry/data/data_000001`` (images x height x width) of this one file.
    """

    def __init__(
        self, path: str | Path, header: ImageHeader, shape: tuple[int, int], num_images: int
    ) -> None:
        import h5py  # deferred: only HDF5 collections pay for it

        self.path = Path(path)
        self.header = header
        self._stage = StagedFile(self.path)
        self._count = 0
        self._angles: list[float] = []
        self._file: h5py.File | None = None
        try:
            self._file = h5py.File(self._stage.temporary, "w")
            self._data = write_layout(self._file, header, shape, num_images)
        except Exception:
            self.abort()
            raise

    @property
    def count(self) -> int:
        """Images written so far."""
        return self._count

    def add(self, data: np.ndarray, start_angle: float) -> None:
        """Append one image taken from ``start_angle`` over the header's increment.

        One image is one chunk, compressed by HDF5's bitshuffle-LZ4 filter.
        """
        counts = np.ascontiguousarray(data, dtype=np.int32)
        if (1, *counts.shape) != self._data.chunks:
            raise ValueError(
                f"{self.path}: an image of {counts.shape} pixels in a file of "
                f"{self._data.shape[1:]} pixel images"
            )
        self._data.resize(self._count + 1, axis=0)
        self._data[self._count] = counts
        self._angles.append(float(start_angle))
        self._count += 1

    def close(self) -> Path:
        """Record the angles of the images written and the end time, and publish the file.

        With no image written nothing is published (a master file of 0 images would
        reserve the run's name and stop the pipelines that pick it up):
        :class:`NoImageWritten`.
        """
        if self._count == 0:
            self.abort()
            raise NoImageWritten(f"{self.path}: no image was taken: no file written")
        f = self._open_file()
        write_scan(f, self.header, self._angles)
        f.close()
        return self._stage.publish()

    def _open_file(self) -> h5py.File:
        if self._file is None:
            raise OSError(f"{self.path}: the file was not opened")
        return self._file

    def abort(self) -> None:
        """Drop the file: nothing is published."""
        if self._file is not None:
            with contextlib.suppress(Exception):  # an HDF5 error on a half-written file
                self._file.close()
        self._stage.discard()
