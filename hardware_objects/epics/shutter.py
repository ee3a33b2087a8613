"""A shutter on an EPICS enum PV (CLOSED, OPEN) and its readback."""

from __future__ import annotations

from hardware_objects.abstract.shutter import AbstractShutter
from hardware_objects.epics.nstate import EnumSetpoint


class EpicsShutter(EnumSetpoint, AbstractShutter):
    """A shutter: ``<pv_prefix>BL:SHUTTER</pv_prefix>`` (an enum whose states include
    OPEN and CLOSED, channel ``setpoint``) with its readback (prefix + ``_RBV``, channel
    ``readback``); ``<value>OPEN</value><value>CLOSED</value>``.

    ``open()``/``close()`` write the state's name; the Future ends when the readback
    shows it.
    """
