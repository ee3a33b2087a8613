"""The diffraction image viewer (``bricks/image_viewer_brick.py``), in small parts.

``geometry`` (resolution from the header's geometry), ``reading`` (a frame of a CBF or
an HDF5/NXmx file, off the GUI thread), ``loader`` (one reader thread, latest request
wins) and ``follow`` (which file a collection or a mesh scan asks to show) import no Qt;
``view`` (the pyqtgraph image, rings and cursor line) and ``viewer`` (the widget that
puts them together) do. pyqtgraph is imported with ``view``, when a viewer is made.
"""
