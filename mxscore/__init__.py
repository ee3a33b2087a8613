"""mxscore: how much diffraction an image shows, for the GUI and the workflows alike.

A small top-level package (numpy, and fabio to read files; no Qt, nothing of ``mxgui``)
so that a workflow, which never imports ``mxgui``, and the GUI score images the same
way. The score itself is documented in :mod:`mxscore.scoring`.
"""
