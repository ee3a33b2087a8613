"""The parts of the mesh results brick (``bricks/mesh_results_brick.py``).

``frames`` (where a cell's image is, loading it off the GUI thread) and ``actions``
(best cells, points from them) are Qt-free; ``heat_map_plot`` and ``frame_view`` are
silx widgets, imported by the brick when it is first shown.
"""

#: the colour maps offered for the heat map (silx names; silx's dialog offers more)
COLORMAPS = ("viridis", "magma", "inferno", "plasma", "temperature", "jet", "gray")
