"""Save a screenshot of the main window on the simulated beamline (for the README).

Run under a display, e.g. ``xvfb-run -a .venv/bin/python scripts/screenshot.py``.
Saves a point and draws a grid at the beam, starts a short data collection (into a
temporary directory) so that the motors and shutters are seen working, then grabs the
window.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from PyQt5.QtCore import QTimer

from mxgui.core.centring import CentredPosition
from mxgui.gui.app import DEFAULT_LAYOUT, DEFAULT_REPOSITORY, ROOT, setup_logging
from mxgui.gui.application import MxguiApplication


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "resources" / "screenshot.png"))
    parser.add_argument("--layout", default=str(DEFAULT_LAYOUT))
    args = parser.parse_args()
    setup_logging("INFO")
    os.environ.setdefault("MXGUI_DATA_DIR", tempfile.mkdtemp(prefix="mxgui-screenshot-"))
    app = MxguiApplication([DEFAULT_REPOSITORY], Path(args.layout))
    main_window = app.start()
    here = CentredPosition(**app.repository.get("/diffractometer").get_positions())
    shapes = app.repository.get("/shapes")
    shapes.add_point(here, "start")
    shapes.add_grid(here, 8, 6, 0.03, 0.03, spacing_x_mm=0.005, spacing_y_mm=0.005)
    collect = app.repository.get("/collect")
    parameters = collect.get_default_acquisition_parameters()
    parameters.num_images, parameters.exp_time, parameters.osc_range = 100, 0.05, 0.1
    collect.collect(parameters, collect.get_default_path_template(prefix="insulin"))

    def grab() -> None:
        main_window.grab().save(args.output)
        print(f"saved {args.output}")
        app.qapp.quit()

    QTimer.singleShot(2500, grab)
    app.qapp.exec_()
    collect.stop_collect()
    app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
