"""Reading one frame of a diffraction image file, with its geometry (no Qt).

CBF (and the other formats fabio reads) and HDF5 master files as the simulated beamline
and NXmx writers lay them out: the images in the datasets under ``/entry/data/``
(``data_000001``, ``data_000002``, ... each ``images x height x width``, in the file or
behind external links; or one ``data``), the geometry under NXmx's standard names
(``/entry/instrument/detector/{beam_center_x, beam_center_y, distance or
detector_distance, x_pixel_size, y_pixel_size}``, ``/entry/instrument/beam/
incident_wavelength``). A frame index (from 0) selects the image in a file of several.

fabio and h5py are imported on the first read, and with h5py ``hdf5plugin``, which
registers the compression filters of Dectris Eiger files (bitshuffle/LZ4) that DIALS and
XDS read. Every failure is a :class:`FrameError` whose message names the file (and the
frame).
"""

from __future__ import annotations

import functools
import logging
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from mxgui.gui.image_viewer.geometry import FrameGeometry, pilatus_geometry

if TYPE_CHECKING:
    import h5py

log = logging.getLogger(__name__)

#: the datasets of images under ``/entry/data`` of a Dectris / NXmx master file
_DATA_NAME = re.compile(r"^data_\d+$")
#: the top of the default contrast: this percentile of the unmasked counts
HIGH_PERCENTILE = 99.5
#: the percentile is taken on at most about this many pixels (a strided sample)
PERCENTILE_SAMPLE = 500_000
#: the image handed to the GUI thread is at most this many pixels on its longer side
#: (about twice a full-screen view): a bigger frame is max-pooled to it in the reader
#: thread, so the GUI thread never maps 4-16 M pixels and single-pixel spots stay visible
DISPLAY_MAX_SIDE = 2048
#: pixels of the band of rows the reader converts and pools at a time (4 MB of float32)
BAND_PIXELS = 1 << 20


class FrameError(ValueError):
    """A frame could not be read; the message names the file and why."""


