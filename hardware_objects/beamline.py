"""The beamline object: the roles listed in ``beamline.xml``."""

from __future__ import annotations

from mxgui.core.hardware_object import HardwareObject

#: roles a beamline usually has; a missing one is simply ``None``
KNOWN_ROLES = (
    "diffractometer",
    "sample_changer",
    "detector",
    "energy",
    "resolution",
    "transmission",
    "beam",
    "flux",
    "safety_shutter",
    "fast_shutter",
    "sample_camera",
    "machine_info",
    "session",
    "collect",
    "queue",
    "lims",
    "workflow",
    "xmlrpc_server",
    "shapes",
)


class Beamline(HardwareObject):
    """Gives the beamline's hardware by role: ``beamline.role("energy")``.

    Objects are composed by role, not reached through globals: a brick or the queue is
    handed the beamline (or one of its roles) explicitly.
    """

    def role(self, name: str) -> HardwareObject | None:
        """The object configured under role ``name``, or ``None``."""
        return self.get_object_by_role(name)

    def role_names(self) -> list[str]:
        """The roles configured (in file order)."""
        return list(self.roles)

    def __getattr__(self, name: str) -> HardwareObject | None:
        if name in KNOWN_ROLES:
            return self.get_object_by_role(name)
        raise AttributeError(f"{type(self).__name__} has no attribute or role {name!r}")
