"""Demo device servers for ``HardwareRepository/controls-demo``: Tango devices (pytango,
no Tango database) and a Channel Access IOC (caproto), all on 127.0.0.1.

Not part of the GUI: they stand in for a beamline's control system, so that mxgui's
Tango and EPICS hardware objects can be tried, tested and measured on any machine.
"""
