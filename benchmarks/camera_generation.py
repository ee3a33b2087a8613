"""Sample camera: frames generated per second by the simulated camera at 1280x1024.

Loads the simulated beamline's diffractometer and camera and renders frames back to
back in one thread (what the camera thread does, without the pacing): once at the
default zoom and positions, and once at the highest zoom with the crystal centred, where
the loop fills the image (the most pixels to paint). Each frame reads the motor
positions, zoom and lights once, draws the loop, pin and crystal and adds the noise.

Prints one JSON object per figure (see docs/contracts.md).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from mxgui.core.repository import HardwareRepository

SIMULATED = Path(__file__).resolve().parents[1] / "HardwareRepository" / "simulated"


def frames_per_second(camera, seconds: float) -> float:
    """Frames rendered per second over about ``seconds`` (after two warm-up frames)."""
    camera.render()
    camera.render()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        camera.render()
        count += 1
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    repo = HardwareRepository([SIMULATED])
    try:
        diffractometer = repo.get("diffractometer")
        camera = repo.get("sample_camera")
        size = f"{camera.get_width()}x{camera.get_height()}"
        figures = [
            ("camera_frames_generated_default_zoom", frames_per_second(camera, args.seconds))
        ]
        for role in ("phiy", "phiz", "sampx", "sampy"):
            diffractometer.get_motor(role).set_velocity(50.0)
        diffractometer.move_motors(diffractometer.scene.centring_positions(), timeout=10)
        diffractometer.set_zoom(diffractometer.get_zoom_levels()[-1], timeout=10)
        figures.append(
            ("camera_frames_generated_max_zoom", frames_per_second(camera, args.seconds))
        )
    finally:
        repo.shutdown()
    for name, value in figures:
        print(
            json.dumps(
                {
                    "name": f"{name}_{size}",
                    "value": round(value, 1),
                    "unit": "frames/s",
                    "target": ">= 60",
                }
            )
        )


if __name__ == "__main__":
    main()
