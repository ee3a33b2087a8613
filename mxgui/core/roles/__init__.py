"""The seams: one ``typing.Protocol`` per role that bricks, queue entries and XML-RPC
methods reach, Qt-free so that every layer may import them.

A protocol lists what the callers use of a role, nothing more; the abstract classes
of ``hardware_objects.abstract`` (and the queue and shapes objects) satisfy them,
which mypy checks (``hardware_objects/abstract/conformance.py``) and a test checks on
the objects the simulated beamline loads. Callers type their objects by these
protocols instead of probing them with ``getattr``.
"""

from mxgui.core.roles.actuators import (
    ActuatorRole,
    EnergyRole,
    MotorRole,
    ResolutionRole,
    ShutterRole,
    TransmissionRole,
)
from mxgui.core.roles.beam import BeamRole, FluxRole
from mxgui.core.roles.collect import CollectRole, DetectorRole, SessionRole
from mxgui.core.roles.diffractometer import DiffractometerRole, SampleCameraRole
from mxgui.core.roles.emitter import Emitter
from mxgui.core.roles.queue import QueueEngineRole, QueueRole
from mxgui.core.roles.sample_changer import SampleChangerRole
from mxgui.core.roles.shapes import ShapesRole
from mxgui.core.roles.workflow import WorkflowClientRole, XMLRPCServerRole

__all__ = [
    "ActuatorRole",
    "BeamRole",
    "CollectRole",
    "DetectorRole",
    "DiffractometerRole",
    "Emitter",
    "EnergyRole",
    "FluxRole",
    "MotorRole",
    "QueueEngineRole",
    "QueueRole",
    "ResolutionRole",
    "SampleCameraRole",
    "SampleChangerRole",
    "SessionRole",
    "ShapesRole",
    "ShutterRole",
    "TransmissionRole",
    "WorkflowClientRole",
    "XMLRPCServerRole",
]
