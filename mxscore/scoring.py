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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: side, in pixels, of the blocks whose median is the local background
BLOCK = 32
#: how many sigmas above the background a signal pixel is
K_SIGMA = 5.0
#: extra counts a signal pixel needs above ``B + K_SIGMA * sigma``
MIN_EXCESS = 10.0
#: counts at and above this are overloads (Pilatus / Eiger cut-off): ignored
COUNT_CUTOFF = 1_048_575


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


def score_counts(data: np.ndarray) -> float:
    """The score (see the module docstring) of an image's counts, ``(h, w)``."""
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
    if not signal.any():
        return 0.0
    return float(np.sum(excess[signal] / sigma[signal]))


def read_counts(path: str | Path) -> np.ndarray:
    """The counts of the image file ``path``; ``ValueError`` naming it if it cannot be
    read (missing, truncated, not an image)."""
    try:
        import fabio  # deferred: a heavy import the GUI does not need at start
    except ImportError as exc:  # pragma: no cover - fabio is a dependency
        raise ValueError(f"cannot read {path}: fabio is not installed ({exc})") from None
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
