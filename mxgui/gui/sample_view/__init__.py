"""The sample view: live camera, overlays in motor coordinates, interaction modes.

Modules, one job each: ``frame_handover`` (camera thread -> GUI thread, latest frame
wins), ``grid_item`` (a whole grid as one item), ``style`` (colours, labels).
"""
