"""End to end with the GUI (default layout): an XrayCentring task in the queue runs the
shipped workflow in its own process, which drives the running GUI over XML-RPC; the
crystal ends on the beam and the scans' scores are on the grids of the sample view."""

from __future__ import annotations

import pytest

from helpers import DEFAULT_LAYOUT, SIMULATED, quick_collect_overrides, show_brick, speed_up

QUICK = {"exp_time": 0.001, "take_snapshots": 0, "detector_distance": 120.0}
OMEGAS = (0.0, 45.0, 90.0, 135.0, 180.0, 270.0)


@pytest.fixture
def gui(make_app, tmp_path):
    app = make_app(DEFAULT_LAYOUT, [quick_collect_overrides(tmp_path), SIMULATED])
    speed_up(app.repository.get("diffractometer"))
    return app


def test_xray_centring_from_the_queue_centres_the_crystal_in_the_running_gui(qtbot, gui):
    beamline = gui.repository.beamline
    queue, diffractometer = beamline.role("queue"), beamline.role("diffractometer")
    shapes = beamline.role("shapes")
    width, height = (float(v) for v in beamline.role("beam").get_beam_size()[:2])

    def misses() -> list[float]:
        here = diffractometer.get_positions()
        found = []
        for omega in OMEGAS:
            x, y, _z = diffractometer.scene.crystal_centre_lab(dict(here, phi=omega))
            if abs(x) > width or abs(y) > height:
                found.append(omega)
        return found

    assert misses(), "the crystal must start off the beam"
    sample = queue.model.add(0, "Sample", queue.factory.create("Sample", {"centring": "none"}))
    task = queue.add_task(sample, "XrayCentring", QUICK)
    done = queue.execute_entry(task)
    qtbot.waitUntil(done.done, timeout=180_000)  # the GUI thread answers meanwhile
    node = queue.model.get_node(task)
    assert node.status == "success", node.message
    assert misses() == []
    grids = [
        queue.model.get_node(n).parameters.get("grid_id") for n in queue.model.children(sample)
    ]
    grids = [g for g in grids if g]
    assert len(grids) == 2
    for grid_id in grids:
        assert shapes.grid_results(grid_id).count == shapes.get(grid_id).num_cells
    # the sample view shows both grids, every cell coloured by the workflow's scores
    layer = gui.built.bricks["sample_view"].shape_layer

    def coloured(grid_id: str) -> bool:
        item = layer.items.get(grid_id)
        pixels = item.cell_pixels() if item is not None else None
        return (
            pixels is not None and int((pixels[..., 3] > 0).sum()) == shapes.get(grid_id).num_cells
        )

    qtbot.waitUntil(lambda: all(coloured(g) for g in grids), timeout=5000)
    # the mesh results brick shows the workflow's mesh and its best image (the workflow
    # sent its own scores; the images are the queue's MeshScan files)
    mesh_results = gui.built.bricks["mesh_results"]
    show_brick(mesh_results)  # the user opens the Mesh results tab
    qtbot.waitUntil(lambda: mesh_results.best_view is not None, timeout=5000)
    mesh_results.show_grid(grids[0])
    mesh_node = next(
        queue.model.get_node(n)
        for n in queue.model.children(sample)
        if queue.model.get_node(n).parameters.get("grid_id") == grids[0]
    )
    best = shapes.grid_results(grids[0]).best_cells(1)[0]
    best_file = next(f for f in mesh_node.files if f.endswith(f"_{best:05d}.cbf"))
    qtbot.waitUntil(lambda: mesh_results.best_view.path == best_file, timeout=10000)
