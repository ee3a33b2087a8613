"""mxgui: a desktop control GUI for macromolecular crystallography beamlines."""

__version__ = "0.1.0"
