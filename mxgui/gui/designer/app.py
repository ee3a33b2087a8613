"""Entry point of ``mxgui --design [FILE]``."""

from __future__ import annotations

import sys
from pathlib import Path

from PyQt5.QtWidgets import QApplication

from mxgui.gui.designer.main_window import DesignerWindow


def run_designer(path: str, repository_dirs: list[Path]) -> int:
    """Open the designer on the layout ``path`` (a new layout if the file does not exist).

    Creates the Qt application if there is none, runs the event loop until the designer
    window is closed, and returns the event loop's exit code.
    """
    qapp = QApplication.instance() or QApplication(sys.argv[:1])
    qapp.setApplicationName("mxgui")
    qapp.setOrganizationName("mxgui")
    # the designer's window decides when to quit (a preview may open other windows);
    # Qt's own "last window closed" quit would also leave a Quit event queued behind
    quit_on_last = QApplication.quitOnLastWindowClosed()
    QApplication.setQuitOnLastWindowClosed(False)
    window = DesignerWindow(list(repository_dirs), path or None)
    window.windowClosed.connect(qapp.quit)
    window.show()
    try:
        return qapp.exec_()
    finally:
        window.shutdown()
        window.deleteLater()
        QApplication.setQuitOnLastWindowClosed(quit_on_last)
