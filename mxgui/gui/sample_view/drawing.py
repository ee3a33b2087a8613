"""What a click or a drag on the image means on the sample: points and grids in motor
coordinates (Qt-free)."""

from __future__ import annotations

from dataclasses import dataclass

from mxgui.core.centring import CentredPosition, ImageGeometry, offset_centred_position


def point_at(x: float, y: float, here: CentredPosition, geometry: ImageGeometry) -> CentredPosition:
    """The centred position of the point seen at image ``(x, y)``.

    ``here`` is the centred position of what is on the beam now (the current motor
    positions); the result puts the clicked point on the beam at the current omega.
    """
    h, d = geometry.to_offsets(x, y)
    return offset_centred_position(here, h, d)


@dataclass(frozen=True)
class GridDrag:
    """A grid's extent in the plane facing the camera: ``(h, d)`` mm of the corner where
    the drag began and of where it ended, from the point on the beam at ``here``."""

    here: CentredPosition
    start: tuple[float, float]
    end: tuple[float, float]

    @classmethod
    def from_image(
        cls,
        start: tuple[float, float],
        end: tuple[float, float],
        here: CentredPosition,
        geometry: ImageGeometry,
    ) -> GridDrag:
        return cls(here, geometry.to_offsets(*start), geometry.to_offsets(*end))


def cells_across(extent_mm: float, cell_mm: float, spacing_mm: float) -> int:
    """How many cells of ``cell_mm`` with gaps of ``spacing_mm`` fill ``extent_mm``
    best (at least one)."""
    return max(1, round((abs(extent_mm) + spacing_mm) / (cell_mm + spacing_mm)))


def grid_parameters(
    drag: GridDrag,
    cell_width_mm: float,
    cell_height_mm: float,
    spacing_x_mm: float = 0.0,
    spacing_y_mm: float = 0.0,
) -> dict:
    """Arguments of ``ShapesModel.add_grid`` for the grid drawn by ``drag``.

    The grid holds a whole number of cells: it starts exactly at the corner where the
    drag began and reaches to within half a cell of where it ended. Its centre becomes
    a centred position (the motor positions that put the grid centre on the beam).
    """
    (h0, d0), (h1, d1) = drag.start, drag.end
    cols = cells_across(h1 - h0, cell_width_mm, spacing_x_mm)
    rows = cells_across(d1 - d0, cell_height_mm, spacing_y_mm)
    width = cols * cell_width_mm + (cols - 1) * spacing_x_mm
    height = rows * cell_height_mm + (rows - 1) * spacing_y_mm
    centre_h = h0 + (width / 2.0 if h1 >= h0 else -width / 2.0)
    centre_d = d0 + (height / 2.0 if d1 >= d0 else -height / 2.0)
    return {
        "centre": offset_centred_position(drag.here, centre_h, centre_d),
        "num_cols": cols,
        "num_rows": rows,
        "cell_width_mm": cell_width_mm,
        "cell_height_mm": cell_height_mm,
        "spacing_x_mm": spacing_x_mm,
        "spacing_y_mm": spacing_y_mm,
    }
