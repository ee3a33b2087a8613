"""LIMS hardware objects: the ISPyB client (:mod:`hardware_objects.lims.ispyb_lims`)."""
