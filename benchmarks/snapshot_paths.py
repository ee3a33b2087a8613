"""Snapshots over XML-RPC with the data-root check and the exclusive write, and the
cost of the interlock check on every move.

The simulated beamline is loaded (no GUI: the camera frame is written) with its
XML-RPC server on a free loopback port and the session's data root in a temporary
directory. One client calls ``save_snapshot`` with a new path each time:

- ``xmlrpc_save_snapshot_png_median`` / ``_jpeg_median``: ms per 1280x1024 snapshot
  (path resolved inside the data roots, image encoded, temporary file hard-linked
  under its name);
- ``interlock_check_outside_caller_us``: microseconds of ``Interlock.check`` for an
  outside caller while nothing runs (what every brick or XML-RPC move pays).

The targets are mxgui's own: a snapshot well under the 1 s a workflow tolerates
between two of them (200 ms), and a check that costs nothing next to a move (5 us).
Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/xmlrpc.py is beside this file: its directory must not hide the stdlib's
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path.pop(0)

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import xmlrpc.client  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIMULATED = ROOT / "HardwareRepository" / "simulated"


def emit(name: str, value: float, unit: str, target: str) -> None:
    print(json.dumps({"name": name, "value": round(value, 4), "unit": unit, "target": target}))


def snapshot_times(proxy: xmlrpc.client.ServerProxy, directory: Path, suffix: str, n: int) -> list:
    """Milliseconds of each of ``n`` snapshots to new files in ``directory``."""
    times = []
    for index in range(n):
        path = directory / f"snap_{index}.{suffix}"
        start = time.perf_counter()
        proxy.save_snapshot(str(path))
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def check_cost(calls: int) -> float:
    from mxgui.core.interlock import Interlock, calling_as

    interlock = Interlock()
    with calling_as("a benchmark"):
        start = time.perf_counter()
        for _ in range(calls):
            interlock.check("phiy: the move")
        return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=30, help="snapshots per format")
    parser.add_argument("--checks", type=int, default=200_000, help="interlock checks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mxgui-bench-") as tmp:
        root = Path(tmp) / "data"
        os.environ["MXGUI_DATA_DIR"] = str(root)
        os.environ["MXGUI_SETTINGS_DIR"] = str(Path(tmp) / "settings")
        from mxgui.core.repository import HardwareRepository

        repo = HardwareRepository([SIMULATED])
        try:
            server = repo.beamline.role("xmlrpc_server")
            token = getattr(server, "token", "")
            headers = [("Token", token)] if token else []
            proxy = xmlrpc.client.ServerProxy(server.url, allow_none=True, headers=headers)
            snapshot_times(proxy, root / "warm-up", "png", 3)  # imports, first frame
            snapshot_times(proxy, root / "warm-up", "jpg", 3)
            png = snapshot_times(proxy, root / "bench", "png", args.snapshots)
            jpeg = snapshot_times(proxy, root / "bench", "jpg", args.snapshots)
            proxy("close")()
        finally:
            repo.shutdown()
    emit("xmlrpc_save_snapshot_png_median", statistics.median(png), "ms", "<= 200")
    emit("xmlrpc_save_snapshot_jpeg_median", statistics.median(jpeg), "ms", "<= 200")
    emit("interlock_check_outside_caller_us", check_cost(args.checks), "us", "<= 5")


if __name__ == "__main__":
    main()
