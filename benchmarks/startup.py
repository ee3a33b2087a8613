"""Start-up: time from launching ``mxgui`` to its first painted main window.

Runs ``python -m mxgui`` (default layout, simulated beamline) several times with
``MXGUI_QUIT_AFTER_PAINT=1``; the application prints the wall-clock time of its first
paint and quits. Also reports the peak resident memory of those runs and the number of
errors or tracebacks logged during a clean start. Uses the current display, or
``QT_QPA_PLATFORM=offscreen`` when there is none.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ERROR_LINE = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback \(most recent call last\)")


def one_run(env: dict[str, str]) -> tuple[float, float, int]:
    """Seconds to first paint, peak RSS in MB, error lines logged."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.time()
        process = subprocess.Popen([sys.executable, "-m", "mxgui"], env=env, stdout=out, stderr=err)
        _, status, rusage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise RuntimeError(f"mxgui exited with {process.returncode}:\n{stderr}")
    match = re.search(r"MXGUI_FIRST_PAINT (\d+\.\d+)", stdout)
    if not match:
        raise RuntimeError(f"mxgui did not report a first paint:\n{stdout}\n{stderr}")
    errors = sum(1 for line in stderr.splitlines() if ERROR_LINE.search(line))
    return float(match.group(1)) - started, rusage.ru_maxrss / 1024.0, errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = dict(os.environ, MXGUI_QUIT_AFTER_PAINT="1")
    if not env.get("DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    env.setdefault("MXGUI_SETTINGS_DIR", os.path.join("/tmp", f"mxgui-bench-{os.getpid()}"))
    # a new user's start: no queue, shapes or logs left by earlier sessions
    env.setdefault("MXGUI_DATA_DIR", os.path.join("/tmp", f"mxgui-bench-data-{os.getpid()}"))
    one_run(env)  # warm the file cache; not counted
    runs = [one_run(env) for _ in range(args.runs)]
    times = [r[0] for r in runs]
    figures = [
        ("startup_first_paint_median", statistics.median(times), "s", "<= 2.0"),
        ("startup_first_paint_max", max(times), "s", "<= 2.0"),
        ("resident_memory_default_layout", max(r[1] for r in runs), "MB", "<= 250"),
        ("errors_logged_clean_start", max(r[2] for r in runs), "count", "<= 0"),
    ]
    for name, value, unit, target in figures:
        print(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "target": target}))


if __name__ == "__main__":
    main()
