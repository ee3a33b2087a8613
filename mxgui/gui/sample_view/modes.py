"""Interaction modes of the sample view: exactly one at a time, each with its own
meaning for a click or a drag on the image."""

from __future__ import annotations

import enum
from collections.abc import Callable

from PyQt5.QtCore import QObject, QRectF, Qt, pyqtSignal

from mxgui.gui.sample_view.overlays import RubberBandItem, SegmentItem
from mxgui.gui.sample_view.style import OverlayStyle
from mxgui.gui.sample_view.view import SampleGraphicsView

#: a drag shorter than this many screen pixels both ways is a click
MIN_DRAG_PIXELS = 3.0


class Mode(enum.Enum):
    """What a click or a drag on the image does."""

    IDLE = "idle"
    CENTRING = "centring"
    MOVE_TO_BEAM = "move_to_beam"
    DRAW_GRID = "draw_grid"
    DRAW_LINE = "draw_line"
    MEASURE = "measure"

    @property
    def title(self) -> str:
        """The mode's name for the user."""
        return _TITLES[self]

    @property
    def hint(self) -> str:
        """What to do in this mode."""
        return _HINTS[self]

    @property
    def cursor(self) -> Qt.CursorShape:
        return _CURSORS[self]


_TITLES = {
    Mode.IDLE: "Idle",
    Mode.CENTRING: "3-click centring",
    Mode.MOVE_TO_BEAM: "Move to beam",
    Mode.DRAW_GRID: "Draw grid",
    Mode.DRAW_LINE: "Draw line",
    Mode.MEASURE: "Measure",
}
_HINTS = {
    Mode.IDLE: "click or box shapes to select (ctrl: add); right-click one for its menu",
    Mode.CENTRING: "click the crystal each time the goniometer has turned; Esc cancels",
    Mode.MOVE_TO_BEAM: "click a point to move it onto the beam; Esc ends",
    Mode.DRAW_GRID: "drag a rectangle over the area to scan; Esc ends",
    Mode.DRAW_LINE: "click the two ends of the line; Esc ends",
    Mode.MEASURE: "drag to measure a distance; Esc ends",
}
_CURSORS = {
    Mode.IDLE: Qt.ArrowCursor,
    Mode.CENTRING: Qt.CrossCursor,
    Mode.MOVE_TO_BEAM: Qt.PointingHandCursor,
    Mode.DRAW_GRID: Qt.CrossCursor,
    Mode.DRAW_LINE: Qt.CrossCursor,
    Mode.MEASURE: Qt.CrossCursor,
}
_DRAG_MODES = (Mode.DRAW_GRID, Mode.MEASURE)

Point = tuple[float, float]


