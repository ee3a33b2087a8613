"""Hardware objects on Tango devices: :class:`~hardware_objects.tango.motor.TangoMotor`,
:class:`~hardware_objects.tango.shutter.TangoShutter` and
:class:`~hardware_objects.tango.nstate.TangoNState` (``class="tango.motor.TangoMotor"``).

Each reads its device's address from ``<tangoname>`` and its channels and commands
from mxcubecore's ``<channel>`` / ``<command>`` elements, with the usual Tango names as
defaults. What they share: :mod:`~hardware_objects.tango.device` (state, faults,
moves), :mod:`~hardware_objects.tango.moves` (following one move to its end) and
:mod:`~hardware_objects.tango.attribute_range` (an attribute's min/max and unit).
"""
