"""Which image file shows a mesh cell, when the results name only the data directory
(a workflow's ``shape_history_set_grid_data``): the queue's MeshScan files."""

from __future__ import annotations

from types import SimpleNamespace

from mxgui.gui.mesh_results.frames import is_numbered_image, latest_mesh_first_image


def mesh_node(grid_id: str, files: list[str], started: float) -> SimpleNamespace:
    return SimpleNamespace(
        type="MeshScan", parameters={"grid_id": grid_id}, files=files, started=started
    )


class Model:
    """Stands for the queue model: the nodes it iterates."""

    def __init__(self, *nodes: SimpleNamespace) -> None:
        self.nodes = nodes

    def iter_nodes(self):
        return iter(self.nodes)


def test_a_directory_is_no_image_and_a_numbered_file_is():
    assert is_numbered_image("/data/mesh_2_00001.cbf")
    assert not is_numbered_image("/data/RAW_DATA/Ferritin-C05")
    assert not is_numbered_image("/data/mesh_2_master.h5")
    assert not is_numbered_image("")


def test_the_latest_mesh_on_the_grid_gives_its_first_image():
    older = mesh_node("G1", ["/d/mesh_1_00002.cbf", "/d/mesh_1_00001.cbf"], started=10.0)
    newer = mesh_node(
        "G1", ["/d/snap.png", "/d/mesh_2_00003.cbf", "/d/mesh_2_00002.cbf"], started=20.0
    )
    other_grid = mesh_node("G2", ["/d/line_1_00001.cbf"], started=30.0)
    collection = SimpleNamespace(
        type="DataCollection", parameters={}, files=["/d/x_1_00001.cbf"], started=40.0
    )
    model = Model(older, newer, other_grid, collection)
    assert latest_mesh_first_image(model, "G1") == "/d/mesh_2_00002.cbf"
    assert latest_mesh_first_image(model, "G2") == "/d/line_1_00001.cbf"
    assert latest_mesh_first_image(model, "G3") == ""
