"""The layout designer (``mxgui --design [FILE]``).

Modules, each with one job:

- :mod:`.document`: the layout being edited (no widgets); every edit goes through it
  and is announced with a named event; :mod:`.rules` says which values it accepts;
- :mod:`.copies`: independent copies of the layout, as the file would hold them;
- :mod:`.validation`: the problems of the current layout, with the file line of each;
- :mod:`.tree_model`: the Qt item model of the layout tree over the document;
- :mod:`.fields` and :mod:`.property_editor`: typed editors for the selected item;
- :mod:`.connection_editor`: the connections between bricks;
- :mod:`.palette`, :mod:`.problems`, :mod:`.preview`: the other panels;
- :mod:`.main_window`, :mod:`.file_commands`, :mod:`.dialogs` and :mod:`.app`: the
  window, its File menu, the questions it asks, and the entry point.
"""
