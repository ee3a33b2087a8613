"""Mesh scan results: a grid's heat map (a curve for a line scan), a cell's image,
the best image so far, and moves and points from the best cells.

``silx`` is imported when the brick is first shown (the plots are made then); results
that arrive before are shown at that time. The image files are read with fabio in a
worker thread (:class:`~mxgui.gui.mesh_results.frames.FrameLoader`).
"""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

import numpy as np
from PyQt5.QtCore import Qt, QTimer, pyqtSignal
from PyQt5.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from hardware_objects.abstract.diffractometer import AbstractDiffractometer
from hardware_objects.queue import QueueHardwareObject
from mxgui.core.grid_results import GridResults
from mxgui.core.shapes import Grid, ShapesModel
from mxgui.gui import properties as p
from mxgui.gui.brick import Brick, BrickContext, PropertyValue
from mxgui.gui.mesh_results import COLORMAPS
from mxgui.gui.mesh_results.actions import best_cell, cell_name, hover_text, points_from_best
from mxgui.gui.mesh_results.frames import FrameLoader, FrameSlot, cell_image_path
from mxgui.gui.mesh_results.grid_choice import GridChoice, same_geometry
from mxgui.gui.widgets import MessageLine

log = logging.getLogger(__name__)

#: big grids are redrawn at most every ``num_cells / CELLS_PER_MS`` ms
CELLS_PER_MS = 4000


