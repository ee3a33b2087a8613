"""The LIMS in the GUI: the login dialog and the LIMS status in the status bar."""
