"""CPU used by mxgui with the default layout open and the camera live, nothing moving.

Copies the simulated beamline to a temporary directory with the camera's frame rate set
to ``--fps`` (10 by default, as docs/contracts.md's target says), starts ``mxgui`` on it, waits
for the window, and measures the process's CPU time over ``--seconds``. Uses the current
display, or ``QT_QPA_PLATFORM=offscreen`` when there is none.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mxgui-cpu-") as tmp:
        repository = Path(tmp) / "simulated"
        shutil.copytree(ROOT / "HardwareRepository" / "simulated", repository)
        camera = repository / "sample_camera.xml"
        text = re.sub(
            r"<frame_rate>[^<]*</frame_rate>",
            f"<frame_rate>{args.fps}</frame_rate>",
            camera.read_text(),
        )
        camera.write_text(text)
        env = dict(
            os.environ,
            MXGUI_SETTINGS_DIR=str(Path(tmp) / "settings"),
            MXGUI_DATA_DIR=str(Path(tmp) / "data"),
        )
        if not env.get("DISPLAY"):
            env["QT_QPA_PLATFORM"] = "offscreen"
        log = Path(tmp) / "mxgui.log"
        with open(log, "w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "mxgui", "--repository", str(repository)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 60
            while "main window shown" not in log.read_text():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"mxgui did not start:\n{log.read_text()}")
                time.sleep(0.1)
            time.sleep(5.0)  # let start-up work settle (the image viewer warms up 2 s after start)
            start_cpu, start = cpu_seconds(process.pid), time.monotonic()
            time.sleep(args.seconds)
            used = (cpu_seconds(process.pid) - start_cpu) / (time.monotonic() - start)
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(
        json.dumps(
            {
                "name": f"cpu_default_layout_camera_{args.fps:g}fps",
                "value": round(100 * used, 1),
                "unit": "% of one core",
                "target": "<= 20",
            }
        )
    )


if __name__ == "__main__":
    main()
