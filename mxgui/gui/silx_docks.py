"""silx plots without stray windows: the ROI and mask docks die with their plot."""

from __future__ import annotations

from typing import Protocol, cast

from PyQt5.QtWidgets import QWidget


class PlotWithDocks(Protocol):
    """What mxgui uses of a silx ``PlotWindow``: the getters of its two docks."""

    def getCurvesRoiDockWidget(self) -> QWidget: ...  # noqa: N802 (silx's name)

    def getMaskToolsDockWidget(self) -> QWidget: ...  # noqa: N802 (silx's name)


def keep_docks_with(plot: PlotWithDocks) -> None:
    """Give a silx ``PlotWindow`` (``Plot1D``, ``Plot2D``) its docks as children.

    silx makes the "Regions Of Interest" and "Mask" dock widgets of every plot without a
    parent (they get one only when the user opens them), so they outlive the plot as
    hidden top-level windows. As hidden children of the plot they go with it; opening
    one still docks it where silx puts it.
    """
    for dock in (plot.getCurvesRoiDockWidget(), plot.getMaskToolsDockWidget()):
        if dock.parent() is None:
            dock.setParent(cast(QWidget, plot), dock.windowFlags())  # a PlotWindow is one
            dock.hide()
