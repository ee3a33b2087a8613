"""Hardware objects on EPICS PVs (channel access), configured in mxcubecore's XML.

Each object takes a ``<pv_prefix>`` and makes its channels from it (a motor record's
fields, a setpoint and its ``_RBV``); a ``<channel type="epics" name=...>`` element of
the same name overrides one. See ``docs/recipes.md`` (porting a site's files).
"""
