"""Shapes in motor coordinates: points, lines and grids, and the evented model."""

from __future__ import annotations

import threading

import pytest

from mxgui.core.centring import (
    CentredPosition,
    ImageGeometry,
    centred_point_to_image,
    plane_to_image,
)
from mxgui.core.shapes import Grid, Line, Point, ShapesModel, shape_from_dict

GEOMETRY = ImageGeometry((1000.0, 1000.0), (640.0, 512.0))
CENTRE = CentredPosition(phi=30.0, phiy=0.1, phiz=0.02, sampx=0.05, sampy=-0.03)


class Recorder:
    def __init__(self, model: ShapesModel) -> None:
        self.events: list[tuple[str, object]] = []
        for signal in model.declared_signals():
            model.connect(signal, lambda *args, s=signal: self.events.append((s, args)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


def grid(**overrides) -> Grid:
    values = dict(num_cols=4, num_rows=3, cell_width_mm=0.02, cell_height_mm=0.01)
    values.update(overrides)
    return Grid("G1", "g", CENTRE, **values)


def test_grid_cells_in_motor_coordinates_land_on_the_image_where_drawn():
    g = grid(spacing_x_mm=0.005, spacing_y_mm=0.002)
    positions = CENTRE.motor_positions()
    # seen at the omega it was defined at, cell (c, r) sits at its planar offset
    for col in range(4):
        for row in range(3):
            x, y = centred_point_to_image(
                g.cell_position(col, row).motor_positions(), positions, GEOMETRY
            )
            expected_x = 640.0 + (col - 1.5) * 0.025 * 1000.0
            expected_y = 512.0 + (row - 1.0) * 0.012 * 1000.0  # row 0 at the top
            assert (x, y) == pytest.approx((expected_x, expected_y), abs=1e-6)
    assert g.width_mm == pytest.approx(4 * 0.02 + 3 * 0.005)
    assert g.height_mm == pytest.approx(3 * 0.01 + 2 * 0.002)


def test_moving_to_a_cell_puts_that_cell_on_the_beam():
    g = grid()
    cell = g.cell_position(3, 0)
    # with the motors at the cell's centred position, the cell is at the beam position
    x, y = centred_point_to_image(cell.motor_positions(), cell.motor_positions(), GEOMETRY)
    assert (x, y) == pytest.approx(GEOMETRY.beam_position, abs=1e-9)
    # and the grid's centre is then where the cell offset says, seen from there
    cx, cy = centred_point_to_image(CENTRE.motor_positions(), cell.motor_positions(), GEOMETRY)
    h, d = g.cell_offset(3, 0)
    assert (cx, cy) == pytest.approx((640.0 - h * 1000.0, 512.0 + d * 1000.0), abs=1e-6)


def test_the_grid_plane_follows_zoom_and_omega():
    positions = CENTRE.motor_positions()
    origin, ex, ey = plane_to_image(CENTRE, positions, GEOMETRY)
    assert ex == pytest.approx((1000.0, 0.0)) and ey == pytest.approx((0.0, -1000.0))
    zoomed = ImageGeometry((2000.0, 2000.0), (640.0, 512.0))
    _, ex2, ey2 = plane_to_image(CENTRE, positions, zoomed)
    assert ex2 == pytest.approx((2000.0, 0.0)) and ey2 == pytest.approx((0.0, -2000.0))
    turned = dict(positions, phi=CENTRE.phi + 60.0)
    _, ex3, ey3 = plane_to_image(CENTRE, turned, GEOMETRY)
    assert ex3 == pytest.approx((1000.0, 0.0))
    assert ey3 == pytest.approx((0.0, -500.0), abs=1e-6)  # foreshortened by cos(60)
    assert grid().is_face_on(30.4) and not grid().is_face_on(35.0)
    assert grid().is_face_on(390.0), "omega compared modulo 360"


def test_scan_order_indices_zigzag_and_raster():
    zigzag, raster = grid(), grid(scan_order="raster")
    assert [zigzag.cell_of_index(i) for i in range(1, 9)] == [
        (0, 0),
        (1, 0),
        (2, 0),
        (3, 0),
        (3, 1),
        (2, 1),
        (1, 1),
        (0, 1),
    ]
    assert raster.cell_of_index(5) == (0, 1)
    for g in (zigzag, raster):
        assert [g.index_of_cell(*g.cell_of_index(i)) for i in range(1, 13)] == list(range(1, 13))
    with pytest.raises(ValueError, match="outside 1..12"):
        zigzag.cell_of_index(13)
    with pytest.raises(ValueError, match=r"cell \(4, 0\) is outside 4 x 3"):
        zigzag.cell_position(4, 0)


def test_cell_at_finds_the_cell_under_a_point_and_none_in_gaps_or_outside():
    g = grid(spacing_x_mm=0.01)
    h, d = g.cell_offset(2, 1)
    assert g.cell_at(h, d) == (2, 1)
    assert g.cell_at(h + 0.015, d) is None, "in the gap between columns 2 and 3"
    assert g.cell_at(1.0, 0.0) is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"num_cols": 0}, "num_cols must be a whole number >= 1"),
        ({"num_rows": 2.5}, "num_rows must be a whole number >= 1"),
        ({"cell_width_mm": 0.0}, "cell_width_mm must be above 0 mm"),
        ({"cell_height_mm": float("nan")}, "cell_height_mm must be above 0 mm"),
        ({"spacing_x_mm": -0.1}, "spacing_x_mm must be 0 mm or more"),
        ({"scan_order": "spiral"}, "scan_order must be one of zigzag, raster"),
    ],
)
def test_a_bad_grid_is_refused_naming_the_dimension(overrides, message):
    model = ShapesModel()
    values = dict(num_cols=4, num_rows=3, cell_width_mm=0.02, cell_height_mm=0.01)
    values.update(overrides)
    with pytest.raises(ValueError, match=message):
        model.add_grid(CENTRE, **values)
    assert len(model) == 0
    assert model.add_grid(CENTRE, 2, 2, 0.01, 0.01).id == "G1", "a refused grid uses no id"


