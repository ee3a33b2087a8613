"""The resolution of the simulated beamline."""

from __future__ import annotations

from hardware_objects.abstract.resolution import AbstractResolution


class SimulatedResolution(AbstractResolution):
    """Resolution from the simulated detector distance and energy.

    All the behaviour is :class:`AbstractResolution`'s (the formula needs nothing more
    than a detector and an energy); a real beamline uses the same or subclasses it to
    read the distance from its own control system.
    """
