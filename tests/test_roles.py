"""The role protocols (``mxgui.core.roles``) against the objects the simulated beamline
loads: every object under a role is what its protocol says, so the XML-RPC methods,
bricks and queue entries typed by the protocols reach real methods."""

from __future__ import annotations

import pytest

from hardware_objects.queue import QueueHardwareObject
from mxgui.core import roles
from mxgui.core.xmlrpc.context import ServiceContext
from mxgui.core.xmlrpc.dispatch import Unavailable

#: beamline role -> the protocol its object must satisfy
BEAMLINE_ROLES = {
    "energy": roles.EnergyRole,
    "phi": roles.MotorRole,
    "diffractometer": roles.DiffractometerRole,
    "sample_camera": roles.SampleCameraRole,
    "session": roles.SessionRole,
    "collect": roles.CollectRole,
    "sample_changer": roles.SampleChangerRole,
    "detector": roles.DetectorRole,
    "detector_distance": roles.MotorRole,
    "resolution": roles.ResolutionRole,
    "transmission": roles.TransmissionRole,
    "beam": roles.BeamRole,
    "flux": roles.FluxRole,
    "safety_shutter": roles.ShutterRole,
    "fast_shutter": roles.ShutterRole,
    "shapes": roles.ShapesRole,
    "queue": roles.QueueRole,
    "workflow": roles.WorkflowClientRole,
    "xmlrpc_server": roles.XMLRPCServerRole,
}


@pytest.fixture
def beamline(repo):
    return repo.get("beamline")


@pytest.mark.parametrize("role", sorted(BEAMLINE_ROLES))
def test_each_role_of_the_simulated_beamline_satisfies_its_protocol(beamline, role):
    obj = beamline.get_object_by_role(role)
    assert obj is not None, f"the simulated beamline has no {role}"
    assert isinstance(obj, BEAMLINE_ROLES[role]), (
        f"{role}: {type(obj).__name__} lacks what {BEAMLINE_ROLES[role].__name__} lists"
    )


def test_the_queue_engine_satisfies_its_protocol(beamline):
    queue = beamline.get_object_by_role("queue")
    assert isinstance(queue, QueueHardwareObject)
    assert isinstance(queue.engine, roles.QueueEngineRole)
    assert set(queue.engine.SIGNALS) >= {"entryFinished", "centringRequested"}


def test_a_protocol_refuses_an_object_without_its_methods(beamline):
    beam = beamline.get_object_by_role("beam")
    assert not isinstance(beam, roles.MotorRole)  # a beam has no set_value or stop
    assert not isinstance(object(), roles.Emitter)


def test_the_xmlrpc_context_gives_the_servers_roles_and_names_a_missing_one(repo):
    server = repo.get("xmlrpc_server")
    context = ServiceContext(server.get_object_by_role)
    assert context.role("queue") is server.get_object_by_role("queue")
    assert isinstance(context.role("shapes"), roles.ShapesRole)
    with pytest.raises(Unavailable, match="no energy_scan .role .energy_scan."):
        context.role("energy_scan")
    assert context.optional("energy_scan") is None