class MeshResultsBrick(Brick):
    """The results of one grid of ``shapes`` (chosen in a list; a running mesh scan's
    grid is shown as its results arrive), redrawn at most every ``refresh_ms``, or
    every :data:`CELLS_PER_MS` th of the cells in ms for big grids (a redraw of a
    million cells costs ~0.1 s: at most 4 a second keep the GUI responsive).

    Hover a cell to read its score; click it to see its image and to move the sample
    there. The best image so far is shown beside it (read again only when the best
    cell changes). "Centre on best" moves to the best cell, "Points from N best" adds
    points at the N best cells. A new mesh on the grid clears what was shown.
    """

    PROPERTIES = (
        p.hardware_object("shapes", "/shapes", "the shapes of the sample", ShapesModel),
        p.hardware_object(
            "diffractometer", "/diffractometer", "moves to cells", AbstractDiffractometer
        ),
        p.hardware_object(
            "queue",
            "",
            "the queue (optional: a mesh's scan order), e.g. /queue",
            QueueHardwareObject,
        ),
        p.integer("refresh_ms", 100, "redraw period while results arrive, ms", minimum=20),
    )
    cellPicked = pyqtSignal(str, int)
    imageRequested = pyqtSignal(str)
    SIGNALS = ("cellPicked", "imageRequested")
    SLOTS = ("show_grid", "pick_cell", "centre_on_best", "points_from_best")

    def __init__(self, context: BrickContext, name: str, parent: QWidget | None = None) -> None:
        super().__init__(context, name, parent)
        self.shapes: ShapesModel | None = None
        self.grid: Grid | None = None
        self._shapes_cleared = False
        self.results: GridResults | None = None
        self.best: int | None = None
        self.picked: int | None = None
        self._dirty = False
        #: the plots, made the first time the brick is shown
        self.plot: Any = None
        self.picked_view: Any = None
        self.best_view: Any = None
        self.loader = FrameLoader(self._deliver_frame)
        self.slots: dict[str, FrameSlot] = {}

        self.grids = GridChoice(self)
        self.grids.gridChosen.connect(self._on_chosen)
        self.colormap_combo = QComboBox()
        self.colormap_combo.addItems(COLORMAPS)
        self.colormap_combo.setToolTip("colour map of the heat map")
        self.colormap_combo.currentTextChanged.connect(self._set_colormap)
        self.count_label = QLabel("")
        self.hover_label = QLabel("")
        self.move_button = QPushButton("Move to cell")
        self.move_button.clicked.connect(lambda: self.move_to_cell())
        self.best_button = QPushButton("Centre on best")
        self.best_button.clicked.connect(lambda: self.centre_on_best())
        self.count_spin = QSpinBox()
        self.count_spin.setRange(1, 1000)
        self.count_spin.setValue(3)
        self.points_button = QPushButton("Points from N best")
        self.points_button.clicked.connect(lambda: self.points_from_best())
        self.open_button = QPushButton("Open in image viewer")
        self.open_button.setToolTip("show the picked cell's image in the image viewer")
        self.open_button.clicked.connect(lambda: self.open_in_viewer())
        self.message = MessageLine()

        top = QHBoxLayout()
        top.addWidget(QLabel("Grid"))
        top.addWidget(self.grids.combo, 1)
        top.addWidget(QLabel("Colours"))
        top.addWidget(self.colormap_combo)
        top.addWidget(self.count_label)
        self._plot_place = QWidget()
        self._plot_place.setMinimumHeight(260)
        bottom = QHBoxLayout()
        for widget in (
            self.move_button,
            self.open_button,
            self.best_button,
            self.count_spin,
            self.points_button,
        ):
            bottom.addWidget(widget)
        bottom.addStretch(1)
        column = QVBoxLayout(self)
        column.setContentsMargins(2, 2, 2, 2)
        column.addLayout(top)
        column.addWidget(self._plot_place, 1)
        column.addWidget(self.hover_label)
        column.addLayout(bottom)
        column.addWidget(self.message)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._refresh)
        self._update_buttons()

    # plots (silx on first show) -----------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if self.plot is None:
            self._make_plots()

    def _make_plots(self) -> None:
        from mxgui.gui.mesh_results.frame_view import FrameView  # deferred: silx
        from mxgui.gui.mesh_results.heat_map_plot import MeshPlot

        self.plot = MeshPlot()
        self.plot.set_colormap(self.colormap_combo.currentText())
        self.plot.cellHovered.connect(self._on_hover)
        self.plot.cellClicked.connect(self.pick_cell)
        self.picked_view = FrameView("Picked cell")
        self.best_view = FrameView("Best frame so far")
        self.slots = {
            "picked": FrameSlot("picked", self.picked_view, self.loader),
            "best": FrameSlot("best", self.best_view, self.loader),
        }
        frames = QSplitter(Qt.Vertical)
        frames.addWidget(self.picked_view)
        frames.addWidget(self.best_view)
        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(self.plot)
        splitter.addWidget(frames)
        splitter.setSizes([600, 400])
        self.layout().replaceWidget(self._plot_place, splitter)
        self._plot_place.deleteLater()
        splitter.show()
        self._show_grid_now()

    # properties -------------------------------------------------------------------------------
    def property_changed(
        self, name: str, old_value: PropertyValue | None, new_value: PropertyValue
    ) -> None:
        if name == "shapes":
            self.shapes = self.hardware_object("shapes", ShapesModel)
            if self.shapes is not None:
                self.bind(self.shapes, "gridResultsChanged", self._on_results, scope="shapes")
                for signal in ("shapeAdded", "shapeChanged", "shapeRemoved", "cleared"):
                    self.bind(self.shapes, signal, self.grids.refill_soon, scope="shapes")
                self.bind(self.shapes, "cleared", self._on_cleared, scope="shapes")
            self.grids.set_shapes(self.shapes)
        elif name == "refresh_ms":
            self._set_interval()
        self._update_buttons()

    # which grid -------------------------------------------------------------------------------
    def show_grid(self, grid_id: str) -> None:
        """Show the results of grid ``grid_id`` (an unknown grid: a message)."""
        if not self.grids.choose(grid_id):
            self._problem(f"there is no grid {grid_id}")

    def _on_cleared(self, *_args: object) -> None:
        """Every shape went (another sample mounted, shapes loaded): not a problem to
        report when the grid shown goes with them."""
        self._shapes_cleared = True

    def _on_chosen(self, grid_id: str) -> None:
        shape = self.shapes.get(grid_id) if self.shapes is not None and grid_id else None
        grid = shape if isinstance(shape, Grid) else None  # the choice offers grids only
        old = self.grid
        if old is not None and grid is not None and same_geometry(old, grid):
            self.grid = grid  # the same grid (renamed, or the list refilled)
            return
        ids = {shape.id for shape in self.shapes.shapes(Grid)} if self.shapes is not None else set()
        if old is not None and old.id not in ids and not self._shapes_cleared:
            self._problem(f"grid {old.id} was removed")
        else:  # another grid, or every shape gone with its sample: nothing is wrong
            self.message.clear_message()
        self._shapes_cleared = False
        self.grid = grid
        self._set_interval()
        self.results, self.best, self.picked = None, None, None
        self._show_grid_now()

    def _show_grid_now(self) -> None:
        if self.plot is None:
            return
        grid = self.grid
        title = "" if grid is None else f"{grid.name} ({grid.num_cols} x {grid.num_rows})"
        self.plot.set_grid(grid, title)
        self.slots["picked"].clear("click a cell to see its image")
        self.slots["best"].clear()
        self.results = None
        self._refresh()

    def _set_interval(self) -> None:
        cells = 0 if self.grid is None else self.grid.num_cells
        self._timer.setInterval(max(int(self.get_property("refresh_ms")), cells // CELLS_PER_MS))

    def _on_results(self, grid_id: str) -> None:
        if self.shapes is None:
            return
        if grid_id == self.shapes.active_grid_id and (self.grid is None or grid_id != self.grid.id):
            self.grids.choose(grid_id)  # follow the running mesh scan
        elif self.grid is not None and grid_id == self.grid.id and not self._timer.isActive():
            self._timer.start()  # redraw once for a burst of results

    # results -> display -----------------------------------------------------------------------
    def _refresh(self) -> None:
        grid = self.grid
        if grid is None or self.shapes is None:
            self.count_label.setText("")
            self._update_buttons()
            return
        try:
            results = self.shapes.grid_results(grid.id)
        except ValueError:  # the grid went away; the list follows
            results = None
        old = self.results
        if old is not None and (
            results is None
            or results.count < old.count
            or results.data_file_path != old.data_file_path
        ):
            self._new_mesh()
        self.results = results
        self.best = best_cell(results)
        if self.plot is not None:
            self.plot.set_scores(None if results is None else results.scores, self.best)
            self._show_best_frame()
        count = 0 if results is None else results.count
        text = f"{count} / {grid.num_cells} cells"
        if self.best is not None:
            text += f", best {self.best} ({self.score_of(self.best):.4g})"
        self.count_label.setText(text)
        self._update_buttons()

    def _new_mesh(self) -> None:
        """Old results are gone (a new mesh, or cleared): forget what came from them."""
        self.picked = None
        if self.plot is not None:
            self.plot.mark_picked(None)
            self.slots["picked"].clear("new results: click a cell to see its image")
            self.slots["best"].clear()

    def score_of(self, cell: int) -> float:
        """The score of ``cell`` (NaN without one)."""
        if self.results is None:
            return float("nan")
        return float(self.results.scores[cell - 1])

    def _on_hover(self, cell: int) -> None:
        self.hover_label.setText(hover_text(self.grid, self.results, cell))

    # images -----------------------------------------------------------------------------------
    def _path_of(self, cell: int) -> str:
        assert self.grid is not None and self.results is not None
        queue = self.hardware_object("queue", QueueHardwareObject)
        return cell_image_path(
            self.grid, self.results, cell, None if queue is None else queue.model
        )

    def open_in_viewer(self, cell: int | None = None) -> None:
        """Ask the image viewer to show the image of ``cell`` (the picked one by default)."""
        cell = self.picked if cell is None else cell
        if self.grid is None or self.results is None or cell is None:
            self._problem("no cell picked: no image to open")
            return
        try:
            path = self._path_of(cell)
        except ValueError as exc:
            self._problem(str(exc))
            return
        self.imageRequested.emit(path)

    def pick_cell(self, cell: int) -> None:
        """Pick cell ``cell`` (1-based, the grid's scan order): show its image."""
        if self.grid is None or not 1 <= cell <= self.grid.num_cells:
            self._problem(f"no cell {cell} in the grid shown")
            return
        self._timer.stop()  # the results as they are now (some may be on their way)
        self._refresh()
        self.picked = cell
        self._update_buttons()
        self.cellPicked.emit(self.grid.id, cell)
        if self.plot is None:
            return
        self.plot.mark_picked(cell)
        name = cell_name(self.grid, cell)
        if np.isnan(self.score_of(cell)):
            self.slots["picked"].problem(f"{name}: no image yet")
            return
        self._load("picked", cell, name)

    def _show_best_frame(self) -> None:
        if self.best is not None and self.grid is not None:
            self._load("best", self.best, f"best: {cell_name(self.grid, self.best)}")

    def _load(self, slot: str, cell: int, name: str) -> None:
        try:
            path = self._path_of(cell)
        except ValueError as exc:
            self.slots[slot].problem(f"{name}: {exc}")
            return
        self.slots[slot].show(path, f"{name}, score {self.score_of(cell):.4g}")

    def _deliver_frame(self, slot: str, path: str, data: np.ndarray | None, problem: str) -> None:
        """From the loader's thread."""
        if not self.cleaned_up:
            self.context.bridge.post(self._frame_read, slot, path, data, problem)

    def _frame_read(self, slot: str, path: str, data: np.ndarray | None, problem: str) -> None:
        if not self.cleaned_up and slot in self.slots:
            self.slots[slot].delivered(path, data, problem)

    # actions ----------------------------------------------------------------------------------
    def _update_buttons(self) -> None:
        moving = (
            self.hardware_object("diffractometer", AbstractDiffractometer) is not None
            and self.grid is not None
        )
        self.move_button.setEnabled(moving and self.picked is not None)
        self.open_button.setEnabled(self.grid is not None and self.picked is not None)
        self.best_button.setEnabled(moving and self.best is not None)
        self.points_button.setEnabled(self.grid is not None and self.best is not None)

    def move_to_cell(self, cell: int | None = None) -> None:
        """Move the sample so that cell ``cell`` (the picked one by default) is on the beam."""
        cell = self.picked if cell is None else cell
        diffractometer = self.hardware_object("diffractometer", AbstractDiffractometer)
        if diffractometer is None or self.grid is None or cell is None:
            self._problem("cannot move: no diffractometer, grid or cell")
            return
        grid = self.grid
        name = cell_name(grid, cell)
        self.message.show_message(f"Moving to {name}")
        self.start(
            lambda: diffractometer.move_to_centred_position(
                grid.cell_position(*grid.cell_of_index(cell))
            ),
            f"move to {name} failed",
            self._problem,
            refused=f"cannot move to {name}",
            on_done=lambda ended: self._moved(ended, name),
        )

    def _moved(self, ended: Future[Any], name: str) -> None:
        if not ended.cancelled() and ended.exception() is None:
            self.message.show_message(f"At {name}")

    def centre_on_best(self) -> None:
        """Move the best cell onto the beam."""
        if self.best is None:
            self._problem("no scores yet: no best cell")
            return
        self.move_to_cell(self.best)

    def points_from_best(self) -> list[str]:
        """Add a point at each of the N best cells (N from the spin box); their ids."""
        if self.shapes is None or self.grid is None:
            self._problem("no grid shown")
            return []
        try:
            points = points_from_best(self.shapes, self.grid, self.results, self.count_spin.value())
        except ValueError as exc:
            self._problem(str(exc))
            return []
        ids = [point.id for point in points]
        self.message.show_message(f"Added {', '.join(ids)} at the {len(ids)} best cells")
        return ids

    def _set_colormap(self, name: str) -> None:
        if self.plot is not None:
            self.plot.set_colormap(name)

    def _problem(self, text: str) -> None:
        log.warning("%s: %s", self.name, text)
        self.message.show_problem(text)

    def cleanup(self) -> None:
        self._timer.stop()
        super().cleanup()
        self.loader.close()