def test_model_emits_one_signal_per_change_with_the_shape():
    model = ShapesModel()
    seen = Recorder(model)
    p1 = model.add_point(CENTRE)
    p2 = model.add_point(CentredPosition(phi=30.0, phiy=0.2, phiz=0.02, sampx=0.0, sampy=0.0))
    line = model.add_line_between(p1.id, p2.id)
    g = model.add_grid(CENTRE, 10, 5, 0.01, 0.01, name="mesh")
    assert [p1.id, p2.id, line.id, g.id] == ["P1", "P2", "L1", "G1"]
    assert p1.name == "P1" and g.name == "mesh"
    assert line.length_mm == pytest.approx((0.1**2 + 0.05**2 + 0.03**2) ** 0.5)
    model.select([g.id, p1.id])
    renamed = model.rename(p1.id, "crystal A")
    model.remove(p1.id)
    assert seen.names() == [
        "shapeAdded",
        "shapeAdded",
        "shapeAdded",
        "shapeAdded",
        "selectionChanged",
        "shapeChanged",
        "shapeRemoved",
        "selectionChanged",
    ]
    assert seen.events[5][1] == (renamed,) and renamed.name == "crystal A"
    assert model.selected() == (g.id,)
    assert model.add_point(CENTRE).id == "P3", "ids are never reused"
    with pytest.raises(KeyError, match="no shape 'P1'"):
        model.get("P1")
    with pytest.raises(ValueError, match="cannot be empty"):
        model.rename(g.id, "  ")
    with pytest.raises(ValueError, match="same omega"):
        model.add_line(CENTRE, CentredPosition(phi=120.0, phiy=0, phiz=0, sampx=0, sampy=0))


def test_shapes_round_trip_as_plain_data_and_bad_data_is_refused():
    model = ShapesModel()
    model.add_point(CENTRE, "first")
    model.add_grid(CENTRE, 3, 2, 0.015, 0.015, spacing_x_mm=0.005, scan_order="raster")
    data = model.to_list()
    copy = ShapesModel()
    copy.load(data)
    assert copy.to_list() == data
    assert isinstance(copy.get("P1"), Point) and isinstance(copy.get("G1"), Grid)
    assert copy.add_point(CENTRE).id == "P2", "numbering continues after a load"
    with pytest.raises(ValueError, match="shape kind must be one of"):
        shape_from_dict({"id": "X1", "kind": "circle"})
    with pytest.raises(ValueError, match="missing motor 'sampy'"):
        shape_from_dict(
            {"id": "P1", "kind": "point", "position": {"phi": 0, "phiy": 0, "phiz": 0, "sampx": 0}}
        )
    with pytest.raises(ValueError, match="num_cols must be"):
        shape_from_dict(dict(data[1], num_cols=-1))
    assert isinstance(shape_from_dict(Line("L1", "l", CENTRE, CENTRE).to_dict()), Line)


def test_model_is_safe_from_several_threads():
    model = ShapesModel()
    added: list[str] = []
    model.connect("shapeAdded", lambda shape: added.append(shape.id))

    def work():
        for _ in range(200):
            shape = model.add_point(CENTRE)
            model.rename(shape.id, f"x{shape.id}")  # names are unique

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(model) == 800 and len(set(added)) == 800


def test_shapes_are_cleared_when_another_sample_is_mounted(repo):
    shapes = repo.get("/shapes")
    changer = repo.get("/sample_changer")
    changer.speed_factor = 0.001
    shapes.add_point(CENTRE)
    assert len(shapes) == 1
    changer.load("2:03").result(timeout=30)
    assert len(shapes) == 0
