"""silx plots whose tick and axis labels stay whole in a small widget.

silx lays out a plot's axes with margins given as fractions of the widget
(``setAxesMargins``, 15 % left by default): in a narrow dock the tick labels ("1000")
and the axis label ("row") are cut. :func:`keep_labels_whole` turns margins in pixels,
from the font, into those fractions again on every resize.
"""

from __future__ import annotations

from typing import Protocol

from PyQt5.QtCore import QEvent, QObject
from PyQt5.QtGui import QFontMetrics
from PyQt5.QtWidgets import QWidget

#: the largest fraction of the widget one margin may take (the data keeps the rest)
MAX_MARGIN = 0.4


class PlotWithMargins(Protocol):
    """What mxgui uses of a silx ``PlotWidget`` here."""

    def getWidgetHandle(self) -> QWidget: ...  # noqa: N802 (silx's name)

    def setAxesMargins(  # noqa: N802 (silx's name)
        self, left: float, top: float, right: float, bottom: float
    ) -> None: ...


class _MarginKeeper(QObject):
    """Sets the plot's margins from its font whenever its drawing widget is resized."""

    def __init__(self, plot: PlotWithMargins, handle: QWidget, widest_tick: str) -> None:
        super().__init__(handle)
        self.plot = plot
        self.handle = handle
        self.widest_tick = widest_tick

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Resize:
            self.apply()
        return False

    def apply(self) -> None:
        width, height = self.handle.width(), self.handle.height()
        if width <= 0 or height <= 0:
            return
        self.plot.setAxesMargins(
            *margins_for(QFontMetrics(self.handle.font()), width, height, self.widest_tick)
        )


def margins_for(
    metrics: QFontMetrics, width: int, height: int, widest_tick: str
) -> tuple[float, float, float, float]:
    """``(left, top, right, bottom)`` fractions of a ``width`` x ``height`` plot that hold
    tick labels as wide as ``widest_tick``, the axis labels and the title."""
    line = metrics.height()
    tick = metrics.horizontalAdvance(widest_tick)
    # matplotlib draws with its own (slightly larger) font: 25 % more room than Qt's
    left = 1.25 * (tick + 2 * line) + 6
    right = 1.25 * tick / 2 + 6
    top = 1.25 * 1.5 * line + 6
    bottom = 1.25 * 2 * line + 10

    def fraction(pixels: float, size: int) -> float:
        return min(MAX_MARGIN, pixels / size)

    return (
        fraction(left, width),
        fraction(top, height),
        fraction(right, width),
        fraction(bottom, height),
    )


def keep_labels_whole(plot: PlotWithMargins, widest_tick: str = "0000.0") -> None:
    """Keep ``plot``'s tick labels (up to ``widest_tick`` wide), axis labels and title
    inside it at any size."""
    handle = plot.getWidgetHandle()
    keeper = _MarginKeeper(plot, handle, widest_tick)
    handle.installEventFilter(keeper)
    keeper.apply()
