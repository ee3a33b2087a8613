"""Which image a running collection or mesh scan asks the viewer to show (no Qt).

A rotation collection: the latest image written. Its number is known from the
collection's ``info`` (``collectStarted``) and the count of ``collectImageTaken``, so no
directory is listed and no file list copied at 100 images/s. An HDF5 collection's master
file appears whole at the end: its last frame is shown then.

A mesh scan: the best-scoring frame so far (what EMBL-HH did with ADXV: sort the frames
by score, show the best), located as the mesh results brick locates a cell's image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mxgui.core.acquisition import PathTemplate
from mxgui.core.queue.model import QueueModel
from mxgui.core.shapes import Grid, ShapesModel
from mxgui.gui.mesh_results.actions import best_cell, cell_name
from mxgui.gui.mesh_results.frames import cell_image_path


@dataclass(frozen=True)
class ImageRef:
    """An image to show: a file and the frame in it (from 0), and why it is shown."""

    path: str
    frame: int = 0
    why: str = ""


def collection_template(info: Mapping[str, object]) -> PathTemplate | None:
    """The path template of a collection's ``info`` (``None`` if it has none)."""
    path = info.get("path")
    if not isinstance(path, dict):
        return None
    try:
        return PathTemplate.from_dict(path, strict=False)
    except (TypeError, ValueError):
        return None


def latest_image(info: Mapping[str, object], taken: int) -> ImageRef | None:
    """The image file of the ``taken`` th image (1-based) of the collection ``info``;
    ``None`` for an HDF5 collection (its master file appears at the end) or a mesh
    scan (the best frame is shown then, not the latest)."""
    template = collection_template(info)
    if template is None or template.is_hdf5 or info.get("mesh") or taken < 1:
        return None
    first = info.get("first_image", template.start_num)
    number = (first if isinstance(first, int) else template.start_num) + taken - 1
    path = Path(template.directory) / template.image_file_name(number)
    return ImageRef(str(path), 0, f"image {taken} of the collection")


def last_image(info: Mapping[str, object]) -> ImageRef | None:
    """The last image of an ended collection ``info`` (its files as written): the last
    frame of an HDF5 master file, or the last image file."""
    files = info.get("files")
    if not isinstance(files, list) or not files or info.get("mesh"):
        return None
    last = str(files[-1])
    taken = info.get("images_taken")
    if last.endswith(".h5") and isinstance(taken, int) and taken > 0:
        return ImageRef(last, taken - 1, f"image {taken}, the last of the collection")
    return ImageRef(last, 0, "the last image of the collection")


def best_mesh_image(
    shapes: ShapesModel, grid_id: str, queue_model: QueueModel | None = None
) -> ImageRef | None:
    """The image of the best-scoring cell so far of grid ``grid_id``; ``None`` without
    a score; ``ValueError`` when the results give no file per cell."""
    try:
        shape = shapes.get(grid_id)
    except KeyError:
        return None
    if not isinstance(shape, Grid):
        return None
    results = shapes.grid_results(grid_id)
    cell = best_cell(results)
    if results is None or cell is None:
        return None
    score = float(results.scores[cell - 1])
    path = cell_image_path(shape, results, cell, queue_model)
    return ImageRef(path, 0, f"best so far: {cell_name(shape, cell)}, score {score:.4g}")


#: files a collection writes beside its images (not images)
_NOT_IMAGES = (".png", ".jpg", ".jpeg", ".json", ".txt", ".log")


def first_image_file(files: list[str] | tuple[str, ...]) -> str:
    """The first image file among a queue entry's ``files`` (``""`` for none): what
    "Open in image viewer" opens for a collection."""
    for name in files:
        if not name.lower().endswith(_NOT_IMAGES):
            return name
    return ""