@dataclass(frozen=True)
class Frame:
    """One image read from a file, ready to show.

    ``counts``: the values as read (what the cursor reports); ``mask``: the detector's
    pixel mask when the file has one (true: not to be trusted); a pixel is *masked* when
    the mask says so or its counts say so (negative counts, an unsigned detector's
    maximum); ``masked`` counts them. ``levels``: the default contrast (0 .. a high
    percentile); ``geometry`` is ``None`` when the header lacks it (``geometry_problem``
    says why). ``display``: what the view draws, the counts as float32 with masked pixels
    NaN, max-pooled over ``display_bin`` x ``display_bin`` blocks in the reader thread:
    pixel ``(i, j)`` of it covers ``[i, i + 1) x [j, j + 1)`` times ``display_bin`` of the
    frame. No frame-sized float copy is kept: :meth:`shown_part` makes the float32 of a
    region when the view zooms in.
    """

    path: str
    index: int
    count: int
    counts: np.ndarray
    display: np.ndarray
    levels: tuple[float, float]
    masked: int
    geometry: FrameGeometry | None
    geometry_problem: str = ""
    display_bin: int = 1
    mask: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """The frame's (height, width) in pixels."""
        height, width = self.counts.shape
        return int(height), int(width)

    @property
    def drawn(self) -> np.ndarray:
        """The array the view draws when the whole frame is in view: ``display``."""
        return self.display

    def shown_part(self, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
        """Rows ``r0:r1`` and columns ``c0:c1`` at full resolution, as float32 with the
        masked pixels NaN."""
        mask = None if self.mask is None else self.mask[r0:r1, c0:c1]
        return shown_values(self.counts[r0:r1, c0:c1], mask)[0]

    def is_masked(self, row: int, column: int) -> bool:
        """Pixel ``(row, column)`` is masked (see the class docstring)."""
        return bool(np.isnan(self.shown_part(row, row + 1, column, column + 1)[0, 0]))

    @property
    def name(self) -> str:
        """The file name, with the frame when the file holds several images."""
        name = Path(self.path).name
        return f"{name} frame {self.index + 1} / {self.count}" if self.count > 1 else name


def read_frame(path: str, index: int = 0) -> Frame:
    """Frame ``index`` (from 0) of the image file ``path``; :class:`FrameError` naming
    the file if it is missing, unreadable, or has no such frame."""
    file = Path(path)
    if not file.is_file():
        raise FrameError(f"{path}: no such file")
    if index < 0:
        raise FrameError(f"{path}: frame {index + 1} does not exist (frames count from 1)")
    if file.stat().st_size == 0:
        raise FrameError(f"{path}: empty file (0 bytes): not written yet, or its writing failed")
    if file.suffix.lower() in (".h5", ".hdf5", ".nxs"):
        counts, count, geometry, problem, mask = _read_hdf5(path, index)
    else:
        counts, count, geometry, problem = _read_fabio(path, index)
        mask = None
    factor = display_bin(counts.shape)
    display, masked, levels = display_of(counts, mask, factor)
    return Frame(
        path=str(path),
        index=index,
        count=count,
        counts=counts,
        display=display,
        levels=levels,
        masked=masked,
        geometry=geometry,
        geometry_problem=problem,
        display_bin=factor,
        mask=mask,
    )


def display_bin(shape: tuple[int, ...], max_side: int = DISPLAY_MAX_SIDE) -> int:
    """The block size that brings an image of ``shape`` to at most ``max_side`` pixels
    on its longer side (1: it fits already)."""
    return max(1, math.ceil(max(shape) / max_side))


def max_pooled(shown: np.ndarray, factor: int) -> np.ndarray:
    """``shown`` reduced by taking the maximum of each ``factor`` x ``factor`` block (NaN
    only where the whole block is masked); the last row and column of blocks may cover
    fewer pixels. ``shown`` itself when ``factor`` is 1."""
    if factor <= 1:
        return shown
    height, width = shown.shape
    rows, columns = math.ceil(height / factor), math.ceil(width / factor)
    # rows first, then columns: each pass reads whole rows (the big array is read once);
    # fmax ignores NaN (masked) unless both are: a block shows its brightest valid pixel
    by_rows = np.full((rows, width), np.nan, shown.dtype)
    for row in range(factor):
        part = shown[row::factor]
        np.fmax(by_rows[: part.shape[0]], part, out=by_rows[: part.shape[0]])
    pooled = np.full((rows, columns), np.nan, shown.dtype)
    for column in range(factor):
        part = by_rows[:, column::factor]
        np.fmax(pooled[:, : part.shape[1]], part, out=pooled[:, : part.shape[1]])
    return pooled


class Displayed(NamedTuple):
    """What the reader makes of a frame's counts for the view (see :func:`display_of`)."""

    display: np.ndarray
    masked: int
    levels: tuple[float, float]


def display_of(counts: np.ndarray, mask: np.ndarray | None, factor: int) -> Displayed:
    """What the view draws, :func:`shown_values` of ``counts`` max-pooled over ``factor``
    x ``factor`` blocks; how many pixels are masked; and the default contrast
    (:func:`default_levels` of every ``step``-th pixel of every ``step``-th row, about
    :data:`PERCENTILE_SAMPLE` of them).

    A band of rows at a time (about :data:`BAND_PIXELS`, a multiple of ``factor`` rows)
    goes through one reused buffer, and the contrast's sample is taken from the band
    while it is in the cache: a 16M frame costs no frame-sized temporary (each would be
    72 MB of fresh pages for the kernel to hand over) and one pass over its counts."""
    height, width = counts.shape
    step = max(1, int(math.sqrt(counts.size / PERCENTILE_SAMPLE)))
    if factor <= 1:
        shown, masked = shown_values(counts, mask)
        return Displayed(shown, masked, default_levels(shown[::step, ::step]))
    rows = factor * max(1, BAND_PIXELS // (factor * width))
    buffer = np.empty((min(rows, height), width), np.float32)
    parts, samples, masked = [], [], 0
    for r0 in range(0, height, rows):
        part = counts[r0 : r0 + rows]
        band, count = shown_values(
            part, None if mask is None else mask[r0 : r0 + rows], buffer[: part.shape[0]]
        )
        masked += count
        parts.append(max_pooled(band, factor))
        samples.append(band[(-r0) % step :: step, ::step].ravel())  # rows 0, step, 2 step...
    return Displayed(np.concatenate(parts), masked, default_levels(np.concatenate(samples)))


def default_levels(sample: np.ndarray) -> tuple[float, float]:
    """0 .. the :data:`HIGH_PERCENTILE` th percentile of the finite values of ``sample``
    (shown values: NaN where masked), at least 1 (diffraction images: weak spots on a
    low background, the brightest saturated)."""
    finite = sample[np.isfinite(sample)]
    if finite.size == 0:
        return (0.0, 1.0)
    return (0.0, max(float(np.percentile(finite, HIGH_PERCENTILE)), 1.0))


def shown_values(
    counts: np.ndarray, mask: np.ndarray | None, out: np.ndarray | None = None
) -> tuple[np.ndarray, int]:
    """``counts`` as float32 (into ``out`` if given) with NaN where masked: negative
    counts (Pilatus: -1 gaps, -2 bad pixels), an unsigned detector's maximum (Eiger) and
    ``mask``; and how many are. float32 because pyqtgraph renders it on its fast path (4
    times faster than int32 counts, which go through its generic look-up)."""
    shown = np.empty(counts.shape, np.float32) if out is None else out
    np.copyto(shown, counts, casting="unsafe")
    bad = None
    if counts.dtype.kind == "i":
        bad = counts < 0
    elif counts.dtype.kind == "u":
        bad = counts == np.iinfo(counts.dtype).max
    if mask is not None:
        bad = mask if bad is None else bad | mask
    masked = 0 if bad is None else int(np.count_nonzero(bad))
    if masked:
        shown[bad] = np.nan
    return shown, masked


# CBF and other fabio formats ------------------------------------------------------------------
def _read_fabio(path: str, index: int) -> tuple[np.ndarray, int, FrameGeometry | None, str]:
    import fabio  # deferred: a heavy import the GUI does not need at start
    import fabio.cbfimage

    if Path(path).suffix.lower() == ".cbf":
        quick = _read_minicbf(path)
        if quick is not None:
            counts, text = quick
            geometry, problem = None, ""
            try:
                geometry = pilatus_geometry(text, path)
            except ValueError as exc:
                problem = str(exc)
            return counts, 1, geometry, problem
    try:
        if Path(path).suffix.lower() == ".cbf":
            # no MD5 check: a fifth of the read of a 16M frame; a damaged file still fails
            # to decompress to the size its header gives
            image = fabio.cbfimage.CbfImage()
            image.read(path, check_MD5=False)
        else:
            image = fabio.open(path)
        count = int(getattr(image, "nframes", 1) or 1)
        if index >= count:
            raise FrameError(f"{path}: no frame {index + 1}, the file holds {count}")
        if index:
            image = image.getframe(index)
        counts = image.data
        header = dict(image.header)
    except FrameError:
        raise
    except Exception as exc:  # noqa: BLE001 - fabio's parsers raise anything on bad bytes
        raise FrameError(f"{path}: not an image fabio reads ({_reason(exc)})") from None
    if counts is None or np.ndim(counts) != 2:
        raise FrameError(f"{path}: no 2-D image in it")
    text = str(header.get("_array_data.header_contents", ""))
    geometry, problem = None, ""
    try:
        geometry = pilatus_geometry(text, path)
    except ValueError as exc:
        problem = str(exc)
    return np.asarray(counts), count, geometry, problem


#: where a CBF's binary section starts, the bytes that open its data, and its MIME fields
_CBF_SECTION = b"--CIF-BINARY-FORMAT-SECTION--"
_CBF_STARTER = b"\x0c\x1a\x04\xd5"
_CBF_FIELD = re.compile(rb"(X-Binary-[\w-]+|conversions)\s*[:=]\s*\"?([^\"\r\n;]*)")
#: how much of a CBF is searched for its binary section (a miniCBF header is ~2 KB)
_CBF_HEAD = 65536


def _read_minicbf(path: str) -> tuple[np.ndarray, str] | None:
    """A single-image CBF of signed 32-bit counts compressed with byte offsets (what
    Pilatus and Eiger detectors and the project's writer write): its counts and its
    header text, or ``None`` for any other CBF (fabio reads those).

    fabio's own read copies the compressed bytes twice as Python ``bytes``, holding the
    interpreter lock (20-30 ms stalls of the GUI thread for a 16M frame); here the file
    is read straight into one ``bytes`` (the lock is released while the file is read)
    and handed to fabio's decompressor."""
    from fabio.compression import decByteOffset

    with open(path, "rb", buffering=0) as file:
        head = file.read(_CBF_HEAD)
        section = head.find(_CBF_SECTION)
        starter = head.find(_CBF_STARTER, max(section, 0))
        if section < 0 or starter < 0:
            return None
        fields = {
            key.decode(): value.strip().decode(errors="replace")
            for key, value in _CBF_FIELD.findall(head[section:starter])
        }
        try:
            size = int(fields["X-Binary-Size"])
            width = int(fields["X-Binary-Size-Fastest-Dimension"])
            height = int(fields["X-Binary-Size-Second-Dimension"])
        except (KeyError, ValueError):
            return None
        if (
            fields.get("conversions") != "x-CBF_BYTE_OFFSET"
            or fields.get("X-Binary-Element-Type") != "signed 32-bit integer"
            or fields.get("X-Binary-Number-of-Elements", str(width * height)) != str(width * height)
        ):
            return None
        file.seek(starter + len(_CBF_STARTER))
        stream = file.read(size)
    if len(stream) < size:
        raise FrameError(f"{path}: truncated: {len(stream)} of {size} bytes of image data")
    try:
        counts = decByteOffset(stream, size=width * height, dtype="int32")
    except (ValueError, IndexError) as exc:  # a damaged stream
        raise FrameError(f"{path}: not an image fabio reads ({_reason(exc)})") from None
    if counts.size != width * height:
        raise FrameError(f"{path}: {counts.size} pixels, its header says {width} x {height}")
    return counts.reshape(height, width), head[:section].decode("latin-1")


# HDF5 / NXmx --------------------------------------------------------------------------------
def _read_hdf5(
    path: str, index: int
) -> tuple[np.ndarray, int, FrameGeometry | None, str, np.ndarray | None]:
    import h5py  # deferred: only HDF5 files pay for it

    register_hdf5_filters()
    try:
        with h5py.File(path, "r") as f:
            entry = _entry(f, path)
            datasets = _image_datasets(entry, path)
            counts, count = _frame_of(datasets, index, path)
            geometry, problem = None, ""
            try:
                geometry = nxmx_geometry(entry, path)
            except (KeyError, ValueError, TypeError) as exc:
                problem = str(exc) if isinstance(exc, ValueError) else f"{path}: {_reason(exc)}"
            mask = _pixel_mask(entry, counts.shape)
    except FrameError:
        raise
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as exc:  # h5py's errors
        if _MISSING_FILTER.search(str(exc)):
            raise FrameError(
                f"{path}: its images are compressed with a filter this installation lacks"
                " (Eiger files use bitshuffle/LZ4: install hdf5plugin)"
            ) from None
        raise FrameError(f"{path}: cannot read it as HDF5 ({_reason(exc)})") from None
    return counts, count, geometry, problem, mask


#: what HDF5 says when a dataset's compression filter is not available
_MISSING_FILTER = re.compile(r"can't open directory|required filter|filter .*not available", re.I)


@functools.cache  # once: the import registers them for the process
def register_hdf5_filters() -> None:
    """Import ``hdf5plugin`` (it registers bitshuffle/LZ4 and the other filters Eiger
    file writers use with HDF5) if it is installed."""
    try:
        import hdf5plugin  # noqa: F401 - imported for its side effect
    except ImportError:
        log.warning("hdf5plugin is not installed: compressed Eiger HDF5 images cannot be read")


def _entry(f: h5py.File, path: str) -> h5py.Group:
    import h5py

    entry = f.get("entry")
    if isinstance(entry, h5py.Group):
        return entry
    for item in f.values():
        if isinstance(item, h5py.Group) and _nx_class(item) == "NXentry":
            return item
    raise FrameError(f"{path}: no /entry group (not a NeXus file)")


def _image_datasets(entry: h5py.Group, path: str) -> list[h5py.Dataset]:
    """The datasets of images under ``entry/data``, in order (``data_000001``, ...)."""
    import h5py

    group = entry.get("data")
    if not isinstance(group, h5py.Group):
        raise FrameError(f"{path}: no {entry.name}/data group")
    names = sorted(name for name in group if _DATA_NAME.match(name))
    if not names:
        names = ["data"] if "data" in group else []
    datasets = []
    for name in names:
        try:
            item = group[name]  # an external link to a missing file raises KeyError
        except KeyError:
            raise FrameError(
                f"{path}: {group.name}/{name} links to a file that cannot be opened"
            ) from None
        if isinstance(item, h5py.Dataset) and item.ndim in (2, 3):
            datasets.append(item)
    if not datasets:
        raise FrameError(f"{path}: no images under {group.name}")
    return datasets


def _frame_of(datasets: list[h5py.Dataset], index: int, path: str) -> tuple[np.ndarray, int]:
    sizes = [1 if dataset.ndim == 2 else int(dataset.shape[0]) for dataset in datasets]
    count = sum(sizes)
    if index >= count:
        raise FrameError(f"{path}: no frame {index + 1}, the file holds {count}")
    for dataset, size in zip(datasets, sizes, strict=True):
        if index < size:
            counts = dataset[()] if dataset.ndim == 2 else dataset[index]
            return np.asarray(counts), count
        index -= size
    raise AssertionError("unreachable: index < count")  # pragma: no cover


def _pixel_mask(entry: h5py.Group, shape: tuple[int, ...]) -> np.ndarray | None:
    """The detector's pixel mask (non-zero: not to be trusted) if it fits the image."""
    mask = entry.get("instrument/detector/pixel_mask")
    if mask is None or tuple(mask.shape) != tuple(shape):
        return None
    return np.asarray(mask[()]) != 0


_LENGTH_TO_MM = {"m": 1000.0, "mm": 1.0, "um": 1e-3, "microns": 1e-3, "cm": 10.0}
_WAVELENGTH_TO_A = {"angstrom": 1.0, "a": 1.0, "nm": 10.0, "m": 1e10}


def nxmx_geometry(entry: h5py.Group, path: str) -> FrameGeometry:
    """The geometry of an NXmx entry (standard names, units from the ``units``
    attributes; lengths without units are taken as metres); ``ValueError`` naming the
    file and the missing item."""
    detector_path = "instrument/detector"
    distance_name = "distance" if f"{detector_path}/distance" in entry else "detector_distance"
    distance = _number(entry, f"{detector_path}/{distance_name}", path) * _scale(
        entry, f"{detector_path}/{distance_name}", _LENGTH_TO_MM, "m", path
    )
    pixel_x = _number(entry, f"{detector_path}/x_pixel_size", path) * _scale(
        entry, f"{detector_path}/x_pixel_size", _LENGTH_TO_MM, "m", path
    )
    pixel_y = _number(entry, f"{detector_path}/y_pixel_size", path) * _scale(
        entry, f"{detector_path}/y_pixel_size", _LENGTH_TO_MM, "m", path
    )
    beam = []
    for axis, pixel in (("x", pixel_x), ("y", pixel_y)):
        name = f"{detector_path}/beam_center_{axis}"
        value = _number(entry, name, path)
        units = _units(entry, name)
        if units in ("", "pixel", "pixels"):
            beam.append(value)
        elif units in _LENGTH_TO_MM:
            beam.append(value * _LENGTH_TO_MM[units] / pixel)
        else:
            raise ValueError(f"{path}: {entry.name}/{name} has unknown units {units!r}")
    wavelength = _number(entry, "instrument/beam/incident_wavelength", path) * _scale(
        entry, "instrument/beam/incident_wavelength", _WAVELENGTH_TO_A, "angstrom", path
    )
    try:
        return FrameGeometry(beam[0], beam[1], distance, pixel_x, pixel_y, wavelength)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _number(entry: h5py.Group, name: str, path: str) -> float:
    item = entry.get(name)
    if item is None:
        raise ValueError(f"{path}: no {entry.name}/{name}")
    value = np.asarray(item[()])
    if value.size < 1 or value.dtype.kind not in "iuf":
        raise ValueError(f"{path}: {entry.name}/{name} is not a number")
    return float(value.flat[0])  # an array per image: the first (they do not change here)


def _units(entry: h5py.Group, name: str) -> str:
    units = entry[name].attrs.get("units", b"")
    if isinstance(units, bytes):
        units = units.decode(errors="replace")
    return str(units).strip().lower()


def _scale(entry: h5py.Group, name: str, table: dict[str, float], default: str, path: str) -> float:
    units = _units(entry, name) or default
    if units not in table:
        raise ValueError(f"{path}: {entry.name}/{name} has unknown units {units!r}")
    return table[units]


def _nx_class(group: h5py.Group) -> str:
    value = group.attrs.get("NX_class", b"")
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
