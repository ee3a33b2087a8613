"""Save a screenshot of the main window on the simulated beamline (for the README).

Run under a display, e.g. ``xvfb-run -a .venv/bin/python scripts/screenshot.py``.
Logs in to the embedded LIMS as ``demo``, queues a data collection on three samples
from the sample changer and an X-ray centring workflow on the last one, runs the queue
(data go to a temporary directory), saves a point, shows the workflows' execution log,
then grabs the window. With ``--size WxH --queue-shot PATH`` it then also grabs the
window at that size on the Queue tab, a data collection selected (its form shown).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QTabWidget, QWidget

from mxgui.core.centring import CentredPosition
from mxgui.gui.application import MxguiApplication
from mxgui.gui.command_line import DEFAULT_LAYOUT, DEFAULT_REPOSITORY, ROOT, setup_logging

SAMPLES = ("1:02", "2:03", "3:05")


def show_tab(window: QWidget, label: str) -> None:
    """Bring the tab called ``label`` to the front."""
    for tabs in window.findChildren(QTabWidget):
        for index in range(tabs.count()):
            if tabs.tabText(index) == label:
                tabs.setCurrentIndex(index)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(ROOT / "resources" / "screenshot.png"))
    parser.add_argument("--layout", default=str(DEFAULT_LAYOUT))
    parser.add_argument(
        "--mesh-output",
        default=str(ROOT / "resources" / "screenshot_mesh.png"),
        help="then the Mesh results tab on the X-ray centring mesh ('' for none)",
    )
    parser.add_argument("--size", default="", help="WxH: the window's size (e.g. 1280x800)")
    parser.add_argument(
        "--queue-shot", default="", help="then the Queue tab, a data collection selected"
    )
    args = parser.parse_args()
    os.environ.setdefault("MXGUI_DATA_DIR", tempfile.mkdtemp(prefix="mxgui-screenshot-"))
    setup_logging("INFO")
    app = MxguiApplication([DEFAULT_REPOSITORY], Path(args.layout))
    main_window = app.start()
    dialog = app.lims_status.dialog if app.lims_status is not None else None
    if dialog is not None:
        dialog.user_edit.setText("demo")
        dialog.log_in()
    if args.size:
        width, height = (int(n) for n in args.size.lower().split("x"))
        main_window.showNormal()
        main_window.resize(width, height)
    repository = app.repository
    queue = repository.get("/queue")
    repository.get("/sample_changer").speed_factor = 0.02  # quick loads for the picture
    for address in SAMPLES:
        (sample,) = queue.add_samples_from_changer([address])
        queue.model.update_parameters(sample, {"centring": "none"})
        parameters = {"num_images": 30, "exp_time": 0.01, "osc_range": 1.0}
        queue.add_task(sample, "DataCollection", parameters)
    # the shipped XrayCentring workflow: a mesh and a line scan, coloured by their scores
    queue.add_task(sample, "XrayCentring", {"exp_time": 0.001, "take_snapshots": 0})
    started = time.monotonic()

    def wait_for_queue() -> None:
        if queue.engine.is_running() and time.monotonic() - started < 300:
            QTimer.singleShot(300, wait_for_queue)
            return
        here = CentredPosition(**repository.get("/diffractometer").get_positions())
        shapes = repository.get("/shapes")
        shapes.add_point(here, "centred")
        show_tab(main_window, "Workflows")
        runs_view = app.built.bricks["workflow_log"].runs_view
        runs_view.selectRow(0)  # its steps and their durations below
        QTimer.singleShot(1000, grab)

    def grab() -> None:
        main_window.grab().save(args.output)
        print(f"saved {args.output}")
        if not args.mesh_output:
            app.qapp.quit()
            return
        # the X-ray centring mesh in the mesh results brick, its best cell picked
        show_tab(main_window, "Mesh results")
        mesh_results = app.built.bricks["mesh_results"]
        mesh_results.show_grid("G1")
        QTimer.singleShot(1500, lambda: mesh_results.centre_on_best())
        QTimer.singleShot(3000, grab_mesh)

    def grab_mesh() -> None:
        main_window.grab().save(args.mesh_output)
        print(f"saved {args.mesh_output}")
        if not args.queue_shot:
            app.qapp.quit()
            return
        show_tab(main_window, "Queue")
        nodes, _, _ = queue.model.snapshot()
        collections = sorted(i for i, n in nodes.items() if n.type == "DataCollection")
        app.built.bricks["queue_tree"].select_node(collections[0])
        QTimer.singleShot(1500, grab_queue)

    def grab_queue() -> None:
        main_window.grab().save(args.queue_shot)
        print(f"saved {args.queue_shot}")
        app.qapp.quit()

    QTimer.singleShot(500, queue.engine.run_all)
    QTimer.singleShot(1500, wait_for_queue)
    app.qapp.exec_()
    app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
