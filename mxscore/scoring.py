"""A score per diffraction image: how much diffraction it shows (Qt-free).

:func:`score_image` reads an image file (CBF, or any format fabio reads; fabio is
imported on first use) and returns :func:`score_counts` of its pixels.

The score, documented once here for the GUI, the workflows and the user:

1. pixels below 0 (detector gaps, bad pixels) and at or above the counter cut-off are
   ignored;
2. the local background ``B`` is the median of each block of :data:`BLOCK` x
   :data:`BLOCK` pixels (a median, so the spots do not raise it), spread back to the
   block's pixels; its noise is ``sigma = sqrt(max(B, 1))`` (counting statistics);
3. a pixel is a *signal pixel* when its counts ``I > B + K_SIGMA * sigma + MIN_EXCESS``
   (the constant keeps the Poisson tail of a low background out: an image of
   background only scores about 0);
4. the score is the sum over signal pixels of ``(I - B) / sigma``: the number of
   signal pixels weighted by how strong they are. It grows with the number of Bragg
   spots and with their intensity, so with the crystal volume in the beam.

Scores are floats >= 0, comparable between images of one mesh (same detector, exposure
and geometry), not between beamlines.

The spot count (:func:`assess_counts`, :func:`assess_image`), from the same signal
pixels in the same pass: a *spot* is a group of 8-connected signal pixels (touching by
a side or a corner) of at least :data:`MIN_SPOT_PIXELS` pixels; a lone signal pixel (a
zinger, a hot pixel, a noise peak) is no spot. The groups are found with numpy alone:
the signal pixels' flat indices, their neighbours looked up by binary search, and
labels merged by hooking and pointer jumping, so the cost grows with the signal
pixels, not with the image (a 4M image of background only costs the score alone).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

#: side, in pixels, of the blocks whose median is the local background
BLOCK = 32
#: how many sigmas above the background a signal pixel is
K_SIGMA = 5.0
#: extra counts a signal pixel needs above ``B + K_SIGMA * sigma``
MIN_EXCESS = 10.0
#: counts at and above this are overloads (Pilatus / Eiger cut-off): ignored
COUNT_CUTOFF = 1_048_575
#: the fewest 8-connected signal pixels that make a spot
MIN_SPOT_PIXELS = 2


class ImageQuality(NamedTuple):
    """What one image shows: its score and its spot count (see the module docstring)."""

    score: float
    spots: int


def local_background(data: np.ndarray, block: int = BLOCK) -> np.ndarray:
    """The median of each ``block`` x ``block`` tile, one value per tile (edges padded
    by reflection); shape ``(ceil(h / block), ceil(w / block))``."""
    height, width = data.shape
    rows, cols = -(-height // block), -(-width // block)
    padded = np.pad(data, ((0, rows * block - height), (0, cols * block - width)), mode="reflect")
    tiles = padded.reshape(rows, block, cols, block).transpose(0, 2, 1, 3)
    tiles = tiles.reshape(rows, cols, block * block)
    middle = block * block // 2
    return np.partition(tiles, middle, axis=2)[:, :, middle].astype(np.float32)


def signal_pixels(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The excess over the background, its sigma and the signal-pixel mask of ``data``."""
    counts = np.asarray(data)
    if counts.ndim != 2 or counts.size == 0:
        raise ValueError(f"an image is a 2-D array of counts, got shape {counts.shape}")
    counts = counts.astype(np.float32, copy=False)
    valid = (counts >= 0) & (counts < COUNT_CUTOFF)
    background = local_background(np.where(valid, counts, 0.0))
    # spread the tile values back to pixels
    full = np.repeat(np.repeat(background, BLOCK, axis=0), BLOCK, axis=1)
    full = full[: counts.shape[0], : counts.shape[1]]
    sigma = np.sqrt(np.maximum(full, 1.0))
    excess = counts - full
    signal = valid & (excess > K_SIGMA * sigma + MIN_EXCESS)
    return excess, sigma, signal


