"""The sample view: live camera, overlays in motor coordinates, interaction modes.

One job per module:

- ``frame_handover``: camera thread -> GUI thread, the latest frame wins;
- ``frame_item``: the frame on the screen (a zero-copy QImage painted by an item);
- ``view``: the graphics view, letterboxing, exact image <-> widget mapping;
- ``camera_feed``, ``watchdog``: streaming, and the banner when frames stop;
- ``style``: colours, labels of constant screen size;
- ``overlays``: beam, scale bar, centring clicks, measurement, rubber band;
- ``shape_items``: saved points and lines, and the layer of all shapes' items;
- ``grid_item``: a whole grid as one item (cell lines, cell colours);
- ``drawing``: what a click or a drag means in motor coordinates (Qt-free);
- ``shape_editor``: clicks and drags into the shapes model;
- ``modes``: the interaction modes and their mouse handling;
- ``centring_workflow``: 3-click centring driven from the view;
- ``toolbar``, ``controls``: buttons, zoom, lights, grid cell size;
- ``snapshot``: PNG with overlays.

The brick is ``bricks/sample_view_brick.py``.
"""
