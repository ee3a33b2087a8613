"""The list of a sample's grids to choose from (a combo box following the shapes model)."""

from __future__ import annotations

from PyQt5.QtCore import QObject, QTimer, pyqtSignal
from PyQt5.QtWidgets import QComboBox

from mxgui.core.shapes import Grid, ShapesModel


def grid_label(grid: Grid) -> str:
    """``"G1: crystal 1 (20 x 15)"``, or ``"G1 (20 x 15)"`` while the name is the id;
    ``"line"`` for one row or column."""
    kind = "line, " if grid.num_cells > 1 and 1 in (grid.num_cols, grid.num_rows) else ""
    name = grid.id if grid.name == grid.id else f"{grid.id}: {grid.name}"
    return f"{name} ({kind}{grid.num_cols} x {grid.num_rows})"


def same_geometry(one: Grid, other: Grid) -> bool:
    """The same grid, maybe under another name (its results are still valid)."""
    return one.to_dict() | {"name": ""} == other.to_dict() | {"name": ""}


class GridChoice(QObject):
    """The grids of a shapes model in :attr:`combo`; ``gridChosen(grid_id)`` when the
    choice changes (``""``: no grid). By default the grid a mesh scan is running on,
    else the last grid; a removed grid gives way to that default."""

    gridChosen = pyqtSignal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.shapes: ShapesModel | None = None
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(16)
        self.combo.setToolTip("the grid whose results are shown")
        self.combo.currentIndexChanged.connect(self._on_index)
        self._filling = False
        self._chosen = ""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.refill)

    @property
    def chosen(self) -> str:
        """The id of the grid chosen (``""`` for none)."""
        return self._chosen

    def set_shapes(self, shapes: ShapesModel | None) -> None:
        self.shapes = shapes
        self._chosen = ""
        self.refill()

    def grids(self) -> list[Grid]:
        if self.shapes is None:
            return []
        return [shape for shape in self.shapes.shapes(Grid) if isinstance(shape, Grid)]

    def refill_soon(self, *_args: object) -> None:
        """Refill once after a burst of shape changes."""
        self._timer.start()

    def refill(self) -> None:
        """The grids as they are now; keep the choice if it is still there."""
        self._timer.stop()
        grids = self.grids()
        ids = [grid.id for grid in grids]
        wanted = self._chosen if self._chosen in ids else self._default(ids)
        self._filling = True
        try:
            self.combo.clear()
            for grid in grids:
                self.combo.addItem(grid_label(grid), grid.id)
            self.combo.setCurrentIndex(ids.index(wanted) if wanted else -1)
        finally:
            self._filling = False
        self._set(wanted)

    def _default(self, ids: list[str]) -> str:
        active = self.shapes.active_grid_id if self.shapes is not None else None
        if active in ids:
            return active  # type: ignore[return-value]
        return ids[-1] if ids else ""

    def choose(self, grid_id: str) -> bool:
        """Choose grid ``grid_id``; ``False`` if the shapes model has no such grid."""
        if self.combo.findData(grid_id) < 0:
            self.refill()  # added a moment ago: its signal may not have come yet
        index = self.combo.findData(grid_id)
        if index < 0:
            return False
        self.combo.setCurrentIndex(index)
        self._set(grid_id)
        return True

    def _on_index(self, index: int) -> None:
        if not self._filling:
            self._set(self.combo.itemData(index) if index >= 0 else "")

    def _set(self, grid_id: str) -> None:
        self._chosen = grid_id
        self.gridChosen.emit(grid_id)
