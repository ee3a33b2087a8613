"""The XML-RPC methods, one module per group (queue, diffractometer, beam, setup,
shapes, workflow, processing and the beamline's other calls). Each group is a class built on a
:class:`~mxgui.core.xmlrpc.context.ServiceContext` whose ``NAMES`` are served under
mxcubecore's names and arguments."""

from mxgui.core.xmlrpc.methods.beam import BeamMethods
from mxgui.core.xmlrpc.methods.beamline import BeamlineMethods
from mxgui.core.xmlrpc.methods.diffractometer import DiffractometerMethods
from mxgui.core.xmlrpc.methods.processing import ProcessingMethods
from mxgui.core.xmlrpc.methods.queue import QueueMethods
from mxgui.core.xmlrpc.methods.queue_native import QueueNativeMethods
from mxgui.core.xmlrpc.methods.setup import SetupMethods
from mxgui.core.xmlrpc.methods.shapes import ShapeMethods
from mxgui.core.xmlrpc.methods.workflow import WorkflowMethods

GROUPS = (
    QueueMethods,
    QueueNativeMethods,
    DiffractometerMethods,
    BeamMethods,
    SetupMethods,
    ShapeMethods,
    WorkflowMethods,
    ProcessingMethods,
    BeamlineMethods,
)

__all__ = ["GROUPS"]
