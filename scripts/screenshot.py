"""Save a screenshot of the main window on the simulated beamline (for the README).

Run under a display, e.g. ``xvfb-run -a .venv/bin/python scripts/screenshot.py``.
Starts a move of Omega so that a motor is seen moving, then grabs the window.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PyQt5.QtCore import QTimer

from mxgui.gui.app import DEFAULT_LAYOUT, DEFAULT_REPOSITORY, ROOT, setup_logging
from mxgui.gui.application import MxguiApplication


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "resources" / "screenshot.png"))
    parser.add_argument("--layout", default=str(DEFAULT_LAYOUT))
    args = parser.parse_args()
    setup_logging("INFO")
    app = MxguiApplication([DEFAULT_REPOSITORY], Path(args.layout))
    main_window = app.start()
    app.repository.get("/phi").set_value(180.0)

    def grab() -> None:
        main_window.grab().save(args.output)
        print(f"saved {args.output}")
        app.qapp.quit()

    QTimer.singleShot(1200, grab)
    app.qapp.exec_()
    app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
