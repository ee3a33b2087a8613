"""Shape methods: read and add grids, cell positions, grid results (scores or colours).

Cells are 1-based in the grid's scan order; result keys may be integers or their text
(XML-RPC struct keys are always text): ``{"1": 0.5}`` is cell 1.

``shape_history_get_grid(sid)`` gives mxcubecore's keys: ``x1``, ``y1`` (mm from the
grid's centre to the centre of its top-left cell, x to the right and y down on the
camera image), ``steps_x`` / ``steps_y`` (columns, rows), ``dx_mm`` / ``dy_mm``
(distance between neighbouring cell centres), ``beam_width`` / ``beam_height`` (mm),
``angle`` (omega the grid was drawn at), ``motor_positions`` (the centred position of
the grid's centre); plus mxgui's own fields (``num_cols``, ``cell_width_mm``,
``scan_order``...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from mxgui.core.centring import CENTRING_MOTORS, OPTIONAL_MOTORS, CentredPosition
from mxgui.core.grid_results import GridResults
from mxgui.core.roles import ShapesRole
from mxgui.core.shapes import Grid
from mxgui.core.xmlrpc.args import as_float, as_int, as_list, as_str, as_struct, cell_index
from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.dispatch import BadArgument

_GRID_KEYS = {
    "num_cols",
    "num_rows",
    "cell_width_mm",
    "cell_height_mm",
    "spacing_x_mm",
    "spacing_y_mm",
    "scan_order",
    "name",
    "centre",
    "motor_positions",
}


def _is_pairs(result: list[Any] | tuple[Any, ...]) -> bool:
    """A list of ``[cell, value]`` pairs (mxcubecore's list form), not of values."""
    return bool(result) and all(isinstance(i, (list, tuple)) and len(i) == 2 for i in result)


def result_values(result: object, name: str = "result") -> dict[int, Any]:
    """``{cell: score or [r, g, b, a]}`` from a struct (text or integer keys), a list
    of values (cell 1 first) or a list of ``[cell, value]`` pairs; each value checked
    for its form (the limits are the grid's to check). A cell given twice (``"3"`` and
    ``"03"``, or two pairs) is refused, naming both."""
    if isinstance(result, (list, tuple)) and _is_pairs(result):
        items = [
            (cell_index(cell, f"{name}[{n}][0]"), value, f"{name}[{n}][0] = {cell!r}")
            for n, (cell, value) in enumerate(result)
        ]
    elif isinstance(result, (list, tuple)):
        items = [(index, value, "") for index, value in enumerate(result, 1)]
    elif isinstance(result, Mapping):
        items = [
            (cell_index(key, f"{name} key {key!r}"), value, f"key {key!r}")
            for key, value in result.items()
        ]
    elif isinstance(result, str):
        raise BadArgument(
            f"{name}: text ({len(result)} characters) is not taken: mxgui colours a grid's "
            "cells from their scores or [r, g, b, a] colours, not from a heat-map image; "
            "give {cell: score or [r, g, b, a]}"
        )
    else:
        raise BadArgument(
            f"{name}: expected a struct {{cell: score or [r, g, b, a]}} or a list of "
            f"scores, got {result!r}"
        )
    values: dict[int, Any] = {}
    given_as: dict[int, str] = {}
    for cell, value, place in items:
        if cell in given_as:
            raise BadArgument(
                f"{name}: cell {cell} is given twice ({given_as[cell]} and {place}); "
                "give each cell once per call"
            )
        given_as[cell] = place
        where = f"{name}[{cell}]"
        if isinstance(value, (list, tuple)):
            if len(value) != 4:
                raise BadArgument(f"{where}: a colour is [r, g, b, a], got {value!r}")
            values[cell] = [as_float(v, where) for v in value]
        else:
            values[cell] = as_float(value, where)
    return values


class ShapeMethods:
    """Grids for workflows: read, add, cell positions, results in and out."""

    NAMES: ClassVar[tuple[str, ...]] = (
        "shape_history_get_grid",
        "shape_history_set_grid_data",
        "shape_history_get_grid_data",
        "shape_history_add_grid",
        "shape_history_get_cell_positions",
    )

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @property
    def shapes(self) -> ShapesRole:
        return self.ctx.role("shapes")

    def grid(self, sid: object) -> Grid:
        """The grid ``sid``; refused for an unknown id or another kind of shape."""
        shape_id = as_str(sid, "sid")
        shape = self.shapes.get(shape_id)  # KeyError names the known ids
        if not isinstance(shape, Grid):
            raise BadArgument(f"sid: {shape_id} is a {shape.KIND}, not a grid")
        return shape

    def shape_history_get_grid(self, sid: object) -> dict[str, Any]:
        """The grid ``sid`` (see the module documentation for the keys)."""
        grid = self.grid(sid)
        beam = self.ctx.optional("beam")
        beam_width, beam_height = beam.get_beam_size() if beam is not None else (0.0, 0.0)
        x1, d1 = grid.cell_offset(0, 0)
        return {
            **grid.to_dict(),
            "x1": x1,
            "y1": -d1,
            "steps_x": grid.num_cols,
            "steps_y": grid.num_rows,
            "dx_mm": grid.step_x_mm,
            "dy_mm": grid.step_y_mm,
            "beam_width": beam_width,
            "beam_height": beam_height,
            "angle": grid.omega,
            "motor_positions": grid.centre.motor_positions(),
        }

    def shape_history_set_grid_data(
        self, sid: object, result: object, data_file_path: object = ""
    ) -> bool:
        """Store results on grid ``sid``: ``{cell: score}`` or ``{cell: [r, g, b, a]}``
        (1-based cells in scan order; keys text or integers), a list of scores (cell 1
        first) or of ``[cell, value]`` pairs; added to the grid's earlier results (a
        cell given again takes its new value), shown on the sample view and the heat
        map. mxcubecore's form ``(key, result_data, data_file_path=None)`` is the same.
        ``data_file_path`` (the mesh's first image, read when a cell is shown) must lead
        inside the session's data roots."""
        grid = self.grid(sid)
        values = result_values(result)
        path = "" if data_file_path is None else as_str(data_file_path, "data_file_path", True)
        if path:
            self.ctx.role("session").get_data_roots().check(path, "data_file_path")
        self.shapes.set_grid_results(grid.id, values, path)
        return True

    def shape_history_get_grid_data(self, sid: object) -> dict[str, Any]:
        """The results stored on grid ``sid``: ``{"values": {"<cell>": score or
        [r, g, b, a]}, "data_file_path": text, "num_cells": n}``."""
        grid = self.grid(sid)
        return results_struct(self.shapes.grid_results(grid.id), grid.num_cells)

    def shape_history_add_grid(self, params: object) -> str:
        """Add a grid; returns its id. ``params``: num_cols, num_rows, cell_width_mm,
        cell_height_mm (default: the beam size), optional spacing_x_mm, spacing_y_mm,
        scan_order (zigzag, raster), name, and centre (motor positions; default: the
        current position)."""
        given = as_struct(params, "params")
        unknown = sorted(set(given) - _GRID_KEYS)
        if unknown:
            raise BadArgument(
                f"params: unknown key(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(_GRID_KEYS))}"
            )
        for key in ("num_cols", "num_rows"):
            if key not in given:
                raise BadArgument(f"params: {key} missing")
        centre = self._centre(given.get("centre", given.get("motor_positions")))
        width, height = self._cell_size(given)
        grid = self.shapes.add_grid(
            centre,
            as_int(given["num_cols"], "params.num_cols"),
            as_int(given["num_rows"], "params.num_rows"),
            width,
            height,
            as_float(given.get("spacing_x_mm", 0.0), "params.spacing_x_mm"),
            as_float(given.get("spacing_y_mm", 0.0), "params.spacing_y_mm"),
            as_str(given.get("scan_order", "zigzag"), "params.scan_order"),
            as_str(given.get("name", ""), "params.name", allow_empty=True),
        )
        return grid.id

    def _cell_size(self, given: dict[str, Any]) -> tuple[float, float]:
        if "cell_width_mm" in given and "cell_height_mm" in given:
            return (
                as_float(given["cell_width_mm"], "params.cell_width_mm"),
                as_float(given["cell_height_mm"], "params.cell_height_mm"),
            )
        beam = self.ctx.role("beam")
        width, height = beam.get_beam_size()
        return (
            as_float(given.get("cell_width_mm", width), "params.cell_width_mm"),
            as_float(given.get("cell_height_mm", height), "params.cell_height_mm"),
        )

    def _centre(self, centre: object) -> CentredPosition:
        current = self.ctx.role("diffractometer").get_positions()
        values = {k: v for k, v in current.items() if k in CENTRING_MOTORS + OPTIONAL_MOTORS}
        if centre is not None:
            given = as_struct(centre, "params.centre")
            for key, value in given.items():
                if key not in CENTRING_MOTORS + OPTIONAL_MOTORS:
                    raise BadArgument(
                        f"params.centre: unknown motor {key!r}; motors: "
                        f"{', '.join(CENTRING_MOTORS + OPTIONAL_MOTORS)}"
                    )
                values[key] = as_float(value, f"params.centre.{key}")
        return CentredPosition.from_dict(values)

    def shape_history_get_cell_positions(
        self, sid: object, cell_indices: object
    ) -> list[dict[str, float]]:
        """The motor positions that put each of ``cell_indices`` (1-based, scan order)
        on the beam."""
        grid = self.grid(sid)
        found = []
        for n, value in enumerate(as_list(cell_indices, "cell_indices")):
            index = cell_index(value, f"cell_indices[{n}]")
            if index > grid.num_cells:
                raise BadArgument(
                    f"cell_indices[{n}]: cell {index} is outside grid {grid.id}'s "
                    f"1..{grid.num_cells}"
                )
            found.append(grid.cell_position(*grid.cell_of_index(index)).motor_positions())
        return found


def results_struct(stored: GridResults | None, num_cells: int) -> dict[str, Any]:
    """What ``grid_results`` returns (a ``GridResults`` or ``None``) as
    ``{"values": {"<cell>": value}, "data_file_path": text, "num_cells": n}``."""
    if stored is None:
        return {"values": {}, "data_file_path": "", "num_cells": num_cells}
    return {
        "num_cells": stored.num_cells,
        "data_file_path": stored.data_file_path,
        "values": {
            str(cell): (value if isinstance(value, list) or math.isfinite(value) else None)
            for cell, value in stored.as_mapping().items()
        },
    }
