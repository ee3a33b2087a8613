"""Where a grid is on a crystal snapshot (the LIMS's GridInfo offset and scale): the
corner the sample view draws, read back from plain types."""

from __future__ import annotations

import pytest

from mxgui.core.centring import CentredPosition, offset_centred_position, plane_to_image
from mxgui.core.shapes import Grid
from mxgui.core.snapshot_geometry import SnapshotGeometry
from mxgui.gui.sample_view.grid_item import GridItem
from mxgui.gui.sample_view.style import OverlayStyle

HERE = CentredPosition(phi=35.0, phiy=0.1, phiz=0.0, sampx=-0.02, sampy=0.03)


@pytest.mark.parametrize("omega", [35.0, 35.5, 80.0])
def test_the_grid_corner_is_the_one_the_sample_view_draws(qapp, omega):
    # the grid drawn away from the beam, the motors since moved along and turned a bit
    centre = offset_centred_position(HERE, 0.05, -0.03)
    grid = Grid("G1", "G1", centre, 5, 3, 0.02, 0.01, spacing_x_mm=0.005)
    positions = dict(HERE.motor_positions(), phi=omega, phiy=0.12, sampx=-0.01)
    snapshot = SnapshotGeometry((520.0, 480.0), (650.0, 500.0), positions)
    item = GridItem(grid, OverlayStyle())
    item.set_projection(*plane_to_image(centre, positions, snapshot.image_geometry))
    assert snapshot.grid_corner(grid) == pytest.approx(item.image_corners()[0])
    assert snapshot.shows_face_on(grid) is (omega != 80.0)


def test_face_on_the_corner_follows_from_the_motors_alone():
    centre = offset_centred_position(HERE, 0.05, -0.03)  # right of and below the beam
    grid = Grid("G1", "G1", centre, 4, 2, 0.02, 0.03)
    snapshot = SnapshotGeometry((500.0, 400.0), (640.0, 512.0), HERE.motor_positions())
    # left edge 0.05 - 0.04 mm right of the beam, top 0.03 - 0.03 mm below it
    assert snapshot.grid_corner(grid) == pytest.approx((640.0 + 0.01 * 500.0, 512.0 + 0.0))
    assert snapshot.microns_per_pixel == pytest.approx((2.0, 2.5))


def test_plain_types_go_and_come_back_and_bad_ones_are_named():
    snapshot = SnapshotGeometry((500.0, 400.0), (640.0, 512.0), HERE.motor_positions())
    assert SnapshotGeometry.from_dict(snapshot.to_dict()) == snapshot
    bad = [
        ([], "a dict expected"),
        (dict(snapshot.to_dict(), pixels_per_mm=[0, 400]), "pixels_per_mm must be above 0"),
        (dict(snapshot.to_dict(), beam_position=[1.0]), "beam_position must be two numbers"),
        (dict(snapshot.to_dict(), positions={"phi": 1.0}), "positions lack phiy"),
        (dict(snapshot.to_dict(), positions="x"), "positions must be a dict"),
        (
            dict(snapshot.to_dict(), positions=dict(HERE.motor_positions(), phi=float("nan"))),
            "positions.phi must be a finite number",
        ),
    ]
    for data, message in bad:
        with pytest.raises(ValueError, match=message):
            SnapshotGeometry.from_dict(data)
