"""The Qt layer: brick base class, signal bridge, layout files, window builder, app."""
