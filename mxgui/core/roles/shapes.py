"""The shapes of the sample (points, lines, grids) and the results stored on grids
(``mxgui.core.shapes.ShapesModel``, served by ``hardware_objects.sample_shapes``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from mxgui.core.centring import CentredPosition
from mxgui.core.grid_results import CellValue, CellValues, GridResults
from mxgui.core.roles.emitter import Emitter
from mxgui.core.shapes import Grid, Point, Shape


@runtime_checkable
class ShapesRole(Emitter, Protocol):
    """Shapes by id, new points and grids, and grid results (scores or colours by
    1-based cell in scan order); ``active_grid_id`` is the grid a mesh scan collects."""

    @property
    def active_grid_id(self) -> str | None: ...

    def shapes(self, kind: type[Shape] | None = None) -> list[Shape]: ...

    def get(self, shape_id: str) -> Shape: ...

    def add_point(self, position: CentredPosition, name: str = "") -> Point: ...

    def add_grid(
        self,
        centre: CentredPosition,
        num_cols: int,
        num_rows: int,
        cell_width_mm: float,
        cell_height_mm: float,
        spacing_x_mm: float = 0.0,
        spacing_y_mm: float = 0.0,
        scan_order: str = "zigzag",
        name: str = "",
    ) -> Grid: ...

    def set_grid_results(
        self,
        grid_id: str,
        values: CellValues,
        data_file_path: str = "",
        spots: Mapping[int, int] | None = None,
    ) -> int: ...

    def grid_results(self, grid_id: str) -> GridResults | None: ...

    def start_scan(
        self, grid_id: str | None, first_image: int = 1, scan_order: str | None = None
    ) -> None: ...

    def end_scan(self, grid_id: str) -> None: ...

    def close_scan(self) -> str | None: ...

    def add_scan_results(
        self,
        images: Mapping[int, float],
        spots: Mapping[int, int] | None = None,
        places: Mapping[int, str] | None = None,
    ) -> tuple[str, int]: ...

    def scan_is_external(self, grid_id: str) -> bool: ...

    def scan_cells(self, grid_id: str, images: Mapping[int, CellValue]) -> dict[int, CellValue]: ...