class ModeController(QObject):
    """Holds the current :class:`Mode` and turns mouse events into requests.

    Requests (image pixels): ``selectClicked(x, y)`` (idle), ``selectDragged(x0, y0,
    x1, y1)`` (idle: a box dragged around shapes), ``centringClicked(x, y)``,
    ``moveToBeamClicked(x, y)``, ``lineDrawn(x0, y0, x1, y1)`` (after the second
    click), ``gridDrawn(x0, y0, x1, y1)`` (press and release of the drag),
    ``distanceMeasured(x0, y0, x1, y1)``. A click outside the image, or a grid dragged with
    no size, gives ``messagePosted(text)`` and no request. ``escapePressed`` when the user
    presses Escape (the owner decides what it cancels, then sets :attr:`Mode.IDLE`).

    ``describe(mode, start, end)`` writes the label of a drag in progress (the grid's
    number of cells, the measured length).
    """

    modeChanged = pyqtSignal(object)
    messagePosted = pyqtSignal(str)
    hintPosted = pyqtSignal(str)
    escapePressed = pyqtSignal()
    selectClicked = pyqtSignal(float, float)
    selectDragged = pyqtSignal(float, float, float, float)
    centringClicked = pyqtSignal(float, float)
    moveToBeamClicked = pyqtSignal(float, float)
    lineDrawn = pyqtSignal(float, float, float, float)
    gridDrawn = pyqtSignal(float, float, float, float)
    distanceMeasured = pyqtSignal(float, float, float, float)

    def __init__(
        self,
        view: SampleGraphicsView,
        style: OverlayStyle,
        describe: Callable[[Mode, Point, Point], str] | None = None,
    ) -> None:
        super().__init__(view)
        self.view = view
        self.describe = describe or (lambda mode, start, end: "")
        self._mode = Mode.IDLE
        self._drag_start: Point | None = None
        self._line_start: Point | None = None
        self.rubber_band = RubberBandItem(style)
        self.measure = SegmentItem(style, style.measure)
        self.line_preview = SegmentItem(style, style.line, dashed=True)
        for item in (self.rubber_band, self.measure, self.line_preview):
            item.setVisible(False)
            view.scene().addItem(item)
        view.imagePressed.connect(self._pressed)
        view.imageMoved.connect(self._moved)
        view.imageReleased.connect(self._released)
        view.escapePressed.connect(self.escapePressed)
        view.viewport().setCursor(self._mode.cursor)

    @property
    def mode(self) -> Mode:
        """The current mode."""
        return self._mode

    def set_mode(self, mode: Mode) -> None:
        """Make ``mode`` the current mode (dropping a drag or a half-drawn line)."""
        mode = Mode(mode)
        self._drag_start = self._line_start = None
        self.rubber_band.setVisible(False)
        self.line_preview.setVisible(False)
        if mode is not Mode.MEASURE:
            self.measure.setVisible(False)
        if mode is self._mode:
            return
        self._mode = mode
        self.view.viewport().setCursor(mode.cursor)
        self.modeChanged.emit(mode)

    # mouse --------------------------------------------------------------------------------------
    def _on_image(self, x: float, y: float) -> bool:
        if self.view.contains_image_point(x, y):
            return True
        if self._mode is not Mode.IDLE:  # idle: a click beside the image means nothing
            width, height = self.view.image_size()
            self.hintPosted.emit(
                f"{self._mode.title}: the click at ({x:.0f}, {y:.0f}) is outside the image "
                f"(0-{width} x 0-{height} pixels); click on the camera image"
            )
        return False

    def _pressed(self, x: float, y: float) -> None:
        if not self._on_image(x, y):
            return
        mode = self._mode
        if mode in _DRAG_MODES:
            self._drag_start = (x, y)
            self._show_drag((x, y))
        elif mode is Mode.IDLE:
            self.selectClicked.emit(x, y)
            self._drag_start = (x, y)  # a drag from here selects what its box holds
        elif mode is Mode.CENTRING:
            self.centringClicked.emit(x, y)
        elif mode is Mode.MOVE_TO_BEAM:
            self.moveToBeamClicked.emit(x, y)
        elif mode is Mode.DRAW_LINE:
            self._line_click(x, y)

    def _line_click(self, x: float, y: float) -> None:
        if self._line_start is None:
            self._line_start = (x, y)
            self.line_preview.set_segment((x, y), (x, y), "click the other end")
            self.line_preview.setVisible(True)
            return
        (x0, y0), self._line_start = self._line_start, None
        self.line_preview.setVisible(False)
        self.lineDrawn.emit(x0, y0, x, y)

    def _clamped(self, x: float, y: float) -> Point:
        width, height = self.view.image_size()
        return min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))

    def _moved(self, x: float, y: float) -> None:
        if self._drag_start is not None:
            self._show_drag(self._clamped(x, y))

    def _show_drag(self, end: Point) -> None:
        start = self._drag_start
        if start is None:
            return
        text = self.describe(self._mode, start, end) if self._mode is not Mode.IDLE else ""
        if self._mode in (Mode.DRAW_GRID, Mode.IDLE):
            self.rubber_band.set_rect(QRectF(*start, end[0] - start[0], end[1] - start[1]), text)
            self.rubber_band.setVisible(True)
        else:
            self.measure.set_segment(start, end, text)
            self.measure.setVisible(True)

    def _released(self, x: float, y: float) -> None:
        start, self._drag_start = self._drag_start, None
        if start is None:
            return
        end = self._clamped(x, y)
        self.rubber_band.setVisible(False)
        scale = self.view.scale()
        dragged = max(abs(end[0] - start[0]), abs(end[1] - start[1])) * scale
        if self._mode is Mode.IDLE:
            if dragged >= MIN_DRAG_PIXELS:
                self.selectDragged.emit(*start, *end)
        elif self._mode is Mode.DRAW_GRID:
            if dragged < MIN_DRAG_PIXELS:
                self.messagePosted.emit(
                    "Draw grid: the rectangle has no size; press on one corner of the "
                    "area and drag to the opposite corner"
                )
                return
            self.gridDrawn.emit(*start, *end)
        elif self._mode is Mode.MEASURE:
            if dragged < MIN_DRAG_PIXELS:
                self.measure.setVisible(False)
                return
            self._show_drag_end(start, end)
            self.distanceMeasured.emit(*start, *end)

    def _show_drag_end(self, start: Point, end: Point) -> None:
        self.measure.set_segment(start, end, self.describe(Mode.MEASURE, start, end))
        self.measure.setVisible(True)
