"""The type checker's proof that each implementation is what its role protocol
(``mxgui.core.roles``) says: a class that loses or changes a method a brick, a queue
entry or an XML-RPC method uses fails mypy here. Nothing of it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hardware_objects.abstract.actuator import AbstractActuator
    from hardware_objects.abstract.beam import AbstractBeam
    from hardware_objects.abstract.collect import AbstractCollect
    from hardware_objects.abstract.detector import AbstractDetector
    from hardware_objects.abstract.diffractometer import AbstractDiffractometer
    from hardware_objects.abstract.energy import AbstractEnergy
    from hardware_objects.abstract.flux import AbstractFlux
    from hardware_objects.abstract.motor import AbstractMotor
    from hardware_objects.abstract.nstate import AbstractNState
    from hardware_objects.abstract.resolution import AbstractResolution
    from hardware_objects.abstract.sample_camera import AbstractSampleCamera
    from hardware_objects.abstract.sample_changer import AbstractSampleChanger
    from hardware_objects.abstract.session import AbstractSession
    from hardware_objects.abstract.shutter import AbstractShutter
    from hardware_objects.abstract.transmission import AbstractTransmission
    from hardware_objects.queue import QueueHardwareObject
    from hardware_objects.sample_shapes import SampleShapes
    from hardware_objects.workflow_client import WorkflowClient
    from hardware_objects.xmlrpc_server import XMLRPCServer
    from mxgui.core.queue.engine import QueueEngine
    from mxgui.core.roles import (
        ActuatorRole,
        BeamRole,
        CollectRole,
        DetectorRole,
        DiffractometerRole,
        EnergyRole,
        FluxRole,
        MotorRole,
        QueueEngineRole,
        QueueRole,
        ResolutionRole,
        SampleCameraRole,
        SampleChangerRole,
        SessionRole,
        ShapesRole,
        ShutterRole,
        TransmissionRole,
        WorkflowClientRole,
        XMLRPCServerRole,
    )

    def _conforms(
        actuator: AbstractActuator[float],
        nstate: AbstractNState,
        motor: AbstractMotor,
        energy: AbstractEnergy,
        transmission: AbstractTransmission,
        resolution: AbstractResolution,
        shutter: AbstractShutter,
        beam: AbstractBeam,
        flux: AbstractFlux,
        collect: AbstractCollect,
        detector: AbstractDetector,
        session: AbstractSession,
        diffractometer: AbstractDiffractometer,
        camera: AbstractSampleCamera,
        sample_changer: AbstractSampleChanger,
        shapes: SampleShapes,
        queue: QueueHardwareObject,
        engine: QueueEngine,
        workflow: WorkflowClient,
        server: XMLRPCServer,
    ) -> None:
        _actuator: ActuatorRole = actuator
        _nstate: ActuatorRole = nstate
        _motor: MotorRole = motor
        _energy: EnergyRole = energy
        _transmission: TransmissionRole = transmission
        _resolution: ResolutionRole = resolution
        _shutter: ShutterRole = shutter
        _beam: BeamRole = beam
        _flux: FluxRole = flux
        _collect: CollectRole = collect
        _detector: DetectorRole = detector
        _session: SessionRole = session
        _diffractometer: DiffractometerRole = diffractometer
        _camera: SampleCameraRole = camera
        _sample_changer: SampleChangerRole = sample_changer
        _shapes: ShapesRole = shapes
        _queue: QueueRole = queue
        _engine: QueueEngineRole = engine
        _workflow: WorkflowClientRole = workflow
        _server: XMLRPCServerRole = server