def _score(excess: np.ndarray, sigma: np.ndarray, signal: np.ndarray) -> float:
    if not signal.any():
        return 0.0
    return float(np.sum(excess[signal] / sigma[signal]))


def score_counts(data: np.ndarray) -> float:
    """The score (see the module docstring) of an image's counts, ``(h, w)``."""
    return _score(*signal_pixels(data))


def count_spots(signal: np.ndarray, min_pixels: int = MIN_SPOT_PIXELS) -> int:
    """How many groups of at least ``min_pixels`` 8-connected ``True`` pixels the 2-D
    mask ``signal`` has."""
    mask = np.asarray(signal, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"a signal mask is 2-D, got shape {mask.shape}")
    flat = np.flatnonzero(mask)  # sorted
    if flat.size < min_pixels or flat.size == 0:
        return 0
    width = mask.shape[1]
    col = flat % width
    first: list[np.ndarray] = []
    second: list[np.ndarray] = []
    # each pair once: the right neighbour and the three below
    for offset, col_ok in (
        (1, col < width - 1),
        (width - 1, col > 0),
        (width, None),
        (width + 1, col < width - 1),
    ):
        target = flat + offset
        position = np.searchsorted(flat, target)
        position[position == flat.size] = 0  # past the end: compared, never equal
        hit = flat[position] == target
        if col_ok is not None:
            hit &= col_ok
        first.append(np.flatnonzero(hit))
        second.append(position[hit])
    a = np.concatenate(first)
    b = np.concatenate(second)
    labels = np.arange(flat.size)
    while a.size:
        # hook: each root takes the smallest root it touches (roots only point lower: no
        # cycle), then pointer jumping makes every label a root again
        la, lb = labels[a], labels[b]
        np.minimum.at(labels, np.maximum(la, lb), np.minimum(la, lb))
        while True:
            jumped = labels[labels]
            if np.array_equal(jumped, labels):
                break
            labels = jumped
        apart = labels[a] != labels[b]
        a, b = a[apart], b[apart]
    sizes = np.bincount(labels)
    return int(np.count_nonzero(sizes >= min_pixels))


def assess_counts(data: np.ndarray) -> ImageQuality:
    """The score and the spot count (see the module docstring) of an image's counts."""
    excess, sigma, signal = signal_pixels(data)
    return ImageQuality(_score(excess, sigma, signal), count_spots(signal))


def read_counts(path: str | Path) -> np.ndarray:
    """The counts of the image file ``path``; ``ValueError`` naming it if it cannot be
    read (missing, truncated, not an image)."""
    try:
        import fabio  # deferred: a heavy import the GUI does not need at start
    except ImportError as exc:  # pragma: no cover - fabio is a dependency
        raise ValueError(f"cannot read {path}: fabio is not installed ({exc})") from None
    if str(path).endswith(".h5"):
        # the images' bitshuffle-LZ4 filter (fabio imports it too, silently if it can)
        import hdf5plugin  # noqa: F401
    try:
        image = fabio.open(str(path))
        data = image.data
    except Exception as exc:  # noqa: BLE001 - fabio's parsers raise anything on bad bytes
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise ValueError(f"cannot read image {path}: {reason}") from None
    if data is None or np.ndim(data) != 2:
        raise ValueError(f"cannot read image {path}: no 2-D image in it")
    return np.asarray(data)  # fabio's data is an ndarray already: no copy


def score_image(path: str | Path) -> float:
    """The score of the image file ``path`` (see the module docstring); ``ValueError``
    naming the file when it cannot be read."""
    return score_counts(read_counts(path))


def assess_image(path: str | Path) -> ImageQuality:
    """The score and the spot count of the image file ``path`` (one read);
    ``ValueError`` naming the file when it cannot be read."""
    return assess_counts(read_counts(path))
