"""Snapshot images as files: PNG or JPEG (as mxcubecore's callers ask), created new.

The format follows the name's suffix (:data:`SNAPSHOT_SUFFIXES`). PNG is written by
the project's own encoder; JPEG by Pillow (a dependency of matplotlib), imported the
first time a JPEG is written.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from mxgui.core.new_files import write_new_file
from mxgui.core.png import encode_png

#: the suffixes a snapshot may have, and the format each means
SNAPSHOT_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}
#: JPEG quality of snapshots (Pillow's scale, 1-95)
JPEG_QUALITY = 90


def snapshot_format(path: str | Path) -> str:
    """``PNG`` or ``JPEG`` for ``path``'s suffix; ``ValueError`` naming the suffixes."""
    suffix = Path(path).suffix.lower()
    if suffix not in SNAPSHOT_SUFFIXES:
        raise ValueError(f"{str(path)!r} must end in {', '.join(SNAPSHOT_SUFFIXES)}")
    return SNAPSHOT_SUFFIXES[suffix]


def rgb_of(frame: np.ndarray) -> np.ndarray:
    """``frame`` (grey, RGB or RGBA) as an 8-bit RGB array."""
    array = np.asarray(frame)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    elif array.ndim == 3 and array.shape[2] == 4:
        array = array[:, :, :3]
    if array.dtype != np.uint8:
        low, high = float(np.min(array)), float(np.max(array))
        scale = 255.0 / (high - low) if high > low else 0.0
        array = ((array.astype(np.float32) - low) * scale).astype(np.uint8)
    return np.ascontiguousarray(array)


def encode_snapshot(frame: np.ndarray, image_format: str) -> bytes:
    """``frame`` as RGB ``PNG`` or ``JPEG`` bytes."""
    rgb = rgb_of(frame)
    if image_format == "PNG":
        return encode_png(rgb)
    from PIL import Image  # deferred: only JPEG snapshots need it

    out = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(out, "JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def write_new_snapshot(path: str | Path, frame: np.ndarray) -> Path:
    """Write ``frame`` at ``path`` in the format of its suffix; the file must not exist
    (``FileExistsError``, even when another writer creates it meanwhile)."""
    return write_new_file(path, encode_snapshot(frame, snapshot_format(path)))
