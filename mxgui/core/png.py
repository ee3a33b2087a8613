"""A small PNG writer (zlib only): snapshots without Qt or an imaging library (the
simulated collect's crystal snapshots, the XML-RPC server's camera frames)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: PNG colour types by number of channels: grey, grey + alpha, RGB, RGBA
_COLOUR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    )


def encode_png(image: np.ndarray, level: int = 1) -> bytes:
    """``image`` (height x width [x 1-4 channels], uint8 or other) as PNG bytes.

    Non-uint8 data are scaled to 0..255 between their minimum and maximum.
    """
    array = np.asarray(image)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in _COLOUR_TYPES or 0 in array.shape:
        raise ValueError(f"expected a height x width [x 1-4] image, got shape {array.shape}")
    if array.dtype != np.uint8:
        low, high = float(np.min(array)), float(np.max(array))
        scale = 255.0 / (high - low) if high > low else 0.0
        array = ((array.astype(np.float32) - low) * scale).astype(np.uint8)
    height, width, channels = array.shape
    rows = np.empty((height, 1 + width * channels), dtype=np.uint8)
    rows[:, 0] = 0  # filter type "none" on every row
    rows[:, 1:] = array.reshape(height, width * channels)
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPES[channels], 0, 0, 0)
    return b"".join(
        [
            _SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)),
            _chunk(b"IEND", b""),
        ]
    )


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """Write ``image`` as a PNG file at ``path`` (overwrites; see image_writer for
    the no-overwrite, atomic variant)."""
    path = Path(path)
    path.write_bytes(encode_png(image))
    return path
