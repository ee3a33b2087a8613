"""A minimal PNG encoder (zlib only) for snapshots written without the GUI."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np


def _chunk(kind: bytes, payload: bytes) -> bytes:
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def rgb_png(frame: np.ndarray) -> bytes:
    """``frame`` (height x width grey, or height x width x 3 RGB, uint8) as an 8-bit
    RGB PNG; other dtypes are scaled to 0..255 between their minimum and maximum."""
    array = np.asarray(frame)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or 0 in array.shape:
        raise ValueError(f"expected a grey or RGB image, got shape {array.shape}")
    array = array[:, :, :3]
    if array.dtype != np.uint8:
        low, high = float(array.min()), float(array.max())
        scale = 255.0 / (high - low) if high > low else 0.0
        array = ((array.astype(np.float32) - low) * scale).astype(np.uint8)
    height, width, _ = array.shape
    rows = np.zeros((height, 1 + width * 3), dtype=np.uint8)  # filter byte 0 per row
    rows[:, 1:] = array.reshape(height, width * 3)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 1))
        + _chunk(b"IEND", b"")
    )


def write_new_png(path: Path, frame: np.ndarray) -> Path:
    """Write ``frame`` to ``path``, which must not exist (``FileExistsError``)."""
    data = rgb_png(frame)
    with open(path, "xb") as out:
        out.write(data)
    return path
