"""JPEGs of a collection's first and last image, for the LIMS (the old "JPEG server").

ISPyB shows a collection by the JPEGs its ``Image`` rows name (``jpegFileFullPath``,
``jpegThumbnailFileFullPath``). :class:`JpegMaker` makes them in one background thread
(the queue never waits): for each image, ``<name>.jpeg`` at the detector's size and
``<name>.thumb.jpeg`` at most :data:`THUMBNAIL_SIZE`, in the directory given (e.g. the
collection's process directory). Dark spots on white, as diffraction viewers show them:
black from the 99.9th percentile of the exposed pixels' counts or 8 times their median,
whichever is higher (the background stays light, spots are dark); masked pixels
(negative counts: module gaps, dead pixels) are white.

Images are read with fabio (:func:`mxscore.scoring.read_counts`); JPEGs are written
with Pillow, never over a file (a JPEG already there, made of the same never-rewritten
image, is kept). HDF5 collections are not made into JPEGs yet (their frames are not one
file each).
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path, PurePath

import numpy as np

from mxgui.core.new_files import write_new_file
from mxscore.scoring import read_counts

log = logging.getLogger(__name__)

#: the largest thumbnail, pixels (width, height)
THUMBNAIL_SIZE = (256, 256)
#: collections waiting for their JPEGs at most (more are refused, with a message)
MAX_PENDING = 64
#: JPEG quality of both files
QUALITY = 85
#: at most this many pixels are looked at for the contrast (a 16M image is sampled)
_SAMPLE_PIXELS = 1 << 20


def jpeg_paths(image: str | PurePath, directory: str | PurePath) -> tuple[Path, Path]:
    """``(<directory>/<name>.jpeg, <directory>/<name>.thumb.jpeg)`` of ``image``."""
    stem = PurePath(image).stem
    return Path(directory) / f"{stem}.jpeg", Path(directory) / f"{stem}.thumb.jpeg"


def to_grey(counts: np.ndarray) -> np.ndarray:
    """8-bit grey of detector counts: 255 (white) for nothing, darker for more counts,
    black from the level the module docstring gives; masked pixels white.

    One float32 copy of the frame is worked on in place (a 16M frame at collection end
    must not take several times its size)."""
    values = np.asarray(counts)
    top = _black_level(values)
    data = np.array(values, dtype=np.float32)  # a copy: the caller's array is kept
    np.clip(data, 0.0, top, out=data)
    data *= np.float32(-255.0 / top)
    data += np.float32(255.0)
    grey: np.ndarray = data.astype(np.uint8)
    return grey


def _black_level(values: np.ndarray) -> float:
    """The count shown black (see the module), from a sample of at most
    :data:`_SAMPLE_PIXELS` pixels (its temporaries freed before the frame is copied)."""
    flat = values.ravel()
    sample = flat[:: max(1, flat.size // _SAMPLE_PIXELS)]
    exposed = sample[sample > 0]
    if not exposed.size:
        return 1.0
    return max(float(np.percentile(exposed, 99.9)), 8.0 * float(np.median(exposed)), 1.0)


def image_to_jpegs(image: str | PurePath, directory: str | PurePath) -> tuple[Path, Path]:
    """Write the full-size JPEG and the thumbnail of the image file ``image`` into
    ``directory`` (created if need be); their paths. ``ValueError`` naming the image when
    it cannot be read, ``OSError`` when a JPEG cannot be written."""
    from PIL import Image  # deferred: Pillow is not needed at start

    jpeg, thumbnail = jpeg_paths(image, directory)
    if jpeg.exists() and thumbnail.exists():
        return jpeg, thumbnail
    picture = Image.fromarray(to_grey(read_counts(str(image))), mode="L")
    Path(directory).mkdir(parents=True, exist_ok=True)
    for target, size in ((jpeg, None), (thumbnail, THUMBNAIL_SIZE)):
        if target.exists():
            continue
        shown = picture
        if size is not None:
            shown = picture.copy()
            shown.thumbnail(size)
        buffer = io.BytesIO()
        shown.save(buffer, format="JPEG", quality=QUALITY)
        try:
            write_new_file(target, buffer.getvalue())
        except FileExistsError:  # made meanwhile by another maker of the same image
            pass
    return jpeg, thumbnail


def first_and_last_images(info: Mapping[str, object]) -> list[tuple[int, str]]:
    """``(image number, file)`` of the first and last image a collection wrote (one
    entry for a single image; none for HDF5 or no image). ``info``: the collect object's
    ``info`` dict (``files``, ``first_image``)."""
    files = info.get("files", ())
    if not isinstance(files, Sequence) or isinstance(files, str):
        return []
    images = [str(f) for f in files if str(f).endswith(".cbf")]
    if not images:
        return []
    first = info.get("first_image", 1)
    number = first if isinstance(first, int) else 1
    chosen = [(number, images[0])]
    if len(images) > 1:
        chosen.append((number + len(images) - 1, images[-1]))
    return chosen


class JpegMaker:
    """Makes the JPEGs of collections in one background thread.

    :meth:`submit` returns a Future at once; it ends with the list that
    :func:`mxgui.core.lims.records.image_jpegs` takes (``number``, ``file``, ``jpeg``,
    ``thumbnail`` per image), or with the error (an unreadable image, a full disk).
    At most ``max_pending`` collections wait; more are refused with ``RuntimeError``.
    """

    def __init__(self, max_pending: int = MAX_PENDING) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lims-jpegs")
        self._max_pending = max_pending
        self._pending = 0
        self._lock = threading.Lock()

    def submit(
        self, info: Mapping[str, object], directory: str | PurePath
    ) -> Future[list[dict[str, object]]]:
        """Make the JPEGs of the first and last image of the collection ``info``."""
        images = first_and_last_images(info)
        with self._lock:
            if self._pending >= self._max_pending:
                raise RuntimeError(
                    f"{self._pending} collections are waiting for their JPEGs already; "
                    "the JPEGs of this one are not made"
                )
            self._pending += 1
        try:
            future = self._executor.submit(self._make, images, Path(directory))
        except RuntimeError:  # shut down
            self._done()
            raise
        future.add_done_callback(lambda _f: self._done())
        return future

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1

    @staticmethod
    def _make(images: list[tuple[int, str]], directory: Path) -> list[dict[str, object]]:
        made: list[dict[str, object]] = []
        for number, image in images:
            jpeg, thumbnail = image_to_jpegs(image, directory)
            made.append(
                {"number": number, "file": image, "jpeg": str(jpeg), "thumbnail": str(thumbnail)}
            )
        log.debug("JPEGs of %d image(s) in %s", len(made), directory)
        return made

    def shutdown(self, wait: bool = True) -> None:
        """Finish (``wait``) or drop what is waiting, and end the thread."""
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
